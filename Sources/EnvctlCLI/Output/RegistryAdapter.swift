import EnvctlRuns

/// Chooses the `ImageRegistry` implementation the run/pipeline/reproduce verbs use.
///
/// Interim: skopeo (when installed). Switch to the shared OCIRegistry client once it is on main.
enum RegistryAdapter {
    static func make() -> (any ImageRegistry)? {
        ToolLocator.find("skopeo") != nil ? SkopeoRegistry() : nil
    }
}

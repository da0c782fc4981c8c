import EnvctlLocking

/// Connects `envctl lock` to the registry client for digest pinning.
enum RegistryPinning {
    /// The digest resolver, or nil while no registry client is available.
    static func resolver() -> (any ImageDigestResolver)? { nil }
}

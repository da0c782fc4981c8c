import ArgumentParser

extension EnvctlCommand {
    /// Parses `arguments` exactly as the command line is parsed (subcommand, options, `validate()`) without
    /// running anything: nil when they parse (`--help` and `--version` included), otherwise ArgumentParser's
    /// message. The documented-examples test checks every command line shown in the docs with it.
    package static func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try parseAsRoot(arguments)
            return nil
        } catch {
            return exitCode(for: error) == .success ? nil : fullMessage(for: error)
        }
    }
}

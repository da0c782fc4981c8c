import ArgumentParser
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "login",
            abstract: "Check and store credentials for a registry (docker's config.json format).",
            discussion: """
                Credentials go to $ENVCTL_AUTH_FILE (default ~/.config/envctl/auth.json, mode 0600), through its
                credsStore/credHelpers when set, else as base64 'auth' like docker login. The password is read
                from --password-stdin or $ENVCTL_REGISTRY_PASSWORD, never from an argument.
                """)

        @Argument(help: "Registry host, e.g. ghcr.io or 127.0.0.1:5000")
        var server: String

        @Option(name: .long, help: "Auth file to write (default $ENVCTL_AUTH_FILE or ~/.config/envctl/auth.json).")
        var authFile: String?

        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let host = ImageReference.canonicalHost(server)
                guard
                    let username = registry.username ?? ProcessInfo.processInfo.environment["ENVCTL_REGISTRY_USERNAME"]
                else {
                    throw RegistryError(.invalidConfiguration, "envctl login needs --username")
                }
                var password = ProcessInfo.processInfo.environment["ENVCTL_REGISTRY_PASSWORD"]
                if registry.passwordStdin {
                    password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                        .trimmingCharacters(in: .newlines)
                }
                guard let password, !password.isEmpty else {
                    throw RegistryError(
                        .invalidConfiguration, "no password: use --password-stdin or ENVCTL_REGISTRY_PASSWORD")
                }
                let credential = RegistryCredential(.basic(username: username, password: password), source: "login")
                var opts = registry
                opts.username = nil
                opts.passwordStdin = false
                let base = try opts.makeClient(credentialsFor: nil, reporter: nil)
                let client = RegistryClient(
                    transport: base.transport,
                    options: .init(
                        configuration: base.options.configuration,
                        credentials: CredentialStore(explicit: [host: credential], authFiles: []),
                        retry: base.options.retry, events: base.options.events))
                try await client.checkLogin(host)
                try AuthFile.store(credential, for: host, in: authFile ?? CredentialStore.envctlAuthFile)
                Terminal.stderr(
                    "Login Succeeded (\(host), credentials stored in \(authFile ?? CredentialStore.envctlAuthFile))")
            }
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "logout", abstract: "Remove stored credentials for a registry.")

        @Argument(help: "Registry host.")
        var server: String

        @Option(name: .long, help: "Auth file (default $ENVCTL_AUTH_FILE or ~/.config/envctl/auth.json).")
        var authFile: String?

        func run() async throws {
            try await runRegistryCommand {
                let host = ImageReference.canonicalHost(server)
                let file = authFile ?? CredentialStore.envctlAuthFile
                if try AuthFile.remove(host, from: file) {
                    Terminal.stderr("Removed credentials for \(host) from \(file)")
                } else {
                    Terminal.stderr("Not logged in to \(host)")
                }
            }
        }
    }
}

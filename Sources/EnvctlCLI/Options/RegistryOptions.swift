import ArgumentParser
import CurlTransport
import Foundation
import OCIRegistry

/// Output and parallelism options shared by push, copy and mirror.
struct TransferOptions: ParsableArguments {
    @Option(name: .long, help: "Blobs transferred in parallel.")
    var jobs: Int = 4

    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Only print errors (and the JSON result).")
    var quiet = false
}

/// Options shared by the commands that talk to registries, and the one place registry clients are made:
/// every command that talks to a registry (lock, build, push, copy, mirror, inspect, login, run, reproduce,
/// pipeline) builds its client here, so the registries config, credentials, `--cert-dir` and `--verbose`
/// apply everywhere. A registries config that cannot be read is an error (exit 64 naming the file).
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .long, help: "Registries config (default: $ENVCTL_REGISTRIES_CONFIG or ~/.config/envctl/registries.yaml)."
    )
    var registriesConfig: String?

    @Option(
        name: .long, help: "Username for the destination registry (with --password-stdin or $ENVCTL_REGISTRY_PASSWORD)."
    )
    var username: String?

    @Flag(name: .long, help: "Read the destination registry's password from standard input.")
    var passwordStdin = false

    @Option(name: .long, help: "Directory of certs.d/<host>/ca.crt trees to search first.")
    var certDir: String?

    @Option(name: .long, help: "Attempts per request on network errors, 408, 429 and 5xx.")
    var retries: Int = 6

    @Option(
        name: .long,
        help: "Seconds one attempt of a registry API request (not a blob transfer) may take; 0 for no limit.")
    var requestTimeout: Int = 120

    @Option(name: .long, help: "Seconds one request may take over all its attempts; no retry starts after that.")
    var retryBudget: Double = 300

    @Flag(name: .long, help: "Log each registry request (method, URL without query, status; never credentials).")
    var verbose = false

    /// The registries config (`--registries-config`, else the default path), with `--cert-dir` searched first.
    func configuration() throws(RegistryError) -> RegistryConfiguration {
        var config = try RegistryConfiguration.load(path: registriesConfig)
        if let certDir { config.certDirectories.insert(certDir, at: 0) }
        return config
    }

    /// Builds a client; explicit credentials apply to `credentialsFor` (the command's destination registry).
    func makeClient(credentialsFor registry: String?, reporter: ProgressReporter?, concurrency: Int = 4) throws
        -> RegistryClient
    {
        let config = try configuration()
        var explicit: [String: RegistryCredential] = [:]
        let env = ProcessInfo.processInfo.environment
        if let registry, let user = username ?? env["ENVCTL_REGISTRY_USERNAME"] {
            var password = env["ENVCTL_REGISTRY_PASSWORD"]
            if passwordStdin {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            guard let password else {
                throw RegistryError(
                    .invalidConfiguration, "--username needs --password-stdin or ENVCTL_REGISTRY_PASSWORD")
            }
            explicit[registry] = RegistryCredential(.basic(username: user, password: password), source: "command line")
        }
        let verbose = self.verbose
        // Auth-file warnings (a world-readable config.json) print even where no progress is reported.
        let warn: @Sendable (String) -> Void = { w in
            if let reporter { reporter.handle(.warning(w)) } else { Terminal.stderr("warning: \(w)") }
        }
        var options = RegistryClient.Options(
            configuration: config, credentials: CredentialStore(explicit: explicit, warn: warn),
            retry: RetryPolicy(maxAttempts: retries, maxElapsed: retryBudget), concurrency: max(1, concurrency),
            events: { event in
                if case .http(let line) = event {
                    if verbose { Terminal.stderr("> \(line)") }
                    return
                }
                reporter?.handle(event)
            })
        options.requestTimeout = max(0, requestTimeout)
        return RegistryClient.curl(options: options, userAgent: "envctl/\(EnvctlCommand.envctlVersion)")
    }
}

/// Runs a registry operation, presenting failures through `ErrorPresentation`.
func runRegistryCommand(_ body: () async throws -> Void) async throws {
    try await ErrorPresentation.guarded(body)
}

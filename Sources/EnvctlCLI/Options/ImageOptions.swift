import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlTemplates
import Foundation

/// Options shared by `envctl dockerfile` and `envctl build`: which lock, which environment, which templates.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "The lock file to read.")
    var lock: String = Lockfile.fileName

    @Option(name: .customLong("env"), help: "Environment to use (required when the lock has several).")
    var environment: String?

    @Option(name: .customLong("templates-dir"), help: ArgumentHelp(
        "Directory of .mustache files laid over the built-in templates.",
        discussion: "A file replaces the built-in of the same name: a family (torch.mustache) or one block (_system-setup.mustache, _app.mustache). Defaults to .envctl/templates when it exists."))
    var templatesDirectory: String?

    @Option(name: .long, help: "Template family to use instead of the lock's framework (torch, tensorflow, jax, cuda).")
    var template: String?

    @Flag(name: .customLong("no-cache-mounts"), help: "Leave out RUN --mount=type=cache (for builders without BuildKit).")
    var noCacheMounts = false

    /// Loads the lock and picks the environment; exits 64 on a bad lock or name.
    func selectEnvironment() throws -> LockedEnvironment {
        let lockfile: Lockfile
        do { lockfile = try Lockfile.load(fileAt: lock) } catch {
            printError(error.description)
            throw ExitCode(64)
        }
        if let environment {
            guard let env = lockfile.environment(named: environment) else {
                printError("error: no environment '\(environment)' in \(lock); it has: \(lockfile.environments.map(\.name).joined(separator: ", "))")
                throw ExitCode(64)
            }
            return env
        }
        guard lockfile.environments.count == 1 else {
            printError("error: \(lock) has \(lockfile.environments.count) environments (\(lockfile.environments.map(\.name).joined(separator: ", "))); choose one with --env NAME")
            throw ExitCode(64)
        }
        return lockfile.environments[0]
    }

    /// Renders the Dockerfile for `env`; template problems exit 64.
    func render(_ env: LockedEnvironment, source: SourceInfo) throws -> String {
        var dir = templatesDirectory
        if dir == nil, FileManager.default.fileExists(atPath: ".envctl/templates") { dir = ".envctl/templates" }
        do {
            let renderer = DockerfileRenderer(templates: try TemplateSet.builtin(overlaidWith: dir))
            let inputs = RenderInputs(
                revision: source.revision, source: source.source, sourceDateEpoch: source.sourceDateEpoch,
                cacheMounts: !noCacheMounts)
            return try renderer.render(env, inputs: inputs, template: template)
        } catch {
            printError("error: \(error.description)")
            throw ExitCode(64)
        }
    }
}

/// Writes a line to stderr (diagnostics and the builder's live output).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

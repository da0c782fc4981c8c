import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlWorkflows
import Foundation

/// Options shared by `envctl dockerfile` and `envctl build`: which lock, which environment, which templates.
struct ImageOptions: ParsableArguments {
    @Option(
        name: .customLong("lock"),
        help: ArgumentHelp("The lock file to read (default: envctl.lock).", valueName: "path"))
    var lockFile: String?

    @Option(
        name: .long, help: ArgumentHelp("Path to envctl.yaml; the envctl.lock next to it is read.", valueName: "path"))
    var spec: String?

    @Option(name: .customLong("env"), help: "Environment to use (required when the lock has several).")
    var environment: String?

    @Option(
        name: .customLong("templates-dir"),
        help: ArgumentHelp(
            "Directory of .mustache files laid over the built-in templates.",
            discussion:
                "A file replaces the built-in of the same name: a family (torch.mustache) or one block (_system-setup.mustache, _app.mustache). Defaults to .envctl/templates when it exists."
        ))
    var templatesDirectory: String?

    @Option(name: .long, help: "Template family to use instead of the lock's framework (torch, tensorflow, jax, cuda).")
    var template: String?

    @Flag(
        name: .customLong("no-cache-mounts"), help: "Leave out RUN --mount=type=cache (for builders without BuildKit).")
    var noCacheMounts = false

    func validate() throws {
        if lockFile != nil && spec != nil { throw ValidationError("pass --spec or --lock, not both") }
    }

    /// `--lock`, else the lock next to `--spec`, else envctl.lock here.
    var lock: String { lockFile ?? spec.map(SpecOptions.lockPath(forSpec:)) ?? Lockfile.fileName }

    /// The spec next to the lock, whose `network:` section `build` and `dockerfile` read.
    var specPath: String {
        ((lock as NSString).deletingLastPathComponent as NSString).appendingPathComponent("envctl.yaml")
    }

    /// Loads the lock and picks the environment (bad input when the lock or the name is wrong).
    func selectEnvironment() throws -> LockedEnvironment {
        try Lockfile.load(fileAt: lock).selectEnvironment(environment, file: lock)
    }

    /// `--templates-dir`, else `.envctl/templates` next to the lock when it exists.
    var templates: String? { templatesDirectory ?? Self.localTemplates(nextTo: lock) }

    /// The project's `.envctl/templates` next to the lock at `lockPath`, when it exists: where `build`,
    /// `dockerfile` and `push --env` look for template overrides, whatever the working directory.
    static func localTemplates(nextTo lockPath: String) -> String? {
        let dir = (lockPath as NSString).deletingLastPathComponent
        let local = dir.isEmpty ? ".envctl/templates" : (dir as NSString).appendingPathComponent(".envctl/templates")
        return FileManager.default.fileExists(atPath: local) ? local : nil
    }

    /// Renders the Dockerfile for `env` (template problems are bad input).
    func render(_ env: LockedEnvironment, inputs: BuildInputs, network: NetworkAccess = NetworkAccess()) throws
        -> String
    {
        try ImageBuildWorkflow.render(
            env, inputs: inputs,
            recipe: BuildRecipe(
                templatesDirectory: templates, template: template, cacheMounts: !noCacheMounts, network: network))
    }
}

import ArgumentParser
import EnvctlModel
import EnvctlPython
import EnvctlRuns
import EnvctlWorkflows
import Foundation

extension EnvctlCommand {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add Python requirements to an environment, re-lock, and print what changed in the lock.",
            discussion: """
                Each PKG is a PEP 508 requirement (numpy, "numpy>=1.26,<3", "jax[cuda12]"). It goes where the environment keeps its requirements: a package already listed has its specifier replaced in place; otherwise it is added to the environment's requirements file when it names one, else to its `packages:` list in envctl.yaml. The edit touches only that line: comments, order and formatting stay. The lock is then rewritten with the other pins kept where they still fit (uv prefers the locked versions), and the lock diff is printed. Files are written only when the re-lock succeeds; --dry-run writes nothing.

                Examples:
                  envctl add "numpy>=2"
                  envctl add --env train einops tqdm --dry-run
                """)

        @Argument(help: "PEP 508 requirements to add or replace.") var packages: [String]
        @OptionGroup var edit: EditOptions

        func run() async throws {
            try await ErrorPresentation.guarded { try await edit.run(.add(packages)) }
        }
    }

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upgrade",
            abstract: "Move locked packages (or the framework) to the newest allowed versions and print the lock diff.",
            discussion: """
                upgrade PKG... re-pins those packages to the newest version the requirements allow and keeps every other pin (uv --upgrade-package). --all re-pins every Python package (uv --upgrade) and pins the base images by digest again. --framework moves the framework to the newest release the resolver allows for the fleet, rewriting its version series in envctl.yaml when the current one excludes it, and says which release it chose. Files are written only when the re-lock succeeds; --dry-run writes nothing.

                Examples:
                  envctl upgrade numpy
                  envctl upgrade --all --dry-run
                  envctl upgrade --framework --env train
                """)

        @Argument(help: "Packages to upgrade.") var packages: [String] = []
        @Flag(name: .long, help: "Upgrade every Python package and re-pin the images.") var all = false
        @Flag(name: .long, help: "Move the framework to the newest release the fleet allows.") var framework = false
        @OptionGroup var edit: EditOptions

        func validate() throws {
            let chosen = (packages.isEmpty ? 0 : 1) + (all ? 1 : 0) + (framework ? 1 : 0)
            if chosen != 1 { throw ValidationError("name packages, or pass --all or --framework (one of them)") }
        }

        func run() async throws {
            try await ErrorPresentation.guarded {
                try await edit.run(all ? .upgradeAll : framework ? .upgradeFramework : .upgrade(packages))
            }
        }
    }
}

/// Flags shared by `add` and `upgrade`, and the one way both call `EditRequirements` and show its outcome.
struct EditOptions: ParsableArguments {
    @OptionGroup var specOptions: SpecOptions
    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var network: NetworkOptions
    @Option(name: .customLong("env"), help: "Environment to change (required when the spec has several).")
    var environment: String?
    @Flag(name: .long, help: "Print the lock diff only; change no file.") var dryRun = false
    @Flag(name: .long, help: "Don't contact registries; uv uses only its cache (loopback indexes stay usable).")
    var offline = false
    @Flag(name: .long, help: "Print the lock diff as JSON.") var json = false

    func run(_ change: EditRequirements.Change) async throws {
        let options = specOptions
        // The re-lock reaches the same indexes as `lock`: the spec's `network:` section and these flags.
        let access = try network.access(specPath: options.spec)
        defer { access.remove() }
        let workflow = EditRequirements(
            specPath: options.spec, lockPath: options.lockPath, prepare: { try options.prepare($0) },
            pinner: try UVPinner(),
            images: offline ? nil : try registryOptions.makeClient(credentialsFor: nil, reporter: nil),
            offline: offline, generatedBy: "envctl \(EnvctlCommand.envctlVersion)", uvEnvironment: access.uvEnvironment)
        let outcome = try await workflow.run(change, environment: environment, dryRun: dryRun)
        if json {
            print(try Terminal.json(outcome.diff))
        } else {
            for note in outcome.notes { Terminal.stdout(note) }
            Terminal.stdout(EnvctlCommand.Diff.render(outcome.diff))
        }
        let files = outcome.files.isEmpty ? "nothing changed" : outcome.files.joined(separator: ", ")
        Terminal.stderr(
            outcome.files.isEmpty ? "nothing changed" : dryRun ? "dry run: would write \(files)" : "wrote \(files)")
    }
}

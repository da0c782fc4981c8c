import ArgumentParser
import EnvctlModel
import EnvctlRuns
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pipeline",
            abstract: "Pin and submit compiled Kubeflow pipelines (KFP v2 IR YAML).",
            subcommands: [Pin.self, Submit.self])

        struct Pin: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "pin",
                abstract: "Rewrite every executor image of a compiled pipeline to a digest.",
                discussion: """
                    Images whose repository is an environment's `image` get that environment's pushed digest
                    from envctl.lock. Other images are rejected (listed), or resolved through the registry with
                    --pin-external. Images set from a pipeline parameter are pinned through the parameter's
                    default. Steps that pip-install packages at start-up are reported: a digest cannot pin those.
                    """)

            @Argument(help: "The compiled pipeline (KFP v2 IR YAML, one or two documents).") var file: String
            @Option(name: .shortAndLong, help: "Write here instead of stdout.") var output: String?
            @Flag(name: .long, help: "Resolve images that belong to no environment through the registry.")
            var pinExternal = false
            @OptionGroup var registry: RegistryOptions
            @Option(
                name: .long,
                help: "Path to envctl.yaml; the envctl.lock next to it is used (default: found from here up).")
            var spec: String?

            func run() async throws {
                try await ErrorPresentation.guarded {
                    let result = try await PipelineFlow.pinShowingWarnings(
                        file: file, pinExternal: pinExternal,
                        registry: try registry.makeClient(credentialsFor: nil, reporter: nil),
                        lock: try spec.map { try SpecOptions.workspace(forSpec: $0).loadLock() })
                    let text = try result.pipeline.yaml()
                    if let output {
                        try AtomicFile.write(text, to: output)
                        for p in result.pins {
                            RunsPresentation.stderr("pinned \(p.executor): \(p.original) -> \(p.pinned) [\(p.source)]")
                        }
                    } else {
                        print(text, terminator: "")
                    }
                }
            }
        }
    }
}

extension PipelineFlow {
    /// `PipelineFlow.pin`, its warnings shown on stderr.
    static func pinShowingWarnings(file: String, pinExternal: Bool, registry: any ImageRegistry, lock: Lockfile? = nil)
        async throws -> PinResult
    {
        let result = try await pin(file: file, pinExternal: pinExternal, registry: registry, lock: lock)
        for w in result.warnings { RunsPresentation.stderr("warning: \(w)") }
        return result
    }
}

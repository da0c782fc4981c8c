import ArgumentParser
import CurlTransport
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand.Pipeline {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit",
            abstract:
                "Pin a compiled pipeline, upload it with a new version, and run that exact version on KFP or Vertex AI.",
            discussion: """
                KFP (REST v2beta1): the pipeline is uploaded (or found by name), a new version holding the pinned
                spec is uploaded, and the run is created against that version id, never "latest".
                Vertex AI: a pipelineJob is created with the pinned spec inline and labels for the git commit and
                lock hash. The bearer token comes from stdin with --token -, ENVCTL_PIPELINES_TOKEN or --token-file
                (never from an argument: the process list would show it).
                """)

        @Argument(help: "The compiled pipeline (KFP v2 IR YAML).") var file: String
        @OptionGroup var options: PipelineSubmitOptions
        @OptionGroup var registry: RegistryOptions
        @Option(
            name: .long, help: "Path to envctl.yaml; the envctl.lock next to it is used (default: found from here up).")
        var spec: String?

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                _ = try options.target()
                _ = try options.bearerToken()
                let workspace = try SpecOptions.workspace(forSpec: spec)
                let lock = try workspace.loadLock()
                let client = try registry.makeClient(credentialsFor: nil, reporter: nil)
                let result = try await PipelineFlow.pinShowingWarnings(
                    file: file, pinExternal: options.pinExternal, registry: client, lock: lock)
                let parameters = try options.parameters()
                let git = workspace.gitStamp()
                if git?.dirty == true {
                    RunsPresentation.stderr(
                        "warning: the working tree has uncommitted changes; the run is labelled with HEAD")
                }
                return try await PipelineFlow.submit(
                    .init(
                        pinned: result, file: PipelineFlow.workspaceRelative(file, root: workspace.root), git: git,
                        parameters: parameters),
                    options: options, registry: client, workspace: workspace)
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}

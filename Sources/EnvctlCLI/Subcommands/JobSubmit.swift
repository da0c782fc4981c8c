import ArgumentParser
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand.Job {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit the manifest to the Kubernetes API (kubeconfig), and record the run.",
            discussion: """
                --dry-run prints the manifest instead and submits nothing.
                """)

        @OptionGroup var job: JobOptions
        @Flag(name: .long, help: "Print the manifest; submit nothing.") var dryRun = false
        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await ErrorPresentation.guarded {
                let (plan, _) = try await job.plan(registry: registry)
                let documents = JobRenderer.render(plan)
                if dryRun {
                    print(try job.text(documents), terminator: "")
                    return
                }
                throw RunsError(.badInput, "submitting is not implemented yet; use --dry-run")
            }
        }
    }
}

import ArgumentParser
import CurlTransport
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand.Job {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit the manifest to the Kubernetes API (kubeconfig), and record the run.",
            discussion: """
                The kubeconfig is --kubeconfig, else $KUBECONFIG's first file, else ~/.kube/config; its current
                context (or --context) gives the server, CA, and credentials: a token, a client certificate, or an
                exec plugin such as gke-gcloud-auth-plugin. kubectl is not needed. The run is recorded in
                .envctl/runs (cluster, namespace, name, uid, digest); 'envctl reproduce --run ID' submits it again.
                --dry-run prints the manifest instead and submits nothing.
                """)

        @OptionGroup var job: JobOptions
        @Option(name: .long, help: "Kubeconfig file.") var kubeconfig: String?
        @Option(name: .long, help: "Kubeconfig context (default: its current-context).") var context: String?
        @Flag(name: .long, help: "Follow the job to its end and print rank 0's log; exit 1 if it failed.")
        var wait = false
        @Option(name: .long, help: "Give up waiting after this many seconds.") var timeout: Double = 86_400
        @Flag(name: .long, help: "Print the manifest; submit nothing.") var dryRun = false
        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                let path = kubeconfig ?? Kubeconfig.defaultPath()
                var namespace = "default"
                if !dryRun {
                    // Bad kubeconfigs are reported before anything is resolved or sent.
                    let resolved = try Kubeconfig.load(path: path).resolve(context: context)
                    namespace = resolved.namespace ?? namespace
                }
                let (plan, workspace) = try await job.plan(registry: registry, defaultNamespace: namespace)
                if dryRun {
                    print(try job.text(JobRenderer.render(plan)), terminator: "")
                    return 0
                }
                let (record, code) = try await JobFlow.submit(
                    plan, to: .init(kubeconfig: path, context: context), workspace: workspace,
                    git: workspace.gitStamp(), command: job.command, wait: wait, timeout: timeout,
                    transport: CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)"),
                    log: { RunsPresentation.stderr($0) }, output: { FileHandle.standardOutput.write($0) })
                RunsPresentation.stderr(
                    "envctl: job run \(record.id): \(record.status) (record: .envctl/runs/\(record.id).json)")
                return code
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}

import ArgumentParser
import CurlTransport
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand.Job {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit",
            abstract: "Submit the manifest to the Kubernetes API (kubeconfig), and record the run.",
            discussion: """
                The kubeconfig is --kubeconfig, else $KUBECONFIG's first file, else ~/.kube/config; its current
                context (or --context) gives the server, CA, and credentials: a token, a client certificate, or an
                exec plugin such as gke-gcloud-auth-plugin. kubectl is not needed. The run is recorded in
                .envctl/runs (cluster, namespace, name, uid, digest); 'envctl reproduce --run ID' submits it again.
                --dry-run prints the manifest instead and submits nothing.

                With --vertex PROJECT/REGION a Vertex AI CustomJob is created instead: machine and accelerator types
                from the lock's fleet GPUs (--vertex-machine-type picks another, e.g. a3-megagpu-8g), the image by
                digest, labels for the commit and lock hash. Credentials are
                Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS (a service-account key), gcloud, or
                the metadata server; the token is refreshed during --wait.
                """)

        @OptionGroup var job: JobOptions
        @Option(name: .long, help: "Kubeconfig file.") var kubeconfig: String?
        @Option(name: .long, help: "Kubeconfig context (default: its current-context).") var context: String?
        @Flag(name: .long, help: "Follow the job to its end and print rank 0's log; exit 1 if it failed.")
        var wait = false
        @Option(name: .long, help: "Give up waiting after this many seconds.") var timeout: Double = 86_400
        @Flag(name: .long, help: "Print the manifest; submit nothing.") var dryRun = false
        @Option(name: .long, help: "Create a Vertex AI CustomJob in PROJECT/REGION instead.") var vertex: String?
        @Option(name: .long, help: "Vertex: API endpoint (default https://REGION-aiplatform.googleapis.com).")
        var vertexEndpoint: String?
        @Option(
            name: .long,
            help: "Vertex: machine type (default: the smallest that carries --gpus-per-node of the fleet's GPU).")
        var vertexMachineType: String?
        @Option(name: .long, help: "Vertex: seconds between polls with --wait.") var pollInterval: Double = 30
        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                if let vertex { return try await submitVertex(vertex) }
                let path = kubeconfig ?? Kubeconfig.defaultPath()
                var namespace = "default"
                if !dryRun {
                    // Bad kubeconfigs are reported before anything is resolved or sent.
                    let resolved = try Kubeconfig.load(path: path).resolve(context: context)
                    namespace = resolved.namespace ?? namespace
                }
                let (plan, workspace) = try await job.plan(registry: registry, defaultNamespace: namespace)
                JobOptions.noteUnenforcedDriverFloor(plan)
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

        func submitVertex(_ vertex: String) async throws -> Int32 {
            let target = try VertexCustomJob.Target.parse(vertex, endpoint: vertexEndpoint)
            let (plan, workspace) = try await job.plan(registry: registry)
            let body = try JobFlow.vertexBody(workspace: workspace, plan: plan, machineType: vertexMachineType)
            if dryRun {
                print(body.json())
                return 0
            }
            let transport = CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)")
            let auth = GoogleAuth.discover(transport: transport)
            let (record, code) = try await VertexCustomJob.submit(
                plan, body: body, to: target, auth: auth, transport: transport, workspace: workspace,
                git: workspace.gitStamp(), wait: wait, pollInterval: pollInterval, timeout: timeout,
                log: { RunsPresentation.stderr($0) })
            RunsPresentation.stderr(
                "envctl: job run \(record.id): \(record.status) (record: .envctl/runs/\(record.id).json)")
            return code
        }
    }
}

import ArgumentParser
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand {
    struct Job: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "job",
            abstract: "Train on a cluster in exactly the locked image: Kubernetes Jobs and Vertex AI CustomJobs.",
            discussion: """
                The manifest pins the image by digest, requests nvidia.com/gpu, selects nodes by the GPU feature
                discovery labels for the lock's fleet GPUs and driver floor, mounts an in-memory /dev/shm, and labels
                everything with the commit, lock hash, environment and run id. See docs/clusters.md.

                Examples:
                  envctl job render --env train -- torchrun train.py
                  envctl job render --nodes 4 --gpus-per-node 8 --kind pytorchjob -- torchrun train.py
                  envctl job submit --nodes 2 --gpus-per-node 8 --wait -- torchrun train.py
                """,
            subcommands: [Render.self, Submit.self])

        struct Render: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "render",
                abstract: "Print the manifest for a command (YAML, or JSON with --format json).")

            @OptionGroup var job: JobOptions
            @OptionGroup var registry: RegistryOptions

            func run() async throws {
                try await ErrorPresentation.guarded {
                    let (plan, _) = try await job.plan(registry: registry)
                    JobOptions.noteUnenforcedDriverFloor(plan)
                    print(try job.text(JobRenderer.render(plan)), terminator: "")
                }
            }
        }
    }
}

enum ManifestFormat: String, ExpressibleByArgument, CaseIterable { case yaml, json }
extension JobKind: ExpressibleByArgument {}
extension NodeLabels: ExpressibleByArgument {}

/// The flags every `envctl job` verb shares: which environment, what shape of job, and the command.
struct JobOptions: ParsableArguments {
    @Option(name: .long, help: "Environment (needed when the lock has several).") var env: String?
    @Option(name: .long, help: "job (default; indexed Job + headless Service for several nodes), pytorchjob or jobset.")
    var kind: JobKind = .job
    @Option(name: .long, help: "Nodes (pods), each with --gpus-per-node GPUs.") var nodes = 1
    @Option(name: .long, help: "GPUs per node (nvidia.com/gpu limit; torchrun's nproc-per-node).") var gpusPerNode: Int?
    @Option(name: .long, help: "Size limit of the in-memory /dev/shm (a Kubernetes quantity).") var shmSize = "16Gi"
    @Option(name: .long, help: "Kubernetes namespace.") var namespace: String?
    @Option(name: .long, help: "Job name (default envctl-<env>-<run id>).") var name: String?
    @Option(name: .long, help: "Run id (default: a new one).") var runID: String?
    @Option(
        name: .long,
        help: """
            Node labels that pick GPU nodes: gfd (NVIDIA GPU feature discovery, i.e. the GPU Operator; enforces the \
            driver floor) or gke (GKE's cloud.google.com/gke-accelerator; no driver label there).
            """)
    var nodeLabels: NodeLabels = .gfd
    @Option(name: .long, help: "Output format: yaml or json.") var format: ManifestFormat = .yaml
    @Argument(parsing: .postTerminator, help: "The command, after --.") var command: [String] = []

    func planOptions(defaultNamespace: String = "default") -> JobPlan.Options {
        var o = JobPlan.Options()
        o.kind = kind
        o.nodes = nodes
        o.gpusPerNode = gpusPerNode
        o.shmSize = shmSize
        o.namespace = namespace ?? defaultNamespace
        o.name = name
        o.runID = runID
        o.nodeLabels = nodeLabels
        return o
    }

    /// Says on stderr that GKE's labels cannot hold nodes to the lock's driver floor.
    static func noteUnenforcedDriverFloor(_ plan: JobPlan) {
        guard let major = plan.unenforcedDriverMajor else { return }
        RunsPresentation.stderr(
            "envctl: note: GKE node labels carry no driver version, so the lock's driver floor (\(major)) is not "
                + "enforced; GKE installs the driver its node version pins (gpu-driver-version default or latest)")
    }

    func plan(registry: RegistryOptions, defaultNamespace: String = "default") async throws -> (JobPlan, Workspace) {
        let workspace = try Workspace.locate()
        let client = try registry.makeClient(credentialsFor: nil, reporter: nil)
        let (plan, _) = try await JobFlow.plan(
            workspace: workspace, environment: env, command: command,
            options: planOptions(defaultNamespace: defaultNamespace), registry: client)
        return (plan, workspace)
    }

    func text(_ documents: [ManifestValue]) throws -> String {
        switch format {
        case .yaml: return try ManifestValue.yaml(documents)
        case .json:
            let value: ManifestValue =
                documents.count == 1
                ? documents[0]
                : .object([("apiVersion", .string("v1")), ("kind", .string("List")), ("items", .array(documents))])
            return value.json() + "\n"
        }
    }
}

package import Foundation

/// What a run used and how it ended: written to `.envctl/runs/<id>.json` when the run starts and
/// rewritten when it ends, so an interrupted run still leaves a record.
package struct RunRecord: Sendable, Hashable, Codable {
    package static let schemaVersion = 1

    package enum Kind: String, Sendable, Hashable, Codable {
        case container
        case kfp
        case vertex
        /// `envctl job submit`: a Kubernetes Job, PyTorchJob or JobSet.
        case kubernetes
        /// `envctl job submit --vertex`: a Vertex AI CustomJob.
        case vertexCustomJob = "vertex-custom-job"
    }

    /// Where `envctl job submit` sent a job, and the shape it asked for (so `reproduce` can send it again).
    package struct ClusterStamp: Sendable, Hashable, Codable {
        /// The kubeconfig cluster name, or `vertex PROJECT/REGION`.
        package var cluster: String
        package var server: String?
        package var context: String?
        package var namespace: String?
        package var name: String
        package var uid: String?
        /// `job`, `pytorchjob`, `jobset` or `customjob`.
        package var workload: String
        package var nodes: Int
        package var gpusPerNode: Int
        package var shmSize: String?
        package var state: String?
        /// The node labels that picked the GPU nodes when not GFD's: `gke`.
        package var nodeLabels: String?

        package init(
            cluster: String, server: String?, context: String?, namespace: String?, name: String, uid: String?,
            workload: String, nodes: Int, gpusPerNode: Int, shmSize: String?, state: String? = nil,
            nodeLabels: String? = nil
        ) {
            self.cluster = cluster
            self.server = server
            self.context = context
            self.namespace = namespace
            self.name = name
            self.uid = uid
            self.workload = workload
            self.nodes = nodes
            self.gpusPerNode = gpusPerNode
            self.shmSize = shmSize
            self.state = state
            self.nodeLabels = nodeLabels
        }
    }

    package struct GitStamp: Sendable, Hashable, Codable {
        package var commit: String?
        package var dirty: Bool
        package var changedPaths: [String]

        package init(commit: String?, dirty: Bool, changedPaths: [String]) {
            self.commit = commit
            self.dirty = dirty
            self.changedPaths = changedPaths
        }
    }

    package struct ImageStamp: Sendable, Hashable, Codable {
        /// What was run: `repo@sha256:…` for pushed images, or a local tag.
        package var reference: String
        /// The manifest digest, when the image came from a registry.
        package var digest: String?
        /// Where it came from: `pushed` (the lock's pushed digest), `local` (a local build, not portable),
        /// or `pipeline` (an executor of a pinned pipeline).
        package var source: String

        package init(reference: String, digest: String?, source: String) {
            self.reference = reference
            self.digest = digest
            self.source = source
        }
    }

    package struct PipelineStamp: Sendable, Hashable, Codable {
        /// The compiled pipeline, relative to the workspace root when it lies inside it (so `reproduce`
        /// can read it from a commit).
        package var file: String
        package var endpoint: String
        package var pipelineID: String?
        package var versionID: String?
        package var remoteRunID: String?
        package var state: String?
        /// The run parameters it was submitted with (`--param`); `reproduce` submits them again.
        package var parameters: [String: String]?

        package init(
            file: String, endpoint: String, pipelineID: String? = nil, versionID: String? = nil,
            remoteRunID: String? = nil,
            state: String? = nil, parameters: [String: String]? = nil
        ) {
            self.parameters = parameters
            self.file = file
            self.endpoint = endpoint
            self.pipelineID = pipelineID
            self.versionID = versionID
            self.remoteRunID = remoteRunID
            self.state = state
        }
    }

    /// A container run's settings from `envctl run`'s flags. Variables are kept by name only: their values
    /// (often secrets) are never written.
    package struct ContainerStamp: Sendable, Hashable, Codable {
        package var name: String?
        package var workdir: String?
        /// The variables set with `-e` and by `--env-file`s, sorted; no values.
        package var environmentNames: [String]
        package var envFiles: [String]
        package var volumes: [String]
        package var publish: [String]
        /// `all`, `none`, or the selected indices/UUIDs.
        package var gpus: String
        /// `--shm-size`; nil: the host's IPC namespace (`--ipc=host`).
        package var shmSize: String?

        package init(
            name: String?, workdir: String?, environmentNames: [String], envFiles: [String], volumes: [String],
            publish: [String], gpus: String, shmSize: String? = nil
        ) {
            self.name = name
            self.workdir = workdir
            self.environmentNames = environmentNames
            self.envFiles = envFiles
            self.volumes = volumes
            self.publish = publish
            self.gpus = gpus
            self.shmSize = shmSize
        }
    }

    package var schema: Int = RunRecord.schemaVersion
    package var id: String
    package var kind: Kind
    /// RFC 3339 UTC.
    package var startedAt: String
    package var endedAt: String?
    /// nil while running (or when the process was lost).
    package var exitCode: Int32?
    package var command: [String]
    package var workspace: String
    package var git: GitStamp?
    package var environment: String
    /// The environment's locked content hash.
    package var lockHash: String
    package var images: [ImageStamp]
    package var runtime: String?
    package var host: HostGPUReport?
    package var preflight: [PreflightFinding]
    package var pipeline: PipelineStamp?
    /// Set for `envctl job submit` runs.
    package var job: ClusterStamp?
    /// Set by `envctl reproduce`: the commit the lock and code came from.
    package var reproducedFrom: String?
    /// Tags added so registry clean-up keeps the digests (`envctl-run-<id>`).
    package var protectiveTags: [String]
    /// `envctl run`'s container settings; absent in records written before they existed, and for pipelines.
    package var container: ContainerStamp?

    package init(
        id: String, kind: Kind, startedAt: Date, command: [String], workspace: String, git: GitStamp?,
        environment: String,
        lockHash: String, images: [ImageStamp], runtime: String?, host: HostGPUReport?,
        preflight: [PreflightFinding] = []
    ) {
        self.id = id
        self.kind = kind
        self.startedAt = RunRecord.timestamp(startedAt)
        self.command = command
        self.workspace = workspace
        self.git = git
        self.environment = environment
        self.lockHash = lockHash
        self.images = images
        self.runtime = runtime
        self.host = host
        self.preflight = preflight
        self.protectiveTags = []
    }

    package var status: String {
        if let pipeline, exitCode == nil { return pipeline.state ?? "submitted" }
        if let job, exitCode == nil { return job.state ?? "submitted" }
        guard let exitCode else { return endedAt == nil ? "running" : "unknown" }
        return exitCode == 0 ? "succeeded" : "failed (\(exitCode))"
    }

    package static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// `20261125-130632-5f1c9a`: sortable by start time, unique enough for one workspace, and valid as
    /// an OCI tag suffix.
    package static func newID(at date: Date = Date()) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        let random = (0..<3).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(f.string(from: date))-\(random)"
    }

    /// The tag that keeps this run's digests alive in the registry.
    package var protectiveTag: String { "envctl-run-\(id)" }
}

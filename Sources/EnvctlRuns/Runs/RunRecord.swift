import Foundation

/// What a run used and how it ended: written to `.envctl/runs/<id>.json` when the run starts and
/// rewritten when it ends, so an interrupted run still leaves a record.
public struct RunRecord: Sendable, Hashable, Codable {
    public static let schemaVersion = 1

    public enum Kind: String, Sendable, Hashable, Codable {
        case container
        case kfp
        case vertex
    }

    public struct GitStamp: Sendable, Hashable, Codable {
        public var commit: String?
        public var dirty: Bool
        public var changedPaths: [String]

        public init(commit: String?, dirty: Bool, changedPaths: [String]) {
            self.commit = commit
            self.dirty = dirty
            self.changedPaths = changedPaths
        }
    }

    public struct ImageStamp: Sendable, Hashable, Codable {
        /// What was run: `repo@sha256:…` for pushed images, or a local tag.
        public var reference: String
        /// The manifest digest, when the image came from a registry.
        public var digest: String?
        /// Where it came from: `pushed` (the lock's pushed digest), `local` (a local build, not portable),
        /// or `pipeline` (an executor of a pinned pipeline).
        public var source: String

        public init(reference: String, digest: String?, source: String) {
            self.reference = reference
            self.digest = digest
            self.source = source
        }
    }

    public struct PipelineStamp: Sendable, Hashable, Codable {
        /// The compiled pipeline, relative to the workspace root when it lies inside it (so `reproduce`
        /// can read it from a commit).
        public var file: String
        public var endpoint: String
        public var pipelineID: String?
        public var versionID: String?
        public var remoteRunID: String?
        public var state: String?
        /// The run parameters it was submitted with (`--param`); `reproduce` submits them again.
        public var parameters: [String: String]?

        public init(
            file: String, endpoint: String, pipelineID: String? = nil, versionID: String? = nil, remoteRunID: String? = nil,
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

    public var schema: Int = RunRecord.schemaVersion
    public var id: String
    public var kind: Kind
    /// RFC 3339 UTC.
    public var startedAt: String
    public var endedAt: String?
    /// nil while running (or when the process was lost).
    public var exitCode: Int32?
    public var command: [String]
    public var workspace: String
    public var git: GitStamp?
    public var environment: String
    /// The environment's locked content hash.
    public var lockHash: String
    public var images: [ImageStamp]
    public var runtime: String?
    public var host: HostGPUReport?
    public var preflight: [PreflightFinding]
    public var pipeline: PipelineStamp?
    /// Set by `envctl reproduce`: the commit the lock and code came from.
    public var reproducedFrom: String?
    /// Tags added so registry clean-up keeps the digests (`envctl-run-<id>`).
    public var protectiveTags: [String]

    public init(
        id: String, kind: Kind, startedAt: Date, command: [String], workspace: String, git: GitStamp?, environment: String,
        lockHash: String, images: [ImageStamp], runtime: String?, host: HostGPUReport?, preflight: [PreflightFinding] = []
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

    public var status: String {
        if let pipeline, exitCode == nil { return pipeline.state ?? "submitted" }
        guard let exitCode else { return endedAt == nil ? "running" : "unknown" }
        return exitCode == 0 ? "succeeded" : "failed (\(exitCode))"
    }

    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// `20261125-130632-5f1c9a`: sortable by start time, unique enough for one workspace, and valid as
    /// an OCI tag suffix.
    public static func newID(at date: Date = Date()) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        let random = (0..<3).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(f.string(from: date))-\(random)"
    }

    /// The tag that keeps this run's digests alive in the registry.
    public var protectiveTag: String { "envctl-run-\(id)" }
}

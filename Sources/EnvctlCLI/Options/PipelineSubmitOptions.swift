import ArgumentParser
import CurlTransport
import EnvctlModel
import EnvctlRuns
import Foundation
import OCIRegistry

/// Where and how a pinned pipeline is submitted: shared by `envctl pipeline submit` and `envctl reproduce`
/// of a pipeline run.
struct PipelineSubmitOptions: ParsableArguments {
    @Option(name: .long, help: "KFP API base URL, e.g. https://kubeflow.example.com/pipeline.") var kfp: String?
    @Option(name: .long, help: "Vertex AI PROJECT/REGION.") var vertex: String?
    @Option(name: .long, help: "KFP namespace (multi-user mode).") var namespace: String?
    @Option(name: .long, help: "KFP experiment (created when missing).") var experiment = "Default"
    @Option(name: .long, help: "Vertex: gs:// output directory (default: the spec's pipeline root).") var gcsOutput: String?
    @Option(name: .long, help: "Vertex: API endpoint (default https://REGION-aiplatform.googleapis.com).") var vertexEndpoint: String?
    @Option(name: .long, help: "Bearer token.") var token: String?
    @Option(name: .long, help: "File holding the bearer token.") var tokenFile: String?
    @Option(name: .long, help: "Run parameter NAME=VALUE (repeatable).") var param: [String] = []
    @Flag(name: .long, help: "Resolve images of no environment through the registry.") var pinExternal = false
    @Flag(name: .long, help: "Wait until the run reaches a terminal state (CANCELED included).") var wait = false
    @Option(name: .long, help: "Seconds between polls with --wait.") var pollInterval: Double = 5
    @Option(name: .long, help: "Give up waiting after this many seconds.") var timeout: Double = 86_400

    var hasTarget: Bool { kfp != nil || vertex != nil }

    func target() throws -> PipelineTarget {
        switch (kfp, vertex) {
        case (let url?, nil):
            guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else {
                throw RunsError(.badInput, "--kfp '\(url)' is not an http(s) URL")
            }
            return .kfp(baseURL: u, namespace: namespace, experiment: experiment)
        case (nil, let pr?):
            let parts = pr.split(separator: "/")
            guard parts.count == 2 else { throw RunsError(.badInput, "--vertex takes PROJECT/REGION, got '\(pr)'") }
            return .vertex(project: String(parts[0]), region: String(parts[1]), endpoint: vertexEndpoint.flatMap(URL.init(string:)), outputDirectory: gcsOutput)
        default:
            throw RunsError(.badInput, "give exactly one of --kfp URL or --vertex PROJECT/REGION")
        }
    }

    func bearerToken() throws -> String? {
        if let token { return token }
        if let t = ProcessInfo.processInfo.environment["ENVCTL_PIPELINES_TOKEN"], !t.isEmpty { return t }
        let path = tokenFile ?? "/var/run/secrets/kubeflow/pipelines/token"
        if let data = FileManager.default.contents(atPath: path) {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if tokenFile != nil { throw RunsError(.badInput, "cannot read token file '\(path)'") }
        return nil
    }

    /// `--param NAME=VALUE` values laid over `base` (a reproduced run's recorded parameters).
    func parameters(over base: [String: String] = [:]) throws -> [String: String] {
        var parameters = base
        for p in param {
            guard let eq = p.firstIndex(of: "=") else { throw RunsError(.badInput, "--param '\(p)' is not NAME=VALUE") }
            parameters[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return parameters
    }
}

extension PipelineFlow {
    /// What is submitted: the pinned pipeline and where it came from.
    struct Submission {
        var pinned: PinResult
        /// The pipeline file as recorded: relative to the workspace root when inside it.
        var file: String
        var git: RunRecord.GitStamp?
        var parameters: [String: String]
        /// `reproduce`: the commit the lock and pipeline came from, and the run reproduced.
        var reproducedFrom: String?
        var reproducesRun: String?
    }

    /// Submits, writes the run record (with protective tags on every pinned digest), and with `--wait`
    /// polls until a terminal state. Returns the exit status: 0 submitted (or SUCCEEDED), 1 otherwise.
    static func submit(_ s: Submission, options: PipelineSubmitOptions, registry: any ImageRegistry, workspace: Workspace)
        async throws -> Int32
    {
        let target = try options.target()
        let token = try options.bearerToken()
        let result = s.pinned
        let lockHash = result.environments.first?.hash
        var labels = PipelineSubmitter.labels(commit: s.git?.commit, lockHash: lockHash, environments: result.environments.map(\.name))
        if let original = s.reproducesRun { labels["envctl-reproduces"] = String(original.lowercased().prefix(64)) }
        let id = RunRecord.newID()
        let submitter = PipelineSubmitter(
            transport: CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)"), token: token, log: RunsPresentation.log)
        let submitted = try await submitter.submit(
            result.pipeline, to: target, displayName: "\(result.pipeline.name)-\(id)", labels: labels,
            parameters: s.parameters, versionName: "envctl-\(id)")

        let kind: RunRecord.Kind = if case .vertex = target { .vertex } else { .kfp }
        var record = RunRecord(
            id: id, kind: kind, startedAt: Date(), command: ["pipeline", "submit", s.file],
            workspace: workspace.root, git: s.git, environment: result.environments.map(\.name).joined(separator: ","),
            lockHash: lockHash ?? "",
            images: result.pins.map { .init(reference: $0.pinned, digest: ImageReference.components(of: $0.pinned).digest, source: "pipeline") },
            runtime: nil, host: nil)
        record.pipeline = .init(
            file: s.file, endpoint: target.description, pipelineID: submitted.pipelineID, versionID: submitted.versionID,
            remoteRunID: submitted.runID, state: submitted.state, parameters: s.parameters)
        record.reproducedFrom = s.reproducedFrom
        try workspace.runs.save(record)
        await protect(&record, registry: registry)
        try workspace.runs.save(record)
        RunsPresentation.stderr("envctl: submitted run \(submitted.runID)\(submitted.versionID.map { " (pipeline version \($0))" } ?? "") — record \(id)")
        guard options.wait else { return 0 }
        let state = try await submitter.wait(for: submitted, on: target, interval: options.pollInterval, timeout: options.timeout)
        record.pipeline?.state = state
        record.endedAt = RunRecord.timestamp(Date())
        let ok = state == "SUCCEEDED" || state == "PIPELINE_STATE_SUCCEEDED"
        record.exitCode = ok ? 0 : 1
        try workspace.runs.save(record)
        RunsPresentation.stderr("envctl: run \(submitted.runID) finished: \(state)")
        return ok ? 0 : 1
    }

    /// Tags every pinned digest `envctl-run-<id>` so registry clean-up keeps it.
    static func protect(_ record: inout RunRecord, registry: any ImageRegistry) async {
        var seen = Set<String>()
        for image in record.images {
            guard let digest = image.digest else { continue }
            let repo = ImageReference.components(of: image.reference).name
            guard seen.insert(repo + digest).inserted else { continue }
            do {
                try await registry.addTag(repository: repo, digest: digest, tag: record.protectiveTag)
                record.protectiveTags.append("\(repo):\(record.protectiveTag)")
            } catch {
                RunsPresentation.stderr("warning: could not add protective tag to \(repo)@\(digest): \(error.message)")
            }
        }
    }

    /// `file` relative to the workspace root when it lies inside it (so a later `reproduce` finds it in
    /// the commit), else as given.
    static func workspaceRelative(_ file: String, root: String) -> String {
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let standard = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        return standard.hasPrefix(base + "/") ? String(standard.dropFirst(base.count + 1)) : file
    }
}

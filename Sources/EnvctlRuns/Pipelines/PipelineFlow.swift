package import EnvctlModel
import Foundation
package import OCIRegistry

/// The shared steps of `pipeline pin`, `pipeline submit` and `reproduce` of a pipeline run: pin a compiled
/// pipeline, submit it, record the run, protect its images, and (with `wait`) follow it to the end.
package enum PipelineFlow {
    /// What is submitted: the pinned pipeline and where it came from.
    package struct Submission {
        package var pinned: PinResult
        /// The pipeline file as recorded: relative to the workspace root when inside it.
        package var file: String
        package var git: RunRecord.GitStamp?
        package var parameters: [String: String]
        /// `reproduce`: the commit the lock and pipeline came from, and the run reproduced.
        package var reproducedFrom: String?
        package var reproducesRun: String?

        package init(
            pinned: PinResult, file: String, git: RunRecord.GitStamp?, parameters: [String: String],
            reproducedFrom: String? = nil, reproducesRun: String? = nil
        ) {
            self.pinned = pinned
            self.file = file
            self.git = git
            self.parameters = parameters
            self.reproducedFrom = reproducedFrom
            self.reproducesRun = reproducesRun
        }
    }

    /// Where to submit and whether to wait.
    package struct Settings: Sendable {
        package var target: PipelineTarget
        package var wait: Bool
        package var pollInterval: Double
        package var timeout: Double

        package init(target: PipelineTarget, wait: Bool = false, pollInterval: Double = 5, timeout: Double = 86_400) {
            self.target = target
            self.wait = wait
            self.pollInterval = pollInterval
            self.timeout = timeout
        }
    }

    /// Reads and parses the compiled pipeline at `file` and pins it against `lock` (default: the
    /// workspace's lock). Warnings are in the result, for the caller to show.
    package static func pin(
        file: String, pinExternal: Bool, registry: any ImageRegistry, lock explicitLock: Lockfile? = nil
    )
        async throws -> PinResult
    {
        let data: Data
        do {
            data = try BoundedFile.contents(of: file, limit: InputLimits.pipelineBytes)
        } catch {
            throw RunsError(
                .badInput, "cannot read pipeline file '\(file)': \(error.reason(what: "a compiled pipeline"))")
        }
        let pipeline = try KFPPipeline.parse(String(decoding: data, as: UTF8.self), file: file)
        let lock = try explicitLock ?? Workspace.locate().loadLock()
        return try await PipelinePinner(lock: lock, registry: registry, pinExternal: pinExternal).pin(
            pipeline, file: file)
    }

    /// Submits, writes the run record (with protective tags on every pinned digest), and with `wait`
    /// polls until a terminal state. Progress and warnings go to `log`.
    /// - Returns: the exit status: 0 submitted (or SUCCEEDED), 1 otherwise.
    package static func submit(
        _ s: Submission, settings: Settings, submitter: PipelineSubmitter, registry: any ImageRegistry,
        workspace: Workspace,
        log: (String) -> Void
    ) async throws -> Int32 {
        let target = settings.target
        let result = s.pinned
        let lockHash = result.environments.first?.hash
        var labels = PipelineSubmitter.labels(
            commit: s.git?.commit, lockHash: lockHash, environments: result.environments.map(\.name))
        if let original = s.reproducesRun { labels["envctl-reproduces"] = String(original.lowercased().prefix(64)) }
        let id = RunRecord.newID()
        let submitted = try await submitter.submit(
            result.pipeline, to: target, displayName: "\(result.pipeline.name)-\(id)", labels: labels,
            parameters: s.parameters, versionName: "envctl-\(id)")

        let kind: RunRecord.Kind = if case .vertex = target { .vertex } else { .kfp }
        var record = RunRecord(
            id: id, kind: kind, startedAt: Date(), command: ["pipeline", "submit", s.file],
            workspace: workspace.root, git: s.git, environment: result.environments.map(\.name).joined(separator: ","),
            lockHash: lockHash ?? "",
            images: result.pins.map {
                .init(reference: $0.pinned, digest: ImageReference.components(of: $0.pinned).digest, source: "pipeline")
            },
            runtime: nil, host: nil)
        record.pipeline = .init(
            file: s.file, endpoint: target.description, pipelineID: submitted.pipelineID,
            versionID: submitted.versionID,
            remoteRunID: submitted.runID, state: submitted.state, parameters: s.parameters)
        record.reproducedFrom = s.reproducedFrom
        try workspace.runs.save(record)
        await protect(&record, registry: registry, log: log)
        try workspace.runs.save(record)
        log(
            "envctl: submitted run \(submitted.runID)\(submitted.versionID.map { " (pipeline version \($0))" } ?? "") — record \(id)"
        )
        guard settings.wait else { return 0 }
        let state = try await submitter.wait(
            for: submitted, on: target, interval: settings.pollInterval, timeout: settings.timeout)
        record.pipeline?.state = state
        record.endedAt = RunRecord.timestamp(Date())
        let ok = state == "SUCCEEDED" || state == "PIPELINE_STATE_SUCCEEDED"
        record.exitCode = ok ? 0 : 1
        try workspace.runs.save(record)
        log("envctl: run \(submitted.runID) finished: \(state)")
        return ok ? 0 : 1
    }

    /// Tags every pinned digest `envctl-run-<id>` so registry clean-up keeps it; a tag that cannot be
    /// added is a warning, not a failure.
    package static func protect(_ record: inout RunRecord, registry: any ImageRegistry, log: (String) -> Void) async {
        var seen = Set<String>()
        for image in record.images {
            guard let digest = image.digest else { continue }
            let repo = ImageReference.components(of: image.reference).name
            guard seen.insert(repo + digest).inserted else { continue }
            do {
                try await registry.addTag(repository: repo, digest: digest, tag: record.protectiveTag)
                record.protectiveTags.append("\(repo):\(record.protectiveTag)")
            } catch {
                log("warning: could not add protective tag to \(repo)@\(digest): \(error)")
            }
        }
    }

    /// `file` relative to the workspace root when it lies inside it (so a later `reproduce` finds it in
    /// the commit), else as given.
    package static func workspaceRelative(_ file: String, root: String) -> String {
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let standard = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        return standard.hasPrefix(base + "/") ? String(standard.dropFirst(base.count + 1)) : file
    }
}

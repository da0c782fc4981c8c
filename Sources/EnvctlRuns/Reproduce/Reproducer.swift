package import EnvctlModel
import Foundation
package import GitSupport
package import OCIRegistry

/// What `envctl reproduce` will do; printed by `--dry-run`.
package struct ReproducePlan: Sendable, Hashable, Codable {
    package var commit: CommitInfo
    /// The environment as the lock at `commit` has it: what runs, and what `--rebuild` builds.
    package var locked: LockedEnvironment
    package var environment: String { locked.name }
    package var lockHash: String
    package var image: RunRecord.ImageStamp
    package var command: [String]
    /// The run record the command came from, when `--run` was given.
    package var fromRun: String?
    package var notes: [String]
    /// With `--rebuild`: where a rebuilt image is pushed (`<repository>:<content tag>`).
    package var rebuildTarget: String?
    /// The recorded run's container settings (GPUs, working directory, `/dev/shm`, and with
    /// `replayHostSettings` its volumes, ports, env files and variable names).
    package var container: RunRecord.ContainerStamp?
    package var replayHostSettings: Bool = false

    /// The container options the run gets (checked as `run` checks its flags).
    package func containerOptions(
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RunsError) -> ContainerOptions {
        guard let container, let fromRun else { return ContainerOptions() }
        return try ContainerOptions.replaying(
            container, runID: fromRun, hostSettings: replayHostSettings, processEnvironment: processEnvironment)
    }
}

/// `envctl reproduce`: the lock (and run record) at a commit, the image digest checked in the registry,
/// the commit's tree checked out into a temporary directory, and the command run there.
///
/// Every check happens before anything is written, so bad input leaves the workspace untouched.
package struct Reproducer {
    package var source: LockSource
    package var workspace: String
    package var registry: (any ImageRegistry)?

    package init(source: LockSource, workspace: String, registry: (any ImageRegistry)?) {
        self.source = source
        self.workspace = workspace
        self.registry = registry
    }

    /// Reads and checks everything the reproduction needs; writes nothing.
    /// - Parameter rebuild: `--rebuild`: an environment without a pushed digest is not an error, its
    ///   image will be built from the lock.
    /// - Parameter replayHostSettings: `--replay-settings`: also apply the run's volumes, ports, env files and
    ///   variables (see ``ContainerOptions/replaying(_:runID:hostSettings:processEnvironment:)``).
    package func plan(
        revision: String, environment: String?, runID: String?, command: [String], rebuild: Bool = false,
        replayHostSettings: Bool = false
    ) async throws(RunsError) -> ReproducePlan {
        let (commit, lock) = try source.lock(at: revision)
        var notes: [String] = []
        var record: RunRecord?
        if let runID { record = try loadRecord(runID, commit: commit) }
        let envName = environment ?? record?.environment
        let env: LockedEnvironment
        do { env = try lock.selectEnvironment(envName, file: "\(source.lockPath) at \(commit.shortID)") } catch {
            throw RunsError(.badInput, "", cause: error)
        }
        if let record, record.lockHash != env.hash {
            notes.append(
                "run \(record.id) used lock hash \(record.lockHash), but \(commit.shortID)'s lock has \(env.hash) for '\(env.name)'"
            )
        }
        if let record, let rc = record.git?.commit, rc != commit.id {
            notes.append("run \(record.id) was recorded at commit \(String(rc.prefix(12))), not \(commit.shortID)")
        }
        if record?.git?.dirty == true {
            notes.append(
                "run \(record!.id) ran with uncommitted changes (\(record!.git!.changedPaths.joined(separator: ", "))); the commit's tree lacks them"
            )
        }
        let cmd = command.isEmpty ? (record?.command ?? []) : command
        guard !cmd.isEmpty else {
            throw RunsError(
                .badInput, "no command to reproduce",
                hint: "give --run ID to rerun a recorded command, or the command after --")
        }
        let repository = env.pushed.map { ImageReference.components(of: $0.reference).name } ?? env.image
        let rebuildTarget = rebuild ? repository.map { "\($0):\(env.contentTag)" } : nil
        if rebuild && rebuildTarget == nil {
            throw RunsError(
                .badInput,
                "environment '\(env.name)' at \(commit.shortID) has no image repository to push a rebuilt image to",
                hint: "the lock at that commit needs `image:` (or a pushed record) for '\(env.name)'")
        }
        let image: RunRecord.ImageStamp
        if let pushed = env.pushed, ImageReference.isSHA256Digest(pushed.digest) {
            image = .init(reference: pushed.pinnedReference, digest: pushed.digest, source: "pushed")
        } else if let rebuildTarget {
            notes.append(
                "environment '\(env.name)' at \(commit.shortID) has no pushed image digest; --rebuild builds \(rebuildTarget) from the lock"
            )
            image = .init(reference: rebuildTarget, digest: nil, source: "rebuilt")
        } else {
            throw RunsError(
                .badInput,
                "environment '\(env.name)' at \(commit.shortID) has no pushed image digest, so there is nothing exact to run",
                hint: "--rebuild builds it from the lock at that commit")
        }
        if let record, let stamp = record.container, !replayHostSettings {
            let skipped = ContainerOptions.hostSettings(of: stamp)
            if !skipped.isEmpty {
                notes.append(
                    "run \(record.id) also had \(skipped.joined(separator: " ")); not applied: pass --replay-settings for runs you trust (they give the command host files and your variables)"
                )
            }
        }
        let plan = ReproducePlan(
            commit: commit, locked: env, lockHash: env.hash, image: image, command: cmd, fromRun: record?.id,
            notes: notes, rebuildTarget: rebuildTarget, container: record?.container,
            replayHostSettings: replayHostSettings)
        // Checked now, before anything is written: a variable that isn't set, a volume that is gone.
        _ = try plan.containerOptions()
        return plan
    }

    /// Whether the plan's digest is still in the registry (false when the plan has no digest).
    package func imageExists(_ plan: ReproducePlan) async throws(RunsError) -> Bool {
        guard let digest = plan.image.digest else { return false }
        guard let registry else {
            throw RunsError(.missingTool, "no registry client available to check \(plan.image.reference)")
        }
        return try await registry.digestExists(
            repository: ImageReference.components(of: plan.image.reference).name, digest: digest)
    }

    /// Checks the plan's digest is still in the registry.
    package func verifyImage(_ plan: ReproducePlan) async throws(RunsError) {
        if try await !imageExists(plan) {
            throw RunsError(
                .failure,
                "image \(plan.image.reference) for '\(plan.environment)' at \(plan.commit.shortID) no longer exists in the registry",
                hint:
                    "--rebuild rebuilds it from the lock at \(plan.commit.shortID) and reports whether the digest matches"
            )
        }
    }

    /// Writes the commit's tree into a new temporary directory and returns its path.
    package func checkout(_ plan: ReproducePlan) throws(RunsError) -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "envctl-reproduce-\(plan.commit.shortID)-\(UUID().uuidString.prefix(8))"
        ).path
        // Registered so that a signalled envctl removes it; the caller removes or keeps it when done.
        Cleanup.register(base)
        do { try source.repository.exportTree(of: plan.commit.id, to: base) } catch {
            Cleanup.remove(base)
            throw RunsError(.failure, "cannot check out \(plan.commit.shortID) into \(base): \(error.message)")
        }
        return base
    }

    /// A run record from the commit's tree (if records were committed) or from this workspace.
    func loadRecord(_ id: String, commit: CommitInfo) throws(RunsError) -> RunRecord {
        let store = RunStore(workspace: workspace)
        let lockDir = (source.lockPath as NSString).deletingLastPathComponent
        let committed = (lockDir.isEmpty ? "" : lockDir + "/") + ".envctl/runs/\(id).json"
        if let data = try? source.repository.readFile(committed, at: commit.id), let r = try? RunStore.decode(data) {
            return r
        }
        return try store.load(id)
    }
}

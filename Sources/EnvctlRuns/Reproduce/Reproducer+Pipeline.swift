package import EnvctlModel
import Foundation
package import GitSupport
import OCIRegistry

/// What `envctl reproduce COMMIT --run ID` resubmits when run ID was a pipeline submission.
package struct PipelineReproducePlan: Sendable {
    package var commit: CommitInfo
    package var record: RunRecord
    /// The lock at the commit: environment images are pinned from it.
    package var lock: Lockfile
    /// The compiled pipeline's path inside the repository, and its text at the commit.
    package var repositoryPath: String
    package var text: String
    /// Images of no environment, pinned to the digests the original run used (image as written → pinned).
    package var knownPins: [String: String]
    package var notes: [String]
}

extension Reproducer {
    /// The run record `id`, from the commit's tree when it was committed, else from this workspace.
    package func record(_ id: String, at revision: String) throws(RunsError) -> RunRecord {
        let (commit, _) = try source.lock(at: revision)
        return try loadRecord(id, commit: commit)
    }

    /// Reads the lock and the compiled pipeline that `record` submitted, both at `revision`; writes nothing.
    /// - Throws: `badInput` when the record is not a pipeline run or the commit lacks the pipeline file.
    package func pipelinePlan(revision: String, record: RunRecord) throws(RunsError) -> PipelineReproducePlan {
        let (commit, lock) = try source.lock(at: revision)
        guard record.kind != .container, let stamp = record.pipeline else {
            throw RunsError(.badInput, "run \(record.id) is not a pipeline submission")
        }
        var file = stamp.file
        if file.hasPrefix("/") {
            let root = URL(fileURLWithPath: record.workspace).standardizedFileURL.path
            guard file.hasPrefix(root + "/") else {
                throw RunsError(
                    .badInput,
                    "run \(record.id) submitted \(file), which is outside its workspace \(record.workspace), so no commit holds it",
                    hint: "submit pipelines from files inside the repository (and commit them with the lock)")
            }
            file = String(file.dropFirst(root.count + 1))
        }
        let lockDir = (source.lockPath as NSString).deletingLastPathComponent
        let path = lockDir.isEmpty ? file : lockDir + "/" + file
        let data: Data?
        do { data = try source.repository.readFile(path, at: commit.id) } catch {
            throw RunsError(.badInput, "cannot read \(path) at \(commit.shortID): \(error.message)")
        }
        guard let data else {
            throw RunsError(
                .badInput, "commit \(commit.shortID) has no \(path), the compiled pipeline run \(record.id) submitted",
                hint: "commit the compiled pipeline together with envctl.lock, so that reproduce can resubmit it")
        }
        var notes: [String] = []
        if let rc = record.git?.commit, rc != commit.id {
            notes.append("run \(record.id) was submitted at commit \(String(rc.prefix(12))), not \(commit.shortID)")
        }
        if record.git?.dirty == true {
            notes.append(
                "run \(record.id) was submitted with uncommitted changes; \(commit.shortID)'s pipeline and lock may differ from what ran"
            )
        }
        var known: [String: String] = [:]
        for image in record.images where image.source == "pipeline" {
            guard image.digest != nil, let at = image.reference.lastIndex(of: "@") else { continue }
            known[String(image.reference[..<at])] = image.reference
        }
        return PipelineReproducePlan(
            commit: commit, record: record, lock: lock, repositoryPath: path,
            text: String(decoding: data, as: UTF8.self),
            knownPins: known, notes: notes)
    }

    /// The pinned images the registry no longer has (`repository@digest`), in order.
    package func missingImages(_ pins: [ExecutorPin]) async throws(RunsError) -> [String] {
        guard let registry else {
            throw RunsError(.missingTool, "no registry client available to check the pipeline's images")
        }
        var missing: [String] = []
        var checked = Set<String>()
        for pin in pins {
            let parts = ImageReference.components(of: pin.pinned)
            guard let digest = parts.digest, checked.insert(parts.name + "@" + digest).inserted else { continue }
            if try await !registry.digestExists(repository: parts.name, digest: digest) {
                missing.append("\(parts.name)@\(digest)")
            }
        }
        return missing
    }
}

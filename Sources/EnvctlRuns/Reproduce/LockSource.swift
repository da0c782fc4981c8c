package import EnvctlModel
import Foundation
package import GitSupport

/// Reads `envctl.lock` from a commit (through libgit2, without touching the working tree) or a file.
package struct LockSource {
    package let repository: Repository
    /// The lock's path inside the repository (`envctl.lock`, or `ml/envctl.lock` in a subdirectory).
    package let lockPath: String

    /// Opens the repository around `directory`; the lock path is `directory`'s workspace relative to the root.
    package static func open(from directory: String) throws(RunsError) -> LockSource {
        let repo: Repository
        do { repo = try Repository.discover(from: directory) } catch {
            throw RunsError(.badInput, error.message, hint: "reproduce and diff by commit need a git repository")
        }
        var rel = Lockfile.fileName
        if let root = repo.workingDirectory, let ws = try? Workspace.locate(from: directory) {
            let r = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
            let w = URL(fileURLWithPath: ws.root).resolvingSymlinksInPath().path
            if w.hasPrefix(r + "/") { rel = String(w.dropFirst(r.count + 1)) + "/" + Lockfile.fileName }
        }
        return LockSource(repository: repo, lockPath: rel)
    }

    /// The commit and the lock it contains.
    package func lock(at revision: String) throws(RunsError) -> (commit: CommitInfo, lock: Lockfile) {
        let commit: CommitInfo
        do { commit = try repository.resolveCommit(revision) } catch {
            throw RunsError(
                .badInput, error.message,
                hint: "'git log --oneline -- \(lockPath)' lists the commits that changed the lock")
        }
        let data: Data?
        do { data = try repository.readFile(lockPath, at: commit.id) } catch {
            throw RunsError(.badInput, "cannot read \(lockPath) at \(commit.shortID): \(error.message)")
        }
        guard let data else {
            throw RunsError(
                .badInput, "commit \(commit.shortID) (\(commit.summary)) has no \(lockPath)",
                hint: "pick a commit made after 'envctl lock' was first committed")
        }
        do {
            return (
                commit, try Lockfile.parse(String(decoding: data, as: UTF8.self), file: "\(lockPath)@\(commit.shortID)")
            )
        } catch {
            throw RunsError(.badInput, "the lock at commit \(commit.shortID) is not valid", cause: error)
        }
    }
}

package import EnvctlModel
import Foundation
import GitSupport

/// The directory holding `envctl.lock`, found from the current directory upward.
package struct Workspace: Sendable {
    package let root: String
    package var lockPath: String { root + "/" + Lockfile.fileName }
    package var runs: RunStore { RunStore(workspace: root) }

    package init(root: String) { self.root = root }

    package static func locate(from start: String = FileManager.default.currentDirectoryPath) throws(RunsError)
        -> Workspace
    {
        var dir = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(Lockfile.fileName).path) {
                return Workspace(root: dir.path)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw RunsError(
            .badInput, "no \(Lockfile.fileName) in \(start) or any parent directory", hint: "run 'envctl lock' first")
    }

    package func loadLock() throws(RunsError) -> Lockfile {
        do { return try Lockfile.load(fileAt: lockPath) } catch {
            throw RunsError(.badInput, error.description)
        }
    }

    /// HEAD and dirty state of the repository around the workspace; nil outside git.
    package func gitStamp() -> RunRecord.GitStamp? {
        guard let repo = try? Repository.discover(from: root), let state = try? repo.workingTreeState() else {
            return nil
        }
        return RunRecord.GitStamp(commit: state.head, dirty: state.dirty, changedPaths: state.changedPaths)
    }
}

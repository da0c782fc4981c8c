internal import CLibGit2
import Foundation

/// An open git repository.
///
/// A non-Sendable final class: libgit2 objects must not be used from two threads at once, so a
/// `Repository` stays in the task that opened it. C pointers never leave this module.
package final class Repository {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_repository_free(pointer) }

    /// Opens the repository containing `path`, searching parent directories as `git` does.
    /// - Throws: `GitError` with code `.notFound` when no repository encloses `path`.
    package static func discover(from path: String) throws(GitError) -> Repository {
        LibGit2.ensureInitialised()
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, path, 0, nil)
        if rc < 0 {
            var e = GitError.last(rc, "git_repository_open_ext")
            if e.code == .notFound { e.message = "'\(path)' is not inside a git repository" }
            throw e
        }
        return Repository(pointer: repo!)
    }

    /// Opens exactly the repository at `path` (its working directory or `.git`), without searching upward.
    package static func open(at path: String) throws(GitError) -> Repository {
        LibGit2.ensureInitialised()
        var repo: OpaquePointer?
        try check(
            git_repository_open_ext(&repo, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil),
            "git_repository_open_ext")
        return Repository(pointer: repo!)
    }

    /// The working directory (no trailing slash), or nil for a bare repository.
    package var workingDirectory: String? {
        guard let p = git_repository_workdir(pointer) else { return nil }
        var s = String(cString: p)
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// The `.git` directory.
    package var gitDirectory: String { String(cString: git_repository_path(pointer)) }

    /// The libgit2 version envctl is linked against.
    package static var libgit2Version: String { LibGit2.version }

    // MARK: Revisions

    /// Resolves a full or short SHA, a tag (annotated or lightweight), a branch or any rev-parse
    /// expression (`HEAD~2`) to the commit it names.
    /// - Throws: `.notFound` for an unknown name, `.ambiguous` for a short SHA that matches several objects,
    ///   `.invalidInput` when it names something that is not a commit (a tree or a blob).
    package func resolveCommit(_ revision: String) throws(GitError) -> CommitInfo {
        let commit = try lookupCommit(revision)
        defer { git_commit_free(commit) }
        return info(of: commit)
    }

    /// HEAD's commit and whether tracked files differ from it.
    package func workingTreeState() throws(GitError) -> WorkingTreeState {
        let head: String?
        if git_repository_head_unborn(pointer) == 1 {
            head = nil
        } else {
            head = try resolveCommit("HEAD").id
        }
        guard git_repository_is_bare(pointer) == 0 else {
            return WorkingTreeState(head: head, dirty: false, changedPaths: [])
        }
        var opts = git_status_options()
        try check(git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &opts), "git_status_list_new")
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for i in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, i) else { continue }
            let status = entry.pointee.status.rawValue
            if status == GIT_STATUS_CURRENT.rawValue || status & GIT_STATUS_IGNORED.rawValue != 0 { continue }
            let delta = entry.pointee.index_to_workdir ?? entry.pointee.head_to_index
            if let d = delta, let p = d.pointee.new_file.path ?? d.pointee.old_file.path {
                paths.append(String(cString: p))
            }
        }
        paths.sort()
        return WorkingTreeState(head: head, dirty: !paths.isEmpty, changedPaths: paths)
    }

    // MARK: Internals shared by the extensions

    /// The caller frees the result with `git_commit_free`.
    func lookupCommit(_ revision: String) throws(GitError) -> OpaquePointer {
        var object: OpaquePointer?
        let rc = git_revparse_single(&object, pointer, revision)
        if rc < 0 {
            var e = GitError.last(rc, "git_revparse_single")
            switch e.code {
            case .notFound, .invalidSpec:
                e.code = .notFound
                e.message = "unknown revision '\(revision)': no commit, branch or tag has that name"
            case .ambiguous:
                e.message = "short SHA '\(revision)' is ambiguous; give more hex digits"
            default: break
            }
            throw e
        }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        let prc = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
        if prc < 0 {
            var e = GitError.last(prc, "git_object_peel")
            e.code = .invalidInput
            e.message = "'\(revision)' does not name a commit"
            throw e
        }
        return peeled!
    }

    func info(of commit: OpaquePointer) -> CommitInfo {
        let id = hex(git_commit_id(commit))
        let summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        let author = git_commit_author(commit).flatMap { $0.pointee.name }.map { String(cString: $0) } ?? ""
        return CommitInfo(id: id, summary: summary, author: author, time: git_commit_time(commit))
    }
}

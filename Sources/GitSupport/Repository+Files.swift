internal import CLibGit2
import EnvctlModel
package import Foundation

extension Repository {
    /// The bytes of `path` (repository-relative, `/`-separated) as committed in `revision`, read from the
    /// object database: the working tree and index are not touched.
    /// - Returns: nil when the commit has no such file.
    /// - Throws: `GitError` for an unknown revision, or `.invalidInput` when `path` is a directory.
    package func readFile(_ path: String, at revision: String) throws(GitError) -> Data? {
        let commit = try lookupCommit(revision)
        defer { git_commit_free(commit) }
        return try withTreeEntry(path, in: commit) { entry throws(GitError) -> Data in
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
                throw GitError(
                    code: .invalidInput, operation: "readFile", message: "'\(path)' is not a file at \(revision)")
            }
            var blob: OpaquePointer?
            try check(git_blob_lookup(&blob, pointer, git_tree_entry_id(entry)), "git_blob_lookup")
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
            return Data(bytes: raw, count: size)
        }
    }

    /// Runs `body` with the tree entry at `path` in `commit`; nil when the path doesn't exist there.
    func withTreeEntry<T>(_ path: String, in commit: OpaquePointer?, _ body: (OpaquePointer?) throws(GitError) -> T)
        throws(GitError) -> T?
    {
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, tree, path)
        if rc == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(rc, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        return try body(entry)
    }

    /// Writes the tree of `revision` into `directory` (created if needed; must be empty or absent).
    ///
    /// The repository's working tree, index and HEAD are not touched: blobs are read from the object
    /// database and written as they are stored (no smudge filters, so LFS files stay pointers).
    /// Executable bits and symlinks are kept; submodules become empty directories.
    package func exportTree(of revision: String, to directory: String) throws(GitError) {
        let commit = try lookupCommit(revision)
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw GitError(code: .exists, operation: "exportTree", message: "'\(directory)' is not empty")
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GitError(
                code: .generic, operation: "exportTree",
                message: "cannot create directory '\(directory)': \(FileSystemError.Reason(error, path: directory))")
        }
        try write(tree: tree!, into: directory)
    }

    private func write(tree: OpaquePointer, into directory: String) throws(GitError) {
        let fm = FileManager.default
        for i in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, i) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            // Tree entry names are single components; refuse anything that could escape the directory.
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
                throw GitError(code: .invalidInput, operation: "exportTree", message: "unsafe path '\(name)' in tree")
            }
            let target = directory + "/" + name
            let mode = git_tree_entry_filemode(entry)
            switch mode {
            case GIT_FILEMODE_TREE:
                var sub: OpaquePointer?
                try check(git_tree_lookup(&sub, pointer, git_tree_entry_id(entry)), "git_tree_lookup")
                defer { git_tree_free(sub) }
                guard mkdir(target, 0o755) == 0 else { throw exportError(target, name: name) }
                try write(tree: sub!, into: target)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE, GIT_FILEMODE_LINK:
                var blob: OpaquePointer?
                try check(git_blob_lookup(&blob, pointer, git_tree_entry_id(entry)), "git_blob_lookup")
                defer { git_blob_free(blob) }
                let size = Int(git_blob_rawsize(blob))
                let data = size > 0 ? Data(bytes: git_blob_rawcontent(blob)!, count: size) : Data()
                if mode == GIT_FILEMODE_LINK {
                    let dest = String(decoding: data, as: UTF8.self)
                    guard symlink(dest, target) == 0 else { throw exportError(target, name: name) }
                } else {
                    let perms: mode_t = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0o755 : 0o644
                    try exportFile(target, name: name, data: data, permissions: perms)
                }
            default:  // GIT_FILEMODE_COMMIT: a submodule; its content is another repository.
                try? fm.createDirectory(atPath: target, withIntermediateDirectories: false)
            }
        }
    }
}

/// Writes a new file (never over an existing one: a tree that names one path twice is refused).
private func exportFile(_ target: String, name: String, data: Data, permissions: mode_t)
    throws(GitError)
{
    let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
    guard fd >= 0 else { throw exportError(target, name: name) }
    var failure: GitError?
    data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = exportError(target, name: name)
                return
            }
            offset += n
        }
    }
    // open() applies the umask; the tree's mode is what the file gets.
    if failure == nil, fchmod(fd, permissions) != 0 { failure = exportError(target, name: name) }
    if close(fd) != 0, failure == nil { failure = exportError(target, name: name) }
    if let failure { throw failure }
}

/// The current `errno` for writing `target` (tree entry `name`), in words.
private func exportError(_ target: String, name: String) -> GitError {
    let code = errno
    if code == EEXIST {
        return GitError(
            code: .exists, operation: "exportTree",
            message: "cannot export '\(target)': a file named '\(name)' already exists")
    }
    return GitError(
        code: .generic, operation: "exportTree",
        message: "cannot export '\(target)': \(FileSystemError.Reason(errno: code))")
}

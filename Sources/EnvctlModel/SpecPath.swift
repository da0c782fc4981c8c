package import Foundation

/// A file named by the spec (a `requirements` file, a `knowledge` overlay), resolved and checked by the one
/// rule every reader of a spec path goes through:
///
/// - it is written relative to the spec's directory (`../req.txt` means the spec's parent directory), never
///   absolute;
/// - symlinks are resolved (`realpath`), and the real path must stay inside the repository: the git work tree
///   that holds the spec, or the spec's own directory when the spec is not in a git work tree;
/// - it must be a regular file: not a directory, device, FIFO or socket.
///
/// A path that breaks a rule is bad input (exit 64) at the spec's file:line, naming the path. The file's
/// content is never part of a message.
package struct SpecPath: Sendable, Hashable {
    /// The path as the spec wrote it.
    package var written: String
    /// The real path, symlinks resolved.
    package var resolved: String
    /// Where the spec wrote it.
    package var location: SourceLocation?

    /// Resolves `value` (a path the spec wrote at `value.location`) against the spec at `specPath`.
    /// - Parameter what: what the path is, for messages ("requirements file").
    /// - Throws: ``DiagnosticsError`` (bad input) when the path is absolute, missing, outside the repository
    ///   or not a regular file.
    /// - Parameter allowDirectory: a directory is accepted too (`copy:` of a plain environment).
    package static func resolve(
        _ value: Located<String>, specPath: String, what: String, allowDirectory: Bool = false
    ) throws(DiagnosticsError) -> SpecPath {
        let specDir = realPath(directory(of: specPath)) ?? normalize(absolute(directory(of: specPath)))
        return try resolve(
            value, base: specDir, root: repositoryRoot(containing: specDir), what: what, allowDirectory: allowDirectory)
    }

    /// Resolves `value` relative to the directory `base` (a real path), requiring the result inside `root`.
    package static func resolve(
        _ value: Located<String>, base: String, root: String, what: String, allowDirectory: Bool = false
    ) throws(DiagnosticsError) -> SpecPath {
        let written = value.value
        let location = value.location
        func fail(_ message: String, hint: String? = nil) -> DiagnosticsError {
            DiagnosticsError([.error(message, hint: hint, at: location)])
        }
        guard !written.isEmpty else { throw fail("\(what) path is empty") }
        guard !written.hasPrefix("/") && !written.hasPrefix("~") else {
            throw fail(
                "\(what) '\(written)' is an absolute path",
                hint: "write it relative to the spec's directory, inside the repository")
        }
        let lexical = normalize(base + "/" + written)
        guard let real = realPath(base + "/" + written) else {
            throw fail("\(what) '\(written)' does not exist (looked at \(lexical))")
        }
        guard real == root || real.hasPrefix(root == "/" ? "/" : root + "/") else {
            let via = real == lexical ? "" : " (it resolves to \(real))"
            throw fail(
                "\(what) '\(written)' is outside the repository \(root)\(via)",
                hint: "a spec may only name files inside its repository (the git work tree holding the spec, "
                    + "or the spec's directory outside git)")
        }
        var st = stat()
        guard stat(real, &st) == 0 else {
            throw fail("\(what) '\(written)' cannot be read (looked at \(real))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG || (allowDirectory && (st.st_mode & S_IFMT) == S_IFDIR) else {
            if allowDirectory {
                throw fail(
                    "\(what) '\(written)' is \(kindDescription(st.st_mode)), not a regular file or directory (\(real))")
            }
            throw fail("\(what) '\(written)' is \(kindDescription(st.st_mode)), not a regular file (\(real))")
        }
        return SpecPath(written: written, resolved: real, location: location)
    }

    /// The lexical half of the rule, for a path that need not exist yet (a plain environment's `copy:` source is
    /// a build output: `lock` checks it so, `build` resolves it with ``resolve(_:specPath:what:allowDirectory:)``):
    /// relative, and inside the repository once `.` and `..` are applied.
    /// - Throws: ``DiagnosticsError`` (bad input) at the spec's line, naming the path.
    package static func checkLexically(_ value: Located<String>, specPath: String, what: String)
        throws(DiagnosticsError)
    {
        let written = value.value
        func fail(_ message: String, hint: String? = nil) -> DiagnosticsError {
            DiagnosticsError([.error(message, hint: hint, at: value.location)])
        }
        guard !written.isEmpty else { throw fail("\(what) path is empty") }
        guard !written.hasPrefix("/") && !written.hasPrefix("~") else {
            throw fail(
                "\(what) '\(written)' is an absolute path",
                hint: "write it relative to the spec's directory, inside the repository")
        }
        let specDir = realPath(directory(of: specPath)) ?? normalize(absolute(directory(of: specPath)))
        let root = repositoryRoot(containing: specDir)
        let lexical = normalize(specDir + "/" + written)
        guard lexical == root || lexical.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw fail(
                "\(what) '\(written)' is outside the repository \(root)",
                hint: "a spec may only name files inside its repository (the git work tree holding the spec, "
                    + "or the spec's directory outside git)")
        }
    }

    /// The file's bytes, at most `limit` of them.
    /// - Throws: ``DiagnosticsError`` (bad input) when it cannot be read or is larger than `limit`; the message
    ///   names the path, never the content.
    package func read(limit: Int = 64 << 20) throws(DiagnosticsError) -> Data {
        guard let handle = FileHandle(forReadingAtPath: resolved) else {
            throw DiagnosticsError([.error("cannot read '\(written)' (\(resolved))", at: location)])
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw DiagnosticsError([
                .error(
                    "cannot read '\(written)' (\(resolved)): \(FileSystemError.Reason(error, path: resolved))",
                    at: location)
            ])
        }
        guard data.count <= limit else {
            throw DiagnosticsError([
                .error("'\(written)' (\(resolved)) is larger than \(limit) bytes", at: location)
            ])
        }
        return data
    }

    /// The root a spec's paths must stay in: the nearest directory at or above `directory` holding `.git`
    /// (a git work tree; `.git` is a directory, or a file in a linked worktree), else `directory` itself.
    package static func repositoryRoot(containing directory: String) -> String {
        var dir = directory
        while true {
            if FileManager.default.fileExists(atPath: dir + "/.git") { return dir }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty { return directory }
            dir = parent
        }
    }

    static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `path` with `.` and `..` applied lexically (`a/b/../c` is `a/c`), for messages about missing files.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/") {
            if c == "." { continue }
            if c == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `realpath(3)`: `path` with symlinks, `.` and `..` resolved; nil when it does not exist.
    package static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func kindDescription(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

/// The `-r`/`--requirement` and `-c`/`--constraint` lines of a requirements file, which uv follows: each is
/// held to the ``SpecPath`` rule (relative to the including file, inside the same repository, a regular
/// file) before uv reads anything, so an include cannot reach `/proc/self/environ` or `/dev/zero` either.
package enum RequirementsIncludes {
    /// Checks `file`'s includes, and theirs, up to `depth` levels.
    /// - Throws: ``DiagnosticsError`` (bad input) at the including line, naming the path.
    package static func check(_ file: SpecPath, specPath: String, depth: Int = 16) throws(DiagnosticsError) {
        let specDir = SpecPath.realPath(SpecPath.directory(of: specPath)) ?? SpecPath.directory(of: specPath)
        let root = SpecPath.repositoryRoot(containing: specDir)
        var seen: Set<String> = []
        try visit(file, root: root, depth: depth, seen: &seen)
    }

    static func visit(_ file: SpecPath, root: String, depth: Int, seen: inout Set<String>) throws(DiagnosticsError) {
        guard seen.insert(file.resolved).inserted else { return }
        let text = String(decoding: try file.read(), as: UTF8.self)
        let base = (file.resolved as NSString).deletingLastPathComponent
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let target = includeTarget(raw) else { continue }
            let at = SourceLocation(file: file.resolved, line: n + 1, column: 1)
            guard depth > 0 else {
                throw DiagnosticsError([.error("requirements includes are nested too deeply", at: at)])
            }
            let nested = try SpecPath.resolve(
                Located(target, at: at), base: base, root: root, what: "included requirements file")
            try visit(nested, root: root, depth: depth - 1, seen: &seen)
        }
    }

    /// The path of an include line (`-r x`, `--requirement=x`, `-c x`, `--constraint x`), or nil.
    static func includeTarget(_ line: Substring) -> String? {
        let l = line.trimmingCharacters(in: .whitespaces)
        for flag in ["--requirement", "--constraint", "-r", "-c"] where l.hasPrefix(flag) {
            var rest = l.dropFirst(flag.count)
            guard let first = rest.first, first == " " || first == "=" || first == "\t" || flag.count == 2 else {
                continue
            }
            rest = rest.drop { $0 == " " || $0 == "=" || $0 == "\t" }
            let path = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            return path.isEmpty ? nil : path
        }
        return nil
    }
}

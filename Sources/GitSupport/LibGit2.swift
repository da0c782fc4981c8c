internal import CLibGit2

/// Process-wide libgit2 initialisation. `git_libgit2_init` is reference counted and must run before
/// any other call; a `static let` runs it exactly once, thread-safely, and envctl never shuts it down
/// (process exit frees everything, and shutting down while another thread uses libgit2 would crash).
enum LibGit2 {
    private static let initialised: Int32 = git_libgit2_init()

    static func ensureInitialised() { _ = initialised }

    /// `1.5.1`: the linked library's version, for `envctl doctor`.
    static var version: String {
        ensureInitialised()
        var major: Int32 = 0, minor: Int32 = 0, rev: Int32 = 0
        git_libgit2_version(&major, &minor, &rev)
        return "\(major).\(minor).\(rev)"
    }
}

/// Hex form of an object id.
func hex(_ oid: UnsafePointer<git_oid>) -> String {
    var buf = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
    git_oid_tostr(&buf, buf.count, oid)
    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

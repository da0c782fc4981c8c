internal import CLibGit2

/// A libgit2 failure: the operation, libgit2's return code, and the message it left for this thread.
///
/// A struct with an open `Code` (rather than a closed enum) so new codes can be added without breaking
/// callers, as swift-subprocess's `SubprocessError` does. The message is read from `git_error_last()`
/// synchronously, on the thread that made the failing call: libgit2 keeps it in thread-local storage.
package struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }

        package static let generic = Code(rawValue: -1)  // GIT_ERROR
        package static let notFound = Code(rawValue: -3)  // GIT_ENOTFOUND
        package static let exists = Code(rawValue: -4)  // GIT_EEXISTS
        package static let ambiguous = Code(rawValue: -5)  // GIT_EAMBIGUOUS
        package static let bareRepository = Code(rawValue: -8)  // GIT_EBAREREPO
        package static let unbornBranch = Code(rawValue: -9)  // GIT_EUNBORNBRANCH
        package static let invalidSpec = Code(rawValue: -12)  // GIT_EINVALIDSPEC
        /// Not a libgit2 code: envctl's own checks (a path that is a tree, not a file, …).
        package static let invalidInput = Code(rawValue: -10_000)

        package var description: String {
            switch self {
            case .notFound: "not found"
            case .exists: "already exists"
            case .ambiguous: "ambiguous"
            case .bareRepository: "bare repository"
            case .unbornBranch: "no commits yet"
            case .invalidSpec: "invalid revision"
            case .invalidInput: "invalid input"
            default: "libgit2 error \(rawValue)"
            }
        }
    }

    package var code: Code
    /// The libgit2 function (or envctl operation) that failed.
    package var operation: String
    /// libgit2's message, or envctl's explanation.
    package var message: String

    package init(code: Code, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    package var description: String { "git: \(message) (\(operation))" }

    /// Builds an error from a negative libgit2 return code, reading the thread's last error now.
    /// Call it directly after the failing call, with no `await` in between.
    static func last(_ rc: Int32, _ operation: String) -> GitError {
        var message = "\(operation) failed with code \(rc)"
        if let e = git_error_last(), let m = e.pointee.message {
            message = String(cString: m)
        }
        return GitError(code: Code(rawValue: rc), operation: operation, message: message)
    }
}

/// Runs a libgit2 call and throws `GitError` for a negative return code.
@inline(__always)
func check(_ rc: Int32, _ operation: String) throws(GitError) {
    if rc < 0 { throw GitError.last(rc, operation) }
}

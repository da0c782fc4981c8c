/// The one failure vocabulary: who has to act, and the exit status the CLI uses for it.
///
/// Every error type envctl's libraries throw reports one kind (`EnvctlFailure`); the CLI renders errors
/// and maps kinds to exit statuses in one place (`ErrorPresentation`). The error keeps its structured
/// cause (a registry error code, a file:line location); the kind only classifies it.
package enum FailureKind: String, Sendable, Hashable, CaseIterable {
    /// The spec, lock, flags or a file named on the command line are wrong (EX_USAGE, 64).
    case badInput = "bad-input"
    /// A program envctl drives is not installed (EX_UNAVAILABLE, 69).
    case missingTool = "missing-tool"
    /// A registry, server, tool or the host said no (1).
    case failure
    /// `lock --check`: the lock no longer matches its inputs (2).
    case stale
    /// A bug in envctl (EX_SOFTWARE, 70).
    case `internal`

    /// The process exit status for this kind.
    package var exitStatus: Int32 {
        switch self {
        case .badInput: 64
        case .missingTool: 69
        case .failure: 1
        case .stale: 2
        case .internal: 70
        }
    }
}

/// An error that says which `FailureKind` it is.
package protocol EnvctlFailure: Error {
    var failureKind: FailureKind { get }
}

extension DiagnosticsError: EnvctlFailure {
    /// Diagnostics are about the user's files or flags.
    package var failureKind: FailureKind { .badInput }
}

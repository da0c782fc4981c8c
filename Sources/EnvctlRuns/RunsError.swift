package import EnvctlModel
import GitSupport

/// A failure in run, pipeline or reproduce work, classified by who has to act.
///
/// A struct with an open `Kind`, like `GitError`, so new cases don't break callers. Its `failureKind`
/// is what the CLI maps to an exit status, in `ErrorPresentation`.
/// The error underneath (a registry error, a lock's diagnostics) is kept whole as `cause`, so its code or
/// file:line reaches the presenter.
package struct RunsError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Kind: Hashable, Sendable {
        let name: String
        /// The user asked for something that cannot work: unknown commit, no lock, bad pipeline file.
        package static let badInput = Kind(name: "bad-input")
        /// A program envctl drives is not installed (podman, docker, buildah).
        package static let missingTool = Kind(name: "missing-tool")
        /// The world said no: registry, server, container runtime, preflight refusal.
        package static let failure = Kind(name: "failure")
        /// An envctl bug.
        package static let `internal` = Kind(name: "internal")
    }

    package var kind: Kind
    package var message: String
    package var hint: String?
    /// The error underneath, kept whole; its description follows the message. With an empty message the
    /// cause says it all (a lock's diagnostics).
    package var cause: (any Error & Sendable)?

    package init(_ kind: Kind, _ message: String, hint: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.cause = cause
    }

    package var description: String { describe(cause: cause.map { String(describing: $0) }) }

    /// The description with the cause written as `causeText` (the CLI writes a registry error's code too).
    /// Diagnostics, which are lines of their own, start on a new line.
    package func describe(cause causeText: String?) -> String {
        var head = message
        if let causeText {
            head = message.isEmpty ? causeText : message + (cause is DiagnosticsError ? ":\n" : ": ") + causeText
        }
        return hint.map { "\(head)\n    hint: \($0)" } ?? head
    }

    package static func == (a: RunsError, b: RunsError) -> Bool {
        a.kind == b.kind && a.message == b.message && a.hint == b.hint
            && a.cause.map { String(describing: $0) } == b.cause.map { String(describing: $0) }
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(message)
        hasher.combine(hint)
    }
}

extension RunsError: EnvctlFailure {
    package var failureKind: FailureKind {
        switch kind {
        case .badInput: .badInput
        case .missingTool: .missingTool
        case .internal: .internal
        default: .failure
        }
    }
}

extension GitError: EnvctlFailure {
    /// An unknown or ambiguous revision is bad input; anything else libgit2 reports is a failure.
    package var failureKind: FailureKind {
        code == .notFound || code == .ambiguous || code == .invalidInput ? .badInput : .failure
    }
}

import EnvctlModel
import GitSupport

/// A failure in run, pipeline or reproduce work, classified by who has to act.
///
/// A struct with an open `Kind`, like `GitError`, so new cases don't break callers. Its `failureKind`
/// is what the CLI maps to an exit status, in `ErrorPresentation`.
/// The error underneath (a registry error, a lock's diagnostics) is kept whole as `cause`, so its code or
/// file:line reaches the presenter.
public struct RunsError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable {
        let name: String
        /// The user asked for something that cannot work: unknown commit, no lock, bad pipeline file.
        public static let badInput = Kind(name: "bad-input")
        /// A program envctl drives is not installed (podman, docker, buildah).
        public static let missingTool = Kind(name: "missing-tool")
        /// The world said no: registry, server, container runtime, preflight refusal.
        public static let failure = Kind(name: "failure")
        /// An envctl bug.
        public static let `internal` = Kind(name: "internal")
    }

    public var kind: Kind
    public var message: String
    public var hint: String?
    /// The error underneath, kept whole; its description follows the message. With an empty message the
    /// cause says it all (a lock's diagnostics).
    public var cause: (any Error & Sendable)?

    public init(_ kind: Kind, _ message: String, hint: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.cause = cause
    }

    public var description: String { describe(cause: cause.map { String(describing: $0) }) }

    /// The description with the cause written as `causeText` (the CLI writes a registry error's code too).
    /// Diagnostics, which are lines of their own, start on a new line.
    public func describe(cause causeText: String?) -> String {
        var head = message
        if let causeText {
            head = message.isEmpty ? causeText : message + (cause is DiagnosticsError ? ":\n" : ": ") + causeText
        }
        return hint.map { "\(head)\n    hint: \($0)" } ?? head
    }

    public static func == (a: RunsError, b: RunsError) -> Bool {
        a.kind == b.kind && a.message == b.message && a.hint == b.hint
            && a.cause.map { String(describing: $0) } == b.cause.map { String(describing: $0) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(message)
        hasher.combine(hint)
    }
}

extension RunsError: EnvctlFailure {
    public var failureKind: FailureKind {
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
    public var failureKind: FailureKind { code == .notFound || code == .ambiguous || code == .invalidInput ? .badInput : .failure }
}

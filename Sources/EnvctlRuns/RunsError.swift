import EnvctlModel
import GitSupport

/// A failure in run, pipeline or reproduce work, classified by who has to act.
///
/// A struct with an open `Kind`, like `GitError`, so new cases don't break callers. Its `failureKind`
/// is what the CLI maps to an exit status, in `ErrorPresentation`.
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

    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message)\n    hint: \($0)" } ?? message }
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

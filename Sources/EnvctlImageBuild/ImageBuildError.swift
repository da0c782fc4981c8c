import EnvctlModel

/// Why `envctl build` failed, with the step that failed.
public struct ImageBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        /// A required program is not installed (exit 69).
        public static let missingTool = Code(raw: "missing-tool")
        /// Bad flags or a lock that cannot be built as asked (exit 64).
        public static let badInput = Code(raw: "bad-input")
        /// The builder, export or push failed (exit 1).
        public static let stepFailed = Code(raw: "step-failed")
        public var description: String { raw }
    }

    public var code: Code
    /// The envctl step that failed: `render`, `build`, `export`, `push`, `check registry`.
    public var step: String
    public var message: String
    public var hint: String?

    public init(_ code: Code, step: String, _ message: String, hint: String? = nil) {
        self.code = code
        self.step = step
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let head = "\(step) failed: \(message)"
        return hint.map { "\(head)\n    hint: \($0)" } ?? head
    }
}

extension ImageBuildError: EnvctlFailure {
    public var failureKind: FailureKind {
        switch code {
        case .missingTool: .missingTool
        case .badInput: .badInput
        default: .failure
        }
    }
}

package import EnvctlModel

/// Why `envctl build` failed, with the step that failed.
package struct ImageBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        /// A required program is not installed (exit 69).
        package static let missingTool = Code(raw: "missing-tool")
        /// Bad flags or a lock that cannot be built as asked (exit 64).
        package static let badInput = Code(raw: "bad-input")
        /// The builder, export or push failed (exit 1).
        package static let stepFailed = Code(raw: "step-failed")
        package var description: String { raw }
    }

    package var code: Code
    /// The envctl step that failed: `render`, `build`, `export`, `push`, `check registry`.
    package var step: String
    package var message: String
    package var hint: String?
    /// The error underneath, kept whole (a registry error with its code and the registry's own errors);
    /// its description follows the message.
    package var cause: (any Error & Sendable)?

    package init(
        _ code: Code, step: String, _ message: String, hint: String? = nil, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.step = step
        self.message = message
        self.hint = hint
        self.cause = cause
    }

    package var description: String { describe(cause: cause.map { String(describing: $0) }) }

    /// The description with the cause written as `causeText` (the CLI writes a registry error's code too).
    package func describe(cause causeText: String?) -> String {
        let head = "\(step) failed: \(message)" + (causeText.map { ": \($0)" } ?? "")
        return hint.map { "\(head)\n    hint: \($0)" } ?? head
    }

    package static func == (a: ImageBuildError, b: ImageBuildError) -> Bool {
        a.code == b.code && a.step == b.step && a.message == b.message && a.hint == b.hint
            && a.cause.map { String(describing: $0) } == b.cause.map { String(describing: $0) }
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(step)
        hasher.combine(message)
        hasher.combine(hint)
    }
}

extension ImageBuildError: EnvctlFailure {
    package var failureKind: FailureKind {
        switch code {
        case .missingTool: .missingTool
        case .badInput: .badInput
        default: .failure
        }
    }
}

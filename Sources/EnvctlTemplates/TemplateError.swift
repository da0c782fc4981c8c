import EnvctlModel

/// Why a Dockerfile could not be rendered.
///
/// A struct with a growing `Code` set (the `SubprocessError` shape), so new cases do not break callers.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        /// A lock value would change the Dockerfile's structure (newline, quote, instruction text...).
        public static let unsafeValue = Code(raw: "unsafe-value")
        /// The lock is internally inconsistent for image building (e.g. CUDA libraries shipped twice).
        public static let inconsistentLock = Code(raw: "inconsistent-lock")
        /// No template of that name, or a template that does not parse.
        public static let template = Code(raw: "template")
        public var description: String { raw }
    }

    public var code: Code
    public var message: String
    public var hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.map { "\(message)\n    hint: \($0)" } ?? message
    }
}

extension TemplateError: EnvctlFailure {
    /// Templates and lock values are the user's input.
    public var failureKind: FailureKind { .badInput }
}

package import EnvctlModel

/// Why a Dockerfile could not be rendered.
///
/// A struct with a growing `Code` set (the `SubprocessError` shape), so new cases do not break callers.
package struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        /// A lock value would change the Dockerfile's structure (newline, quote, instruction text...).
        package static let unsafeValue = Code(raw: "unsafe-value")
        /// The lock is internally inconsistent for image building (e.g. CUDA libraries shipped twice).
        package static let inconsistentLock = Code(raw: "inconsistent-lock")
        /// No template of that name, or a template that does not parse.
        package static let template = Code(raw: "template")
        package var description: String { raw }
    }

    package var code: Code
    package var message: String
    package var hint: String?

    package init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    package var description: String {
        hint.map { "\(message)\n    hint: \($0)" } ?? message
    }
}

extension TemplateError: EnvctlFailure {
    /// Templates and lock values are the user's input.
    package var failureKind: FailureKind { .badInput }
}

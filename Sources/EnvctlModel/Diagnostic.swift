/// A position in a text file, 1-based, as editors and compilers print it.
package struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }
}

/// A problem found in a spec, lock or knowledge-base file, tied to where it is.
///
/// Diagnostics are collected, not thrown one at a time, so a user sees every problem in one run.
package struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    package enum Severity: String, Sendable, Hashable, Codable { case error, warning, note }

    package var severity: Severity
    package var message: String
    package var hint: String?
    package var location: SourceLocation?

    package init(_ severity: Severity, _ message: String, hint: String? = nil, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.hint = hint
        self.location = location
    }

    package static func error(_ message: String, hint: String? = nil, at location: SourceLocation? = nil) -> Self {
        Diagnostic(.error, message, hint: hint, at: location)
    }

    package static func warning(_ message: String, hint: String? = nil, at location: SourceLocation? = nil) -> Self {
        Diagnostic(.warning, message, hint: hint, at: location)
    }

    /// `file:line:col: error: message` followed by an indented hint line, the format compilers use.
    package var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue): \(message)"
        if let hint { s += "\n    hint: \(hint)" }
        return s
    }
}

/// Several diagnostics thrown together; the CLI prints each and exits with a usage-style status.
package struct DiagnosticsError: Error, Sendable, Hashable, CustomStringConvertible {
    package var diagnostics: [Diagnostic]

    package init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    package var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

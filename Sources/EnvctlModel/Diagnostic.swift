/// A position in a text file, 1-based, as editors and compilers print it.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A problem found in a spec, lock or knowledge-base file, tied to where it is.
///
/// Diagnostics are collected, not thrown one at a time, so a user sees every problem in one run.
public struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var hint: String?
    public var location: SourceLocation?

    public init(_ severity: Severity, _ message: String, hint: String? = nil, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.hint = hint
        self.location = location
    }

    public static func error(_ message: String, hint: String? = nil, at location: SourceLocation? = nil) -> Self {
        Diagnostic(.error, message, hint: hint, at: location)
    }

    public static func warning(_ message: String, hint: String? = nil, at location: SourceLocation? = nil) -> Self {
        Diagnostic(.warning, message, hint: hint, at: location)
    }

    /// `file:line:col: error: message` followed by an indented hint line, the format compilers use.
    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue): \(message)"
        if let hint { s += "\n    hint: \(hint)" }
        return s
    }
}

/// Several diagnostics thrown together; the CLI prints each and exits with a usage-style status.
public struct DiagnosticsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

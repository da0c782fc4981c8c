import ArgumentParser
import EnvctlImageBuild
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlResolver
import EnvctlRuns
import EnvctlWorkflows
import Foundation
import OCIRegistry

/// Exit statuses envctl promises to scripts (documented in `envctl --help` and the README): those of
/// `FailureKind`, which every library error reports.
enum ExitStatus {
    static let failure = FailureKind.failure.exitStatus
    /// `lock --check`: the lock is stale.
    static let stale = FailureKind.stale.exitStatus
    /// Bad input: spec, lock or flags (EX_USAGE).
    static let usage = FailureKind.badInput.exitStatus
    /// A required external tool is missing (EX_UNAVAILABLE).
    static let unavailable = FailureKind.missingTool.exitStatus
    /// A bug in envctl (EX_SOFTWARE).
    static let software = FailureKind.internal.exitStatus
}

/// A failure the CLI itself detects (a file it cannot write, a flag combination), in the shared vocabulary.
struct CLIError: EnvctlFailure, CustomStringConvertible {
    var failureKind: FailureKind
    var message: String
    var hint: String?

    static func failure(_ message: String, hint: String? = nil) -> CLIError {
        CLIError(failureKind: .failure, message: message, hint: hint)
    }
    static func badInput(_ message: String, hint: String? = nil) -> CLIError {
        CLIError(failureKind: .badInput, message: message, hint: hint)
    }

    var description: String { hint.map { "\(message)\n    hint: \($0)" } ?? message }
}

/// The one place errors become user text and exit statuses. Commands run their work in `guarded`;
/// nothing else prints an error or picks an exit status for one.
///
/// The text is the error's own description (its structured cause included: a registry error's code,
/// a diagnostic's file:line), with control characters escaped (see `Terminal.escape`). The status is
/// the error's `FailureKind` (64 bad input, 69 missing tool, 1 failure, 2 stale, 70 internal).
enum ErrorPresentation {
    /// Runs `body`; a thrown error is printed to stderr and becomes its exit status.
    static func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as ExitCode {
            throw e
        } catch  where error is ValidationError || error is CleanExit {
            throw error
        } catch {
            throw present(error)
        }
    }

    /// Prints `error` to stderr and returns the exit code to throw.
    static func present(_ error: any Error) -> ExitCode {
        if let e = error as? ExitCode { return e }
        Terminal.stderr(text(for: error))
        return ExitCode(kind(of: error).exitStatus)
    }

    /// What the user reads for `error`.
    static func text(for error: any Error) -> String {
        switch error {
        case let e as DiagnosticsError:
            return e.diagnostics.map(\.description).joined(separator: "\n")
        case let e as ResolverError:
            return (e.diagnostics.map(\.description) + [e.failures.map(\.report).joined(separator: "\n\n")])
                .filter { !$0.isEmpty }.joined(separator: "\n")
        case let e as RegistryError:
            return "error: " + registryText(e)
        case let e as ImageBuildError:
            return "error: " + e.describe(cause: e.cause.map(causeText))
        case let e as RunsError:
            // A lock's diagnostics carry their own severity (`error:`) and file:line.
            let prefix = e.message.isEmpty && e.cause is DiagnosticsError ? "" : "error: "
            return prefix + e.describe(cause: e.cause.map(causeText))
        case let e as StaleLockError:
            return e.description
        case let e as PythonPinError:
            return "error: \(e.message)" + (e.hint.map { "\n    hint: \($0)" } ?? "")
        case let e as LockError:
            return "error: \(e.message)"
        case let e as any EnvctlFailure & CustomStringConvertible:
            return "error: " + e.description
        case let e as any LocalizedError:
            return "error: \(e.errorDescription ?? String(describing: e))"
        default:
            return "error: \(error)"
        }
    }

    /// A wrapped error's text: a registry error with its code, diagnostics with their file:line.
    static func causeText(_ cause: any Error) -> String {
        switch cause {
        case let e as RegistryError: registryText(e)
        default: String(describing: cause)
        }
    }

    /// A registry error with its code: `[not-found] …`.
    static func registryText(_ e: RegistryError) -> String { "[\(e.code)] \(e.description)" }

    /// The error's kind; errors outside the vocabulary are failures.
    static func kind(of error: any Error) -> FailureKind {
        (error as? any EnvctlFailure)?.failureKind ?? .failure
    }
}

/// stdout/stderr helpers; colour only when writing to a terminal and NO_COLOR is unset.
enum Terminal {
    /// Writes a message line to stderr, control characters escaped and known secrets redacted (the last line
    /// of defence: tool output is already cut and redacted by `ToolOutput.excerpt`).
    static func stderr(_ text: String) {
        let safe = escape(Secrets.redact(text))
        FileHandle.standardError.write(Data((safe.hasSuffix("\n") ? safe : safe + "\n").utf8))
    }

    /// `value` as the JSON envctl prints for `--json`: pretty, keys sorted, slashes unescaped.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    static func stdout(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// `text` with every control character except newline and tab written as a Swift escape: ESC becomes
    /// `\u{1B}`, BEL `\u{7}`, CR `\u{D}`, and C1 controls (U+0080–U+009F) and DEL likewise. A value from a
    /// spec, lock or registry can then never move the cursor, recolour or retitle the user's terminal.
    static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if isControl(s) {
                out.append(contentsOf: "\\u{\(String(s.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s != "\n" && s != "\t" && (s.value < 0x20 || (s.value >= 0x7F && s.value <= 0x9F))
    }

    static var stdoutIsTTY: Bool { isatty(1) == 1 }
    static var stderrIsTTY: Bool { isatty(2) == 1 }
    static var colour: Bool { stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    static func yellow(_ s: String) -> String { colour ? "\u{1B}[33m\(s)\u{1B}[0m" : s }
}

import ArgumentParser
import EnvctlModel
import EnvctlPython
import EnvctlResolver
import EnvctlLocking
import Foundation
import OCIRegistry

/// Exit statuses envctl promises to scripts (documented in `envctl --help` and the README).
enum ExitStatus {
    static let failure: Int32 = 1
    /// `lock --check`: the lock is stale.
    static let stale: Int32 = 2
    /// Bad input: spec, lock or flags (EX_USAGE).
    static let usage: Int32 = 64
    /// A required external tool is missing (EX_UNAVAILABLE).
    static let unavailable: Int32 = 69
    /// A bug in envctl (EX_SOFTWARE).
    static let software: Int32 = 70
}

/// The one place library errors become user text and exit codes.
enum ErrorPresentation {
    /// Prints `error` to stderr and returns the exit code to throw.
    static func present(_ error: any Error) -> ExitCode {
        switch error {
        case let e as DiagnosticsError:
            Terminal.stderr(e.diagnostics.map(\.description).joined(separator: "\n"))
            return ExitCode(ExitStatus.usage)
        case let e as ResolverError:
            if !e.diagnostics.isEmpty {
                Terminal.stderr(e.diagnostics.map(\.description).joined(separator: "\n"))
                if e.failures.isEmpty { return ExitCode(ExitStatus.usage) }
            }
            Terminal.stderr(e.failures.map(\.report).joined(separator: "\n\n"))
            return ExitCode(ExitStatus.failure)
        case let e as PythonPinError:
            Terminal.stderr("error: \(e.message)")
            return ExitCode(e.code == .toolMissing ? ExitStatus.unavailable : ExitStatus.failure)
        case let e as RegistryError:
            Terminal.stderr("error: [\(e.code)] \(e.description)")
            return ExitCode(e.isUserInputError ? ExitStatus.usage : ExitStatus.failure)
        case let e as LockError:
            Terminal.stderr("error: \(e.message)")
            return ExitCode(ExitStatus.failure)
        case let e as ExitCode:
            return e
        case let e as any LocalizedError:
            Terminal.stderr("error: \(e.errorDescription ?? String(describing: e))")
            return ExitCode(ExitStatus.failure)
        default:
            Terminal.stderr("error: \(error)")
            return ExitCode(ExitStatus.failure)
        }
    }
}

/// stdout/stderr helpers; colour only when writing to a terminal and NO_COLOR is unset.
enum Terminal {
    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func stdout(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static var stdoutIsTTY: Bool { isatty(1) == 1 }
    static var stderrIsTTY: Bool { isatty(2) == 1 }
    static var colour: Bool { stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    static func yellow(_ s: String) -> String { colour ? "\u{1B}[33m\(s)\u{1B}[0m" : s }
}

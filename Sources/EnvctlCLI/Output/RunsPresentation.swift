import ArgumentParser
import EnvctlModel
import EnvctlRuns
import Foundation
import GitSupport

/// Where run/pipeline/reproduce errors become user text and exit statuses (64 bad input, 69 missing
/// tool, 1 failure, 70 internal bug).
enum RunsPresentation {
    static func stderr(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Runs `body`, turning library errors into `error: …` on stderr and an exit status.
    static func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as RunsError {
            stderr("error: " + e.description)
            throw ExitCode(e.kind.exitCode)
        } catch let e as GitError {
            stderr("error: " + e.description)
            throw ExitCode(e.code == .notFound || e.code == .ambiguous || e.code == .invalidInput ? 64 : 1)
        } catch let e as DiagnosticsError {
            for d in e.diagnostics { stderr(d.description) }
            throw ExitCode(64)
        } catch let e as ExitCode {
            throw e
        } catch let e as any ParsableArguments & Error {
            throw e
        } catch {
            if error is ValidationError || error is CleanExit { throw error }
            stderr("error: internal: \(error)\n    please report this at the envctl issue tracker")
            throw ExitCode(70)
        }
    }

    static var log: @Sendable (String) -> Void { { stderr($0) } }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

import Foundation
import Yams

extension Lockfile {
    static let header = """
        # envctl.lock: written by `envctl lock` from envctl.yaml. Do not edit by hand.
        # Commit it. `envctl lock --check` fails when it is stale; `envctl diff` compares two locks.

        """

    /// The exact bytes written to disk.
    package func yaml() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.width = -1
        encoder.options.sortKeys = false
        return Self.header + (try encoder.encode(self))
    }

    /// Reads a lock, with `file:line:col` diagnostics for malformed content.
    package static func parse(_ text: String, file: String) throws(DiagnosticsError) -> Lockfile {
        try LocatedYAMLDecoder.decode(Lockfile.self, from: text, file: file, limits: .lock)
    }

    package static func load(fileAt path: String) throws(DiagnosticsError) -> Lockfile {
        let data: Data
        do {
            data = try BoundedFile.contents(of: path, limit: InputLimits.lockBytes)
        } catch {
            throw DiagnosticsError([
                .error(
                    "cannot read lock file '\(path)': \(error.reason(what: "a lock"))",
                    hint: error == .unreadable(.noSuchFile) ? "run 'envctl lock' to create it" : nil)
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([.error("cannot read lock file '\(path)': it is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    /// Writes atomically: a reader sees the old lock or the new one, never half of one.
    package func write(to path: String) throws {
        try AtomicFile.write(try yaml(), to: path)
    }
}

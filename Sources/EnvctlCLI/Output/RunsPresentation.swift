import Foundation

/// Output helpers of the run/pipeline/reproduce verbs (errors go through `ErrorPresentation`).
enum RunsPresentation {
    static func stderr(_ line: String) { Terminal.stderr(line) }

    static var log: @Sendable (String) -> Void { { stderr($0) } }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

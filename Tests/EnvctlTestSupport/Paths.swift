package import Foundation

/// Locations inside the repository, for tests that read fixtures or run the built binary.
package enum RepoPaths {
    /// The repository root, derived from this file's path (Tests/EnvctlTestSupport/Paths.swift).
    package static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The built `envctl` binary next to the test bundle (same build directory).
    package static var envctlBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["ENVCTL_BINARY"] { return explicit }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("envctl").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/envctl").path
    }

    /// Whether golden files should be re-recorded instead of compared (`ENVCTL_RECORD_SNAPSHOTS=1`).
    package static var recording: Bool { ProcessInfo.processInfo.environment["ENVCTL_RECORD_SNAPSHOTS"] == "1" }
}

/// A fresh temporary directory, removed by the caller with `cleanup()`.
package struct TemporaryDirectory {
    package let url: URL
    package var path: String { url.path }

    package init(prefix: String = "envctl-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package func write(_ relative: String, _ contents: String) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file, atomically: true, encoding: .utf8)
    }

    package func cleanup() { try? FileManager.default.removeItem(at: url) }
}

import Foundation

/// A real PEP 503 index of tiny stand-in wheels (torch, torchvision, numpy...) served on 127.0.0.1,
/// built by Tests/Fixtures/wheel_index.py. Tests point uv at it through index mirrors.
package final class WheelIndexServer: @unchecked Sendable {
    package let port: Int
    private let process: Process
    private let stdin: Pipe
    private let root: TemporaryDirectory
    /// Where the served files are on disk.
    package var rootPath: String { root.path }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `ENVCTL_INDEX_MIRRORS` value mapping PyPI and the PyTorch index onto this server.
    package var mirrors: String {
        "https://pypi.org/simple=\(baseURL)/pypi/simple,https://download.pytorch.org/whl=\(baseURL)/whl"
    }

    package init() throws {
        root = try TemporaryDirectory(prefix: "envctl-wheels")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", RepoPaths.path("Tests/Fixtures/wheel_index.py"), root.path, "--serve"]
        stdin = Pipe()
        let out = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        try process.run()
        // The script prints "PORT <n>" once it listens.
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let p = Int(text.dropFirst(5)) else {
            process.terminate()
            throw CocoaError(
                .fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "wheel index did not start: \(text)"])
        }
        port = p
    }

    package func stop() {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
        root.cleanup()
    }

    deinit { if process.isRunning { stop() } }
}

/// The `uv` executable for tests: on PATH, or in the tools venv that ci/setup.sh creates (`$ENVCTL_TOOLS_VENV`).
package func uvExecutable() -> String? { Tools.path("uv") }

import Foundation
import Subprocess

/// What a finished helper command (nvidia-smi, podman --version, …) printed.
package struct CommandOutput: Sendable, Hashable {
    /// nil when the program could not be started (not installed).
    package var status: Int32?
    package var stdout: String
    package var stderr: String

    package init(status: Int32?, stdout: String = "", stderr: String = "") {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    package static let notFound = CommandOutput(status: nil)
    package var launched: Bool { status != nil }
    package var succeeded: Bool { status == 0 }
}

/// Runs small helper commands and collects their output. The seam that lets host checks be tested on
/// recorded outputs instead of a real GPU machine.
package protocol CommandRunner: Sendable {
    func run(_ tool: String, _ arguments: [String]) async -> CommandOutput
}

/// Runs commands for real through swift-subprocess, looking the tool up on `PATH`.
package struct SystemCommandRunner: CommandRunner {
    package init() {}

    package func run(_ tool: String, _ arguments: [String]) async -> CommandOutput {
        guard ToolLocator.find(tool) != nil else { return .notFound }
        do {
            let r = try await Subprocess.run(
                .name(tool), arguments: .init(arguments), output: .string(limit: 4 << 20),
                error: .string(limit: 4 << 20))
            let code: Int32
            switch r.terminationStatus {
            case .exited(let c): code = c
            case .signaled(let s): code = 128 + s
            }
            return CommandOutput(status: code, stdout: r.standardOutput, stderr: r.standardError)
        } catch {
            return CommandOutput(status: nil, stderr: "\(error)")
        }
    }
}

/// Finds executables on `PATH`.
package enum ToolLocator {
    package static func find(_ tool: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

import EnvctlModel
import Foundation

/// Runs external programs (buildah, podman, docker, skopeo, git) with Foundation's `Process`. Running
/// children are registered with `Cleanup`, so a signalled envctl terminates them; callers show a failed
/// tool's output only through `ToolOutput.excerpt` (cut, secrets redacted).
package struct ToolRunner: Sendable {
    /// Extra environment for every child (tests point containers-storage at a temp dir this way).
    package var environment: [String: String]

    package init(environment: [String: String] = [:]) { self.environment = environment }

    /// The absolute path of `name` on `PATH`, or nil.
    package func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Captured result of a quiet run.
    package struct Output: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    /// Runs to completion and captures stdout and stderr.
    package func capture(_ executable: String, _ arguments: [String], cwd: String? = nil) throws -> Output {
        let p = makeProcess(executable, arguments, cwd: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        Cleanup.registerChild(p.processIdentifier)
        defer { Cleanup.forgetChild(p.processIdentifier) }
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs with stdout and stderr merged and streamed line by line to `onLine` as they arrive
    /// (the builder's output shown live). Returns the exit status and the last lines, for error messages.
    package func stream(
        _ executable: String, _ arguments: [String], cwd: String? = nil, onLine: (String) -> Void
    ) throws -> (status: Int32, tail: [String]) {
        let p = makeProcess(executable, arguments, cwd: cwd)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        Cleanup.registerChild(p.processIdentifier)
        defer { Cleanup.forgetChild(p.processIdentifier) }
        var pending = Data()
        var tail: [String] = []
        func emit(_ bytes: Data) {
            let line = String(decoding: bytes, as: UTF8.self)
            onLine(line)
            tail.append(line)
            if tail.count > 40 { tail.removeFirst() }
        }
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                emit(pending[pending.startIndex..<nl])
                pending.removeSubrange(pending.startIndex...nl)
            }
        }
        if !pending.isEmpty { emit(pending) }
        p.waitUntilExit()
        return (p.terminationStatus, tail)
    }

    private func makeProcess(_ executable: String, _ arguments: [String], cwd: String?) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        return p
    }
}

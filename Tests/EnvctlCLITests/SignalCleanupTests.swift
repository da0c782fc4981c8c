import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// envctl killed mid-operation: SIGTERM and SIGINT end it with 128+signal, its uv child is terminated with
/// it, and no `envctl-*` temporary entry is left in its TMPDIR.
@Suite(.requires("uv", "python3"), .tags(.uv)) struct SignalCleanupTests {
    /// A Python index that accepts connections and never answers, so uv waits on it until killed.
    final class SilentIndex {
        let process = Process()
        let port: Int

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c",
                """
                import socket, sys, time
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
                print(s.getsockname()[1], flush=True)
                conns = []
                while True:
                    c, _ = s.accept(); conns.append(c)
                """,
            ]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var line = Data()
            while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data("\n".utf8) {
                line.append(b)
            }
            guard let p = Int(String(decoding: line, as: UTF8.self)) else {
                process.terminate()
                throw FixtureError(message: "silent index did not start")
            }
            port = p
        }

        /// SIGKILL: a child of a test thread may start with SIGTERM blocked.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Command lines of running processes that mention `text` (zombies have none).
    static func processes(mentioning text: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let cmd = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return cmd.contains(text) ? cmd : nil
        }
    }

    @Test(arguments: [SIGTERM, SIGINT]) func signalledLockRemovesItsTemporaryFilesAndStopsUV(_ signo: Int32) throws {
        let index = try SilentIndex()
        defer { index.stop() }
        let project = try example("quickstart")
        defer { project.cleanup() }
        let tmp = try TemporaryDirectory(prefix: "envctl-signal-tmpdir")
        defer { tmp.cleanup() }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: RepoPaths.envctlBinary)
        p.arguments = ["lock", "--offline"]
        p.currentDirectoryURL = project.url
        let uvDir = (uvExecutable()! as NSString).deletingLastPathComponent
        let base = "http://127.0.0.1:\(index.port)"
        p.environment = ProcessInfo.processInfo.environment.merging([
            "TMPDIR": tmp.path, "PATH": uvDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""),
            "ENVCTL_INDEX_MIRRORS":
                "https://pypi.org/simple=\(base)/simple,https://download.pytorch.org/whl=\(base)/whl",
            "UV_HTTP_TIMEOUT": "120", "UV_NO_CACHE": "1",
        ]) { _, new in new }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()

        // Wait (bounded) until uv runs on envctl's temporary requirements file.
        var uvRunning = false
        for _ in 0..<1200 where p.isRunning {
            if !Self.processes(mentioning: tmp.path + "/envctl-pin-").isEmpty {
                uvRunning = true
                break
            }
            usleep(50_000)
        }
        #expect(uvRunning, "uv never started on a requirements file in \(tmp.path)")
        let during = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix("envctl-") }
        #expect(!during.isEmpty)

        // The child starts with the test thread's signal mask (SIGINT and SIGTERM may be blocked there);
        // envctl unblocks them itself. Bounded wait, then SIGKILL, so a failure cannot hang the suite.
        kill(p.processIdentifier, signo)
        for _ in 0..<600 where p.isRunning { usleep(50_000) }
        #expect(!p.isRunning, "envctl did not exit after signal \(signo)")
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 128 + signo)
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix("envctl-") }
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(Self.processes(mentioning: tmp.path + "/envctl-pin-").isEmpty, "uv still runs after envctl exited")
    }
}

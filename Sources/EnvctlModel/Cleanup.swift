package import Foundation

/// The process-wide record of what envctl must clean up however it exits: temporary files and directories
/// (`envctl-pin-*`, `envctl-blob-*`, build scratch) and running child processes (uv, builders).
///
/// Code that makes a temporary path creates it with ``makeTemporaryDirectory(prefix:)`` or registers it
/// with ``register(_:)``, and removes it with ``remove(_:)`` when done. The executable removes whatever is
/// left at exit (``removeAll()``), and on SIGINT or SIGTERM first terminates the registered children
/// (``terminateChildren(_:)``), then removes the paths and exits 128+signal.
package enum Cleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var children: Set<Int32> = []

    /// Creates a fresh directory `<TMPDIR>/<prefix>-<random>` (mode 0700) and registers it.
    package static func makeTemporaryDirectory(prefix: String) throws(FileSystemError) -> URL {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/\(prefix)-XXXXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf in mkdtemp(buf.baseAddress!) }
        guard made != nil else {
            throw FileSystemError("create a temporary directory in", base, FileSystemError.Reason(errno: errno))
        }
        let path = String(cString: template)
        register(path)
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Records `path` to be removed at exit if it still exists then.
    package static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }

    /// Removes `path` (a file or a directory tree) now and forgets it.
    package static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        lock.withLock { _ = paths.remove(path) }
    }

    /// Forgets `path` without removing it (it was renamed into place).
    package static func forget(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// The paths still registered.
    package static var registeredPaths: [String] { lock.withLock { paths.sorted() } }

    /// Removes every registered path.
    package static func removeAll() {
        let all = lock.withLock {
            let all = paths
            paths = []
            return all
        }
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }

    /// Records a running child process, to be terminated if envctl is signalled.
    package static func registerChild(_ pid: Int32) { lock.withLock { _ = children.insert(pid) } }

    /// Forgets a child process that has exited.
    package static func forgetChild(_ pid: Int32) { lock.withLock { _ = children.remove(pid) } }

    /// Sends `signal` to every registered child process, waits up to `grace` seconds for them to exit, and
    /// kills those still running.
    package static func terminateChildren(_ signal: Int32 = SIGTERM, grace: Double = 2) {
        let pids = lock.withLock { children }.filter { $0 > 0 }
        for pid in pids { kill(pid, signal) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, pids.contains(where: running) { usleep(50_000) }
        for pid in pids where running(pid) { kill(pid, SIGKILL) }
    }

    /// Whether `pid` is alive (not gone and not a zombie waiting to be reaped).
    static func running(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return !stat[close...].hasPrefix(") Z")
    }
}

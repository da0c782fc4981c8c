import Foundation
import OCIRegistry

/// Renders push/copy events: one self-updating line on a TTY, plain lines otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let tty: Bool
    private let quiet: Bool
    private var sizes: [ContentDigest: Int64] = [:]
    private var done: [ContentDigest: Int64] = [:]
    private var finished = 0
    private var lastDraw = Date.distantPast
    private let start = Date()

    init(tty: Bool = Terminal.stderrIsTTY, quiet: Bool = false) {
        self.tty = tty
        self.quiet = quiet
    }

    func handle(_ event: RegistryEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .blobStarted(let d, let size):
            sizes[d] = size
            done[d] = done[d] ?? 0
        case .blobProgress(let d, let bytes, _):
            done[d] = bytes
            draw()
        case .blobFinished(let d, let size, let outcome):
            done[d] = size
            sizes[d] = size
            finished += 1
            if !tty && !quiet { Terminal.stderr("\(outcome.rawValue) \(d.short) (\(Self.format(size)))") }
            draw(force: true)
        case .manifestPushed(let ref, let digest):
            clearLine()
            if !quiet { Terminal.stderr("pushed manifest \(ref) (\(digest.short))") }
        case .retrying(let what, let attempt, let delay, let reason):
            clearLine()
            Terminal.stderr(
                "retrying \(what) (attempt \(attempt + 1), in \(String(format: "%.1f", delay)) s): \(reason)")
        case .warning(let w):
            clearLine()
            Terminal.stderr("warning: \(w)")
        case .http:
            break
        }
    }

    private func draw(force: Bool = false) {
        guard tty, !quiet else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let total = sizes.values.reduce(0, +)
        let sent = done.values.reduce(0, +)
        let rate = Double(sent) / max(0.001, now.timeIntervalSince(start))
        let line =
            "blobs \(finished)/\(sizes.count)  \(Self.format(sent)) / \(Self.format(total))  \(Self.format(Int64(rate)))/s"
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    private func clearLine() {
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func finish() {
        lock.withLock { clearLine() }
    }

    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes)
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[i])
    }
}

import Foundation

/// Atomic file replacement: write a sibling temp file, fsync, rename over the target.
package enum AtomicFile {
    /// - Throws: `FileSystemError` naming `path` and the reason in words (a directory in the way, a
    ///   missing parent, no permission, a full disk).
    package static func write(_ text: String, to path: String) throws(FileSystemError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileSystemError("write", path, .isDirectory)
        }
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        ).path
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw .errno("write", path) }
        // A signal between here and the rename must not leave the temp file behind.
        Cleanup.register(tmp)
        defer { Cleanup.forget(tmp) }
        var failure: FileSystemError?
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count, failure == nil {
            let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno != EINTR { failure = .errno("write", path) }
            } else {
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .errno("write", path) }
        if close(fd) != 0, failure == nil { failure = .errno("write", path) }
        if failure == nil, rename(tmp, path) != 0 { failure = .errno("write", path) }
        if let failure {
            unlink(tmp)
            throw failure
        }
    }
}

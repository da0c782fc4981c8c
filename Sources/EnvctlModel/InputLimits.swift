package import Foundation

/// The most envctl reads of each kind of input. A file past its limit is bad input (exit 64) and the
/// message names the file and the limit; nothing is parsed from it. Documented in docs/limits.md.
package enum InputLimits {
    /// `envctl.yaml`.
    package static let specBytes = 16 << 20
    /// `envctl.lock` (a lock of thousands of environments stays far below this).
    package static let lockBytes = 64 << 20
    /// `registries.yaml`.
    package static let registriesConfigBytes = 1 << 20
    /// A knowledge-base overlay (`knowledge:` in the spec).
    package static let knowledgeBytes = 16 << 20
    /// A compiled KFP pipeline (200,000 executors are about 20 MiB).
    package static let pipelineBytes = 64 << 20
    /// An image manifest or index (or a layout's `index.json`, a docker archive's `manifest.json` and
    /// config), from a registry, an OCI layout or a docker archive. The distribution spec has registries
    /// accept at least 4 MB; twice that leaves room.
    package static let manifestBytes = 8 << 20
    /// Nesting of YAML mappings and sequences (libyaml itself stops at 1,000).
    package static let yamlDepth = 200
    /// Nodes YAML aliases may add beyond the document's own nodes: at most this many, or as many as the
    /// document has, whichever is more. A billion-laughs document is refused before anything walks it.
    package static let yamlAliasNodes = 100_000

    /// `4 MiB`, `512 KiB`, `100 bytes`.
    package static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// Reads a file, but never more than a limit.
package enum BoundedFile {
    package enum Failure: Error, Sendable, Hashable {
        /// The file cannot be opened or read.
        case unreadable(FileSystemError.Reason)
        /// The file holds more than `limit` bytes (reading stopped there).
        case tooLarge(limit: Int)

        /// `it is larger than 16 MiB, the limit for a spec`, or why the file could not be read.
        package func reason(what: String) -> String {
            switch self {
            case .unreadable(let reason): "\(reason)"
            case .tooLarge(let limit):
                "it is larger than \(InputLimits.describe(bytes: limit)), the limit for \(what)"
            }
        }
    }

    /// The bytes of `path`, at most `limit` of them; reading stops at `limit + 1` bytes, so a device
    /// (`/dev/zero`) or a growing file cannot exhaust memory.
    package static func contents(of path: String, limit: Int) throws(Failure) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(FileSystemError.Reason(errno: errno)) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(.isDirectory) }
            if (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) > limit { throw .tooLarge(limit: limit) }
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(FileSystemError.Reason(errno: errno))
            }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit { throw .tooLarge(limit: limit) }
        }
    }
}

extension String {
    /// The string for quoting inside a message: control characters (newline, tab and carriage return
    /// included), DEL, C1 controls and the invisible bidirectional and zero-width marks are written as
    /// Swift escapes (`\n`, `\u{1B}`, `\u{202E}`), so a value from a pipeline, lock or registry stays on
    /// one line and cannot forge another message, move the cursor or reorder what the user reads.
    package var escapedForMessage: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var out = String.UnicodeScalarView()
        for s in unicodeScalars {
            switch s {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case _ where Self.needsEscape(s):
                out.append(contentsOf: "\\u{\(String(s.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: out.append(s)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0..<0x20, 0x7F...0x9F: true
        case 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}

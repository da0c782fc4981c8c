import Foundation

/// A file-system operation that failed, said in words: which path, what envctl tried, and why
/// ("cannot write envctl.lock: it is a directory"), never Foundation's `NSCocoaErrorDomain Code=512`.
package struct FileSystemError: EnvctlFailure, CustomStringConvertible, Sendable, Hashable {
    /// Why the operation failed, in the words a user acts on.
    package enum Reason: Sendable, Hashable, CustomStringConvertible {
        case exists
        case isDirectory
        case notDirectory
        case noSuchFile
        case noPermission
        case readOnlyVolume
        case noSpace
        /// Anything else, already in words (an `strerror` text, or Foundation's description).
        case other(String)

        package var description: String {
            switch self {
            case .exists: "a file of that name already exists"
            case .isDirectory: "it is a directory"
            case .notDirectory: "a part of the path is a file, not a directory"
            case .noSuchFile: "no such file or directory"
            case .noPermission: "permission denied"
            case .readOnlyVolume: "the file system is read-only"
            case .noSpace: "no space left on the device"
            case .other(let text): text
            }
        }

        /// The reason for a POSIX `errno`.
        package init(errno code: Int32) {
            switch code {
            case EEXIST, ENOTEMPTY: self = .exists
            case EISDIR: self = .isDirectory
            case ENOTDIR: self = .notDirectory
            case ENOENT: self = .noSuchFile
            case EACCES, EPERM: self = .noPermission
            case EROFS: self = .readOnlyVolume
            case ENOSPC, EDQUOT: self = .noSpace
            default: self = .other(String(cString: strerror(code)))
            }
        }

        /// The reason for an error Foundation threw (`CocoaError`, `POSIXError`, an `NSError` wrapping
        /// one). Foundation's "unknown" codes (512, 256) are explained from `path` when it is a directory.
        package init(_ error: any Error, path: String? = nil) {
            if let e = error as? FileSystemError {
                self = e.reason
                return
            }
            if let e = error as? POSIXError {
                self.init(errno: e.code.rawValue)
                return
            }
            let ns = error as NSError
            if ns.domain == NSPOSIXErrorDomain {
                self.init(errno: Int32(ns.code))
                return
            }
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                self.init(errno: Int32(underlying.code))
                return
            }
            if ns.domain == NSCocoaErrorDomain {
                switch CocoaError.Code(rawValue: ns.code) {
                case .fileWriteFileExists: self = .exists
                case .fileNoSuchFile, .fileReadNoSuchFile: self = .noSuchFile
                case .fileWriteNoPermission, .fileReadNoPermission: self = .noPermission
                case .fileWriteVolumeReadOnly: self = .readOnlyVolume
                case .fileWriteOutOfSpace: self = .noSpace
                default:
                    var isDirectory: ObjCBool = false
                    if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                        isDirectory.boolValue
                    {
                        self = .isDirectory
                    } else {
                        self = .other("the operation failed (\(ns.domain) \(ns.code))")
                    }
                }
                return
            }
            self = .other(ns.localizedDescription)
        }
    }

    /// What envctl tried: `write`, `read`, `create directory`, `export`...
    package var operation: String
    package var path: String
    package var reason: Reason
    package var hint: String?

    package init(_ operation: String, _ path: String, _ reason: Reason, hint: String? = nil) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.hint = hint
    }

    /// `error` (a Foundation or POSIX error) as a `FileSystemError`; one already is stays as it is.
    package init(_ operation: String, _ path: String, error: any Error, hint: String? = nil) {
        if let e = error as? FileSystemError {
            self = e
        } else {
            self.init(operation, path, Reason(error, path: path), hint: hint)
        }
    }

    /// The current `errno` as a `FileSystemError`.
    package static func errno(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(operation, path, Reason(errno: Foundation.errno))
    }

    package var description: String {
        let text = "cannot \(operation) \(path): \(reason)"
        return hint.map { "\(text)\n    hint: \($0)" } ?? text
    }

    /// The host said no (exit 1), whichever the reason: envctl's exit statuses for file-system failures
    /// stay what they were; the text says what to fix.
    package var failureKind: FailureKind { .failure }
}

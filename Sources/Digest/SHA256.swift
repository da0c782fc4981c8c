import CCrypto
package import Foundation

/// Streaming SHA-256 over OpenSSL's libcrypto (EVP interface).
///
/// Registry blobs are many gigabytes, so callers feed bytes as they stream and never hold a whole blob.
package struct SHA256: ~Copyable {
    private let context: OpaquePointer

    package init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    package mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(context, base, buffer.count)
    }

    package mutating func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    package mutating func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes the hash and returns the lowercase hex digest (64 characters).
    package consuming func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return out.prefix(Int(length)).map { hexDigits[Int($0)] }.joined()
    }

    /// One-shot hex digest of `data`.
    package static func hex(_ data: some DataProtocol) -> String {
        var h = SHA256()
        h.update(data)
        return h.finalizeHex()
    }

    /// One-shot hex digest of a string's UTF-8 bytes.
    package static func hex(_ string: String) -> String {
        var h = SHA256()
        h.update(string)
        return h.finalizeHex()
    }

    /// Hashes a file by streaming it through one reused 256 KiB buffer (see ``hex(fileAt:bufferSize:)``).
    package static func hex(fileAt path: String) throws -> String { try hex(fileAt: path, bufferSize: 256 << 10) }

    /// Hashes a file by streaming it through one reused buffer (`read(2)` straight into it; nothing is allocated
    /// per chunk, so hashing a many-gigabyte blob costs one buffer of memory and no allocator traffic).
    /// - Parameter bufferSize: bytes per `read(2)`; 256 KiB stays in L2 on common CPUs while keeping syscalls few.
    package static func hex(fileAt path: String, bufferSize: Int) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.posixError(errno, path) }
        defer { close(fd) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        var h = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(4096, bufferSize), alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                h.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw Self.posixError(errno, path)
            }
        }
        return h.finalizeHex()
    }

    private static func posixError(_ code: Int32, _ path: String) -> any Error {
        let c = POSIXErrorCode(rawValue: code) ?? .EIO
        if c == .ENOENT { return CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        return POSIXError(c, userInfo: [NSFilePathErrorKey: path])
    }
}

private let hexDigits: [String] = (0..<256).map { String(format: "%02x", $0) }

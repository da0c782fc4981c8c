import CCurl
import CCurlShims
import Digest
import Foundation
import OCIRegistry

/// Per-transfer state that curl's C callbacks reach through their `userdata` pointer.
///
/// Request bodies are read from the file with `pread` at the right offset in curl's own buffer, and
/// hashed in the same pass; response bodies are hashed as they arrive and go to memory or a file.
final class TransferContext: @unchecked Sendable {
    // Request body
    let body: HTTPRequestBody
    private var fd: Int32 = -1
    private var position: Int64 = 0
    private var sentHash = SHA256()
    private var sentHashValid = true
    // Response
    var statusLine = ""
    var headers = HTTPHeaders()
    var responseBody = Data()
    var bodyLength: Int64 = 0
    private var receivedHash = SHA256()
    let sink: HTTPResponseSink
    private var outFD: Int32 = -1
    var tooLarge = false
    /// Which limit `tooLarge` hit, in words.
    var limitDescription = ""
    var localFailure: String?
    // Control
    let progress: (@Sendable (TransferProgress) -> Void)?
    /// The most body bytes a 2xx response may carry (`HTTPRequest.maxResponseBytes`).
    let maxResponseBytes: Int64?
    private let cancelLock = NSLock()
    private var cancelledFlag = false

    init(
        body: HTTPRequestBody, sink: HTTPResponseSink, progress: (@Sendable (TransferProgress) -> Void)?,
        maxResponseBytes: Int64? = nil
    ) {
        self.body = body
        self.sink = sink
        self.progress = progress
        self.maxResponseBytes = maxResponseBytes
    }

    deinit {
        if fd >= 0 { close(fd) }
        if outFD >= 0 { close(outFD) }
    }

    func open() throws(TransportError) {
        if case .file(let path, _, _) = body {
            fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw TransportError(.localFile, "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        if case .file(let path, let append) = sink {
            outFD = Foundation.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
            if outFD < 0 {
                throw TransportError(.localFile, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    var cancelled: Bool {
        get { cancelLock.withLock { cancelledFlag } }
        set { cancelLock.withLock { cancelledFlag = newValue } }
    }

    private static func takeHex(_ hash: inout SHA256) -> String {
        var done = SHA256()
        swap(&done, &hash)
        return done.finalizeHex()
    }

    // MARK: Callbacks

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let remaining = body.length - position
        let n = Int(min(Int64(capacity), max(remaining, 0)))
        if n == 0 { return 0 }
        switch body {
        case .none:
            return 0
        case .bytes(let data):
            let start = Int(position)
            data.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + start, byteCount: n)
            }
        case .file(let path, let offset, _):
            var done = 0
            while done < n {
                let r = pread(fd, buffer + done, n - done, off_t(offset + position + Int64(done)))
                if r < 0 && errno == EINTR { continue }
                if r <= 0 {
                    localFailure = r == 0 ? "\(path) is shorter than expected" : String(cString: strerror(errno))
                    return CCurlShims_READFUNC_ABORT
                }
                done += r
            }
        }
        sentHash.update(UnsafeRawBufferPointer(start: buffer, count: n))
        position += Int64(n)
        return n
    }

    func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= body.length else { return false }
        position = offset
        if offset == 0 {
            sentHash = SHA256()
            sentHashValid = true
        } else {
            sentHashValid = false
        }
        return true
    }

    func header(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new response (after 100 Continue, or an interim one) starts over.
            statusLine = trimmed
            headers = HTTPHeaders()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.add(name, value)
    }

    /// Whether the current response's status line is 2xx (error bodies are not held to `maxResponseBytes`).
    private var isSuccessStatus: Bool {
        let parts = statusLine.split(separator: " ")
        return parts.count >= 2 && parts[1].hasPrefix("2")
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> Bool {
        if let limit = maxResponseBytes, bodyLength + Int64(buffer.count) > limit, isSuccessStatus {
            // Nothing past the limit is written or hashed: the transfer stops here.
            tooLarge = true
            limitDescription = "response body exceeds \(limit) bytes"
            return false
        }
        receivedHash.update(buffer)
        bodyLength += Int64(buffer.count)
        switch sink {
        case .discard:
            return true
        case .stream(let stream):
            if isSuccessStatus {
                stream(Data(buffer.bindMemory(to: UInt8.self)))
            } else if responseBody.count < 64 << 10 {
                responseBody.append(contentsOf: buffer.bindMemory(to: UInt8.self).prefix(64 << 10 - responseBody.count))
            }
            return true
        case .memory(let limit):
            if responseBody.count + buffer.count > limit {
                tooLarge = true
                limitDescription = "response body exceeds the in-memory limit of \(limit) bytes"
                return false
            }
            responseBody.append(buffer.bindMemory(to: UInt8.self))
            return true
        case .file(let path, _):
            var done = 0
            while done < buffer.count {
                let w = Foundation.write(outFD, buffer.baseAddress! + done, buffer.count - done)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 {
                    localFailure = "cannot write \(path): \(String(cString: strerror(errno)))"
                    return false
                }
                done += w
            }
            return true
        }
    }

    func finish(status: Int) -> HTTPResponse {
        let sent: String? =
            if case .none = body { nil } else if sentHashValid && position == body.length {
                Self.takeHex(&sentHash)
            } else { nil }
        let received = Self.takeHex(&receivedHash)
        return HTTPResponse(
            status: status, headers: headers, body: responseBody, bodyLength: bodyLength, bodySHA256: received,
            sentBodySHA256: sent)
    }
}

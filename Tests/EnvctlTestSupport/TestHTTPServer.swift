package import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 (a thread per connection, Content-Length bodies) that
/// records every request and answers through `handler`. Enough for checking what envctl sends.
package final class TestHTTPServer: @unchecked Sendable {
    package struct Request: Sendable {
        package var method: String
        /// Path and query as sent.
        package var target: String
        package var headers: [String: String]  // lowercased names
        package var body: Data

        package init(method: String, target: String, headers: [String: String], body: Data) {
            self.method = method
            self.target = target
            self.headers = headers
            self.body = body
        }

        package var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        /// Query items, form-decoded ('+' is a space).
        package var query: [String: String] {
            guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            var out: [String: String] = [:]
            for pair in q.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                out[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            return out
        }
        package var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    package static let rawBody = "__raw_body__"

    package typealias Handler = @Sendable (Request) -> (Int, [String: Any])

    private let fd: Int32
    package let port: Int
    private let lock = NSLock()
    private var recorded: [Request] = []
    private let handler: Handler
    private var stopped = false

    package var requests: [Request] { lock.withLock { recorded } }

    package init(handler: @escaping Handler) throws {
        self.handler = handler
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = sock
        var yes: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(sock, 16) == 0 else { throw FixtureError(message: "cannot listen: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    package func stop() {
        lock.withLock { stopped = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// Each connection is served on its own thread, so a handler may hold one response (a watch) open while
    /// another connection (a followed log) is answered.
    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            if lock.withLock({ stopped }) {
                close(client)
                return
            }
            Thread { [self] in
                self.handle(client)
                close(client)
            }.start()
        }
    }

    private func handle(_ client: Int32) {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let n = read(client, &chunk, chunk.count)
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        while true {  // keep-alive: several requests per connection
            let separator = Data("\r\n\r\n".utf8)
            var headerEnd = buffer.range(of: separator)
            while headerEnd == nil {
                if !fill() { return }
                headerEnd = buffer.range(of: separator)
            }
            let head = String(decoding: buffer[..<headerEnd!.lowerBound], as: UTF8.self)
            buffer.removeSubrange(..<headerEnd!.upperBound)
            let lines = head.components(separatedBy: "\r\n")
            let start = lines[0].split(separator: " ")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            if headers["expect"]?.lowercased() == "100-continue" { write(client, "HTTP/1.1 100 Continue\r\n\r\n") }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length { if !fill() { return } }
            let body = buffer.prefix(length)
            buffer.removeFirst(length)
            let request = Request(
                method: String(start[0]), target: String(start[1]), headers: headers, body: Data(body))
            lock.withLock { recorded.append(request) }
            let (status, object) = handler(request)
            // `rawBody` sends bytes as they are (watch event streams, logs).
            let payload =
                object[TestHTTPServer.rawBody] as? Data ?? (try? JSONSerialization.data(withJSONObject: object))
                ?? Data("{}".utf8)
            write(
                client,
                "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n")
            _ = payload.withUnsafeBytes { Glibc.write(client, $0.baseAddress, payload.count) }
        }
    }

    private func write(_ fd: Int32, _ s: String) {
        _ = s.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}

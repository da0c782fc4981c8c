package import Foundation

// The seam between the registry protocol and the wire. `OCIRegistry` speaks HTTP through this protocol
// and never learns which library moves the bytes; `CurlTransport` implements it over libcurl and tests
// may implement it in memory (swift-container-plugin's `HTTPClient` protocol is the model).

/// Case-insensitive, order-preserving HTTP header list.
package struct HTTPHeaders: Sendable, Hashable, Sequence, CustomStringConvertible {
    package private(set) var fields: [(name: String, value: String)] = []

    package init(_ fields: [(String, String)] = []) {
        for (n, v) in fields { add(n, v) }
    }

    package mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field (or removes them when `value` is nil).
    package mutating func set(_ name: String, _ value: String?) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        if let value { fields.append((name, value)) }
    }

    package subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    package func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    package static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.map { "\($0.name.lowercased()):\($0.value)" } == b.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }

    package func hash(into hasher: inout Hasher) {
        for f in fields { hasher.combine(f.name.lowercased()); hasher.combine(f.value) }
    }

    /// Header names and values with credentials masked; the only form that may be printed.
    package var description: String {
        fields.map { "\($0.name): \(HTTPHeaders.isSensitive($0.name) ? "<redacted>" : $0.value)" }
            .joined(separator: "\n")
    }

    /// The name of the first field whose name or value could split the header block or smuggle another
    /// header: control characters (CR, LF, NUL…; tab is allowed in values) or, in names, anything but a token.
    /// Such a field must never be sent.
    package var unsafeFieldName: String? {
        fields.first { !Self.isSafeName($0.name) || !Self.isSafeValue($0.value) }.map { Self.printable($0.name) }
    }

    /// Whether `value` may be sent as a header value: no control characters except tab.
    package static func isSafeValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0)
            }
    }

    /// `name` with anything outside printable ASCII escaped, for an error message.
    static func printable(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? "\($0)" : "?" }.joined())
    }

    static func isSensitive(_ name: String) -> Bool {
        ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(name.lowercased())
    }
}

/// Where a request body comes from. Files are streamed, never loaded.
package enum HTTPRequestBody: Sendable, Hashable {
    case none
    case bytes(Data)
    /// `length` bytes of the file at `path`, starting at `offset`.
    case file(path: String, offset: Int64, length: Int64)

    package var length: Int64 {
        switch self {
        case .none: 0
        case .bytes(let d): Int64(d.count)
        case .file(_, _, let n): n
        }
    }
}

/// Where a response body goes.
package enum HTTPResponseSink: Sendable, Hashable {
    /// Keep up to `limit` bytes in memory; more is an error (`TransportError.Code.responseTooLarge`).
    case memory(limit: Int)
    /// Stream to a file (created or truncated; appended when `append`).
    case file(path: String, append: Bool)
    /// Read and hash, keep nothing.
    case discard
    /// Hand each chunk of a 2xx body to `stream` as it arrives (a followed pod log), keeping none of it; an error
    /// body is kept in memory (up to 64 KiB) for the error message.
    case stream(HTTPResponseStream)
}

/// The receiver of an `HTTPResponseSink.stream` body. Equal only to itself (a sink is compared by identity).
package final class HTTPResponseStream: Sendable, Hashable {
    let receive: @Sendable (Data) -> Void

    package init(_ receive: @escaping @Sendable (Data) -> Void) { self.receive = receive }

    /// Delivers one chunk.
    package func callAsFunction(_ chunk: Data) { receive(chunk) }

    package static func == (a: HTTPResponseStream, b: HTTPResponseStream) -> Bool { a === b }
    package func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// TLS settings for one request; chosen per registry by `RegistryConfiguration`.
package struct TLSSettings: Sendable, Hashable {
    /// Verify the server certificate and host name (default on).
    package var verify: Bool = true
    /// PEM bundle of CAs to trust instead of the system store.
    package var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS, from `certs.d/<host>/client.cert|key`.
    package var clientCertificate: String?
    package var clientKey: String?

    package init(verify: Bool = true, caFile: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil)
    {
        self.verify = verify
        self.caFile = caFile
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}

/// Byte counters reported while a transfer runs.
package struct TransferProgress: Sendable, Hashable {
    package var sent: Int64
    package var received: Int64
    package init(sent: Int64, received: Int64) {
        self.sent = sent
        self.received = received
    }
}

package struct HTTPRequest: Sendable {
    package var method: String
    package var url: URL
    package var headers: HTTPHeaders
    package var body: HTTPRequestBody
    package var tls: TLSSettings
    /// Seconds without progress (below 1 byte/s) before the transfer is abandoned.
    package var stallTimeout: Int = 60
    package var connectTimeout: Int = 30
    /// Seconds for the whole exchange, 0 for no limit (`stallTimeout` still applies). The registry client sets
    /// it for API requests (`RegistryClient.Options.requestTimeout`); blob bodies are bounded by the stall timeout.
    package var timeout: Int = 0
    /// Abort once a 2xx response body exceeds this many bytes, whatever the sink
    /// (`TransportError.Code.responseTooLarge`); nil for no limit beyond the sink's own.
    package var maxResponseBytes: Int64?
    package var progress: (@Sendable (TransferProgress) -> Void)?

    package init(
        method: String, url: URL, headers: HTTPHeaders = HTTPHeaders(), body: HTTPRequestBody = .none,
        tls: TLSSettings = TLSSettings()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.tls = tls
    }
}

package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    /// The body when the sink was `.memory`; empty otherwise.
    package var body: Data
    /// Bytes of body received (whatever the sink).
    package var bodyLength: Int64
    /// SHA-256 (hex) of the received body, computed while it streamed.
    package var bodySHA256: String
    /// SHA-256 (hex) of the request body bytes actually sent, computed while they streamed; nil for no body.
    package var sentBodySHA256: String?

    package init(
        status: Int, headers: HTTPHeaders, body: Data = Data(), bodyLength: Int64? = nil, bodySHA256: String? = nil,
        sentBodySHA256: String? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? Int64(body.count)
        self.bodySHA256 = bodySHA256 ?? ""
        self.sentBodySHA256 = sentBodySHA256
    }
}

/// A failure below HTTP: no status line came back (or the body could not be delivered).
package struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        package var description: String { name }
        package static let couldNotResolve = Code(name: "could-not-resolve")
        package static let couldNotConnect = Code(name: "could-not-connect")
        package static let timedOut = Code(name: "timed-out")
        /// The connection broke while sending or receiving (reset, EOF, empty reply).
        package static let connectionLost = Code(name: "connection-lost")
        /// TLS handshake failed for a protocol reason (e.g. the server speaks plain HTTP).
        package static let tlsHandshake = Code(name: "tls-handshake")
        /// The server certificate was not trusted or did not match the host.
        package static let tlsCertificate = Code(name: "tls-certificate")
        package static let responseTooLarge = Code(name: "response-too-large")
        package static let localFile = Code(name: "local-file")
        /// A header name or value holds control characters (`HTTPHeaders.unsafeFieldName`); nothing was sent.
        package static let unsafeHeader = Code(name: "unsafe-header")
        package static let cancelled = Code(name: "cancelled")
        package static let other = Code(name: "other")
    }

    package var code: Code
    /// Human text from the transport (never contains header values).
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether a retry may help (network trouble, not configuration).
    package var isRetryable: Bool {
        [.couldNotConnect, .timedOut, .connectionLost].contains(code)
    }

    package var description: String { "\(code): \(message)" }
}

/// Moves one HTTP exchange. Implementations must not follow redirects (the registry client does, so
/// it can drop `Authorization` across hosts), must never log header values, and must refuse a request whose
/// `headers.unsafeFieldName` is set with `TransportError(.unsafeHeader)` before sending anything.
package protocol HTTPTransport: Sendable {
    func execute(_ request: HTTPRequest, sink: HTTPResponseSink) async throws(TransportError) -> HTTPResponse
}

import Foundation

// The seam between the registry protocol and the wire. `OCIRegistry` speaks HTTP through this protocol
// and never learns which library moves the bytes; `CurlTransport` implements it over libcurl and tests
// may implement it in memory (swift-container-plugin's `HTTPClient` protocol is the model).

/// Case-insensitive, order-preserving HTTP header list.
public struct HTTPHeaders: Sendable, Hashable, Sequence, CustomStringConvertible {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        for (n, v) in fields { add(n, v) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field (or removes them when `value` is nil).
    public mutating func set(_ name: String, _ value: String?) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        if let value { fields.append((name, value)) }
    }

    public subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.map { "\($0.name.lowercased()):\($0.value)" } == b.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }

    public func hash(into hasher: inout Hasher) {
        for f in fields { hasher.combine(f.name.lowercased()); hasher.combine(f.value) }
    }

    /// Header names and values with credentials masked; the only form that may be printed.
    public var description: String {
        fields.map { "\($0.name): \(HTTPHeaders.isSensitive($0.name) ? "<redacted>" : $0.value)" }
            .joined(separator: "\n")
    }

    static func isSensitive(_ name: String) -> Bool {
        ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(name.lowercased())
    }
}

/// Where a request body comes from. Files are streamed, never loaded.
public enum HTTPRequestBody: Sendable, Hashable {
    case none
    case bytes(Data)
    /// `length` bytes of the file at `path`, starting at `offset`.
    case file(path: String, offset: Int64, length: Int64)

    public var length: Int64 {
        switch self {
        case .none: 0
        case .bytes(let d): Int64(d.count)
        case .file(_, _, let n): n
        }
    }
}

/// Where a response body goes.
public enum HTTPResponseSink: Sendable, Hashable {
    /// Keep up to `limit` bytes in memory; more is an error (`TransportError.Code.responseTooLarge`).
    case memory(limit: Int)
    /// Stream to a file (created or truncated; appended when `append`).
    case file(path: String, append: Bool)
    /// Read and hash, keep nothing.
    case discard
}

/// TLS settings for one request; chosen per registry by `RegistryConfiguration`.
public struct TLSSettings: Sendable, Hashable {
    /// Verify the server certificate and host name (default on).
    public var verify: Bool = true
    /// PEM bundle of CAs to trust instead of the system store.
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS, from `certs.d/<host>/client.cert|key`.
    public var clientCertificate: String?
    public var clientKey: String?

    public init(verify: Bool = true, caFile: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
        self.verify = verify
        self.caFile = caFile
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}

/// Byte counters reported while a transfer runs.
public struct TransferProgress: Sendable, Hashable {
    public var sent: Int64
    public var received: Int64
    public init(sent: Int64, received: Int64) {
        self.sent = sent
        self.received = received
    }
}

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: HTTPHeaders
    public var body: HTTPRequestBody
    public var tls: TLSSettings
    /// Seconds without progress (below 1 byte/s) before the transfer is abandoned.
    public var stallTimeout: Int = 60
    public var connectTimeout: Int = 30
    public var progress: (@Sendable (TransferProgress) -> Void)?

    public init(
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

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The body when the sink was `.memory`; empty otherwise.
    public var body: Data
    /// Bytes of body received (whatever the sink).
    public var bodyLength: Int64
    /// SHA-256 (hex) of the received body, computed while it streamed.
    public var bodySHA256: String
    /// SHA-256 (hex) of the request body bytes actually sent, computed while they streamed; nil for no body.
    public var sentBodySHA256: String?

    public init(
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
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let couldNotResolve = Code(name: "could-not-resolve")
        public static let couldNotConnect = Code(name: "could-not-connect")
        public static let timedOut = Code(name: "timed-out")
        /// The connection broke while sending or receiving (reset, EOF, empty reply).
        public static let connectionLost = Code(name: "connection-lost")
        /// TLS handshake failed for a protocol reason (e.g. the server speaks plain HTTP).
        public static let tlsHandshake = Code(name: "tls-handshake")
        /// The server certificate was not trusted or did not match the host.
        public static let tlsCertificate = Code(name: "tls-certificate")
        public static let responseTooLarge = Code(name: "response-too-large")
        public static let localFile = Code(name: "local-file")
        public static let cancelled = Code(name: "cancelled")
        public static let other = Code(name: "other")
    }

    public var code: Code
    /// Human text from the transport (never contains header values).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether a retry may help (network trouble, not configuration).
    public var isRetryable: Bool {
        [.couldNotConnect, .timedOut, .connectionLost].contains(code)
    }

    public var description: String { "\(code): \(message)" }
}

/// Moves one HTTP exchange. Implementations must not follow redirects (the registry client does, so
/// it can drop `Authorization` across hosts) and must never log header values.
public protocol HTTPTransport: Sendable {
    func execute(_ request: HTTPRequest, sink: HTTPResponseSink) async throws(TransportError) -> HTTPResponse
}

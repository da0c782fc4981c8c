import Foundation

/// Events a long operation reports (push, copy); the CLI renders them.
package enum RegistryEvent: Sendable {
    case blobStarted(digest: ContentDigest, size: Int64)
    case blobProgress(digest: ContentDigest, bytes: Int64, size: Int64)
    case blobFinished(digest: ContentDigest, size: Int64, outcome: BlobOutcome)
    case manifestPushed(reference: ImageReference, digest: ContentDigest)
    case retrying(what: String, attempt: Int, delay: Double, reason: String)
    case warning(String)
    /// `--verbose` request log: method, URL without query, status. Never header values.
    case http(String)
}

/// What happened to one blob during a push or copy.
package enum BlobOutcome: String, Sendable, Hashable, Codable {
    case skipped, mounted, uploaded
}

/// envctl's registry client: distribution-spec v1.1 over an `HTTPTransport`.
///
/// One client serves any number of registries and concurrent tasks. It resolves each host's scheme and
/// auth challenge once (`GET /v2/`), caches bearer tokens per scope set, follows redirects itself
/// (dropping `Authorization` on a host change), and retries with backoff where that is safe.
///
/// ```swift
/// let client = RegistryClient(transport: CurlTransport())
/// let pin = try await client.pin("docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", platform: "linux/amd64")
/// ```
package final class RegistryClient: Sendable {
    package struct Options: Sendable {
        package var configuration: RegistryConfiguration
        package var credentials: any CredentialProvider
        package var retry: RetryPolicy
        /// Receives progress, warnings and (when verbose) request lines.
        package var events: (@Sendable (RegistryEvent) -> Void)?
        /// Default number of blobs transferred at once (per registry override: `maxConcurrentUploads`).
        package var concurrency: Int
        /// Directory for temporary blob files during copy (default: the system temporary directory).
        package var temporaryDirectory: String?
        /// Seconds one attempt of an API request (ping, token, manifest, HEAD: anything without a blob body)
        /// may take in all; 0 for no limit. Blob transfers are bounded by the stall timeout instead.
        package var requestTimeout: Int = 120

        package init(
            configuration: RegistryConfiguration = RegistryConfiguration(),
            credentials: any CredentialProvider = CredentialStore(), retry: RetryPolicy = .default,
            concurrency: Int = 4, events: (@Sendable (RegistryEvent) -> Void)? = nil
        ) {
            self.configuration = configuration
            self.credentials = credentials
            self.retry = retry
            self.concurrency = concurrency
            self.events = events
        }
    }

    package let transport: any HTTPTransport
    package let options: Options
    let state = ClientState()

    package init(transport: any HTTPTransport, options: Options = Options()) {
        self.transport = transport
        self.options = options
    }

    func emit(_ e: RegistryEvent) { options.events?(e) }

    // MARK: Endpoints

    struct Endpoint: Sendable {
        var base: URL  // scheme://host
        var tls: TLSSettings
    }

    /// Scheme, TLS settings and auth challenge for `host`, established by one `GET /v2/`.
    func endpoint(_ host: String) async throws(RegistryError) -> Endpoint {
        if let e = await state.endpoints[host] { return e }
        let settings = options.configuration.settings(for: host)
        let tls = options.configuration.tls(for: host)
        let loopback = RegistryConfiguration.isLoopback(host)
        let candidates: [String] =
            if settings.plainHTTP == true { loopback ? ["http"] : ["http"] } else if loopback {
                ["https", "http"]
            } else { ["https"] }
        var lastError: RegistryError?
        for scheme in candidates {
            guard let base = URL(string: "\(scheme)://\(host)") else {
                throw RegistryError(.invalidReference, "invalid registry host '\(host)'")
            }
            let endpoint = Endpoint(base: base, tls: tls)
            let url = base.appendingPathComponent("v2/")
            do throws(RegistryError) {
                let r = try await executeWithRetry(
                    HTTPRequest(method: "GET", url: url, tls: tls), sink: .memory(limit: 1 << 16), host: host,
                    what: "ping \(host)")
                if r.status == 401,
                    let header = r.headers.values("WWW-Authenticate").joined(separator: ", ")
                        .nilIfEmpty
                {
                    let challenges = (try? AuthChallenge.parse(header)) ?? []
                    await state.setChallenge(Self.preferred(challenges), for: host)
                } else if r.status == 200 {
                    await state.setChallenge(nil, for: host)
                } else if r.status == 404 {
                    throw RegistryError(
                        .unexpectedResponse, "\(host) does not implement the registry API (/v2/ returned 404)",
                        registry: host, method: "GET", url: url, status: 404)
                }
                await state.setEndpoint(endpoint, for: host)
                return endpoint
            } catch let e {
                lastError = e
                // Loopback without TLS: the HTTPS handshake fails against a plain-HTTP server; try http.
                if scheme == "https" && candidates.count > 1 && e.code == .tls && e.message.contains("handshake") {
                    continue
                }
                throw e
            }
        }
        throw lastError ?? RegistryError(.transport, "cannot reach \(host)")
    }

    static func preferred(_ challenges: [AuthChallenge]) -> AuthChallenge? {
        challenges.first { $0.scheme == "bearer" } ?? challenges.first { $0.scheme == "basic" } ?? challenges.first
    }

    // MARK: Requests

    /// A request to a registry host, with the repository scopes it needs.
    struct Call: Sendable {
        var method: String
        var host: String
        /// Path (with query) under the host, or an absolute URL (e.g. an upload `Location`).
        var target: String
        var headers = HTTPHeaders()
        var body: HTTPRequestBody = .none
        var scopes: [String] = []
        var sink: HTTPResponseSink = .memory(limit: 1 << 20)
        /// Retry on network errors/408/429/5xx (only for requests that are safe to repeat).
        var retry = true
        var followRedirects = true
        var progress: (@Sendable (TransferProgress) -> Void)?
        /// The most body bytes a 2xx response may carry (a blob's descriptor size); more aborts the transfer.
        var maxResponseBytes: Int64?
    }

    /// Sends `call` with auth, redirects and retries; returns whatever status came back last.
    func send(_ call: Call) async throws(RegistryError) -> HTTPResponse {
        let ep = try await endpoint(call.host)
        guard var url = URL(string: call.target, relativeTo: ep.base)?.absoluteURL else {
            throw RegistryError(.unexpectedResponse, "invalid URL '\(call.target)'", registry: call.host)
        }
        var scopes = call.scopes
        var authRetried = false
        var redirects = 0
        while true {
            let sameHost = Self.authority(url) == Self.authority(ep.base)
            var headers = call.headers
            if sameHost, let auth = try await authorization(host: call.host, scopes: scopes) {
                headers.set("Authorization", auth)
            }
            var request = HTTPRequest(
                method: call.method, url: url, headers: headers, body: call.body,
                tls: sameHost ? ep.tls : options.configuration.tls(for: Self.authority(url)))
            request.progress = call.progress
            request.maxResponseBytes = call.maxResponseBytes
            try checkScheme(url, host: call.host)
            let response: HTTPResponse
            if call.retry {
                response = try await executeWithRetry(
                    request, sink: call.sink, host: call.host,
                    what: "\(call.method) \(RegistryError.redact(url))")
            } else {
                do {
                    response = try await transport.execute(bounded(request, sink: call.sink), sink: call.sink)
                    emit(.http("\(call.method) \(RegistryError.redact(url)) → \(response.status)"))
                } catch {
                    throw Self.wrap(error, host: call.host, method: call.method, url: url)
                }
            }
            if response.status == 401, sameHost, !authRetried {
                authRetried = true
                let header = response.headers.values("WWW-Authenticate").joined(separator: ", ")
                if let c = Self.preferred((try? AuthChallenge.parse(header)) ?? []) {
                    await state.setChallenge(c, for: call.host)
                    for s in c.scopes where !scopes.contains(s) { scopes.append(s) }
                }
                await state.dropTokens(for: call.host)
                if await state.challenge(for: call.host) != nil { continue }
            }
            if [301, 302, 303, 307, 308].contains(response.status), call.followRedirects,
                let loc = response.headers["Location"], redirects < 10,
                let next = URL(string: loc, relativeTo: url)?.absoluteURL
            {
                redirects += 1
                url = next
                continue
            }
            return response
        }
    }

    /// Executes `request`, retrying network errors and retryable statuses with backoff.
    func executeWithRetry(
        _ request: HTTPRequest, sink: HTTPResponseSink, host: String, what: String
    ) async throws(RegistryError) -> HTTPResponse {
        let request = bounded(request, sink: sink)
        let started = Date()
        var attempt = 1
        while true {
            do {
                let r = try await transport.execute(request, sink: sink)
                emit(.http("\(request.method) \(RegistryError.redact(request.url)) → \(r.status)"))
                let after = RetryPolicy.parseRetryAfter(r.headers["Retry-After"])
                let d = options.retry.delay(attempt: attempt, retryAfter: after)
                if RetryPolicy.isRetryable(status: r.status),
                    options.retry.mayRetry(attempt: attempt, elapsed: Date().timeIntervalSince(started), delay: d)
                {
                    emit(.retrying(what: what, attempt: attempt, delay: d, reason: "HTTP \(r.status)"))
                    try await sleep(d)
                    attempt += 1
                    continue
                }
                return r
            } catch let e as TransportError {
                let d = options.retry.delay(attempt: attempt)
                if e.isRetryable,
                    options.retry.mayRetry(attempt: attempt, elapsed: Date().timeIntervalSince(started), delay: d)
                {
                    emit(.retrying(what: what, attempt: attempt, delay: d, reason: e.message))
                    try await sleep(d)
                    attempt += 1
                    continue
                }
                throw Self.wrap(e, host: host, method: request.method, url: request.url)
            } catch let e as RegistryError {
                throw e
            } catch {
                throw RegistryError(.transport, "\(error)", registry: host)
            }
        }
    }

    /// `request` with `Options.requestTimeout` as its total time limit when it moves no blob body (a request
    /// body from a file, or a response into a file or discarded).
    func bounded(_ request: HTTPRequest, sink: HTTPResponseSink) -> HTTPRequest {
        guard request.timeout == 0, case .memory = sink else { return request }
        if case .file = request.body { return request }
        var r = request
        r.timeout = options.requestTimeout
        return r
    }

    func sleep(_ seconds: Double) async throws(RegistryError) {
        do { try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9)) } catch {
            throw RegistryError(.transport, "cancelled")
        }
    }

    static func wrap(_ e: TransportError, host: String, method: String, url: URL) -> RegistryError {
        switch e.code {
        case .tlsCertificate:
            return RegistryError(
                .tls, "TLS certificate of \(host) is not trusted: \(e.message)", registry: host,
                method: method, url: url,
                hint: "add its CA as certs.d/\(host)/ca.crt or caFile in registries.yaml")
        case .tlsHandshake:
            return RegistryError(
                .tls, "TLS handshake with \(host) failed: \(e.message)", registry: host,
                method: method, url: url,
                hint: "if \(host) speaks plain HTTP, set plainHTTP: true for it in registries.yaml")
        case .localFile:
            return RegistryError(.localIO, e.message, registry: host, method: method, url: url)
        case .unsafeHeader:
            // The transport refuses such headers before sending anything; say where they usually come from.
            return RegistryError(
                .unsafeHeader, "refusing to send to \(host): \(e.message)", registry: host, method: method, url: url,
                hint: "a token or credential for \(host) contains CR, LF or other control characters")
        case .responseTooLarge:
            return RegistryError(
                .oversizedResponse, "\(host) sent more than expected: \(e.message)", registry: host, method: method,
                url: url)
        default:
            return RegistryError(
                .transport, "cannot reach \(host): \(e.message)", registry: host, method: method, url: url)
        }
    }

    /// Plain HTTP is allowed only for loopback hosts or hosts configured with `plainHTTP: true`.
    func checkScheme(_ url: URL, host: String) throws(RegistryError) {
        guard url.scheme == "http" else { return }
        let target = Self.authority(url)
        if RegistryConfiguration.isLoopback(target) { return }
        if options.configuration.settings(for: target).plainHTTP == true { return }
        if target == host, options.configuration.settings(for: host).plainHTTP == true { return }
        throw RegistryError(
            .insecureRefused, "refusing plain HTTP to \(target)", registry: host,
            hint: "set plainHTTP: true for \(target) in registries.yaml if that is intended")
    }

    static func authority(_ url: URL) -> String {
        guard let host = url.host else { return "" }
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = url.port { return "\(h):\(port)" }
        return h
    }

    /// Turns a non-success response into a `RegistryError` carrying the registry's own codes.
    func failure(_ r: HTTPResponse, call: Call, what: String) async -> RegistryError {
        let errors = DistributionError.decode(r.body)
        let url = URL(string: call.target, relativeTo: await state.endpoints[call.host]?.base)?.absoluteURL
        let code: RegistryError.Code =
            switch r.status {
            case 401: .unauthorized
            case 403: .denied
            case 404: .notFound
            case 429: .rateLimited
            case 500...599: .serverError
            default:
                errors.contains { $0.code == "DIGEST_INVALID" } ? .digestMismatch : .unexpectedResponse
            }
        var hint: String?
        if r.status == 401 {
            let cred = try? await options.credentials.credential(for: call.host)
            hint =
                cred == nil
                ? "log in with 'envctl login \(call.host)' or pass --username/--password-stdin"
                : "the registry rejected the credentials (\(cred!.description))"
        }
        return RegistryError(
            code, "\(what) failed", registry: call.host, method: call.method, url: url,
            status: r.status, errors: errors, hint: hint)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension RegistryClient {
    /// Verifies that the configured credentials for `host` are accepted (`GET /v2/` with auth).
    package func checkLogin(_ host: String) async throws(RegistryError) {
        let apiHost = host == ImageReference.dockerHub ? ImageReference.dockerHubAPIHost : host
        _ = try await endpoint(apiHost)
        var call = Call(method: "GET", host: apiHost, target: "/v2/")
        if let c = await state.challenge(for: apiHost), c.scheme == "bearer" {
            call.scopes = []
        }
        guard try await options.credentials.credential(for: apiHost) != nil || host != apiHost else { return }
        let r = try await send(call)
        guard r.status == 200 else { throw await failure(r, call: call, what: "logging in to \(host)") }
    }
}

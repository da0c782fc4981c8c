import EnvctlModel
import Foundation

/// Mutable per-client caches: endpoints, auth challenges, bearer tokens.
actor ClientState {
    struct Token {
        var value: String
        var expires: Date
    }

    private(set) var endpoints: [String: RegistryClient.Endpoint] = [:]
    private var challenges: [String: AuthChallenge?] = [:]
    private var tokens: [String: Token] = [:]
    /// In-flight token fetches, so parallel uploads share one token request.
    private var pending: [String: Task<Token, any Error>] = [:]

    func setEndpoint(_ e: RegistryClient.Endpoint, for host: String) { endpoints[host] = e }
    func setChallenge(_ c: AuthChallenge?, for host: String) { challenges[host] = .some(c) }
    func challenge(for host: String) -> AuthChallenge? { challenges[host] ?? nil }

    func dropTokens(for host: String) {
        tokens = tokens.filter { !$0.key.hasPrefix(host + " ") }
    }

    func token(key: String, fetch: @escaping @Sendable () async throws -> Token) async throws -> Token {
        if let t = tokens[key], t.expires.timeIntervalSinceNow > 10 { return t }
        if let p = pending[key] { return try await p.value }
        let task = Task { try await fetch() }
        pending[key] = task
        defer { pending[key] = nil }
        let t = try await task.value
        tokens[key] = t
        return t
    }
}

extension RegistryClient {
    /// The `Authorization` value for `host` and `scopes`, or nil when the registry is open / no credentials.
    func authorization(host: String, scopes: [String]) async throws(RegistryError) -> String? {
        guard let challenge = await state.challenge(for: host) else { return nil }
        let credential = try await options.credentials.credential(for: host)
        switch challenge.scheme {
        case "basic":
            guard let credential else { return nil }
            switch credential.kind {
            case .basic(let u, let p): return "Basic " + Data("\(u):\(p)".utf8).base64EncodedString()
            case .registryToken(let t): return "Bearer \(t)"
            case .identityToken:
                throw RegistryError(
                    .invalidConfiguration, "\(host) asks for Basic auth but only an identity token is stored")
            }
        case "bearer":
            if case .registryToken(let t) = credential?.kind { return "Bearer \(t)" }
            let sorted = Array(Set(scopes)).sorted()
            // Push scopes first: some registries honour only the first scope (go-containerregistry).
            let ordered = sorted.filter { $0.contains("push") } + sorted.filter { !$0.contains("push") }
            let key = "\(host) \(ordered.joined(separator: " "))"
            do {
                let token = try await state.token(key: key) { [self] in
                    try await self.fetchToken(host: host, challenge: challenge, scopes: ordered, credential: credential)
                }
                return "Bearer \(token.value)"
            } catch let e as RegistryError {
                throw e
            } catch {
                throw RegistryError(.unauthorized, "token request for \(host) failed", registry: host)
            }
        default:
            throw RegistryError(
                .unexpectedResponse, "\(host) asks for unsupported auth scheme '\(challenge.scheme)'",
                registry: host)
        }
    }

    /// Runs the token flow (distribution token spec, plus the OAuth2 POST for identity tokens).
    func fetchToken(
        host: String, challenge: AuthChallenge, scopes: [String], credential: RegistryCredential?
    ) async throws(RegistryError) -> ClientState.Token {
        guard let realmText = challenge.realm, let realm = URL(string: realmText), realm.scheme != nil,
            let realmHost = realm.host, !realmHost.isEmpty
        else {
            throw RegistryError(
                .unexpectedResponse, "\(host) sent a Bearer challenge without a usable realm", registry: host)
        }
        if realm.scheme == "http", credential != nil {
            try checkScheme(realm, host: host)
        }
        let realmAuthority = Self.authority(realm)
        var tls = options.configuration.tls(for: realmAuthority)
        if realmAuthority == host, let ep = await state.endpoints[host] { tls = ep.tls }
        var request: HTTPRequest
        if case .identityToken(let refresh) = credential?.kind {
            var form = URLComponents()
            form.queryItems = [
                URLQueryItem(name: "grant_type", value: "refresh_token"),
                URLQueryItem(name: "refresh_token", value: refresh),
                URLQueryItem(name: "client_id", value: "envctl"),
                URLQueryItem(name: "service", value: challenge.service ?? ""),
                URLQueryItem(name: "scope", value: scopes.joined(separator: " ")),
            ]
            let body = Data((form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
            request = HTTPRequest(
                method: "POST", url: realm,
                headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                body: .bytes(body), tls: tls)
        } else {
            var c = URLComponents(url: realm, resolvingAgainstBaseURL: false)!
            var items = c.queryItems ?? []
            if let s = challenge.service { items.append(URLQueryItem(name: "service", value: s)) }
            for s in scopes { items.append(URLQueryItem(name: "scope", value: s)) }
            c.queryItems = items.isEmpty ? nil : items
            var headers = HTTPHeaders()
            if case .basic(let u, let p) = credential?.kind {
                headers.set("Authorization", "Basic " + Data("\(u):\(p)".utf8).base64EncodedString())
            }
            request = HTTPRequest(method: "GET", url: c.url!, headers: headers, tls: tls)
        }
        let r = try await executeWithRetry(request, sink: .memory(limit: 1 << 20), host: host, what: "token request")
        guard r.status == 200 else {
            let code: RegistryError.Code =
                r.status == 401 ? .unauthorized : r.status == 403 ? .denied : .unexpectedResponse
            throw RegistryError(
                code,
                "authentication to \(host) failed" + (credential.map { " for \($0.description)" } ?? " (anonymous)"),
                registry: host, method: request.method, url: realm, status: r.status,
                errors: DistributionError.decode(r.body),
                hint: credential == nil ? "log in with 'envctl login \(host)'" : "check the username and password")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any],
            let token = (obj["token"] as? String) ?? (obj["access_token"] as? String), !token.isEmpty
        else {
            throw RegistryError(
                .unexpectedResponse, "token response from \(realmAuthority) has no token", registry: host)
        }
        // A bearer token is a b64token (RFC 6750): visible ASCII. CR/LF would inject headers; refuse it unsent.
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw RegistryError(
                .unsafeHeader,
                "token response from \(realmAuthority) holds a token with spaces or control characters; it was not used",
                registry: host, method: request.method, url: realm)
        }
        Secrets.register(token)
        let lifetime = (obj["expires_in"] as? Double).map { max($0, 10) } ?? 60
        var issued = Date()
        if let s = obj["issued_at"] as? String, let d = ISO8601DateFormatter().date(from: s),
            abs(d.timeIntervalSinceNow) < 300
        {
            issued = d
        }
        return ClientState.Token(value: token, expires: issued.addingTimeInterval(lifetime))
    }
}

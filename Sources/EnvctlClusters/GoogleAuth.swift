import Digest
import EnvctlModel
package import EnvctlRuns
package import Foundation
package import OCIRegistry

/// Application Default Credentials for Vertex AI, without the Google SDKs:
/// 1. `GOOGLE_APPLICATION_CREDENTIALS` naming a service-account key (JSON): a JWT assertion signed RS256 with the
///    key (libcrypto) is exchanged at the key's `token_uri` (RFC 7523 `jwt-bearer` grant);
/// 2. gcloud's ADC file (`~/.config/gcloud/application_default_credentials.json`) when it holds a service account;
/// 3. `gcloud auth print-access-token`, when gcloud is installed;
/// 4. the metadata server (`GCE_METADATA_HOST`, default `metadata.google.internal`) on Google Cloud machines.
/// Tokens are refreshed a minute before they expire, so a long `--wait` keeps working. Tokens are registered as
/// secrets and never printed.
package actor GoogleAuth {
    package enum Source: Sendable {
        case serviceAccount(path: String)
        case gcloud(path: String)
        case metadata(host: String)
    }

    package static let scope = "https://www.googleapis.com/auth/cloud-platform"

    let source: Source
    let transport: any HTTPTransport
    var token: String?
    var expiry: Date?

    package init(source: Source, transport: any HTTPTransport) {
        self.source = source
        self.transport = transport
    }

    package var sourceDescription: String {
        switch source {
        case .serviceAccount(let p): "service account key \(p)"
        case .gcloud: "gcloud auth print-access-token"
        case .metadata(let h): "metadata server \(h)"
        }
    }

    /// The ADC source, in the order above.
    package static func discover(
        environment: [String: String] = ProcessInfo.processInfo.environment, transport: any HTTPTransport
    ) -> GoogleAuth {
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"], !path.isEmpty {
            return GoogleAuth(source: .serviceAccount(path: path), transport: transport)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let well =
            (environment["CLOUDSDK_CONFIG"] ?? home + "/.config/gcloud") + "/application_default_credentials.json"
        if let data = FileManager.default.contents(atPath: well),
            let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            o["type"] as? String == "service_account"
        {
            return GoogleAuth(source: .serviceAccount(path: well), transport: transport)
        }
        if let gcloud = ToolLocator.find("gcloud", path: environment["PATH"]) {
            return GoogleAuth(source: .gcloud(path: gcloud), transport: transport)
        }
        return GoogleAuth(
            source: .metadata(host: environment["GCE_METADATA_HOST"] ?? "metadata.google.internal"),
            transport: transport)
    }

    /// This credential as a token source for `PipelineSubmitter`: asked before every request, refreshed as
    /// `accessToken` refreshes.
    package nonisolated var bearerTokens: BearerTokenSource {
        BearerTokenSource { () async throws(RunsError) -> String? in try await self.accessToken() }
    }

    /// A valid access token, fetched again when the last one expires within a minute.
    package func accessToken(now: Date = Date()) async throws(RunsError) -> String {
        if let token, let expiry, expiry.timeIntervalSince(now) > 60 { return token }
        if let token, expiry == nil { return token }
        let (t, e) = try await fetch(now: now)
        Secrets.register(t)
        token = t
        expiry = e
        return t
    }

    func fetch(now: Date) async throws(RunsError) -> (String, Date?) {
        switch source {
        case .serviceAccount(let path): return try await serviceAccountToken(path: path, now: now)
        case .gcloud(let gcloud):
            let out = ProcessRun.run(gcloud, ["auth", "print-access-token"])
            let t = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard out.status == 0, !t.isEmpty else {
                throw RunsError(
                    .failure, "gcloud auth print-access-token failed (\(out.status))",
                    hint: "run 'gcloud auth login', or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key")
            }
            // gcloud tokens last an hour; ask again after 50 minutes.
            return (t, now.addingTimeInterval(50 * 60))
        case .metadata(let host):
            let url = URL(
                string: "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token?scopes=\(Self.scope)"
            )!
            let request = HTTPRequest(
                method: "GET", url: url, headers: HTTPHeaders([("Metadata-Flavor", "Google")]), body: .none)
            let object = try await exchange(request, what: "the metadata server \(host)")
            return try Self.parseToken(object, now: now, what: "the metadata server")
        }
    }

    func serviceAccountToken(path: String, now: Date) async throws(RunsError) -> (String, Date?) {
        guard let data = FileManager.default.contents(atPath: path),
            let key = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw RunsError(.badInput, "cannot read the service-account key '\(path)' (GOOGLE_APPLICATION_CREDENTIALS)")
        }
        guard key["type"] as? String == "service_account", let email = key["client_email"] as? String,
            let pem = key["private_key"] as? String
        else {
            throw RunsError(
                .badInput, "'\(path)' is not a service-account key (type service_account, client_email, private_key)",
                hint: "for a user login, use gcloud (envctl runs 'gcloud auth print-access-token')")
        }
        Secrets.register(pem)
        let tokenURI = key["token_uri"] as? String ?? "https://oauth2.googleapis.com/token"
        guard let tokenURL = URL(string: tokenURI), tokenURL.scheme == "https" || tokenURL.scheme == "http" else {
            throw RunsError(.badInput, "'\(path)': token_uri '\(tokenURI)' is not an http(s) URL")
        }
        let assertion: String
        do {
            assertion = try Self.assertion(
                email: email, keyID: key["private_key_id"] as? String, pem: pem, audience: tokenURI, now: now)
        } catch { throw RunsError(.badInput, "'\(path)': cannot sign with its private_key: \(error)") }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let form =
            "grant_type=\("urn:ietf:params:oauth:grant-type:jwt-bearer".addingPercentEncoding(withAllowedCharacters: allowed)!)&assertion=\(assertion)"
        let request = HTTPRequest(
            method: "POST", url: tokenURL,
            headers: HTTPHeaders([
                ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
            ]),
            body: .bytes(Data(form.utf8)))
        let object = try await exchange(request, what: "the token endpoint \(tokenURL.host ?? tokenURI)")
        return try Self.parseToken(object, now: now, what: "the token endpoint")
    }

    /// The signed JWT (`header.claims.signature`, base64url) a service account exchanges for an access token.
    package static func assertion(email: String, keyID: String?, pem: String, audience: String, now: Date) throws
        -> String
    {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let iat = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": email, "scope": scope, "aud": audience, "iat": iat, "exp": iat + 3600,
        ]
        let signingInput =
            base64url(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) + "."
            + base64url(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try RS256.sign(Data(signingInput.utf8), privateKeyPEM: pem)
        return signingInput + "." + base64url(signature)
    }

    package static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func parseToken(_ object: [String: Any], now: Date, what: String) throws(RunsError) -> (String, Date?) {
        guard let t = object["access_token"] as? String, !t.isEmpty else {
            throw RunsError(.failure, "\(what) returned no access_token")
        }
        let seconds = (object["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (t, now.addingTimeInterval(seconds))
    }

    func exchange(_ request: HTTPRequest, what: String) async throws(RunsError) -> [String: Any] {
        let response: HTTPResponse
        do { response = try await transport.execute(request, sink: .memory(limit: 1 << 20)) } catch {
            throw RunsError(.failure, "cannot reach \(what): \(error.message)")
        }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            let detail = (object["error_description"] as? String) ?? (object["error"] as? String) ?? ""
            throw RunsError(
                .failure, "\(what) refused the credentials: HTTP \(response.status) \(detail)",
                hint: "check the service-account key (it may be disabled or deleted) and the clock")
        }
        return object
    }
}

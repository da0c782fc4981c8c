package import EnvctlModel
package import Foundation

/// One entry of a registry's `{"errors":[{"code":…,"message":…,"detail":…}]}` body (distribution-spec).
package struct DistributionError: Sendable, Hashable, Codable, CustomStringConvertible {
    package var code: String
    package var message: String?
    /// `detail` re-encoded as compact JSON text (it may be any JSON value).
    package var detail: String?

    package init(code: String, message: String? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    package var description: String { message.map { "\(code): \($0)" } ?? code }

    /// Decodes the OCI error body; returns [] for anything else (HTML from a proxy, plain text…).
    package static func decode(_ body: Data) -> [DistributionError] {
        guard !body.isEmpty, let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let errors = object["errors"] as? [[String: Any]]
        else { return [] }
        return errors.compactMap { e in
            guard let code = e["code"] as? String else { return nil }
            var detail: String?
            if let d = e["detail"], !(d is NSNull),
                let data = try? JSONSerialization.data(withJSONObject: d, options: [.fragmentsAllowed, .sortedKeys])
            {
                detail = String(decoding: data, as: UTF8.self)
            }
            return DistributionError(code: code, message: e["message"] as? String, detail: detail)
        }
    }
}

/// Everything that can go wrong talking to a registry or reading an image source.
///
/// A struct with an open set of codes (swift-subprocess `SubprocessError` shape), so codes can be added
/// without breaking callers. Messages never contain credentials: URLs are printed without their query,
/// and header values are never copied into errors.
package struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let name: String
        package var description: String { name }
        init(_ name: String) { self.name = name }

        /// The reference text does not parse (user input).
        package static let invalidReference = Code("invalid-reference")
        /// registries.yaml, auth files or flags are wrong (user input).
        package static let invalidConfiguration = Code("invalid-configuration")
        /// An image source (OCI layout, docker archive) is missing or malformed (user input).
        package static let invalidSource = Code("invalid-source")
        /// A manifest or index could not be parsed, or declares an unsupported schema.
        package static let invalidManifest = Code("invalid-manifest")
        /// Credentials were missing or rejected (401).
        package static let unauthorized = Code("unauthorized")
        /// Authenticated but not allowed (403, or `insufficient_scope` after re-scoping).
        package static let denied = Code("denied")
        /// Repository, tag, manifest or blob does not exist.
        package static let notFound = Code("not-found")
        /// Bytes did not hash to the digest they were addressed by or announced with.
        package static let digestMismatch = Code("digest-mismatch")
        /// 429 persisted through every retry.
        package static let rateLimited = Code("rate-limited")
        /// 5xx persisted through every retry.
        package static let serverError = Code("server-error")
        /// A response body was larger than allowed (a blob longer than its descriptor's size); the transfer
        /// was aborted at the limit.
        package static let oversizedResponse = Code("oversized-response")
        /// A token or other header value holds control characters (CR/LF could inject headers); it was not sent.
        package static let unsafeHeader = Code("unsafe-header")
        /// Any other unexpected status or protocol violation.
        package static let unexpectedResponse = Code("unexpected-response")
        /// No HTTP response (connection, DNS, timeout) after every retry.
        package static let transport = Code("transport")
        /// TLS failed: untrusted certificate, wrong host, or handshake error.
        package static let tls = Code("tls")
        /// Plain HTTP to a non-loopback host without `plainHTTP: true` for it.
        package static let insecureRefused = Code("insecure-refused")
        /// A `docker-credential-*` helper failed.
        package static let credentialHelper = Code("credential-helper")
        /// The requested platform is not in the index.
        package static let platformNotFound = Code("platform-not-found")
        /// A local file could not be read or written.
        package static let localIO = Code("local-io")
    }

    package var code: Code
    package var message: String
    /// The registry host (as configured, e.g. `docker.io`), when one was involved.
    package var registry: String?
    package var method: String?
    /// The request URL without query or fragment (query strings can carry upload state).
    package var url: String?
    package var status: Int?
    /// The registry's own error list, decoded from the response body.
    package var errors: [DistributionError]
    package var hint: String?

    package init(
        _ code: Code, _ message: String, registry: String? = nil, method: String? = nil, url: URL? = nil,
        status: Int? = nil, errors: [DistributionError] = [], hint: String? = nil
    ) {
        self.code = code
        self.message = message
        self.registry = registry
        self.method = method
        self.url = url.map(Self.redact)
        self.status = status
        self.errors = errors
        self.hint = hint
    }

    /// `scheme://host/path`, dropping user info, query and fragment.
    package static func redact(_ url: URL) -> String {
        guard var c = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<url>" }
        c.user = nil
        c.password = nil
        c.query = nil
        c.fragment = nil
        return c.string ?? "<url>"
    }

    /// Whether the problem is in what the user gave envctl (exit 64) rather than the remote side (exit 1).
    package var isUserInputError: Bool {
        [.invalidReference, .invalidConfiguration, .invalidSource, .platformNotFound].contains(code)
    }

    package var description: String {
        var text = message
        if let status, let method, let url {
            text += " (\(method) \(url) → \(status))"
        } else if let method, let url {
            text += " (\(method) \(url))"
        }
        if !errors.isEmpty { text += ": " + errors.map(\.description).joined(separator: "; ") }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}

extension RegistryError: LocalizedError {
    package var errorDescription: String? { description }
}

extension RegistryError: EnvctlFailure {
    /// A malformed reference, registries config or image source is bad input; anything the registry or
    /// the network did is a failure. The registry's own error code stays in `code` and `errors`.
    package var failureKind: FailureKind { isUserInputError ? .badInput : .failure }
}

import EnvctlModel
import Foundation

/// How blobs are uploaded to a registry.
package enum UploadMode: String, Sendable, Hashable, Codable {
    /// Monolithic PUT; chunked above `monolithicMaxMiB` or after a failed PUT.
    case auto
    /// Always monolithic (no chunked fallback).
    case monolithic
    /// Always chunked PATCH with `Content-Range` (Quay > 20 GB, Cloudflare-fronted registries, Artifactory).
    case chunked
}

/// Settings for one registry host, from `registries.yaml`.
///
/// ```yaml
/// registries:
///   docker.io:
///     mirrors: ["127.0.0.1:5000", "mirror.internal/dockerhub"]   # tried in order for pulls, then docker.io
///   registry.internal:5000:
///     plainHTTP: true          # allow http:// (loopback hosts are allowed without this)
///     skipTLSVerify: false     # separate from plainHTTP: HTTPS without verifying the certificate
///     caFile: /etc/ssl/team-ca.pem
///     uploadMode: auto         # auto | monolithic | chunked
///     chunkSizeMiB: 64
///     monolithicMaxMiB: 10240  # above this size, upload chunked
///     maxConcurrentUploads: 4
/// ```
package struct RegistryHostSettings: Sendable, Hashable, Codable {
    package var mirrors: [String]?
    package var plainHTTP: Bool?
    package var skipTLSVerify: Bool?
    package var caFile: String?
    package var clientCertificate: String?
    package var clientKey: String?
    package var uploadMode: UploadMode?
    package var chunkSizeMiB: Int?
    package var monolithicMaxMiB: Int?
    package var maxConcurrentUploads: Int?

    package init(
        mirrors: [String]? = nil, plainHTTP: Bool? = nil, skipTLSVerify: Bool? = nil, caFile: String? = nil,
        uploadMode: UploadMode? = nil, chunkSizeMiB: Int? = nil, monolithicMaxMiB: Int? = nil,
        maxConcurrentUploads: Int? = nil
    ) {
        self.mirrors = mirrors
        self.plainHTTP = plainHTTP
        self.skipTLSVerify = skipTLSVerify
        self.caFile = caFile
        self.uploadMode = uploadMode
        self.chunkSizeMiB = chunkSizeMiB
        self.monolithicMaxMiB = monolithicMaxMiB
        self.maxConcurrentUploads = maxConcurrentUploads
    }

    /// `other`'s values where set, else ours.
    func overlaid(by other: RegistryHostSettings) -> RegistryHostSettings {
        var r = self
        r.mirrors = other.mirrors ?? mirrors
        r.plainHTTP = other.plainHTTP ?? plainHTTP
        r.skipTLSVerify = other.skipTLSVerify ?? skipTLSVerify
        r.caFile = other.caFile ?? caFile
        r.clientCertificate = other.clientCertificate ?? clientCertificate
        r.clientKey = other.clientKey ?? clientKey
        r.uploadMode = other.uploadMode ?? uploadMode
        r.chunkSizeMiB = other.chunkSizeMiB ?? chunkSizeMiB
        r.monolithicMaxMiB = other.monolithicMaxMiB ?? monolithicMaxMiB
        r.maxConcurrentUploads = other.maxConcurrentUploads ?? maxConcurrentUploads
        return r
    }
}

/// Registry settings for a whole run: per-host settings, defaults, and where `certs.d` trees live.
package struct RegistryConfiguration: Sendable, Hashable {
    package var registries: [String: RegistryHostSettings]
    /// Settings applied to every registry before its own.
    package var defaults: RegistryHostSettings
    /// `certs.d` roots searched for `<host[:port]>/ca.crt` (and `client.cert`/`client.key`).
    package var certDirectories: [String]
    /// The file this came from, if any (for messages).
    package var sourcePath: String?

    package init(
        registries: [String: RegistryHostSettings] = [:], defaults: RegistryHostSettings = RegistryHostSettings(),
        certDirectories: [String] = RegistryConfiguration.defaultCertDirectories
    ) {
        self.registries = registries
        self.defaults = defaults
        self.certDirectories = certDirectories
    }

    package static var defaultCertDirectories: [String] {
        var dirs: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let d = env["ENVCTL_CERTS_DIR"], !d.isEmpty { dirs.append(d) }
        dirs.append(configHome + "/envctl/certs.d")
        dirs += ["/etc/containers/certs.d", "/etc/docker/certs.d"]
        return dirs
    }

    static var configHome: String {
        let env = ProcessInfo.processInfo.environment
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return x }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.config"
    }

    /// The file `load(path: nil)` reads: `$ENVCTL_REGISTRIES_CONFIG`, else `~/.config/envctl/registries.yaml`.
    package static var defaultPath: String {
        if let p = ProcessInfo.processInfo.environment["ENVCTL_REGISTRIES_CONFIG"], !p.isEmpty { return p }
        return configHome + "/envctl/registries.yaml"
    }

    private struct FileFormat: Decodable {
        var registries: [String: RegistryHostSettings]?
        var defaults: RegistryHostSettings?
        var certDirectories: [String]?
    }

    /// Loads `path` (or the default path; a missing default file means "no settings").
    package static func load(path: String? = nil) throws(RegistryError) -> RegistryConfiguration {
        let file = path ?? defaultPath
        let explicit = path != nil || !(ProcessInfo.processInfo.environment["ENVCTL_REGISTRIES_CONFIG"] ?? "").isEmpty
        let data: Data
        do {
            data = try BoundedFile.contents(of: file, limit: InputLimits.registriesConfigBytes)
        } catch .tooLarge {
            throw RegistryError(
                .invalidConfiguration,
                "cannot read registries config \(file): \(BoundedFile.Failure.tooLarge(limit: InputLimits.registriesConfigBytes).reason(what: "a registries config"))"
            )
        } catch {
            if explicit {
                throw RegistryError(.invalidConfiguration, "cannot read registries config \(file)")
            }
            return RegistryConfiguration()
        }
        if data.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 9 || $0 == 13 }) { return RegistryConfiguration() }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    package static func parse(_ text: String, file: String) throws(RegistryError) -> RegistryConfiguration {
        let decoded: FileFormat
        do {
            decoded = try LocatedYAMLDecoder.decode(
                FileFormat.self, from: text, file: file, limits: .registriesConfig)
        } catch {
            throw RegistryError(
                .invalidConfiguration,
                "invalid registries config: " + error.diagnostics.map(\.description).joined(separator: "; "))
        }
        var config = RegistryConfiguration(defaults: decoded.defaults ?? RegistryHostSettings())
        for (host, settings) in decoded.registries ?? [:] {
            let key = ImageReference.canonicalRegistry(host)
            guard ImageReference.isValidHost(key) else {
                throw RegistryError(.invalidConfiguration, "\(file): '\(host)' is not a registry host[:port]")
            }
            for m in settings.mirrors ?? [] where (try? Mirror(m)) == nil {
                throw RegistryError(
                    .invalidConfiguration, "\(file): mirror '\(m)' of \(host) is not host[:port][/path]")
            }
            config.registries[key] = settings
        }
        if let dirs = decoded.certDirectories { config.certDirectories = dirs + config.certDirectories }
        config.sourcePath = file
        return config
    }

    /// Effective settings for `host` (canonical registry name or API host).
    package func settings(for host: String) -> RegistryHostSettings {
        let key = ImageReference.canonicalRegistry(host)
        return defaults.overlaid(by: registries[key] ?? RegistryHostSettings())
    }

    /// Whether `host` is loopback (plain HTTP allowed without configuration).
    package static func isLoopback(_ host: String) -> Bool {
        var h = host
        if h.hasPrefix("["), let close = h.firstIndex(of: "]") {
            h = String(h[h.index(after: h.startIndex)..<close])
        } else if let colon = h.lastIndex(of: ":"), h.filter({ $0 == ":" }).count == 1 {
            h = String(h[..<colon])
        }
        return h == "localhost" || h.hasPrefix("127.") || h == "::1" || h.hasSuffix(".localhost")
    }

    /// TLS settings for `host`: config `caFile`, else the first `certs.d/<host>/ca.crt` (or `*.crt`).
    package func tls(for host: String) -> TLSSettings {
        let s = settings(for: host)
        var tls = TLSSettings(verify: !(s.skipTLSVerify ?? false), caFile: s.caFile)
        tls.clientCertificate = s.clientCertificate
        tls.clientKey = s.clientKey
        let fm = FileManager.default
        for root in certDirectories {
            let dir = root + "/" + host
            guard let entries = try? fm.contentsOfDirectory(atPath: dir).sorted() else { continue }
            if tls.caFile == nil {
                if entries.contains("ca.crt") {
                    tls.caFile = dir + "/ca.crt"
                } else if let crt = entries.first(where: { $0.hasSuffix(".crt") }) {
                    tls.caFile = dir + "/" + crt
                }
            }
            if tls.clientCertificate == nil, let cert = entries.first(where: { $0.hasSuffix(".cert") }) {
                let key = String(cert.dropLast(".cert".count)) + ".key"
                if entries.contains(key) {
                    tls.clientCertificate = dir + "/" + cert
                    tls.clientKey = dir + "/" + key
                }
            }
            if tls.caFile != nil { break }
        }
        return tls
    }
}

/// A pull-through mirror location: `host[:port][/path/prefix]`.
package struct Mirror: Sendable, Hashable {
    package var host: String
    package var pathPrefix: String

    package init(_ text: String) throws(RegistryError) {
        var t = text
        for scheme in ["https://", "http://"] where t.hasPrefix(scheme) { t.removeFirst(scheme.count) }
        let parts = t.split(separator: "/", maxSplits: 1).map(String.init)
        guard let host = parts.first, ImageReference.isValidHost(host) else {
            throw RegistryError(.invalidConfiguration, "invalid mirror '\(text)'")
        }
        self.host = host
        self.pathPrefix = parts.count > 1 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "/")) : ""
        if !pathPrefix.isEmpty && !ImageReference.isValidRepository(pathPrefix) {
            throw RegistryError(.invalidConfiguration, "invalid mirror path in '\(text)'")
        }
    }

    /// The reference on the mirror for `ref` (same tag/digest).
    package func rewrite(_ ref: ImageReference) -> ImageReference {
        ImageReference(
            registry: host, repository: pathPrefix.isEmpty ? ref.repository : pathPrefix + "/" + ref.repository,
            tag: ref.tag, digest: ref.digest)
    }
}

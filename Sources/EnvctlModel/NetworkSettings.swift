import Foundation

/// `network:` in `envctl.yaml`: what a corporate network needs to reach package indexes. Nothing here is a
/// secret: the spec names a CA certificate (public), proxy URLs without credentials, and for each private
/// index the *name* of the environment variable that holds its password.
package struct NetworkSettings: Sendable, Hashable {
    /// A PEM file of extra CA certificates, relative to the spec (``SpecPath`` rules).
    package var caBundle: Located<String>?
    /// `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` for uv and the build, by those names.
    package var proxy: [String: String]
    /// Credentials for private indexes.
    package var credentials: [IndexCredential]

    package init(caBundle: Located<String>? = nil, proxy: [String: String] = [:], credentials: [IndexCredential] = []) {
        self.caBundle = caBundle
        self.proxy = proxy
        self.credentials = credentials
    }

    /// The proxy variables the spec may set, by their spec key.
    package static let proxyKeys = ["http": "HTTP_PROXY", "https": "HTTPS_PROXY", "no_proxy": "NO_PROXY"]
}

/// One private index's login: the user name (or the variable holding it) and the variable holding the password.
package struct IndexCredential: Sendable, Hashable {
    /// The index URL; its host is what the netrc entry names.
    package var url: Located<String>
    package var username: String?
    package var usernameEnv: String?
    package var passwordEnv: String

    package init(url: Located<String>, username: String? = nil, usernameEnv: String? = nil, passwordEnv: String) {
        self.url = url
        self.username = username
        self.usernameEnv = usernameEnv
        self.passwordEnv = passwordEnv
    }
}

/// A corporate network's settings made concrete for one command: the combined CA bundle and the netrc as
/// temporary files (mode 0600, removed through ``Cleanup``), and the proxy variables.
///
/// `lock` hands ``uvEnvironment`` to uv; `build` mounts the two files as build secrets
/// (`RUN --mount=type=secret`) and passes the proxies as build arguments, never as `ENV` or labels.
package struct NetworkAccess: Sendable, Hashable {
    /// PEM: the extra CA certificates followed by the system's bundle, so pip and uv trust both.
    package var caBundleFile: String?
    /// A netrc with one `machine` line per credential (or the user's own `--netrc` file).
    package var netrcFile: String?
    /// Proxy variables in both spellings (`HTTPS_PROXY` and `https_proxy`).
    package var proxy: [String: String]
    /// The temporary directory to remove when done.
    package var scratch: String?

    package init(caBundleFile: String? = nil, netrcFile: String? = nil, proxy: [String: String] = [:]) {
        self.caBundleFile = caBundleFile
        self.netrcFile = netrcFile
        self.proxy = proxy
    }

    package var isEmpty: Bool { caBundleFile == nil && netrcFile == nil && proxy.isEmpty }

    /// The secret ids the build mounts, and the files they come from.
    package static let caSecretID = "envctl-ca"
    package static let netrcSecretID = "envctl-netrc"

    /// The variables uv runs with: its CA bundle (`SSL_CERT_FILE`), netrc (`NETRC`) and the proxies.
    package var uvEnvironment: [String: String] {
        var env = proxy
        if let caBundleFile { env["SSL_CERT_FILE"] = caBundleFile }
        if let netrcFile { env["NETRC"] = netrcFile }
        return env
    }

    /// Where the system's CA bundle usually is (Debian/Ubuntu, Fedora/RHEL, Alpine/SUSE).
    package static let systemBundles = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ]

    /// Environment variables passed through with `--proxy-from-env`.
    package static let proxyVariables = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]

    /// Makes the files for `settings` (from the spec at `specPath`) plus the command's flags.
    /// - Parameters:
    ///   - caBundle: `--ca-bundle FILE` (a path as given on the command line); added after the spec's.
    ///   - netrc: `--netrc FILE`; used as is (its entries come after the spec's credentials).
    ///   - proxyFromEnvironment: `--proxy-from-env`: `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (either case) from
    ///     `environment` override the spec's.
    /// - Throws: ``DiagnosticsError`` (bad input) for a CA file that breaks the spec path rules, is unreadable or
    ///   holds no certificate, a private key in it, a missing password variable, or an unreadable netrc.
    package static func prepare(
        _ settings: NetworkSettings, specPath: String, caBundle: String? = nil, netrc: String? = nil,
        proxyFromEnvironment: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DiagnosticsError) -> NetworkAccess {
        var access = NetworkAccess()
        for (name, value) in settings.proxy {
            access.proxy[name] = value
            access.proxy[name.lowercased()] = value
        }
        if proxyFromEnvironment {
            for name in proxyVariables {
                if let v = environment[name] ?? environment[name.lowercased()] {
                    access.proxy[name] = v
                    access.proxy[name.lowercased()] = v
                    if let userinfo = URL(string: v)?.password { Secrets.register(userinfo) }
                }
            }
        }

        var pems: [String] = []
        if let ca = settings.caBundle {
            let file = try SpecPath.resolve(ca, specPath: specPath, what: "CA bundle")
            pems.append(try checkedPEM(try file.read(limit: 4 << 20), path: file.written, at: ca.location))
        }
        if let caBundle {
            guard let data = try? BoundedFile.contents(of: caBundle, limit: 4 << 20) else {
                throw DiagnosticsError([.error("cannot read the CA bundle '\(caBundle)' (--ca-bundle)")])
            }
            pems.append(try checkedPEM(data, path: caBundle, at: nil))
        }

        var netrcText = ""
        for c in settings.credentials {
            guard let host = URL(string: c.url.value)?.host, !host.isEmpty else {
                throw DiagnosticsError([.error("credential URL '\(c.url.value)' names no host", at: c.url.location)])
            }
            let user = c.username ?? c.usernameEnv.flatMap { environment[$0] }
            guard let user, !user.isEmpty else {
                throw DiagnosticsError([
                    .error(
                        "no user name for \(host): \(c.usernameEnv.map { "$\($0) is not set" } ?? "set username or username_env")",
                        at: c.url.location)
                ])
            }
            guard let password = environment[c.passwordEnv], !password.isEmpty else {
                throw DiagnosticsError([
                    .error(
                        "the password for \(host) is read from $\(c.passwordEnv), which is not set",
                        hint: "export \(c.passwordEnv)=… (the secret is never written to envctl.yaml or the lock)",
                        at: c.url.location)
                ])
            }
            Secrets.register(password)
            guard !(user + password).contains(where: { $0.isWhitespace || $0 == "\"" }) else {
                throw DiagnosticsError([
                    .error(
                        "the user name or password for \(host) holds white space or quotes, which netrc can't carry",
                        at: c.url.location)
                ])
            }
            netrcText += "machine \(host) login \(user) password \(password)\n"
        }
        if let netrc {
            guard let data = try? BoundedFile.contents(of: netrc, limit: 1 << 20) else {
                throw DiagnosticsError([.error("cannot read the netrc file '\(netrc)' (--netrc)")])
            }
            let text = String(decoding: data, as: UTF8.self)
            registerNetrcPasswords(text)
            netrcText += (netrcText.isEmpty || text.isEmpty ? "" : "\n") + text
        }

        guard !pems.isEmpty || !netrcText.isEmpty else { return access }
        let dir: URL
        do { dir = try Cleanup.makeTemporaryDirectory(prefix: "envctl-net") } catch {
            throw DiagnosticsError([.error("\(error)")])
        }
        access.scratch = dir.path
        if !pems.isEmpty {
            let system = systemBundles.lazy.compactMap { try? BoundedFile.contents(of: $0, limit: 16 << 20) }.first
            let combined =
                pems.joined(separator: "\n") + "\n" + (system.map { String(decoding: $0, as: UTF8.self) } ?? "")
            access.caBundleFile = try writePrivate(combined, dir.path + "/ca-bundle.pem")
        }
        if !netrcText.isEmpty { access.netrcFile = try writePrivate(netrcText, dir.path + "/netrc") }
        return access
    }

    /// Removes the temporary files.
    package func remove() {
        if let scratch { Cleanup.remove(scratch) }
    }

    static func registerNetrcPasswords(_ text: String) {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        for (i, w) in words.enumerated() where (w == "password" || w == "account") && i + 1 < words.count {
            Secrets.register(words[i + 1])
        }
    }

    static func checkedPEM(_ data: Data, path: String, at location: SourceLocation?) throws(DiagnosticsError) -> String
    {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("PRIVATE KEY-----") {
            throw DiagnosticsError([
                .error(
                    "the CA bundle '\(path)' holds a private key",
                    hint: "give only the CA certificate(s); a private key must never reach a build", at: location)
            ])
        }
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw DiagnosticsError([
                .error("the CA bundle '\(path)' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", at: location)
            ])
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    static func writePrivate(_ text: String, _ path: String) throws(DiagnosticsError) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw DiagnosticsError([.error("cannot create \(path): \(String(cString: strerror(errno)))")])
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                throw DiagnosticsError([.error("cannot write \(path): \(String(cString: strerror(errno)))")])
            }
            written += n
        }
        return path
    }
}

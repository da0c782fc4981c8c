import EnvctlModel
import Foundation

/// A credential for one registry. `description` never shows the secret.
package struct RegistryCredential: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        case basic(username: String, password: String)
        /// An OAuth2 refresh token ("identity token"), exchanged at the token realm by POST.
        case identityToken(String)
        /// A bearer token sent as is.
        case registryToken(String)
    }
    package var kind: Kind
    /// Where it came from, for `--verbose` ("flag", "~/.docker/config.json", "helper pass", …).
    package var source: String

    /// Registers the secret with `Secrets`, so that no output of this process shows it.
    package init(_ kind: Kind, source: String) {
        self.kind = kind
        self.source = source
        for s in secrets { Secrets.register(s) }
    }

    package var username: String? {
        if case .basic(let u, _) = kind { return u }
        return nil
    }

    package var description: String {
        switch kind {
        case .basic(let u, _): "user '\(u)' from \(source)"
        case .identityToken: "identity token from \(source)"
        case .registryToken: "registry token from \(source)"
        }
    }

    /// Every secret string in this credential (tests assert none of them reaches output).
    package var secrets: [String] {
        switch kind {
        case .basic(_, let p): [p]
        case .identityToken(let t), .registryToken(let t): [t]
        }
    }
}

/// Finds credentials for a registry host.
package protocol CredentialProvider: Sendable {
    func credential(for registry: String) async throws(RegistryError) -> RegistryCredential?
}

/// The standard lookup chain, first match wins:
/// 1. explicit credentials (flags or environment) for a given registry;
/// 2. envctl's auth file (`$ENVCTL_AUTH_FILE`, default `~/.config/envctl/auth.json`, docker's format);
/// 3. `~/.docker/config.json` (`$DOCKER_CONFIG/config.json`): `credHelpers`, `credsStore`, `auths`;
/// 4. podman's `auth.json` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
///    `~/.config/containers/auth.json`).
///
/// An auth file that holds credentials and is readable by other users is still used, with one warning
/// per file (as ssh warns about an open key) through `warn`.
package struct CredentialStore: CredentialProvider {
    package var explicit: [String: RegistryCredential]
    package var authFiles: [String]
    /// Receives warnings about the auth files (the client passes them on as `RegistryEvent.warning`).
    package var warn: (@Sendable (String) -> Void)?
    private let warned = WarnedFiles()

    package init(
        explicit: [String: RegistryCredential] = [:], authFiles: [String]? = nil,
        warn: (@Sendable (String) -> Void)? = nil
    ) {
        self.explicit = Dictionary(explicit.map { (ImageReference.canonicalRegistry($0.key), $0.value) }) { a, _ in a }
        self.authFiles = authFiles ?? Self.defaultAuthFiles
        self.warn = warn
    }

    /// envctl's own auth file (written by `envctl login`).
    package static var envctlAuthFile: String {
        if let p = ProcessInfo.processInfo.environment["ENVCTL_AUTH_FILE"], !p.isEmpty { return p }
        return RegistryConfiguration.configHome + "/envctl/auth.json"
    }

    package static var defaultAuthFiles: [String] {
        let env = ProcessInfo.processInfo.environment
        let home = env["HOME"] ?? NSHomeDirectory()
        var files = [envctlAuthFile]
        files.append((env["DOCKER_CONFIG"].map { $0 } ?? home + "/.docker") + "/config.json")
        if let f = env["REGISTRY_AUTH_FILE"], !f.isEmpty { files.append(f) }
        if let r = env["XDG_RUNTIME_DIR"], !r.isEmpty { files.append(r + "/containers/auth.json") }
        files.append(RegistryConfiguration.configHome + "/containers/auth.json")
        return files
    }

    package func credential(for registry: String) async throws(RegistryError) -> RegistryCredential? {
        let key = ImageReference.canonicalRegistry(registry)
        if let c = explicit[key] { return c }
        for file in authFiles {
            let c = try AuthFile.lookup(key, in: file) { [warn, warned] path, mode in
                guard warned.first(path) else { return }
                warn?(
                    "\(path) holds registry credentials and is readable by other users (mode "
                        + "\(String(mode & 0o777, radix: 8))); run 'chmod 600 \(path)'")
            }
            if let c { return c }
        }
        return nil
    }
}

/// The files already warned about, shared by every copy of one `CredentialStore`.
private final class WarnedFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: Set<String> = []
    /// True the first time `path` is seen.
    func first(_ path: String) -> Bool { lock.withLock { paths.insert(path).inserted } }
}

/// docker `config.json` / podman `auth.json` reading and writing.
package enum AuthFile {
    /// The keys a registry may appear under in `auths` (docker writes Docker Hub as its v1 URL).
    static func keys(for registry: String) -> [String] {
        if registry == ImageReference.dockerHub {
            return [
                "https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io",
                "https://index.docker.io/v1", "https://registry-1.docker.io",
            ]
        }
        return [
            registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/v1/", "https://\(registry)/v2/",
        ]
    }

    /// The server name handed to credential helpers and written by `login` (docker's convention).
    package static func serverKey(for registry: String) -> String {
        registry == ImageReference.dockerHub ? "https://index.docker.io/v1/" : registry
    }

    static func readJSON(_ path: String) throws(RegistryError) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        if data.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RegistryError(.invalidConfiguration, "\(path) is not a JSON object")
        }
        return obj
    }

    /// The credential for `registry` in the file at `path`. `worldReadable` is called with the path and
    /// mode when the file holds credentials (in `auths`) and other users may read it.
    package static func lookup(
        _ registry: String, in path: String, worldReadable: ((String, UInt16) -> Void)? = nil
    ) throws(RegistryError) -> RegistryCredential? {
        guard let obj = try readJSON(path) else { return nil }
        if let worldReadable, holdsCredentials(obj), let mode = permissions(path), mode & 0o004 != 0 {
            worldReadable(path, mode)
        }
        let keys = keys(for: registry)
        if let helpers = obj["credHelpers"] as? [String: String] {
            for k in keys {
                if let h = helpers[k] {
                    return try CredentialHelper(name: h, configFile: path).get(serverKey(for: registry))
                }
            }
        }
        if let auths = obj["auths"] as? [String: Any] {
            for k in keys {
                guard let entry = auths[k] as? [String: Any] else { continue }
                if let c = try decodeEntry(entry, source: path) { return c }
            }
        }
        if let store = obj["credsStore"] as? String, !store.isEmpty {
            return try CredentialHelper(name: store, configFile: path).get(serverKey(for: registry))
        }
        return nil
    }

    /// Whether `auths` has an entry with a secret in it (not just an empty `{}` placeholder for a helper).
    static func holdsCredentials(_ obj: [String: Any]) -> Bool {
        guard let auths = obj["auths"] as? [String: Any] else { return false }
        return auths.values.contains { entry in
            guard let e = entry as? [String: Any] else { return false }
            return ["auth", "password", "identitytoken", "registrytoken"].contains {
                (e[$0] as? String).map { !$0.isEmpty } ?? false
            }
        }
    }

    static func permissions(_ path: String) -> UInt16? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt16(st.st_mode & 0o7777)
    }

    static func decodeEntry(_ entry: [String: Any], source: String) throws(RegistryError) -> RegistryCredential? {
        if let t = entry["identitytoken"] as? String, !t.isEmpty {
            return RegistryCredential(.identityToken(t), source: source)
        }
        if let t = entry["registrytoken"] as? String, !t.isEmpty {
            return RegistryCredential(.registryToken(t), source: source)
        }
        if let auth = entry["auth"] as? String, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else {
                throw RegistryError(.invalidConfiguration, "\(source): an 'auth' entry is not base64 user:password")
            }
            return RegistryCredential(
                .basic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...])),
                source: source)
        }
        if let u = entry["username"] as? String, let p = entry["password"] as? String {
            return RegistryCredential(.basic(username: u, password: p), source: source)
        }
        return nil
    }

    /// Stores `credential` for `registry` the way `docker login` does: through the file's `credsStore`
    /// (or a `credHelpers` entry) when set, else base64 `auth` in `auths`. The file is written 0600.
    package static func store(_ credential: RegistryCredential, for registry: String, in path: String)
        throws(RegistryError)
    {
        var obj = try readJSON(path) ?? [:]
        let key = serverKey(for: registry)
        let helperName = (obj["credHelpers"] as? [String: String])?[key] ?? (obj["credsStore"] as? String)
        if let helperName, !helperName.isEmpty {
            try CredentialHelper(name: helperName, configFile: path).store(key, credential)
            return
        }
        var auths = obj["auths"] as? [String: Any] ?? [:]
        for k in keys(for: registry) { auths.removeValue(forKey: k) }
        switch credential.kind {
        case .basic(let u, let p): auths[key] = ["auth": Data("\(u):\(p)".utf8).base64EncodedString()]
        case .identityToken(let t): auths[key] = ["identitytoken": t]
        case .registryToken(let t): auths[key] = ["registrytoken": t]
        }
        obj["auths"] = auths
        try write(obj, to: path)
    }

    /// Removes stored credentials for `registry`; returns whether any were there.
    @discardableResult
    package static func remove(_ registry: String, from path: String) throws(RegistryError) -> Bool {
        guard var obj = try readJSON(path) else { return false }
        let key = serverKey(for: registry)
        if let helperName = (obj["credHelpers"] as? [String: String])?[key] ?? (obj["credsStore"] as? String),
            !helperName.isEmpty
        {
            try CredentialHelper(name: helperName, configFile: path).erase(key)
            return true
        }
        var auths = obj["auths"] as? [String: Any] ?? [:]
        let before = auths.count
        for k in keys(for: registry) { auths.removeValue(forKey: k) }
        obj["auths"] = auths
        try write(obj, to: path)
        return auths.count != before
    }

    static func write(_ obj: [String: Any], to path: String) throws(RegistryError) {
        let fm = FileManager.default
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try fm.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = try JSONSerialization.data(
                withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            let tmp = path + ".tmp-\(getpid())"
            guard fm.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw RegistryError(.localIO, "cannot write \(path)")
            }
            if rename(tmp, path) != 0 { throw RegistryError(.localIO, "cannot write \(path)") }
        } catch let e as RegistryError {
            throw e
        } catch {
            throw RegistryError(.localIO, "cannot write \(path): \(FileSystemError.Reason(error, path: path))")
        }
    }
}

/// The `docker-credential-<name>` protocol: `get`/`store`/`erase` with JSON on stdin/stdout.
package struct CredentialHelper: Sendable {
    package var name: String
    /// The file that named the helper (`credsStore`/`credHelpers`), for messages.
    package var configFile: String?
    package init(name: String, configFile: String? = nil) {
        self.name = name
        self.configFile = configFile
    }

    var executable: String { "docker-credential-\(name)" }

    /// A helper name is the suffix of a program on PATH: letters, digits, `.`, `_` and `-`, starting with a
    /// letter or digit (`pass`, `ecr-login`, `desktop.exe`). Anything else (`a=b`, `../x`, `a b`) could make
    /// `/usr/bin/env` run another program, or a file outside PATH.
    package static func isValidName(_ name: String) -> Bool {
        let b = Array(name.utf8)
        func ok(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard let first = b.first, ok(first), b.count <= 64 else { return false }
        return b.allSatisfy { ok($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    func run(_ verb: String, input: Data) throws(RegistryError) -> (status: Int32, out: Data, err: Data) {
        guard Self.isValidName(name) else {
            throw RegistryError(
                .invalidConfiguration,
                "credential helper name '\(name)'\(configFile.map { " in \($0)" } ?? "") is not valid: a helper "
                    + "name has only letters, digits, '.', '_' and '-', and starts with a letter or digit",
                hint: "credsStore and credHelpers name the suffix of a docker-credential-<name> program, e.g. 'pass'")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable, verb]
        let i = Pipe(), o = Pipe(), e = Pipe()
        p.standardInput = i
        p.standardOutput = o
        p.standardError = e
        do { try p.run() } catch {
            throw RegistryError(.credentialHelper, "cannot run \(executable): \(error.localizedDescription)")
        }
        i.fileHandleForWriting.write(input)
        try? i.fileHandleForWriting.close()
        let out = o.fileHandleForReading.readDataToEndOfFile()
        let err = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 127 {
            throw RegistryError(
                .credentialHelper, "credential helper \(executable) is not installed",
                hint: "install it or remove '\(name)' from credsStore/credHelpers")
        }
        return (p.terminationStatus, out, err)
    }

    package func get(_ server: String) throws(RegistryError) -> RegistryCredential? {
        let r = try run("get", input: Data((server + "\n").utf8))
        if r.status != 0 {
            let msg = String(decoding: r.out + r.err, as: UTF8.self)
            if msg.lowercased().contains("credentials not found") { return nil }
            // The helper's output may echo secrets in odd failure modes; report only the exit status.
            throw RegistryError(.credentialHelper, "\(executable) get failed with exit status \(r.status)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: r.out) as? [String: Any],
            let secret = obj["Secret"] as? String
        else { throw RegistryError(.credentialHelper, "\(executable) get returned unreadable output") }
        let user = obj["Username"] as? String ?? ""
        if user == "<token>" { return RegistryCredential(.identityToken(secret), source: "helper \(name)") }
        return RegistryCredential(.basic(username: user, password: secret), source: "helper \(name)")
    }

    package func store(_ server: String, _ credential: RegistryCredential) throws(RegistryError) {
        let (user, secret): (String, String) =
            switch credential.kind {
            case .basic(let u, let p): (u, p)
            case .identityToken(let t), .registryToken(let t): ("<token>", t)
            }
        let body = try? JSONSerialization.data(withJSONObject: [
            "ServerURL": server, "Username": user, "Secret": secret,
        ])
        let r = try run("store", input: body ?? Data())
        if r.status != 0 {
            throw RegistryError(.credentialHelper, "\(executable) store failed with exit status \(r.status)")
        }
    }

    package func erase(_ server: String) throws(RegistryError) {
        let r = try run("erase", input: Data((server + "\n").utf8))
        if r.status != 0 {
            throw RegistryError(.credentialHelper, "\(executable) erase failed with exit status \(r.status)")
        }
    }
}

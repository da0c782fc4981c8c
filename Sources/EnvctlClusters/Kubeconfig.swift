package import EnvctlModel
package import EnvctlRuns
package import Foundation
package import OCIRegistry
import Yams

/// A kubeconfig file (`clientcmd/api/v1` Config), read without kubectl: clusters, users and contexts, the current
/// context, and how to authenticate: a bearer token (inline or `tokenFile`), a client certificate and key (inline
/// base64 data or files), the cluster CA (data or file) or `insecure-skip-tls-verify`, and exec credential plugins
/// (`client.authentication.k8s.io/v1` ExecCredential, e.g. `gke-gcloud-auth-plugin`, `aws eks get-token`).
package struct Kubeconfig: Sendable {
    package struct Cluster: Sendable, Hashable {
        package var server: URL
        package var caData: Data?
        package var caFile: String?
        package var insecure: Bool
    }

    package struct Exec: Sendable, Hashable {
        package var command: String
        package var args: [String]
        package var env: [String: String]
        package var apiVersion: String
    }

    package struct User: Sendable, Hashable {
        package var token: String?
        package var tokenFile: String?
        package var certData: Data?
        package var certFile: String?
        package var keyData: Data?
        package var keyFile: String?
        package var exec: Exec?
    }

    package struct Context: Sendable, Hashable {
        package var cluster: String
        package var user: String
        package var namespace: String?
    }

    package var path: String
    package var clusters: [String: Cluster]
    package var users: [String: User]
    package var contexts: [String: Context]
    package var currentContext: String?

    /// `$KUBECONFIG`'s first file, else `~/.kube/config`.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let k = environment["KUBECONFIG"], let first = k.split(separator: ":").first { return String(first) }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.kube/config"
    }

    package static func load(path: String) throws(RunsError) -> Kubeconfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunsError(
                .badInput, "cannot read kubeconfig '\(path)'",
                hint:
                    "pass --kubeconfig FILE or set KUBECONFIG (gcloud container clusters get-credentials, aws eks update-kubeconfig)"
            )
        }
        let root: Node?
        do {
            root = try BoundedYAML.compose(
                String(decoding: data, as: UTF8.self), file: path,
                limits: .init(bytes: 4 << 20, what: "a kubeconfig"))
        } catch { throw RunsError(.badInput, "", cause: error) }
        guard let map = root?.mapping else { throw RunsError(.badInput, "kubeconfig '\(path)' is not a YAML mapping") }
        func named(_ key: String, _ inner: String) -> [(String, Node.Mapping)] {
            (map[key]?.sequence ?? []).compactMap { item in
                guard let name = item["name"]?.string, let body = item[inner]?.mapping else { return nil }
                return (name, body)
            }
        }
        func base64(_ node: Node?, _ what: String) throws(RunsError) -> Data? {
            guard let s = node?.string else { return nil }
            guard let d = Data(base64Encoded: s.filter { !$0.isWhitespace }) else {
                throw RunsError(.badInput, "kubeconfig '\(path)': \(what) is not base64")
            }
            return d
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        /// Relative file paths in a kubeconfig are relative to the kubeconfig's own directory.
        func file(_ node: Node?) -> String? {
            guard let p = node?.string else { return nil }
            return p.hasPrefix("/") ? p : base + "/" + p
        }
        var clusters: [String: Cluster] = [:]
        for (name, c) in named("clusters", "cluster") {
            guard let s = c["server"]?.string, let url = URL(string: s), url.scheme == "https" || url.scheme == "http"
            else {
                throw RunsError(.badInput, "kubeconfig '\(path)': cluster '\(name)' has no http(s) server")
            }
            clusters[name] = Cluster(
                server: url, caData: try base64(c["certificate-authority-data"], "cluster '\(name)' CA data"),
                caFile: file(c["certificate-authority"]), insecure: c["insecure-skip-tls-verify"]?.bool ?? false)
        }
        var users: [String: User] = [:]
        for (name, u) in named("users", "user") {
            var exec: Exec?
            if let e = u["exec"]?.mapping {
                guard let command = e["command"]?.string else {
                    throw RunsError(
                        .badInput, "kubeconfig '\(path)': user '\(name)' has an exec plugin without a command")
                }
                var env: [String: String] = [:]
                for item in e["env"]?.sequence ?? [] {
                    if let k = item["name"]?.string, let v = item["value"]?.string { env[k] = v }
                }
                exec = Exec(
                    command: command, args: (e["args"]?.sequence ?? []).compactMap(\.string), env: env,
                    apiVersion: e["apiVersion"]?.string ?? "client.authentication.k8s.io/v1")
            }
            let user = User(
                token: u["token"]?.string, tokenFile: file(u["tokenFile"]),
                certData: try base64(u["client-certificate-data"], "user '\(name)' certificate data"),
                certFile: file(u["client-certificate"]),
                keyData: try base64(u["client-key-data"], "user '\(name)' key data"), keyFile: file(u["client-key"]),
                exec: exec)
            if let t = user.token { Secrets.register(t) }
            users[name] = user
        }
        var contexts: [String: Context] = [:]
        for (name, c) in named("contexts", "context") {
            contexts[name] = Context(
                cluster: c["cluster"]?.string ?? "", user: c["user"]?.string ?? "", namespace: c["namespace"]?.string)
        }
        return Kubeconfig(
            path: path, clusters: clusters, users: users, contexts: contexts,
            currentContext: map["current-context"]?.string)
    }

    /// What one context resolves to.
    package struct Resolved: Sendable {
        package var contextName: String
        package var clusterName: String
        package var cluster: Cluster
        package var user: User
        package var namespace: String?
    }

    package func resolve(context: String? = nil) throws(RunsError) -> Resolved {
        guard let name = context ?? currentContext, !name.isEmpty else {
            throw RunsError(
                .badInput, "kubeconfig '\(path)' has no current-context",
                hint: "pass --context NAME (it has: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let c = contexts[name] else {
            throw RunsError(
                .badInput, "kubeconfig '\(path)' has no context '\(name.escapedForMessage)'",
                hint: "it has: \(contexts.keys.sorted().joined(separator: ", "))")
        }
        guard let cluster = clusters[c.cluster] else {
            throw RunsError(.badInput, "kubeconfig '\(path)': context '\(name)' names unknown cluster '\(c.cluster)'")
        }
        let user = users[c.user] ?? User()
        return Resolved(contextName: name, clusterName: c.cluster, cluster: cluster, user: user, namespace: c.namespace)
    }
}

/// Credentials ready for requests: TLS files (inline data written to 0600 temporary files, removed on exit) and a
/// bearer token when the user has one (inline, `tokenFile`, or from the exec plugin).
package struct KubernetesCredentials: Sendable {
    package var server: URL
    package var tls: TLSSettings
    package var token: String?
    package var expiry: Date?

    package static func make(_ r: Kubeconfig.Resolved)
        async throws(RunsError) -> KubernetesCredentials
    {
        var tls = TLSSettings(verify: !r.cluster.insecure)
        var directory: URL?
        func write(_ data: Data, _ name: String) throws(RunsError) -> String {
            do {
                if directory == nil { directory = try Cleanup.makeTemporaryDirectory(prefix: "envctl-kube") }
                let p = directory!.appendingPathComponent(name).path
                guard FileManager.default.createFile(atPath: p, contents: data, attributes: [.posixPermissions: 0o600])
                else { throw RunsError(.failure, "cannot write \(p)") }
                return p
            } catch let e as RunsError { throw e } catch { throw RunsError(.failure, "\(error)") }
        }
        if let d = r.cluster.caData { tls.caFile = try write(d, "ca.pem") } else { tls.caFile = r.cluster.caFile }
        if let d = r.user.certData {
            tls.clientCertificate = try write(d, "client.crt")
        } else {
            tls.clientCertificate = r.user.certFile
        }
        if let d = r.user.keyData { tls.clientKey = try write(d, "client.key") } else { tls.clientKey = r.user.keyFile }
        for f in [tls.caFile, tls.clientCertificate, tls.clientKey].compactMap({ $0 })
        where !FileManager.default.isReadableFile(atPath: f) {
            throw RunsError(.badInput, "kubeconfig context '\(r.contextName)' names '\(f)', which cannot be read")
        }
        var token = r.user.token
        if token == nil, let f = r.user.tokenFile {
            guard let d = FileManager.default.contents(atPath: f) else {
                throw RunsError(.badInput, "kubeconfig context '\(r.contextName)': cannot read tokenFile '\(f)'")
            }
            token = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var expiry: Date?
        if token == nil, let exec = r.user.exec {
            (token, expiry) = try Self.runExec(exec, cluster: r.cluster)
        }
        if let token { Secrets.register(token) }
        return KubernetesCredentials(server: r.cluster.server, tls: tls, token: token, expiry: expiry)
    }

    /// Runs an exec credential plugin and reads its ExecCredential `status.token` (and `expirationTimestamp`).
    static func runExec(_ exec: Kubeconfig.Exec, cluster: Kubeconfig.Cluster) throws(RunsError) -> (String, Date?) {
        guard let tool = exec.command.hasPrefix("/") ? exec.command : ToolLocator.find(exec.command) else {
            throw RunsError(
                .missingTool, "the kubeconfig's exec credential plugin '\(exec.command)' is not installed",
                hint: exec.command == "gke-gcloud-auth-plugin"
                    ? "gcloud components install gke-gcloud-auth-plugin" : nil)
        }
        let info: [String: Any] = [
            "apiVersion": exec.apiVersion, "kind": "ExecCredential",
            "spec": ["interactive": false, "cluster": ["server": cluster.server.absoluteString]],
        ]
        let infoJSON = String(
            decoding: (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data(),
            as: UTF8.self)
        var env = exec.env
        env["KUBERNETES_EXEC_INFO"] = infoJSON
        let out = ProcessRun.run(tool, exec.args, environment: env)
        guard out.status == 0 else {
            throw RunsError(
                .failure, "exec credential plugin '\(exec.command)' failed (\(out.status)): \(out.stderr.prefix(400))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any],
            object["kind"] as? String == "ExecCredential", let status = object["status"] as? [String: Any],
            let token = status["token"] as? String, !token.isEmpty
        else {
            throw RunsError(
                .failure, "exec credential plugin '\(exec.command)' printed no ExecCredential with status.token")
        }
        Secrets.register(token)
        let expiry = (status["expirationTimestamp"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
        if let expiry, expiry < Date() {
            throw RunsError(
                .failure, "exec credential plugin '\(exec.command)' returned a token that expired at \(expiry)")
        }
        return (token, expiry)
    }
}

/// Runs a program to completion with extra environment variables, capturing its output (small outputs only:
/// credential plugins).
enum ProcessRun {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return Output(status: 127, stdout: "", stderr: "\(error)") }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }
}

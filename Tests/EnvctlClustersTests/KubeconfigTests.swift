import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// Kubeconfig parsing with real files: certificates made by openssl, a CA, a token file, and an exec plugin that
/// prints an ExecCredential.
@Suite("kubeconfig", .serialized, .requires("openssl"))
struct KubeconfigTests {
    func openssl(_ args: [String], in dir: String) throws {
        let r = try runProcess("openssl", args, cwd: dir)
        guard r.status == 0 else { throw FixtureError(message: "openssl \(args): \(r.stderr)") }
    }

    /// ca.pem, client.pem, client.key in `dir`.
    func makeCertificates(in dir: String) throws {
        try openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=envctl-test-ca",
            ], in: dir)
        try openssl(
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj",
                "/CN=dev/O=system:masters",
            ], in: dir)
        try openssl(
            [
                "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "client.pem", "-days", "2",
            ], in: dir)
    }

    func b64(_ path: String) throws -> String { try Data(contentsOf: URL(fileURLWithPath: path)).base64EncodedString() }

    @Test func contextsCertificatesTokensAndExecPlugins() async throws {
        let dir = try TemporaryDirectory(prefix: "envctl-kubeconfig")
        defer { dir.cleanup() }
        try makeCertificates(in: dir.path)
        try dir.write("token", TestSecrets.prefix + "file-Wq72\n")
        // An exec plugin as gke-gcloud-auth-plugin behaves: reads KUBERNETES_EXEC_INFO, prints an ExecCredential.
        try dir.write(
            "plugin.sh",
            """
            #!/bin/sh
            case "$KUBERNETES_EXEC_INFO" in *'"kind":"ExecCredential"'*) ;; *) echo "no exec info" >&2; exit 3;; esac
            [ "$PLUGIN_MODE" = expired ] && exp=2000-01-01T00:00:00Z || exp=2999-01-01T00:00:00Z
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(TestSecrets.prefix)exec-%s","expirationTimestamp":"%s"}}' "$1" "$exp"

            """)
        chmod(dir.path + "/plugin.sh", 0o755)
        let config = """
            apiVersion: v1
            kind: Config
            current-context: data
            clusters:
            - name: inline
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: \(try b64(dir.path + "/ca.pem"))
            - name: files
              cluster:
                server: https://k8s.example.com
                certificate-authority: ca.pem
            - name: lab
              cluster:
                server: https://lab.example.com
                insecure-skip-tls-verify: true
            users:
            - name: cert-data
              user:
                client-certificate-data: \(try b64(dir.path + "/client.pem"))
                client-key-data: \(try b64(dir.path + "/client.key"))
            - name: cert-files
              user:
                client-certificate: client.pem
                client-key: \(dir.path)/client.key
            - name: token-file
              user:
                tokenFile: token
            - name: gke
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: \(dir.path)/plugin.sh
                  args: [gke]
                  provideClusterInfo: true
            - name: gke-expired
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: \(dir.path)/plugin.sh
                  args: [old]
                  env: [{name: PLUGIN_MODE, value: expired}]
            contexts:
            - {name: data, context: {cluster: inline, user: cert-data, namespace: team-a}}
            - {name: files, context: {cluster: files, user: cert-files}}
            - {name: token, context: {cluster: lab, user: token-file}}
            - {name: gke, context: {cluster: files, user: gke}}
            - {name: expired, context: {cluster: files, user: gke-expired}}

            """
        try dir.write("config", config)
        let kubeconfig = try Kubeconfig.load(path: dir.path + "/config")
        #expect(kubeconfig.contexts.count == 5)

        // The current context: inline CA and client certificate data, written to private files.
        let data = try kubeconfig.resolve()
        #expect(data.contextName == "data")
        #expect(data.namespace == "team-a")
        let c1 = try await KubernetesCredentials.make(data)
        #expect(c1.server.absoluteString == "https://10.0.0.1:6443")
        #expect(c1.tls.verify)
        let ca = try #require(c1.tls.caFile)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: ca))
                == Data(contentsOf: URL(fileURLWithPath: dir.path + "/ca.pem")))
        let key = try #require(c1.tls.clientKey)
        #expect((try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int) == 0o600)
        // openssl agrees the written certificate is the client's and is signed by the CA.
        let verify = try runProcess("openssl", ["verify", "-CAfile", ca, try #require(c1.tls.clientCertificate)])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(c1.token == nil)

        // Files relative to the kubeconfig's directory.
        let c2 = try await KubernetesCredentials.make(try kubeconfig.resolve(context: "files"))
        #expect(c2.tls.caFile == dir.path + "/ca.pem")
        #expect(c2.tls.clientCertificate == dir.path + "/client.pem")
        #expect(c2.tls.clientKey == dir.path + "/client.key")

        let c3 = try await KubernetesCredentials.make(try kubeconfig.resolve(context: "token"))
        #expect(c3.token == TestSecrets.prefix + "file-Wq72")
        #expect(!c3.tls.verify)

        let c4 = try await KubernetesCredentials.make(try kubeconfig.resolve(context: "gke"))
        #expect(c4.token == TestSecrets.prefix + "exec-gke")
        #expect(c4.expiry != nil)

        let expired = await #expect(throws: RunsError.self) {
            _ = try await KubernetesCredentials.make(try kubeconfig.resolve(context: "expired"))
        }
        #expect(expired?.message.contains("expired") == true)
        let unknown = #expect(throws: RunsError.self) { _ = try kubeconfig.resolve(context: "nope") }
        #expect(unknown?.failureKind == .badInput)
    }

    @Test func aMissingPluginIsAMissingToolAndAMissingFileIsBadInput() async throws {
        let dir = try TemporaryDirectory(prefix: "envctl-kubeconfig")
        defer { dir.cleanup() }
        try dir.write(
            "config",
            """
            apiVersion: v1
            kind: Config
            current-context: gke
            clusters: [{name: c, cluster: {server: 'https://k.example.com', certificate-authority: missing-ca.pem}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: gke-gcloud-auth-plugin-not-here}}}]
            contexts: [{name: gke, context: {cluster: c, user: u}}]

            """)
        let config = try Kubeconfig.load(path: dir.path + "/config")
        let e = await #expect(throws: RunsError.self) { _ = try await KubernetesCredentials.make(try config.resolve()) }
        #expect(e?.failureKind == .badInput)
        #expect(e?.message.contains("missing-ca.pem") == true)
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `network:` in envctl.yaml and the files envctl makes from it for uv and the build.
@Suite struct NetworkSettingsTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

    @Test func parsesTheSectionAndKeepsSecretsOut() throws {
        let spec = try SpecParser().parse(
            """
            version: 1
            network:
              ca_bundle: certs/ca.pem
              proxy: {http: "http://proxy:3128", https: "http://proxy:3128", no_proxy: "localhost,.corp"}
              credentials:
                - {url: "https://pypi.corp.example/simple", username: ci, password_env: CORP_PYPI_TOKEN}
            environments:
              train:
            """, path: "/tmp/x/envctl.yaml")
        #expect(spec.network.caBundle?.value == "certs/ca.pem")
        #expect(spec.network.caBundle?.location?.line == 3)
        #expect(
            spec.network.proxy == [
                "HTTP_PROXY": "http://proxy:3128", "HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost,.corp",
            ])
        #expect(spec.network.credentials.first?.passwordEnv == "CORP_PYPI_TOKEN")
        #expect(spec.network.credentials.first?.username == "ci")
    }

    @Test(arguments: [
        ("  proxy: {https: \"http://u:secret@proxy:3128\"}\n", "network.proxy.https holds credentials"),
        ("  credentials:\n    - {url: \"https://i/simple\", username: u, password: hunter22}\n", "'password'"),
        ("  credentials:\n    - {url: \"https://i/simple\", username: u}\n", "needs 'password_env'"),
        ("  ca_bundel: x.pem\n", "did you mean 'ca_bundle'?"),
    ])
    func rejects(_ section: String, _ expected: String) throws {
        do throws(DiagnosticsError) {
            _ = try SpecParser().parse(
                "version: 1\nnetwork:\n\(section)environments:\n  train:\n", path: "/tmp/x/envctl.yaml")
            Issue.record("accepted: \(section)")
        } catch {
            #expect(error.diagnostics.map(\.description).joined().contains(expected), "\(error.diagnostics)")
            #expect(!error.diagnostics.map(\.description).joined().contains("secret@"))
        }
    }

    @Test func preparesPrivateFilesAndRemovesThem() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-net-test")
        defer { dir.cleanup() }
        try dir.write("certs/ca.pem", Self.pem)
        let settings = NetworkSettings(
            caBundle: Located("certs/ca.pem"), proxy: ["HTTPS_PROXY": "http://proxy:3128"],
            credentials: [
                IndexCredential(url: Located("https://pypi.corp.example/simple"), username: "ci", passwordEnv: "PW")
            ])
        let access = try NetworkAccess.prepare(
            settings, specPath: dir.path + "/envctl.yaml", environment: ["PW": "p4ssw0rd-value"])
        let ca = try #require(access.caBundleFile)
        let netrc = try #require(access.netrcFile)
        #expect(try String(contentsOfFile: ca, encoding: .utf8).hasPrefix(Self.pem))
        #expect(
            try String(contentsOfFile: netrc, encoding: .utf8)
                == "machine pypi.corp.example login ci password p4ssw0rd-value\n")
        for file in [ca, netrc] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        #expect(access.uvEnvironment["SSL_CERT_FILE"] == ca)
        #expect(access.uvEnvironment["NETRC"] == netrc)
        #expect(access.proxy["https_proxy"] == "http://proxy:3128")
        #expect(Secrets.redact("x p4ssw0rd-value y") == "x <redacted> y")
        access.remove()
        #expect(!FileManager.default.fileExists(atPath: ca))
        #expect(!FileManager.default.fileExists(atPath: netrc))

        // A bundle with a private key in it is refused; so is an unset password variable.
        try dir.write("certs/ca.pem", Self.pem + "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n")
        #expect(throws: DiagnosticsError.self) {
            try NetworkAccess.prepare(settings, specPath: dir.path + "/envctl.yaml", environment: ["PW": "x"])
        }
        try dir.write("certs/ca.pem", Self.pem)
        #expect(throws: DiagnosticsError.self) {
            try NetworkAccess.prepare(settings, specPath: dir.path + "/envctl.yaml", environment: [:])
        }
        // Nothing configured: nothing made.
        #expect(try NetworkAccess.prepare(NetworkSettings(), specPath: dir.path + "/envctl.yaml").isEmpty)
    }
}

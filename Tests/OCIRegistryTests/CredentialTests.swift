import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@Suite struct CredentialTests {
    @Test func dockerConfigAuthsAndPodmanFallback() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        let auth = Data("alice:pa:ss".utf8).base64EncodedString()
        try tmp.write(
            "docker.json",
            #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(auth)"},"ghcr.io":{"identitytoken":"idt"}}}"#)
        try tmp.write("podman.json", #"{"auths":{"quay.io":{"auth":"\#(Data("bob:pw".utf8).base64EncodedString())"}}}"#)
        let store = CredentialStore(authFiles: [
            tmp.path + "/missing.json", tmp.path + "/docker.json", tmp.path + "/podman.json",
        ])
        let hub = try await store.credential(for: "registry-1.docker.io")
        #expect(hub?.kind == .basic(username: "alice", password: "pa:ss"))
        #expect(hub?.description.contains("pa:ss") == false)
        #expect(try await store.credential(for: "ghcr.io")?.kind == .identityToken("idt"))
        #expect(try await store.credential(for: "quay.io")?.username == "bob")
        #expect(try await store.credential(for: "example.com") == nil)
    }

    @Test func credentialHelperProtocol() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        // A fake docker-credential-test helper that answers for one server.
        try tmp.write(
            "bin/docker-credential-envctltest",
            """
            #!/bin/sh
            read server
            if [ "$1" = get ] && [ "$server" = "helped.example" ]; then
              echo '{"ServerURL":"helped.example","Username":"carol","Secret":"\(TestSecrets.helperSecret)"}'; exit 0
            fi
            echo "credentials not found in native keychain"; exit 1
            """)
        chmod(tmp.path + "/bin/docker-credential-envctltest", 0o755)
        try tmp.write("config.json", #"{"credHelpers":{"helped.example":"envctltest"},"credsStore":"envctltest"}"#)
        setenv("PATH", tmp.path + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), 1)
        let store = CredentialStore(authFiles: [tmp.path + "/config.json"])
        #expect(
            try await store.credential(for: "helped.example")?.kind
                == .basic(username: "carol", password: TestSecrets.helperSecret))
        #expect(try await store.credential(for: "other.example") == nil)
    }

    @Test func loginStoresLikeDockerAndLogoutRemoves() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        let file = tmp.path + "/auth.json"
        try AuthFile.store(
            RegistryCredential(.basic(username: "u", password: "p w"), source: "t"), for: "docker.io", in: file)
        let text = String(decoding: FileManager.default.contents(atPath: file)!, as: UTF8.self)
        #expect(text.contains("https://index.docker.io/v1/"))
        #expect(text.contains(Data("u:p w".utf8).base64EncodedString()))
        let perms = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(perms == 0o600)
        #expect(try await CredentialStore(authFiles: [file]).credential(for: "docker.io")?.username == "u")
        #expect(try AuthFile.remove("docker.io", from: file))
        #expect(try await CredentialStore(authFiles: [file]).credential(for: "docker.io") == nil)
    }

    /// `credsStore: "a=b"` made `/usr/bin/env` run `get` from PATH; names outside docker's set never run.
    @Test(arguments: ["a=b", "../../tmp/evil", "/usr/bin/evil", "a b", "-x", ".hidden", "pass\n", "é"])
    func helperNamesOutsideTheAllowedSetAreBadInput(_ name: String) async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [name], options: []), as: UTF8.self)
        for config in [
            #"{"credsStore":\#(quoted.dropFirst().dropLast())}"#,
            #"{"credHelpers":{"h.example":\#(quoted.dropFirst().dropLast())}}"#,
        ] {
            try tmp.write("config.json", config)
            do {
                _ = try await CredentialStore(authFiles: [tmp.path + "/config.json"]).credential(for: "h.example")
                Issue.record("accepted helper name \(quoted) in \(config)")
            } catch {
                // A run helper would fail as .credentialHelper (not installed, or a failed `get`).
                #expect(error.code == .invalidConfiguration)
                #expect(error.isUserInputError)
                #expect(error.message.contains(tmp.path + "/config.json"))
                #expect(error.message.contains("is not valid"))
            }
        }
        #expect(!CredentialHelper.isValidName(name))
    }

    @Test(arguments: ["pass", "ecr-login", "desktop.exe", "secretservice", "gcloud", "acr_env", "osxkeychain"])
    func dockerHelperNamesAreValid(_ name: String) {
        #expect(CredentialHelper.isValidName(name))
    }

    @Test func worldReadableConfigHoldingCredentialsWarnsOnce() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        let file = tmp.path + "/config.json"
        try tmp.write("config.json", #"{"auths":{"ghcr.io":{"auth":"\#(Data("u:p".utf8).base64EncodedString())"}}}"#)
        chmod(file, 0o644)
        let warnings = Warnings()
        let store = CredentialStore(authFiles: [file], warn: { warnings.add($0) })
        #expect(try await store.credential(for: "ghcr.io")?.username == "u")
        #expect(try await store.credential(for: "ghcr.io")?.username == "u")
        #expect(try await store.credential(for: "quay.io") == nil)
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains(file) == true)
        #expect(warnings.all.first?.contains("644") == true)
        #expect(warnings.all.first?.contains("chmod 600") == true)
        #expect(warnings.all.allSatisfy { !$0.contains("u:p") && !$0.contains("dTpw") })
        // Private again, or world-readable without secrets (only a helper): no warning.
        chmod(file, 0o600)
        let quiet = Warnings()
        _ = try await CredentialStore(authFiles: [file], warn: { quiet.add($0) }).credential(for: "ghcr.io")
        try tmp.write("other.json", #"{"auths":{"ghcr.io":{}}}"#)
        chmod(tmp.path + "/other.json", 0o644)
        _ = try await CredentialStore(authFiles: [tmp.path + "/other.json"], warn: { quiet.add($0) })
            .credential(for: "ghcr.io")
        #expect(quiet.all.isEmpty)
    }
}

final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ w: String) { lock.withLock { items.append(w) } }
    var all: [String] { lock.withLock { items } }
}

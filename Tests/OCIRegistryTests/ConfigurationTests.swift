import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@Suite struct ConfigurationTests {
    @Test func parsesRegistriesYAML() throws {
        let c = try RegistryConfiguration.parse(
            """
            registries:
              docker.io:
                mirrors: ["127.0.0.1:5000", "mirror.internal/hub"]
              registry.internal:5000:
                plainHTTP: true
                uploadMode: chunked
                chunkSizeMiB: 8
            defaults:
              maxConcurrentUploads: 2
            """, file: "registries.yaml")
        #expect(c.settings(for: "registry-1.docker.io").mirrors == ["127.0.0.1:5000", "mirror.internal/hub"])
        #expect(c.settings(for: "registry.internal:5000").plainHTTP == true)
        #expect(c.settings(for: "registry.internal:5000").uploadMode == .chunked)
        #expect(c.settings(for: "ghcr.io").maxConcurrentUploads == 2)
        let m = try Mirror("mirror.internal/hub")
        #expect(
            m.rewrite(try ImageReference(parsing: "nvidia/cuda:1")).description == "mirror.internal/hub/nvidia/cuda:1")
    }

    @Test func badConfigIsAClearError() {
        do {
            _ = try RegistryConfiguration.parse("registries:\n  ghcr.io:\n    uploadMode: sideways\n", file: "r.yaml")
            Issue.record("accepted a bad uploadMode")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("r.yaml:3"), "\(error.message)")
        }
    }

    @Test func certsDirectoryLookup() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        try tmp.write("certs.d/reg.example:5000/ca.crt", "PEM")
        try tmp.write("certs.d/reg.example:5000/client.cert", "C")
        try tmp.write("certs.d/reg.example:5000/client.key", "K")
        let c = RegistryConfiguration(certDirectories: [tmp.path + "/certs.d"])
        let tls = c.tls(for: "reg.example:5000")
        #expect(tls.caFile == tmp.path + "/certs.d/reg.example:5000/ca.crt")
        #expect(tls.clientCertificate?.hasSuffix("client.cert") == true)
        #expect(tls.verify)
        #expect(c.tls(for: "other.example").caFile == nil)
    }

    @Test func loopbackDetection() {
        for h in ["127.0.0.1:5000", "localhost", "localhost:1", "[::1]:5000", "127.1.2.3"] {
            #expect(RegistryConfiguration.isLoopback(h), "\(h)")
        }
        for h in ["10.0.0.1:5000", "ghcr.io", "localhost.example.com", "[::2]:1"] {
            #expect(!RegistryConfiguration.isLoopback(h), "\(h)")
        }
    }

    @Test func retryAfterParsing() {
        #expect(RetryPolicy.parseRetryAfter("3") == 3)
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(RetryPolicy.parseRetryAfter("Mon, 12 Jan 1970 13:46:50 GMT", now: now) == 10)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        let p = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 8)
        for a in 1...6 { #expect(p.delay(attempt: a) <= 8) }
        #expect(p.delay(attempt: 1, retryAfter: 5) == 5)
        #expect(p.delay(attempt: 1, retryAfter: 100) == 8)
    }
}

import Foundation

/// A real docker-registry (distribution 2.8.2) started by `ci/registry.sh` on a free loopback port, in one of
/// its modes (plain, htpasswd, token, tls). Stopped by `stop()` or when the value is released; registry.sh's
/// watchdog also stops it if the test process dies.
package final class TestRegistry: @unchecked Sendable {
    package let dir: TemporaryDirectory
    /// The KEY=VALUE lines registry.sh printed (ENVCTL_TEST_REGISTRY, ENVCTL_TEST_USER, ENVCTL_TEST_CA...).
    package let env: [String: String]
    private var stopped = false
    private let lock = NSLock()

    /// What ci/registry.sh (every mode) and ``put(_:payload:)`` run; gate suites with `.requires(TestRegistry.tools)`.
    package static let tools = ["docker-registry", "htpasswd", "openssl", "python3", "skopeo"]

    package var host: String { env["ENVCTL_TEST_REGISTRY"]! }
    package var user: String? { env["ENVCTL_TEST_USER"] }
    package var password: String? { env["ENVCTL_TEST_PASSWORD"] }

    package init(_ mode: String = "plain") throws {
        dir = try TemporaryDirectory(prefix: "envctl-registry-\(mode)")
        let r = try runProcess(
            "bash", [RepoPaths.path("ci/registry.sh"), "start", mode, dir.path],
            environment: ["ENVCTL_REGISTRY_OWNER_PID": "\(ProcessInfo.processInfo.processIdentifier)"])
        var env: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { env[kv[0]] = kv[1] }
        }
        guard r.status == 0, env["ENVCTL_TEST_REGISTRY"] != nil else {
            throw FixtureError(message: "ci/registry.sh start \(mode) failed: \(r.stderr)")
        }
        self.env = env
    }

    /// Stops the registry and removes its files; safe to call more than once.
    package func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        _ = try? runProcess("bash", [RepoPaths.path("ci/registry.sh"), "stop", dir.path])
        dir.cleanup()
    }

    deinit { stop() }

    /// Puts a one-layer image (distinct per `payload`) at `repository:tag` with skopeo; returns its digest.
    @discardableResult
    package func put(_ repositoryAndTag: String, payload: String) throws -> String {
        let layout = try TemporaryDirectory(prefix: "envctl-layout")
        defer { layout.cleanup() }
        let made = try runProcess("bash", [RepoPaths.path("ci/make-oci-layout.sh"), layout.path, payload, "1024"])
        guard made.status == 0 else { throw FixtureError(message: "make-oci-layout: \(made.stderr)") }
        let copied = try runProcess(
            "skopeo",
            [
                "copy", "--quiet", "--dest-tls-verify=false", "oci:\(layout.path):\(payload)",
                "docker://\(host)/\(repositoryAndTag)",
            ])
        guard copied.status == 0 else { throw FixtureError(message: "skopeo copy: \(copied.stderr)") }
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The digest skopeo sees for a tag: an independent check of what envctl records.
    package func digest(_ repositoryAndTag: String) throws -> String {
        let r = try runProcess(
            "skopeo",
            ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(host)/\(repositoryAndTag)"])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A registries.yaml that sends docker.io pulls to this registry, as an air-gapped team would.
    package func mirrorConfig() throws -> String {
        let path = dir.path + "/registries.yaml"
        try "registries:\n  docker.io:\n    mirrors: [\"\(host)\"]\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

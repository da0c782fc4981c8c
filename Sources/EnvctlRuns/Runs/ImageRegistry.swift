import Foundation

/// What runs, pipelines and reproduce need from a registry. A seam so the CLI can plug in the shared
/// OCIRegistry client and tests can use an in-memory fake.
public protocol ImageRegistry: Sendable {
    /// Whether `repository@digest` can still be pulled.
    func digestExists(repository: String, digest: String) async throws(RunsError) -> Bool
    /// The manifest digest a tag points to now.
    func resolveDigest(reference: String) async throws(RunsError) -> String
    /// Points `repository:tag` at `digest` (used for protective `envctl-run-<id>` tags).
    func addTag(repository: String, digest: String, tag: String) async throws(RunsError)
}

/// An interim `ImageRegistry` that drives `skopeo`, until the OCIRegistry client lands on main.
///
/// skopeo reads `registries.conf` (and `CONTAINERS_REGISTRIES_CONF`) for insecure registries and
/// `auth.json` for credentials, the same files podman uses, so `run` and this adapter agree.
public struct SkopeoRegistry: ImageRegistry {
    let runner: any CommandRunner
    public init(runner: any CommandRunner = SystemCommandRunner()) { self.runner = runner }

    /// Loopback registries speak plain HTTP (docker treats 127.0.0.0/8 as insecure by default too).
    static func tls(_ reference: String, _ flag: String = "--tls-verify") -> [String] {
        let host = reference.split(separator: "/").first.map(String.init) ?? ""
        return host.hasPrefix("127.") || host.hasPrefix("localhost") || host.hasPrefix("[::1]") ? ["\(flag)=false"] : []
    }

    public func digestExists(repository: String, digest: String) async throws(RunsError) -> Bool {
        let out = await runner.run("skopeo", ["inspect"] + Self.tls(repository) + ["--raw", "docker://\(repository)@\(digest)"])
        guard out.launched else { throw Self.missing }
        if out.succeeded { return true }
        let text = out.stderr.lowercased()
        if text.contains("manifest unknown") || text.contains("not found") || text.contains("name unknown") { return false }
        throw RunsError(.failure, "cannot check \(repository)@\(digest): \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    public func resolveDigest(reference: String) async throws(RunsError) -> String {
        let out = await runner.run("skopeo", ["inspect"] + Self.tls(reference) + ["--format", "{{.Digest}}", "docker://\(reference)"])
        guard out.launched else { throw Self.missing }
        let digest = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard out.succeeded, ImageRef.isDigest(digest) else {
            throw RunsError(.failure, "cannot resolve \(reference) to a digest: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return digest
    }

    public func addTag(repository: String, digest: String, tag: String) async throws(RunsError) {
        // Same repository, so this only uploads a manifest that references blobs already there.
        let out = await runner.run(
            "skopeo", ["copy", "--quiet", "--preserve-digests"] + Self.tls(repository, "--src-tls-verify") + Self.tls(repository, "--dest-tls-verify") + ["docker://\(repository)@\(digest)", "docker://\(repository):\(tag)"])
        guard out.launched else { throw Self.missing }
        guard out.succeeded else {
            throw RunsError(.failure, "cannot tag \(repository)@\(digest) as \(tag): \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    static let missing = RunsError(.missingTool, "skopeo is not installed", hint: "apt-get install skopeo (or wait for the built-in registry client)")
}

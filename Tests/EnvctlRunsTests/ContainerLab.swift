import EnvctlTestSupport
import Foundation

/// A private podman/buildah storage and a real `docker-registry` on a loopback port, configured the
/// way container-tooling.md found works on these machines (runc, explicit ulimits, no network).
/// Everything lives under one temporary directory; `shutdown()` stops the registry and removes it.
final class ContainerLab: @unchecked Sendable {
    let dir: TemporaryDirectory
    private let registry: TestRegistry
    private let containers: PrivateContainers
    /// The private containers configuration, for every tool and for envctl.
    var environment: [String: String] { containers.environment }

    var registryHost: String { registry.host }

    /// The executables the lab drives (ci/setup.sh installs them); see ``requirement``.
    static let tools = ["podman", "buildah", "runc"] + TestRegistry.tools

    /// busybox-static, copied into every lab image, when it is missing.
    static var missingFiles: [String] {
        FileManager.default.fileExists(atPath: "/bin/busybox") ? [] : ["/bin/busybox (busybox-static)"]
    }

    /// Gates a suite on the lab: skipped without the tools, failing under CI.
    static var requirement: ToolRequirement { .requires(tools, also: { ContainerLab.missingFiles }) }

    init(network: String = "none") throws {
        dir = try TemporaryDirectory(prefix: "envctl-lab")
        registry = try TestRegistry()
        containers = try PrivateContainers(in: dir, insecureRegistries: [registry.host], network: network)
    }

    @discardableResult
    func tool(_ name: String, _ args: [String], stdin: String? = nil) throws -> ProcessResult {
        let r = try runProcess(name, args, environment: environment, stdin: stdin)
        guard r.status == 0 else { throw FixtureError(message: "\(name) \(args.joined(separator: " ")): \(r.stderr)") }
        return r
    }

    /// Builds `localhost/<name>` from busybox plus `files` (path → content), reproducibly.
    func buildImage(_ name: String, files: [String: String]) throws {
        let root = "\(dir.path)/rootfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        for applet in ["sh", "cat", "echo", "ls", "env", "test", "pwd", "sleep", "httpd"] {
            try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        let c = try tool("buildah", ["from", "scratch"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try tool("buildah", ["copy", "-q", c, root + "/", "/"])
        try tool("buildah", ["config", "--env", "PATH=/bin", c])
        try tool("buildah", ["commit", "-q", "--timestamp", "0", c, "localhost/\(name)"])
        try tool("buildah", ["rm", c])
    }

    /// Pushes a local image to the lab registry; returns the manifest digest.
    func push(_ local: String, to repositoryAndTag: String) throws -> String {
        let digestFile = "\(dir.path)/digest-\(UUID().uuidString)"
        try tool(
            "buildah",
            ["push", "-q", "--digestfile", digestFile, local, "docker://\(registryHost)/\(repositoryAndTag)"])
        return try String(contentsOfFile: digestFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tags(_ repository: String) throws -> [String] {
        let out = try tool("skopeo", ["list-tags", "--tls-verify=false", "docker://\(registryHost)/\(repository)"])
            .stdout
        struct Tags: Decodable { var Tags: [String] }
        return try JSONDecoder().decode(Tags.self, from: Data(out.utf8)).Tags.sorted()
    }

    func deleteManifest(_ repository: String, digest: String) throws {
        try tool("skopeo", ["delete", "--tls-verify=false", "docker://\(registryHost)/\(repository)@\(digest)"])
    }

    func shutdown() {
        containers.removeEverything()
        _ = try? runProcess("podman", ["system", "reset", "-f"], environment: environment)
        registry.stop()
        dir.cleanup()
    }
}

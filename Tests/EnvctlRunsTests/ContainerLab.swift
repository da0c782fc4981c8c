import EnvctlTestSupport
import Foundation

/// A private podman/buildah storage and a real `docker-registry` on a loopback port, configured the
/// way container-tooling.md found works on these machines (runc, explicit ulimits, no network).
/// Everything lives under one temporary directory; `shutdown()` stops the registry and removes it.
final class ContainerLab: @unchecked Sendable {
    let dir: TemporaryDirectory
    let port: Int
    private let registry: Process
    /// CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF for every tool and for envctl.
    let environment: [String: String]

    var registryHost: String { "127.0.0.1:\(port)" }

    /// Why the lab cannot run here, or nil when podman, buildah, skopeo, docker-registry and busybox exist.
    static var unavailableReason: String? {
        for tool in ["podman", "buildah", "skopeo", "docker-registry", "runc"] {
            let r = try? runProcess("sh", ["-c", "command -v \(tool)"])
            if r?.status != 0 { return "\(tool) is not installed (ci/setup.sh installs it)" }
        }
        if !FileManager.default.fileExists(atPath: "/bin/busybox") { return "busybox-static is not installed" }
        return nil
    }

    init() throws {
        dir = try TemporaryDirectory(prefix: "envctl-lab")
        let w = dir.path
        let hardNofile = (try? runProcess("sh", ["-c", "ulimit -Hn"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "1024"
        let nofile = min(Int(hardNofile) ?? 1024, 1_048_576)
        try dir.write("containers.conf", """
            [containers]
            default_ulimits = ["nofile=\(nofile):\(nofile)", "nproc=4096:4096"]
            netns = "none"
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            runtime = "runc"
            tmp_dir = "\(w)/podman-tmp"

            """)
        try dir.write("storage.conf", "[storage]\ndriver = \"overlay\"\ngraphroot = \"\(w)/storage\"\nrunroot = \"\(w)/run\"\n")
        try dir.write("registry/config.yml", """
            version: 0.1
            log: {level: info, accesslog: {disabled: true}}
            storage: {filesystem: {rootdirectory: \(w)/registry/data}, delete: {enabled: true}}
            http: {addr: "127.0.0.1:0"}

            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["docker-registry", "serve", "\(w)/registry/config.yml"]
        _ = FileManager.default.createFile(atPath: "\(w)/registry/log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(w)/registry/log"))
        p.standardOutput = log
        p.standardError = log
        try p.run()
        registry = p
        var found: Int?
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: "\(w)/registry/log", encoding: .utf8)) ?? ""
            if let r = text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[r].split(separator: ":").last!)
                break
            }
            usleep(25_000)
        }
        guard let found else {
            p.terminate()
            throw FixtureError(message: "docker-registry did not start: \((try? String(contentsOfFile: "\(w)/registry/log", encoding: .utf8)) ?? "")")
        }
        port = found
        try dir.write("registries.conf", "unqualified-search-registries = []\n[[registry]]\nlocation = \"127.0.0.1:\(found)\"\ninsecure = true\n")
        environment = [
            "CONTAINERS_CONF": "\(w)/containers.conf", "CONTAINERS_STORAGE_CONF": "\(w)/storage.conf",
            "CONTAINERS_REGISTRIES_CONF": "\(w)/registries.conf",
        ]
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
        for applet in ["sh", "cat", "echo", "ls", "env", "test", "pwd", "sleep"] {
            try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
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
        try tool("buildah", ["push", "-q", "--digestfile", digestFile, local, "docker://\(registryHost)/\(repositoryAndTag)"])
        return try String(contentsOfFile: digestFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tags(_ repository: String) throws -> [String] {
        let out = try tool("skopeo", ["list-tags", "--tls-verify=false", "docker://\(registryHost)/\(repository)"]).stdout
        struct Tags: Decodable { var Tags: [String] }
        return try JSONDecoder().decode(Tags.self, from: Data(out.utf8)).Tags.sorted()
    }

    func deleteManifest(_ repository: String, digest: String) throws {
        try tool("skopeo", ["delete", "--tls-verify=false", "docker://\(registryHost)/\(repository)@\(digest)"])
    }

    func shutdown() {
        _ = try? runProcess("podman", ["rm", "-a", "-f"], environment: environment)
        _ = try? runProcess("buildah", ["rm", "--all"], environment: environment)
        _ = try? runProcess("podman", ["system", "reset", "-f"], environment: environment)
        registry.terminate()
        registry.waitUntilExit()
        dir.cleanup()
    }
}

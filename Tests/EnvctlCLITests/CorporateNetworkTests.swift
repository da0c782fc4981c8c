import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `lock` on a network that blocks things: an unreachable index names the mirror options, `--no-registry`
/// and `--offline` are separate, and a registry mirror that lacks a tag is named in a warning.
@Suite(.serialized, .requires(["uv"]), .tags(.uv)) struct CorporateNetworkTests {
    static let plainSpec = """
        version: 1
        environments:
          demo:
            python: "3.11"
            os: ubuntu22.04
            cuda_libraries: image
            packages: ["numpy==1.26.4"]

        """

    func project(_ spec: String = plainSpec) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "envctl-corp")
        try dir.write("envctl.yaml", spec)
        return dir
    }

    @Test func unreachableIndexNamesTheMirrorOptionsAndStaysRedacted() throws {
        let dir = try project()
        defer { dir.cleanup() }
        // Port 9 (discard) on loopback: nothing listens, so uv's connect is refused. The mirror URL carries a
        // password, which no message may show.
        let env = [
            "ENVCTL_INDEX_MIRRORS":
                "https://pypi.org/simple=http://ci:\(TestSecrets.prefix)mirror-pass@127.0.0.1:9/simple"
        ]
        let r = try envctl(["lock", "--no-registry"], cwd: dir.path, env: env)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("uv could not connect to PyPI https://pypi.org/simple"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: if https://pypi.org/simple is blocked or down here"), "\(r.stderr)")
        #expect(r.stderr.contains("--index-mirror https://pypi.org/simple=MIRROR_URL"))
        #expect(r.stderr.contains("python_index.mirrors"))
        #expect(!r.stderr.contains("mirror-pass"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/envctl.lock"))
    }

    @Test func noRegistryPinsPythonWhileOfflineRefusesWhatNeedsTheNetwork() throws {
        let index = try WheelIndexServer()
        defer { index.stop() }
        let dir = try project()
        defer { dir.cleanup() }
        // A registry that can't be reached: --no-registry must not try it.
        try dir.write("registries.yaml", "registries:\n  docker.io:\n    mirrors: [\"127.0.0.1:9\"]\n")
        let cache = try TemporaryDirectory(prefix: "envctl-uv-cache")
        defer { cache.cleanup() }
        var env = [
            "ENVCTL_INDEX_MIRRORS": index.mirrors, "ENVCTL_REGISTRIES_CONFIG": dir.path + "/registries.yaml",
            "UV_CACHE_DIR": cache.path,
        ]
        let r = try envctl(["lock", "--no-registry"], cwd: dir.path, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let demo = try #require(try Lockfile.load(fileAt: dir.path + "/envctl.lock").environment(named: "demo"))
        #expect(demo.pythonPackages.packages.map(\.name) == ["numpy"])
        #expect(demo.images.base.digest == nil && demo.images.builder.digest == nil)
        #expect(demo.warnings.contains { $0.contains("recorded by tag only (locked with --no-registry)") })
        let check = try envctl(["lock", "--check"], cwd: dir.path, env: env)
        #expect(check.status == 0, "a --no-registry lock is up to date: \(check.stderr)")

        // --offline: no network at all. PyPI itself (no loopback mirror) with an empty uv cache: refused, and
        // the message says what needs the network.
        env["ENVCTL_INDEX_MIRRORS"] = nil
        let empty = try TemporaryDirectory(prefix: "envctl-uv-empty")
        defer { empty.cleanup() }
        env["UV_CACHE_DIR"] = empty.path
        try FileManager.default.removeItem(atPath: dir.path + "/envctl.lock")
        let offline = try envctl(["lock", "--offline"], cwd: dir.path, env: env)
        #expect(offline.status == 1, "\(offline.stderr)")
        #expect(offline.stderr.contains("--offline allows no network"), "\(offline.stderr)")
        #expect(offline.stderr.contains("https://pypi.org/simple needs the network"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/envctl.lock"))
        // Both flags refuse --refresh, which needs the registry.
        let refresh = try envctl(["lock", "--check", "--refresh", "--no-registry"], cwd: dir.path, env: env)
        #expect(refresh.status == 64)
    }

    @Test(.requires(TestRegistry.tools), .tags(.registry))
    func aMirrorThatLacksTheTagIsNamedThenSkipped() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let index = try WheelIndexServer()
        defer { index.stop() }
        let dir = try project()
        defer { dir.cleanup() }
        // Resolve first (no registry) to learn which tags this knowledge base picks.
        let env0 = ["ENVCTL_INDEX_MIRRORS": index.mirrors]
        let first = try envctl(["lock", "--no-registry"], cwd: dir.path, env: env0)
        try #require(first.status == 0, "\(first.stderr)")
        let tags = try #require(try Lockfile.load(fileAt: dir.path + "/envctl.lock").environment(named: "demo")).images
        let refs = [tags.base.reference, tags.builder.reference].map { String($0.dropFirst("docker.io/".count)) }
        for ref in refs { _ = try registry.put(ref, payload: ref) }
        // Two mirrors of docker.io: the first (an empty path on the same registry) lacks every tag.
        try dir.write(
            "registries.yaml",
            "registries:\n  docker.io:\n    mirrors: [\"\(registry.host)/empty\", \"\(registry.host)\"]\n")
        let env = ["ENVCTL_INDEX_MIRRORS": index.mirrors, "ENVCTL_REGISTRIES_CONFIG": dir.path + "/registries.yaml"]
        let r = try envctl(["lock"], cwd: dir.path, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        for ref in refs {
            #expect(
                r.stderr.contains("warning: mirror \(registry.host)/empty/\(ref) failed for docker.io/\(ref)"),
                "\(r.stderr)")
        }
        #expect(r.stderr.contains("trying the next source"))
        let demo = try #require(try Lockfile.load(fileAt: dir.path + "/envctl.lock").environment(named: "demo"))
        #expect(demo.images.base.digest == (try registry.digest(refs[0])))
        #expect(demo.images.builder.digest == (try registry.digest(refs[1])))
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// Issue 12 §2 against a real registry: a fleet with an H100 and a GH200 locks both platforms, the images by
/// their index digest with each platform's manifest digest, and a tag without an arm64 manifest fails.
@Suite(.serialized, .requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv)) struct LockPlatformsRegistryTests {
    /// Writes a two-platform OCI layout (an image index over a linux/amd64 and a linux/arm64 manifest) and returns
    /// the layout path and the digests `[index, amd64, arm64]`, computed here independently of envctl.
    static let layoutScript = #"""
        import hashlib, json, os, sys
        root, payload = sys.argv[1], sys.argv[2]
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        def blob(data):
            d = hashlib.sha256(data).hexdigest()
            open(os.path.join(root, "blobs", "sha256", d), "wb").write(data)
            return {"digest": "sha256:" + d, "size": len(data)}
        manifests = []
        for arch in ["amd64", "arm64"]:
            layer = blob(f"{payload} {arch} layer".encode())
            config = blob(json.dumps({"architecture": arch, "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}, sort_keys=True).encode())
            m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")]}, sort_keys=True).encode())
            manifests.append(dict(m, mediaType="application/vnd.oci.image.manifest.v1+json",
                platform={"architecture": arch, "os": "linux"}))
        index = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests}, sort_keys=True).encode())
        json.dump({"schemaVersion": 2, "manifests": [dict(index, mediaType="application/vnd.oci.image.index.v1+json",
            annotations={"org.opencontainers.image.ref.name": "multi"})]}, open(os.path.join(root, "index.json"), "w"))
        open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion": "1.0.0"}')
        print(" ".join([index["digest"]] + [m["digest"] for m in manifests]))
        """#

    /// Puts a two-platform index at `repositoryAndTag`; returns `[index, amd64, arm64]` digests.
    func putTwoPlatform(_ registry: TestRegistry, _ repositoryAndTag: String, payload: String) throws -> [String] {
        let layout = try TemporaryDirectory(prefix: "envctl-index")
        defer { layout.cleanup() }
        let made = try runProcess("python3", ["-c", Self.layoutScript, layout.path, payload])
        guard made.status == 0 else { throw FixtureError(message: "layout: \(made.stderr)") }
        let copied = try runProcess(
            "skopeo",
            [
                "copy", "--all", "--quiet", "--preserve-digests", "--dest-tls-verify=false",
                "oci:\(layout.path):multi", "docker://\(registry.host)/\(repositoryAndTag)",
            ])
        guard copied.status == 0 else { throw FixtureError(message: "skopeo copy: \(copied.stderr)") }
        return made.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test func aMixedFleetLocksBothPlatformsDigests() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let index = try WheelIndexServer()
        defer { index.stop() }
        let base = "nvidia/cuda:12.4.1-base-ubuntu22.04", builder = "nvidia/cuda:12.4.1-devel-ubuntu22.04"
        let baseDigests = try putTwoPlatform(registry, base, payload: "base")
        let builderDigests = try putTwoPlatform(registry, builder, payload: "devel")
        #expect(try registry.digest(base) == baseDigests[0], "the registry serves the index as pushed")
        let env = ["ENVCTL_INDEX_MIRRORS": index.mirrors, "ENVCTL_REGISTRIES_CONFIG": try registry.mirrorConfig()]
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let specPath = dir.path + "/envctl.yaml"
        let spec = try String(contentsOfFile: specPath, encoding: .utf8)
        try spec.replacingOccurrences(of: "gpus: [a100, h100]", with: "gpus: [a100, h100, gh200]")
            .write(toFile: specPath, atomically: true, encoding: .utf8)

        let r = try envctl(["lock"], cwd: dir.path, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let lock = try Lockfile.load(fileAt: dir.path + "/envctl.lock")
        let train = try #require(lock.environment(named: "train"))
        #expect(train.platforms == ["linux/amd64", "linux/arm64"])
        #expect(train.images.base.digest == baseDigests[0])
        #expect(train.images.base.platformDigest == baseDigests[1])
        #expect(train.images.base.platformDigests == ["linux/arm64": baseDigests[2]])
        #expect(train.images.builder.digest == builderDigests[0])
        #expect(train.images.builder.platformDigests == ["linux/arm64": builderDigests[2]])
        #expect(train.platformPythonPackages["linux/arm64"]?.platform == "aarch64-manylinux_2_28")
        #expect(train.platformPythonPackages["linux/arm64"]?.packages.contains { $0.name == "torch" } == true)
        #expect(train.pythonRuntime?.platforms.keys.sorted() == ["linux/amd64", "linux/arm64"])
        // torch 2.5.1 has no platform_wheels row: a warning, not a conflict.
        #expect(train.warnings.contains { $0.contains("publishes CUDA wheels for linux/arm64") })
        let check = try envctl(["lock", "--check"], cwd: dir.path, env: env)
        #expect(check.status == 0, "\(check.stderr)")

        // A tag with only an amd64 image cannot serve the GH200 nodes: the lock fails and names the platform.
        try registry.put(base, payload: "amd64-only")
        let failed = try envctl(["lock"], cwd: dir.path, env: env)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("is a linux/amd64 image, not linux/arm64"), "\(failed.stderr)")
    }
}

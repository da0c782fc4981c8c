import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl lock` against a real registry: base and builder images pinned by digest through a docker.io mirror,
/// and `--check --refresh` noticing a tag that moved upstream.
@Suite(.serialized, .requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv)) struct LockRegistryTests {
    @Test func pinsImagesByDigestAndNoticesMovedTagsOnlyWhenAsked() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let index = try WheelIndexServer()
        defer { index.stop() }
        let base = "nvidia/cuda:12.4.1-base-ubuntu22.04", builder = "nvidia/cuda:12.4.1-devel-ubuntu22.04"
        try registry.put(base, payload: "base-v1")
        try registry.put(builder, payload: "devel-v1")
        let env = ["ENVCTL_INDEX_MIRRORS": index.mirrors, "ENVCTL_REGISTRIES_CONFIG": try registry.mirrorConfig()]
        let dir = try example("quickstart")
        defer { dir.cleanup() }

        let r = try envctl(["lock"], cwd: dir.path, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let lock = try Lockfile.load(fileAt: dir.path + "/envctl.lock")
        let train = try #require(lock.environment(named: "train"))
        #expect(train.images.base.reference == "docker.io/\(base)")
        #expect(train.images.base.digest == (try registry.digest(base)))
        #expect(train.images.builder.digest == (try registry.digest(builder)))
        #expect(train.images.base.platformDigest == train.images.base.digest, "single-platform image: same digest")
        #expect(!train.warnings.contains { $0.contains("recorded by tag") })

        // Upstream rebuilds the tag. A plain --check never re-resolves tags; --refresh does and names it.
        try registry.put(base, payload: "base-v2")
        let quiet = try envctl(["lock", "--check"], cwd: dir.path, env: env)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        let refreshed = try envctl(["lock", "--check", "--refresh"], cwd: dir.path, env: env)
        #expect(refreshed.status == 2)
        #expect(refreshed.stderr.contains("docker.io/\(base) moved upstream"))

        // A missing image is a clear failure and leaves the lock as it was.
        let before = try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8)
        let spec = try String(contentsOfFile: dir.path + "/envctl.yaml", encoding: .utf8)
        try spec.replacingOccurrences(of: "python: \"3.11\"", with: "python: \"3.11\"\n    cuda_libraries: image")
            .write(toFile: dir.path + "/envctl.yaml", atomically: true, encoding: .utf8)
        let missing = try envctl(["lock"], cwd: dir.path, env: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot pin docker.io/nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"))
        #expect(try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8) == before)
    }
}

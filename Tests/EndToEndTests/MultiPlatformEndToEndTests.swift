import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// A two-platform image for real: amd64 and arm64 stand-in CUDA bases (the arm64 one unpacked from Debian's
/// arm64 packages) pushed as one index under a mirror of `nvidia/cuda`, a lock pinning that index,
/// `envctl build --platform linux/amd64,linux/arm64 --push --record` (buildah; the arm64 half runs its RUN
/// steps under qemu-aarch64), then each platform run with `podman run --platform` and the index checked with
/// `skopeo inspect --raw` against the lock's record. `envctl copy` of the index keeps both platforms.
///
/// Needs what ImageBuildEndToEndTests needs plus qemu-aarch64 registered with binfmt_misc (ci/setup.sh).
/// Takes a few minutes: the arm64 build runs apt-get and pip under emulation.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(
        ["buildah", "podman", "runc", "skopeo", "git", "curl", "debootstrap"] + TestRegistry.tools,
        also: Emulation.arm64Missing))
struct MultiPlatformEndToEndTests {
    typealias World = ImageBuildEndToEndTests.World

    /// Builds the stand-in base for each platform and pushes them as one image index under each of `paths`;
    /// returns each path's index digest.
    func pushStandinIndex(_ w: World, as paths: [String]) throws -> [String: String] {
        let index = "localhost/standin-cuda-index:12.4.1"
        #expect(try w.run("buildah", ["manifest", "create", index]).status == 0)
        for arch in ["amd64", "arm64"] {
            let image = "localhost/standin-cuda-\(arch):12.4.1"
            let base = try w.run(RepoPaths.path("scripts/standin-cuda-base.sh"), [image, "12.4.1", arch])
            try #require(base.status == 0, "standin-cuda-base.sh \(arch): \(base.stderr)")
            let add = try w.run("buildah", ["manifest", "add", index, "containers-storage:\(image)"])
            try #require(add.status == 0, "\(add.stderr)")
        }
        var digests: [String: String] = [:]
        for path in paths {
            // buildah 1.28 leaves `manifest push --digestfile` empty: the registry tells the digest.
            let push = try w.run(
                "buildah",
                [
                    "manifest", "push", "--all", "--quiet", "--tls-verify=false", "--format", "oci", index,
                    "docker://\(w.registry.host)/\(path)",
                ])
            try #require(push.status == 0, "\(push.stderr)")
            digests[path] = try w.registry.digest(path)
        }
        return digests
    }

    @Test(.timeLimit(.minutes(30))) func twoPlatformImageBuildPushRunAndCopy() throws {
        let w = try World()
        defer { w.tearDown() }
        let wheelHash = try w.startIndex()
        let registry = w.registry.host
        let digests = try pushStandinIndex(
            w, as: ["nvidia/cuda:12.4.1-base-ubuntu22.04", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"])

        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        // A pure-Python wheel: the same pin on both platforms.
        let hello = [
            LockedPackage(
                name: "envctl-hello", version: "1.0.0", index: PythonIndexSettings.pypi, hashes: ["sha256:\(wheelHash)"]
            )
        ]
        let env = LockedEnvironment(
            name: "demo", hash: "sha256:" + String(repeating: "2", count: 64), framework: nil, cuda: "12.4.1",
            cudnn: nil, python: "3.11", os: "debian12",
            driver: LockedDriver(minimum: nil, fullCompatibility: nil, compatibility: .unchecked), archs: ["sm_90"],
            cudaLibraries: "image",
            images: LockedImages(
                base: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
                    digest: digests["nvidia/cuda:12.4.1-base-ubuntu22.04"]),
                builder: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
                    digest: digests["nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"])),
            image: "\(registry)/envctl/demo", apt: [], env: [:],
            pythonPackages: LockedPython(platform: "x86_64-manylinux_2_28", packages: hello),
            reasons: [], warnings: [], platforms: [ContainerPlatform.amd64, ContainerPlatform.arm64],
            platformPythonPackages: [
                ContainerPlatform.arm64: LockedPython(platform: "aarch64-manylinux_2_28", packages: hello)
            ])
        let lock = Lockfile(
            generatedBy: "e2e test", knowledgeBase: KnowledgeBaseStamp(version: "test", date: "2026-12-04"),
            specHash: "sha256:" + String(repeating: "0", count: 64), fleet: nil, environments: [env])
        try lock.write(to: project + "/envctl.lock")

        // Build both platforms, push one index, record the index digest and each platform's.
        let envctl = RepoPaths.envctlBinary
        let build = try w.run(
            envctl,
            [
                "build", "--builder", "buildah", "--mirror", "docker.io=\(registry)",
                "--build-arg", "PIP_INDEX_URL=http://127.0.0.1:\(w.indexPort)/simple",
                "--platform", "linux/amd64,linux/arm64", "--push", "--record",
            ], cwd: project)
        try #require(build.status == 0, "build failed:\n\(build.stdout)\n\(build.stderr.suffix(4000))")
        let lines = build.stdout.split(separator: "\n").map(String.init)
        func value(after prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        let indexDigest = try #require(value(after: "image index "))
        let amd64 = try #require(value(after: "platform linux/amd64 "))
        let arm64 = try #require(value(after: "platform linux/arm64 "))
        let target = "\(registry)/envctl/demo:\(env.contentTag)"
        #expect(build.stdout.contains("pushed \(target)@\(indexDigest)"))
        let pushed = try #require(
            try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "demo")?.pushed)
        #expect(pushed.digest == indexDigest)
        #expect(pushed.platforms == ["linux/amd64": amd64, "linux/arm64": arm64])

        // What the registry serves under the content tag is that index, with those platform digests.
        let raw = try w.run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target)"])
        try #require(raw.status == 0, "\(raw.stderr)")
        #expect(try w.registry.digest("envctl/demo:\(env.contentTag)") == indexDigest)
        let index = try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as! [String: Any]
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        var served: [String: String] = [:]
        for m in index["manifests"] as! [[String: Any]] {
            let p = m["platform"] as! [String: Any]
            served["\(p["os"]!)/\(p["architecture"]!)"] = m["digest"] as? String
        }
        #expect(served == pushed.platforms)

        // Each platform runs (arm64 under emulation) and is what it says.
        for (platform, machine) in [("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")] {
            let run = try w.run(
                "podman",
                [
                    "run", "--rm", "--network", "none", "--platform", platform,
                    "\(registry)/envctl/demo@\(indexDigest)",
                    "sh", "-c",
                    "uname -m; python -c 'import platform, envctl_hello; print(platform.python_version(), platform.machine(), envctl_hello.greet())'",
                ])
            #expect(run.status == 0, "\(platform): \(run.stderr)")
            #expect(run.stdout == "\(machine)\n3.11.2 \(machine) hello from the envctl image\n", "\(platform)")
        }

        // A second build finds the index of this lock with both platforms and skips.
        let again = try w.run(
            envctl,
            [
                "build", "--builder", "buildah", "--mirror", "docker.io=\(registry)",
                "--platform", "linux/amd64,linux/arm64", "--push",
            ], cwd: project)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already holds the image for lock hash \(env.hash)"))

        // copy keeps the index (same digest, both platforms).
        let copy = try w.run(
            envctl, ["copy", target, "\(registry)/mirror/demo:\(env.contentTag)"], cwd: project)
        #expect(copy.status == 0, "\(copy.stderr)")
        let copied = try w.run(
            "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry)/mirror/demo:\(env.contentTag)"])
        #expect(copied.stdout == raw.stdout)
        for (_, digest) in served {
            let child = try w.run(
                "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry)/mirror/demo@\(digest)"])
            #expect(child.status == 0, "\(child.stderr)")
        }
    }
}

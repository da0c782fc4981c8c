import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// The mixed fleet for real (issue 12's "done when"): `envctl lock` on examples/mixed-fleet (`gpus: [h100,
/// gh200]`) against a local registry that mirrors `nvidia/cuda` (amd64 and arm64 stand-in CUDA bases pushed
/// as one index, the arm64 one unpacked from Debian's arm64 packages) and the local wheel index
/// (Tests/Fixtures/wheel_index.py: torch 2.4.0+cu124 as manylinux x86_64 and aarch64 wheels), then
/// `envctl build --push --record` of the locked platforms (buildah; the arm64 half runs its RUN steps under
/// qemu-aarch64), each platform run with `podman run --platform`, and the index checked with
/// `skopeo inspect --raw` against the lock. `envctl copy` of the index keeps both platforms. A `gpus: [gh200]`
/// spec locks linux/arm64 alone, and its build refuses linux/amd64.
///
/// Ubuntu 22.04 ships no Python 3.11, so the lock pins python-build-standalone for each platform; GitHub is
/// unreachable here, so each platform's archive is a stand-in made from that platform's stand-in base (Debian
/// 12's python3.11, laid out like the real archive), served by a local mirror and pinned by a knowledge
/// overlay row (`ENVCTL_KNOWLEDGE`) carrying both sha256s, as ci/demo.sh does for amd64.
///
/// Needs what ImageBuildEndToEndTests needs plus uv, and qemu-aarch64 registered with binfmt_misc
/// (ci/setup.sh). Takes several minutes: the arm64 build runs apt-get and pip under emulation.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow, .uv),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(
        ["buildah", "podman", "runc", "skopeo", "git", "curl", "debootstrap", "gzip", "sha256sum", "uv"]
            + TestRegistry.tools,
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

    /// The platforms of the image index at `reference` (`linux/arm64` → manifest digest) and its raw bytes.
    func servedIndex(_ w: World, _ reference: String) throws -> (raw: String, platforms: [String: String]) {
        let raw = try w.run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(reference)"])
        try #require(raw.status == 0, "\(raw.stderr)")
        let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.stdout.utf8)) as? [String: Any])
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        var served: [String: String] = [:]
        for m in index["manifests"] as? [[String: Any]] ?? [] {
            let p = m["platform"] as? [String: Any] ?? [:]
            served["\(p["os"] ?? "")/\(p["architecture"] ?? "")"] = m["digest"] as? String
        }
        return (raw.stdout, served)
    }

    /// A stand-in python-build-standalone archive made from `image`'s own Python 3.11 (laid out like the real
    /// `install_only` archive: `python/bin/python3.11`, `python/lib/python3.11/...`), written to `dir/file`;
    /// returns its sha256. The arm64 image's tar runs under emulation; gzip runs here.
    func standinPythonArchive(_ w: World, image: String, platform: String, dir: String, file: String) throws
        -> String
    {
        let c = try w.run("buildah", ["from", "--quiet", "--platform", platform, image])
        try #require(c.status == 0, "\(c.stderr)")
        let container = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let tar = String(file.dropLast(3))  // "….tar.gz" → "….tar"
        let packed = try w.run(
            "buildah",
            [
                "run", "--volume", "\(dir):/out", container, "--", "sh", "-c",
                "tar -C / --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --transform 's,^usr/,python/,' -cf '/out/\(tar)' usr/bin/python3.11 usr/lib/python3.11",
            ])
        _ = try w.run("buildah", ["rm", container])
        try #require(packed.status == 0, "packing the \(platform) stand-in archive: \(packed.stderr)")
        let zipped = try runProcess("gzip", ["-n", "\(dir)/\(tar)"])
        try #require(zipped.status == 0, "\(zipped.stderr)")
        let sum = try runProcess("sha256sum", ["\(dir)/\(file)"])
        let sha = String(sum.stdout.prefix(64))
        try #require(sha.count == 64)
        return sha
    }

    @Test(.timeLimit(.minutes(45))) func mixedFleetLockBuildPushRunAndCopy() throws {
        let w = try World()
        defer { w.tearDown() }
        let registry = w.registry.host
        let wheels = try WheelIndexServer()
        defer { wheels.stop() }
        w.env["ENVCTL_INDEX_MIRRORS"] = wheels.mirrors
        w.env["ENVCTL_UV"] = try #require(uvExecutable())
        let envctl = RepoPaths.envctlBinary

        // The project: examples/mixed-fleet, as committed.
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let example = RepoPaths.path("examples/mixed-fleet")
        for file in try FileManager.default.contentsOfDirectory(atPath: example) {
            try FileManager.default.copyItem(atPath: "\(example)/\(file)", toPath: "\(project)/\(file)")
        }

        // 1. What the resolver picks: both platforms, torch 2.4.0+cu124 (the one 2.4.0 build with aarch64 CUDA
        // wheels), the nvidia/cuda tags to mirror, and python-build-standalone for each platform.
        let resolved = try w.run(envctl, ["resolve", "--json"], cwd: project)
        try #require(resolved.status == 0, "\(resolved.stderr)")
        let json = try #require(
            (try JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [String: Any])?["environments"]
                as? [String: Any])
        let train = try #require(json["train"] as? [String: Any])
        #expect(train["platforms"] as? [String] == [ContainerPlatform.amd64, ContainerPlatform.arm64])
        let framework = try #require(train["framework"] as? [String: Any])
        #expect(framework["version"] as? String == "2.4.0" && framework["variant"] as? String == "cu124")
        let baseRef = try #require(train["base_image"] as? String)
        let builderRef = try #require(train["builder_image"] as? String)
        let runtime = try #require(train["python_runtime"] as? [String: Any])
        #expect(runtime["source"] as? String == "standalone")
        let build = try #require(runtime["build"] as? String)
        let archives = try #require(runtime["platforms"] as? [String: [String: String]])
        #expect(archives.keys.sorted() == [ContainerPlatform.amd64, ContainerPlatform.arm64])

        // 2. The stand-in CUDA index (amd64 + arm64) under the tags the lock wants, in a registry that mirrors
        // docker.io for envctl (ENVCTL_REGISTRIES_CONFIG; `build` rewrites its FROM images to the same mirror).
        let paths = [baseRef, builderRef].map { $0.replacingOccurrences(of: "docker.io/", with: "") }
        let indexDigests = try pushStandinIndex(w, as: paths)
        try w.dir.write("envctl-registries.yaml", "registries:\n  docker.io:\n    mirrors: [\"\(registry)\"]\n")

        // 3. A stand-in archive per platform, from that platform's stand-in base, served at the real release
        // path by a local mirror; a knowledge overlay row carries both sha256s.
        let mirror = w.dir.path + "/mirror"
        let releaseDir = "\(mirror)/pbs/\(build)"
        try FileManager.default.createDirectory(atPath: releaseDir, withIntermediateDirectories: true)
        var standinSHA: [String: String] = [:]
        var overlayRows = ""
        for (platform, arch) in [(ContainerPlatform.amd64, "amd64"), (ContainerPlatform.arm64, "arm64")] {
            let url = try #require(archives[platform]?["url"])
            let file = try #require(url.split(separator: "/").last.flatMap { String($0).removingPercentEncoding })
            let sha = try standinPythonArchive(
                w, image: "localhost/standin-cuda-\(arch):12.4.1", platform: platform, dir: releaseDir, file: file)
            #expect(sha != archives[platform]?["sha256"], "the stand-in is not the upstream archive")
            standinSHA[platform] = sha
            overlayRows += "      \(platform): {url: \"\(url)\", sha256: \"\(sha)\"}\n"
        }
        let version = try #require(runtime["version"] as? String)
        try w.dir.write(
            "pbs-standin.yaml",
            """
            schema_version: 1
            version: "standin"
            date: "2026-12-04"
            sources:
              standin: {url: "https://example.invalid/standin", what: "stand-in archives built by the e2e test"}
            python_builds:
              - version: "\(version)"
                build: "\(build)"
                flavour: install_only_stripped
                platforms:
            \(overlayRows)    source: standin
                confidence: low

            """)
        w.env["ENVCTL_KNOWLEDGE"] = w.dir.path + "/pbs-standin.yaml"
        let port = try runProcess(
            "python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let python = try runProcess("python3", ["-c", "import sys; print(sys.executable)"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try w.spawn(
            python, ["-m", "http.server", "--bind", "127.0.0.1", port], cwd: mirror, log: w.dir.path + "/mirror.log")
        for _ in 0..<100 {
            if (try? runProcess("curl", ["-sf", "http://127.0.0.1:\(port)/pbs/"]))?.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }

        // 4. envctl lock: both platforms, each with its own pins, archive and image manifests under one index.
        let locked = try w.run(envctl, ["lock"], cwd: project)
        try #require(locked.status == 0, "lock failed:\n\(locked.stderr)")
        let env = try #require(try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "train"))
        #expect(env.platforms == [ContainerPlatform.amd64, ContainerPlatform.arm64])
        #expect(env.pythonPackages.platform == "x86_64-manylinux_2_28")
        let armPins = try #require(env.platformPythonPackages[ContainerPlatform.arm64])
        #expect(armPins.platform == "aarch64-manylinux_2_28")
        #expect(Array(env.platformPythonPackages.keys) == [ContainerPlatform.arm64])
        // Each platform's torch pin carries the sha256 of that platform's wheel (the two wheels differ). uv
        // lists every file of the pinned version under each platform (astral-sh/uv#3516), so the other
        // platform's hash is there too; which file each image installs is checked in step 6.
        func wheelSHA(_ tag: String) throws -> String {
            let sum = try runProcess(
                "sha256sum", ["\(wheels.rootPath)/files/torch-2.4.0+cu124-py3-none-manylinux_2_28_\(tag).whl"])
            try #require(sum.status == 0, "\(sum.stderr)")
            return "sha256:" + sum.stdout.prefix(64)
        }
        let (x86Wheel, armWheel) = (try wheelSHA("x86_64"), try wheelSHA("aarch64"))
        #expect(x86Wheel != armWheel)
        let x86Torch = try #require(env.pythonPackages.packages.first { $0.name == "torch" })
        let armTorch = try #require(armPins.packages.first { $0.name == "torch" })
        #expect(x86Torch.version == "2.4.0+cu124" && armTorch.version == "2.4.0+cu124")
        #expect(x86Torch.index == "https://download.pytorch.org/whl/cu124")
        #expect(x86Torch.hashes.contains(x86Wheel), "\(x86Torch.hashes)")
        #expect(armTorch.hashes.contains(armWheel), "\(armTorch.hashes)")
        #expect(Set(env.pythonPackages.packages.map(\.name)) == Set(armPins.packages.map(\.name)))
        #expect(env.pythonRuntime?.platforms.mapValues(\.sha256) == standinSHA)
        for (image, path) in [(env.images.base, paths[0]), (env.images.builder, paths[1])] {
            let served = try servedIndex(w, "\(registry)/\(path)")
            #expect(image.digest == indexDigests[path], "\(path): the lock pins the index the registry holds")
            #expect(image.platformDigest == served.platforms[ContainerPlatform.amd64], "\(path)")
            #expect(image.platformDigests.count == 1, "\(path)")
            #expect(image.platformDigests[ContainerPlatform.arm64] == served.platforms[ContainerPlatform.arm64])
            #expect(Set(served.platforms.values).count == 2)
        }
        let check = try w.run(envctl, ["lock", "--check"], cwd: project)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // 5. Build both locked platforms (the default), push one index, record the index and platform digests.
        let buildFlags = [
            "--builder", "buildah", "--python-mirror", "http://127.0.0.1:\(port)/pbs/",
            "--build-arg", "PIP_INDEX_URL=\(wheels.baseURL)/pypi/simple",
            "--build-arg", "PIP_EXTRA_INDEX_URL=\(wheels.baseURL)/whl/cu124",
            "--push", "--repository", "\(registry)/envctl/train",
        ]
        // Only some of the locked platforms can't be pushed: the content tag holds the index of all of them.
        let partial = try w.run(envctl, ["build"] + buildFlags + ["--platform", "linux/arm64"], cwd: project)
        #expect(partial.status == 64, "\(partial.stdout)\(partial.stderr)")
        #expect(partial.stderr.contains("it can't push linux/arm64 alone"), "\(partial.stderr)")
        let built = try w.run(envctl, ["build"] + buildFlags + ["--record"], cwd: project)
        try #require(built.status == 0, "build failed:\n\(built.stdout.suffix(3000))\n\(built.stderr.suffix(4000))")
        let lines = built.stdout.split(separator: "\n").map(String.init)
        func value(after prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        let indexDigest = try #require(value(after: "image index "))
        let amd64 = try #require(value(after: "platform linux/amd64 "))
        let arm64 = try #require(value(after: "platform linux/arm64 "))
        let target = "\(registry)/envctl/train:\(env.contentTag)"
        #expect(built.stdout.contains("pushed \(target)@\(indexDigest)"))
        let pushed = try #require(
            try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "train")?.pushed)
        #expect(pushed.digest == indexDigest)
        #expect(pushed.platforms == [ContainerPlatform.amd64: amd64, ContainerPlatform.arm64: arm64])
        let mirrorLog = (try? String(contentsOfFile: w.dir.path + "/mirror.log", encoding: .utf8)) ?? ""
        for platform in [ContainerPlatform.amd64, ContainerPlatform.arm64] {
            let file = archives[platform]?["url"]?.split(separator: "/").last ?? "?"
            #expect(mirrorLog.contains("GET /pbs/\(build)/\(file)"), "\(platform)'s archive came from the mirror")
        }

        // What the registry serves under the content tag is that index, with those platform digests.
        let index = try servedIndex(w, target)
        #expect(try w.registry.digest("envctl/train:\(env.contentTag)") == indexDigest)
        #expect(index.platforms == pushed.platforms)

        // 6. Each platform runs (arm64 under emulation): its Python (the locked standalone runtime in
        // /opt/python), torch's version, its machine, and the torch wheel it installed.
        let probe = """
            import importlib.metadata as m, platform, sys, torch
            tag = [l for l in m.distribution("torch").read_text("WHEEL").splitlines() if l.startswith("Tag: ")]
            print(platform.python_version(), sys.base_prefix, torch.__version__, platform.machine(), tag[0][5:])
            """
        for (platform, machine) in [(ContainerPlatform.amd64, "x86_64"), (ContainerPlatform.arm64, "aarch64")] {
            let run = try w.run(
                "podman",
                [
                    "run", "--rm", "--network", "none", "--platform", platform,
                    "\(registry)/envctl/train@\(indexDigest)", "python", "-c", probe,
                ])
            #expect(run.status == 0, "\(platform): \(run.stderr)")
            #expect(
                run.stdout == "3.11.2 /opt/python 2.4.0+cu124 \(machine) py3-none-manylinux_2_28_\(machine)\n",
                "\(platform)")
        }

        // A second build finds the index of this lock with both platforms and skips.
        let again = try w.run(envctl, ["build"] + buildFlags, cwd: project)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("already holds the image for lock hash \(env.hash)"))

        // copy keeps the index (same digest, both platforms).
        let copy = try w.run(envctl, ["copy", target, "\(registry)/mirror/train:\(env.contentTag)"], cwd: project)
        #expect(copy.status == 0, "\(copy.stderr)")
        let copied = try servedIndex(w, "\(registry)/mirror/train:\(env.contentTag)")
        #expect(copied.raw == index.raw)
        for (_, digest) in index.platforms {
            let child = try w.run(
                "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry)/mirror/train@\(digest)"])
            #expect(child.status == 0, "\(child.stderr)")
        }

        // 7. GH200 alone: linux/arm64 only, with no amd64 pins, archive or digest, and no amd64 build.
        let grace = w.dir.path + "/grace"
        try FileManager.default.createDirectory(atPath: grace, withIntermediateDirectories: true)
        try """
        version: 1
        fleet:
          driver: "550.54.15"
          gpus: [gh200]
        environments:
          serve:
            framework: "torch==2.4.0"
            python: "3.11"
            os: ubuntu22.04
            image: \(registry)/envctl/serve

        """.write(toFile: grace + "/envctl.yaml", atomically: true, encoding: .utf8)
        let graceLock = try w.run(envctl, ["lock"], cwd: grace)
        try #require(graceLock.status == 0, "\(graceLock.stderr)")
        let serve = try #require(try Lockfile.load(fileAt: grace + "/envctl.lock").environment(named: "serve"))
        #expect(serve.platforms == [ContainerPlatform.arm64])
        #expect(serve.pythonPackages.platform == "aarch64-manylinux_2_28")
        #expect(serve.platformPythonPackages.isEmpty)
        #expect(serve.pythonRuntime.map { Array($0.platforms.keys) } == [ContainerPlatform.arm64])
        let base = try servedIndex(w, "\(registry)/\(paths[0])")
        #expect(serve.images.base.digest == indexDigests[paths[0]])
        #expect(serve.images.base.platformDigest == base.platforms[ContainerPlatform.arm64])
        #expect(serve.images.base.platformDigests.isEmpty && serve.images.builder.platformDigests.isEmpty)
        let graceText = try String(contentsOfFile: grace + "/envctl.lock", encoding: .utf8)
        #expect(!graceText.contains("x86_64") && !graceText.contains(ContainerPlatform.amd64), "\(graceText)")
        let amd = try w.run(envctl, ["build", "--builder", "buildah", "--platform", "linux/amd64"], cwd: grace)
        #expect(amd.status == 64, "\(amd.stdout)\(amd.stderr)")
        #expect(amd.stderr.contains("environment 'serve' is locked for linux/arm64, not linux/amd64"), "\(amd.stderr)")
    }
}

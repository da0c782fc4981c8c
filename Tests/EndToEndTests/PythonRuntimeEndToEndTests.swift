import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// The standalone interpreter with real tools and no internet: `envctl lock` pins the python-build-standalone
/// build, `envctl build` (buildah) downloads it through `PYTHON_MIRROR` from a local mirror, checks it with
/// `sha256sum -c`, and the pushed image runs it from /opt/python.
///
/// The mirror (a python http.server on 127.0.0.1) serves a stand-in archive laid out like a real
/// `install_only` archive (`python/bin/python3.11`, `python/lib/python3.11/...`), made from the stand-in base
/// image's own Python, at the real 3.11.18 path. First the built-in row's real sha256 does not match the
/// stand-in, and the build must fail at the checksum; then a knowledge overlay row carries the stand-in's
/// computed sha256, and the build succeeds.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(["buildah", "podman", "runc", "git", "curl", "sha256sum"] + TestRegistry.tools))
struct PythonRuntimeEndToEndTests {
    typealias World = ImageBuildEndToEndTests.World

    static let build = "20261110"
    static let file = "cpython-3.11.18+20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    static let url =
        "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"

    @Test(.timeLimit(.minutes(20))) func standaloneFromALocalMirror() throws {
        let w = try World()
        defer { w.tearDown() }
        let registry = w.registry.host
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let spec = """
            version: 1
            environments:
              py:
                cuda: "12.4"
                python: "3.11"
                os: ubuntu22.04
            """
        try spec.write(toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)
        let envctl = RepoPaths.envctlBinary

        // 1. The stand-in CUDA base under the tags the resolver picks, in a registry that mirrors docker.io.
        let resolved = try w.run(envctl, ["resolve", "--json"], cwd: project)
        try #require(resolved.status == 0, "\(resolved.stderr)")
        let json = try #require(
            (try JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [String: Any])?["environments"]
                as? [String: Any])
        let env = try #require(json["py"] as? [String: Any])
        let runtime = try #require(env["python_runtime"] as? [String: Any])
        #expect(runtime["source"] as? String == "standalone")
        #expect(runtime["version"] as? String == "3.11.18")
        #expect(runtime["url"] as? String == Self.url)
        let upstreamSHA = try #require(runtime["sha256"] as? String)
        let base = try w.run(RepoPaths.path("scripts/standin-cuda-base.sh"), ["localhost/standin-cuda:12.4.1"])
        try #require(base.status == 0, "standin-cuda-base.sh: \(base.stderr)")
        for key in ["base_image", "builder_image"] {
            let ref = try #require(env[key] as? String)
            let path = ref.replacingOccurrences(of: "docker.io/", with: "")
            let push = try w.run(
                "buildah", ["push", "--quiet", "localhost/standin-cuda:12.4.1", "docker://\(registry)/\(path)"])
            try #require(push.status == 0, "\(push.stderr)")
        }
        try w.dir.write("envctl-registries.yaml", "registries:\n  docker.io:\n    mirrors: [\"\(registry)\"]\n")

        // 2. The stand-in archive, from the base image's own Python, served at the real release path.
        let mirror = w.dir.path + "/mirror"
        let releaseDir = "\(mirror)/pbs/\(Self.build)"
        try FileManager.default.createDirectory(atPath: releaseDir, withIntermediateDirectories: true)
        let c = try w.run("buildah", ["from", "--quiet", "localhost/standin-cuda:12.4.1"])
        try #require(c.status == 0, "\(c.stderr)")
        let container = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let packed = try w.run(
            "buildah",
            [
                "run", "--volume", "\(releaseDir):/out", container, "--", "sh", "-c",
                "tar -C / --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --transform 's,^usr/,python/,' -cf - usr/bin/python3.11 usr/lib/python3.11 | gzip -n > '/out/\(Self.file)'",
            ])
        _ = try w.run("buildah", ["rm", container])
        try #require(packed.status == 0, "packing the stand-in archive: \(packed.stderr)")
        let sum = try runProcess("sha256sum", [releaseDir + "/" + Self.file])
        let standinSHA = String(sum.stdout.prefix(64))
        try #require(standinSHA.count == 64 && standinSHA != upstreamSHA)
        let listing = try runProcess("tar", ["-tzf", releaseDir + "/" + Self.file])
        #expect(listing.stdout.contains("python/bin/python3.11\n"))
        #expect(listing.stdout.contains("python/lib/python3.11/os.py\n"))
        let port = try runProcess(
            "python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let python = try runProcess("python3", ["-c", "import sys; print(sys.executable)"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try w.spawn(
            python, ["-m", "http.server", "--bind", "127.0.0.1", port], cwd: mirror, log: w.dir.path + "/mirror.log")
        let served =
            "http://127.0.0.1:\(port)/pbs/\(Self.build)/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
        for _ in 0..<100 {
            if (try? runProcess("curl", ["-sfI", served]))?.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let buildArgs = [
            "build", "--builder", "buildah", "--mirror", "docker.io=\(registry)", "--python-mirror",
            "http://127.0.0.1:\(port)/pbs/", "--push", "--repository", "\(registry)/envctl/py",
        ]

        // 3. The built-in row's real sha256 does not match the stand-in: the build stops at the checksum.
        let lock1 = try w.run(envctl, ["lock"], cwd: project)
        try #require(lock1.status == 0, "\(lock1.stderr)")
        let lockText = try String(contentsOfFile: project + "/envctl.lock", encoding: .utf8)
        #expect(lockText.contains("sha256: \(upstreamSHA)"))
        #expect(lockText.contains("url: \(Self.url)"), "the lock keeps the upstream URL")
        let df = try w.run(envctl, ["dockerfile"], cwd: project)
        #expect(df.stdout.contains("sha256sum -c /tmp/python.tar.gz.sha256"))
        #expect(!df.stdout.contains("127.0.0.1"), "the mirror is a build argument, not part of the Dockerfile")
        let wrong = try w.run(envctl, buildArgs, cwd: project)
        #expect(wrong.status != 0, "a build whose archive does not match the lock's sha256 must fail")
        #expect(
            (wrong.stdout + wrong.stderr).contains("FAILED"),
            "sha256sum -c reports the mismatch:\n\(wrong.stderr.suffix(3000))")
        #expect(!(wrong.stdout.contains("pushed ")))

        // 4. An overlay row with the stand-in's computed sha256: lock, build, push, run.
        try """
        schema_version: 1
        version: "standin"
        date: "2026-12-04"
        sources:
          standin: {url: "https://example.invalid/standin", what: "stand-in archive built by the e2e test"}
        python_builds:
          - version: "3.11.18"
            build: "\(Self.build)"
            flavour: install_only_stripped
            platforms:
              linux/amd64: {url: "\(Self.url)", sha256: "\(standinSHA)"}
            source: standin
            confidence: low
        """.write(toFile: project + "/pbs-standin.yaml", atomically: true, encoding: .utf8)
        try (spec + "\nknowledge: [pbs-standin.yaml]\n").write(
            toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)
        let lock2 = try w.run(envctl, ["lock"], cwd: project)
        try #require(lock2.status == 0, "\(lock2.stderr)")
        #expect(try String(contentsOfFile: project + "/envctl.lock", encoding: .utf8).contains("sha256: \(standinSHA)"))
        let ok = try w.run(envctl, buildArgs, cwd: project)
        try #require(ok.status == 0, "build failed:\n\(ok.stdout)\n\(ok.stderr.suffix(4000))")
        #expect(ok.stderr.contains("OK"), "sha256sum -c prints OK")
        let digest = try #require(
            ok.stdout.split(separator: "\n").first { $0.hasPrefix("built ") }?.split(separator: " ").last)
        let run = try w.run(
            "podman",
            [
                "run", "--rm", "--network", "none", "\(registry)/envctl/py@\(digest)", "python", "-c",
                "import sys, os; print(sys.base_prefix, sys.prefix, sys.version_info[:2], os.path.realpath(sys.executable))",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout == "/opt/python /opt/envctl/venv (3, 11) /opt/python/bin/python3.11\n", "\(run.stdout)")
        let mirrorLog = (try? String(contentsOfFile: w.dir.path + "/mirror.log", encoding: .utf8)) ?? ""
        #expect(mirrorLog.contains("GET /pbs/\(Self.build)/cpython-3.11.18%2B20261110"), "fetched through the mirror")
    }
}

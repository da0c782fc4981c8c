import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// The whole image chain with real tools: a stand-in CUDA base in a local registry under a mirror of
/// `nvidia/cuda`, a lock pinning it by digest, `envctl dockerfile`, `envctl build --push` (buildah,
/// chroot isolation), a second build in fresh storage, and `podman run` of the pushed image.
///
/// Needs buildah, podman, runc, docker-registry and python3 (ci/setup.sh installs them; the stand-in
/// base also needs debootstrap once, then it is cached). Skipped when they are missing, except under CI,
/// where it fails naming them; skipped with ENVCTL_SKIP_E2E=1 (a skip that ci/test.sh counts). Takes about
/// a minute (two builds, each runs apt-get update against deb.debian.org in both stages).
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(["buildah", "podman", "runc", "git", "curl"] + TestRegistry.tools))
struct ImageBuildEndToEndTests {

    /// A scratch world: containers storage, registries.conf, a registry and a package index, all under one
    /// temp dir, torn down at the end.
    final class World {
        let dir: TemporaryDirectory
        let registry: TestRegistry
        var containers: PrivateContainers
        var env: [String: String]
        var indexPort = 0
        var pids: [Int32] = []

        init() throws {
            dir = try TemporaryDirectory(prefix: "envctl-e2e")
            registry = try TestRegistry()
            containers = try PrivateContainers(in: dir, insecureRegistries: [registry.host])
            env = containers.environment
            env["ENVCTL_REGISTRIES_CONFIG"] = dir.path + "/envctl-registries.yaml"
            try dir.write("envctl-registries.yaml", "registries: {}\n")
        }

        func configureStorage(name: String) throws {
            try containers.useStorage(named: name)
            env["CONTAINERS_STORAGE_CONF"] = containers.environment["CONTAINERS_STORAGE_CONF"]
        }

        /// Starts a background process; its output goes to `log`.
        func spawn(_ exe: String, _ args: [String], cwd: String? = nil, log: String) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
            if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
            FileManager.default.createFile(atPath: log, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            p.standardOutput = h
            p.standardError = h
            p.standardInput = FileHandle.nullDevice
            try p.run()
            pids.append(p.processIdentifier)
            return p.processIdentifier
        }

        /// A PEP 503 index with one tiny wheel; returns the wheel's sha256.
        func startIndex() throws -> String {
            let script = """
                import hashlib, base64, zipfile, os, sys
                root = sys.argv[1]
                files = {"envctl_hello/__init__.py": b'def greet():\\n    return "hello from the envctl image"\\n',
                         "envctl_hello-1.0.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: envctl-hello\\nVersion: 1.0.0\\n",
                         "envctl_hello-1.0.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: envctl-e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
                rec = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}" for n, d in files.items()]
                files["envctl_hello-1.0.0.dist-info/RECORD"] = ("\\n".join(rec + ["envctl_hello-1.0.0.dist-info/RECORD,,"]) + "\\n").encode()
                d = os.path.join(root, "simple", "envctl-hello"); os.makedirs(d)
                w = os.path.join(d, "envctl_hello-1.0.0-py3-none-any.whl")
                with zipfile.ZipFile(w, "w") as z:
                    for n in sorted(files):
                        zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)); zi.external_attr = 0o644 << 16
                        z.writestr(zi, files[n])
                h = hashlib.sha256(open(w, "rb").read()).hexdigest()
                open(os.path.join(d, "index.html"), "w").write(f'<a href="envctl_hello-1.0.0-py3-none-any.whl#sha256={h}">w</a>\\n')
                print(h)
                """
            try dir.write("make_index.py", script)
            let made = try runProcess("python3", [dir.path + "/make_index.py", dir.path + "/index"])
            guard made.status == 0 else { throw E2EError("make_index.py: \(made.stderr)") }
            let port = try runProcess(
                "python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"])
            indexPort = Int(port.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!
            // The real interpreter, not a wrapper (a pyenv shim forks, and killing it would leave the server).
            let python = try runProcess("python3", ["-c", "import sys; print(sys.executable)"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try spawn(
                python, ["-m", "http.server", "--bind", "127.0.0.1", String(indexPort)],
                cwd: dir.path + "/index", log: dir.path + "/index.log")
            for _ in 0..<100 {
                if (try? runProcess("curl", ["-sf", "http://127.0.0.1:\(indexPort)/simple/"]))?.status == 0 { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func run(_ exe: String, _ args: [String], cwd: String? = nil) throws -> ProcessResult {
            try runProcess(exe, args, cwd: cwd, environment: env)
        }

        /// Builds the stand-in CUDA base (scripts/standin-cuda-base.sh) and pushes it to the test registry under
        /// each of `paths` (`nvidia/cuda:12.4.1-base-ubuntu22.04`); returns each path's manifest digest.
        func pushStandinBase(as paths: [String]) throws -> [String: String] {
            let base = try run(RepoPaths.path("scripts/standin-cuda-base.sh"), ["localhost/standin-cuda:12.4.1"])
            try #require(base.status == 0, "standin-cuda-base.sh: \(base.stderr)")
            var digests: [String: String] = [:]
            for path in paths {
                let file = dir.path + "/pushed.digest"
                let push = try run(
                    "buildah",
                    [
                        "push", "--quiet", "--digestfile", file, "localhost/standin-cuda:12.4.1",
                        "docker://\(registry.host)/\(path)",
                    ])
                try #require(push.status == 0, "\(push.stderr)")
                digests[path] = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            }
            return digests
        }

        func tearDown() {
            // SIGKILL: children of the test runner inherit its blocked signal mask, so SIGTERM would not arrive.
            for pid in pids {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            containers.removeEverything()
            registry.stop()
            dir.cleanup()
        }
    }

    struct E2EError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Reads the image config of `refName` from an OCI layout: (manifest, config) JSON objects.
    static func layoutImage(_ layout: String, refName: String) throws -> (
        manifest: [String: Any], config: [String: Any]
    ) {
        func json(_ path: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONSerialization.jsonObject(with: data) as! [String: Any]
        }
        func blob(_ digest: String) -> String { "\(layout)/blobs/sha256/\(digest.dropFirst(7))" }
        let index = try json(layout + "/index.json")
        let entries = index["manifests"] as! [[String: Any]]
        let entry = entries.first {
            (($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"]) == refName
        }!
        let manifest = try json(blob(entry["digest"] as! String))
        let config = try json(blob((manifest["config"] as! [String: Any])["digest"] as! String))
        return (manifest, config)
    }

    @Test(.timeLimit(.minutes(15))) func lockDockerfileBuildPushRun() throws {
        let w = try World()
        defer { w.tearDown() }
        let wheelHash = try w.startIndex()
        let registry = w.registry.host

        // 1. Stand-in CUDA base, pushed under a mirror of nvidia/cuda.
        let digests = try w.pushStandinBase(as: [
            "nvidia/cuda:12.4.1-base-ubuntu22.04", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
        ])

        // 2. A project in git with a hand-written lock that pins both images by digest.
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let env = LockedEnvironment(
            name: "demo", hash: "sha256:" + String(repeating: "1", count: 64), framework: nil, cuda: "12.4.1",
            cudnn: nil, python: "3.11", os: "debian12",
            driver: LockedDriver(minimum: nil, fullCompatibility: nil, compatibility: .unchecked), archs: ["sm_80"],
            cudaLibraries: "image",
            images: LockedImages(
                base: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
                    digest: digests["nvidia/cuda:12.4.1-base-ubuntu22.04"]),
                builder: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
                    digest: digests["nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"])),
            image: "\(registry)/envctl/demo", apt: [], env: ["GREETING": "hi $USER \"quoted\""],
            pythonPackages: LockedPython(
                platform: "x86_64-manylinux_2_28",
                packages: [
                    LockedPackage(
                        name: "envctl-hello", version: "1.0.0", index: PythonIndexSettings.pypi,
                        hashes: ["sha256:\(wheelHash)"])
                ]),
            reasons: [], warnings: [])
        let lock = Lockfile(
            generatedBy: "e2e test", knowledgeBase: KnowledgeBaseStamp(version: "test", date: "2026-11-25"),
            specHash: "sha256:" + String(repeating: "0", count: 64), fleet: nil, environments: [env])
        try lock.write(to: project + "/envctl.lock")
        for args in [
            ["init", "-q"], ["config", "user.email", "e2e@example.com"], ["config", "user.name", "e2e"],
            ["remote", "add", "origin", "https://github.com/example/e2e.git"], ["add", "envctl.lock"],
        ] {
            _ = try runProcess("git", args, cwd: project)
        }
        let commit = try runProcess(
            "git", ["commit", "-q", "-m", "lock"], cwd: project,
            environment: ["GIT_AUTHOR_DATE": "@1714564800 +0000", "GIT_COMMITTER_DATE": "@1714564800 +0000"])
        try #require(commit.status == 0, "\(commit.stderr)")
        let revision = try runProcess("git", ["rev-parse", "HEAD"], cwd: project).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)

        // 3. Dockerfile: FROM digests are the lock's.
        let envctl = RepoPaths.envctlBinary
        let df = try w.run(envctl, ["dockerfile", "-o", "Dockerfile"], cwd: project)
        try #require(df.status == 0, "\(df.stderr)")
        let dockerfile = try String(contentsOfFile: project + "/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("ARG BASE_IMAGE=\(env.images.base.pinnedReference)\n"))
        #expect(dockerfile.contains("ARG BUILDER_IMAGE=\(env.images.builder.pinnedReference)\n"))

        // 4. Build, push, and record the push in the lock.
        let buildFlags = [
            "--builder", "buildah", "--mirror", "docker.io=\(registry)",
            "--build-arg", "PIP_INDEX_URL=http://127.0.0.1:\(w.indexPort)/simple",
        ]
        let buildArgs = ["build"] + buildFlags
        let first = try w.run(envctl, buildArgs + ["--push", "--record"], cwd: project)
        try #require(first.status == 0, "build 1 failed:\n\(first.stdout)\n\(first.stderr.suffix(4000))")
        #expect(first.stderr.contains("STEP"), "builder output is shown")
        let digest1 = try #require(
            first.stdout.split(separator: "\n").first { $0.hasPrefix("built ") }?.split(separator: " ").last)
        let target = "\(registry)/envctl/demo:\(env.contentTag)"
        #expect(first.stdout.contains("pushed \(target)@\(digest1)"))
        #expect(first.stdout.contains("recorded \(target)@\(digest1) in envctl.lock"))
        // The SBOM and provenance went with the push, and verify finds them matching the lock.
        #expect(first.stdout.contains("attached sbom sha256:"))
        #expect(first.stdout.contains("attached provenance sha256:"))
        let verified = try w.run(envctl, ["verify", target], cwd: project)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("verified \(registry)/envctl/demo@\(digest1)"), "\(verified.stdout)")
        // The lock's push record is what the registry serves under the content tag.
        let recorded = try #require(
            try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "demo")?.pushed)
        let skopeo = try w.run(
            "skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(target)"])
        try #require(skopeo.status == 0, "\(skopeo.stderr)")
        #expect(recorded.digest == skopeo.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(recorded.digest == String(digest1))
        #expect(recorded.reference == target)
        #expect(
            recorded.build
                == PushedImage.BuildInputs(
                    revision: revision, source: "https://github.com/example/e2e", sourceDateEpoch: 1_714_564_800))
        let recordedLock = try String(contentsOfFile: project + "/envctl.lock", encoding: .utf8)

        // Labels and base layers, read from the exported OCI layout.
        let image = try Self.layoutImage(project + "/.envctl/build/demo/oci", refName: env.contentTag)
        let labels = (image.config["config"] as! [String: Any])["Labels"] as! [String: String]
        #expect(labels["dev.envctl.lock-hash"] == env.hash)
        #expect(labels["dev.envctl.environment"] == "demo")
        #expect(labels["org.opencontainers.image.revision"] == revision)
        #expect(labels["org.opencontainers.image.source"] == "https://github.com/example/e2e")
        #expect(labels["org.opencontainers.image.created"] == "2024-05-01T12:00:00Z")
        #expect(labels["org.opencontainers.image.base.digest"] == env.images.base.digest)
        let baseManifest = try runProcess(
            "curl",
            [
                "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                "http://\(registry)/v2/nvidia/cuda/manifests/\(env.images.base.digest!)",
            ])
        let baseLayers =
            ((try JSONSerialization.jsonObject(with: Data(baseManifest.stdout.utf8)) as! [String: Any])["layers"]
            as! [[String: Any]]).map { $0["digest"] as! String }
        let builtLayers = (image.manifest["layers"] as! [[String: Any]]).map { $0["digest"] as! String }
        #expect(
            Array(builtLayers.prefix(baseLayers.count)) == baseLayers,
            "the runtime stage starts from the locked base digest")

        // 5. Same lock, fresh storage (no layer cache), forced: the same image digest.
        try w.configureStorage(name: "storage2")
        let second = try w.run(envctl, buildArgs + ["--force", "--work-dir", ".envctl/build2"], cwd: project)
        try #require(second.status == 0, "build 2 failed:\n\(second.stderr.suffix(4000))")
        let digest2 = second.stdout.split(separator: "\n").first { $0.hasPrefix("built ") }?.split(separator: " ").last
        #expect(digest2 == digest1, "two builds of one lock give one digest")

        // 6. The registry already has this lock's image: the build is skipped, and --record records the
        //    same push (digest and build inputs read back from the registry's labels).
        let third = try w.run(envctl, buildArgs + ["--push", "--record"], cwd: project)
        #expect(third.status == 0)
        #expect(third.stdout.contains("already holds the image for lock hash \(env.hash)"))
        #expect(try String(contentsOfFile: project + "/envctl.lock", encoding: .utf8) == recordedLock)
        let noPush = try w.run(envctl, buildArgs + ["--record"], cwd: project)
        #expect(noPush.status == 64)
        #expect(noPush.stderr.contains("--record needs --push"))

        // 7. Run a command in the pushed image with podman.
        let run = try w.run(
            "podman",
            [
                "run", "--rm", "--network", "none", "\(registry)/envctl/demo@\(digest1)",
                "python", "-c",
                "import envctl_hello, os; print(envctl_hello.greet(), os.getuid(), os.environ['GREETING'], os.environ['NVIDIA_DRIVER_CAPABILITIES'], os.environ['NVIDIA_REQUIRE_CUDA'])",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "hello from the envctl image 1000 hi $USER \"quoted\" compute,utility cuda>=12.4\n")

        // 8. envctl run uses the recorded digest (no GPU here: it warns and runs without GPU flags).
        let greet = ["python", "-c", "import envctl_hello; print(envctl_hello.greet())"]
        let envctlRun = try w.run(envctl, ["run", "--"] + greet, cwd: project)
        #expect(envctlRun.status == 0, "\(envctlRun.stderr)")
        #expect(envctlRun.stdout == "hello from the envctl image\n")
        let runRecordFile = try #require(
            try FileManager.default.contentsOfDirectory(atPath: project + "/.envctl/runs").first)
        let runRecord =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: project + "/.envctl/runs/" + runRecordFile)))
            as! [String: Any]
        let ranImage = try #require((runRecord["images"] as? [[String: Any]])?.first)
        #expect(ranImage["digest"] as? String == String(digest1))
        #expect(ranImage["source"] as? String == "pushed")

        // 9. reproduce --rebuild: commit the recorded lock, move on, delete the image from the registry,
        //    and reproduce the commit: the image is rebuilt from that commit's lock, pushed under its
        //    content tag with the recorded digest, and run.
        try #require(try runProcess("git", ["add", "envctl.lock"], cwd: project).status == 0)
        try #require(try runProcess("git", ["commit", "-q", "-m", "record push"], cwd: project).status == 0)
        let pushedCommit = try runProcess("git", ["rev-parse", "HEAD"], cwd: project).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        var later = env
        later.env["GREETING"] = "changed"
        later.hash = "sha256:" + String(repeating: "2", count: 64)
        var laterLock = lock
        laterLock.environments = [later]
        try laterLock.write(to: project + "/envctl.lock")
        try #require(try runProcess("git", ["commit", "-q", "-am", "later lock"], cwd: project).status == 0)
        let dryNoRecord = try w.run(
            envctl, ["reproduce", "HEAD", "--rebuild", "--dry-run", "--", "true"], cwd: project)
        #expect(dryNoRecord.status == 0, "\(dryNoRecord.stderr)")
        #expect(dryNoRecord.stdout.contains("no digest recorded: build from the lock at"))
        #expect(dryNoRecord.stdout.contains("\(registry)/envctl/demo:\(later.contentTag)"))

        let delete = try w.run(
            "skopeo", ["delete", "--tls-verify=false", "docker://\(registry)/envctl/demo@\(digest1)"])
        try #require(delete.status == 0, "\(delete.stderr)")
        let gone = try w.run(envctl, ["reproduce", pushedCommit, "--"] + greet, cwd: project)
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no longer exists in the registry"))

        let rebuilt = try w.run(
            envctl, ["reproduce", pushedCommit, "--rebuild"] + buildFlags + ["--"] + greet, cwd: project)
        #expect(rebuilt.status == 0, "\(rebuilt.stderr.suffix(4000))")
        #expect(
            rebuilt.stderr.contains(
                "no longer exists in the registry; rebuilding it from the lock at \(pushedCommit.prefix(12))"))
        #expect(rebuilt.stderr.contains("envctl: pushed \(target)@\(digest1)"))
        #expect(rebuilt.stderr.contains("the rebuilt digest matches the recorded one (\(digest1))"))
        #expect(rebuilt.stdout == "hello from the envctl image\n")
        let back = try w.run(
            "skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(target)"])
        #expect(back.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(digest1))
        #expect(try runProcess("git", ["status", "--porcelain", "--untracked-files=no"], cwd: project).stdout.isEmpty)

        // A commit whose record names a digest the registry never had: rebuilt, and the difference is reported.
        var wrong = env
        wrong.pushed = PushedImage(
            reference: target, digest: "sha256:" + String(repeating: "f", count: 64), build: recorded.build)
        var wrongLock = lock
        wrongLock.environments = [wrong]
        try wrongLock.write(to: project + "/envctl.lock")
        try #require(try runProcess("git", ["commit", "-q", "-am", "wrong digest"], cwd: project).status == 0)
        let differs = try w.run(envctl, ["reproduce", "HEAD", "--rebuild"] + buildFlags + ["--"] + greet, cwd: project)
        #expect(differs.status == 0, "\(differs.stderr.suffix(4000))")
        #expect(
            differs.stderr.contains(
                "warning: the rebuilt digest \(digest1) differs from the recorded sha256:\(String(repeating: "f", count: 64))"
            ))
        #expect(differs.stderr.contains("apt archives move"))
        #expect(differs.stdout == "hello from the envctl image\n")
    }
}

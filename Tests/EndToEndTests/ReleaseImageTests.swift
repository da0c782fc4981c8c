import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// envctl's own container image (scripts/release-image.sh), built by envctl from a copy of release/envctl.yaml (a
/// `kind: plain` environment) and the release tarball that ReleaseTarballTests uses (one release build per test
/// process, or ENVCTL_RELEASE_TARBALL). No Debian image can be pulled here, so the base is a stand-in: the Debian
/// 12 minbase root filesystem of ci/minimal-rootfs.sh (cached), pushed to a local registry as
/// `library/debian:bookworm-slim`, which docker.io is mirrored to for `lock` and `build`. A lock by tag only is
/// refused; `lock` pins the stand-in's digest; the script installs ca-certificates from deb.debian.org, builds
/// with buildah (chroot isolation) and pushes; then `podman run --runtime runc` runs `--version` and `resolve` on
/// a mounted project, and a second build in fresh storage must give the same digest.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(
        ["buildah", "podman", "runc", "debootstrap", "tar", "git", "swift", "curl"] + TestRegistry.tools,
        also: { getuid() == 0 ? [] : ["root (debootstrap and buildah's chroot isolation need it)"] }))
struct ReleaseImageTests {
    @Test("envctl's image: runs --version and resolve, and two builds give one digest", .timeLimit(.minutes(60)))
    func releaseImageRunsAndIsReproducible() throws {
        let tarball = try ReleaseTarballTests.tarball.get()
        let w = try ImageBuildEndToEndTests.World()
        defer { w.tearDown() }
        let registry = w.registry.host

        // The stand-in base, pushed and passed by digest.
        let rootfs = try runProcess("/bin/bash", [RepoPaths.path("ci/minimal-rootfs.sh"), "bookworm"])
        try #require(rootfs.status == 0, "minimal-rootfs.sh bookworm: \(rootfs.stderr)")
        let rootfsTar = rootfs.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let from = try w.run("buildah", ["from", "scratch"])
        try #require(from.status == 0, "\(from.stderr)")
        let container = from.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for args in [
            ["add", "--quiet", container, rootfsTar, "/"],
            [
                "config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--cmd",
                #"["bash"]"#, container,
            ],
            [
                "commit", "--quiet", "--timestamp", "0", "--identity-label=false", container,
                "localhost/standin-debian:12",
            ],
            [
                "push", "--quiet", "--digestfile", w.dir.path + "/base.digest", "localhost/standin-debian:12",
                "docker://\(registry)/library/debian:bookworm-slim",
            ],
        ] {
            let r = try w.run("buildah", args)
            try #require(r.status == 0, "buildah \(args.first!): \(r.stderr)")
        }
        let baseDigest = try String(contentsOfFile: w.dir.path + "/base.digest", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let repository = "\(registry)/envctl/envctl"

        // The repository's spec, in a scratch directory; docker.io is mirrored to the local registry.
        let release = w.dir.path + "/release"
        try FileManager.default.createDirectory(atPath: release, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: RepoPaths.path("release/envctl.yaml"), toPath: release + "/envctl.yaml")
        try w.dir.write("envctl-registries.yaml", "registries:\n  docker.io:\n    mirrors: [\"\(registry)\"]\n")
        var env = w.env
        env["ENVCTL_RELEASE_SPEC"] = release + "/envctl.yaml"
        env["ENVCTL_BUILD_FLAGS"] = "--mirror docker.io=\(registry)"
        // The checkout's envctl builds: a reused ENVCTL_RELEASE_TARBALL may predate `kind: plain`.
        env["ENVCTL"] = RepoPaths.envctlBinary
        func lock(_ flags: [String]) throws {
            let r = try runProcess(
                RepoPaths.envctlBinary, ["lock", "--spec", release + "/envctl.yaml"] + flags, environment: env)
            try #require(r.status == 0, "lock \(flags): \(r.stderr)")
        }
        func build(layout: String) throws -> String {
            var e = env
            e["ENVCTL_IMAGE_OCI"] = layout
            let r = try runProcess(
                "/bin/bash", [RepoPaths.path("scripts/release-image.sh"), tarball, repository, "latest"],
                environment: e)
            try #require(r.status == 0, "release-image.sh exited \(r.status):\n\(r.stderr.suffix(4000))")
            return try #require(r.stdout.split(separator: "\n").last.map(String.init), "\(r.stdout)")
        }

        // A lock by tag only is not a pinned base.
        try lock(["--no-registry"])
        let unpinned = try runProcess(
            "/bin/bash", [RepoPaths.path("scripts/release-image.sh"), tarball, repository], environment: env)
        #expect(unpinned.status == 64, "\(unpinned.stderr)")
        #expect(unpinned.stderr.contains("pin the base image by digest"), "\(unpinned.stderr)")

        try lock([])
        let locked = try Lockfile.load(fileAt: release + "/envctl.lock")
        #expect(locked.environment(named: "envctl")?.images.base.digest == baseDigest)
        let first = try build(layout: w.dir.path + "/oci-1")
        #expect(first.range(of: "^\(repository)@sha256:[0-9a-f]{64}$", options: .regularExpression) != nil, "\(first)")
        let digest = String(first.split(separator: "@").last!)
        #expect(!FileManager.default.fileExists(atPath: release + "/context"), "the unpacked tarball is removed")

        // The labels say what the binary says.
        let info = try runProcess("tar", ["-xzOf", tarball, "./share/doc/envctl/BUILD-INFO"])
        try #require(info.status == 0, "\(info.stderr)")
        func field(_ key: String) -> String? {
            info.stdout.split(separator: "\n").first { $0.hasPrefix(key + " ") }.map {
                String($0.dropFirst(key.count + 1))
            }
        }
        let version = try #require(field("envctl"))
        let lockedEnv = try #require(locked.environment(named: "envctl"))
        let image = try ImageBuildEndToEndTests.layoutImage(w.dir.path + "/oci-1", refName: lockedEnv.contentTag)
        let config = try #require(image.config["config"] as? [String: Any])
        let labels = try #require(config["Labels"] as? [String: String])
        #expect(labels["org.opencontainers.image.created"] == field("built"))
        #expect(labels["org.opencontainers.image.base.digest"] == baseDigest)
        #expect(labels["org.opencontainers.image.base.name"] == "docker.io/library/debian:bookworm-slim")
        #expect(labels["dev.envctl.lock-hash"] == lockedEnv.hash)
        #expect(config["Entrypoint"] as? [String] == ["/opt/envctl/bin/envctl"])
        #expect(image.config["created"] as? String == field("built"))

        // Both tags name the pushed digest.
        for tag in [version, "latest", lockedEnv.contentTag] {
            let inspect = try w.run(
                "skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(repository):\(tag)"])
            #expect(
                inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == digest, "\(tag): \(inspect.stderr)")
        }

        // Run it: --version, resolve on a mounted project, and the CA bundle HTTPS needs.
        let reference = "\(repository)@\(digest)"
        let podman = ["run", "--rm", "--runtime", "runc", "--network", "none"]
        let ranVersion = try w.run("podman", podman + [reference, "--version"])
        try #require(ranVersion.status == 0, "\(ranVersion.stdout)\(ranVersion.stderr)")
        #expect(ranVersion.stdout.hasPrefix("envctl \(version) (knowledge base "), "\(ranVersion.stdout)")
        #expect(ranVersion.stdout.contains("revision \(field("revision") ?? "?"), built "), "\(ranVersion.stdout)")
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        for file in ["envctl.yaml", "requirements.txt"] {
            try FileManager.default.copyItem(
                atPath: RepoPaths.path("examples/quickstart/\(file)"), toPath: "\(project)/\(file)")
        }
        let resolved = try w.run("podman", podman + ["-v", "\(project):/work", reference, "resolve"])
        #expect(resolved.status == 0, "\(resolved.stdout)\(resolved.stderr)")
        #expect(resolved.stdout.contains("torch"), "\(resolved.stdout)")
        let certs = try w.run(
            "podman",
            podman + ["--entrypoint", "/bin/sh", reference, "-c", "test -s /etc/ssl/certs/ca-certificates.crt"])
        #expect(certs.status == 0, "no CA bundle in the image: \(certs.stderr)")

        // Fresh storage, no layer cache: the same digest.
        try w.configureStorage(name: "second")
        let second = try build(layout: w.dir.path + "/oci-2")
        #expect(second == first, "two builds of one tarball on one base give one digest")
    }
}

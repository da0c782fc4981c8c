import EnvctlTestSupport
import Foundation
import Testing

/// The release tarball (scripts/release.sh) on minimal root filesystems without Swift: Debian 12 and Ubuntu
/// 22.04 and 24.04, each made by `debootstrap --variant=minbase` (ci/minimal-rootfs.sh; cached under
/// ~/.cache/envctl-ci). In a chroot: verify the sha256 and extract with the distribution's own tools, then
/// `envctl --version`, `resolve` on the quickstart, and `lock --offline`, which needs uv for the Python pins:
/// there is none in the root filesystem, so it must fail cleanly naming uv (exit 69).
///
/// Uses ENVCTL_RELEASE_TARBALL when set (a tarball release.sh made, so CI builds it once); otherwise runs
/// release.sh (a release build: slow the first time, then incremental in .build-release). Needs root (chroot).
@Suite(
    .serialized, .tags(.e2e, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(
        ["debootstrap", "chroot", "tar", "git", "swift", "mount"],
        also: { getuid() == 0 ? [] : ["root (chroot and debootstrap need it)"] }))
struct ReleaseTarballTests {
    /// The tarball under test, made once per test process.
    static let tarball: Result<String, ReleaseError> = {
        if let given = ProcessInfo.processInfo.environment["ENVCTL_RELEASE_TARBALL"] {
            return .success(given)
        }
        do {
            let out = try TemporaryDirectory(prefix: "envctl-release")
            let r = try runProcess(
                "/bin/bash", [RepoPaths.path("scripts/release.sh"), out.path],
                environment: ["ENVCTL_RELEASE_ALLOW_NO_LICENSE": "1"])
            guard r.status == 0, let path = r.stdout.split(separator: "\n").last.map(String.init) else {
                return .failure(ReleaseError(message: "release.sh exited \(r.status):\n\(r.stderr.suffix(4000))"))
            }
            return .success(path)
        } catch {
            return .failure(ReleaseError(message: "release.sh did not run: \(error)"))
        }
    }()

    struct ReleaseError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Runs a shell script inside the root filesystem with a clean environment.
    static func inChroot(_ root: String, _ script: String) throws -> ProcessResult {
        try runProcess(
            "chroot",
            [
                root, "/usr/bin/env", "-i", "HOME=/root",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8", "/bin/sh", "-c", script,
            ])
    }

    @Test("tarball contents", .timeLimit(.minutes(60)))
    func tarballHasBinaryCompletionsManualAndLibraries() throws {
        let tarball = try Self.tarball.get()
        let name = URL(fileURLWithPath: tarball).lastPathComponent
        #expect(
            name.range(of: #"^envctl-\d+\.\d+\.\d+-linux-(amd64|arm64)\.tar\.gz$"#, options: .regularExpression) != nil)
        let sum = try runProcess(
            "sha256sum", ["-c", name + ".sha256"], cwd: URL(fileURLWithPath: tarball).deletingLastPathComponent().path)
        #expect(sum.status == 0, "\(sum.stdout)\(sum.stderr)")

        let list = try runProcess("tar", ["-tvzf", tarball])
        try #require(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        let paths = Set(lines.compactMap { $0.split(separator: " ").last.map(String.init) })
        for expected in [
            "./bin/envctl", "./share/bash-completion/completions/envctl", "./share/zsh/site-functions/_envctl",
            "./share/fish/vendor_completions.d/envctl.fish", "./share/man/man1/envctl.1",
            "./share/man/man1/envctl.lock.1", "./share/doc/envctl/BUILD-INFO",
        ] {
            #expect(paths.contains(expected), "missing \(expected)")
        }
        #expect(paths.contains { $0.hasPrefix("./lib/libcurl.so") }, "libcurl is not shipped in lib/")
        #expect(paths.contains { $0.hasPrefix("./lib/libgit2.so") }, "libgit2 is not shipped in lib/")
        // Owner 0 and sorted entries: the listing is in byte order of the paths.
        #expect(lines.allSatisfy { $0.contains(" 0/0 ") }, "an entry is not owned by 0/0")
        let order = lines.compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(order == order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test(
        "runs on a minimal root filesystem without Swift", .timeLimit(.minutes(60)),
        arguments: ["bookworm", "jammy", "noble"])
    func runsInMinimalRootFilesystem(suite: String) throws {
        let tarball = try Self.tarball.get()
        let rootfs = try runProcess("/bin/bash", [RepoPaths.path("ci/minimal-rootfs.sh"), suite])
        try #require(rootfs.status == 0, "minimal-rootfs.sh \(suite): \(rootfs.stderr)")
        let rootfsTar = rootfs.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let dir = try TemporaryDirectory(prefix: "envctl-chroot-\(suite)")
        defer { dir.cleanup() }
        let root = dir.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let unpack = try runProcess("tar", ["-C", root, "--numeric-owner", "-xf", rootfsTar])
        try #require(unpack.status == 0, "\(unpack.stderr)")
        // ld.so finds $ORIGIN (the rpath to lib/) through /proc/self/exe, as on any real system.
        let proc = try runProcess("mount", ["-t", "proc", "proc", root + "/proc"])
        try #require(proc.status == 0, "mount proc: \(proc.stderr)")
        defer { _ = try? runProcess("umount", [root + "/proc"]) }
        // No Swift, and no libcurl or libgit2 from the distribution: the tarball must bring its own.
        let absent = try Self.inChroot(
            root, "ls /usr/lib/*/libgit2* /usr/lib/*/libcurl* /usr/lib/*/libswiftCore* 2>/dev/null; command -v swift uv"
        )
        #expect(absent.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(absent.stdout)")

        let name = URL(fileURLWithPath: tarball).lastPathComponent
        try FileManager.default.createDirectory(atPath: root + "/tmp/dl", withIntermediateDirectories: true)
        for file in [name, name + ".sha256"] {
            try FileManager.default.copyItem(
                atPath: URL(fileURLWithPath: tarball).deletingLastPathComponent().path + "/" + file,
                toPath: root + "/tmp/dl/" + file)
        }
        let install = try Self.inChroot(
            root, "cd /tmp/dl && sha256sum -c \(name).sha256 && mkdir -p /opt/envctl && tar -C /opt/envctl -xzf \(name)"
        )
        try #require(install.status == 0, "\(install.stdout)\(install.stderr)")

        let version = try Self.inChroot(root, "/opt/envctl/bin/envctl --version")
        try #require(version.status == 0, "envctl --version on \(suite): \(version.stdout)\(version.stderr)")
        let versionLines = version.stdout.split(separator: "\n").map(String.init)
        #expect(
            versionLines.first?.range(
                of: #"^envctl \d+\.\d+\.\d+ \(knowledge base [0-9.]+, \d{4}-\d{2}-\d{2}\)$"#,
                options: .regularExpression)
                != nil, "\(version.stdout)")
        #expect(
            versionLines.dropFirst().first?.range(
                of: #"^revision [0-9a-f]{40}(-dirty)?, built \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#,
                options: .regularExpression) != nil, "\(version.stdout)")
        if ProcessInfo.processInfo.environment["ENVCTL_RELEASE_TARBALL"] == nil {
            let head = try runProcess("git", ["-C", RepoPaths.root.path, "rev-parse", "HEAD"])
            let sha = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(versionLines.dropFirst().first?.hasPrefix("revision \(sha)") == true, "\(version.stdout)")
        }

        // resolve: the quickstart, no network.
        let work = root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for file in ["envctl.yaml", "requirements.txt"] {
            try FileManager.default.copyItem(
                atPath: RepoPaths.path("examples/quickstart/\(file)"), toPath: "\(work)/\(file)")
        }
        let resolve = try Self.inChroot(root, "cd /work && /opt/envctl/bin/envctl resolve")
        #expect(resolve.status == 0, "\(resolve.stdout)\(resolve.stderr)")
        #expect(resolve.stdout.contains("torch"), "\(resolve.stdout)")

        // Every environment pins Python packages through uv, which a minimal system lacks: exit 69 naming it.
        let noUV = try Self.inChroot(root, "cd /work && /opt/envctl/bin/envctl lock --offline")
        #expect(noUV.status == 69, "\(noUV.stdout)\(noUV.stderr)")
        #expect(noUV.stderr.contains("uv"), "\(noUV.stderr)")
    }
}

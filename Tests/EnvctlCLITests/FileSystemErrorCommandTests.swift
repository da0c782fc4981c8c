import EnvctlTestSupport
import Foundation
import Testing

/// A file-system failure names the path and says why in words, never `NSCocoaErrorDomain Code=512`.
@Suite struct FileSystemErrorCommandTests {
    @Test func lockThatIsADirectoryIsNamed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/dirlock", withIntermediateDirectories: true)
        let read = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", "dirlock"], cwd: dir.path)
        #expect(read.status == 64, "\(read.stderr)")
        #expect(read.stderr.contains("cannot read lock file 'dirlock': it is a directory"), "\(read.stderr)")
        #expect(!read.stderr.contains("NSCocoaErrorDomain"))

        let lock = try DockerfileCommandTests.pinnedQuickstart(in: dir)
        try FileManager.default.createDirectory(atPath: dir.path + "/out", withIntermediateDirectories: true)
        let write = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--env", "train", "-o", "out"], cwd: dir.path)
        #expect(write.status == 1)
        #expect(write.stderr.contains("cannot write out: it is a directory"), "\(write.stderr)")
        let missing = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--env", "train", "-o", "nope/Dockerfile"],
            cwd: dir.path)
        #expect(missing.stderr.contains("cannot write nope/Dockerfile: no such file or directory"), "\(missing.stderr)")
        #expect(!write.stderr.contains("NSCocoaErrorDomain") && !missing.stderr.contains("NSCocoaErrorDomain"))
    }
}

extension CLILockTests {
    /// `envctl lock` where `envctl.lock` is a directory: the path and the reason, no Foundation error.
    @Test(.requires("uv", "python3"), .tags(.uv)) func lockWriteOverADirectory() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/envctl.lock", withIntermediateDirectories: true)
        let r = try envctl(["lock", "--offline"], cwd: dir.path, env: ["ENVCTL_INDEX_MIRRORS": server.mirrors])
        #expect(r.status != 0)
        #expect(r.stderr.contains("envctl.lock") && r.stderr.contains("it is a directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }
}

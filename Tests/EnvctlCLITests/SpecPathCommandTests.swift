import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// Paths from the spec, against the built binary and real uv: relative to the spec, inside the repository,
/// regular files; no file content and no secret in any output.
@Suite(.requires("uv", "python3", "git"), .tags(.uv)) struct SpecPathCommandTests {
    /// A git repository with the quickstart spec in `sub/`, its requirements line replaced by `requirements`.
    func project(requirements: String) throws -> GitFixture {
        let repo = try GitFixture()
        let spec = try String(contentsOfFile: RepoPaths.path("examples/quickstart/envctl.yaml"), encoding: .utf8)
        try repo.dir.write(
            "sub/envctl.yaml",
            spec.replacingOccurrences(of: "requirements: requirements.txt", with: "requirements: \(requirements)"))
        return repo
    }

    func lock(_ repo: GitFixture, env: [String: String] = [:], mirrors: String? = nil) throws -> ProcessResult {
        var environment = env
        environment["ENVCTL_REGISTRY_PASSWORD"] = TestSecrets.registryPassword
        if let mirrors { environment["ENVCTL_INDEX_MIRRORS"] = mirrors }
        return try envctl(["lock", "--offline", "--spec", "sub/envctl.yaml"], cwd: repo.path, env: environment)
    }

    @Test func procSelfEnvironIsBadInputAndNoSecretIsShown() throws {
        let repo = try project(requirements: "/proc/self/environ")
        defer { repo.cleanup() }
        let r = try lock(repo)
        #expect(r.status == 64)
        #expect(r.stderr.contains("sub/envctl.yaml:13"))
        #expect(r.stderr.contains("/proc/self/environ"))
        #expect(!(r.stdout + r.stderr).contains(TestSecrets.registryPassword))
        #expect(!(r.stdout + r.stderr).contains("PATH="))
    }

    @Test(arguments: ["/dev/zero", "/etc", "/etc/passwd"]) func absolutePathsAreBadInput(_ path: String) throws {
        let repo = try project(requirements: path)
        defer { repo.cleanup() }
        let r = try lock(repo)
        #expect(r.status == 64)
        #expect(r.stderr.contains("'\(path)' is an absolute path"))
        #expect(!r.stderr.contains("root:"))
    }

    @Test func symlinkOutOfTheRepositoryIsBadInput() throws {
        let outside = try TemporaryDirectory(prefix: "envctl-outside")
        defer { outside.cleanup() }
        try outside.write("req.txt", "tinyreq\n")
        let repo = try project(requirements: "req.txt")
        defer { repo.cleanup() }
        try FileManager.default.createSymbolicLink(
            atPath: repo.path + "/sub/req.txt", withDestinationPath: outside.path + "/req.txt")
        let r = try lock(repo)
        #expect(r.status == 64)
        #expect(r.stderr.contains("'req.txt' is outside the repository"))
        #expect(r.stderr.contains("resolves to"))
        // A symlink to /proc/self/environ is the same: outside, never read.
        try FileManager.default.removeItem(atPath: repo.path + "/sub/req.txt")
        try FileManager.default.createSymbolicLink(
            atPath: repo.path + "/sub/req.txt", withDestinationPath: "/proc/self/environ")
        let environ = try lock(repo)
        #expect(environ.status == 64)
        #expect(!(environ.stdout + environ.stderr).contains(TestSecrets.registryPassword))
    }

    @Test func aDirectoryOrAFIFOInTheRepositoryIsBadInput() throws {
        let repo = try project(requirements: "reqs")
        defer { repo.cleanup() }
        try FileManager.default.createDirectory(atPath: repo.path + "/sub/reqs", withIntermediateDirectories: true)
        let dir = try lock(repo)
        #expect(dir.status == 64)
        #expect(dir.stderr.contains("'reqs' is a directory, not a regular file"))

        try FileManager.default.removeItem(atPath: repo.path + "/sub/reqs")
        #expect(mkfifo(repo.path + "/sub/reqs", 0o600) == 0)
        let fifo = try lock(repo)  // would block forever if anything opened the FIFO
        #expect(fifo.status == 64)
        #expect(fifo.stderr.contains("'reqs' is a FIFO, not a regular file"))
    }

    @Test func anIncludeInTheRequirementsFileFollowsTheSameRule() throws {
        let repo = try project(requirements: "requirements.txt")
        defer { repo.cleanup() }
        try repo.dir.write("sub/requirements.txt", "tinyreq\n-r /proc/self/environ\n")
        let r = try lock(repo)
        #expect(r.status == 64)
        #expect(r.stderr.contains("requirements.txt:2:1"))
        #expect(r.stderr.contains("included requirements file '/proc/self/environ' is an absolute path"))
        #expect(!(r.stdout + r.stderr).contains(TestSecrets.registryPassword))
    }

    @Test func parentDirectoryInsideTheRepositoryWorks() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let repo = try project(requirements: "../req.txt")
        defer { repo.cleanup() }
        // Missing: the message names the path one level up, not a path with the `..` dropped.
        let missing = try lock(repo, mirrors: server.mirrors)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("'../req.txt' does not exist (looked at "))
        #expect(missing.stderr.contains("/req.txt)"))
        #expect(!missing.stderr.contains("/sub/req.txt"))

        try repo.dir.write("req.txt", "tinyreq\n")
        let r = try lock(repo, mirrors: server.mirrors)
        #expect(r.status == 0, "\(r.stderr)")
        let lock = try String(contentsOfFile: repo.path + "/sub/envctl.lock", encoding: .utf8)
        #expect(lock.contains("tinyreq"))
    }

    @Test func aRejectedRequirementLineHasItsTokenRedacted() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let repo = try project(requirements: "requirements.txt")
        defer { repo.cleanup() }
        // A token pasted into the requirements file: uv rejects the line and quotes it.
        try repo.dir.write("sub/requirements.txt", "tinyreq\n$\(TestSecrets.requirementsToken)\n")
        let r = try lock(repo, env: ["ENVCTL_PIPELINES_TOKEN": TestSecrets.requirementsToken], mirrors: server.mirrors)
        #expect(r.status == 1)
        #expect(r.stderr.contains("uv could not pin"))
        #expect(!(r.stdout + r.stderr).contains(TestSecrets.requirementsToken))
        #expect(!(r.stdout + r.stderr).contains(TestSecrets.prefix))

        // A token envctl was never told about is still redacted when its shape says what it is.
        let github = "ghp_" + String(repeating: "Ab3", count: 12)
        try repo.dir.write("sub/requirements.txt", "tinyreq\n$\(github)\n")
        let shaped = try lock(repo, mirrors: server.mirrors)
        #expect(shaped.status == 1)
        #expect(!(shaped.stdout + shaped.stderr).contains(github))
    }
}

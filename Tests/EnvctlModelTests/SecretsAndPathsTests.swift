import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@Suite struct RedactionTests {
    @Test func registeredSecretsURLPasswordsAndTokenShapesAreRedacted() {
        Secrets.register(TestSecrets.indexPassword)
        let text = """
            error: cannot log in with \(TestSecrets.indexPassword)
            fetching https://alice:\(TestSecrets.indexPassword)@pypi.example/simple failed
            token ghp_0123456789abcdefghijABCDEFGHIJ was refused
            """
        let red = Secrets.redact(text)
        #expect(!red.contains(TestSecrets.indexPassword))
        #expect(!red.contains("alice"))
        #expect(red.contains("https://<redacted>@pypi.example/simple"))
        #expect(!red.contains("ghp_0123456789"))
        #expect(red.contains("error: cannot log in with <redacted>"))
        #expect(Secrets.redact("docker://ubuntu@sha256:abc") == "docker://ubuntu@sha256:abc")
    }

    @Test func shortValuesAreNotRegistered() {
        Secrets.register("ab")
        #expect(Secrets.redact("tab stop") == "tab stop")
    }

    @Test func toolOutputIsCutToTheExplainingLinesBoundedAndRedacted() {
        Secrets.register(TestSecrets.registryPassword)
        let noise = (1...500).map { "line \($0) of the environment: X\($0)=\(TestSecrets.registryPassword)" }
        let text = (noise + ["error: Couldn't parse requirement", "  Caused by: \(TestSecrets.registryPassword)"])
            .joined(separator: "\n")
        let cut = ToolOutput.excerpt(text)
        #expect(cut.hasPrefix("error: Couldn't parse requirement\n  Caused by: <redacted>"))
        #expect(cut.contains("(500 more lines of tool output not shown)"))
        #expect(!cut.contains(TestSecrets.registryPassword))
        let long = ToolOutput.excerpt("error: " + String(repeating: "x", count: 10_000), maxLineLength: 100)
        #expect(long.count <= 101)
    }
}

@Suite struct SpecPathTests {
    @Test func outsideGitTheSpecDirectoryIsTheRoot() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-specpath")
        defer { dir.cleanup() }
        try dir.write("project/envctl.yaml", "version: 1\n")
        try dir.write("project/reqs/a.txt", "x\n")
        try dir.write("up.txt", "x\n")
        let spec = dir.path + "/project/envctl.yaml"
        let ok = try SpecPath.resolve(Located("reqs/../reqs/a.txt"), specPath: spec, what: "requirements file")
        #expect(ok.resolved.hasSuffix("/project/reqs/a.txt"))
        #expect(throws: DiagnosticsError.self) {
            try SpecPath.resolve(Located("../up.txt"), specPath: spec, what: "requirements file")
        }
    }

    @Test func inGitTheWorkTreeIsTheRoot() throws {
        let repo = try GitFixture()
        defer { repo.cleanup() }
        try repo.dir.write("a/b/envctl.yaml", "version: 1\n")
        try repo.dir.write("shared.txt", "x\n")
        let found = try SpecPath.resolve(
            Located("../../shared.txt"), specPath: repo.path + "/a/b/envctl.yaml", what: "requirements file")
        #expect(found.resolved.hasSuffix("/shared.txt"))
        #expect(found.written == "../../shared.txt")
        do {
            _ = try SpecPath.resolve(
                Located("../../../x", at: SourceLocation(file: "envctl.yaml", line: 3, column: 5)),
                specPath: repo.path + "/a/b/envctl.yaml", what: "requirements file")
            Issue.record("a path above the work tree was accepted")
        } catch {
            #expect(error.diagnostics.first?.location?.line == 3)
        }
    }

    @Test func readIsBoundedAndNeverQuotesTheContent() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-specpath")
        defer { dir.cleanup() }
        try dir.write("envctl.yaml", "version: 1\n")
        try dir.write("big.txt", TestSecrets.requirementsToken + String(repeating: "y", count: 100))
        let p = try SpecPath.resolve(Located("big.txt"), specPath: dir.path + "/envctl.yaml", what: "file")
        #expect(throws: DiagnosticsError.self) { try p.read(limit: 10) }
        do {
            _ = try p.read(limit: 10)
        } catch {
            #expect(!error.description.contains(TestSecrets.requirementsToken))
        }
    }
}

@Suite struct CleanupTests {
    @Test func temporaryDirectoriesAreRegisteredUntilRemoved() throws {
        let dir = try Cleanup.makeTemporaryDirectory(prefix: "envctl-cleanup-test")
        #expect(FileManager.default.fileExists(atPath: dir.path))
        #expect(Cleanup.registeredPaths.contains(dir.path))
        Cleanup.remove(dir.path)
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        #expect(!Cleanup.registeredPaths.contains(dir.path))
    }
}

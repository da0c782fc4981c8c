import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlTestSupport
import EnvctlWorkflows
import Foundation
import Testing

/// `kind: plain`: locked without the resolver or uv; `copy:` sources held to the SpecPath rule at file:line.
@Suite struct PlainEnvironmentLockTests {
    static let spec = """
        version: 1
        environments:
          envctl:
            kind: plain
            base: docker.io/library/debian:bookworm-slim
            apt: [ca-certificates]
            copy:
              - {from: dist/envctl, to: /opt/envctl}
              - {from: NOTICE, to: /NOTICE}
            entrypoint: [/opt/envctl/bin/envctl]
            cmd: [--help]
            image: registry.example.com/tools/envctl
            workdir: /work
        """

    func lock(_ text: String, in dir: TemporaryDirectory) async throws -> (Spec, Lockfile) {
        try dir.write("envctl.yaml", text)
        let spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        let locker = Locker(knowledgeBase: fixtureKnowledge, pinner: nil, images: nil, generatedBy: "envctl test")
        return (spec, try await locker.lock(spec, options: LockOptions(noRegistry: true)))
    }

    @Test func locksWithoutResolverOrPythonAndChecksClean() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("dist/envctl/bin/envctl", "#!/bin/sh\n")
        try dir.write("NOTICE", "n\n")
        let (spec, lock) = try await lock(Self.spec, in: dir)
        var text = try lock.yaml()
        // The spec hash covers the spec's bytes only; stable across temporary directories.
        text = text.replacingOccurrences(of: lock.specHash, with: "sha256:<spec>")
        let golden = RepoPaths.path("Tests/EnvctlWorkflowsTests/Snapshots/plainEnvironmentLock.yaml")
        if let m = goldenMismatch(text, goldenPath: golden) { Issue.record(Comment(rawValue: m)) }
        #expect(try await LockCheck.changes(spec: spec, knowledgeBase: fixtureKnowledge, lock: lock).isEmpty)

        // An edited copy target is a stale lock.
        let edited = try SpecParser().parse(
            Self.spec.replacingOccurrences(of: "to: /NOTICE", with: "to: /usr/share/NOTICE"),
            path: dir.path + "/envctl.yaml")
        let changes = try await LockCheck.changes(spec: edited, knowledgeBase: fixtureKnowledge, lock: lock)
        #expect(changes.contains { $0.contains("copy") }, "\(changes)")
        let moved = try SpecParser().parse(
            Self.spec.replacingOccurrences(of: "workdir: /work", with: "workdir: /src"), path: dir.path + "/envctl.yaml"
        )
        let workdir = try await LockCheck.changes(spec: moved, knowledgeBase: fixtureKnowledge, lock: lock)
        #expect(workdir.contains { $0.contains("/work -> /src") }, "\(workdir)")
    }

    @Test func copySourcesAreCheckedLexicallyAtLockAndFullyAtBuild() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("NOTICE", "n\n")
        // Missing at lock time is fine (a build output); escaping the repository is not, at its line.
        let (_, lock) = try await lock(Self.spec, in: dir)
        await #expect {
            _ = try await self.lock(
                Self.spec.replacingOccurrences(of: "from: NOTICE", with: "from: ../../etc/passwd"), in: dir)
        } throws: { error in
            let d = error as? DiagnosticsError
            return d?.errors.first?.location?.line == 9
                && d?.errors.first?.message.contains("copy source '../../etc/passwd' is outside the repository") == true
        }
        // At build: each source must exist, inside the repository, a regular file or directory.
        let env = try #require(lock.environment(named: "envctl"))
        #expect {
            _ = try BuildJob.copySources(for: env, specPath: dir.path + "/envctl.yaml")
        } throws: { error in
            (error as? DiagnosticsError)?.errors.first?.message.contains("copy source 'dist/envctl' does not exist")
                == true
        }
        try dir.write("dist/envctl/bin/envctl", "x")
        let sources = try BuildJob.copySources(for: env, specPath: dir.path + "/envctl.yaml")
        #expect(sources.count == 2 && sources[0].hasSuffix("/dist/envctl") && sources[1].hasSuffix("/NOTICE"))
    }
}

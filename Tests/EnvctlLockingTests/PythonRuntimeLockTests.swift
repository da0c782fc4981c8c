import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlResolver
import EnvctlTestSupport
import Foundation
import Testing

/// The lock pins the interpreter per environment (`python_runtime`), and the environment hash covers it.
@Suite struct PythonRuntimeLockTests {
    func skeleton(_ env: String) throws -> LockedEnvironment {
        let text = "version: 1\nenvironments:\n  train:\n" + env.split(separator: "\n").map { "    \($0)\n" }.joined()
        let spec = try SpecParser().parse(text, path: "envctl.yaml")
        let r = try Resolver(knowledgeBase: fixtureKnowledge).resolve(spec)[0]
        return Locker.skeleton(spec.environments[0], r)
    }

    @Test func theLockPinsTheStandaloneBuildAndReadsItBack() throws {
        var env = try skeleton("framework: \"torch==2.5.*\"\npython: \"3.11\"")
        env.hash = Locker.contentHash(env)
        let rt = try #require(env.pythonRuntime)
        #expect(env.python == "3.11")
        #expect(rt.source == "standalone" && rt.version == "3.11.18" && rt.build == "20261110")
        let lock = Lockfile(
            generatedBy: "test", knowledgeBase: KnowledgeBaseStamp(version: "t", date: "2026-12-04"),
            specHash: "sha256:00", fleet: nil, environments: [env])
        let yaml = try lock.yaml()
        #expect(
            yaml.contains(
                """
                    python: '3.11'
                    python_runtime:
                      source: standalone
                      version: 3.11.18
                      build: '20261110'
                      flavour: install_only_stripped
                      platforms:
                        linux/amd64:
                          url: https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz
                          sha256: 3288c54cea3db350052019b3f8b558dd8a3da8afa6fda573f5fd2bcb37635b4a
                    os: ubuntu22.04
                """), "\(yaml)")
        #expect(try Lockfile.parse(yaml, file: "envctl.lock").environments[0] == env)
    }

    @Test func theHashCoversTheRuntime() throws {
        let env = try skeleton("framework: \"torch==2.5.*\"\npython: \"3.11\"")
        let base = Locker.contentHash(env)
        var sha = env
        sha.pythonRuntime?.platforms["linux/amd64"]?.sha256 = String(repeating: "0", count: 64)
        var url = env
        url.pythonRuntime?.platforms["linux/amd64"]?.url = "https://mirror.example/x/20261110/python.tar.gz"
        var build = env
        build.pythonRuntime?.build = "20261009"
        var source = env
        source.pythonRuntime = LockedPythonRuntime(source: "os", version: "3.11", package: "python3.11")
        let hashes = [base] + [sha, url, build, source].map(Locker.contentHash)
        #expect(Set(hashes).count == hashes.count)
    }

    @Test func osSourceRecordsThePackage() throws {
        let env = try skeleton("framework: \"torch==2.5.*\"\npython: \"3.10\"\npython_source: os")
        #expect(env.pythonRuntime == LockedPythonRuntime(source: "os", version: "3.10", package: "python3.10"))
        let yaml = try Lockfile(
            generatedBy: "t", knowledgeBase: KnowledgeBaseStamp(version: "t", date: "d"), specHash: "sha256:00",
            fleet: nil, environments: [env]
        ).yaml()
        // No archives under python_runtime (the environment's own `platforms:` list is not an archive map).
        #expect(!yaml.contains("python-build-standalone"))
        #expect(!yaml.contains("linux/amd64:"))
        #expect(yaml.contains("package: python3.10"))
    }
}

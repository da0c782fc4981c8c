import EnvctlModel
import EnvctlTestSupport
import Testing

/// `kind: plain`: an explicit base, apt, copy, entrypoint and cmd; the GPU keys are refused at their lines.
@Suite struct PlainEnvironmentSpecTests {
    @Test func parsesAPlainEnvironment() throws {
        let spec = try SpecParser().parse(
            """
            version: 1
            environments:
              envctl:
                kind: plain
                base: docker.io/library/debian:bookworm-slim
                apt: [ca-certificates]
                copy:
                  - {from: dist/envctl, to: /opt/envctl}
                entrypoint: [/opt/envctl/bin/envctl]
                cmd: --help
                image: registry.example.com/tools/envctl
              train:
                framework: torch
            """, path: "envctl.yaml")
        let env = try #require(spec.environment(named: "envctl"))
        #expect(env.isPlain)
        #expect(env.base?.value == "docker.io/library/debian:bookworm-slim")
        #expect(env.base?.location?.line == 5)
        #expect(env.copy.map(\.to) == ["/opt/envctl"])
        #expect(env.copy.first?.from.value == "dist/envctl")
        #expect(env.copy.first?.from.location?.line == 8)
        #expect(env.entrypoint == ["/opt/envctl/bin/envctl"])
        #expect(env.cmd == ["--help"])
        #expect(env.apt.map(\.value) == ["ca-certificates"])
        #expect(spec.environment(named: "train")?.isPlain == false)
        #expect(spec.gpuOnly.environments.map(\.name) == ["train"])
    }

    @Test func refusesGPUKeysAndPlainKeysAtTheirLines() {
        let text = """
            version: 1
            environments:
              tool:
                kind: plain
                framework: torch
                python: "3.11"
                base: debian@sha256:abc
                copy:
                  - {from: dist, to: relative/path}
                  - {from: dist}
              nobase:
                kind: plain
              train:
                base: docker.io/library/debian:bookworm-slim
                entrypoint: [x]
              odd:
                kind: cpu
            """
        do {
            _ = try SpecParser().parse(text, path: "envctl.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.errors.map { "\($0.location?.line ?? 0): \($0.message)" }
            #expect(lines.contains("5: 'framework' does not apply to a plain environment (kind: plain)"), "\(lines)")
            #expect(lines.contains("6: 'python' does not apply to a plain environment (kind: plain)"), "\(lines)")
            #expect(
                lines.contains(
                    "7: base 'debian@sha256:abc' has a digest; write the tag and let 'envctl lock' pin the digest"),
                "\(lines)")
            #expect(
                lines.contains("9: copy 'to' must be an absolute path in the image without '..', not 'relative/path'"),
                "\(lines)")
            #expect(
                lines.contains(
                    "10: a copy entry needs 'from' (a path in the repository) and 'to' (a path in the image)"),
                "\(lines)")
            #expect(lines.contains("11: plain environment 'nobase' needs 'base'"), "\(lines)")
            #expect(lines.contains("14: 'base' needs 'kind: plain' in environment 'train'"), "\(lines)")
            #expect(lines.contains("15: 'entrypoint' needs 'kind: plain' in environment 'train'"), "\(lines)")
            #expect(lines.contains("17: kind must be 'gpu' or 'plain', not 'cpu'"), "\(lines)")
            #expect(error.description.contains("envctl.yaml:5:"), "\(error.description)")
        }
    }

    @Test func baseNeedsATag() {
        #expect(SpecParser.baseImageProblem("docker.io/library/debian:bookworm-slim") == nil)
        #expect(SpecParser.baseImageProblem("localhost:5000/library/debian:12") == nil)
        #expect(
            SpecParser.baseImageProblem("localhost:5000/library/debian")
                == "base 'localhost:5000/library/debian' has no tag")
        #expect(SpecParser.baseImageProblem("debian") == "base 'debian' has no tag")
        #expect(SpecParser.baseImageProblem("Debian:12") != nil)
    }

    @Test func lockRoundTripsAPlainEnvironmentWithoutGPUFields() throws {
        var env = LockedEnvironment.plain(
            name: "envctl", base: "docker.io/library/debian:bookworm-slim", image: nil, apt: ["ca-certificates"],
            env: [:], copy: [LockedCopy(from: "dist/envctl", to: "/opt/envctl")], entrypoint: ["/x"], cmd: nil)
        env.hash = "sha256:" + String(repeating: "a", count: 64)
        let lock = Lockfile(
            generatedBy: "test", knowledgeBase: KnowledgeBaseStamp(version: "1", date: "2026-01-01"),
            specHash: "sha256:00", fleet: nil, environments: [env])
        let text = try lock.yaml()
        for gpu in ["cuda", "python", "driver", "archs", "builder", "os:"] {
            #expect(!text.contains(gpu), "\(gpu) in \(text)")
        }
        #expect(text.contains("kind: plain"))
        let back = try Lockfile.parse(text, file: "envctl.lock")
        #expect(back.environments == [env])
    }
}

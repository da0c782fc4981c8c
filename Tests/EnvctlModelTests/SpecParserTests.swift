import EnvctlModel
import EnvctlTestSupport
import Testing

@Suite struct SpecParserTests {
    @Test func parsesTheDocumentedShape() throws {
        let spec = try SpecParser().parse(
            """
            version: 1
            fleet:
              driver: "535.104.05"
              gpus: [a100, h100]
            environments:
              train:
                framework: "torch==2.5.*"
                cuda: ">=12.1"
                cudnn: "9"
                python: "3.11"
                os: ubuntu22.04
                requirements: requirements/train.txt
                apt: [git]
                image: registry.example.com/team/train
                env: {HF_HOME: /cache}
            """, path: "envctl.yaml")
        #expect(spec.fleet.driver?.value.text == "535.104.05")
        #expect(spec.fleet.gpus.map(\.value) == ["a100", "h100"])
        let env = try #require(spec.environment(named: "train"))
        #expect(env.framework?.value.name == .torch)
        #expect(env.framework?.value.versions.text == "==2.5.*")
        #expect(env.python?.value.matches(Version("3.11")!) == true)
        #expect(env.cuda?.location?.line == 8)
        #expect(env.apt.map(\.value) == ["git"])
        #expect(env.env == ["HF_HOME": "/cache"])
    }

    @Test func unquotedNumbersKeepTheirSpelling() throws {
        // YAML would read 3.10 as the float 3.1; envctl reads the text as written.
        let spec = try SpecParser().parse(
            "version: 1\nenvironments:\n  a:\n    python: 3.10\n    cuda: 12.10\n", path: "s.yaml")
        #expect(spec.environments[0].python?.value.text == "3.10")
        #expect(spec.environments[0].cuda?.value.text == "12.10")
    }

    /// Every problem in one run, each with file:line:col and a hint (golden file).
    @Test func collectsEveryErrorWithLocations() throws {
        let text = """
            version: 2
            fleet:
              driver: "latest"
              gpu: [a100]
            environments:
              Train:
                framework: "pytorch-lightning==2"
                cuda: ">=12.x"
                pyhton: "3.11"
                apt: ["git; rm -rf /", "curl"]
                image: registry.example.com/team/train:latest
                env: {"BAD-NAME": x, OK: "line1\\nline2"}
              infer:
                framework: "torch[cuda]==2.5"
                cudnn: [9]
                cuda_libraries: both
            """
        do {
            _ = try SpecParser().parse(text, path: "envctl.yaml")
            Issue.record("expected errors")
        } catch {
            let golden = RepoPaths.path("Tests/EnvctlModelTests/Snapshots/collectsEveryErrorWithLocations.txt")
            if let m = goldenMismatch(error.description + "\n", goldenPath: golden) {
                Issue.record(Comment(rawValue: m))
            }
            #expect(error.errors.count >= 12)
        }
    }

    @Test func parsesPlatforms() throws {
        let text = """
            version: 1
            fleet:
              platforms: [linux/amd64, linux/arm64, linux/arm64]
              gpus: [h100, gh200]
            environments:
              train:
                platforms: [linux/arm64]
            """
        let spec = try SpecParser().parse(text, path: "envctl.yaml")
        #expect(spec.fleet.platforms?.value == ["linux/amd64", "linux/arm64"])
        #expect(spec.fleet.platforms?.location?.line == 3)
        #expect(spec.environments[0].platforms?.value == ["linux/arm64"])
    }

    @Test func unknownPlatformIsBadInputAtItsLine() {
        let text = """
            version: 1
            fleet:
              platforms: [linux/amd64, linux/arm/v7]
            environments:
              train:
                platforms: []
            """
        do {
            _ = try SpecParser().parse(text, path: "envctl.yaml")
            Issue.record("expected errors")
        } catch {
            #expect(error.description.contains("envctl.yaml:3:"))
            #expect(error.description.contains("'linux/arm/v7' is not a platform envctl builds for"))
            #expect(error.description.contains("envctl.yaml:6:"))
            #expect(error.description.contains("platforms is empty"))
        }
    }

    @Test func yamlSyntaxErrorHasALine() {
        do {
            _ = try SpecParser().parse("version: 1\nenvironments:\n  train:\n    cuda: \"12.4\n", path: "envctl.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("envctl.yaml:"))
            #expect(error.description.contains("YAML syntax"))
        }
    }

    @Test func duplicateKeysAreReported() {
        do {
            _ = try SpecParser().parse(
                "version: 1\nenvironments:\n  train:\n    cuda: \"12.4\"\n    cuda: \"12.6\"\n", path: "envctl.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("duplicate key 'cuda'"))
        }
    }

    @Test func emptyAndMissingFile() {
        #expect(throws: DiagnosticsError.self) { try SpecParser().parse("", path: "envctl.yaml") }
        #expect(throws: DiagnosticsError.self) { try SpecParser().parse(fileAt: "/nonexistent/envctl.yaml") }
    }
}

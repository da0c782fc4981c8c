import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// Runs the built `envctl` binary, as users and CI do.
func envctl(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> ProcessResult {
    var environment = env
    if environment["PATH"] == nil, let uv = uvExecutable() {
        environment["PATH"] =
            (uv as NSString).deletingLastPathComponent + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
    }
    return try runProcess(RepoPaths.envctlBinary, args, cwd: cwd, environment: environment)
}

/// Copies an example project into a temporary directory.
func example(_ name: String) throws -> TemporaryDirectory {
    let dir = try TemporaryDirectory(prefix: "envctl-\(name)")
    let src = RepoPaths.path("examples/\(name)")
    for file in try FileManager.default.contentsOfDirectory(atPath: src) {
        try FileManager.default.copyItem(atPath: "\(src)/\(file)", toPath: "\(dir.path)/\(file)")
    }
    return dir
}

@Suite struct CLIBasicsTests {
    @Test func versionNamesTheKnowledgeBase() throws {
        let r = try envctl(["--version"])
        #expect(r.status == 0)
        #expect(
            r.stdout.range(
                of: #"^envctl \d+\.\d+\.\d+ \(knowledge base [0-9.]+, \d{4}-\d{2}-\d{2}\)"#, options: .regularExpression
            ) != nil)
        // A `swift build` binary has no release stamp and says so (scripts/release.sh stamps revision and date;
        // ReleaseTarballTests checks a stamped one).
        #expect(r.stdout.split(separator: "\n").dropFirst().first == "revision unknown (dev build)", "\(r.stdout)")
    }

    @Test func resolveJSONHasTheDocumentedShape() throws {
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let r = try envctl(["resolve", "--json"], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let train = try #require((json?["environments"] as? [String: Any])?["train"] as? [String: Any])
        for key in ["framework", "cuda", "cudnn", "python", "os", "driver", "archs", "base_image", "builder_image"] {
            #expect(train[key] != nil, "missing \(key)")
        }
        let fw = try #require(train["framework"] as? [String: Any])
        for key in ["name", "version", "variant", "index_url", "companions"] {
            #expect(fw[key] != nil, "missing framework.\(key)")
        }
        let driver = try #require(train["driver"] as? [String: Any])
        #expect(driver["minimum"] is String && driver["full_compatibility"] is String)
        #expect(train["archs"] as? [String] == ["sm_80", "sm_90"])
    }

    @Test func plainEnvironmentHasNullFramework() throws {
        let dir = try example("plain-cuda")
        defer { dir.cleanup() }
        let r = try envctl(["resolve", "--json"], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"framework\" : null"))
    }

    @Test func resolveShowsAKindPlainEnvironmentInSpecOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            environments:
              tool:
                kind: plain
                base: docker.io/library/debian:bookworm-slim
                apt: [ca-certificates]
                copy: [{from: dist/tool, to: /opt/tool}]
              train:
                framework: torch
            """)
        let r = try envctl(["resolve"], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("tool  plain (no CUDA, no Python)\n"), "\(r.stdout)")
        #expect(r.stdout.contains("  copy      dist/tool -> /opt/tool"), "\(r.stdout)")
        #expect(r.stdout.contains("train  torch "), "\(r.stdout)")
        let j = try envctl(["resolve", "--json", "--env", "tool"], cwd: dir.path)
        let json = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let tool = try #require((json?["environments"] as? [String: Any])?["tool"] as? [String: Any])
        #expect(tool["kind"] as? String == "plain")
        #expect(tool["base_image"] as? String == "docker.io/library/debian:bookworm-slim")
        #expect(tool["cuda"] == nil)
    }

    @Test func badSpecExits64WithLocations() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("envctl.yaml", "version: 1\nenvironments:\n  train:\n    framwork: torch\n    cuda: \"twelve\"\n")
        let r = try envctl(["resolve"], cwd: dir.path)
        #expect(r.status == 64)
        #expect(r.stderr.contains("envctl.yaml:4:5: error: unknown key 'framwork'"))
        #expect(r.stderr.contains("did you mean 'framework'?"))
        #expect(r.stderr.contains("envctl.yaml:5:11: error: cuda:"))
    }

    @Test func unsolvableExits1WithNumberedReport() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "envctl.yaml", "version: 1\nenvironments:\n  train:\n    framework: \"torch==2.3.*\"\n    cuda: \"12.4\"\n")
        let r = try envctl(["resolve"], cwd: dir.path)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains(
                "1. Environment 'train' asks for torch==2.3.* (envctl.yaml:4:16) and CUDA 12.4 (envctl.yaml:5:11)."))
        #expect(r.stderr.contains("torch 2.3.1 is published for cu118 and cu121; you asked for CUDA 12.4."))
        #expect(r.stderr.contains("What would work:"))
    }

    @Test func explainAnswersQuestions() throws {
        let torch = try envctl(["explain", "torch", "2.6"])
        #expect(torch.status == 0)
        #expect(torch.stdout.contains("torch 2.6.0"))
        #expect(torch.stdout.contains("cu126: CUDA 12.6"))
        let cuda = try envctl(["explain", "cuda", "12.8"])
        #expect(cuda.stdout.contains("CUDA 12.8.1: driver 570.124.06"))
        let gpu = try envctl(["explain", "gpu", "h100"])
        #expect(gpu.stdout.contains("sm_90"))
        // `explain gpu` and `resolve` share the driver-range rule (issue 10).
        #expect(gpu.stdout.contains("oldest driver known to drive it: 520.61.05"))
        let b200 = try envctl(["explain", "gpu", "b200"])
        #expect(b200.stdout.contains("oldest driver known to drive it: 570.133.20"))
        let v100 = try envctl(["explain", "gpu", "v100"])
        #expect(v100.stdout.contains("last driver branch that supports it: 580"))
        let bad = try envctl(["explain", "gpu", "quantum9000"])
        #expect(bad.status == 64)
    }
}

/// `envctl lock` end to end: real uv against a local wheel index, golden lockfiles, --check, failure safety.
@Suite(.serialized) struct CLILockTests {
    static let examples = ["quickstart", "multi", "plain-cuda", "mixed-fleet"]

    @Test(.requires("uv", "python3"), .tags(.uv), arguments: examples)
    func goldenLockfile(_ name: String) throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example(name)
        defer { dir.cleanup() }
        let r = try envctl(["lock", "--offline"], cwd: dir.path, env: ["ENVCTL_INDEX_MIRRORS": server.mirrors])
        #expect(r.status == 0, "\(r.stderr)")
        let lock = try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8)
        if let m = goldenMismatch(lock, goldenPath: RepoPaths.path("lockfiles/\(name).lock")) {
            Issue.record(Comment(rawValue: m))
        }
        // The lock reads back, and locking again gives the same bytes.
        _ = try Lockfile.parse(lock, file: "envctl.lock")
        let again = try envctl(["lock", "--offline"], cwd: dir.path, env: ["ENVCTL_INDEX_MIRRORS": server.mirrors])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8) == lock)
    }

    @Test(.requires("uv", "python3"), .tags(.uv)) func checkDetectsStaleLocks() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        let missing = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"))
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let fresh = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(fresh.stdout.contains("up to date"))

        // Editing the spec makes it stale and names the change.
        let spec = try String(contentsOfFile: dir.path + "/envctl.yaml", encoding: .utf8)
        try spec.replacingOccurrences(of: "python: \"3.11\"", with: "python: \"3.10\"")
            .write(toFile: dir.path + "/envctl.yaml", atomically: true, encoding: .utf8)
        let stale = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(stale.status == 2)
        #expect(stale.stderr.contains("train: Python 3.11 -> 3.10"))

        // So does editing a requirements file, which the spec only names.
        try spec.write(toFile: dir.path + "/envctl.yaml", atomically: true, encoding: .utf8)
        #expect(try envctl(["lock", "--check"], cwd: dir.path).status == 0)
        try "tinyreq\nfilelock\n".write(toFile: dir.path + "/requirements.txt", atomically: true, encoding: .utf8)
        let req = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(req.status == 2)
        #expect(req.stderr.contains("requirements file"))
    }

    @Test(.requires("uv", "python3"), .tags(.uv)) func failedLockLeavesTheOldLockUntouched() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let before = try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8)
        try "numpy==9.9\n".write(toFile: dir.path + "/requirements.txt", atomically: true, encoding: .utf8)
        let r = try envctl(["lock", "--offline"], cwd: dir.path, env: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("numpy"))
        #expect(try String(contentsOfFile: dir.path + "/envctl.lock", encoding: .utf8) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func missingUVExits69AndSaysWhatToInstall() throws {
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let r = try envctl(["lock", "--offline"], cwd: dir.path, env: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("install"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/envctl.lock"))
    }
}

@Suite struct KnowledgeOverlayCLITests {
    /// A team can teach envctl about a release newer than its binary without upgrading.
    @Test func overlayAddsANewerRelease() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "newer.yaml",
            """
            version: "team.1"
            sources:
              team_notes: {url: "https://wiki.example.com/gpu-stack"}
            frameworks:
              torch:
                package: torch
                releases:
                  - version: "2.99.0"
                    python: ">=3.10,<3.15"
                    companions: {torchvision: "0.99.0"}
                    builds:
                      - {variant: cu130, cuda: "13.0", cudnn: "9.20.0.48"}
                    source: team_notes
                    confidence: medium
            """)
        try dir.write(
            "envctl.yaml",
            "version: 1\nknowledge: [newer.yaml]\nenvironments:\n  train:\n    framework: \"torch==2.99.*\"\n")
        let r = try envctl(["resolve"], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("torch 2.99.0+cu130"))
        #expect(r.stdout.contains("team_notes"))
        // The same file through --knowledge, and a broken overlay is a located error.
        try dir.write("envctl.yaml", "version: 1\nenvironments:\n  train:\n    framework: \"torch==2.99.*\"\n")
        #expect(try envctl(["resolve", "--knowledge", "newer.yaml"], cwd: dir.path).status == 0)
        #expect(try envctl(["resolve"], cwd: dir.path).status == 1)
        try dir.write("broken.yaml", "cuda:\n  - {version: \"13.9.0\", driver: [1], source: x, confidence: high}\n")
        let broken = try envctl(["resolve", "--knowledge", "broken.yaml"], cwd: dir.path)
        #expect(broken.status == 64)
        #expect(broken.stderr.contains("broken.yaml:2:"))
    }
}

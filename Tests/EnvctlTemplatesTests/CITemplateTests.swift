import EnvctlTestSupport
import Foundation
import Testing
import Yams

/// The CI templates in ci/templates: they pass their platform's linter, and a failing envctl fails the job.
@Suite("CI templates") struct CITemplateTests {
    static let github = RepoPaths.path("ci/templates/github-actions.yml")
    static let gitlab = RepoPaths.path("ci/templates/gitlab-ci.yml")

    @Test(.requires("actionlint")) func theGitHubWorkflowPassesActionlint() throws {
        let r = try runProcess(try #require(Tools.path("actionlint")), ["-no-color", Self.github])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test(.requires("check-jsonschema")) func theGitLabPipelinePassesGitLabsSchema() throws {
        let r = try runProcess(
            try #require(Tools.path("check-jsonschema")), ["--builtin-schema", "vendor.gitlab-ci", Self.gitlab])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    /// The GitHub workflow's steps and its default shell.
    func workflow() throws -> (shell: String, steps: [String: String]) {
        let text = try String(contentsOfFile: Self.github, encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        let shell = try #require(((doc["defaults"] as? [String: Any])?["run"] as? [String: Any])?["shell"] as? String)
        var steps: [String: String] = [:]
        for (_, job) in try #require(doc["jobs"] as? [String: Any]) {
            for step in ((job as? [String: Any])?["steps"] as? [[String: Any]]) ?? [] {
                if let name = step["name"] as? String, let run = step["run"] as? String { steps[name] = run }
            }
        }
        return (shell, steps)
    }

    /// The build step, run the way GitHub runs it (the workflow's default shell, `{0}` the script file) with an
    /// `envctl` that fails: the step must fail, although its output goes through `tee`.
    @Test func aFailingBuildFailsTheGitHubJob() throws {
        let (shell, steps) = try workflow()
        let script = try #require(steps["envctl build --push --record"])
        let ws = try TemporaryDirectory(prefix: "envctl-ci-template")
        defer { ws.cleanup() }
        try FileManager.default.createDirectory(atPath: ws.path + "/bin", withIntermediateDirectories: true)
        let stub = ws.path + "/bin/envctl"
        try "#!/bin/sh\necho 'build failed: builder exited 1' >&2\nexit 1\n".write(
            toFile: stub, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub)
        try script.write(toFile: ws.path + "/step.sh", atomically: true, encoding: .utf8)
        let words = shell.split(separator: " ").map { $0 == "{0}" ? ws.path + "/step.sh" : String($0) }
        let env = [
            "PATH": ws.path + "/bin:/usr/bin:/bin", "ENVCTL_ENVIRONMENTS": "train",
            "GITHUB_STEP_SUMMARY": ws.path + "/summary",
        ]
        let r = try runProcess(
            try #require(Tools.path(words[0])), Array(words.dropFirst()), cwd: ws.path, environment: env)
        #expect(r.status != 0, "the step passed although envctl failed: \(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("build failed"))

        // The same step with a working envctl passes, so the failure above is envctl's.
        try "#!/bin/sh\necho 'pushed r.example/t:envctl-1@sha256:1'\n".write(
            toFile: stub, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub)
        let ok = try runProcess(
            try #require(Tools.path(words[0])), Array(words.dropFirst()), cwd: ws.path, environment: env)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(try String(contentsOfFile: ws.path + "/digests.txt", encoding: .utf8).contains("train pushed "))
    }

    /// Every multi-command GitLab script block starts with `set -euo pipefail`.
    @Test func gitLabScriptsSetPipefail() throws {
        let text = try String(contentsOfFile: Self.gitlab, encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        var blocks = 0
        for (_, value) in doc {
            guard let job = value as? [String: Any] else { continue }
            for key in ["before_script", "script"] {
                for entry in (job[key] as? [String]) ?? [] where entry.contains("\n") {
                    blocks += 1
                    #expect(entry.hasPrefix("set -euo pipefail\n"), "\(entry)")
                }
            }
        }
        #expect(blocks >= 3)
    }
}

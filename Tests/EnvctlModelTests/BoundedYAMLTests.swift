import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// A billion-laughs block: `levels` anchors, each a list of `width` aliases of the one before, so the
/// last one expands to width^levels scalars. `indent` places it under a top-level key.
func yamlLaughs(levels: Int = 10, width: Int = 10, key: String = "lol") -> String {
    var s = "\(key):\n  l0: &l0 \"lol\"\n"
    for i in 1...levels {
        s += "  l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: width).joined(separator: ", ") + "]\n"
    }
    return s
}

/// Every YAML envctl reads goes through one bounded loader: alias bombs, deep nesting and oversized
/// files are bad input that names the file and the limit, found before anything walks the tree.
@Suite struct BoundedYAMLTests {
    @Test func aBillionLaughsSpecIsRefusedNamingTheLimit() throws {
        let text = "version: 1\nenvironments:\n  train:\n    framework: torch\n" + yamlLaughs()
        let error = #expect(throws: DiagnosticsError.self) { try SpecParser().parse(text, path: "bomb/envctl.yaml") }
        let message = error?.description ?? ""
        #expect(message.contains("bomb/envctl.yaml"), "\(message)")
        #expect(message.contains("YAML aliases expand"), "\(message)")
        #expect(message.contains("the limit for a spec"), "\(message)")
    }

    @Test func aBillionLaughsLockIsRefused() throws {
        let lock = try LockFactory.lockfile([LockFactory.environment()]).yaml()
        let error = #expect(throws: DiagnosticsError.self) {
            try Lockfile.parse(lock + yamlLaughs(key: "extra"), file: "envctl.lock")
        }
        #expect(error?.description.contains("envctl.lock") == true)
        #expect(error?.description.contains("the limit for a lock") == true, "\(error?.description ?? "")")
        // The same lock without the bomb still reads.
        _ = try Lockfile.parse(lock, file: "envctl.lock")
    }

    @Test func modestAliasesAreFine() throws {
        let text = "base: &b {image: x, gpus: 1}\na: *b\nb: *b\nlist: [*b, *b, *b]\n"
        #expect(try BoundedYAML.compose(text, file: "ok.yaml", limits: .lock) != nil)
        #expect(try BoundedYAML.composeAll(text + "---\nb: *b\n", file: "ok.yaml", limits: .lock).count == 2)
    }

    @Test func deepNestingIsRefused() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n"
        let error = #expect(throws: DiagnosticsError.self) {
            try BoundedYAML.compose("a: " + deep, file: "deep.yaml", limits: .registriesConfig)
        }
        #expect(error?.description.contains("deep.yaml:") == true)
        #expect(
            error?.description.contains("nesting is deeper than 200 levels, the limit for a registries config") == true,
            "\(error?.description ?? "")")
        // Past libyaml's own limit (1,000) the message is the same, not a parser crash.
        let deeper = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
        let error2 = #expect(throws: DiagnosticsError.self) {
            try BoundedYAML.compose(deeper, file: "deeper.yaml", limits: .lock)
        }
        #expect(error2?.description.contains("nesting is deeper than") == true, "\(error2?.description ?? "")")
    }

    @Test func oversizedFilesAreRefusedBeforeReading() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Sparse files: the size is checked before a byte is read.
        for (name, size) in [("envctl.yaml", InputLimits.specBytes + 1), ("envctl.lock", InputLimits.lockBytes + 1)] {
            let path = dir.path + "/" + name
            #expect(FileManager.default.createFile(atPath: path, contents: Data("version: 1\n".utf8)))
            #expect(truncate(path, off_t(size)) == 0)
        }
        let spec = #expect(throws: DiagnosticsError.self) { try SpecParser().parse(fileAt: dir.path + "/envctl.yaml") }
        #expect(
            spec?.description.contains("envctl.yaml': it is larger than 16 MiB, the limit for a spec") == true,
            "\(spec?.description ?? "")")
        let lock = #expect(throws: DiagnosticsError.self) { try Lockfile.load(fileAt: dir.path + "/envctl.lock") }
        #expect(
            lock?.description.contains("envctl.lock': it is larger than 64 MiB, the limit for a lock") == true,
            "\(lock?.description ?? "")")
        // A device never ends; reading stops at the limit.
        #expect(throws: BoundedFile.Failure.tooLarge(limit: 1 << 20)) {
            try BoundedFile.contents(of: "/dev/zero", limit: 1 << 20)
        }
        // Text handed over directly is measured too.
        let big = "version: 1\n#" + String(repeating: "x", count: InputLimits.specBytes) + "\n"
        let text = #expect(throws: DiagnosticsError.self) { try SpecParser().parse(big, path: "big.yaml") }
        #expect(text?.description.contains("big.yaml is larger than 16 MiB, the limit for a spec") == true)
    }

    @Test func valuesAreEscapedForMessages() {
        #expect("plain value".escapedForMessage == "plain value")
        #expect("a\nerror: forged".escapedForMessage == #"a\nerror: forged"#)
        #expect("\u{1B}]0;t\u{07}\r\t".escapedForMessage == #"\u{1B}]0;t\u{7}\r\t"#)
        #expect("evil\u{202E}txt.exe\u{7F}".escapedForMessage == #"evil\u{202E}txt.exe\u{7F}"#)
        #expect("é ✓ 日本".escapedForMessage == "é ✓ 日本")
    }
}

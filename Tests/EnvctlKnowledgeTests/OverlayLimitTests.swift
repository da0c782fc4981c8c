import EnvctlKnowledge
import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// Knowledge overlays go through the bounded YAML loader and the size cap (docs/limits.md).
@Suite struct OverlayLimitTests {
    @Test func aBillionLaughsOverlayIsBadInput() {
        var bomb = "lol:\n  l0: &l0 \"lol\"\n"
        for i in 1...10 {
            bomb += "  l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = #expect(throws: DiagnosticsError.self) {
            try KnowledgeBase.load(yaml: "version: 1\n" + bomb, file: "team-knowledge.yaml")
        }
        #expect(error?.description.contains("team-knowledge.yaml:1:1") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("the limit for a knowledge file") == true, "\(error?.description ?? "")")
    }

    @Test func anOversizedOverlayIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.path + "/big.yaml"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("version: 1\n".utf8)))
        #expect(truncate(path, off_t(InputLimits.knowledgeBytes + 1)) == 0)
        let error = #expect(throws: DiagnosticsError.self) { try KnowledgeBase.load(fileAt: path) }
        #expect(
            error?.description.contains("big.yaml': it is larger than 16 MiB, the limit for a knowledge file") == true,
            "\(error?.description ?? "")")
    }
}

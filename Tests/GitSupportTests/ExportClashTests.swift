import EnvctlTestSupport
import Foundation
import GitSupport
import Testing

/// A tree that names one path twice (a hand-made object; git itself never writes one) is refused in
/// words, naming the file, not with Foundation's `NSCocoaErrorDomain Code=516`.
@Suite struct ExportClashTests {
    @Test func duplicateNamesInATreeAreNamed() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        try f.commit("base", files: ["a": "1\n"])
        let blob = try f.git("rev-parse", "HEAD:a")
        let emptyTree = try f.git("hash-object", "-t", "tree", "-w", "/dev/null")
        var raw = Data()
        for mode in ["100644", "40000"] {
            raw.append(Data("\(mode) a\0".utf8))
            let id = mode == "40000" ? emptyTree : blob
            var bytes: [UInt8] = []
            var hex = Substring(id)
            while !hex.isEmpty {
                bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                hex = hex.dropFirst(2)
            }
            raw.append(contentsOf: bytes)
        }
        try raw.write(to: URL(fileURLWithPath: f.path + "/tree.bin"))
        let tree = try f.git("hash-object", "-t", "tree", "--literally", "-w", "tree.bin")
        let commit = try f.git("commit-tree", tree, "-m", "clash")
        let out = try TemporaryDirectory(prefix: "envctl-export")
        defer { out.cleanup() }
        let repo = try Repository.discover(from: f.path)
        let error = #expect(throws: GitError.self) { try repo.exportTree(of: commit, to: out.path + "/tree") }
        #expect(error?.message == "cannot export '\(out.path)/tree/a': a file named 'a' already exists")
        #expect(error?.description.contains("NSCocoaErrorDomain") == false)
    }
}

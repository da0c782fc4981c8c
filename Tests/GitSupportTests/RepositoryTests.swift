import EnvctlTestSupport
import Foundation
import GitSupport
import Testing

@Suite("Repository") struct RepositoryTests {
    @Test func discoversFromSubdirectoryAndReadsHead() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let c1 = try f.commit("first", files: ["a.txt": "a\n", "sub/dir/b.txt": "b\n"])
        let repo = try Repository.discover(from: f.path + "/sub/dir")
        #expect(
            repo.workingDirectory == URL(fileURLWithPath: f.path).resolvingSymlinksInPath().path
                || repo.workingDirectory == f.path)
        let state = try repo.workingTreeState()
        #expect(state.head == c1)
        #expect(!state.dirty)
    }

    @Test func notARepository() throws {
        let d = try TemporaryDirectory(prefix: "envctl-nogit")
        defer { d.cleanup() }
        #expect {
            try Repository.discover(from: d.path)
        } throws: { error in
            (error as? GitError)?.code == .notFound && "\(error)".contains("not inside a git repository")
        }
    }

    @Test func emptyRepositoryHasNoHead() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let repo = try Repository.discover(from: f.path)
        let state = try repo.workingTreeState()
        #expect(state.head == nil)
        #expect(try repo.commits(changing: "envctl.lock").isEmpty)
    }

    @Test func dirtyStateCountsTrackedChangesOnly() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        try f.commit("first", files: ["a.txt": "a\n", "b.txt": "b\n"])
        let repo = try Repository.discover(from: f.path)
        try f.dir.write("untracked.txt", "u")
        #expect(try repo.workingTreeState().dirty == false)
        try f.dir.write("a.txt", "changed\n")
        var state = try repo.workingTreeState()
        #expect(state.dirty)
        #expect(state.changedPaths == ["a.txt"])
        try f.git("add", "a.txt")
        try FileManager.default.removeItem(atPath: f.path + "/b.txt")
        state = try repo.workingTreeState()
        #expect(state.changedPaths == ["a.txt", "b.txt"])
    }

    @Test func resolvesShortShasTagsAndBranches() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let c1 = try f.commit("first", files: ["a.txt": "1"])
        try f.git("tag", "v1")
        try f.git("tag", "-a", "v1-annotated", "-m", "annotated")
        try f.git("branch", "old")
        let c2 = try f.commit("second", files: ["a.txt": "2"], date: 10)
        let repo = try Repository.discover(from: f.path)
        #expect(try repo.resolveCommit(String(c1.prefix(7))).id == c1)
        #expect(try repo.resolveCommit("v1").id == c1)
        #expect(try repo.resolveCommit("v1-annotated").id == c1)
        #expect(try repo.resolveCommit("old").id == c1)
        #expect(try repo.resolveCommit("main").id == c2)
        #expect(try repo.resolveCommit("HEAD~1").id == c1)
        let info = try repo.resolveCommit(c2)
        #expect(info.summary == "second")
        #expect(info.author == "Test")
        #expect(info.time == 1_700_000_010)
    }

    @Test func unknownRevisionCarriesLibgit2Context() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        try f.commit("first", files: ["a.txt": "1"])
        let repo = try Repository.discover(from: f.path)
        #expect {
            try repo.resolveCommit("deadbeef")
        } throws: { error in
            guard let e = error as? GitError else { return false }
            return e.code == .notFound && e.message.contains("unknown revision 'deadbeef'")
                && e.operation == "git_revparse_single"
        }
        #expect(throws: GitError.self) { try repo.resolveCommit("HEAD:a.txt") }
    }

    @Test func readsFileAtCommitWithoutTouchingWorktree() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let c1 = try f.commit("first", files: ["envctl.lock": "one\n"])
        try f.commit("second", files: ["envctl.lock": "two\n"], date: 10)
        try f.dir.write("envctl.lock", "uncommitted\n")
        let repo = try Repository.discover(from: f.path)
        #expect(try repo.readFile("envctl.lock", at: c1) == Data("one\n".utf8))
        #expect(try repo.readFile("envctl.lock", at: "HEAD") == Data("two\n".utf8))
        #expect(try repo.readFile("missing.lock", at: "HEAD") == nil)
        #expect(try String(contentsOfFile: f.path + "/envctl.lock", encoding: .utf8) == "uncommitted\n")
        #expect(try f.git("status", "--porcelain") == "M envctl.lock")
    }

    @Test func exportsTreeIntoSeparateDirectory() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let c1 = try f.commit("first", files: ["train.py": "print(1)\n", "scripts/run.sh": "#!/bin/sh\necho hi\n"])
        try f.git("update-index", "--chmod=+x", "scripts/run.sh")
        try f.git("commit", "-q", "-m", "exec")
        try f.git("rm", "-q", "train.py")
        try f.commit("second", files: ["new.py": "x"], date: 10)
        let out = try TemporaryDirectory(prefix: "envctl-export")
        defer { out.cleanup() }
        let repo = try Repository.discover(from: f.path)
        try repo.exportTree(of: "HEAD~1", to: out.path + "/tree")
        let fm = FileManager.default
        #expect(try String(contentsOfFile: out.path + "/tree/train.py", encoding: .utf8) == "print(1)\n")
        #expect(fm.isExecutableFile(atPath: out.path + "/tree/scripts/run.sh"))
        #expect(!fm.fileExists(atPath: out.path + "/tree/new.py"))
        #expect(!fm.fileExists(atPath: out.path + "/tree/.git"))
        // The repository itself is untouched.
        #expect(try f.git("status", "--porcelain").isEmpty)
        #expect(try f.git("rev-parse", "HEAD") != c1)
        // A non-empty destination is refused.
        #expect(throws: GitError.self) { try repo.exportTree(of: c1, to: out.path + "/tree") }
    }

    @Test func listsCommitsThatChangedTheLock() throws {
        let f = try GitFixture()
        defer { f.cleanup() }
        let c1 = try f.commit("add lock", files: ["envctl.lock": "1"])
        try f.commit("code only", files: ["train.py": "x"], date: 1)
        let c3 = try f.commit("bump lock", files: ["envctl.lock": "2"], date: 2)
        try f.git("checkout", "-q", "-b", "side")
        try f.commit("side code", files: ["other.py": "y"], date: 3)
        try f.git("checkout", "-q", "main")
        let c5 = try f.commit("bump again", files: ["envctl.lock": "3"], date: 4)
        try f.git("merge", "-q", "--no-edit", "side")
        let repo = try Repository.discover(from: f.path)
        let ids = try repo.commits(changing: "envctl.lock").map(\.id)
        #expect(ids == [c5, c3, c1])
        #expect(try repo.commits(changing: "envctl.lock", limit: 1).map(\.id) == [c5])
        #expect(try repo.commits(changing: "envctl.lock", from: c3).map(\.id) == [c3, c1])
    }
}

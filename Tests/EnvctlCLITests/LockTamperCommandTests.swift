import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl lock --check` on a lock edited by hand, and `envctl diff` showing every field.
@Suite(.serialized) struct LockTamperCommandTests {
    @Test(.requires("uv", "python3"), .tags(.uv)) func handEditsFailTheCheckNamingFieldAndLine() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        let lock = try envctl(["lock", "--offline"], cwd: dir.path, env: env)
        #expect(lock.status == 0, "\(lock.stderr)")
        let path = dir.path + "/envctl.lock"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try envctl(["lock", "--check"], cwd: dir.path).status == 0)

        // The Dockerfile would install evilpkg from evil.example: an index neither the spec nor torch allows.
        let evil = original.replacingOccurrences(
            of: "      packages:\n",
            with: """
                      packages:
                      - name: evilpkg
                        version: '1.0'
                        index: https://evil.example/simple
                        hashes:
                        - sha256:\(String(repeating: "e", count: 64))

                """)
        #expect(evil != original)
        try evil.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(r.status == 2)
        let indexLine = try #require(
            evil.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("evil.example") })
        #expect(
            r.stderr.contains(
                "train: python package evilpkg 1.0: index https://evil.example/simple is not allowed: envctl.yaml and the framework allow https://download.pytorch.org/whl/cu124, https://pypi.org/simple (envctl.lock:\(indexLine + 1))"
            ), "\(r.stderr)")
        #expect(r.stderr.contains("train: hash: recorded sha256:"), "\(r.stderr)")

        // A changed hash (which the content tag, and so `build --push`'s skip, follows) is named with its line.
        let hashLine = try #require(
            original.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("    hash: ") })
        let forged = original.replacingOccurrences(
            of: #"    hash: sha256:[0-9a-f]{64}"#, with: "    hash: sha256:\(String(repeating: "0", count: 64))",
            options: .regularExpression)
        try forged.write(toFile: path, atomically: true, encoding: .utf8)
        let h = try envctl(["lock", "--check"], cwd: dir.path)
        #expect(h.status == 2)
        #expect(h.stderr.contains("train: hash: recorded sha256:\(String(repeating: "0", count: 64)), but"))
        #expect(h.stderr.contains("(envctl.lock:\(hashLine + 1))"), "\(h.stderr)")
    }

    @Test func diffShowsAnAptOnlyChange() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var a = LockFactory.environment(packages: [("numpy", "1.26.4")])
        a.apt = ["git"]
        a.env = ["HF_HOME": "/cache"]
        var b = a
        b.apt = ["git", "curl"]
        try LockFactory.lockfile([a]).write(to: dir.path + "/old.lock")
        try LockFactory.lockfile([b]).write(to: dir.path + "/new.lock")
        let r = try envctl(["diff", "old.lock", "new.lock"], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        if let m = goldenMismatch(r.stdout, goldenPath: RepoPaths.path("Tests/EnvctlCLITests/Snapshots/diff-apt.txt")) {
            Issue.record(Comment(rawValue: m))
        }

        // So do an env variable and a package's hashes, each as its own field.
        var c = a
        c.env["TOKENIZERS_PARALLELISM"] = "false"
        c.pythonPackages.packages[0].hashes = ["sha256:" + String(repeating: "f", count: 64)]
        try LockFactory.lockfile([c]).write(to: dir.path + "/new.lock")
        let j = try envctl(["diff", "old.lock", "new.lock", "--json"], cwd: dir.path)
        #expect(j.status == 0, "\(j.stderr)")
        let diff = try JSONDecoder().decode(Diff.self, from: Data(j.stdout.utf8))
        #expect(
            diff.environments.first?.changes == [
                .init(field: "env TOKENIZERS_PARALLELISM", a: nil, b: "false"),
                .init(
                    field: "package numpy hashes", a: "sha256:" + String(repeating: "d", count: 64),
                    b: "sha256:" + String(repeating: "f", count: 64)),
            ])
    }

    /// The `--json` shape of `envctl diff`.
    struct Diff: Decodable {
        struct Change: Decodable, Equatable {
            var field: String
            var a: String?
            var b: String?
        }
        struct Environment: Decodable { var changes: [Change] }
        var environments: [Environment]
    }
}

import Foundation

/// A throwaway repository built with the real git CLI, so GitSupport is tested against what git writes.
package struct GitFixture {
    package let dir: TemporaryDirectory
    package var path: String { dir.path }

    package init() throws {
        dir = try TemporaryDirectory(prefix: "envctl-git")
        try git("init", "-q", "-b", "main")
        try git("config", "user.email", "test@example.com")
        try git("config", "user.name", "Test")
        try git("config", "commit.gpgsign", "false")
    }

    @discardableResult
    package func git(_ args: String...) throws -> String {
        let r = try runProcess("git", Array(args), cwd: path, environment: ["GIT_CONFIG_NOSYSTEM": "1", "HOME": path])
        guard r.status == 0 else { throw FixtureError(message: "git \(args.joined(separator: " ")): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes files and commits them; returns the new commit's id.
    @discardableResult
    package func commit(_ message: String, files: [String: String], date: Int = 0) throws -> String {
        for (name, text) in files { try dir.write(name, text) }
        try git("add", "-A")
        let stamp = "\(1_700_000_000 + date) +0000"
        let r = try runProcess(
            "git", ["commit", "-q", "-m", message], cwd: path,
            environment: ["GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "HOME": path])
        guard r.status == 0 else { throw FixtureError(message: "commit: \(r.stderr)") }
        return try git("rev-parse", "HEAD")
    }

    package func cleanup() { dir.cleanup() }
}

package struct FixtureError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }

    package init(message: String) { self.message = message }
}

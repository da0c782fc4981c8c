import ArgumentParser
import EnvctlModel
import EnvctlRuns
import Foundation
import GitSupport

extension EnvctlCommand {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show what changed in the locked environments between two commits or two lock files.",
            discussion: "Each side is a lock file path or a git revision (its envctl.lock is read through libgit2).")

        @Argument(help: "Old side: lock file or commit.") var a: String
        @Argument(help: "New side: lock file or commit.") var b: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            try await ErrorPresentation.guarded {
                let la = try Self.load(a), lb = try Self.load(b)
                let diff = LockDiff.compare(la.1, lb.1, labels: (la.0, lb.0))
                print(json ? try Terminal.json(diff) : Self.render(diff))
            }
        }

        static func load(_ side: String) throws -> (String, Lockfile) {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: side, isDirectory: &isDir), !isDir.boolValue {
                return (side, try Lockfile.load(fileAt: side))
            }
            let (commit, lock) = try LockSource.open(from: FileManager.default.currentDirectoryPath).lock(at: side)
            return (commit.shortID, lock)
        }

        static func render(_ d: LockDiff) -> String {
            guard d.hasChanges else { return "no differences between \(d.a) and \(d.b)" }
            var blocks: [String] = []
            for e in d.environments where e.status != .unchanged {
                var rows = [["field", d.a, d.b]]
                for c in e.changes { rows.append([c.field, c.a ?? "-", c.b ?? "-"]) }
                blocks.append(
                    "environment \(e.name) (\(e.status.rawValue))\n"
                        + RunsPresentation.table(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            let same = d.environments.filter { $0.status == .unchanged }.map(\.name)
            if !same.isEmpty { blocks.append("unchanged: \(same.joined(separator: ", "))") }
            return blocks.joined(separator: "\n\n")
        }
    }
}

import ArgumentParser
import EnvctlRuns
import Foundation

extension EnvctlCommand {
    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs",
            abstract: "List recorded runs, or show one.",
            subcommands: [List.self, Show.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List the runs recorded in .envctl/runs/.")
            @Flag(name: .long, help: "Print JSON.") var json = false

            func run() async throws {
                try await ErrorPresentation.guarded {
                    let workspace = try Workspace.locate()
                    let (records, problems) = workspace.runs.list()
                    for p in problems { RunsPresentation.stderr("warning: skipped unreadable record \(p)") }
                    if json {
                        print(try Terminal.json(records))
                        return
                    }
                    if records.isEmpty {
                        print("no runs recorded in \(workspace.runs.directory)")
                        return
                    }
                    var rows = [["ID", "STARTED", "STATUS", "ENV", "COMMIT", "COMMAND"]]
                    for r in records {
                        let commit = r.git?.commit.map { String($0.prefix(12)) + (r.git!.dirty ? "+dirty" : "") } ?? "-"
                        rows.append([
                            r.id, r.startedAt, r.status, r.environment, commit, r.command.joined(separator: " "),
                        ])
                    }
                    print(RunsPresentation.table(rows))
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: "Show one run record.")
            @Argument(help: "Run id (a unique prefix or suffix is enough).") var id: String
            @Flag(name: .long, help: "Print the record as JSON.") var json = false

            func run() async throws {
                try await ErrorPresentation.guarded {
                    let record = try Workspace.locate().runs.load(id)
                    if json {
                        print(try Terminal.json(record))
                        return
                    }
                    print(Self.render(record))
                }
            }

            static func render(_ r: RunRecord) -> String {
                var rows: [[String]] = [
                    ["run", r.id], ["kind", r.kind.rawValue], ["status", r.status], ["started", r.startedAt],
                    ["ended", r.endedAt ?? "-"], ["command", r.command.joined(separator: " ")],
                    ["environment", r.environment], ["lock hash", r.lockHash],
                ]
                if let g = r.git {
                    rows.append([
                        "git commit",
                        (g.commit ?? "(no commits)")
                            + (g.dirty ? " (dirty: \(g.changedPaths.joined(separator: ", ")))" : ""),
                    ])
                }
                if let from = r.reproducedFrom { rows.append(["reproduced from", from]) }
                for i in r.images { rows.append(["image", "\(i.reference) [\(i.source)]"]) }
                if let rt = r.runtime { rows.append(["runtime", rt]) }
                if let h = r.host { rows.append(["host", h.summary]) }
                for f in r.preflight { rows.append(["preflight", f.description]) }
                if let p = r.pipeline {
                    rows.append(["pipeline", "\(p.file) → \(p.endpoint)"])
                    if let v = p.versionID { rows.append(["version id", v]) }
                    if let rid = p.remoteRunID { rows.append(["remote run", rid]) }
                }
                if let c = r.container {
                    if let n = c.name { rows.append(["container", n]) }
                    if let w = c.workdir { rows.append(["workdir", w]) }
                    if c.gpus != "all" { rows.append(["gpus", c.gpus]) }
                    if !c.environmentNames.isEmpty {
                        rows.append(["variables", c.environmentNames.joined(separator: ", ") + " (names only)"])
                    }
                    for f in c.envFiles { rows.append(["env file", f]) }
                    for v in c.volumes { rows.append(["volume", v]) }
                    for p in c.publish { rows.append(["publish", p]) }
                }
                if let j = r.job {
                    rows.append(["cluster", j.cluster + (j.context.map { " (context \($0))" } ?? "")])
                    rows.append(["job", "\(j.workload) \(j.namespace.map { "\($0)/" } ?? "")\(j.name)"])
                    if let uid = j.uid { rows.append(["uid", uid]) }
                    rows.append(["shape", "\(j.nodes) node(s) × \(j.gpusPerNode) GPU(s)"])
                }
                for t in r.protectiveTags { rows.append(["protective tag", t]) }
                return RunsPresentation.table(rows)
            }
        }
    }
}

import ArgumentParser
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand {
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract:
                "Check this machine: NVIDIA driver and GPUs, container runtimes, NVIDIA container toolkit, and the lock.",
            discussion:
                "Exits 1 when an environment in envctl.lock cannot run here; a machine without a GPU is reported, not failed."
        )

        @Flag(name: .long, help: "Print the report as JSON.") var json = false
        @Option(
            name: .long, help: "Path to envctl.yaml; check the envctl.lock next to it (default: found from here up).")
        var spec: String?

        func run() async throws {
            try await ErrorPresentation.guarded {
                let lock = (try? SpecOptions.workspace(forSpec: spec)).flatMap { try? $0.loadLock() }
                let report = await EnvctlRuns.Doctor.run(using: SystemCommandRunner()) { host in
                    (lock?.environments ?? []).map { Preflight.check($0, host: host) }
                }
                if json {
                    print(try Terminal.json(report))
                } else {
                    print(Self.render(report, lockFound: lock != nil))
                }
                if report.environments.contains(where: { !$0.canRun }) { throw ExitCode(1) }
            }
        }

        static func render(_ r: DoctorReport, lockFound: Bool) -> String {
            var rows: [[String]] = []
            rows.append(["NVIDIA driver", r.gpu.driver ?? "-"])
            switch r.gpu.status {
            case .ok:
                for g in r.gpu.gpus {
                    rows.append(["GPU \(g.index)", "\(g.name), compute capability \(g.computeCapability ?? "unknown")"])
                }
                if r.gpu.capabilityFromName {
                    rows.append(["", "(driver predates compute_cap; capabilities guessed from names)"])
                }
            default:
                rows.append(["GPUs", r.gpu.summary])
            }
            if let why = r.gpu.explanation { rows.append(["", why]) }
            for rt in r.runtimes { rows.append([rt.name, rt.found ? (rt.version ?? "found") : "not found"]) }
            rows.append(["nvidia-ctk", r.nvidiaCTK ?? "not found"])
            rows.append([
                "CDI specs",
                r.cdiSpecs.isEmpty
                    ? "none in \(EnvctlRuns.Doctor.cdiDirectories.joined(separator: ", "))"
                    : r.cdiSpecs.joined(separator: ", "),
            ])
            if !lockFound { rows.append(["lock", "no envctl.lock here; environment checks skipped"]) }
            var out = RunsPresentation.table(rows)
            for env in r.environments {
                out += "\n\nenvironment \(env.environment): " + (env.canRun ? "can run here" : "CANNOT run here")
                for f in env.findings { out += "\n  \(f.description)" }
            }
            if !r.advice.isEmpty { out += "\n\nto fix:\n" + r.advice.map { "  - \($0)" }.joined(separator: "\n") }
            return out
        }
    }
}

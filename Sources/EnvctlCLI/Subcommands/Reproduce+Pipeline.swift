import EnvctlModel
import EnvctlRuns
import Foundation
import GitSupport
import OCIRegistry

extension EnvctlCommand.Reproduce {
    /// `reproduce COMMIT --run ID` where run ID was `pipeline submit`: the compiled pipeline and the lock
    /// are read at COMMIT, pinned (environment images to the lock's digests, other images to the digests
    /// the original run used), checked in the registry, and submitted again with the recorded parameters
    /// (`--param` overrides) to `--kfp URL` or `--vertex PROJECT/REGION`.
    /// - Returns: the exit status (0 submitted, or SUCCEEDED with `--wait`).
    func reproducePipeline(
        _ record: RunRecord, reproducer: Reproducer, registry: any ImageRegistry, workspaceRoot: String
    )
        async throws -> Int32
    {
        try PipelineFlow.checkReproducible(record, revision: commit, hasCommand: !command.isEmpty, rebuild: rebuild)
        let plan = try reproducer.pipelinePlan(revision: commit, record: record)
        for n in plan.notes { RunsPresentation.stderr("note: \(n)") }
        let pinned = try await PipelineFlow.pin(plan, pinExternal: pipelineOptions.pinExternal, registry: registry)
        for w in pinned.warnings { RunsPresentation.stderr("warning: \(w)") }
        let parameters = try pipelineOptions.parameters(over: record.pipeline?.parameters ?? [:])

        if dryRun {
            print(
                Self.render(
                    plan, pinned: pinned, parameters: parameters,
                    target: pipelineOptions.hasTarget ? try pipelineOptions.target().description : nil))
            return 0
        }
        guard pipelineOptions.hasTarget else {
            throw RunsError(
                .badInput, "give --kfp URL or --vertex PROJECT/REGION to resubmit run \(record.id)",
                hint: "it was submitted to \(record.pipeline?.endpoint ?? "an unrecorded endpoint")")
        }
        _ = try pipelineOptions.target()
        _ = try pipelineOptions.bearerToken()
        let submission = try await PipelineFlow.resubmission(
            plan, pinned: pinned, parameters: parameters, revision: commit, reproducer: reproducer)
        RunsPresentation.stderr(
            "envctl: resubmitting \(plan.repositoryPath) from \(plan.commit.shortID) (\(plan.commit.summary))")
        return try await PipelineFlow.submit(
            submission, options: pipelineOptions, registry: registry, workspace: Workspace(root: workspaceRoot))
    }

    static func render(_ p: PipelineReproducePlan, pinned: PinResult, parameters: [String: String], target: String?)
        -> String
    {
        var rows = [
            ["commit", "\(p.commit.id) \(p.commit.summary)"],
            ["from run", "\(p.record.id) (\(p.record.kind.rawValue), \(p.record.pipeline?.endpoint ?? "?"))"],
            ["pipeline", "\(p.repositoryPath) at \(p.commit.shortID)"],
            ["target", target ?? "none given (--kfp URL or --vertex PROJECT/REGION)"],
            [
                "parameters",
                parameters.isEmpty
                    ? "-" : parameters.keys.sorted().map { "\($0)=\(parameters[$0]!)" }.joined(separator: " "),
            ],
        ]
        for pin in pinned.pins { rows.append(["image", "\(pin.executor): \(pin.pinned) [\(pin.source)]"]) }
        rows.append(["submits", "a new pipeline version holding the pinned spec, and a run of exactly that version"])
        return RunsPresentation.table(rows)
    }
}

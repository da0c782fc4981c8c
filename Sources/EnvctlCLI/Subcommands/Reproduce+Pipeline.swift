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
        if !command.isEmpty {
            throw RunsError(
                .badInput,
                "run \(record.id) is a pipeline submission: it is resubmitted, not run; drop the command after --")
        }
        if rebuild {
            throw RunsError(
                .badInput, "--rebuild is not supported for pipeline runs yet",
                hint:
                    "'envctl reproduce \(commit) --env NAME --rebuild -- true' rebuilds an environment's image under its content tag; when the digest matches, resubmit"
            )
        }
        let plan = try reproducer.pipelinePlan(revision: commit, record: record)
        for n in plan.notes { RunsPresentation.stderr("note: \(n)") }
        let pipeline = try KFPPipeline.parse(plan.text, file: plan.repositoryPath)
        let pinner = PipelinePinner(
            lock: plan.lock, registry: registry, pinExternal: pipelineOptions.pinExternal, knownPins: plan.knownPins)
        let pinned = try await pinner.pin(pipeline, file: plan.repositoryPath)
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
        let missing = try await reproducer.missingImages(pinned.pins)
        if !missing.isEmpty {
            throw RunsError(
                .failure,
                "\(missing.count) image(s) that run \(record.id)'s pipeline pins at \(plan.commit.shortID) no longer exist in the registry:\n"
                    + missing.map { "  - \($0)" }.joined(separator: "\n"),
                hint:
                    "'envctl reproduce \(commit) --env NAME --rebuild -- true' rebuilds an environment's image from the lock at that commit"
            )
        }
        RunsPresentation.stderr(
            "envctl: resubmitting \(plan.repositoryPath) from \(plan.commit.shortID) (\(plan.commit.summary))")
        let submission = PipelineFlow.Submission(
            pinned: pinned, file: record.pipeline?.file ?? plan.repositoryPath,
            git: RunRecord.GitStamp(commit: plan.commit.id, dirty: false, changedPaths: []), parameters: parameters,
            reproducedFrom: plan.commit.id, reproducesRun: record.id)
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

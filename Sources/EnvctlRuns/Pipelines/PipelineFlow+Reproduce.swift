import EnvctlModel
import Foundation
import GitSupport
package import OCIRegistry

/// `reproduce COMMIT --run ID` where run ID was `pipeline submit`: the steps between the plan
/// (`Reproducer.pipelinePlan`) and `PipelineFlow.submit`.
extension PipelineFlow {
    /// Refuses what a pipeline reproduction cannot do: run another command, or rebuild images.
    /// - Parameter revision: the commit as the user spelled it, for the hint.
    package static func checkReproducible(
        _ record: RunRecord, revision: String, hasCommand: Bool, rebuild: Bool
    ) throws(RunsError) {
        if hasCommand {
            throw RunsError(
                .badInput,
                "run \(record.id) is a pipeline submission: it is resubmitted, not run; drop the command after --")
        }
        if rebuild {
            throw RunsError(
                .badInput, "--rebuild is not supported for pipeline runs yet",
                hint:
                    "'envctl reproduce \(revision) --env NAME --rebuild -- true' rebuilds an environment's image under its content tag; when the digest matches, resubmit"
            )
        }
    }

    /// Parses the plan's compiled pipeline and pins it: environment images to the lock at the commit,
    /// other images to the digests the original run used. Warnings are in the result, for the caller to show.
    package static func pin(_ plan: PipelineReproducePlan, pinExternal: Bool, registry: any ImageRegistry)
        async throws -> PinResult
    {
        let pipeline = try KFPPipeline.parse(plan.text, file: plan.repositoryPath)
        let pinner = PipelinePinner(
            lock: plan.lock, registry: registry, pinExternal: pinExternal, knownPins: plan.knownPins)
        return try await pinner.pin(pipeline, file: plan.repositoryPath)
    }

    /// Checks that every pinned image still exists in the registry and describes the resubmission.
    /// - Parameter revision: the commit as the user spelled it, for the hint.
    package static func resubmission(
        _ plan: PipelineReproducePlan, pinned: PinResult, parameters: [String: String], revision: String,
        reproducer: Reproducer
    ) async throws(RunsError) -> Submission {
        let record = plan.record
        let missing = try await reproducer.missingImages(pinned.pins)
        if !missing.isEmpty {
            throw RunsError(
                .failure,
                "\(missing.count) image(s) that run \(record.id)'s pipeline pins at \(plan.commit.shortID) no longer exist in the registry:\n"
                    + missing.map { "  - \($0)" }.joined(separator: "\n"),
                hint:
                    "'envctl reproduce \(revision) --env NAME --rebuild -- true' rebuilds an environment's image from the lock at that commit"
            )
        }
        return Submission(
            pinned: pinned, file: record.pipeline?.file ?? plan.repositoryPath,
            git: RunRecord.GitStamp(commit: plan.commit.id, dirty: false, changedPaths: []), parameters: parameters,
            reproducedFrom: plan.commit.id, reproducesRun: record.id)
    }
}

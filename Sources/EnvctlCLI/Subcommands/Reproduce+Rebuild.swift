import EnvctlImageBuild
import EnvctlModel
import EnvctlRuns
import EnvctlWorkflows
import Foundation
import GitSupport
import OCIRegistry

extension EnvctlCommand.Reproduce {
    /// `reproduce --rebuild`: the one build pipeline (`Rebuild`) run for the plan's environment, presented
    /// on stderr, followed by whether the digest matches the recorded one.
    func rebuildImage(_ plan: ReproducePlan, projectDirectory: String, workspace: String, registry: any ImageRegistry)
        async throws -> RunRecord.ImageStamp
    {
        let (inputs, guessed) = Rebuild.inputs(for: plan, workspace: workspace)
        if guessed {
            RunsPresentation.stderr(
                "note: the lock at \(plan.commit.shortID) does not record the revision and SOURCE_DATE_EPOCH its image was built with "
                    + "(only `envctl build --push --record` does); using \(plan.commit.shortID) and its commit time, so the labels, "
                    + "and with them the digest, may differ")
        }
        let env = plan.locked
        let workflow = ImageBuildWorkflow(registry: registry) { event in
            switch event {
            case .building(let builder, let inputs):
                RunsPresentation.stderr(
                    "envctl: rebuilding \(env.name) from the lock at \(plan.commit.shortID) with \(builder.rawValue) "
                        + "(revision \(inputs.revision.map { String($0.prefix(12)) } ?? "none"), SOURCE_DATE_EPOCH=\(inputs.sourceDateEpoch))"
                )
            case .output(let line): RunsPresentation.stderr(line)
            case .pushed(let reference, let digest): RunsPresentation.stderr("envctl: pushed \(reference)@\(digest)")
            default: break
            }
        }
        do {
            let image = try await Rebuild.run(
                plan, inputs: inputs, recipe: try builderOptions.recipe(for: env), projectDirectory: projectDirectory,
                workflow: workflow)
            RunsPresentation.stderr(
                Self.comparison(rebuilt: image.digest ?? "", recorded: env.pushed?.digest, commit: plan.commit.shortID))
            return image
        } catch var e as ImageBuildError {
            e.step = "--rebuild: " + e.step
            throw e
        }
    }

    /// What the user is told about the rebuilt digest.
    static func comparison(rebuilt: String, recorded: String?, commit: String) -> String {
        guard let recorded else {
            return "note: the lock at \(commit) records no digest to compare with; running the rebuilt image \(rebuilt)"
        }
        if recorded == rebuilt {
            return "envctl: the rebuilt digest matches the recorded one (\(rebuilt)): the image is byte-identical"
        }
        return """
            warning: the rebuilt digest \(rebuilt) differs from the recorded \(recorded).
                The Dockerfile follows from the lock alone, and the same lock, revision and SOURCE_DATE_EPOCH build the same
                bytes on the same day. It may differ because apt archives move (apt-get update sees today's package versions,
                not those of the original build; pin apt versions or use a snapshot mirror), because the original build used
                other --build-arg, --mirror or templates, or because the record predates `build --push --record`.
                Running the rebuilt image; the run record marks it as rebuilt.
            """
    }
}

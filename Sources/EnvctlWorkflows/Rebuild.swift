package import EnvctlImageBuild
package import EnvctlModel
package import EnvctlRuns
import Foundation
import GitSupport
import OCIRegistry

/// `reproduce --rebuild`: the environment's image built from the lock at the plan's commit (the one build
/// pipeline, with the checked-out tree as context), pushed under the content tag.
///
/// The Dockerfile follows from the lock alone, so the same lock renders the same bytes. The image's labels
/// also carry the git revision, source URL and `SOURCE_DATE_EPOCH` of the original build; these come from
/// the lock's push record (`build --push --record`), or, for older records, from the commit.
package enum Rebuild {
    /// The inputs to rebuild with, and whether they had to be guessed from the commit (the lock records
    /// a push but not its inputs, so the labels and the digest may differ).
    package static func inputs(for plan: ReproducePlan, workspace: String) -> (inputs: BuildInputs, guessed: Bool) {
        if let recorded = plan.locked.pushed?.build { return (recorded, false) }
        let here = SourceInfo.detect(in: workspace)
        return (
            BuildInputs(revision: plan.commit.id, source: here.source, sourceDateEpoch: Int(plan.commit.time)),
            plan.locked.pushed != nil
        )
    }

    /// Builds and pushes; the Dockerfile and OCI layout go to a scratch directory, because the tree is
    /// mounted into the run afterwards and must stay exactly the commit's. The commit's own
    /// `.envctl/templates` are laid over the built-in templates.
    /// - Returns: the rebuilt image, pinned by its digest.
    package static func run(
        _ plan: ReproducePlan, inputs: BuildInputs, recipe: BuildRecipe, projectDirectory: String,
        workflow: ImageBuildWorkflow
    ) async throws(ImageBuildError) -> RunRecord.ImageStamp {
        guard let target = plan.rebuildTarget else {
            throw ImageBuildError(
                .badInput, step: "build",
                "environment '\(plan.environment)' has no image repository to push a rebuilt image to")
        }
        if plan.locked.isPlain {
            throw ImageBuildError(
                .badInput, step: "build",
                "reproduce --rebuild does not rebuild plain environments ('\(plan.environment)'): their copy sources are build outputs, not the commit's files",
                hint: "rebuild it with 'envctl build --env \(plan.environment)' after producing its copy sources")
        }
        var recipe = recipe
        let overrides = (projectDirectory as NSString).appendingPathComponent(".envctl/templates")
        recipe.templatesDirectory = FileManager.default.fileExists(atPath: overrides) ? overrides : nil
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "envctl-rebuild-\(plan.commit.shortID)-\(UUID().uuidString.prefix(8))"
        ).path
        Cleanup.register(scratch)
        defer { Cleanup.remove(scratch) }
        let outcome = try await workflow.run(
            BuildJob(
                environment: plan.locked, inputs: inputs, recipe: recipe, contextDirectory: projectDirectory,
                dockerfileDirectory: scratch, ociLayout: scratch + "/oci", target: target))
        guard let digest = outcome.digest else {
            throw ImageBuildError(
                .stepFailed, step: "push", "the rebuilt image of '\(plan.environment)' was not pushed")
        }
        let repository = ImageReference.components(of: target).name
        return .init(reference: "\(repository)@\(digest)", digest: digest, source: "rebuilt")
    }
}

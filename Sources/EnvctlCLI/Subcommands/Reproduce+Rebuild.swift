import EnvctlImageBuild
import EnvctlModel
import EnvctlRuns
import EnvctlTemplates
import Foundation
import GitSupport

extension EnvctlCommand.Reproduce {
    /// `reproduce --rebuild`: builds the environment's image from the lock at the plan's commit, with the
    /// checked-out tree as build context, pushes it under the content tag, and says whether the digest
    /// matches the recorded one.
    ///
    /// The Dockerfile follows from the lock alone, so the same lock renders the same bytes. The image's
    /// labels also carry the git revision, source URL and `SOURCE_DATE_EPOCH` of the original build; these
    /// come from the lock's push record (`build --push --record`), or, for older records, from the commit.
    ///
    /// - Returns: the rebuilt image, pinned by its digest.
    /// - Throws: `RunsError` for rendering, building or pushing failures (64 bad input, 69 missing
    ///   builder, 1 otherwise).
    func rebuildImage(
        _ env: LockedEnvironment, plan: ReproducePlan, projectDirectory: String, workspace: String
    ) async throws -> RunRecord.ImageStamp {
        guard let target = plan.rebuildTarget else {
            throw RunsError(.internal, "rebuild without a target")
        }
        do {
            return try await rebuild(env, plan: plan, target: target, projectDirectory: projectDirectory, workspace: workspace)
        } catch let e as ImageBuildError {
            let kind: RunsError.Kind = e.code == .missingTool ? .missingTool : e.code == .badInput ? .badInput : .failure
            throw RunsError(kind, "--rebuild: \(e.step) failed: \(e.message)", hint: e.hint)
        }
    }

    private func rebuild(
        _ env: LockedEnvironment, plan: ReproducePlan, target: String, projectDirectory: String, workspace: String
    ) async throws -> RunRecord.ImageStamp {
        let recorded = env.pushed?.build
        let inputs: SourceInfo
        if let recorded {
            inputs = SourceInfo(revision: recorded.revision, source: recorded.source, sourceDateEpoch: recorded.sourceDateEpoch)
        } else {
            let here = SourceInfo.detect(in: workspace)
            inputs = SourceInfo(revision: plan.commit.id, source: here.source, sourceDateEpoch: Int(plan.commit.time))
            if env.pushed != nil {
                RunsPresentation.stderr(
                    "note: the lock at \(plan.commit.shortID) does not record the revision and SOURCE_DATE_EPOCH its image was built with "
                        + "(only `envctl build --push --record` does); using \(plan.commit.shortID) and its commit time, so the labels, "
                        + "and with them the digest, may differ")
            }
        }

        // Templates: the built-ins, with the commit's own .envctl/templates laid over them.
        let overrides = (projectDirectory as NSString).appendingPathComponent(".envctl/templates")
        let dockerfile: String
        do {
            let templates = try TemplateSet.builtin(
                overlaidWith: FileManager.default.fileExists(atPath: overrides) ? overrides : nil)
            dockerfile = try DockerfileRenderer(templates: templates).render(
                env, inputs: RenderInputs(revision: inputs.revision, source: inputs.source, sourceDateEpoch: inputs.sourceDateEpoch))
        } catch {
            throw RunsError(.badInput, "--rebuild: cannot render the Dockerfile for '\(env.name)' at \(plan.commit.shortID): \(error)")
        }

        let runner = ToolRunner()
        let args = try builderOptions.buildArguments(for: env)
        let publisher = try builderOptions.publisher(for: target)
        let builder = try builderOptions.locateBuilder(runner: runner)
        // The Dockerfile and OCI layout go to a scratch directory: the tree is mounted into the run afterwards
        // and must stay exactly the commit's.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "envctl-rebuild-\(plan.commit.shortID)-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let request = BuildRequest(
            dockerfile: dockerfile, contextDirectory: projectDirectory,
            localTag: "localhost/envctl/\(env.name):\(env.contentTag)", buildArgs: args,
            sourceDateEpoch: inputs.sourceDateEpoch, ociLayout: scratch + "/oci", ociRefName: env.contentTag,
            dockerfileDirectory: scratch)
        RunsPresentation.stderr(
            "envctl: rebuilding \(env.name) from the lock at \(plan.commit.shortID) with \(builder.kind.rawValue) "
                + "(revision \(inputs.revision.map { String($0.prefix(12)) } ?? "none"), SOURCE_DATE_EPOCH=\(inputs.sourceDateEpoch))")
        let result = try builder.build(request) { line in RunsPresentation.stderr(line) }
        let digest = try await publisher.push(layout: result.ociLayout, refName: result.ociRefName, to: target)
        RunsPresentation.stderr("envctl: pushed \(target)@\(digest)")
        RunsPresentation.stderr(Self.comparison(rebuilt: digest, recorded: env.pushed?.digest, commit: plan.commit.shortID))
        let repository = ImageRef.split(target).repository
        return .init(reference: "\(repository)@\(digest)", digest: digest, source: "rebuilt")
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

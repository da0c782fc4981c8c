package import EnvctlModel
package import EnvctlRuns
import Foundation
package import OCIRegistry

/// The `envctl job` use cases: deciding the image and plan from a workspace's lock.
package enum JobFlow {
    /// The image a cluster pulls: the lock's recorded push (`repo@sha256:…`), else the digest the content tag
    /// `<image>:<contentTag>` points to in its registry (asked only when there is no recorded push).
    package static func image(for env: LockedEnvironment, registry: (any ImageRegistry)?) async throws(RunsError)
        -> RunRecord.ImageStamp
    {
        if let pushed = env.pushed {
            guard ImageReference.isSHA256Digest(pushed.digest) else {
                throw RunsError(
                    .badInput,
                    "environment '\(env.name)' records pushed digest '\(pushed.digest.escapedForMessage)', which is not a sha256 digest"
                )
            }
            return .init(reference: pushed.pinnedReference, digest: pushed.digest, source: "pushed")
        }
        if let repo = env.image, let registry {
            let tagged = "\(repo):\(env.contentTag)"
            let digest = try await registry.resolveDigest(reference: tagged)
            return .init(reference: "\(repo)@\(digest)", digest: digest, source: "content-tag")
        }
        throw RunsError(
            .badInput, "environment '\(env.name)' has no pushed image in the lock, so a cluster has nothing to pull",
            hint: "run 'envctl build --push --record' (records the digest in envctl.lock)")
    }

    /// The plan for `env` of the workspace's lock.
    package static func plan(
        workspace: Workspace, environment name: String?, command: [String], options: JobPlan.Options,
        registry: (any ImageRegistry)?
    ) async throws -> (JobPlan, LockedEnvironment) {
        let lock = try workspace.loadLock()
        let env = try lock.selectEnvironment(name, file: workspace.lockPath)
        let image = try await image(for: env, registry: registry)
        let plan = try JobPlan.make(
            lock: lock, environment: env, image: image, commit: workspace.gitStamp()?.commit, command: command,
            options: options)
        return (plan, env)
    }
}

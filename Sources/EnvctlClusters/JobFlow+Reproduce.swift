import EnvctlModel
package import EnvctlRuns
import Foundation
import GitSupport

extension JobFlow {
    /// The plan to submit a recorded job run again at `revision`: that commit's lock (environment, image digest,
    /// fleet GPUs, driver floor), the recorded command and shape (kind, nodes, GPUs per node, shm, namespace, node labels), and a
    /// new run id.
    package static func reproducePlan(_ record: RunRecord, at revision: String, reproducer: Reproducer)
        async throws(RunsError) -> JobPlan
    {
        guard let job = record.job, record.kind == .kubernetes else {
            throw RunsError(.badInput, "run \(record.id) was not a Kubernetes job")
        }
        let (commit, lock) = try reproducer.source.lock(at: revision)
        let env: LockedEnvironment
        do { env = try lock.selectEnvironment(record.environment) } catch {
            throw RunsError(.badInput, "at \(commit.shortID)", cause: error)
        }
        let image = try await image(for: env, registry: reproducer.registry)
        var options = JobPlan.Options()
        options.kind = JobKind(rawValue: job.workload) ?? .job
        options.nodes = job.nodes
        options.gpusPerNode = job.gpusPerNode
        options.shmSize = job.shmSize ?? options.shmSize
        options.namespace = job.namespace ?? options.namespace
        options.nodeLabels = job.nodeLabels.flatMap(NodeLabels.init(rawValue:)) ?? .gfd
        return try JobPlan.make(
            lock: lock, environment: env, image: image, commit: commit.id, command: record.command, options: options)
    }
}

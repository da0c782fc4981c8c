package import EnvctlModel
package import EnvctlRuns
package import Foundation
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

extension JobFlow {
    package struct KubernetesTarget: Sendable {
        package var kubeconfig: String
        package var context: String?

        package init(kubeconfig: String, context: String?) {
            self.kubeconfig = kubeconfig
            self.context = context
        }
    }

    /// The label a workload's controller puts on its pods.
    package static func podSelector(_ plan: JobPlan) -> String {
        switch plan.kind {
        case .job: "batch.kubernetes.io/job-name=\(plan.name)"
        case .pytorchjob: "training.kubeflow.org/job-name=\(plan.name)"
        case .jobset: "jobset.sigs.k8s.io/jobset-name=\(plan.name)"
        }
    }

    /// Submits the plan's manifests (Service before Job), records the run in `.envctl/runs`, and with `wait`
    /// follows the workload to its end while streaming rank 0's log through `output`. Returns the record and an exit
    /// status (0 when the workload succeeded or was not waited for).
    package static func submit(
        _ plan: JobPlan, to target: KubernetesTarget, workspace: Workspace, git: RunRecord.GitStamp?,
        command: [String], reproducedFrom: String? = nil, wait: Bool, timeout: Double, transport: any HTTPTransport,
        log: @escaping @Sendable (String) -> Void, output: @escaping @Sendable (Data) -> Void
    ) async throws -> (RunRecord, Int32) {
        let config = try Kubeconfig.load(path: target.kubeconfig)
        let resolved = try config.resolve(context: target.context)
        let credentials = try await KubernetesCredentials.make(resolved)
        let client = KubernetesClient(credentials: credentials, transport: transport)
        let documents = JobRenderer.render(plan)

        var uid: String?
        for document in documents {
            let created = try await client.create(document)
            if document["kind"]?.stringValue != "Service" { uid = created }
        }
        var record = RunRecord(
            id: plan.runID, kind: .kubernetes, startedAt: Date(), command: command, workspace: workspace.root, git: git,
            environment: plan.environment, lockHash: plan.lockHash,
            images: [.init(reference: plan.image, digest: plan.digest, source: "pushed")], runtime: nil, host: nil)
        record.reproducedFrom = reproducedFrom
        record.job = .init(
            cluster: resolved.clusterName, server: credentials.server.absoluteString, context: resolved.contextName,
            namespace: plan.namespace, name: plan.name, uid: uid, workload: plan.kind.rawValue, nodes: plan.nodes,
            gpusPerNode: plan.gpusPerNode, shmSize: plan.shmSize, state: "submitted",
            nodeLabels: plan.nodeLabels == .gfd ? nil : plan.nodeLabels.rawValue)
        let store = workspace.runs
        do { try store.save(record) } catch {
            throw RunsError(
                .failure, "cannot write run record \(store.path(for: record.id))", cause: FailureText("\(error)"))
        }
        log(
            "submitted \(plan.kind.rawValue) \(plan.namespace)/\(plan.name) (uid \(uid ?? "?")) to \(resolved.clusterName)"
        )
        guard wait else { return (record, 0) }

        // Rank 0's log streams while the workload runs, beside the watch; once the workload has ended, the
        // follower makes its last try (a finished container's log is still served) and stops.
        let main = documents.last!
        let finished = Flag()
        let follower = Task {
            await followRankZeroLog(client: client, plan: plan, finished: finished, output: output)
        }
        let state: String
        do {
            state = try await client.waitForCompletion(
                apiVersion: main["apiVersion"]!.stringValue!, kind: main["kind"]!.stringValue!,
                namespace: plan.namespace, name: plan.name, timeout: timeout, onEvent: { log("\(plan.name): \($0)") })
        } catch {
            follower.cancel()
            throw error
        }
        finished.set()
        await follower.value
        let code: Int32 = state == "Failed" ? 1 : 0
        record.job?.state = state
        record.exitCode = code
        record.endedAt = RunRecord.timestamp(Date())
        try? store.save(record)
        return (record, code)
    }
}

extension JobFlow {
    /// Follows the first (rank 0) pod's log until it ends. Until the pod exists and its container has started,
    /// the API server has no log to give (no pod, or HTTP 400 "waiting to start"): try again every
    /// `retryInterval` seconds, with one last try after the workload has finished. A stream that broke after
    /// some output is not started again (its lines would print twice).
    static func followRankZeroLog(
        client: KubernetesClient, plan: JobPlan, finished: Flag, retryInterval: Double = 2,
        output: @escaping @Sendable (Data) -> Void
    ) async {
        let delivered = Flag()
        while !Task.isCancelled {
            let last = finished.isSet
            if let pod = try? await client.pods(selector: podSelector(plan), namespace: plan.namespace).first {
                do {
                    try await client.followLog(pod: pod, namespace: plan.namespace) {
                        delivered.set()
                        output($0)
                    }
                    return
                } catch {
                    if delivered.isSet { return }
                }
            }
            if last { return }
            try? await Task.sleep(nanoseconds: UInt64(retryInterval * 1_000_000_000))
        }
    }
}

/// A flag set once, read from several tasks.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

struct FailureText: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

extension JobFlow {
    /// The CustomJob body for the workspace's lock (the plan's image, GPUs and labels).
    package static func vertexBody(workspace: Workspace, plan: JobPlan, machineType: String? = nil) throws
        -> ManifestValue
    {
        let lock = try workspace.loadLock()
        let (accelerator, machine) = try VertexCustomJob.machine(
            for: lock, gpusPerNode: plan.gpusPerNode, machineType: machineType)
        return VertexCustomJob.body(plan, accelerator: accelerator, machine: machine)
    }
}

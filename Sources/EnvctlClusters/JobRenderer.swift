import Foundation

/// Renders a `JobPlan` as Kubernetes manifests: a pure function of the plan, so the same plan always gives the
/// same bytes.
///
/// Every pod: the image by digest, `nvidia.com/gpu` limits, required node affinity on the GPU feature discovery
/// labels (`nvidia.com/gpu.product` In the fleet's products, `nvidia.com/cuda.driver.major` Gt the floor minus
/// one) or, with `NodeLabels.gke`, on GKE's `cloud.google.com/gke-accelerator` In the fleet's accelerator types,
/// an in-memory `emptyDir` at `/dev/shm` (what `--ipc=host`/`--shm-size` do for `docker run`), and labels and
/// annotations carrying the lineage. Several nodes get the torchrun rendezvous environment (`PET_*`, read by
/// `torchrun` for its flags, and `MASTER_ADDR`/`MASTER_PORT`).
package enum JobRenderer {
    package static let labelPrefix = "envctl.dev/"

    package static func render(_ plan: JobPlan) -> [ManifestValue] {
        switch plan.kind {
        case .job: return plan.nodes > 1 ? [service(plan), job(plan)] : [job(plan)]
        case .pytorchjob: return [pytorchJob(plan)]
        case .jobset: return [jobSet(plan)]
        }
    }

    /// The name torchrun's node 0 is reached under.
    package static func masterAddress(_ plan: JobPlan) -> String {
        switch plan.kind {
        case .job: "\(plan.name)-0.\(plan.name)"
        case .jobset: "\(plan.name)-node-0-0.\(plan.name)"
        case .pytorchjob: "\(plan.name)-master-0"
        }
    }

    // MARK: Metadata

    static func labels(_ plan: JobPlan) -> [(String, ManifestValue)] {
        var l: [(String, ManifestValue)] = [
            ("app.kubernetes.io/managed-by", .string("envctl")),
            (labelPrefix + "environment", .string(Labels.value(plan.environment))),
            (
                labelPrefix + "lock-hash",
                .string(Labels.value(plan.lockHash.replacingOccurrences(of: "sha256:", with: "")))
            ),
            (labelPrefix + "run-id", .string(Labels.value(plan.runID))),
        ]
        if let commit = plan.commit { l.append((labelPrefix + "commit", .string(Labels.value(commit)))) }
        return l
    }

    static func annotations(_ plan: JobPlan) -> [(String, ManifestValue)] {
        var a: [(String, ManifestValue)] = [
            (labelPrefix + "environment", .string(plan.environment)),
            (labelPrefix + "image", .string(plan.image)),
            (labelPrefix + "lock-hash", .string(plan.lockHash)),
            (labelPrefix + "run-id", .string(plan.runID)),
        ]
        if let commit = plan.commit { a.append((labelPrefix + "commit", .string(commit))) }
        return a
    }

    static func metadata(_ plan: JobPlan, name: String? = nil) -> ManifestValue {
        .object([
            ("name", .string(name ?? plan.name)), ("namespace", .string(plan.namespace)),
            ("labels", .object(labels(plan))), ("annotations", .object(annotations(plan))),
        ])
    }

    // MARK: Pod

    static func affinity(_ plan: JobPlan) -> ManifestValue {
        func isIn(_ key: String, _ values: [String]) -> ManifestValue {
            .object([
                ("key", .string(key)), ("operator", .string("In")), ("values", .array(values.map { .string($0) })),
            ])
        }
        var expressions: [ManifestValue]
        switch plan.nodeLabels {
        case .gfd: expressions = [isIn("nvidia.com/gpu.product", plan.gpuProducts)]
        case .gke: expressions = [isIn("cloud.google.com/gke-accelerator", plan.gkeAccelerators)]
        }
        if plan.nodeLabels == .gfd, let major = plan.driverMajor {
            expressions.append(
                .object([
                    ("key", .string("nvidia.com/cuda.driver.major")), ("operator", .string("Gt")),
                    ("values", .array([.string(String(major - 1))])),
                ]))
        }
        return .object([
            (
                "nodeAffinity",
                .object([
                    (
                        "requiredDuringSchedulingIgnoredDuringExecution",
                        .object([("nodeSelectorTerms", .array([.object([("matchExpressions", .array(expressions))])]))])
                    )
                ])
            )
        ])
    }

    static func env(_ plan: JobPlan, rank: ManifestValue?) -> [ManifestValue] {
        func v(_ name: String, _ value: String) -> ManifestValue {
            .object([("name", .string(name)), ("value", .string(value))])
        }
        var e: [ManifestValue] = [
            v("ENVCTL_RUN_ID", plan.runID), v("ENVCTL_LOCK_HASH", plan.lockHash),
        ]
        if let commit = plan.commit { e.append(v("ENVCTL_GIT_COMMIT", commit)) }
        guard plan.nodes > 1 || plan.kind == .pytorchjob else { return e }
        if plan.kind != .pytorchjob {
            // The Training Operator sets these itself for a PyTorchJob.
            e += [
                v("MASTER_ADDR", masterAddress(plan)), v("MASTER_PORT", String(plan.port)),
                v("PET_MASTER_ADDR", masterAddress(plan)), v("PET_MASTER_PORT", String(plan.port)),
                v("PET_NNODES", String(plan.nodes)),
            ]
        }
        e.append(v("PET_NPROC_PER_NODE", String(plan.gpusPerNode)))
        if let rank { e.append(.object([("name", .string("PET_NODE_RANK")), ("valueFrom", rank)])) }
        return e
    }

    /// The index of an indexed Job's pod, as the Job controller annotates it.
    static let completionIndex: ManifestValue = .object([
        (
            "fieldRef",
            .object([("fieldPath", .string("metadata.annotations['batch.kubernetes.io/job-completion-index']"))])
        )
    ])

    static func container(_ plan: JobPlan, name: String, rank: ManifestValue?) -> ManifestValue {
        .object([
            ("name", .string(name)),
            ("image", .string(plan.image)),
            ("command", .array(plan.command.map { .string($0) })),
            ("env", .array(env(plan, rank: rank))),
            (
                "ports",
                .array(
                    plan.nodes > 1 || plan.kind == .pytorchjob
                        ? [.object([("name", .string("rendezvous")), ("containerPort", .int(plan.port))])] : [])
            ),
            ("resources", .object([("limits", .object([("nvidia.com/gpu", .string(String(plan.gpusPerNode)))]))])),
            ("volumeMounts", .array([.object([("name", .string("dshm")), ("mountPath", .string("/dev/shm"))])])),
        ])
    }

    static func podTemplate(
        _ plan: JobPlan, containerName: String = "train", rank: ManifestValue?, subdomain: String? = nil
    ) -> ManifestValue {
        var spec: [(String, ManifestValue)] = [("restartPolicy", .string("Never"))]
        if let subdomain { spec.append(("subdomain", .string(subdomain))) }
        spec += [
            ("affinity", affinity(plan)),
            ("containers", .array([container(plan, name: containerName, rank: rank)])),
            (
                "volumes",
                .array([
                    .object([
                        ("name", .string("dshm")),
                        ("emptyDir", .object([("medium", .string("Memory")), ("sizeLimit", .string(plan.shmSize))])),
                    ])
                ])
            ),
        ]
        return .object([
            ("metadata", .object([("labels", .object(labels(plan))), ("annotations", .object(annotations(plan)))])),
            ("spec", .object(spec)),
        ])
    }

    // MARK: Kinds

    static func jobSpec(_ plan: JobPlan, subdomain: String?) -> ManifestValue {
        var spec: [(String, ManifestValue)] = [("backoffLimit", .int(0))]
        if plan.nodes > 1 {
            spec += [
                ("completionMode", .string("Indexed")), ("completions", .int(plan.nodes)),
                ("parallelism", .int(plan.nodes)),
            ]
        }
        spec.append(
            ("template", podTemplate(plan, rank: plan.nodes > 1 ? completionIndex : nil, subdomain: subdomain)))
        return .object(spec)
    }

    static func job(_ plan: JobPlan) -> ManifestValue {
        .object([
            ("apiVersion", .string("batch/v1")), ("kind", .string("Job")), ("metadata", metadata(plan)),
            ("spec", jobSpec(plan, subdomain: plan.nodes > 1 ? plan.name : nil)),
        ])
    }

    /// The headless Service that gives each indexed pod the DNS name `<job>-<index>.<job>`.
    static func service(_ plan: JobPlan) -> ManifestValue {
        .object([
            ("apiVersion", .string("v1")), ("kind", .string("Service")), ("metadata", metadata(plan)),
            (
                "spec",
                .object([
                    ("clusterIP", .string("None")),
                    ("publishNotReadyAddresses", .bool(true)),
                    ("selector", .object([("batch.kubernetes.io/job-name", .string(plan.name))])),
                    (
                        "ports",
                        .array([.object([("name", .string("rendezvous")), ("port", .int(plan.port))])])
                    ),
                ])
            ),
        ])
    }

    static func pytorchJob(_ plan: JobPlan) -> ManifestValue {
        func replica(_ count: Int) -> ManifestValue {
            .object([
                ("replicas", .int(count)), ("restartPolicy", .string("Never")),
                ("template", podTemplate(plan, containerName: "pytorch", rank: nil)),
            ])
        }
        var replicas: [(String, ManifestValue)] = [("Master", replica(1))]
        if plan.nodes > 1 { replicas.append(("Worker", replica(plan.nodes - 1))) }
        return .object([
            ("apiVersion", .string("kubeflow.org/v1")), ("kind", .string("PyTorchJob")), ("metadata", metadata(plan)),
            (
                "spec",
                .object([
                    ("nprocPerNode", .string(String(plan.gpusPerNode))),
                    ("runPolicy", .object([("backoffLimit", .int(0))])),
                    ("pytorchReplicaSpecs", .object(replicas)),
                ])
            ),
        ])
    }

    static func jobSet(_ plan: JobPlan) -> ManifestValue {
        .object([
            ("apiVersion", .string("jobset.x-k8s.io/v1alpha2")), ("kind", .string("JobSet")),
            ("metadata", metadata(plan)),
            (
                "spec",
                .object([
                    ("failurePolicy", .object([("maxRestarts", .int(0))])),
                    ("network", .object([("enableDNSHostnames", .bool(true)), ("subdomain", .string(plan.name))])),
                    (
                        "replicatedJobs",
                        .array([
                            .object([
                                ("name", .string("node")), ("replicas", .int(1)),
                                ("template", .object([("spec", jobSpec(plan, subdomain: nil))])),
                            ])
                        ])
                    ),
                ])
            ),
        ])
    }
}

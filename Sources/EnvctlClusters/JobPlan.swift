package import EnvctlModel
package import EnvctlRuns
import Foundation
import OCIRegistry

/// The workload kinds `envctl job` writes.
package enum JobKind: String, Sendable, Hashable, CaseIterable {
    /// `batch/v1` Job; with several nodes an indexed Job plus a headless Service (the default: it needs no
    /// controller beyond Kubernetes itself).
    case job
    /// Kubeflow Training Operator v1 `kubeflow.org/v1` PyTorchJob.
    case pytorchjob
    /// `jobset.x-k8s.io/v1alpha2` JobSet (kubernetes-sigs/jobset).
    case jobset
}

/// Which node labels pick the GPU nodes.
package enum NodeLabels: String, Sendable, Hashable, CaseIterable {
    /// NVIDIA GPU feature discovery (part of the GPU Operator): `nvidia.com/gpu.product` and
    /// `nvidia.com/cuda.driver.major`, so the driver floor is enforced.
    case gfd
    /// GKE's own `cloud.google.com/gke-accelerator` (GKE-installed drivers, no GPU Operator). GKE puts no driver
    /// version on its nodes (`cloud.google.com/gke-gpu-driver-version` says `default`, `latest` or `disabled`), so
    /// the driver floor cannot be enforced by label.
    case gke
}

/// Everything a manifest needs, decided from the lock and the flags; rendering is then a pure function.
package struct JobPlan: Sendable, Hashable {
    package var name: String
    package var namespace: String
    package var kind: JobKind
    package var nodes: Int
    package var gpusPerNode: Int
    package var shmSize: String
    package var command: [String]
    /// `repo@sha256:…`
    package var image: String
    package var digest: String
    package var environment: String
    package var lockHash: String
    package var commit: String?
    package var runID: String
    /// GFD `nvidia.com/gpu.product` values any of which a node must carry.
    package var gpuProducts: [String]
    /// GKE `cloud.google.com/gke-accelerator` values any of which a node must carry (with `nodeLabels: .gke`).
    package var gkeAccelerators: [String] = []
    /// The labels the node affinity uses.
    package var nodeLabels: NodeLabels = .gfd
    /// The lock's driver floor (`env.driver.minimum`) as a major version; nodes need at least it.
    package var driverMajor: Int?
    /// The torchrun rendezvous port.
    package var port: Int = 29500

    package struct Options: Sendable, Hashable {
        package var kind: JobKind = .job
        package var nodes: Int = 1
        package var gpusPerNode: Int?
        package var shmSize: String = "16Gi"
        package var namespace: String = "default"
        package var name: String?
        package var runID: String?
        package var nodeLabels: NodeLabels = .gfd

        package init() {}
    }

    /// Decides the plan: GPUs from the lock's fleet, the driver floor from the environment, the image by digest.
    package static func make(
        lock: Lockfile, environment env: LockedEnvironment, image: RunRecord.ImageStamp, commit: String?,
        command: [String], options: Options
    ) throws(RunsError) -> JobPlan {
        guard !command.isEmpty else {
            throw RunsError(
                .badInput, "no command to run", hint: "put it after --: envctl job render -- torchrun train.py")
        }
        guard options.nodes >= 1 else { throw RunsError(.badInput, "--nodes must be at least 1") }
        guard let digest = image.digest, ImageReference.isDigestPinned(image.reference) else {
            throw RunsError(
                .badInput,
                "environment '\(env.name)' has no image digest a cluster can pull (\(image.reference) is \(image.source))",
                hint: "run 'envctl build --push' (records the digest in envctl.lock)")
        }
        let gpus = lock.fleet?.gpus ?? []
        guard !gpus.isEmpty else {
            throw RunsError(
                .badInput, "the lock names no fleet GPU, so envctl cannot choose nodes for '\(env.name)'",
                hint: "add the GPUs to the spec's fleet (fleet: {gpus: [h100]}) and run 'envctl lock'")
        }
        var products: [String] = []
        var gke: [String] = []
        for gpu in gpus {
            guard let (_, boards) = GPUProduct.select(gpu.name) else {
                let known = GPUProduct.table.map(\.id).joined(separator: ", ")
                throw RunsError(
                    .badInput,
                    "fleet GPU '\(gpu.name.escapedForMessage)' has no known NVIDIA GPU feature discovery product name",
                    hint: "name a product the scheduler can match (\(known)) in the spec's fleet")
            }
            for board in boards {
                if !products.contains(board.gfdProduct) { products.append(board.gfdProduct) }
                for a in board.gkeAccelerators where !gke.contains(a) { gke.append(a) }
            }
        }
        if options.nodeLabels == .gke && gke.isEmpty {
            let offered = GPUProduct.table.filter { $0.boards.contains { !$0.gkeAccelerators.isEmpty } }.map(\.id)
            throw RunsError(
                .badInput,
                "no fleet GPU of the lock (\(gpus.map(\.name).joined(separator: ", ").escapedForMessage)) is a GKE accelerator, so --node-labels gke selects no node",
                hint:
                    "GKE offers \(offered.joined(separator: ", ")); elsewhere use --node-labels gfd (the GPU Operator)")
        }
        let gpusPerNode = options.gpusPerNode ?? 1
        guard gpusPerNode >= 1 else { throw RunsError(.badInput, "--gpus-per-node must be at least 1") }
        guard Self.isQuantity(options.shmSize) else {
            throw RunsError(
                .badInput, "--shm-size '\(options.shmSize.escapedForMessage)' is not a Kubernetes quantity (e.g. 16Gi)")
        }
        let driverMajor = env.driver.minimum.flatMap { Int($0.split(separator: ".").first ?? "") }
        let runID = options.runID ?? RunRecord.newID()
        let name = options.name ?? Labels.dnsLabel("envctl-\(env.name)-\(runID)", limit: 52)
        guard Labels.isDNSLabel(name), name.count <= 52 else {
            throw RunsError(
                .badInput, "--name '\(name.escapedForMessage)' is not a DNS label of at most 52 characters")
        }
        guard Labels.isDNSLabel(options.namespace) else {
            throw RunsError(.badInput, "--namespace '\(options.namespace.escapedForMessage)' is not a DNS label")
        }
        return JobPlan(
            name: name, namespace: options.namespace, kind: options.kind, nodes: options.nodes,
            gpusPerNode: gpusPerNode, shmSize: options.shmSize, command: command, image: image.reference,
            digest: digest, environment: env.name, lockHash: env.hash, commit: commit, runID: runID,
            gpuProducts: products, gkeAccelerators: gke, nodeLabels: options.nodeLabels, driverMajor: driverMajor)
    }

    /// The driver floor the node labels cannot enforce (GKE labels carry no driver version), for a note.
    package var unenforcedDriverMajor: Int? { nodeLabels == .gke ? driverMajor : nil }

    static func isQuantity(_ s: String) -> Bool {
        s.range(of: #"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"#, options: .regularExpression) != nil
    }
}

extension ImageReference {
    static func isDigestPinned(_ reference: String) -> Bool {
        components(of: reference).digest.map(isSHA256Digest) ?? false
    }
}

/// Kubernetes naming rules for names, label keys and values.
package enum Labels {
    /// A label value: at most 63 of `[A-Za-z0-9._-]`, starting and ending alphanumeric (or empty).
    package static func value(_ s: String) -> String {
        var v = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(63))
        while let c = v.first, !(c.isLetter || c.isNumber) { v.removeFirst() }
        while let c = v.last, !(c.isLetter || c.isNumber) { v.removeLast() }
        return v
    }

    /// An RFC 1123 DNS label: lowercase alphanumerics and '-', starting and ending alphanumeric.
    package static func dnsLabel(_ s: String, limit: Int = 63) -> String {
        var v = String(s.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(limit))
        while v.first == "-" { v.removeFirst() }
        while v.last == "-" { v.removeLast() }
        return v.isEmpty ? "envctl" : v
    }

    package static func isDNSLabel(_ s: String) -> Bool {
        s.count <= 63 && s.range(of: #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#, options: .regularExpression) != nil
    }
}

import EnvctlModel

/// How a GPU from the lock's fleet is named by the schedulers envctl targets, one row per board, each with its
/// sources and a confidence.
///
/// - Kubernetes with the NVIDIA GPU Operator: GPU feature discovery (GFD) labels each node
///   `nvidia.com/gpu.product=<NVML device name>`, sanitised: characters outside `[A-Za-z0-9-_. ]` dropped and runs
///   of spaces joined with `-`; `-SHARED` is appended when time-slicing or MPS replicates the GPU without renaming
///   the resource (k8s-device-plugin `internal/lm/resource.go`, `getProductName`/`sanitise`). The NVML name is what
///   `nvidia-smi --query-gpu=name` prints.
/// - GKE without the GPU Operator: GKE labels GPU nodes `cloud.google.com/gke-accelerator=<accelerator type>`
///   (`nvidia-tesla-t4`, `nvidia-a100-80gb`, …; the GKE "Run GPUs in Standard node pools" page).
/// - Vertex AI: the `acceleratorType` enum of the REST `MachineSpec` (also the `AcceleratorType` enum of the
///   google-cloud-aiplatform client, checked in VertexClientCaptureTests) and the machine types that carry each
///   (`VertexMachine.table`).
///
/// Confidence: `high` when the value is in the vendor's own documentation or code; `medium` when it follows from
/// the vendor's rule and was seen on real nodes in public cluster listings, or when a vendor page ties the family
/// and another the name; `low` when it follows from the rule alone (expected NVML name, never seen as a label).
/// Read 2026-12.
package enum GPUSource {
    package static let gfdRule = "https://github.com/NVIDIA/k8s-device-plugin/blob/main/internal/lm/resource.go"
    package static let gpuOperatorSharing =
        "https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-sharing.html"
    package static let gkeGPUs = "https://cloud.google.com/kubernetes-engine/docs/how-to/gpus"
    package static let computeGPUs = "https://cloud.google.com/compute/docs/gpus"
    package static let computeAccelerator = "https://cloud.google.com/compute/docs/accelerator-optimized-machines"
    package static let vertexMachineSpec =
        "https://cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec#acceleratortype"
    package static let vertexConfigureCompute = "https://cloud.google.com/vertex-ai/docs/training/configure-compute"
    package static let vertexTrainingClusters =
        "https://cloud.google.com/vertex-ai/docs/training/training-clusters/compute-resources"
}

/// How sure a table row is (see `GPUSource`).
package enum Confidence: String, Sendable, Hashable {
    case high, medium, low
}

/// One GPU board: its GFD product label, and the GKE and Vertex names for it where those clouds offer it.
package struct GPUBoard: Sendable, Hashable {
    /// GFD `nvidia.com/gpu.product` value.
    package var gfdProduct: String
    /// GKE `cloud.google.com/gke-accelerator` values of nodes with this board.
    package var gkeAccelerators: [String]
    /// Vertex AI `acceleratorType` values for this board, the default first.
    package var vertexAccelerators: [String]
    package var confidence: Confidence
    package var sources: [String]
    package var note: String

    init(
        _ gfdProduct: String, gke: [String] = [], vertex: [String] = [], _ confidence: Confidence,
        sources: [String], note: String
    ) {
        self.gfdProduct = gfdProduct
        self.gkeAccelerators = gke
        self.vertexAccelerators = vertex
        self.confidence = confidence
        self.sources = sources
        self.note = note
    }
}

package struct GPUProduct: Sendable, Hashable {
    /// envctl's GPU id (knowledge/builtin.yaml `gpus:` name).
    package var id: String
    /// The boards of this GPU; a fleet naming the id accepts every one of them.
    package var boards: [GPUBoard]

    /// GFD `nvidia.com/gpu.product` values.
    package var gfdProducts: [String] { boards.map(\.gfdProduct) }

    private static let observed = "sanitised NVML name; seen as a node label in public cluster listings"
    private static let ruleOnly = "sanitised NVML name by GFD's rule; not seen as a node label"

    package static let table: [GPUProduct] = [
        .init(
            id: "t4",
            boards: [
                .init(
                    "Tesla-T4", gke: ["nvidia-tesla-t4"], vertex: ["NVIDIA_TESLA_T4"], .high,
                    sources: [
                        GPUSource.gfdRule, GPUSource.gpuOperatorSharing, GPUSource.gkeGPUs,
                        GPUSource.vertexMachineSpec,
                    ],
                    note: "NVML 'Tesla T4'; NVIDIA's GPU Operator docs select nodes by this label")
            ]),
        .init(
            id: "v100",
            boards: [
                .init(
                    "Tesla-V100-SXM2-16GB", gke: ["nvidia-tesla-v100"], vertex: ["NVIDIA_TESLA_V100"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.computeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + "; Google Cloud's V100 is taken to be this board (its pages do not say which)"),
                .init("Tesla-V100-SXM2-32GB", .medium, sources: [GPUSource.gfdRule], note: observed),
                .init("Tesla-V100-PCIE-16GB", .medium, sources: [GPUSource.gfdRule], note: observed),
                .init("Tesla-V100-PCIE-32GB", .medium, sources: [GPUSource.gfdRule], note: observed),
            ]),
        .init(
            id: "p100",
            boards: [
                .init(
                    "Tesla-P100-PCIE-16GB", gke: ["nvidia-tesla-p100"], vertex: ["NVIDIA_TESLA_P100"], .low,
                    sources: [GPUSource.gfdRule, GPUSource.computeGPUs, GPUSource.vertexMachineSpec],
                    note: ruleOnly + "; Google Cloud's P100 is taken to be this board (its pages do not say which)"),
                .init("Tesla-P100-PCIE-12GB", .medium, sources: [GPUSource.gfdRule], note: observed),
                .init("Tesla-P100-SXM2-16GB", .low, sources: [GPUSource.gfdRule], note: ruleOnly),
            ]),
        .init(
            id: "a100",
            boards: [
                .init(
                    "NVIDIA-A100-SXM4-40GB", gke: ["nvidia-tesla-a100"], vertex: ["NVIDIA_TESLA_A100"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + "; GKE: A100 40GB is nvidia-tesla-a100 on A2 Standard"),
                .init(
                    "NVIDIA-A100-SXM4-80GB", gke: ["nvidia-a100-80gb"], vertex: ["NVIDIA_A100_80GB"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + "; GKE: A100 80GB is nvidia-a100-80gb on A2 Ultra"),
                .init("NVIDIA-A100-PCIE-40GB", .medium, sources: [GPUSource.gfdRule], note: observed),
                .init("NVIDIA-A100-80GB-PCIe", .medium, sources: [GPUSource.gfdRule], note: observed),
            ]),
        .init(
            id: "a10g",
            boards: [.init("NVIDIA-A10G", .medium, sources: [GPUSource.gfdRule], note: observed + " (AWS G5)")]),
        .init(id: "a10", boards: [.init("NVIDIA-A10", .medium, sources: [GPUSource.gfdRule], note: observed)]),
        .init(id: "a30", boards: [.init("NVIDIA-A30", .medium, sources: [GPUSource.gfdRule], note: observed)]),
        .init(id: "a40", boards: [.init("NVIDIA-A40", .medium, sources: [GPUSource.gfdRule], note: observed)]),
        .init(
            id: "l4",
            boards: [
                .init(
                    "NVIDIA-L4", gke: ["nvidia-l4"], vertex: ["NVIDIA_L4"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + "; GKE: nvidia-l4 on G2")
            ]),
        .init(id: "l40s", boards: [.init("NVIDIA-L40S", .medium, sources: [GPUSource.gfdRule], note: observed)]),
        .init(
            id: "h100",
            boards: [
                .init(
                    "NVIDIA-H100-80GB-HBM3", gke: ["nvidia-h100-80gb", "nvidia-h100-mega-80gb"],
                    vertex: ["NVIDIA_H100_80GB", "NVIDIA_H100_MEGA_80GB"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed
                        + "; GKE: nvidia-h100-80gb on A3 High, nvidia-h100-mega-80gb on A3 Mega (the same SXM board)"),
                .init("NVIDIA-H100-PCIe", .medium, sources: [GPUSource.gfdRule], note: observed),
                .init("NVIDIA-H100-NVL", .medium, sources: [GPUSource.gfdRule], note: observed),
            ]),
        .init(
            id: "h200",
            boards: [
                .init(
                    "NVIDIA-H200", gke: ["nvidia-h200-141gb"], vertex: ["NVIDIA_H200_141GB"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + " (NVML 'NVIDIA H200', the SXM board); GKE: nvidia-h200-141gb on A3 Ultra"),
                .init("NVIDIA-H200-NVL", .low, sources: [GPUSource.gfdRule], note: ruleOnly),
            ]),
        .init(
            id: "b200",
            boards: [
                .init(
                    "NVIDIA-B200", gke: ["nvidia-b200"], vertex: ["NVIDIA_B200"], .medium,
                    sources: [GPUSource.gfdRule, GPUSource.gkeGPUs, GPUSource.vertexMachineSpec],
                    note: observed + "; GKE: nvidia-b200 on A4")
            ]),
    ]

    /// `A100`, `NVIDIA A100`, `a100` → `a100` (the knowledge base's normalisation: lowercase letters and digits,
    /// no nvidia/tesla/geforce prefix).
    package static func normalise(_ name: String) -> String {
        var s = String(name.lowercased().filter { ($0.isLetter || $0.isNumber) && $0.isASCII })
        for prefix in ["nvidia", "tesla", "geforce"] where s.hasPrefix(prefix) { s.removeFirst(prefix.count) }
        return s
    }

    /// The product for a fleet GPU as the spec wrote it, matching the id or a GFD product name.
    package static func lookup(_ name: String) -> GPUProduct? {
        select(name)?.product
    }

    /// The boards a fleet GPU stands for: every board of the product when the spec names the id (`a100`), the one
    /// board when it names a GFD product (`A100-SXM4-80GB`, `NVIDIA A100-SXM4-80GB`).
    package static func select(_ name: String) -> (product: GPUProduct, boards: [GPUBoard])? {
        let n = normalise(name)
        if let product = table.first(where: { $0.id == n }) { return (product, product.boards) }
        for product in table {
            if let board = product.boards.first(where: { normalise($0.gfdProduct) == n }) { return (product, [board]) }
        }
        return nil
    }
}

/// A Vertex AI machine type and the GPUs it carries.
package struct VertexMachine: Sendable, Hashable {
    package var machineType: String
    package var accelerator: String
    package var count: Int
    package var confidence: Confidence
    package var sources: [String]
    package var note: String

    init(_ machineType: String, _ accelerator: String, _ count: Int, _ confidence: Confidence, _ note: String) {
        self.machineType = machineType
        self.accelerator = accelerator
        self.count = count
        self.confidence = confidence
        self.note = note
        self.sources = [GPUSource.vertexConfigureCompute, GPUSource.computeGPUs, GPUSource.computeAccelerator]
    }

    private static let n1 =
        "N1 takes this GPU in this count; envctl gives 4 vCPUs per GPU, within N1's vCPU limit for every N1 GPU"
    private static let fixed = "fixed GPU count of the machine type (Compute Engine machine tables)"

    /// Machine types per accelerator, smallest first: envctl takes the first row with the accelerator and count.
    package static let table: [VertexMachine] = [
        .init("n1-standard-4", "NVIDIA_TESLA_T4", 1, .medium, n1),
        .init("n1-standard-8", "NVIDIA_TESLA_T4", 2, .medium, n1),
        .init("n1-standard-16", "NVIDIA_TESLA_T4", 4, .medium, n1),
        .init("n1-standard-4", "NVIDIA_TESLA_V100", 1, .medium, n1),
        .init("n1-standard-8", "NVIDIA_TESLA_V100", 2, .medium, n1),
        .init("n1-standard-16", "NVIDIA_TESLA_V100", 4, .medium, n1),
        .init("n1-standard-32", "NVIDIA_TESLA_V100", 8, .medium, n1),
        .init("n1-standard-4", "NVIDIA_TESLA_P100", 1, .medium, n1),
        .init("n1-standard-8", "NVIDIA_TESLA_P100", 2, .medium, n1),
        .init("n1-standard-16", "NVIDIA_TESLA_P100", 4, .medium, n1),
        .init("g2-standard-4", "NVIDIA_L4", 1, .high, "the smallest G2; Compute Engine's GPU table: 1 L4"),
        .init("g2-standard-24", "NVIDIA_L4", 2, .medium, fixed),
        .init("g2-standard-48", "NVIDIA_L4", 4, .medium, fixed),
        .init("g2-standard-96", "NVIDIA_L4", 8, .medium, fixed),
        .init("a2-highgpu-1g", "NVIDIA_TESLA_A100", 1, .medium, "A2 Standard, A100 40GB; " + fixed),
        .init("a2-highgpu-2g", "NVIDIA_TESLA_A100", 2, .medium, "A2 Standard, A100 40GB; " + fixed),
        .init("a2-highgpu-4g", "NVIDIA_TESLA_A100", 4, .medium, "A2 Standard, A100 40GB; " + fixed),
        .init("a2-highgpu-8g", "NVIDIA_TESLA_A100", 8, .medium, "A2 Standard, A100 40GB; " + fixed),
        .init("a2-megagpu-16g", "NVIDIA_TESLA_A100", 16, .medium, "A2 Standard, A100 40GB; " + fixed),
        .init("a2-ultragpu-1g", "NVIDIA_A100_80GB", 1, .medium, "A2 Ultra, A100 80GB; " + fixed),
        .init("a2-ultragpu-2g", "NVIDIA_A100_80GB", 2, .medium, "A2 Ultra, A100 80GB; " + fixed),
        .init("a2-ultragpu-4g", "NVIDIA_A100_80GB", 4, .medium, "A2 Ultra, A100 80GB; " + fixed),
        .init("a2-ultragpu-8g", "NVIDIA_A100_80GB", 8, .medium, "A2 Ultra, A100 80GB; " + fixed),
        .init(
            "a3-highgpu-1g", "NVIDIA_H100_80GB", 1, .low,
            "A3 High; Compute Engine offers the 1/2/4-GPU sizes only as Spot or Flex-start, not confirmed for Vertex"),
        .init("a3-highgpu-2g", "NVIDIA_H100_80GB", 2, .low, "as a3-highgpu-1g"),
        .init("a3-highgpu-4g", "NVIDIA_H100_80GB", 4, .low, "as a3-highgpu-1g"),
        .init(
            "a3-highgpu-8g", "NVIDIA_H100_80GB", 8, .high,
            "the Vertex MachineSpec reference: 'a3-highgpu-8g, which has 8 H100 GPUs'"),
        .init("a3-megagpu-8g", "NVIDIA_H100_MEGA_80GB", 8, .medium, "A3 Mega (listed for Vertex training clusters)"),
        .init("a3-ultragpu-8g", "NVIDIA_H200_141GB", 8, .medium, "A3 Ultra (listed for Vertex training clusters)"),
        .init("a4-highgpu-8g", "NVIDIA_B200", 8, .medium, "A4 (listed for Vertex training clusters)"),
    ]
}

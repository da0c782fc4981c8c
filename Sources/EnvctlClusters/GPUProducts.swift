import EnvctlModel

/// How a GPU from the lock's fleet is named by the schedulers envctl targets.
///
/// Kubernetes: NVIDIA GPU feature discovery (GFD, part of the GPU Operator) labels each node
/// `nvidia.com/gpu.product=<NVML device name with spaces replaced by '-'>` (gpu-feature-discovery README,
/// "Generated Labels"; the NVML names are what `nvidia-smi --query-gpu=name` prints). A product id in the lock
/// (`a100`) covers several boards, so node affinity accepts every name listed here.
///
/// Vertex AI: `acceleratorType` values from the `AcceleratorType` enum of the Vertex AI REST reference
/// (cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec#acceleratortype) and the machine families that
/// carry them (cloud.google.com/vertex-ai/docs/training/configure-compute#gpu-compatibility-table;
/// cloud.google.com/compute/docs/gpus). Read 2026-12; the machine type is the smallest of the family with the
/// requested GPU count.
package struct GPUProduct: Sendable, Hashable {
    /// envctl's GPU id (knowledge/builtin.yaml `gpus:` name).
    package var id: String
    /// GFD `nvidia.com/gpu.product` values.
    package var gfdProducts: [String]
    /// Vertex AI `acceleratorType`, when Vertex offers it.
    package var vertexAccelerator: String?
    /// Vertex machine type per GPU count.
    package var vertexMachines: [Int: String]

    package static let table: [GPUProduct] = [
        .init(
            id: "t4", gfdProducts: ["Tesla-T4"], vertexAccelerator: "NVIDIA_TESLA_T4",
            vertexMachines: [1: "n1-standard-8", 2: "n1-standard-16", 4: "n1-standard-32"]),
        .init(
            id: "v100",
            gfdProducts: [
                "Tesla-V100-SXM2-16GB", "Tesla-V100-SXM2-32GB", "Tesla-V100-PCIE-16GB", "Tesla-V100-PCIE-32GB",
            ],
            vertexAccelerator: "NVIDIA_TESLA_V100",
            vertexMachines: [1: "n1-standard-8", 2: "n1-standard-16", 4: "n1-standard-32", 8: "n1-standard-64"]),
        .init(
            id: "p100", gfdProducts: ["Tesla-P100-PCIE-16GB", "Tesla-P100-PCIE-12GB", "Tesla-P100-SXM2-16GB"],
            vertexAccelerator: "NVIDIA_TESLA_P100",
            vertexMachines: [1: "n1-standard-8", 2: "n1-standard-16", 4: "n1-standard-32"]),
        .init(
            id: "a100",
            gfdProducts: [
                "NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-PCIE-40GB", "NVIDIA-A100-80GB-PCIe",
            ],
            vertexAccelerator: "NVIDIA_TESLA_A100",
            vertexMachines: [
                1: "a2-highgpu-1g", 2: "a2-highgpu-2g", 4: "a2-highgpu-4g", 8: "a2-highgpu-8g", 16: "a2-megagpu-16g",
            ]),
        .init(
            id: "a10g", gfdProducts: ["NVIDIA-A10G"], vertexAccelerator: nil, vertexMachines: [:]),
        .init(id: "a10", gfdProducts: ["NVIDIA-A10"], vertexAccelerator: nil, vertexMachines: [:]),
        .init(id: "a30", gfdProducts: ["NVIDIA-A30"], vertexAccelerator: nil, vertexMachines: [:]),
        .init(id: "a40", gfdProducts: ["NVIDIA-A40"], vertexAccelerator: nil, vertexMachines: [:]),
        .init(
            id: "l4", gfdProducts: ["NVIDIA-L4"], vertexAccelerator: "NVIDIA_L4",
            vertexMachines: [1: "g2-standard-8", 2: "g2-standard-24", 4: "g2-standard-48", 8: "g2-standard-96"]),
        .init(id: "l40s", gfdProducts: ["NVIDIA-L40S"], vertexAccelerator: nil, vertexMachines: [:]),
        .init(
            id: "h100", gfdProducts: ["NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe", "NVIDIA-H100-NVL"],
            vertexAccelerator: "NVIDIA_H100_80GB",
            vertexMachines: [1: "a3-highgpu-1g", 2: "a3-highgpu-2g", 4: "a3-highgpu-4g", 8: "a3-highgpu-8g"]),
        .init(
            id: "h200", gfdProducts: ["NVIDIA-H200", "NVIDIA-H200-NVL"], vertexAccelerator: "NVIDIA_H200_141GB",
            vertexMachines: [8: "a3-ultragpu-8g"]),
        .init(
            id: "b200", gfdProducts: ["NVIDIA-B200"], vertexAccelerator: "NVIDIA_B200",
            vertexMachines: [8: "a4-highgpu-8g"]),
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
        let n = normalise(name)
        return table.first { $0.id == n } ?? table.first { $0.gfdProducts.contains { normalise($0) == n } }
    }
}

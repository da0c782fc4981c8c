import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// The sourced GPU tables (GFD products, GKE accelerators, Vertex machines) and the node selection they drive.
@Suite("GPU products and node selection")
struct GPUProductTests {
    /// The required node-affinity expressions of a rendered Job.
    func expressions(_ plan: JobPlan) throws -> [ManifestValue] {
        let job = try #require(JobRenderer.render(plan).last)
        let terms = job["spec"]?["template"]?["spec"]?["affinity"]?["nodeAffinity"]?[
            "requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]
        guard case .array(let t)? = terms, t.count == 1, case .array(let e)? = t[0]["matchExpressions"] else {
            Issue.record("no single node selector term")
            return []
        }
        return e
    }

    func values(_ expression: ManifestValue) -> [String] {
        guard case .array(let v)? = expression["values"] else { return [] }
        return v.compactMap(\.stringValue)
    }

    @Test func everyRowCitesASourceAndEveryLabelValueIsAValidLabelValue() {
        for product in GPUProduct.table {
            #expect(!product.boards.isEmpty, "\(product.id)")
            for board in product.boards {
                #expect(board.sources.contains(GPUSource.gfdRule), "\(board.gfdProduct)")
                #expect(board.sources.allSatisfy { $0.hasPrefix("https://") })
                #expect(!board.note.isEmpty)
                // GFD's sanitise: only [A-Za-z0-9-_.] survive, and a label value is at most 63 characters.
                #expect(Labels.value(board.gfdProduct) == board.gfdProduct, "\(board.gfdProduct)")
                for gke in board.gkeAccelerators { #expect(Labels.isDNSLabel(gke), "\(gke)") }
                if !board.gkeAccelerators.isEmpty || !board.vertexAccelerators.isEmpty {
                    #expect(board.sources.contains { $0.hasPrefix("https://cloud.google.com/") })
                }
            }
        }
        for machine in VertexMachine.table {
            #expect(!machine.sources.isEmpty && !machine.note.isEmpty, "\(machine.machineType)")
        }
    }

    /// The two Vertex tables agree: every accelerator a board names has a machine, and every machine's
    /// accelerator belongs to a board; each accelerator's rows are smallest first.
    @Test func vertexMachineTableAndBoardsAgree() {
        let named = Set(GPUProduct.table.flatMap { $0.boards.flatMap(\.vertexAccelerators) })
        let carried = Set(VertexMachine.table.map(\.accelerator))
        #expect(named == carried)
        for accelerator in carried {
            let counts = VertexMachine.table.filter { $0.accelerator == accelerator }.map(\.count)
            #expect(counts == counts.sorted() && Set(counts).count == counts.count, "\(accelerator): \(counts)")
        }
    }

    @Test func aFamilyIdSelectsEveryBoardAndAProductNameOnlyItsOwn() throws {
        let family = try #require(GPUProduct.select("a100"))
        #expect(family.product.id == "a100")
        #expect(
            family.boards.map(\.gfdProduct) == [
                "NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-PCIE-40GB", "NVIDIA-A100-80GB-PCIe",
            ])
        // The knowledge base's aliases and NVML names (nvidia-smi) pick the one board.
        #expect(GPUProduct.select("A100-SXM4-80GB")?.boards.map(\.gfdProduct) == ["NVIDIA-A100-SXM4-80GB"])
        #expect(GPUProduct.select("NVIDIA A100-SXM4-80GB")?.boards.map(\.gfdProduct) == ["NVIDIA-A100-SXM4-80GB"])
        #expect(GPUProduct.select("A100 80GB PCIe")?.boards.map(\.gfdProduct) == ["NVIDIA-A100-80GB-PCIe"])
        #expect(GPUProduct.select("Tesla T4")?.boards.map(\.gfdProduct) == ["Tesla-T4"])
        #expect(GPUProduct.select("mi300x") == nil)
    }

    /// `a100` in the fleet: the affinity accepts every A100 board (`In` over all four GFD products; GKE: both
    /// A100 accelerators); one named board narrows it to that board.
    @Test func oneIdWithSeveralProductsMatchesAnyOfThemWithIn() throws {
        let gfd = try expressions(try plan(lock: clusterLock(gpus: ["a100"])))
        #expect(gfd[0]["key"] == .string("nvidia.com/gpu.product"))
        #expect(gfd[0]["operator"] == .string("In"))
        #expect(values(gfd[0]) == GPUProduct.lookup("a100")!.gfdProducts)
        let gke = try expressions(try plan(lock: clusterLock(gpus: ["a100"]), nodeLabels: .gke))
        #expect(gke.count == 1)
        #expect(gke[0]["key"] == .string("cloud.google.com/gke-accelerator"))
        #expect(gke[0]["operator"] == .string("In"))
        #expect(values(gke[0]) == ["nvidia-tesla-a100", "nvidia-a100-80gb"])
        let one = try expressions(try plan(lock: clusterLock(gpus: ["A100-SXM4-80GB"]), nodeLabels: .gke))
        #expect(values(one[0]) == ["nvidia-a100-80gb"])
        let mixed = try expressions(try plan(lock: clusterLock(gpus: ["l4", "h100"]), nodeLabels: .gke))
        #expect(values(mixed[0]) == ["nvidia-l4", "nvidia-h100-80gb", "nvidia-h100-mega-80gb"])
    }

    @Test func gkeLabelsDropTheDriverExpressionAndSaySo() throws {
        let gfd = try plan()
        #expect(try expressions(gfd).count == 2)
        #expect(gfd.unenforcedDriverMajor == nil)
        let gke = try plan(nodeLabels: .gke)
        let e = try expressions(gke)
        #expect(e.count == 1, "GKE's labels carry no driver version")
        #expect(values(e[0]) == ["nvidia-h100-80gb", "nvidia-h100-mega-80gb"])
        #expect(gke.unenforcedDriverMajor == 525)
        #expect(!(try ManifestValue.yaml(JobRenderer.render(gke))).contains("nvidia.com/cuda.driver.major"))
    }

    @Test func aFleetWithNoGKEAcceleratorIsBadInputForGKELabels() throws {
        let error = #expect(throws: RunsError.self) {
            try plan(lock: clusterLock(gpus: ["a10g", "l40s"]), nodeLabels: .gke)
        }
        #expect(error?.failureKind == .badInput)
        #expect(error?.message.contains("is a GKE accelerator") == true, "\(String(describing: error))")
        #expect(try plan(lock: clusterLock(gpus: ["a10g", "l4"]), nodeLabels: .gke).gkeAccelerators == ["nvidia-l4"])
    }

    /// The manifest docs/clusters.md shows for GKE without the GPU Operator, kept byte for byte.
    @Test func goldenGKEManifest() throws {
        let yaml = try ManifestValue.yaml(JobRenderer.render(try plan(nodes: 2, nodeLabels: .gke)))
        let mismatch = goldenMismatch(
            yaml, goldenPath: RepoPaths.path("Tests/EnvctlClustersTests/Snapshots/job-2-nodes-gke.yaml"))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    struct MachineCase: Sendable, CustomTestStringConvertible {
        var gpus: [String]
        var count: Int
        var machineType: String?
        var expected: (String, String)?
        var testDescription: String { "\(gpus) × \(count) \(machineType ?? "")" }
    }

    static let machineCases: [MachineCase] = [
        .init(gpus: ["t4"], count: 1, expected: ("NVIDIA_TESLA_T4", "n1-standard-4")),
        .init(gpus: ["Tesla T4"], count: 4, expected: ("NVIDIA_TESLA_T4", "n1-standard-16")),
        .init(gpus: ["v100"], count: 8, expected: ("NVIDIA_TESLA_V100", "n1-standard-32")),
        .init(gpus: ["l4"], count: 1, expected: ("NVIDIA_L4", "g2-standard-4")),
        .init(gpus: ["l4"], count: 8, expected: ("NVIDIA_L4", "g2-standard-96")),
        .init(gpus: ["a100"], count: 1, expected: ("NVIDIA_TESLA_A100", "a2-highgpu-1g")),
        .init(gpus: ["a100"], count: 16, expected: ("NVIDIA_TESLA_A100", "a2-megagpu-16g")),
        .init(gpus: ["A100-SXM4-80GB"], count: 1, expected: ("NVIDIA_A100_80GB", "a2-ultragpu-1g")),
        .init(
            gpus: ["a100"], count: 8, machineType: "a2-ultragpu-8g", expected: ("NVIDIA_A100_80GB", "a2-ultragpu-8g")),
        .init(gpus: ["h100"], count: 8, expected: ("NVIDIA_H100_80GB", "a3-highgpu-8g")),
        .init(
            gpus: ["h100"], count: 8, machineType: "a3-megagpu-8g",
            expected: ("NVIDIA_H100_MEGA_80GB", "a3-megagpu-8g")),
        .init(gpus: ["h200"], count: 8, expected: ("NVIDIA_H200_141GB", "a3-ultragpu-8g")),
        .init(gpus: ["b200"], count: 8, expected: ("NVIDIA_B200", "a4-highgpu-8g")),
        .init(gpus: ["a10g", "l4"], count: 2, expected: ("NVIDIA_L4", "g2-standard-24")),
        // Refused: a count the family lacks, a machine of another GPU or count, an unknown machine, no Vertex GPU.
        .init(gpus: ["l4"], count: 3),
        .init(gpus: ["h100"], count: 1, machineType: "a3-megagpu-8g"),
        .init(gpus: ["l4"], count: 8, machineType: "a3-megagpu-8g"),
        .init(gpus: ["h100"], count: 8, machineType: "a9-imaginary-8g"),
        .init(gpus: ["a10g"], count: 1),
        .init(gpus: ["A100-PCIE-40GB"], count: 1),
    ]

    @Test(arguments: machineCases)
    func vertexMachineForTheFleet(_ c: MachineCase) throws {
        let lock = clusterLock(gpus: c.gpus)
        if let expected = c.expected {
            let got = try VertexCustomJob.machine(for: lock, gpusPerNode: c.count, machineType: c.machineType)
            #expect(got == expected)
        } else {
            let error = #expect(throws: RunsError.self) {
                try VertexCustomJob.machine(for: lock, gpusPerNode: c.count, machineType: c.machineType)
            }
            #expect(error?.failureKind == .badInput)
        }
    }
}

import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation

let jobDigest = "sha256:" + String(repeating: "a", count: 64)

/// A lock whose `train` environment was pushed, for a fleet of `gpus`.
func clusterLock(gpus: [String] = ["h100"], pushed: Bool = true, driverMinimum: String? = "525.60.13") -> Lockfile {
    var env = LockFactory.environment(driverMinimum: driverMinimum)
    if !pushed {
        env.pushed = nil
        env.image = nil
    }
    var lock = LockFactory.lockfile([env])
    lock.fleet = gpus.isEmpty ? nil : LockedFleet(driver: nil, gpus: gpus.map { LockedGPU(name: $0, arch: "sm_90") })
    return lock
}

func clusterWorkspace(gpus: [String] = ["h100"], pushed: Bool = true) throws -> TemporaryDirectory {
    let ws = try TemporaryDirectory(prefix: "envctl-job")
    try ws.write("envctl.lock", try clusterLock(gpus: gpus, pushed: pushed).yaml())
    return ws
}

func plan(
    kind: JobKind = .job, nodes: Int = 1, gpus: Int? = 8, lock: Lockfile = clusterLock(),
    runID: String = "20261204-010203-abcdef", nodeLabels: NodeLabels = .gfd
) throws -> JobPlan {
    var o = JobPlan.Options()
    o.nodeLabels = nodeLabels
    o.kind = kind
    o.nodes = nodes
    o.gpusPerNode = gpus
    o.namespace = "ml"
    o.runID = runID
    let env = lock.environments[0]
    return try JobPlan.make(
        lock: lock, environment: env,
        image: .init(reference: env.pushed!.pinnedReference, digest: env.pushed!.digest, source: "pushed"),
        commit: "0123456789abcdef0123456789abcdef01234567", command: ["torchrun", "train.py"], options: o)
}

/// The tools venv's python with kubernetes-validate and cel-python (ci/setup.sh), found once.
enum SchemaTools {
    static let python: String? = {
        var seen = Set<String>()
        let candidates = Tools.searchPath.flatMap { ["\($0)/python3", "\($0)/python"] }.filter {
            FileManager.default.isExecutableFile(atPath: $0) && seen.insert($0).inserted
        }
        return candidates.first {
            (try? runProcess($0, ["-c", "import kubernetes_validate, jsonschema, celpy"]))?.status == 0
        }
    }()

    static var requirement: ToolRequirement {
        .requires(
            [],
            also: {
                SchemaTools.python == nil
                    ? ["python with kubernetes-validate and cel-python (ci/setup.sh's tools venv)"] : []
            })
    }
}

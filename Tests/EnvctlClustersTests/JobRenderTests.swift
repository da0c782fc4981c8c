import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

@Suite("job render")
struct JobRenderTests {
    @Test func singleNodeJobPinsTheDigestRequestsGPUsSelectsNodesAndMountsShm() throws {
        let p = try plan()
        let docs = JobRenderer.render(p)
        #expect(docs.count == 1)
        let job = docs[0]
        #expect(job["kind"]?.stringValue == "Job")
        let pod = try #require(job["spec"]?["template"]?["spec"])
        guard case .array(let containers)? = pod["containers"] else { Issue.record("no containers"); return }
        let c = containers[0]
        #expect(c["image"]?.stringValue == "registry.example.com/team/train@\(jobDigest)")
        #expect(c["resources"]?["limits"]?["nvidia.com/gpu"] == .string("8"))
        let text = try ManifestValue.yaml(docs)
        #expect(text.contains("nvidia.com/gpu.product"))
        #expect(text.contains("- NVIDIA-H100-80GB-HBM3"))
        #expect(text.contains("key: nvidia.com/cuda.driver.major\n"))
        #expect(text.contains("operator: Gt"))
        #expect(text.contains("- '524'") || text.contains("- \"524\""), "the driver floor must stay a string: \(text)")
        #expect(text.contains("medium: Memory"))
        #expect(text.contains("sizeLimit: 16Gi"))
        #expect(text.contains("mountPath: /dev/shm"))
        #expect(
            text.contains("envctl.dev/lock-hash: '" + String(repeating: "1", count: 63) + "'")
                || text.contains("envctl.dev/lock-hash: \"" + String(repeating: "1", count: 63)))
        #expect(text.contains("envctl.dev/commit: 0123456789abcdef0123456789abcdef01234567"))
        #expect(!text.contains("MASTER_ADDR"), "one node needs no rendezvous")
    }

    @Test func severalNodesGetAnIndexedJobAHeadlessServiceAndTorchrunRendezvous() throws {
        let p = try plan(nodes: 4)
        let docs = JobRenderer.render(p)
        #expect(docs.map { $0["kind"]?.stringValue } == ["Service", "Job"])
        #expect(docs[0]["spec"]?["clusterIP"] == .string("None"))
        let spec = try #require(docs[1]["spec"])
        #expect(spec["completionMode"] == .string("Indexed"))
        #expect(spec["completions"] == .int(4))
        #expect(spec["template"]?["spec"]?["subdomain"] == .string(p.name))
        let text = try ManifestValue.yaml(docs)
        #expect(text.contains("value: \(p.name)-0.\(p.name)"))
        #expect(text.contains("batch.kubernetes.io/job-completion-index"))
        #expect(text.contains("name: PET_NNODES\n"))
    }

    @Test func pytorchJobAndJobSet() throws {
        let pt = JobRenderer.render(try plan(kind: .pytorchjob, nodes: 3))
        #expect(pt.count == 1)
        #expect(pt[0]["spec"]?["pytorchReplicaSpecs"]?["Worker"]?["replicas"] == .int(2))
        #expect(pt[0]["spec"]?["pytorchReplicaSpecs"]?["Master"]?["replicas"] == .int(1))
        let js = JobRenderer.render(try plan(kind: .jobset, nodes: 2))
        #expect(js[0]["apiVersion"] == .string("jobset.x-k8s.io/v1alpha2"))
        #expect(try ManifestValue.yaml(js).contains("-node-0-0."))
    }

    @Test func renderingIsDeterministic() throws {
        let a = try plan(nodes: 2)
        let b = try plan(nodes: 2)
        #expect(try ManifestValue.yaml(JobRenderer.render(a)) == ManifestValue.yaml(JobRenderer.render(b)))
        #expect(JobRenderer.render(a)[1].json() == JobRenderer.render(b)[1].json())
    }

    @Test func labelValuesFollowKubernetesRules() {
        #expect(
            Labels.value("sha256:" + String(repeating: "f", count: 64)) == "sha256-" + String(repeating: "f", count: 56)
        )
        #expect(Labels.value("-Train Env_") == "Train-Env")
        #expect(Labels.dnsLabel("envctl-Train_X-2026") == "envctl-train-x-2026")
    }

    @Test func noFleetGPUUnknownProductAndNoDigestAreBadInput() throws {
        for (lock, needle) in [
            (clusterLock(gpus: []), "names no fleet GPU"), (clusterLock(gpus: ["sm_90"]), "sm_90"),
            (clusterLock(gpus: ["mi300x"]), "no known NVIDIA GPU feature discovery product"),
        ] {
            let error = #expect(throws: RunsError.self) { try plan(lock: lock) }
            #expect(error?.failureKind == .badInput)
            #expect(error?.message.contains(needle) == true, "\(String(describing: error))")
        }
    }

    /// The manifests docs/clusters.md shows, kept byte for byte.
    @Test(arguments: [(JobKind.job, "job-2-nodes.yaml"), (JobKind.pytorchjob, "pytorchjob-2-nodes.yaml")])
    func goldenManifests(kind: JobKind, file: String) throws {
        let yaml = try ManifestValue.yaml(JobRenderer.render(try plan(kind: kind, nodes: 2)))
        let mismatch = goldenMismatch(yaml, goldenPath: RepoPaths.path("Tests/EnvctlClustersTests/Snapshots/\(file)"))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func goldenVertexCustomJob() throws {
        let body = VertexCustomJob.body(try plan(nodes: 2), accelerator: "NVIDIA_H100_80GB", machine: "a3-highgpu-8g")
        let mismatch = goldenMismatch(
            body.json() + "\n",
            goldenPath: RepoPaths.path("Tests/EnvctlClustersTests/Snapshots/vertex-customjob-2-nodes.json"))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func lookupAcceptsIdsAndProductNames() {
        #expect(GPUProduct.lookup("A100")?.id == "a100")
        #expect(GPUProduct.lookup("NVIDIA H100 80GB HBM3")?.id == "h100")
        #expect(GPUProduct.lookup("Tesla T4")?.id == "t4")
        #expect(GPUProduct.lookup("sm_90") == nil)
    }
}

@Suite("job render (command)", .serialized)
struct JobRenderCommandTests {
    @Test func renderPrintsAManifestAndRefusesWithoutGPUsOrDigest() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "render", "--nodes", "2", "--gpus-per-node", "8", "--run-id", "20261204-010203-abcdef", "--",
                "torchrun", "train.py",
            ],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kind: Service\n"))
        #expect(r.stdout.contains("image: registry.example.com/team/train@\(jobDigest)"))
        let json = try runProcess(
            RepoPaths.envctlBinary, ["job", "render", "--format", "json", "--run-id", "x1", "--", "python", "t.py"],
            cwd: ws.path)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["kind"] as? String == "Job")

        let gke = try runProcess(
            RepoPaths.envctlBinary,
            ["job", "render", "--node-labels", "gke", "--run-id", "x2", "--", "python", "t.py"],
            cwd: ws.path)
        #expect(gke.status == 0, "\(gke.stderr)")
        #expect(gke.stdout.contains("key: cloud.google.com/gke-accelerator\n"))
        #expect(!gke.stdout.contains("cuda.driver.major"))
        #expect(gke.stderr.contains("the lock's driver floor (525) is not enforced"), "\(gke.stderr)")

        let none = try clusterWorkspace(gpus: [])
        defer { none.cleanup() }
        let r2 = try runProcess(RepoPaths.envctlBinary, ["job", "render", "--", "python", "t.py"], cwd: none.path)
        #expect(r2.status == 64)
        #expect(r2.stderr.contains("names no fleet GPU"))
        let unpushed = try clusterWorkspace(pushed: false)
        defer { unpushed.cleanup() }
        let r3 = try runProcess(RepoPaths.envctlBinary, ["job", "render", "--", "python", "t.py"], cwd: unpushed.path)
        #expect(r3.status == 64, "\(r3.stderr)")
        #expect(r3.stdout.isEmpty)
    }
}

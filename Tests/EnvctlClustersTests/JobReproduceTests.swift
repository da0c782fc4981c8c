import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

@Suite("job reproduce", .serialized, .requires("git"))
struct JobReproduceTests {
    @Test func reproduceResubmitsAtTheCommitsLockWithTheRecordedShape() throws {
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let first = try repo.commit("lock", files: ["envctl.lock": try clusterLock().yaml()])
        // A later lock pushes another digest; reproducing at `first` must use the first one.
        var later = clusterLock()
        later.environments[0].pushed?.digest = "sha256:" + String(repeating: "b", count: 64)
        _ = try repo.commit("relock", files: ["envctl.lock": try later.yaml()])

        let server = try TestHTTPServer { req in
            if req.method == "POST" {
                var object = req.json
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["uid"] = "uid-\(uidCounter.next())"
                object["metadata"] = metadata
                return (201, object)
            }
            return (404, ["message": "unexpected"])
        }
        defer { server.stop() }
        try FileManager.default.createDirectory(atPath: repo.path + "/.kube", withIntermediateDirectories: true)
        let kube = repo.path + "/.kube/config"
        try kubeconfig(server: server.baseURL).write(toFile: kube, atomically: true, encoding: .utf8)
        let submitted = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--kubeconfig", kube, "--kind", "pytorchjob", "--nodes", "3", "--gpus-per-node", "4",
                "--shm-size", "32Gi", "--node-labels", "gke", "--run-id", "20261204-000000-aaaaaa", "--", "torchrun",
                "train.py",
            ], cwd: repo.path)
        #expect(submitted.status == 0, "\(submitted.stderr)")

        let dry = try runProcess(
            RepoPaths.envctlBinary, ["reproduce", first, "--run", "20261204-000000-aaaaaa", "--dry-run"], cwd: repo.path
        )
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("kind: PyTorchJob"))
        #expect(dry.stdout.contains("@sha256:" + String(repeating: "a", count: 64)))
        #expect(dry.stdout.contains("sizeLimit: 32Gi"))
        #expect(dry.stdout.contains("replicas: 2"))
        #expect(dry.stdout.contains("key: cloud.google.com/gke-accelerator\n"), "the recorded node labels are kept")
        #expect(dry.stdout.contains("envctl.dev/commit: \(first)"))
        #expect(server.requests.count == 1, "a dry run sends nothing")

        let again = try runProcess(
            RepoPaths.envctlBinary,
            ["reproduce", first, "--run", "20261204-000000-aaaaaa", "--kubeconfig", kube], cwd: repo.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(server.requests.count == 2)
        #expect(server.requests[1].path == "/apis/kubeflow.org/v1/namespaces/ml/pytorchjobs")
        let records = RunStore(workspace: repo.path).list().records
        let reproduced = try #require(records.first { $0.reproducedFrom == first })
        #expect(reproduced.kind == .kubernetes)
        #expect(reproduced.images.first?.digest == jobDigest)
        #expect(reproduced.job?.nodes == 3)
        #expect(reproduced.job?.nodeLabels == "gke")
        #expect(reproduced.job?.uid == "uid-1")
    }
}

final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.withLock {
            defer { n += 1 }; return n
        }
    }
    var value: Int { lock.withLock { n } }
}

let uidCounter = Counter()

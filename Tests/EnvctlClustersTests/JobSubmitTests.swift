import Dispatch
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// What the kubernetes Python client sent for the same calls (Fixtures/kubernetes-rest-capture.json).
struct KubernetesCapture {
    let steps: [String: [[String: Any]]]

    init() throws {
        let data = try Data(
            contentsOf: URL(
                fileURLWithPath: RepoPaths.path("Tests/EnvctlClustersTests/Fixtures/kubernetes-rest-capture.json")))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var s: [String: [[String: Any]]] = [:]
        for item in object["steps"] as! [[String: Any]] {
            s[item["step"] as! String] = item["requests"] as? [[String: Any]]
        }
        steps = s
    }

    func request(_ step: String) -> [String: Any] { steps[step]![0] }
    func path(_ step: String) -> String { request(step)["path"] as! String }
    func method(_ step: String) -> String { request(step)["method"] as! String }
    func accept(_ step: String) -> String? { (request(step)["headers"] as? [String: String])?["Accept"] }
    func bodyKeys(_ step: String) -> Set<String> { Set(((request(step)["json"] as? [String: Any]) ?? [:]).keys) }
    /// The capture's path with its namespace and names replaced by these.
    func path(_ step: String, namespace: String, name: String) -> String {
        path(step).replacingOccurrences(of: "/namespaces/ml/", with: "/namespaces/\(namespace)/")
            .replacingOccurrences(of: "train-1-0-abcde", with: "\(name)-0-abcde")
            .replacingOccurrences(of: "train-1", with: name)
    }
}

let kubeToken = TestSecrets.prefix + "kube-Rt31"

func kubeconfig(server: String, token: String = kubeToken, namespace: String = "ml") -> String {
    """
    apiVersion: v1
    kind: Config
    current-context: lab
    clusters:
    - name: lab-cluster
      cluster:
        server: \(server)
    - name: other
      cluster:
        server: https://other.example.com
    users:
    - name: lab-user
      user:
        token: \(token)
    contexts:
    - name: lab
      context: {cluster: lab-cluster, user: lab-user, namespace: \(namespace)}
    - name: other
      context: {cluster: other, user: lab-user}

    """
}

@Suite("job submit (recorded-shape API server)", .serialized)
struct JobSubmitTests {
    @Test func submitSendsWhatTheKubernetesClientSendsWaitsStreamsTheLogAndRecordsTheRun() throws {
        let capture = try KubernetesCapture()
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let name = "train-run-1"
        // The watch answers only once the log has been served: the log must stream while the job runs.
        let logServed = DispatchSemaphore(value: 0)
        let loggedWhileRunning = Counter()
        let server = try TestHTTPServer { req in
            guard req.headers["authorization"] == "Bearer \(kubeToken)" else {
                return (401, ["message": "Unauthorized"])
            }
            switch (req.method, req.path) {
            case ("POST", _):
                var object = req.json
                var metadata = object["metadata"] as? [String: Any] ?? [:]
                metadata["uid"] = req.path.hasSuffix("/jobs") ? "uid-job-1" : "uid-svc-1"
                object["metadata"] = metadata
                return (201, object)
            case ("GET", "/apis/batch/v1/namespaces/ml/jobs"):
                if logServed.wait(timeout: .now() + 60) == .success { _ = loggedWhileRunning.next() }
                let event: [String: Any] = [
                    "type": "MODIFIED",
                    "object": [
                        "metadata": ["name": name, "resourceVersion": "7"],
                        "status": ["conditions": [["type": "Complete", "status": "True"]]],
                    ],
                ]
                let line = try! JSONSerialization.data(withJSONObject: event) + Data("\n".utf8)
                return (200, [TestHTTPServer.rawBody: line])
            case ("GET", "/api/v1/namespaces/ml/pods"):
                return (
                    200,
                    ["items": [["metadata": ["name": "\(name)-0-abcde"]], ["metadata": ["name": "\(name)-1-fghij"]]]]
                )
            case ("GET", "/api/v1/namespaces/ml/pods/\(name)-0-abcde/log"):
                defer { logServed.signal() }
                return (200, [TestHTTPServer.rawBody: Data("epoch 1 loss 0.5\n".utf8)])
            default: return (404, ["message": "unexpected \(req.method) \(req.path)"])
            }
        }
        defer { server.stop() }
        try ws.write("kubeconfig", kubeconfig(server: server.baseURL))
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--kubeconfig", ws.path + "/kubeconfig", "--nodes", "2", "--gpus-per-node", "8",
                "--name", name, "--run-id", "20261204-010203-abcdef", "--wait", "--", "torchrun", "train.py",
            ], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "epoch 1 loss 0.5\n")
        #expect(loggedWhileRunning.value == 1, "the log was asked for only after the job ended")
        #expect(!r.stderr.contains(kubeToken))

        let reqs = server.requests
        // Creates in order; then the watch and the log follower run side by side, in either order.
        let lines = reqs.map { "\($0.method) \($0.target)" }
        #expect(
            Array(lines.prefix(2)) == [
                "\(capture.method("create_service")) \(capture.path("create_service"))",
                "\(capture.method("create_job")) \(capture.path("create_job"))",
            ])
        #expect(
            Set(lines.dropFirst(2)) == [
                "GET /apis/batch/v1/namespaces/ml/jobs?fieldSelector=metadata.name%3D\(name)&timeoutSeconds=60&watch=true",
                "\(capture.method("list_pods")) \(capture.path("list_pods", namespace: "ml", name: name))",
                "\(capture.method("follow_log")) \(capture.path("follow_log", namespace: "ml", name: name))",
            ])
        #expect(lines.count == 5)
        // The watch query has the capture's keys (envctl asks for a longer server-side timeout).
        let watch = try #require(reqs.first { $0.method == "GET" && $0.path.hasSuffix("/jobs") })
        #expect(Set(watch.query.keys) == ["fieldSelector", "timeoutSeconds", "watch"])
        #expect(
            capture.path("watch_job").hasPrefix(
                "/apis/batch/v1/namespaces/ml/jobs?fieldSelector=metadata.name%3Dtrain-1&"))
        for req in reqs { #expect(req.headers["accept"] == capture.accept("create_job")) }
        #expect(Set(reqs[1].json.keys) == capture.bodyKeys("create_job"))
        #expect(Set(reqs[0].json.keys) == capture.bodyKeys("create_service"))
        // The kubernetes client 37 leaves Content-Type out; kubectl and envctl send application/json.
        #expect(reqs[1].headers["content-type"] == "application/json")
        let spec = try #require(reqs[1].json["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")

        let record = try RunStore(workspace: ws.path).load("20261204-010203-abcdef")
        #expect(record.kind == .kubernetes)
        #expect(record.job?.cluster == "lab-cluster")
        #expect(record.job?.namespace == "ml")
        #expect(record.job?.name == name)
        #expect(record.job?.uid == "uid-job-1")
        #expect(record.job?.state == "Complete")
        #expect(record.exitCode == 0)
        #expect(record.images.first?.digest == jobDigest)
        let shown = try runProcess(RepoPaths.envctlBinary, ["runs", "show", record.id], cwd: ws.path)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("uid-job-1"))
        #expect(shown.stdout.contains("lab-cluster (context lab)"))
    }

    @Test func aRefusedTokenOr403SubmitsNothingAndExits1() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let server = try TestHTTPServer { req in
            if req.headers["authorization"] == "Bearer \(TestSecrets.prefix)expired-Ko11" {
                return (401, ["message": "Unauthorized"])
            }
            return (403, ["message": "jobs.batch is forbidden: User \"dev\" cannot create resource \"jobs\""])
        }
        defer { server.stop() }
        for (token, needle) in [(TestSecrets.prefix + "expired-Ko11", "expired token"), (kubeToken, "RBAC")] {
            try ws.write("kubeconfig", kubeconfig(server: server.baseURL, token: token))
            let r = try runProcess(
                RepoPaths.envctlBinary,
                ["job", "submit", "--kubeconfig", ws.path + "/kubeconfig", "--", "python", "t.py"], cwd: ws.path)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains(needle), "\(r.stderr)")
            #expect(!r.stderr.contains(token))
        }
        #expect(RunStore(workspace: ws.path).list().records.isEmpty)
    }

    @Test func aMissingKubeconfigOrNoGPUIsBadInputAndNothingIsSent() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let r = try runProcess(
            RepoPaths.envctlBinary, ["job", "submit", "--kubeconfig", ws.path + "/nope", "--", "python", "t.py"],
            cwd: ws.path)
        #expect(r.status == 64)
        #expect(r.stderr.contains("cannot read kubeconfig"))
        let server = try TestHTTPServer { _ in (500, [:]) }
        defer { server.stop() }
        let none = try clusterWorkspace(gpus: [])
        defer { none.cleanup() }
        try none.write("kubeconfig", kubeconfig(server: server.baseURL))
        let r2 = try runProcess(
            RepoPaths.envctlBinary,
            ["job", "submit", "--kubeconfig", none.path + "/kubeconfig", "--", "python", "t.py"],
            cwd: none.path)
        #expect(r2.status == 64)
        #expect(server.requests.isEmpty)
    }
}

import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// The kfp client's recorded requests (kfp 2.17.3 → loopback recorder), the shapes envctl must match.
struct KFPCapture {
    struct Step { var step: String; var requests: [[String: Any]] }
    let steps: [String: [[String: Any]]]

    init() throws {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: RepoPaths.path("Tests/EnvctlRunsTests/Fixtures/kfp-rest-capture.json")))
        let list = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        var s: [String: [[String: Any]]] = [:]
        for item in list { s[item["step"] as! String] = item["requests"] as? [[String: Any]] }
        steps = s
    }

    func request(_ step: String, _ index: Int = 0) -> [String: Any] { steps[step]![index] }
    func queryKeys(_ step: String, _ index: Int = 0) -> Set<String> {
        let path = request(step, index)["path"] as! String
        return Set(TestHTTPServer.Request(method: "", target: path, headers: [:], body: Data()).query.keys)
    }
    func query(_ step: String, _ index: Int = 0) -> [String: String] {
        TestHTTPServer.Request(method: "", target: request(step, index)["path"] as! String, headers: [:], body: Data())
            .query
    }
}

@Suite("pipeline submit (in-process server)", .serialized, KFPTools.requirement, .tags(.kfp))
struct PipelineSubmitTests {
    @Test func kfpUploadsVersionAndRunsThatVersionThenWaitsUntilCanceled() throws {
        let capture = try KFPCapture()
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("a_lightweight_gpu", into: ws.path)
        let polls = Counter()
        let server = try TestHTTPServer { req in
            guard req.headers["authorization"] == "Bearer \(TestSecrets.pipelineToken)" else {
                return (401, ["message": "no token"])
            }
            switch (req.method, req.path) {
            case ("GET", "/apis/v2beta1/pipelines/names/lightweight-gpu-train"): return (404, ["message": "not found"])
            case ("POST", "/apis/v2beta1/pipelines/upload"): return (200, ["pipeline_id": "p-123"])
            case ("POST", "/apis/v2beta1/pipelines/upload_version"):
                return (200, ["pipeline_id": "p-123", "pipeline_version_id": "v-456"])
            case ("GET", "/apis/v2beta1/experiments"):
                return (200, ["experiments": [["experiment_id": "e-1", "display_name": "Default"]]])
            case ("POST", "/apis/v2beta1/runs"): return (200, ["run_id": "r-789", "state": "PENDING"])
            case ("GET", "/apis/v2beta1/runs/r-789"):
                return (200, ["run_id": "r-789", "state": polls.next() < 2 ? "RUNNING" : "CANCELED"])
            default: return (404, ["message": "unexpected \(req.method) \(req.path)"])
            }
        }
        defer { server.stop() }
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "pipeline", "submit", compiled, "--kfp", server.baseURL, "--namespace", "team-1", "--param", "epochs=5",
                "--wait", "--poll-interval", "0.05",
            ],
            cwd: ws.path, environment: ["ENVCTL_PIPELINES_TOKEN": TestSecrets.pipelineToken])
        #expect(r.status == 1, "\(r.stderr)")  // CANCELED is terminal, and not a success
        #expect(r.stderr.contains("finished: CANCELED"))

        let reqs = server.requests
        #expect(
            reqs.map { "\($0.method) \($0.path)" } == [
                "GET /apis/v2beta1/pipelines/names/lightweight-gpu-train",
                "POST /apis/v2beta1/pipelines/upload", "POST /apis/v2beta1/pipelines/upload_version",
                "GET /apis/v2beta1/experiments", "POST /apis/v2beta1/runs",
                "GET /apis/v2beta1/runs/r-789", "GET /apis/v2beta1/runs/r-789", "GET /apis/v2beta1/runs/r-789",
            ])
        // Upload: same query keys, headers and multipart framing as the kfp client.
        let upload = reqs[1]
        #expect(Set(upload.query.keys) == capture.queryKeys("upload_pipeline"))
        #expect(upload.query["namespace"] == "team-1")
        for req in reqs {
            #expect(req.headers["accept"] == "application/json")
            #expect(req.headers["authorization"] == "Bearer \(TestSecrets.pipelineToken)")
        }
        let boundary = try #require(upload.headers["content-type"]?.components(separatedBy: "boundary=").last)
        #expect(upload.headers["content-type"] == "multipart/form-data; boundary=\(boundary)")
        let body = String(decoding: upload.body, as: UTF8.self)
        #expect(
            body.hasPrefix(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"lightweight-gpu-train.yaml\"\r\nContent-Type: application/octet-stream\r\n\r\n# PIPELINE DEFINITION\n"
            ))
        #expect(body.contains("image: \(pinnedTrain)"))
        #expect(!body.contains("train:latest"))
        // Version upload: the capture's keys (name, pipelineid) plus a description with the labels.
        let version = reqs[2]
        #expect(capture.queryKeys("upload_pipeline_version").isSubset(of: Set(version.query.keys)))
        #expect(version.query["pipelineid"] == "p-123")
        #expect(version.query["description"]?.contains("envctl-lock=") == true)
        // Experiment lookup: the SDK's filter, byte for byte after decoding.
        #expect(reqs[3].query == capture.query("create_run_inline_spec", 0))
        // Run: against the uploaded version id, never "latest".
        let run = reqs[4].json
        let captured = capture.request("run_pipeline_by_version")["json"] as! [String: Any]
        #expect(Set(captured.keys).isSubset(of: Set(run.keys)))
        let ref = try #require(run["pipeline_version_reference"] as? [String: String])
        #expect(ref == ["pipeline_id": "p-123", "pipeline_version_id": "v-456"])
        #expect(run["experiment_id"] as? String == "e-1")
        #expect((run["runtime_config"] as? [String: Any])?["parameters"] as? [String: String] == ["epochs": "5"])
        #expect(reqs[4].headers["content-type"] == "application/json")

        let record = try #require(RunStore(workspace: ws.path).list().records.first)
        #expect(record.kind == .kfp)
        #expect(record.pipeline?.versionID == "v-456")
        #expect(record.pipeline?.remoteRunID == "r-789")
        #expect(record.pipeline?.state == "CANCELED")
        #expect(record.images.allSatisfy { $0.digest == pinDigest })
    }

    @Test func vertexCreatesAPipelineJobWithLabels() throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("d_platform", into: ws.path)
        try ws.write("token", "FILE-TOKEN\n")
        let server = try TestHTTPServer { req in
            guard req.headers["authorization"] == "Bearer FILE-TOKEN" else {
                return (401, ["error": ["message": "unauthenticated"]])
            }
            if req.method == "POST" {
                return (
                    200,
                    [
                        "name": "projects/p1/locations/us-central1/pipelineJobs/\(req.query["pipelineJobId"]!)",
                        "state": "PIPELINE_STATE_PENDING",
                    ]
                )
            }
            return (200, ["state": "PIPELINE_STATE_SUCCEEDED"])
        }
        defer { server.stop() }
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "pipeline", "submit", compiled, "--vertex", "p1/us-central1", "--vertex-endpoint", server.baseURL,
                "--gcs-output", "gs://bucket/root", "--token-file", ws.path + "/token", "--wait", "--poll-interval",
                "0.05",
            ],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("ignores the kfp-kubernetes platform spec"))
        let create = try #require(server.requests.first)
        #expect(create.path == "/v1/projects/p1/locations/us-central1/pipelineJobs")
        let jobID = try #require(create.query["pipelineJobId"])
        #expect(jobID.range(of: "^[a-z][-a-z0-9]{0,127}$", options: .regularExpression) != nil)
        let body = create.json
        #expect(Set(body.keys) == ["displayName", "labels", "pipelineSpec", "runtimeConfig"])
        let labels = try #require(body["labels"] as? [String: String])
        for (k, v) in labels {
            #expect(k.count <= 64 && v.count <= 64)
            #expect((k + v).allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        #expect(labels["envctl-lock"] == String(repeating: "1", count: 64))
        let spec = try #require(body["pipelineSpec"] as? [String: Any])
        let image =
            ((((spec["deploymentSpec"] as? [String: Any])?["executors"] as? [String: Any])?["exec-train"]
            as? [String: Any])?["container"] as? [String: Any])?["image"] as? String
        #expect(image == pinnedTrain)
        #expect(spec["platforms"] == nil)
        #expect((body["runtimeConfig"] as? [String: Any])?["gcsOutputDirectory"] as? String == "gs://bucket/root")
        #expect(server.requests.last?.path == "/v1/projects/p1/locations/us-central1/pipelineJobs/\(jobID)")
    }

    /// Without a token, `--vertex` uses Application Default Credentials (here a service-account key made by
    /// openssl and a local token endpoint) and asks them before every request: a token that expires within the
    /// refresh margin is fetched again, so a long --wait never sends an expired one (as job submit --vertex does).
    @Test(.requires("openssl")) func vertexWithADCRefreshesTheTokenDuringWait() throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("d_platform", into: ws.path)
        let issued = Counter()
        let polls = Counter()
        let server = try TestHTTPServer { req in
            if req.path == "/token" {
                return (200, ["access_token": "ADC-TOKEN-\(issued.next())", "expires_in": 30])
            }
            if req.method == "POST" {
                return (200, ["name": "projects/p1/locations/r/pipelineJobs/\(req.query["pipelineJobId"]!)"])
            }
            return (200, ["state": polls.next() < 2 ? "PIPELINE_STATE_RUNNING" : "PIPELINE_STATE_SUCCEEDED"])
        }
        defer { server.stop() }
        let key = try runProcess(
            "openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.pem"],
            cwd: ws.path)
        #expect(key.status == 0, "\(key.stderr)")
        let account: [String: Any] = [
            "type": "service_account", "project_id": "p1", "private_key_id": "kid-1",
            "private_key": try String(contentsOfFile: ws.path + "/sa.pem", encoding: .utf8),
            "client_email": "pipelines@p1.iam.gserviceaccount.com", "token_uri": server.baseURL + "/token",
        ]
        try ws.write("sa.json", String(decoding: try JSONSerialization.data(withJSONObject: account), as: UTF8.self))
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "pipeline", "submit", compiled, "--vertex", "p1/r", "--vertex-endpoint", server.baseURL,
                "--gcs-output", "gs://bucket/root", "--wait", "--poll-interval", "0.01",
            ],
            cwd: ws.path,
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": ws.path + "/sa.json", "ENVCTL_PIPELINES_TOKEN": ""])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("ADC-TOKEN"))
        let calls = server.requests.filter { $0.path != "/token" }
        #expect(calls.map(\.method) == ["POST", "GET", "GET", "GET"])
        // One token fetched up front (bad credentials fail before anything is sent), then one per request.
        #expect(server.requests.filter { $0.path == "/token" }.count == 1 + calls.count)
        #expect(calls.map { $0.headers["authorization"] ?? "" } == (1...4).map { "Bearer ADC-TOKEN-\($0)" })
    }

    @Test func badTokenAndBadTargetAreClearErrors() throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("e_param_image", into: ws.path)
        let server = try TestHTTPServer { _ in (401, ["message": "Unauthenticated"]) }
        defer { server.stop() }
        let r = try runProcess(
            RepoPaths.envctlBinary, ["pipeline", "submit", compiled, "--kfp", server.baseURL, "--token", "-"],
            cwd: ws.path, stdin: "bad\n")
        #expect(r.status == 64)
        #expect(r.stderr.contains("HTTP 401: Unauthenticated"))
        #expect(server.requests.first?.headers["authorization"] == "Bearer bad")
        let both = try runProcess(RepoPaths.envctlBinary, ["pipeline", "submit", compiled], cwd: ws.path)
        #expect(both.status == 64)
        #expect(both.stderr.contains("exactly one of --kfp URL or --vertex PROJECT/REGION"))
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/.envctl"))
    }

    /// A token as an argument is in every user's process list: refused before anything is sent, for
    /// `pipeline submit` and `reproduce` alike, with what to use instead.
    @Test func aTokenOnTheCommandLineIsRefused() throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("e_param_image", into: ws.path)
        let server = try TestHTTPServer { _ in (500, ["message": "must not be reached"]) }
        defer { server.stop() }
        for args in [
            ["pipeline", "submit", compiled, "--kfp", server.baseURL, "--token", "s3cr3t-token"],
            ["reproduce", "HEAD", "--run", "x", "--kfp", server.baseURL, "--token", "s3cr3t-token"],
        ] {
            let r = try runProcess(RepoPaths.envctlBinary, args, cwd: ws.path)
            #expect(r.status == 64, "\(args[0]): \(r.stderr)")
            #expect(r.stderr.contains("--token takes '-'"), "\(args[0]): \(r.stderr)")
            #expect(r.stderr.contains("ENVCTL_PIPELINES_TOKEN or --token-file"))
            #expect(!r.stderr.contains("s3cr3t-token"))
        }
        #expect(server.requests.isEmpty)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int {
        lock.withLock {
            defer { n += 1 }; return n
        }
    }
    var value: Int { lock.withLock { n } }
}

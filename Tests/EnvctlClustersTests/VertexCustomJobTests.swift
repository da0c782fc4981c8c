import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// Vertex AI CustomJob with Application Default Credentials: a service-account key made by openssl, a local token
/// endpoint, and the JWT's RS256 signature checked with openssl.
let vertexToken = TestSecrets.prefix + "vertex-Gk20"

@Suite("job submit --vertex", .serialized, .requires("openssl"))
struct VertexCustomJobTests {
    func serviceAccount(in ws: TemporaryDirectory, tokenURI: String) throws {
        let r = try runProcess(
            "openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.pem"],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let pem = try String(contentsOfFile: ws.path + "/sa.pem", encoding: .utf8)
        let key: [String: Any] = [
            "type": "service_account", "project_id": "p1", "private_key_id": "kid-1", "private_key": pem,
            "client_email": "trainer@p1.iam.gserviceaccount.com", "token_uri": tokenURI,
        ]
        try ws.write("sa.json", String(decoding: try JSONSerialization.data(withJSONObject: key), as: UTF8.self))
    }

    func base64urlDecode(_ s: Substring) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }

    @Test func createsACustomJobWithADCFromAServiceAccountKeyAndWaits() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let polls = Counter()
        let server = try TestHTTPServer { req in
            switch (req.method, req.path) {
            case ("POST", "/token"):
                return (200, ["access_token": vertexToken, "expires_in": 3599, "token_type": "Bearer"])
            case ("POST", "/v1/projects/p1/locations/us-central1/customJobs"):
                guard req.headers["authorization"] == "Bearer \(vertexToken)" else { return (401, [:]) }
                return (
                    200, ["name": "projects/123/locations/us-central1/customJobs/987", "state": "JOB_STATE_PENDING"]
                )
            case ("GET", "/v1/projects/123/locations/us-central1/customJobs/987"):
                return (200, ["state": polls.next() < 1 ? "JOB_STATE_RUNNING" : "JOB_STATE_SUCCEEDED"])
            default: return (404, ["error": ["message": "unexpected \(req.method) \(req.path)"]])
            }
        }
        defer { server.stop() }
        try serviceAccount(in: ws, tokenURI: server.baseURL + "/token")
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--vertex", "p1/us-central1", "--vertex-endpoint", server.baseURL, "--nodes", "2",
                "--gpus-per-node", "8", "--run-id", "20261204-010203-abcdef", "--wait", "--poll-interval", "0.05", "--",
                "torchrun", "train.py",
            ],
            cwd: ws.path, environment: ["GOOGLE_APPLICATION_CREDENTIALS": ws.path + "/sa.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains(vertexToken))
        let reqs = server.requests
        #expect(
            reqs.map { "\($0.method) \($0.path)" } == [
                "POST /token", "POST /v1/projects/p1/locations/us-central1/customJobs",
                "GET /v1/projects/123/locations/us-central1/customJobs/987",
                "GET /v1/projects/123/locations/us-central1/customJobs/987",
            ])
        // Routing headers as google-cloud-aiplatform sends them (VertexClientCaptureTests.pathsAndRoutingHeaders).
        #expect(reqs[1].headers["x-goog-request-params"] == "parent=projects/p1/locations/us-central1")
        #expect(reqs[1].headers["content-type"] == "application/json")
        #expect(reqs[2].headers["x-goog-request-params"] == "name=projects/123/locations/us-central1/customJobs/987")

        // The token request: RFC 7523 jwt-bearer grant; the JWT verifies with the key's public half.
        let form = String(decoding: reqs[0].body, as: UTF8.self)
        #expect(reqs[0].headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(form.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="))
        let jwt = try #require(form.components(separatedBy: "assertion=").last)
        let parts = jwt.split(separator: ".")
        try #require(parts.count == 3)
        let header = try JSONSerialization.jsonObject(with: try #require(base64urlDecode(parts[0]))) as? [String: Any]
        #expect(header?["alg"] as? String == "RS256")
        #expect(header?["kid"] as? String == "kid-1")
        let claims = try JSONSerialization.jsonObject(with: try #require(base64urlDecode(parts[1]))) as? [String: Any]
        #expect(claims?["iss"] as? String == "trainer@p1.iam.gserviceaccount.com")
        #expect(claims?["aud"] as? String == server.baseURL + "/token")
        #expect(claims?["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        try ws.write("signed", "\(parts[0]).\(parts[1])")
        try (try #require(base64urlDecode(parts[2]))).write(to: URL(fileURLWithPath: ws.path + "/sig"))
        _ = try runProcess("openssl", ["pkey", "-in", "sa.pem", "-pubout", "-out", "pub.pem"], cwd: ws.path)
        let verified = try runProcess(
            "openssl", ["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "signed"], cwd: ws.path)
        #expect(verified.status == 0 && verified.stdout.contains("Verified OK"), "\(verified.stdout)\(verified.stderr)")

        // The CustomJob body (REST v1 CustomJob, proto3 JSON): chief pool + worker pool, H100 → a3-highgpu-8g.
        let body = reqs[1].json
        #expect(Set(body.keys) == ["displayName", "jobSpec", "labels"])
        let pools = try #require((body["jobSpec"] as? [String: Any])?["workerPoolSpecs"] as? [[String: Any]])
        #expect(pools.count == 2)
        for pool in pools {
            let machine = try #require(pool["machineSpec"] as? [String: Any])
            #expect(machine["machineType"] as? String == "a3-highgpu-8g")
            #expect(machine["acceleratorType"] as? String == "NVIDIA_H100_80GB")
            #expect(machine["acceleratorCount"] as? Int == 8)
            #expect(pool["replicaCount"] as? String == "1")
            let container = try #require(pool["containerSpec"] as? [String: Any])
            #expect(container["imageUri"] as? String == "registry.example.com/team/train@\(jobDigest)")
            #expect(container["command"] as? [String] == ["torchrun", "train.py"])
        }
        let labels = try #require(body["labels"] as? [String: String])
        #expect(labels["envctl-lock"] == String(repeating: "1", count: 64))
        #expect(labels["envctl-run"] == "20261204-010203-abcdef")

        let record = try RunStore(workspace: ws.path).load("20261204-010203-abcdef")
        #expect(record.kind == .vertexCustomJob)
        #expect(record.job?.name == "projects/123/locations/us-central1/customJobs/987")
        #expect(record.job?.state == "JOB_STATE_SUCCEEDED")
        #expect(record.images.first?.digest == jobDigest)
    }

    /// A token that expires within the refresh margin is fetched again before each call, so a long --wait
    /// never sends an expired token.
    @Test func theTokenIsRefreshedDuringWait() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let issued = Counter()
        let polls = Counter()
        let server = try TestHTTPServer { req in
            if req.path == "/token" {
                return (200, ["access_token": vertexToken + "-\(issued.next())", "expires_in": 30])
            }
            if req.method == "POST" { return (200, ["name": "projects/1/locations/r/customJobs/5"]) }
            return (200, ["state": polls.next() < 2 ? "JOB_STATE_RUNNING" : "JOB_STATE_FAILED"])
        }
        defer { server.stop() }
        try serviceAccount(in: ws, tokenURI: server.baseURL + "/token")
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--vertex", "p1/r", "--vertex-endpoint", server.baseURL, "--wait", "--poll-interval",
                "0.01", "--", "python", "t.py",
            ], cwd: ws.path, environment: ["GOOGLE_APPLICATION_CREDENTIALS": ws.path + "/sa.json"])
        #expect(r.status == 1, "a FAILED job exits 1: \(r.stderr)")
        let reqs = server.requests
        #expect(reqs.map(\.path).filter { $0 == "/token" }.count == 4)
        let bearers = reqs.filter { $0.path != "/token" }.map { $0.headers["authorization"] ?? "" }
        #expect(bearers == (0..<4).map { "Bearer \(vertexToken)-\($0)" })
    }

    @Test func aRefusedKeyOr403SubmitsNothingAndExits1() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let server = try TestHTTPServer { req in
            if req.path == "/token" {
                return (400, ["error": "invalid_grant", "error_description": "Invalid JWT Signature."])
            }
            return (403, ["error": ["message": "Permission denied"]])
        }
        defer { server.stop() }
        try serviceAccount(in: ws, tokenURI: server.baseURL + "/token")
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--vertex", "p1/us-central1", "--vertex-endpoint", server.baseURL, "--gpus-per-node",
                "8", "--", "python", "t.py",
            ], cwd: ws.path, environment: ["GOOGLE_APPLICATION_CREDENTIALS": ws.path + "/sa.json"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("Invalid JWT Signature"))
        #expect(!r.stderr.contains("PRIVATE KEY"))
        #expect(server.requests.map(\.path) == ["/token"])
        #expect(RunStore(workspace: ws.path).list().records.isEmpty)
    }

    @Test func aGPUCountVertexDoesNotOfferIsBadInput() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "job", "submit", "--vertex", "p1/us-central1", "--gpus-per-node", "3", "--dry-run", "--", "python",
                "t.py",
            ],
            cwd: ws.path)
        #expect(r.status == 64)
        #expect(r.stderr.contains("in groups of 1, 2, 4, 8"))
    }

    /// `--vertex-machine-type` picks H100 Mega for an `h100` fleet; a machine that does not fit is refused with
    /// the ones that would.
    @Test func aMachineTypeFromTheTablePicksItsAccelerator() throws {
        let ws = try clusterWorkspace()
        defer { ws.cleanup() }
        func submit(_ machine: String) throws -> ProcessResult {
            try runProcess(
                RepoPaths.envctlBinary,
                [
                    "job", "submit", "--vertex", "p1/us-central1", "--gpus-per-node", "8", "--vertex-machine-type",
                    machine, "--dry-run", "--", "python", "t.py",
                ],
                cwd: ws.path)
        }
        let mega = try submit("a3-megagpu-8g")
        #expect(mega.status == 0, "\(mega.stderr)")
        #expect(mega.stdout.contains("\"acceleratorType\": \"NVIDIA_H100_MEGA_80GB\""), "\(mega.stdout)")
        #expect(mega.stdout.contains("\"machineType\": \"a3-megagpu-8g\""))
        let l4 = try submit("g2-standard-96")
        #expect(l4.status == 64)
        #expect(l4.stderr.contains("a3-megagpu-8g (8 × NVIDIA_H100_MEGA_80GB)"), "\(l4.stderr)")
    }
}

import EnvctlClusters
import EnvctlTestSupport
import Foundation
import Testing

/// envctl's CustomJob request against what Google's own client sends for the same job
/// (Fixtures/vertex-rest-capture.json, recorded by Fixtures/capture_vertex_client.py from google-cloud-aiplatform).
@Suite("Vertex CustomJob request vs google-cloud-aiplatform")
struct VertexClientCaptureTests {
    struct Capture {
        var steps: [String: [[String: Any]]]
        var acceleratorTypes: [String: Int]

        init() throws {
            let path = RepoPaths.path("Tests/EnvctlClustersTests/Fixtures/vertex-rest-capture.json")
            let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
            let root = try #require(object as? [String: Any])
            var steps: [String: [[String: Any]]] = [:]
            for step in try #require(root["steps"] as? [[String: Any]]) {
                #expect(step["error"] is NSNull, "the capture step \(step["step"] ?? "") failed")
                steps[try #require(step["step"] as? String)] = try #require(step["requests"] as? [[String: Any]])
            }
            self.steps = steps
            acceleratorTypes = try #require(root["acceleratorTypes"] as? [String: Int])
        }

        func request(_ step: String) throws -> [String: Any] {
            let requests = try #require(steps[step])
            try #require(requests.count == 1)
            return requests[0]
        }

        /// The client sends enums as numbers (it asks for `enum-encoding=int`); envctl sends names. Names back.
        func withAcceleratorNames(_ body: [String: Any]) throws -> [String: Any] {
            var body = body
            var spec = try #require(body["jobSpec"] as? [String: Any])
            let names = Dictionary(uniqueKeysWithValues: acceleratorTypes.map { ($0.value, $0.key) })
            spec["workerPoolSpecs"] = try #require(spec["workerPoolSpecs"] as? [[String: Any]]).map { pool in
                var pool = pool
                var machine = try #require(pool["machineSpec"] as? [String: Any])
                machine["acceleratorType"] = names[try #require(machine["acceleratorType"] as? Int)]
                pool["machineSpec"] = machine
                return pool
            }
            body["jobSpec"] = spec
            return body
        }
    }

    func canonical(_ object: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]),
            as: UTF8.self)
    }

    func envctlBody() throws -> Any {
        let body = VertexCustomJob.body(try plan(nodes: 2), accelerator: "NVIDIA_H100_80GB", machine: "a3-highgpu-8g")
        return try JSONSerialization.jsonObject(with: Data(body.json().utf8))
    }

    @Test func theBodyIsTheOneTheGeneratedRESTClientSends() throws {
        let capture = try Capture()
        let sent = try capture.request("gapic_create_custom_job")
        #expect(sent["method"] as? String == "POST")
        let body = try capture.withAcceleratorNames(try #require(sent["json"] as? [String: Any]))
        #expect(try canonical(envctlBody()) == canonical(body))
    }

    /// The high-level SDK sends the same body plus `jobSpec.baseOutputDirectory` under its required staging bucket
    /// (a gs:// prefix envctl has no use for, so it leaves the field out).
    @Test func theBodyIsTheOneTheSDKSendsLessItsStagingDirectory() throws {
        let capture = try Capture()
        var body = try capture.withAcceleratorNames(
            try #require(try capture.request("sdk_custom_job_submit")["json"] as? [String: Any]))
        var spec = try #require(body["jobSpec"] as? [String: Any])
        #expect(spec.removeValue(forKey: "baseOutputDirectory") != nil)
        body["jobSpec"] = spec
        #expect(try canonical(envctlBody()) == canonical(body))
    }

    /// Every accelerator in envctl's Vertex table is a value of the client's AcceleratorType enum.
    @Test func theAcceleratorTableUsesTheClientsEnumNames() throws {
        let capture = try Capture()
        let accelerators =
            GPUProduct.table.flatMap { $0.boards.flatMap(\.vertexAccelerators) }
            + VertexMachine.table.map(\.accelerator)
        for accelerator in Set(accelerators) {
            #expect(capture.acceleratorTypes[accelerator] != nil, "\(accelerator)")
        }
    }

    /// Paths and routing headers as the client sends them, for create and get; VertexCustomJobTests checks that
    /// envctl sends the same to its local server.
    @Test func pathsAndRoutingHeaders() throws {
        let capture = try Capture()
        func line(_ step: String) throws -> (String, String, [String: String]) {
            let r = try capture.request(step)
            let path = try #require(r["path"] as? String).split(separator: "?")[0]
            return (try #require(r["method"] as? String), String(path), try #require(r["headers"] as? [String: String]))
        }
        let (createMethod, createPath, createHeaders) = try line("gapic_create_custom_job")
        #expect(createMethod == "POST" && createPath == "/v1/projects/p1/locations/us-central1/customJobs")
        #expect(createHeaders["x-goog-request-params"] == "parent=projects/p1/locations/us-central1")
        #expect(createHeaders["Content-Type"] == "application/json")
        let (getMethod, getPath, getHeaders) = try line("gapic_get_custom_job")
        #expect(getMethod == "GET" && getPath == "/v1/projects/123/locations/us-central1/customJobs/987")
        #expect(getHeaders["x-goog-request-params"] == "name=projects/123/locations/us-central1/customJobs/987")
    }
}

import EnvctlModel
package import Foundation
package import OCIRegistry
import Yams

/// Where a pinned pipeline is submitted.
package enum PipelineTarget: Sendable, Hashable {
    /// KFP REST v2beta1 at `baseURL` (e.g. `https://kubeflow.example.com/pipeline`), in `namespace`.
    case kfp(baseURL: URL, namespace: String?, experiment: String)
    /// Vertex AI pipelineJobs in `project`/`region`; `endpoint` overrides `https://{region}-aiplatform.googleapis.com`.
    case vertex(project: String, region: String, endpoint: URL?, outputDirectory: String?)

    package var description: String {
        switch self {
        case .kfp(let url, let ns, _): "kfp \(url.absoluteString)\(ns.map { " (namespace \($0))" } ?? "")"
        case .vertex(let p, let r, _, _): "vertex \(p)/\(r)"
        }
    }
}

/// What a submission created.
package struct SubmittedRun: Sendable, Hashable {
    package var pipelineID: String?
    package var versionID: String?
    package var runID: String
    package var state: String?
}

/// Uploads a pinned pipeline and starts a run, speaking the same REST shapes as the kfp SDK
/// (`shared/reference/kfp-rest-capture.json`) and the Vertex AI REST API.
///
/// KFP: upload (or reuse) the pipeline, upload a new version, then create the run against that
/// version id, never the pipeline's "latest" version. Vertex: one `pipelineJobs` create with the spec
/// inline. Labels carry the git commit and lock hash within each platform's rules.
package struct PipelineSubmitter: Sendable {
    package var transport: any HTTPTransport
    package var tokens: BearerTokenSource
    package var log: @Sendable (String) -> Void

    package init(transport: any HTTPTransport, token: String?, log: @escaping @Sendable (String) -> Void) {
        self.init(transport: transport, tokens: .fixed(token), log: log)
    }

    /// A submitter that asks `tokens` before every request (a refreshing source keeps a long `--wait` working).
    package init(transport: any HTTPTransport, tokens: BearerTokenSource, log: @escaping @Sendable (String) -> Void) {
        self.transport = transport
        self.tokens = tokens
        self.log = log
    }

    package static let kfpTerminal: Set<String> = ["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED", "PAUSED"]
    package static let vertexTerminal: Set<String> = [
        "PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED", "PIPELINE_STATE_PAUSED",
    ]

    /// Labels for the run: git commit, lock hash, environments. Vertex rules: ≤ 64 characters of
    /// lowercase letters, digits, `_` and `-`, keys starting with a letter.
    package static func labels(commit: String?, lockHash: String?, environments: [String]) -> [String: String] {
        func clean(_ s: String) -> String {
            String(
                s.lowercased().map { ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "-" }
                    .prefix(64))
        }
        var l: [String: String] = ["envctl": "true"]
        if let commit { l["envctl-commit"] = clean(commit) }
        if let lockHash { l["envctl-lock"] = clean(lockHash.replacingOccurrences(of: "sha256:", with: "")) }
        if !environments.isEmpty { l["envctl-env"] = clean(environments.joined(separator: "_")) }
        return l
    }

    package func submit(
        _ pipeline: KFPPipeline, to target: PipelineTarget, displayName: String, labels: [String: String],
        parameters: [String: String], versionName: String
    ) async throws(RunsError) -> SubmittedRun {
        switch target {
        case .kfp(let base, let namespace, let experiment):
            return try await submitKFP(
                pipeline, base: base, namespace: namespace, experiment: experiment, displayName: displayName,
                labels: labels, parameters: parameters, versionName: versionName)
        case .vertex(let project, let region, let endpoint, let output):
            return try await submitVertex(
                pipeline, project: project, region: region, endpoint: endpoint, output: output,
                displayName: displayName, labels: labels, parameters: parameters, jobID: versionName)
        }
    }

    /// Polls until a terminal state (CANCELED counts), returning it.
    package func wait(for run: SubmittedRun, on target: PipelineTarget, interval: Double, timeout: Double)
        async throws(RunsError) -> String
    {
        let start = Date()
        while true {
            let state: String
            switch target {
            case .kfp(let base, _, _):
                let r = try await json("GET", url(base, "/apis/v2beta1/runs/\(run.runID)"), body: nil)
                state = (r["state"] as? String) ?? "RUNTIME_STATE_UNSPECIFIED"
                if Self.kfpTerminal.contains(state) { return state }
            case .vertex(let project, let region, let endpoint, _):
                let r = try await json(
                    "GET",
                    vertexBase(region: region, endpoint: endpoint).appendingPathComponent(
                        "v1/projects/\(project)/locations/\(region)/pipelineJobs/\(run.runID)"), body: nil)
                state = (r["state"] as? String) ?? "PIPELINE_STATE_UNSPECIFIED"
                if Self.vertexTerminal.contains(state) { return state }
            }
            if Date().timeIntervalSince(start) > timeout {
                throw RunsError(.failure, "run \(run.runID) still \(state) after \(Int(timeout)) s")
            }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }

    // MARK: KFP

    func submitKFP(
        _ pipeline: KFPPipeline, base: URL, namespace: String?, experiment: String, displayName: String,
        labels: [String: String], parameters: [String: String], versionName: String
    ) async throws(RunsError) -> SubmittedRun {
        let text: String
        do { text = try pipeline.yaml() } catch { throw RunsError(.internal, "cannot serialise pipeline: \(error)") }
        let description =
            "pinned by envctl; " + labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: " ")
        let fileName = "\(pipeline.name).yaml"

        // 1. The pipeline: reuse one with this name, else upload (which also creates its first version).
        var query = [("name", pipeline.name)]
        if let namespace { query.append(("namespace", namespace)) }
        var pipelineID: String?
        let existing = try await json(
            "GET",
            url(
                base, "/apis/v2beta1/pipelines/names/\(pipeline.name)",
                query: namespace.map { [("namespace", $0)] } ?? []), body: nil, allowNotFound: true)
        pipelineID = existing["pipeline_id"] as? String
        if pipelineID == nil {
            let created = try await multipart(
                url(
                    base, "/apis/v2beta1/pipelines/upload",
                    query: [("name", pipeline.name), ("description", pipeline.description ?? description)]
                        + (namespace.map { [("namespace", $0)] } ?? [])), fileName: fileName, content: text)
            pipelineID = created["pipeline_id"] as? String
        }
        guard let pipelineID else { throw RunsError(.failure, "KFP did not return a pipeline_id for \(pipeline.name)") }

        // 2. A version holding exactly this pinned spec.
        let version = try await multipart(
            url(
                base, "/apis/v2beta1/pipelines/upload_version",
                query: [("name", versionName), ("pipelineid", pipelineID), ("description", description)]),
            fileName: fileName, content: text)
        guard let versionID = version["pipeline_version_id"] as? String else {
            throw RunsError(.failure, "KFP did not return a pipeline_version_id")
        }

        // 3. The experiment (runs take their namespace from it in multi-user mode).
        let filter = #"{"predicates": [{"operation": 1, "key": "display_name", "stringValue": "\#(experiment)"}]}"#
        let found = try await json(
            "GET",
            url(
                base, "/apis/v2beta1/experiments",
                query: [("filter", filter)] + (namespace.map { [("namespace", $0)] } ?? [])), body: nil)
        var experimentID = ((found["experiments"] as? [[String: Any]])?.first?["experiment_id"]) as? String
        if experimentID == nil {
            var body: [String: Any] = ["display_name": experiment]
            if let namespace { body["namespace"] = namespace }
            experimentID =
                try await json("POST", url(base, "/apis/v2beta1/experiments"), body: body)["experiment_id"] as? String
        }
        guard let experimentID else {
            throw RunsError(.failure, "KFP did not return an experiment_id for '\(experiment)'")
        }

        // 4. The run, against the version id.
        let body: [String: Any] = [
            "experiment_id": experimentID, "display_name": displayName, "description": description,
            "pipeline_version_reference": ["pipeline_id": pipelineID, "pipeline_version_id": versionID],
            "runtime_config": ["parameters": parameters],
        ]
        let run = try await json("POST", url(base, "/apis/v2beta1/runs"), body: body)
        guard let runID = run["run_id"] as? String else { throw RunsError(.failure, "KFP did not return a run_id") }
        return SubmittedRun(pipelineID: pipelineID, versionID: versionID, runID: runID, state: run["state"] as? String)
    }

    // MARK: Vertex

    func vertexBase(region: String, endpoint: URL?) -> URL {
        endpoint ?? URL(string: "https://\(region)-aiplatform.googleapis.com")!
    }

    func submitVertex(
        _ pipeline: KFPPipeline, project: String, region: String, endpoint: URL?, output: String?, displayName: String,
        labels: [String: String], parameters: [String: String], jobID: String
    ) async throws(RunsError) -> SubmittedRun {
        if pipeline.platformSpec != nil {
            log("warning: Vertex AI ignores the kfp-kubernetes platform spec; it is not sent")
        }
        guard let root = output ?? pipeline.spec["defaultPipelineRoot"]?.string else {
            throw RunsError(
                .badInput,
                "Vertex AI needs an output directory: pass --gcs-output gs://bucket/path (or compile with pipeline_root)"
            )
        }
        let id = String(jobID.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(128))
        var values: [String: Any] = [:]
        for (k, v) in parameters { values[k] = v }
        let body: [String: Any] = [
            "displayName": displayName, "labels": labels, "pipelineSpec": pipeline.jsonObject(),
            "runtimeConfig": ["gcsOutputDirectory": root, "parameterValues": values],
        ]
        let u = url(
            vertexBase(region: region, endpoint: endpoint), "/v1/projects/\(project)/locations/\(region)/pipelineJobs",
            query: [("pipelineJobId", id)])
        let job = try await json("POST", u, body: body)
        let name = (job["name"] as? String) ?? "projects/\(project)/locations/\(region)/pipelineJobs/\(id)"
        return SubmittedRun(
            pipelineID: nil, versionID: nil, runID: String(name.split(separator: "/").last ?? Substring(id)),
            state: job["state"] as? String)
    }

    // MARK: HTTP

    func url(_ base: URL, _ path: String, query: [(String, String)] = []) -> URL {
        var c = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        c.path = (c.path.hasSuffix("/") ? String(c.path.dropLast()) : c.path) + path
        if !query.isEmpty {
            // Form encoding as the kfp client (requests) does: space as '+', reserved characters escaped.
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~ ")
            c.percentEncodedQuery = query.map { k, v in
                "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: " ", with: "+"))"
            }.joined(separator: "&")
        }
        return c.url!
    }

    func headers(_ contentType: String) async throws(RunsError) -> HTTPHeaders {
        var h = HTTPHeaders([("Accept", "application/json"), ("Content-Type", contentType)])
        if let token = try await tokens.token() { h.add("authorization", "Bearer \(token)") }
        return h
    }

    func multipart(_ url: URL, fileName: String, content: String) async throws(RunsError) -> [String: Any] {
        let boundary = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        var body = Data()
        body.append(
            Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    .utf8))
        body.append(Data(content.utf8))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return try await send(
            HTTPRequest(
                method: "POST", url: url, headers: try await headers("multipart/form-data; boundary=\(boundary)"),
                body: .bytes(body)))
    }

    func json(_ method: String, _ url: URL, body: [String: Any]?, allowNotFound: Bool = false) async throws(RunsError)
        -> [String: Any]
    {
        var payload: HTTPRequestBody = .none
        if let body {
            do { payload = .bytes(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) } catch {
                throw RunsError(.internal, "cannot encode request body: \(error)")
            }
        }
        return try await send(
            HTTPRequest(method: method, url: url, headers: try await headers("application/json"), body: payload),
            allowNotFound: allowNotFound)
    }

    func send(_ request: HTTPRequest, allowNotFound: Bool = false) async throws(RunsError) -> [String: Any] {
        let response: HTTPResponse
        do { response = try await transport.execute(request, sink: .memory(limit: 64 << 20)) } catch {
            throw RunsError(.failure, "\(request.method) \(request.url.host ?? ""): \(error.message)")
        }
        if allowNotFound && response.status == 404 { return [:] }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            let message =
                (object["message"] as? String) ?? ((object["error"] as? [String: Any])?["message"] as? String)
                ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            let kind: RunsError.Kind = response.status == 401 || response.status == 403 ? .badInput : .failure
            throw RunsError(
                kind, "\(request.method) \(request.url.path): HTTP \(response.status): \(message)",
                hint: response.status == 401
                    ? "pass a valid bearer token (--token, ENVCTL_PIPELINES_TOKEN or --token-file)" : nil)
        }
        return object
    }
}

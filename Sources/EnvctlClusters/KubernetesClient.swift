import EnvctlModel
package import EnvctlRuns
package import Foundation
package import OCIRegistry

/// The few Kubernetes API calls `envctl job submit` makes, in the shapes the official kubernetes Python client
/// sends (`Tests/EnvctlClustersTests/Fixtures/kubernetes-rest-capture.json`): POST the object to its collection,
/// watch it by `fieldSelector=metadata.name=…`, list its pods by label, and follow pod logs.
package struct KubernetesClient: Sendable {
    package var credentials: KubernetesCredentials
    package var transport: any HTTPTransport

    package init(credentials: KubernetesCredentials, transport: any HTTPTransport) {
        self.credentials = credentials
        self.transport = transport
    }

    /// The collection path an object is created in: core `/api/v1`, groups `/apis/GROUP/VERSION`.
    package static func collectionPath(apiVersion: String, kind: String, namespace: String) -> String {
        let plural: String
        switch kind {
        case "Job": plural = "jobs"
        case "Service": plural = "services"
        case "PyTorchJob": plural = "pytorchjobs"
        case "JobSet": plural = "jobsets"
        default: plural = kind.lowercased() + "s"
        }
        let prefix = apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)"
        return "\(prefix)/namespaces/\(namespace)/\(plural)"
    }

    /// Creates `object`; returns the created object's `metadata.uid`.
    package func create(_ object: ManifestValue) async throws(RunsError) -> String? {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
            let namespace = object["metadata"]?["namespace"]?.stringValue
        else { throw RunsError(.internal, "manifest without apiVersion, kind or namespace") }
        let path = Self.collectionPath(apiVersion: apiVersion, kind: kind, namespace: namespace)
        let body = Data(object.json().utf8)
        let response = try await send("POST", path, body: body)
        let created = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return (created?["metadata"] as? [String: Any])?["uid"] as? String
    }

    /// Watches the workload until a terminal condition; returns `Complete`/`Succeeded`/`Completed` or `Failed`.
    package func waitForCompletion(
        apiVersion: String, kind: String, namespace: String, name: String, timeout: Double,
        onEvent: @Sendable (String) -> Void = { _ in }
    ) async throws(RunsError) -> String {
        let path = Self.collectionPath(apiVersion: apiVersion, kind: kind, namespace: namespace)
        let start = Date()
        var resourceVersion: String?
        while Date().timeIntervalSince(start) < timeout {
            var query = [
                ("fieldSelector", "metadata.name=\(name)"), ("timeoutSeconds", "60"), ("watch", "true"),
            ]
            if let resourceVersion { query.insert(("resourceVersion", resourceVersion), at: 1) }
            let response = try await send("GET", path, query: query)
            for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") {
                guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let object = event["object"] as? [String: Any]
                else { continue }
                if event["type"] as? String == "ERROR" {
                    resourceVersion = nil
                    continue
                }
                let metadata = object["metadata"] as? [String: Any]
                resourceVersion = metadata?["resourceVersion"] as? String ?? resourceVersion
                let status = object["status"] as? [String: Any]
                for c in (status?["conditions"] as? [[String: Any]]) ?? [] where c["status"] as? String == "True" {
                    let type = c["type"] as? String ?? ""
                    onEvent(type)
                    if ["Complete", "Succeeded", "Completed", "Failed"].contains(type) { return type }
                }
            }
        }
        throw RunsError(.failure, "\(kind) \(namespace)/\(name) did not finish within \(Int(timeout)) s")
    }

    /// The workload's pods, by the label its controller puts on them.
    package func pods(selector: String, namespace: String) async throws(RunsError) -> [String] {
        let response = try await send(
            "GET", "/api/v1/namespaces/\(namespace)/pods", query: [("labelSelector", selector)])
        let list = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return ((list?["items"] as? [[String: Any]]) ?? []).compactMap {
            ($0["metadata"] as? [String: Any])?["name"] as? String
        }.sorted()
    }

    /// Follows a pod's log (`follow=true`: the API server keeps the response open until the container ends),
    /// handing each chunk to `output` as it arrives. Throws while the container has not started (HTTP 400).
    package func followLog(pod: String, namespace: String, output: @escaping @Sendable (Data) -> Void)
        async throws(RunsError)
    {
        _ = try await send(
            "GET", "/api/v1/namespaces/\(namespace)/pods/\(pod)/log", query: [("follow", "true")],
            sink: .stream(HTTPResponseStream(output)))
    }

    func url(_ path: String, query: [(String, String)]) -> URL {
        var c = URLComponents(url: credentials.server, resolvingAgainstBaseURL: false)!
        c.path = (c.path.hasSuffix("/") ? String(c.path.dropLast()) : c.path) + path
        if !query.isEmpty {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~/")
            c.percentEncodedQuery = query.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }
            .joined(separator: "&")
        }
        return c.url!
    }

    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil,
        sink: HTTPResponseSink = .memory(limit: 256 << 20)
    ) async throws(RunsError) -> HTTPResponse {
        var headers = HTTPHeaders([("Accept", "application/json")])
        if body != nil { headers.add("Content-Type", "application/json") }
        if let token = credentials.token { headers.add("authorization", "Bearer \(token)") }
        let request = HTTPRequest(
            method: method, url: url(path, query: query), headers: headers, body: body.map { .bytes($0) } ?? .none,
            tls: credentials.tls)
        let response: HTTPResponse
        do { response = try await transport.execute(request, sink: sink) } catch {
            throw RunsError(.failure, "\(method) \(credentials.server.host ?? "")\(path): \(error.message)")
        }
        guard (200..<300).contains(response.status) else {
            let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
            let message = (object?["message"] as? String) ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            let hint: String? =
                switch response.status {
                case 401: "the credentials were refused (an expired token?): refresh the kubeconfig's credentials"
                case 403:
                    "the kubeconfig's user may not do this; ask for RBAC permission to create it in this namespace"
                case 409: "an object of that name exists; pass another --name or --run-id"
                default: nil
                }
            throw RunsError(.failure, "\(method) \(path): HTTP \(response.status): \(message)", hint: hint)
        }
        return response
    }
}

package import EnvctlModel
package import EnvctlRuns
package import Foundation
package import OCIRegistry

/// A Vertex AI CustomJob for a `JobPlan`: the REST `projects.locations.customJobs.create` body
/// (cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs; proto3 JSON, so the int64
/// `replicaCount` is a string), machine and accelerator from `GPUProduct`'s sourced table, and labels within
/// Vertex's rules. Several nodes become two worker pools (the chief, then the workers), as Vertex expects.
package enum VertexCustomJob {
    package static let terminal: Set<String> = [
        "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    ]

    /// `acceleratorType` and `machineType` for the plan's GPUs: the first accelerator Vertex offers for the fleet's
    /// GPUs (in fleet order; a family's default first, so `a100` is `NVIDIA_TESLA_A100` and `A100-SXM4-80GB` is
    /// `NVIDIA_A100_80GB`) on the smallest machine type with `gpusPerNode` of them, or the `machineType` asked for
    /// when it carries one of the fleet's accelerators in that count (`a3-megagpu-8g` for H100 Mega).
    package static func machine(for lock: Lockfile, gpusPerNode: Int, machineType: String? = nil) throws(RunsError)
        -> (String, String)
    {
        let gpus = lock.fleet?.gpus ?? []
        guard !gpus.isEmpty else {
            throw RunsError(
                .badInput, "the lock names no fleet GPU, so envctl cannot choose a Vertex AI accelerator",
                hint: "add the GPUs to the spec's fleet (fleet: {gpus: [a100]}) and run 'envctl lock'")
        }
        var accelerators: [String] = []
        for gpu in gpus {
            for board in GPUProduct.select(gpu.name)?.boards ?? [] {
                for a in board.vertexAccelerators where !accelerators.contains(a) { accelerators.append(a) }
            }
        }
        guard let accelerator = accelerators.first else {
            throw RunsError(
                .badInput,
                "no fleet GPU of the lock (\(gpus.map(\.name).joined(separator: ", ").escapedForMessage)) is offered by Vertex AI custom training",
                hint: "Vertex AI offers: "
                    + GPUProduct.table.filter { $0.boards.contains { !$0.vertexAccelerators.isEmpty } }.map(\.id)
                    .joined(separator: ", "))
        }
        func offer(_ rows: [VertexMachine]) -> String {
            rows.map { "\($0.machineType) (\($0.count) × \($0.accelerator))" }.joined(separator: ", ")
        }
        if let machineType {
            let rows = VertexMachine.table.filter { $0.machineType == machineType }
            if let row = rows.first(where: { accelerators.contains($0.accelerator) && $0.count == gpusPerNode }) {
                return (row.accelerator, row.machineType)
            }
            let fitting = VertexMachine.table.filter { accelerators.contains($0.accelerator) }
            throw RunsError(
                .badInput,
                rows.isEmpty
                    ? "--vertex-machine-type '\(machineType.escapedForMessage)' is not in envctl's Vertex AI machine table"
                    : "--vertex-machine-type \(machineType) carries \(offer(rows)), not \(gpusPerNode) × \(accelerators.joined(separator: " or "))",
                hint: "for the fleet's GPUs: \(offer(fitting)); --gpus-per-node sets the count")
        }
        guard let row = VertexMachine.table.first(where: { $0.accelerator == accelerator && $0.count == gpusPerNode })
        else {
            let counts = VertexMachine.table.filter { $0.accelerator == accelerator }.map { String($0.count) }
            throw RunsError(
                .badInput,
                "Vertex AI offers \(accelerator) in groups of \(counts.joined(separator: ", ")) per machine, not \(gpusPerNode)",
                hint: "pass --gpus-per-node with one of those")
        }
        return (accelerator, row.machineType)
    }

    package static func body(_ plan: JobPlan, accelerator: String, machine: String) -> ManifestValue {
        var env: [ManifestValue] = [
            .object([("name", .string("ENVCTL_RUN_ID")), ("value", .string(plan.runID))]),
            .object([("name", .string("ENVCTL_LOCK_HASH")), ("value", .string(plan.lockHash))]),
        ]
        if let commit = plan.commit {
            env.append(.object([("name", .string("ENVCTL_GIT_COMMIT")), ("value", .string(commit))]))
        }
        func pool(_ replicas: Int) -> ManifestValue {
            .object([
                (
                    "machineSpec",
                    .object([
                        ("machineType", .string(machine)), ("acceleratorType", .string(accelerator)),
                        ("acceleratorCount", .int(plan.gpusPerNode)),
                    ])
                ),
                ("replicaCount", .string(String(replicas))),
                (
                    "containerSpec",
                    .object([
                        ("imageUri", .string(plan.image)), ("command", .array(plan.command.map { .string($0) })),
                        ("env", .array(env)),
                    ])
                ),
            ])
        }
        var pools = [pool(1)]
        if plan.nodes > 1 { pools.append(pool(plan.nodes - 1)) }
        var labels = PipelineSubmitter.labels(
            commit: plan.commit, lockHash: plan.lockHash, environments: [plan.environment])
        labels["envctl-run"] = Labels.value(plan.runID).lowercased()
        return .object([
            ("displayName", .string(plan.name)),
            ("jobSpec", .object([("workerPoolSpecs", .array(pools))])),
            ("labels", .object(labels.keys.sorted().map { ($0, .string(labels[$0]!)) })),
        ])
    }

    package struct Target: Sendable {
        package var project: String
        package var region: String
        package var endpoint: URL?

        package init(project: String, region: String, endpoint: URL?) {
            self.project = project
            self.region = region
            self.endpoint = endpoint
        }

        package static func parse(_ text: String, endpoint: String?) throws(RunsError) -> Target {
            let parts = text.split(separator: "/")
            guard parts.count == 2 else { throw RunsError(.badInput, "--vertex takes PROJECT/REGION, got '\(text)'") }
            return Target(
                project: String(parts[0]), region: String(parts[1]), endpoint: endpoint.flatMap(URL.init(string:)))
        }

        var base: URL { endpoint ?? URL(string: "https://\(region)-aiplatform.googleapis.com")! }
    }

    /// Creates the CustomJob, records the run, and with `wait` polls until a terminal state (refreshing the token).
    package static func submit(
        _ plan: JobPlan, body: ManifestValue, to target: Target, auth: GoogleAuth, transport: any HTTPTransport,
        workspace: Workspace, git: RunRecord.GitStamp?, wait: Bool, pollInterval: Double, timeout: Double,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> (RunRecord, Int32) {
        let path = "/v1/projects/\(target.project)/locations/\(target.region)/customJobs"
        let created = try await send(
            "POST", target.base.appendingPathComponent(path), body: Data(body.json().utf8),
            routing: "parent=projects/\(target.project)/locations/\(target.region)", auth: auth, transport: transport)
        guard let name = created["name"] as? String else { throw RunsError(.failure, "Vertex AI returned no job name") }
        var record = RunRecord(
            id: plan.runID, kind: .vertexCustomJob, startedAt: Date(), command: plan.command, workspace: workspace.root,
            git: git, environment: plan.environment, lockHash: plan.lockHash,
            images: [.init(reference: plan.image, digest: plan.digest, source: "pushed")], runtime: nil, host: nil)
        record.job = .init(
            cluster: "vertex \(target.project)/\(target.region)", server: target.base.absoluteString, context: nil,
            namespace: nil, name: name, uid: String(name.split(separator: "/").last ?? ""), workload: "customjob",
            nodes: plan.nodes, gpusPerNode: plan.gpusPerNode, shmSize: nil, state: created["state"] as? String)
        do { try workspace.runs.save(record) } catch {
            throw RunsError(.failure, "cannot write run record \(workspace.runs.path(for: record.id))")
        }
        log("created Vertex AI custom job \(name)")
        guard wait else { return (record, 0) }
        let start = Date()
        var state = created["state"] as? String ?? "JOB_STATE_PENDING"
        while !terminal.contains(state) {
            if Date().timeIntervalSince(start) > timeout {
                throw RunsError(.failure, "custom job \(name) still \(state) after \(Int(timeout)) s")
            }
            try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000))
            let job = try await send(
                "GET", target.base.appendingPathComponent("/v1/\(name)"), body: nil, routing: "name=\(name)",
                auth: auth,
                transport: transport)
            state = job["state"] as? String ?? state
        }
        log("custom job \(name): \(state)")
        record.job?.state = state
        record.exitCode = state == "JOB_STATE_SUCCEEDED" ? 0 : 1
        record.endedAt = RunRecord.timestamp(Date())
        try? workspace.runs.save(record)
        return (record, record.exitCode!)
    }

    /// One REST call, shaped like google-cloud-aiplatform's REST transport (Tests/EnvctlClustersTests/Fixtures/
    /// vertex-rest-capture.json): JSON body and `Content-Type`, and the `x-goog-request-params` routing header
    /// (`parent=…` or `name=…`). Unlike the client, envctl does not ask for `$alt=json;enum-encoding=int`, so enums
    /// (`acceleratorType`, `state`) travel as names, proto3 JSON's default, which the API accepts and answers in.
    static func send(
        _ method: String, _ url: URL, body: Data?, routing: String, auth: GoogleAuth, transport: any HTTPTransport
    ) async throws(RunsError) -> [String: Any] {
        let token = try await auth.accessToken()
        let headers = HTTPHeaders([
            ("Accept", "application/json"), ("Content-Type", "application/json"), ("x-goog-request-params", routing),
            ("authorization", "Bearer \(token)"),
        ])
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body.map { .bytes($0) } ?? .none)
        let response: HTTPResponse
        do { response = try await transport.execute(request, sink: .memory(limit: 16 << 20)) } catch {
            throw RunsError(.failure, "\(method) \(url.host ?? ""): \(error.message)")
        }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            let message = ((object["error"] as? [String: Any])?["message"] as? String) ?? ""
            throw RunsError(
                .failure, "\(method) \(url.path): HTTP \(response.status): \(message)",
                hint: response.status == 403
                    ? "the account needs roles/aiplatform.user in the project"
                    : response.status == 401 ? "the access token was refused (expired?)" : nil)
        }
        return object
    }
}

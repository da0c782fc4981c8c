import ArgumentParser
import CurlTransport
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand.Pipeline {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a compiled pipeline, upload it with a new version, and run that exact version on KFP or Vertex AI.",
            discussion: """
                KFP (REST v2beta1): the pipeline is uploaded (or found by name), a new version holding the pinned
                spec is uploaded, and the run is created against that version id, never "latest".
                Vertex AI: a pipelineJob is created with the pinned spec inline and labels for the git commit and
                lock hash. The bearer token comes from --token, ENVCTL_PIPELINES_TOKEN or --token-file.
                """)

        @Argument(help: "The compiled pipeline (KFP v2 IR YAML).") var file: String
        @Option(name: .long, help: "KFP API base URL, e.g. https://kubeflow.example.com/pipeline.") var kfp: String?
        @Option(name: .long, help: "Vertex AI PROJECT/REGION.") var vertex: String?
        @Option(name: .long, help: "KFP namespace (multi-user mode).") var namespace: String?
        @Option(name: .long, help: "KFP experiment (created when missing).") var experiment = "Default"
        @Option(name: .long, help: "Vertex: gs:// output directory (default: the spec's pipeline root).") var gcsOutput: String?
        @Option(name: .long, help: "Vertex: API endpoint (default https://REGION-aiplatform.googleapis.com).") var vertexEndpoint: String?
        @Option(name: .long, help: "Bearer token.") var token: String?
        @Option(name: .long, help: "File holding the bearer token.") var tokenFile: String?
        @Option(name: .long, help: "Run parameter NAME=VALUE (repeatable).") var param: [String] = []
        @Flag(name: .long, help: "Resolve images of no environment through the registry.") var pinExternal = false
        @Flag(name: .long, help: "Wait until the run reaches a terminal state (CANCELED included).") var wait = false
        @Option(name: .long, help: "Seconds between polls with --wait.") var pollInterval: Double = 5
        @Option(name: .long, help: "Give up waiting after this many seconds.") var timeout: Double = 86_400

        func run() async throws {
            let code = try await RunsPresentation.guarded { () async throws -> Int32 in
                let target = try self.target()
                let token = try self.bearerToken()
                let workspace = try Workspace.locate()
                let lock = try workspace.loadLock()
                let result = try await PipelineFlow.pin(file: file, pinExternal: pinExternal, lock: lock)
                var parameters: [String: String] = [:]
                for p in param {
                    guard let eq = p.firstIndex(of: "=") else { throw RunsError(.badInput, "--param '\(p)' is not NAME=VALUE") }
                    parameters[String(p[..<eq])] = String(p[p.index(after: eq)...])
                }
                let git = workspace.gitStamp()
                if git?.dirty == true { RunsPresentation.stderr("warning: the working tree has uncommitted changes; the run is labelled with HEAD") }
                let lockHash = result.environments.first?.hash
                let labels = PipelineSubmitter.labels(commit: git?.commit, lockHash: lockHash, environments: result.environments.map(\.name))
                let id = RunRecord.newID()
                let submitter = PipelineSubmitter(transport: CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)"), token: token, log: RunsPresentation.log)
                let submitted = try await submitter.submit(
                    result.pipeline, to: target, displayName: "\(result.pipeline.name)-\(id)", labels: labels,
                    parameters: parameters, versionName: "envctl-\(id)")

                var record = RunRecord(
                    id: id, kind: vertex != nil ? .vertex : .kfp, startedAt: Date(), command: ["pipeline", "submit", file],
                    workspace: workspace.root, git: git, environment: result.environments.map(\.name).joined(separator: ","),
                    lockHash: lockHash ?? "", images: result.pins.map { .init(reference: $0.pinned, digest: ImageRef.split($0.pinned).digest, source: "pipeline") },
                    runtime: nil, host: nil)
                record.pipeline = .init(file: file, endpoint: target.description, pipelineID: submitted.pipelineID,
                                        versionID: submitted.versionID, remoteRunID: submitted.runID, state: submitted.state)
                try workspace.runs.save(record)
                await Self.protect(&record, registry: RegistryAdapter.make())
                try workspace.runs.save(record)
                RunsPresentation.stderr("envctl: submitted run \(submitted.runID)\(submitted.versionID.map { " (pipeline version \($0))" } ?? "") — record \(id)")
                guard wait else { return 0 }
                let state = try await submitter.wait(for: submitted, on: target, interval: pollInterval, timeout: timeout)
                record.pipeline?.state = state
                record.endedAt = RunRecord.timestamp(Date())
                let ok = state == "SUCCEEDED" || state == "PIPELINE_STATE_SUCCEEDED"
                record.exitCode = ok ? 0 : 1
                try workspace.runs.save(record)
                RunsPresentation.stderr("envctl: run \(submitted.runID) finished: \(state)")
                return ok ? 0 : 1
            }
            if code != 0 { throw ExitCode(code) }
        }

        /// Tags every pinned digest `envctl-run-<id>` so registry clean-up keeps it.
        static func protect(_ record: inout RunRecord, registry: (any ImageRegistry)?) async {
            guard let registry else { return }
            var seen = Set<String>()
            for image in record.images {
                guard let digest = image.digest else { continue }
                let repo = ImageRef.split(image.reference).repository
                guard seen.insert(repo + digest).inserted else { continue }
                do {
                    try await registry.addTag(repository: repo, digest: digest, tag: record.protectiveTag)
                    record.protectiveTags.append("\(repo):\(record.protectiveTag)")
                } catch {
                    RunsPresentation.stderr("warning: could not add protective tag to \(repo)@\(digest): \(error.message)")
                }
            }
        }

        func target() throws -> PipelineTarget {
            switch (kfp, vertex) {
            case (let url?, nil):
                guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else {
                    throw RunsError(.badInput, "--kfp '\(url)' is not an http(s) URL")
                }
                return .kfp(baseURL: u, namespace: namespace, experiment: experiment)
            case (nil, let pr?):
                let parts = pr.split(separator: "/")
                guard parts.count == 2 else { throw RunsError(.badInput, "--vertex takes PROJECT/REGION, got '\(pr)'") }
                return .vertex(project: String(parts[0]), region: String(parts[1]), endpoint: vertexEndpoint.flatMap(URL.init(string:)), outputDirectory: gcsOutput)
            default:
                throw RunsError(.badInput, "give exactly one of --kfp URL or --vertex PROJECT/REGION")
            }
        }

        func bearerToken() throws -> String? {
            if let token { return token }
            if let t = ProcessInfo.processInfo.environment["ENVCTL_PIPELINES_TOKEN"], !t.isEmpty { return t }
            let path = tokenFile ?? "/var/run/secrets/kubeflow/pipelines/token"
            if let data = FileManager.default.contents(atPath: path) {
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if tokenFile != nil { throw RunsError(.badInput, "cannot read token file '\(path)'") }
            return nil
        }
    }
}

import ArgumentParser
import CurlTransport
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation
import OCIRegistry

/// Where and how a pinned pipeline is submitted: shared by `envctl pipeline submit` and `envctl reproduce`
/// of a pipeline run.
struct PipelineSubmitOptions: ParsableArguments {
    @Option(name: .long, help: "KFP API base URL, e.g. https://kubeflow.example.com/pipeline.") var kfp: String?
    @Option(name: .long, help: "Vertex AI PROJECT/REGION.") var vertex: String?
    @Option(name: .long, help: "KFP namespace (multi-user mode).") var namespace: String?
    @Option(name: .long, help: "KFP experiment (created when missing).") var experiment = "Default"
    @Option(name: .long, help: "Vertex: gs:// output directory (default: the spec's pipeline root).") var gcsOutput:
        String?
    @Option(name: .long, help: "Vertex: API endpoint (default https://REGION-aiplatform.googleapis.com).")
    var vertexEndpoint: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "'-' reads the bearer token from stdin (a token on the command line would be in the process list).",
            valueName: "-"))
    var token: String?
    @Option(name: .long, help: "File holding the bearer token.") var tokenFile: String?
    @Option(name: .long, help: "Run parameter NAME=VALUE (repeatable).") var param: [String] = []
    @Flag(name: .long, help: "Resolve images of no environment through the registry.") var pinExternal = false
    @Flag(name: .long, help: "Wait until the run reaches a terminal state (CANCELED included).") var wait = false
    @Option(name: .long, help: "Seconds between polls with --wait.") var pollInterval: Double = 5
    @Option(name: .long, help: "Give up waiting after this many seconds.") var timeout: Double = 86_400

    var hasTarget: Bool { kfp != nil || vertex != nil }

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
            return .vertex(
                project: String(parts[0]), region: String(parts[1]),
                endpoint: vertexEndpoint.flatMap(URL.init(string:)), outputDirectory: gcsOutput)
        default:
            throw RunsError(.badInput, "give exactly one of --kfp URL or --vertex PROJECT/REGION")
        }
    }

    /// Refuses `--token VALUE` (only `--token -` is accepted), before anything else runs.
    func checkTokenOption() throws(RunsError) {
        guard let token, token != "-" else { return }
        throw RunsError(
            .badInput,
            "--token takes '-' (read the token from stdin), not the token itself: a token on the command line is visible to every user of this machine in the process list",
            hint:
                "pipe it in ('… | envctl pipeline submit --token - …'), or use ENVCTL_PIPELINES_TOKEN or --token-file FILE"
        )
    }

    /// The bearer token: `--token -` (stdin), else `ENVCTL_PIPELINES_TOKEN`, else `--token-file` (default
    /// the in-cluster KFP token file, when present). A literal `--token VALUE` is refused: every user of
    /// the machine could read it in the process list.
    func bearerToken() throws -> String? {
        try checkTokenOption()
        if token != nil {
            let text = try Self.stdinToken.get().trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw RunsError(.badInput, "--token -: stdin held no token") }
            return text
        }
        if let t = ProcessInfo.processInfo.environment["ENVCTL_PIPELINES_TOKEN"], !t.isEmpty { return t }
        let path = tokenFile ?? "/var/run/secrets/kubeflow/pipelines/token"
        if let data = FileManager.default.contents(atPath: path) {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if tokenFile != nil { throw RunsError(.badInput, "cannot read token file '\(path)'") }
        return nil
    }

    /// Standard input, read once (the token is asked for twice: to check early, and to submit).
    static let stdinToken: Result<String, RunsError> = {
        let limit = 1 << 16
        var data = Data()
        while let chunk = try? FileHandle.standardInput.read(upToCount: limit + 1 - data.count), !chunk.isEmpty {
            data.append(chunk)
            if data.count > limit {
                return .failure(
                    RunsError(.badInput, "--token -: stdin holds more than \(limit) bytes; that is not a bearer token"))
            }
        }
        return .success(String(decoding: data, as: UTF8.self))
    }()

    /// `--param NAME=VALUE` values laid over `base` (a reproduced run's recorded parameters).
    func parameters(over base: [String: String] = [:]) throws -> [String: String] {
        var parameters = base
        for p in param {
            guard let eq = p.firstIndex(of: "=") else { throw RunsError(.badInput, "--param '\(p)' is not NAME=VALUE") }
            parameters[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return parameters
    }
}

extension PipelineFlow {
    /// Submits through `PipelineFlow.submit` with these options' target, token and `--wait` settings, over libcurl.
    static func submit(
        _ s: Submission, options: PipelineSubmitOptions, registry: any ImageRegistry, workspace: Workspace
    )
        async throws -> Int32
    {
        let settings = Settings(
            target: try options.target(), wait: options.wait, pollInterval: options.pollInterval,
            timeout: options.timeout)
        let transport = CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)")
        let token = try options.bearerToken()
        var tokens = BearerTokenSource.fixed(token)
        if token == nil, case .vertex = settings.target {
            // No token given: Application Default Credentials, as `envctl job submit --vertex` uses them, asked
            // before every request so that the token is refreshed during a long --wait. The first is fetched now,
            // so that bad credentials fail before anything is uploaded.
            let auth = GoogleAuth.discover(transport: transport)
            _ = try await auth.accessToken()
            tokens = auth.bearerTokens
        }
        let submitter = PipelineSubmitter(transport: transport, tokens: tokens, log: RunsPresentation.log)
        return try await submit(
            s, settings: settings, submitter: submitter, registry: registry, workspace: workspace,
            log: RunsPresentation.stderr)
    }
}

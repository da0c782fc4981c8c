import EnvctlModel

/// Where a submitter's bearer token comes from: one fixed token (`--token -`, `ENVCTL_PIPELINES_TOKEN`, a token
/// file), or a source asked before every request, so that one which refreshes (Google's Application Default
/// Credentials, `GoogleAuth` in EnvctlClusters) keeps a long `--wait` authorised. The same source serves
/// `envctl job submit --vertex`, whose CustomJob calls ask `GoogleAuth` before each request too.
package struct BearerTokenSource: Sendable {
    let next: @Sendable () async throws(RunsError) -> String?

    /// A source asked before every request; it registers what it returns with `Secrets` itself.
    package init(_ next: @escaping @Sendable () async throws(RunsError) -> String?) {
        self.next = next
    }

    /// One token for every request (or none).
    package static func fixed(_ token: String?) -> BearerTokenSource {
        if let token { Secrets.register(token) }
        return BearerTokenSource { token }
    }

    /// The token for the next request.
    package func token() async throws(RunsError) -> String? {
        try await next()
    }
}

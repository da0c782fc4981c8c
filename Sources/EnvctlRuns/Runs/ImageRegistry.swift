import Foundation

/// What runs, pipelines and reproduce need from a registry. A seam so the CLI can plug in the shared
/// OCIRegistry client and tests can use an in-memory fake.
public protocol ImageRegistry: Sendable {
    /// Whether `repository@digest` can still be pulled.
    func digestExists(repository: String, digest: String) async throws(RunsError) -> Bool
    /// The manifest digest a tag points to now.
    func resolveDigest(reference: String) async throws(RunsError) -> String
    /// Points `repository:tag` at `digest` (used for protective `envctl-run-<id>` tags).
    func addTag(repository: String, digest: String, tag: String) async throws(RunsError)
}

/// Resolves an image tag to digests. The registry client implements this; `lock --offline` passes none.
public protocol ImageDigestResolver: Sendable {
    /// - Returns: the digest the tag points to (an index for multi-platform images) and the digest of the
    ///   manifest for `platform` inside it (the same digest for single-platform images).
    func pin(_ reference: String, platform: String) async throws -> (digest: String, platformDigest: String)
}

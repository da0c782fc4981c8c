import Foundation

/// What envctl's libraries need from a registry: the one registry port.
///
/// `RegistryClient` implements it; the libraries that talk to registries (locking, the build workflow,
/// runs and reproduce) take `any ImageRegistry` so that a test can substitute a fake where a real
/// registry cannot answer (an image on docker.io, say). The CLI builds the one client for every command
/// through `RegistryOptions.makeClient` (registries config, credentials, certificates, verbose log).
package protocol ImageRegistry: Sendable {
    /// The manifest digest `reference` (tag or digest) points to now; nil when the registry does not have it.
    func manifestDigest(_ reference: ImageReference) async throws(RegistryError) -> ContentDigest?
    /// Resolves a tag to its index digest and the manifest digest for `platform` (`envctl lock`).
    func pin(_ reference: String, platform: String) async throws(RegistryError) -> PinnedImage
    /// The config labels of the image at `reference` for linux/amd64, with its manifest digest; nil when absent.
    func labels(_ reference: ImageReference) async throws(RegistryError) -> (
        digest: ContentDigest, labels: [String: String]
    )?
    /// Points `destination` (a tag) at the manifest `source` names.
    func tag(_ source: ImageReference, as destination: ImageReference) async throws(RegistryError)
    /// Pushes an image source (OCI layout, docker archive) to `destination`; returns the manifest digest.
    func publish(_ source: any ImageSource, to destination: ImageReference) async throws(RegistryError) -> ContentDigest
}

extension RegistryClient: ImageRegistry {
    package func manifestDigest(_ reference: ImageReference) async throws(RegistryError) -> ContentDigest? {
        try await headManifest(reference)?.digest
    }

    package func labels(_ reference: ImageReference) async throws(RegistryError) -> (
        digest: ContentDigest, labels: [String: String]
    )? {
        guard try await exists(reference) else { return nil }
        let inspection = try await inspect(reference)
        return (inspection.digest, inspection.labels)
    }

    package func tag(_ source: ImageReference, as destination: ImageReference) async throws(RegistryError) {
        let manifest = try await fetchManifest(source)
        _ = try await pushManifest(manifest, to: destination)
    }

    package func publish(_ source: any ImageSource, to destination: ImageReference) async throws(RegistryError)
        -> ContentDigest
    {
        try await push(source, to: destination, additionalTags: [], mountFrom: []).digest
    }
}

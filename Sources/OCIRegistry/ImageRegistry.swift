package import Foundation

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
    /// Attaches `artifact` to the manifest `image` names (by digest) as an OCI referrer; returns its descriptor.
    func attach(_ artifact: ReferrerArtifact, to image: ImageReference) async throws(RegistryError) -> Descriptor
    /// The referrers of the manifest `image` names (by digest), optionally only those of `artifactType`.
    func referrers(of image: ImageReference, artifactType: String?) async throws(RegistryError) -> [Descriptor]
    /// A small blob of `repository` (a referrer's document), verified against its digest.
    func blobData(_ descriptor: Descriptor, from repository: ImageReference) async throws(RegistryError) -> Data
    /// The manifest or index `reference` names, verified against its digest.
    func manifest(_ reference: ImageReference) async throws(RegistryError) -> ManifestBlob
}

extension ImageRegistry {
    // Registries substituted in tests that never hold referrers need not implement them.
    package func attach(_ artifact: ReferrerArtifact, to image: ImageReference) async throws(RegistryError)
        -> Descriptor
    {
        throw RegistryError(.unexpectedResponse, "this registry cannot hold referrers (\(image))")
    }
    package func referrers(of image: ImageReference, artifactType: String?) async throws(RegistryError)
        -> [Descriptor]
    { [] }
    package func blobData(_ descriptor: Descriptor, from repository: ImageReference) async throws(RegistryError)
        -> Data
    {
        throw RegistryError(.notFound, "blob \(descriptor.digest) not found in \(repository.name)")
    }
    package func manifest(_ reference: ImageReference) async throws(RegistryError) -> ManifestBlob {
        throw RegistryError(.notFound, "manifest \(reference) not found")
    }
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

    package func attach(_ artifact: ReferrerArtifact, to image: ImageReference) async throws(RegistryError)
        -> Descriptor
    {
        // The destination itself, never a pull mirror: the subject must be the manifest just pushed there.
        guard let head = try await headManifestDirect(image, scopes: [Self.pushScope(image)]) else {
            throw RegistryError(.notFound, "manifest \(image) not found", registry: image.registry)
        }
        let subject = Descriptor(mediaType: head.mediaType, digest: head.digest, size: head.size)
        return try await attach(artifact, to: subject, in: image)
    }

    package func referrers(of image: ImageReference, artifactType: String?) async throws(RegistryError)
        -> [Descriptor]
    {
        guard let digest = image.digest else {
            throw RegistryError(.invalidReference, "referrers need a digest: \(image)")
        }
        return try await referrers(of: digest, in: image, artifactType: artifactType)
    }

    package func blobData(_ descriptor: Descriptor, from repository: ImageReference) async throws(RegistryError)
        -> Data
    {
        try await fetchBlobData(descriptor, from: repository)
    }

    package func manifest(_ reference: ImageReference) async throws(RegistryError) -> ManifestBlob {
        try await fetchManifest(reference)
    }
}

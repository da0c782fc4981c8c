package import Foundation

/// A document to attach to an image as an OCI referrer (an SBOM, a provenance statement).
package struct ReferrerArtifact: Sendable, Hashable {
    /// The manifest's `artifactType`, e.g. `application/vnd.cyclonedx+json`.
    package var artifactType: String
    /// The media type of the single layer that holds `content` (usually `artifactType`).
    package var mediaType: String
    package var content: Data
    package var annotations: [String: String]

    package init(artifactType: String, mediaType: String? = nil, content: Data, annotations: [String: String] = [:]) {
        self.artifactType = artifactType
        self.mediaType = mediaType ?? artifactType
        self.content = content
        self.annotations = annotations
    }
}

extension MediaType {
    /// The empty config of an artifact manifest (`{}`).
    package static let ociEmpty = "application/vnd.oci.empty.v1+json"
}

// Referrers (OCI distribution-spec 1.1): an artifact manifest names the image it is about in `subject`.
// Registries with the referrers API (`GET /v2/<name>/referrers/<digest>`) index it themselves and say so
// with an `OCI-Subject` header on the manifest PUT. Others (Debian's docker-registry 2.8) don't; the
// client then keeps the index under the tag schema: tag `sha256-<hex>` holds an OCI index of the referrers,
// updated read-modify-write.
extension RegistryClient {
    /// The tag the referrers tag schema keeps `digest`'s referrers under: `sha256-<hex>`.
    package static func referrersTag(for digest: ContentDigest) -> String { "\(digest.algorithm)-\(digest.encoded)" }

    /// Pushes `artifact` as an artifact manifest whose subject is `subject` (an image manifest in `repository`),
    /// and, where the registry does not index referrers itself, adds it to the `sha256-<hex>` tag index.
    /// - Returns: the artifact manifest's descriptor (with its `artifactType`).
    package func attach(_ artifact: ReferrerArtifact, to subject: Descriptor, in repository: ImageReference)
        async throws(RegistryError) -> Descriptor
    {
        let repo = repository.withTag(nil)
        let emptyConfig = Data("{}".utf8)
        let config = Descriptor(
            mediaType: MediaType.ociEmpty, digest: ContentDigest.sha256(of: emptyConfig), size: Int64(emptyConfig.count)
        )
        let layer = Descriptor(
            mediaType: artifact.mediaType, digest: ContentDigest.sha256(of: artifact.content),
            size: Int64(artifact.content.count))
        try await uploadSmallBlob(emptyConfig, config.digest, to: repo)
        try await uploadSmallBlob(artifact.content, layer.digest, to: repo)
        var manifest = ImageManifest(
            config: config, layers: [layer], annotations: artifact.annotations.isEmpty ? nil : artifact.annotations)
        manifest.artifactType = artifact.artifactType
        manifest.subject = Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(manifest) } catch {
            throw RegistryError(.invalidManifest, "cannot encode the artifact manifest: \(error)")
        }
        let blob = try ManifestBlob(data: data, mediaType: MediaType.ociManifest)
        let pushed = try await putManifest(blob, to: repo.withDigest(blob.digest))
        var descriptor = blob.descriptor
        descriptor.artifactType = artifact.artifactType
        descriptor.annotations = manifest.annotations
        if pushed.ociSubject == nil {
            try await addToReferrersTag(descriptor, subject: subject.digest, in: repo)
        }
        return descriptor
    }

    /// The referrers of `digest` in `repository`: from the referrers API where the registry has it, else from
    /// the `sha256-<hex>` tag index. With `artifactType`, only those of that type.
    package func referrers(of digest: ContentDigest, in repository: ImageReference, artifactType: String? = nil)
        async throws(RegistryError) -> [Descriptor]
    {
        let repo = repository.withTag(nil)
        var call = Call(method: "GET", host: repo.apiHost, target: "/v2/\(repo.repository)/referrers/\(digest)")
        call.headers.set("Accept", MediaType.ociIndex)
        call.scopes = [Self.pullScope(repo)]
        call.sink = .memory(limit: Manifest.maxBytes)
        let r = try await send(call)
        let all: [Descriptor]
        if r.status == 200, let index = try? JSONDecoder().decode(ImageIndex.self, from: r.body) {
            all = index.manifests
        } else if r.status == 200 || r.status == 404 || r.status == 405 {
            // No referrers API (distribution 2.8 answers 404 `page not found`): read the tag schema.
            all = try await referrersTagIndex(subject: digest, in: repo)?.manifests ?? []
        } else {
            throw await failure(r, call: call, what: "listing the referrers of \(digest.short) in \(repo.name)")
        }
        return all.filter { artifactType == nil || $0.artifactType == artifactType }
    }

    /// Fetches a small blob into memory, verifying its digest (at most `Manifest.maxBytes`).
    package func fetchBlobData(_ descriptor: Descriptor, from repository: ImageReference) async throws(RegistryError)
        -> Data
    {
        let repo = repository.withTag(nil)
        guard descriptor.size >= 0, descriptor.size <= Int64(Manifest.maxBytes) else {
            throw RegistryError(
                .oversizedResponse,
                "blob \(descriptor.digest) is \(descriptor.size) bytes; at most \(Manifest.maxBytes) are read",
                registry: repo.registry)
        }
        var call = Call(method: "GET", host: repo.apiHost, target: "/v2/\(repo.repository)/blobs/\(descriptor.digest)")
        call.scopes = [Self.pullScope(repo)]
        call.sink = .memory(limit: Manifest.maxBytes)
        call.maxResponseBytes = descriptor.size
        let r = try await send(call)
        guard r.status == 200 else {
            throw await failure(r, call: call, what: "fetching blob \(descriptor.digest.short) from \(repo.name)")
        }
        let computed = ContentDigest(sha256Hex: r.bodySHA256)
        guard descriptor.digest.algorithm != "sha256" || computed == descriptor.digest else {
            throw RegistryError(
                .digestMismatch, "blob \(descriptor.digest) from \(repo.registry) hashes to \(computed)",
                registry: repo.registry)
        }
        return r.body
    }

    /// The tag schema's index for `subject`; nil when the tag does not exist.
    func referrersTagIndex(subject: ContentDigest, in repo: ImageReference) async throws(RegistryError) -> ImageIndex? {
        let tagRef = repo.withTag(Self.referrersTag(for: subject))
        guard try await headManifestDirect(tagRef, scopes: [Self.pullScope(repo)]) != nil else { return nil }
        let blob = try await fetchManifestDirect(tagRef, scopes: [Self.pullScope(repo)])
        guard case .index(let index) = blob.manifest else {
            throw RegistryError(
                .invalidManifest, "\(tagRef) should hold an OCI index of referrers but holds an image manifest",
                registry: repo.registry)
        }
        return index
    }

    /// Read-modify-write of the `sha256-<hex>` tag: keeps every other referrer, replaces one with the same digest.
    func addToReferrersTag(_ descriptor: Descriptor, subject: ContentDigest, in repo: ImageReference)
        async throws(RegistryError)
    {
        var index = try await referrersTagIndex(subject: subject, in: repo) ?? ImageIndex(manifests: [])
        index.manifests.removeAll { $0.digest == descriptor.digest }
        index.manifests.append(descriptor)
        index.mediaType = MediaType.ociIndex
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(index) } catch {
            throw RegistryError(.invalidManifest, "cannot encode the referrers index: \(error)")
        }
        let blob = try ManifestBlob(data: data, mediaType: MediaType.ociIndex)
        _ = try await putManifest(blob, to: repo.withTag(Self.referrersTag(for: subject)))
    }

    /// Uploads bytes held in memory (through a private temporary file, removed on every path).
    func uploadSmallBlob(_ data: Data, _ digest: ContentDigest, to repo: ImageReference) async throws(RegistryError) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "envctl-referrer-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw RegistryError(.localIO, "cannot write a temporary file at \(path)")
        }
        _ = try await uploadBlob(BlobSource(path: path, length: Int64(data.count), digest: digest), to: repo)
    }
}

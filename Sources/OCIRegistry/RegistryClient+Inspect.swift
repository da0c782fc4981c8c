import Foundation

/// What `envctl inspect` shows about an image.
package struct ImageInspection: Sendable, Hashable, Codable {
    package struct PlatformEntry: Sendable, Hashable, Codable {
        package var platform: String
        package var digest: ContentDigest
        package var mediaType: String
        package var size: Int64
    }
    package struct Layer: Sendable, Hashable, Codable {
        package var digest: ContentDigest
        package var mediaType: String
        package var size: Int64
    }
    package var reference: String
    package var digest: ContentDigest
    package var mediaType: String
    package var size: Int64
    /// Index entries (empty for a single-platform image).
    package var platforms: [PlatformEntry]
    /// The image manifest described below (the selected platform's for an index).
    package var manifestDigest: ContentDigest?
    package var platform: String?
    package var config: ContentDigest?
    package var created: String?
    package var layers: [Layer]
    package var labels: [String: String]
    package var env: [String]
    package var entrypoint: [String]?
    package var cmd: [String]?
}

extension RegistryClient {
    /// Fetches a manifest (and, for an index, the entry for `platform`) plus its config.
    package func inspect(_ ref: ImageReference, platform: Platform = .linuxAMD64) async throws(RegistryError)
        -> ImageInspection
    {
        let top = try await fetchManifest(ref)
        var result = ImageInspection(
            reference: ref.description, digest: top.digest, mediaType: top.mediaType, size: Int64(top.data.count),
            platforms: [], layers: [], labels: [:], env: [])
        var image: (ManifestBlob, ImageManifest)?
        switch top.manifest {
        case .image(let m):
            image = (top, m)
        case .index(let index):
            result.platforms = index.manifests.map {
                ImageInspection.PlatformEntry(
                    platform: $0.platform?.description ?? "unknown", digest: $0.digest,
                    mediaType: $0.mediaType, size: $0.size)
            }
            if let d = Self.select(platform, in: index) {
                let child = try await fetchManifest(ref.withDigest(d.digest))
                if case .image(let m) = child.manifest { image = (child, m) }
            }
        }
        if let (blob, m) = image {
            result.manifestDigest = blob.digest
            result.config = m.config.digest
            result.layers = m.layers.map { .init(digest: $0.digest, mediaType: $0.mediaType, size: $0.size) }
            if m.config.mediaType == MediaType.ociConfig || m.config.mediaType == MediaType.dockerConfig {
                let cfg = try await fetchConfig(ref, m)
                result.platform =
                    Platform(os: cfg.os ?? "?", architecture: cfg.architecture ?? "?", variant: cfg.variant).description
                result.created = cfg.created
                result.labels = cfg.config?.Labels ?? [:]
                result.env = cfg.config?.Env ?? []
                result.entrypoint = cfg.config?.Entrypoint
                result.cmd = cfg.config?.Cmd
            }
        }
        return result
    }
}

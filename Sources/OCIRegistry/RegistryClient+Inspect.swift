import Foundation

/// What `envctl inspect` shows about an image.
public struct ImageInspection: Sendable, Hashable, Codable {
    public struct PlatformEntry: Sendable, Hashable, Codable {
        public var platform: String
        public var digest: ContentDigest
        public var mediaType: String
        public var size: Int64
    }
    public struct Layer: Sendable, Hashable, Codable {
        public var digest: ContentDigest
        public var mediaType: String
        public var size: Int64
    }
    public var reference: String
    public var digest: ContentDigest
    public var mediaType: String
    public var size: Int64
    /// Index entries (empty for a single-platform image).
    public var platforms: [PlatformEntry]
    /// The image manifest described below (the selected platform's for an index).
    public var manifestDigest: ContentDigest?
    public var platform: String?
    public var config: ContentDigest?
    public var created: String?
    public var layers: [Layer]
    public var labels: [String: String]
    public var env: [String]
    public var entrypoint: [String]?
    public var cmd: [String]?
}

extension RegistryClient {
    /// Fetches a manifest (and, for an index, the entry for `platform`) plus its config.
    public func inspect(_ ref: ImageReference, platform: Platform = .linuxAMD64) async throws(RegistryError) -> ImageInspection {
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
                ImageInspection.PlatformEntry(platform: $0.platform?.description ?? "unknown", digest: $0.digest,
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
                result.platform = Platform(os: cfg.os ?? "?", architecture: cfg.architecture ?? "?", variant: cfg.variant).description
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

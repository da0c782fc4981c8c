import Foundation

/// An image reference resolved to digests, as `envctl lock` records it.
package struct PinnedImage: Sendable, Hashable, Codable {
    /// The normalised reference that was resolved, e.g. `docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04`.
    package var reference: String
    /// The digest the tag points at: an index (multi-platform) or a single image manifest.
    package var digest: ContentDigest
    /// The media type of `digest`'s manifest.
    package var mediaType: String
    /// The platform that was selected.
    package var platform: Platform
    /// The image manifest for `platform` (equal to `digest` for a single-platform image).
    package var platformManifestDigest: ContentDigest

    /// The index digest, or nil when the tag points straight at an image manifest.
    package var indexDigest: ContentDigest? { MediaType.isIndex(mediaType) ? digest : nil }

    /// `registry/repository@digest`: the reference to build from.
    package var pinnedReference: String {
        let base = reference.split(separator: "@").first.map(String.init) ?? reference
        let name: String
        if let slash = base.lastIndex(of: "/"), let colon = base.lastIndex(of: ":"), colon > slash {
            name = String(base[..<colon])
        } else {
            name = base
        }
        return "\(name)@\(digest)"
    }
}

extension RegistryClient {
    /// Resolves `reference` to its index digest and the manifest digest for `platform` (default linux/amd64).
    ///
    /// Mirrors configured for the registry are consulted first. The digest is computed from the bytes,
    /// not taken from headers. Throws `.platformNotFound` when the image has no such platform.
    package func pin(_ reference: String, platform: String = "linux/amd64") async throws(RegistryError) -> PinnedImage {
        let ref = try ImageReference(parsing: reference)
        return try await resolve(ref, platform: try Platform(parsing: platform))
    }

    /// `pin` for an already parsed reference.
    package func resolve(_ ref: ImageReference, platform: Platform = .linuxAMD64) async throws(RegistryError)
        -> PinnedImage
    {
        let top = try await fetchManifest(ref)
        switch top.manifest {
        case .index(let index):
            guard let child = Self.select(platform, in: index) else {
                let available = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw RegistryError(
                    .platformNotFound, "\(ref) has no \(platform) image (available: \(available))",
                    registry: ref.registry)
            }
            return PinnedImage(
                reference: ref.description, digest: top.digest, mediaType: top.mediaType,
                platform: platform, platformManifestDigest: child.digest)
        case .image(let m):
            // Single-platform image: read the config to check the platform.
            let config = try await fetchConfig(ref, m)
            if let os = config.os, let arch = config.architecture,
                !platform.matches(Platform(os: os, architecture: arch, variant: config.variant))
            {
                throw RegistryError(
                    .platformNotFound, "\(ref) is a \(os)/\(arch) image, not \(platform)", registry: ref.registry)
            }
            return PinnedImage(
                reference: ref.description, digest: top.digest, mediaType: top.mediaType,
                platform: platform, platformManifestDigest: top.digest)
        }
    }

    /// The index entry for `platform` (ignores attestation manifests with platform unknown/unknown).
    static func select(_ platform: Platform, in index: ImageIndex) -> Descriptor? {
        index.manifests.first { d in
            guard let p = d.platform, MediaType.isImageManifest(d.mediaType) || d.mediaType.isEmpty else {
                return false
            }
            return platform.matches(p)
        }
    }

    /// Fetches and decodes an image's config blob (small; held in memory and verified).
    package func fetchConfig(_ ref: ImageReference, _ manifest: ImageManifest) async throws(RegistryError)
        -> ImageConfiguration
    {
        let d = manifest.config
        guard d.size <= 16 * 1024 * 1024 else {
            throw RegistryError(.invalidManifest, "config blob of \(ref) is implausibly large (\(d.size) bytes)")
        }
        let data: Data = try await withMirrors(ref) { r throws(RegistryError) in
            var call = Call(method: "GET", host: r.apiHost, target: "/v2/\(r.repository)/blobs/\(d.digest)")
            call.scopes = [Self.pullScope(r)]
            call.sink = .memory(limit: Int(d.size) + 1)
            let resp = try await send(call)
            guard resp.status == 200 else { throw await failure(resp, call: call, what: "fetching config of \(r)") }
            if d.digest.algorithm == "sha256", resp.bodySHA256 != d.digest.encoded {
                throw RegistryError(.digestMismatch, "config blob \(d.digest) of \(r) is corrupt", registry: r.registry)
            }
            return resp.body
        }
        do { return try JSONDecoder().decode(ImageConfiguration.self, from: data) } catch {
            throw RegistryError(.invalidManifest, "config blob of \(ref) is not an image configuration")
        }
    }
}

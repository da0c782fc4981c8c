import EnvctlModel
package import Foundation

// OCI image-spec and Docker schema 2 types. See
// https://github.com/opencontainers/image-spec/blob/main/manifest.md and .../image-index.md

/// Media types envctl reads and writes.
package enum MediaType {
    package static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    package static let ociIndex = "application/vnd.oci.image.index.v1+json"
    package static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    package static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    package static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    package static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    package static let ociConfig = "application/vnd.oci.image.config.v1+json"
    package static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    package static let ociLayerTar = "application/vnd.oci.image.layer.v1.tar"
    package static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    package static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Every manifest type envctl can parse, for `Accept` (distribution 2.8.2 404s OCI manifests without it).
    package static let manifestAccept = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    package static func isIndex(_ t: String) -> Bool { t == ociIndex || t == dockerManifestList }
    package static func isImageManifest(_ t: String) -> Bool { t == ociManifest || t == dockerManifest }
}

/// `os/architecture[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`.
package struct Platform: Sendable, Hashable, Codable, CustomStringConvertible {
    package var architecture: String
    package var os: String
    package var variant: String?
    package var osVersion: String?
    package var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    package init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    package static let linuxAMD64 = Platform(os: "linux", architecture: "amd64")

    package init(parsing text: String) throws(RegistryError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw RegistryError(
                .invalidReference, "invalid platform '\(text)': expected os/arch[/variant], e.g. linux/amd64")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    package var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// Whether an index entry's platform satisfies this requested one (a missing variant matches any).
    package func matches(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        guard let variant else { return true }
        return candidate.variant == variant || (candidate.variant == nil && architecture == "arm64" && variant == "v8")
    }
}

/// A content descriptor.
package struct Descriptor: Sendable, Hashable, Codable {
    package var mediaType: String
    package var digest: ContentDigest
    package var size: Int64
    package var platform: Platform?
    package var annotations: [String: String]?
    package var urls: [String]?
    package var artifactType: String?

    package init(
        mediaType: String, digest: ContentDigest, size: Int64, platform: Platform? = nil,
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

package struct ImageManifest: Sendable, Hashable, Codable {
    package var schemaVersion: Int
    package var mediaType: String?
    package var artifactType: String?
    package var config: Descriptor
    package var layers: [Descriptor]
    package var subject: Descriptor?
    package var annotations: [String: String]?

    package init(
        mediaType: String = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

package struct ImageIndex: Sendable, Hashable, Codable {
    package var schemaVersion: Int
    package var mediaType: String?
    package var artifactType: String?
    package var manifests: [Descriptor]
    package var subject: Descriptor?
    package var annotations: [String: String]?

    package init(mediaType: String = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil)
    {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

/// The subset of the image configuration that `inspect` shows.
package struct ImageConfiguration: Sendable, Hashable, Codable {
    package struct Config: Sendable, Hashable, Codable {
        package var Labels: [String: String]?
        package var Env: [String]?
        package var Entrypoint: [String]?
        package var Cmd: [String]?
        package var WorkingDir: String?
        package var User: String?
    }
    package var architecture: String?
    package var os: String?
    package var variant: String?
    package var created: String?
    package var config: Config?
}

/// A parsed manifest or index together with the exact bytes it came from.
package enum Manifest: Sendable, Hashable {
    case image(ImageManifest)
    case index(ImageIndex)

    /// The largest manifest envctl reads (the spec requires registries accept at least 4 MB).
    package static let maxBytes = InputLimits.manifestBytes

    /// Parses manifest bytes. `contentType` (the HTTP header, parameters ignored) must agree with the
    /// body's `mediaType` when both are present. Malformed input throws; it never traps.
    package static func parse(_ data: Data, contentType: String? = nil) throws(RegistryError) -> (
        Manifest, mediaType: String
    ) {
        func fail(_ why: String) -> RegistryError { RegistryError(.invalidManifest, "invalid manifest: \(why)") }
        guard data.count <= maxBytes else {
            throw fail("larger than \(InputLimits.describe(bytes: maxBytes)), the limit for a manifest")
        }
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("not a JSON object")
            }
            object = o
        } catch let e as RegistryError {
            throw e
        } catch {
            throw fail("not valid JSON")
        }
        let header = contentType?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let bodyType = object["mediaType"] as? String
        if let sv = object["schemaVersion"] as? Int, sv == 1 {
            throw RegistryError(
                .invalidManifest, "Docker schema 1 manifests are not supported",
                hint: "re-push the image with a current client")
        }
        if let header, let bodyType, !header.isEmpty, header != bodyType,
            MediaType.manifestAccept.contains(header)
        {
            throw fail("Content-Type '\(header)' disagrees with the body's mediaType '\(bodyType)'")
        }
        let declared = bodyType ?? (header.flatMap { MediaType.manifestAccept.contains($0) ? $0 : nil })
        let isIndex: Bool
        if let declared {
            if MediaType.isIndex(declared) {
                isIndex = true
            } else if MediaType.isImageManifest(declared) {
                isIndex = false
            } else if declared == MediaType.dockerSchema1 || declared == MediaType.dockerSchema1Signed {
                throw RegistryError(.invalidManifest, "Docker schema 1 manifests are not supported")
            } else {
                throw fail("unsupported media type '\(declared)'")
            }
        } else {
            isIndex = object["manifests"] != nil
        }
        guard (object["schemaVersion"] as? Int) == 2 else { throw fail("schemaVersion must be 2") }
        do {
            if isIndex {
                let index = try JSONDecoder().decode(ImageIndex.self, from: data)
                guard index.manifests.allSatisfy({ $0.size >= 0 }) else { throw fail("negative descriptor size") }
                return (.index(index), declared ?? MediaType.ociIndex)
            } else {
                let m = try JSONDecoder().decode(ImageManifest.self, from: data)
                guard m.config.size >= 0, m.layers.allSatisfy({ $0.size >= 0 }) else {
                    throw fail("negative descriptor size")
                }
                return (.image(m), declared ?? MediaType.ociManifest)
            }
        } catch let e as RegistryError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw fail("missing '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw fail("\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw fail("wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw fail("\(error)")
        }
    }

    /// Config and layer descriptors (for an image manifest), in order.
    package var blobs: [Descriptor] {
        if case .image(let m) = self { return [m.config] + m.layers }
        return []
    }
}

/// Manifest bytes as stored, with their digest and media type.
package struct ManifestBlob: Sendable, Hashable {
    package var data: Data
    package var mediaType: String
    package var digest: ContentDigest
    package var manifest: Manifest

    package init(data: Data, mediaType: String? = nil) throws(RegistryError) {
        let (m, t) = try Manifest.parse(data, contentType: mediaType)
        self.data = data
        self.mediaType = t
        self.digest = ContentDigest.sha256(of: data)
        self.manifest = m
    }

    package var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count)) }
}

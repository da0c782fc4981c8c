import Digest
import EnvctlModel
import Foundation

/// Where `push` reads an image from: manifests as bytes, blobs as file ranges (never loaded whole).
package protocol ImageSource: Sendable {
    /// The top-level manifest or index.
    func rootManifest() throws(RegistryError) -> ManifestBlob
    /// A child manifest of an index, by digest (verified).
    func manifest(_ digest: ContentDigest) throws(RegistryError) -> ManifestBlob
    /// Where the bytes of a config or layer blob are.
    func blob(_ descriptor: Descriptor) throws(RegistryError) -> BlobSource
    /// For messages: `oci:/path:tag`.
    var sourceDescription: String { get }
}

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`).
package struct OCILayoutSource: ImageSource {
    package let directory: String
    package let tag: String?
    let root: Descriptor

    package static let refNameAnnotation = "org.opencontainers.image.ref.name"

    /// Opens `directory`, selecting the manifest annotated with `tag` (or the only one when `tag` is nil).
    package init(directory: String, tag: String? = nil) throws(RegistryError) {
        self.directory = directory
        self.tag = tag
        guard let layout = try? BoundedFile.contents(of: directory + "/oci-layout", limit: 1 << 16),
            let obj = try? JSONSerialization.jsonObject(with: layout) as? [String: Any],
            obj["imageLayoutVersion"] is String
        else {
            throw RegistryError(.invalidSource, "\(directory) is not an OCI image layout (no valid oci-layout file)")
        }
        let indexData = try Self.read(directory + "/index.json", what: "an index.json")
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: indexData) } catch {
            throw RegistryError(.invalidSource, "\(directory)/index.json is not a valid image index")
        }
        if let tag {
            let matches = index.manifests.filter { $0.annotations?[Self.refNameAnnotation] == tag }
            guard let m = matches.first else {
                let tags = index.manifests.compactMap { $0.annotations?[Self.refNameAnnotation] }
                throw RegistryError(
                    .invalidSource, "\(directory) has no image tagged '\(tag)' (has: \(tags.joined(separator: ", ")))")
            }
            root = m
        } else {
            guard index.manifests.count == 1 else {
                throw RegistryError(
                    .invalidSource, "\(directory) holds \(index.manifests.count) images; name one as oci:DIR:TAG")
            }
            root = index.manifests[0]
        }
    }

    package var sourceDescription: String { "oci:\(directory)" + (tag.map { ":\($0)" } ?? "") }

    /// A manifest-sized file of the layout, at most `Manifest.maxBytes`.
    static func read(_ file: String, what: String, source: String? = nil) throws(RegistryError) -> Data {
        do {
            return try BoundedFile.contents(of: file, limit: Manifest.maxBytes)
        } catch .unreadable(.noSuchFile) {
            throw RegistryError(.invalidSource, "\(source ?? file) is missing")
        } catch {
            throw RegistryError(.invalidSource, "cannot read \(source ?? file): \(error.reason(what: what))")
        }
    }

    func path(_ digest: ContentDigest) -> String { "\(directory)/blobs/\(digest.algorithm)/\(digest.encoded)" }

    package func rootManifest() throws(RegistryError) -> ManifestBlob {
        try manifest(root.digest, mediaType: root.mediaType)
    }

    package func manifest(_ digest: ContentDigest) throws(RegistryError) -> ManifestBlob {
        try manifest(digest, mediaType: nil)
    }

    func manifest(_ digest: ContentDigest, mediaType: String?) throws(RegistryError) -> ManifestBlob {
        let data = try Self.read(path(digest), what: "a manifest", source: "\(sourceDescription): manifest \(digest)")
        let blob = try ManifestBlob(data: data, mediaType: mediaType)
        guard blob.digest == digest else {
            throw RegistryError(
                .invalidSource, "\(sourceDescription): manifest \(digest) is corrupt (hashes to \(blob.digest))")
        }
        return blob
    }

    package func blob(_ descriptor: Descriptor) throws(RegistryError) -> BlobSource {
        let p = path(descriptor.digest)
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: p), let size = attrs[.size] as? NSNumber
        else {
            throw RegistryError(.invalidSource, "\(sourceDescription): blob \(descriptor.digest) is missing")
        }
        guard size.int64Value == descriptor.size else {
            throw RegistryError(
                .invalidSource,
                "\(sourceDescription): blob \(descriptor.digest) has \(size.int64Value) bytes, the manifest says \(descriptor.size)"
            )
        }
        return BlobSource(path: p, length: descriptor.size, digest: descriptor.digest)
    }
}

extension ImageSource {
    /// The config labels of the image this source pushes (for an index, its `platform` entry), read locally,
    /// before anything is sent: `push` checks the `dev.envctl.lock-hash` label before it moves a content tag.
    /// Empty when the image has no config labels (or the index no entry for `platform`).
    /// - Throws: `RegistryError` (`invalidSource`: an unreadable or implausibly large config blob).
    package func configLabels(platform: Platform = .linuxAMD64) throws(RegistryError) -> [String: String] {
        var top = try rootManifest()
        if case .index(let index) = top.manifest {
            guard let entry = RegistryClient.select(platform, in: index) else { return [:] }
            top = try manifest(entry.digest)
        }
        guard case .image(let image) = top.manifest else { return [:] }
        let descriptor = image.config
        guard descriptor.size <= 16 * 1024 * 1024 else {
            throw RegistryError(
                .invalidSource, "config blob of \(sourceDescription) is implausibly large (\(descriptor.size) bytes)")
        }
        let location = try blob(descriptor)
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: location.path))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(location.offset))
            data = try handle.read(upToCount: Int(location.length)) ?? Data()
        } catch {
            throw RegistryError(.invalidSource, "cannot read the config blob of \(sourceDescription): \(error)")
        }
        guard ContentDigest.sha256(of: data) == descriptor.digest || descriptor.digest.algorithm != "sha256" else {
            throw RegistryError(.invalidSource, "config blob \(descriptor.digest) of \(sourceDescription) is corrupt")
        }
        guard let config = try? JSONDecoder().decode(ImageConfiguration.self, from: data) else { return [:] }
        return config.config?.Labels ?? [:]
    }
}

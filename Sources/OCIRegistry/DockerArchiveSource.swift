import Digest
import EnvctlModel
import Foundation

/// A `docker save` archive (tar). Layers are pushed as they are stored (uncompressed tar, or gzip when
/// the member is gzip), streamed straight from their byte range in the archive; the manifest is an OCI
/// image manifest built here, so its digest is deterministic for a given archive.
package struct DockerArchiveSource: ImageSource {
    package let path: String
    let members: [String: (offset: Int64, size: Int64)]
    let root: ManifestBlob
    let blobs: [ContentDigest: BlobSource]

    package init(path: String) throws(RegistryError) {
        self.path = path
        let members = try TarIndex.read(path)
        self.members = members
        func member(_ name: String) throws(RegistryError) -> (offset: Int64, size: Int64) {
            let clean = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
            guard let m = members[clean] else {
                throw RegistryError(.invalidSource, "docker-archive:\(path): '\(name)' is missing")
            }
            return m
        }
        func read(_ name: String) throws(RegistryError) -> Data {
            let m = try member(name)
            guard m.size <= Manifest.maxBytes else {
                throw RegistryError(
                    .invalidSource,
                    "docker-archive:\(path): '\(name.escapedForMessage)' is larger than \(InputLimits.describe(bytes: Manifest.maxBytes)), the limit for a manifest or image config"
                )
            }
            guard let h = FileHandle(forReadingAtPath: path) else {
                throw RegistryError(.invalidSource, "docker-archive:\(path): cannot read '\(name.escapedForMessage)'")
            }
            defer { try? h.close() }
            do {
                try h.seek(toOffset: UInt64(m.offset))
                return try h.read(upToCount: Int(m.size)) ?? Data()
            } catch { throw RegistryError(.localIO, "docker-archive:\(path): cannot read '\(name)'") }
        }
        guard let entries = try? JSONSerialization.jsonObject(with: try read("manifest.json")) as? [[String: Any]],
            entries.count >= 1
        else {
            throw RegistryError(.invalidSource, "docker-archive:\(path): manifest.json is not a docker save manifest")
        }
        guard entries.count == 1 else {
            throw RegistryError(
                .invalidSource, "docker-archive:\(path) holds \(entries.count) images; save one image per archive")
        }
        guard let configName = entries[0]["Config"] as? String, let layerNames = entries[0]["Layers"] as? [String]
        else {
            throw RegistryError(.invalidSource, "docker-archive:\(path): manifest.json lacks Config or Layers")
        }
        let configData = try read(configName)
        let configDigest = ContentDigest.sha256(of: configData)
        var blobs: [ContentDigest: BlobSource] = [:]
        // The config is small: stage it next to nothing; serve it from the archive range too.
        let cm = try member(configName)
        blobs[configDigest] = BlobSource(path: path, offset: cm.offset, length: cm.size, digest: configDigest)
        var layers: [Descriptor] = []
        for name in layerNames {
            let m = try member(name)
            let digest = try Self.hashRange(path, m.offset, m.size)
            let gz = try Self.isGzip(path, m.offset)
            layers.append(
                Descriptor(mediaType: gz ? MediaType.ociLayerGzip : MediaType.ociLayerTar, digest: digest, size: m.size)
            )
            blobs[digest] = BlobSource(path: path, offset: m.offset, length: m.size, digest: digest)
        }
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)),
            layers: layers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(manifest) else {
            throw RegistryError(.invalidSource, "cannot encode manifest")
        }
        root = try ManifestBlob(data: data, mediaType: MediaType.ociManifest)
        self.blobs = blobs
    }

    package var sourceDescription: String { "docker-archive:\(path)" }
    package func rootManifest() throws(RegistryError) -> ManifestBlob { root }
    package func manifest(_ digest: ContentDigest) throws(RegistryError) -> ManifestBlob {
        throw RegistryError(.invalidSource, "\(sourceDescription) has no manifest \(digest)")
    }
    package func blob(_ descriptor: Descriptor) throws(RegistryError) -> BlobSource {
        guard let b = blobs[descriptor.digest] else {
            throw RegistryError(.invalidSource, "\(sourceDescription) has no blob \(descriptor.digest)")
        }
        return b
    }

    static func hashRange(_ path: String, _ offset: Int64, _ size: Int64) throws(RegistryError) -> ContentDigest {
        guard let h = FileHandle(forReadingAtPath: path) else { throw RegistryError(.localIO, "cannot read \(path)") }
        defer { try? h.close() }
        var sha = SHA256()
        do {
            try h.seek(toOffset: UInt64(offset))
            var left = size
            while left > 0 {
                guard let chunk = try h.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else {
                    throw RegistryError(.invalidSource, "\(path) is truncated")
                }
                sha.update(chunk)
                left -= Int64(chunk.count)
            }
        } catch let e as RegistryError { throw e } catch { throw RegistryError(.localIO, "cannot read \(path)") }
        return ContentDigest(sha256Hex: sha.finalizeHex())
    }

    static func isGzip(_ path: String, _ offset: Int64) throws(RegistryError) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { throw RegistryError(.localIO, "cannot read \(path)") }
        defer { try? h.close() }
        guard (try? h.seek(toOffset: UInt64(offset))) != nil, let b = try? h.read(upToCount: 2) else { return false }
        return b.count == 2 && b[b.startIndex] == 0x1f && b[b.startIndex + 1] == 0x8b
    }
}

/// Member name → (data offset, size) for a tar file (ustar, GNU long names, pax `path`).
enum TarIndex {
    static func read(_ path: String) throws(RegistryError) -> [String: (offset: Int64, size: Int64)] {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw RegistryError(.invalidSource, "cannot open \(path)")
        }
        defer { try? h.close() }
        var result: [String: (offset: Int64, size: Int64)] = [:]
        var offset: Int64 = 0
        var longName: String?
        func field(_ b: [UInt8], _ start: Int, _ len: Int) -> String {
            let slice = b[start..<(start + len)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: b[start..<end], as: UTF8.self)
        }
        while true {
            guard (try? h.seek(toOffset: UInt64(offset))) != nil, let d = try? h.read(upToCount: 512), d.count == 512
            else { break }
            let b = [UInt8](d)
            if b.allSatisfy({ $0 == 0 }) { break }
            let sizeField = field(b, 124, 12).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            guard let size = Int64(sizeField.isEmpty ? "0" : sizeField, radix: 8) else {
                throw RegistryError(.invalidSource, "\(path) is not a tar archive")
            }
            let type = b[156]
            var name = field(b, 0, 100)
            let prefix = field(b, 345, 155)
            if !prefix.isEmpty, b[257..<262].elementsEqual(Array("ustar".utf8)) { name = prefix + "/" + name }
            let dataOffset = offset + 512
            if type == UInt8(ascii: "L") || type == UInt8(ascii: "x") {
                guard size < 1 << 20, (try? h.seek(toOffset: UInt64(dataOffset))) != nil,
                    let body = try? h.read(upToCount: Int(size))
                else { throw RegistryError(.invalidSource, "\(path): bad extended header") }
                if type == UInt8(ascii: "L") {
                    longName = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                } else {
                    for rec in String(decoding: body, as: UTF8.self).split(separator: "\n") {
                        if let r = rec.range(of: " path=") { longName = String(rec[r.upperBound...]) }
                    }
                }
            } else {
                if let l = longName { name = l; longName = nil }
                if name.hasPrefix("./") { name.removeFirst(2) }
                if type == 0 || type == UInt8(ascii: "0") { result[name] = (dataOffset, size) }
            }
            offset = dataOffset + (size + 511) / 512 * 512
        }
        return result
    }
}

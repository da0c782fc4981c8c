package import EnvctlImageBuild
import Foundation
import OCIRegistry

/// Joins one build per platform (each exported to its own OCI layout) into one OCI image layout whose
/// `refName` names an OCI image index over them: what `build --platform linux/amd64,linux/arm64` pushes.
///
/// The index lists the platforms in name order with each manifest's exact bytes, so the same platform
/// manifests always give the same index digest. Each platform's image config must say the platform it was
/// built for: a builder that ignored `--platform` is caught here, before anything is pushed.
/// See https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md and image-layout.md.
package enum ImageIndexLayout {
    /// What was assembled: the index digest and each platform's manifest digest (`linux/arm64` → `sha256:…`).
    package struct Assembled: Sendable, Hashable {
        package var indexDigest: String
        package var platforms: [String: String]
    }

    /// - Parameters:
    ///   - parts: each platform with the build that produced it (its layout and ref name).
    ///   - layout: the layout directory to write (replaced when it exists).
    ///   - refName: the `org.opencontainers.image.ref.name` of the index in `layout` (the content tag).
    /// - Throws: `ImageBuildError` (step `index`): an unreadable layout, a config of another platform, a write failure.
    package static func assemble(
        _ parts: [(platform: TargetPlatform, result: BuildResult)], into layout: String, refName: String
    ) throws(ImageBuildError) -> Assembled {
        let fm = FileManager.default
        let blobs = layout + "/blobs/sha256"
        do {
            if fm.fileExists(atPath: layout) { try fm.removeItem(atPath: layout) }
            try fm.createDirectory(atPath: blobs, withIntermediateDirectories: true)
            try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(
                to: URL(fileURLWithPath: layout + "/oci-layout"), options: .atomic)
        } catch {
            throw ImageBuildError(.stepFailed, step: "index", "cannot create the OCI layout \(layout): \(error)")
        }
        var descriptors: [Descriptor] = []
        var platforms: [String: String] = [:]
        for (platform, result) in parts.sorted(by: { $0.platform < $1.platform }) {
            do {
                let source = try OCILayoutSource(directory: result.ociLayout, tag: result.ociRefName)
                let root = try source.rootManifest()
                guard case .image(let image) = root.manifest else {
                    throw ImageBuildError(
                        .stepFailed, step: "index", "the \(platform) build in \(result.ociLayout) is not a single image"
                    )
                }
                let built = try configPlatform(source, image.config)
                guard built.os == platform.os, built.architecture == platform.architecture else {
                    throw ImageBuildError(
                        .stepFailed, step: "index",
                        "the \(platform) build produced a \(built.os)/\(built.architecture) image",
                        hint: "the builder ignored --platform; buildah and podman honour it (docker needs buildx)")
                }
                for d in root.manifest.blobs { try link(try source.blob(d).path, to: blobs + "/" + d.digest.encoded) }
                try root.data.write(to: URL(fileURLWithPath: blobs + "/" + root.digest.encoded), options: .atomic)
                descriptors.append(
                    Descriptor(
                        mediaType: root.mediaType, digest: root.digest, size: Int64(root.data.count),
                        platform: Platform(os: built.os, architecture: built.architecture, variant: built.variant)))
                platforms[platform.description] = root.digest.description
            } catch let error as ImageBuildError {
                throw error
            } catch {
                throw ImageBuildError(
                    .stepFailed, step: "index", "cannot add the \(platform) image to \(layout)", cause: error)
            }
        }
        do {
            let index = try ManifestBlob(
                data: try encode(ImageIndex(manifests: descriptors)), mediaType: MediaType.ociIndex)
            try index.data.write(to: URL(fileURLWithPath: blobs + "/" + index.digest.encoded), options: .atomic)
            let top = ImageIndex(manifests: [
                Descriptor(
                    mediaType: MediaType.ociIndex, digest: index.digest, size: Int64(index.data.count),
                    annotations: [OCILayoutSource.refNameAnnotation: refName])
            ])
            try encode(top).write(to: URL(fileURLWithPath: layout + "/index.json"), options: .atomic)
            return Assembled(indexDigest: index.digest.description, platforms: platforms)
        } catch {
            throw ImageBuildError(.stepFailed, step: "index", "cannot write the image index in \(layout)", cause: error)
        }
    }

    /// The platform an image config declares.
    static func configPlatform(_ source: OCILayoutSource, _ config: Descriptor) throws -> Platform {
        struct Config: Decodable {
            var os: String?
            var architecture: String?
            var variant: String?
        }
        guard config.size <= 16 << 20 else {
            throw ImageBuildError(.stepFailed, step: "index", "config blob \(config.digest) is implausibly large")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: try source.blob(config).path))
        let c = try JSONDecoder().decode(Config.self, from: data)
        return Platform(os: c.os ?? "", architecture: c.architecture ?? "", variant: c.variant)
    }

    /// The canonical encoding: sorted keys, slashes unescaped (as `copy` writes a filtered index).
    static func encode(_ index: ImageIndex) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(index)
    }

    /// Hard-links a blob into the new layout (same file system: the work directory), copying when it can't.
    static func link(_ from: String, to: String) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: to) else { return }
        do { try fm.linkItem(atPath: from, toPath: to) } catch { try fm.copyItem(atPath: from, toPath: to) }
    }
}

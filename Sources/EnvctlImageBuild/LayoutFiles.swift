import Foundation

/// Reads files of an image straight from its OCI layout's layers, without a container runtime.
package enum LayoutFiles {
    /// The dpkg status database (`/var/lib/dpkg/status`) of the image `refName` in `layout`, as the topmost
    /// layer that carries it has it; nil when no layer does (not a Debian-based image) or the layout is unreadable.
    package static func dpkgStatus(layout: String, refName: String, runner: ToolRunner = ToolRunner()) -> String? {
        guard let tar = runner.which("tar"), let layers = try? layers(layout: layout, refName: refName) else {
            return nil
        }
        for layer in layers.reversed() {
            // GNU tar detects gzip/zstd on reading a file; a layer without the file exits non-zero.
            guard
                let out = try? runner.capture(
                    tar, ["-xOf", layer, "--wildcards", "--no-anchored", "var/lib/dpkg/status"]),
                out.status == 0, !out.stdout.isEmpty
            else { continue }
            return out.stdout
        }
        return nil
    }

    /// The layer blob paths of the image named exactly `refName` (never another image the layout holds: an
    /// older build's packages must not be reported for this one), base first.
    static func layers(layout: String, refName: String) throws -> [String] {
        struct Index: Decodable {
            struct Entry: Decodable {
                var digest: String
                var annotations: [String: String]?
            }
            var manifests: [Entry]
        }
        let indexData = FileManager.default.contents(atPath: (layout as NSString).appendingPathComponent("index.json"))
        guard let indexData,
            let digest = try JSONDecoder().decode(Index.self, from: indexData).manifests.last(where: {
                $0.annotations?["org.opencontainers.image.ref.name"] == refName
            })?.digest
        else { return [] }
        func blob(_ digest: String) -> String {
            let parts = digest.split(separator: ":", maxSplits: 1)
            return (layout as NSString).appendingPathComponent("blobs/\(parts.first ?? "")/\(parts.last ?? "")")
        }
        struct Manifest: Decodable {
            struct Layer: Decodable { var digest: String }
            var layers: [Layer]
        }
        guard let data = FileManager.default.contents(atPath: blob(digest)) else { return [] }
        return try JSONDecoder().decode(Manifest.self, from: data).layers.map { blob($0.digest) }
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// registries.yaml and OCI layouts are bounded like every other input (docs/limits.md).
@Suite struct InputLimitTests {
    static var laughs: String {
        var s = "lol:\n  l0: &l0 \"lol\"\n"
        for i in 1...10 {
            s += "  l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return s
    }

    /// A sparse file of `size` bytes starting with `prefix`.
    static func sparse(_ path: String, size: Int, prefix: String = "") throws {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(prefix.utf8)))
        #expect(truncate(path, off_t(size)) == 0)
    }

    @Test func aBillionLaughsRegistriesConfigIsBadInput() {
        let error = #expect(throws: RegistryError.self) {
            try RegistryConfiguration.parse("defaults:\n  maxConcurrentUploads: 2\n" + Self.laughs, file: "reg.yaml")
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.failureKind == .badInput)
        #expect(error?.message.contains("reg.yaml:1:1") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("the limit for a registries config") == true, "\(error?.message ?? "")")
    }

    @Test func anOversizedRegistriesConfigIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try Self.sparse(
            dir.path + "/registries.yaml", size: InputLimits.registriesConfigBytes + 1, prefix: "defaults:\n")
        let error = #expect(throws: RegistryError.self) {
            try RegistryConfiguration.load(path: dir.path + "/registries.yaml")
        }
        #expect(error?.failureKind == .badInput)
        #expect(
            error?.message.contains("registries.yaml: it is larger than 1 MiB, the limit for a registries config")
                == true,
            "\(error?.message ?? "")")
    }

    @Test func anOversizedLayoutIndexOrManifestIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("oci-layout", #"{"imageLayoutVersion": "1.0.0"}"#)
        try Self.sparse(dir.path + "/index.json", size: InputLimits.manifestBytes + 1, prefix: "{")
        let index = #expect(throws: RegistryError.self) { try OCILayoutSource(directory: dir.path) }
        #expect(index?.code == .invalidSource)
        #expect(
            index?.message.contains("index.json: it is larger than 8 MiB, the limit for an index.json") == true,
            "\(index?.message ?? "")")

        let digest = "sha256:" + String(repeating: "c", count: 64)
        try dir.write(
            "index.json",
            #"{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "\#(digest)", "size": 9000000}]}"#
        )
        try FileManager.default.createDirectory(atPath: dir.path + "/blobs/sha256", withIntermediateDirectories: true)
        try Self.sparse(dir.path + "/blobs/sha256/" + String(repeating: "c", count: 64), size: 9_000_000, prefix: "{")
        let source = try OCILayoutSource(directory: dir.path)
        let manifest = #expect(throws: RegistryError.self) { try source.rootManifest() }
        #expect(
            manifest?.message.contains("it is larger than 8 MiB, the limit for a manifest") == true,
            "\(manifest?.message ?? "")")
    }
}

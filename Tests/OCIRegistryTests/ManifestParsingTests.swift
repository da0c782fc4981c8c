import Foundation
import OCIRegistry
import Testing

@Suite struct ManifestParsingTests {
    static let hex = String(repeating: "0f", count: 32)
    static let image = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(hex)","size":7},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\(hex)","size":42}]}
        """
    static let index = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
         {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(hex)","size":9,
          "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
         {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "1a", count: 32))","size":9,
          "platform":{"architecture":"amd64","os":"linux"}}]}
        """

    @Test func parsesImageAndIndex() throws {
        let (m, t) = try Manifest.parse(Data(Self.image.utf8))
        #expect(t == MediaType.ociManifest)
        #expect(m.blobs.count == 2)
        let (i, it) = try Manifest.parse(
            Data(Self.index.utf8), contentType: "application/vnd.oci.image.index.v1+json; charset=utf-8")
        #expect(it == MediaType.ociIndex)
        guard case .index(let idx) = i else { Issue.record("not an index"); return }
        #expect(idx.manifests[1].platform == Platform.linuxAMD64)
    }

    @Test func rejectsMismatchedContentTypeAndSchema1() {
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Data(Self.image.utf8), contentType: MediaType.ociIndex)
        }
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Data(#"{"schemaVersion":1,"name":"x"}"#.utf8))
        }
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Data(Self.image.replacingOccurrences(of: "\"size\":42", with: "\"size\":-1").utf8))
        }
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Data(Self.image.replacingOccurrences(of: "sha256:\(Self.hex)", with: "sha256:XYZ").utf8))
        }
    }

    @Test func platformSelection() throws {
        let p = try Platform(parsing: "linux/arm64")
        #expect(p.matches(Platform(os: "linux", architecture: "arm64", variant: "v8")))
        #expect(!Platform.linuxAMD64.matches(Platform(os: "linux", architecture: "arm64")))
        #expect(throws: RegistryError.self) { try Platform(parsing: "linux") }
    }

    /// The manifest re-encoded the way envctl writes JSON (sorted keys), for the round trip.
    static func encode(_ manifest: Manifest) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        switch manifest {
        case .image(let m): return try encoder.encode(m)
        case .index(let i): return try encoder.encode(i)
        }
    }

    /// Mutated manifests never trap; what is rejected is an `invalid-manifest` RegistryError (typed throws
    /// make any other error type a compile error), and what is accepted round-trips through re-encoding.
    @Test func fuzzRejectsCleanlyAndAcceptedInputRoundTrips() throws {
        var rng = SplitMix64(seed: 7)
        var accepted = 0, rejected = 0
        let seeds = [Array(Self.image.utf8), Array(Self.index.utf8)]
        let junk: [UInt8] = Array("{}[],:\"0123456789-.eE truefalsenull\\u".utf8) + [0, 0xff, 0xc3]
        for _ in 0..<5_000 {
            var b = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let pos = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0...3, using: &rng) {
                case 0: b.remove(at: pos)
                case 1: b.insert(junk.randomElement(using: &rng)!, at: pos)
                case 2: b[pos] = junk.randomElement(using: &rng)!
                default: b = Array(b[..<pos])
                }
                if b.isEmpty { b = [0x7b] }
            }
            let input = String(decoding: b, as: UTF8.self)
            let parsed: (Manifest, mediaType: String)
            do throws(RegistryError) {
                parsed = try Manifest.parse(
                    Data(b), contentType: Bool.random(using: &rng) ? MediaType.ociManifest : nil)
            } catch {
                rejected += 1
                #expect(error.code == .invalidManifest && !error.message.isEmpty, "\(error) for \(input)")
                continue
            }
            accepted += 1
            let again = try Manifest.parse(try Self.encode(parsed.0), contentType: parsed.mediaType)
            #expect(again.0 == parsed.0 && again.mediaType == parsed.mediaType, "round trip changed \(input)")
        }
        // Both paths ran: the mutations are neither all fatal nor all harmless.
        #expect(accepted > 100 && rejected > 100, "accepted \(accepted), rejected \(rejected)")
    }
}

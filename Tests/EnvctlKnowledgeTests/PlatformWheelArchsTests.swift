import EnvctlModel
import EnvctlTestSupport
import Testing

@testable import EnvctlKnowledge

/// `platform_wheels:` rows may list, per variant, the architectures that platform's wheels are built for.
@Suite struct PlatformWheelArchsTests {
    static let header = """
        schema_version: 1
        version: "t"
        date: "2026-12-04"
        sources:
          standin: {url: "https://example.invalid/standin"}
        """

    @Test func torch212Aarch64ArchsComeFromTheReleaseMatrix() throws {
        let kb = KnowledgeBase.builtin
        let cu126 = try #require(kb.wheelArchs(.torch, Version("2.12.0")!, variant: "cu126", platform: "linux/arm64"))
        #expect(cu126.archs == ["8.0", "9.0"])
        #expect(cu126.provenance.source == ["pt_release_md"])
        let cu130 = try #require(kb.wheelArchs(.torch, Version("2.12.1")!, variant: "cu130", platform: "linux/arm64"))
        #expect(cu130.archs == ["8.0", "9.0", "10.0", "11.0", "12.0+PTX"])
        // Unknown stays unknown: no list for cu132 on aarch64, none for amd64 (the framework rows hold it).
        #expect(kb.wheelArchs(.torch, Version("2.12.0")!, variant: "cu132", platform: "linux/arm64") == nil)
        #expect(kb.wheelArchs(.torch, Version("2.12.0")!, variant: "cu126", platform: "linux/amd64") == nil)
        #expect(kb.wheelArchs(.torch, Version("2.8.0")!, variant: "cu128", platform: "linux/arm64") == nil)
    }

    @Test func archsRoundTripThroughTheCanonicalJSON() throws {
        let yaml =
            Self.header + """

                platform_wheels:
                  - {framework: torch, platform: linux/arm64, versions: ">=9", variants: [cu1], archs: {cu1: ["9.0"]}, source: standin, confidence: low}
                """
        let kb = try KnowledgeBase.load(yaml: yaml, file: "o.yaml")
        #expect(kb.platformWheels.first?.archs == ["cu1": ["9.0"]])
        #expect(try BuiltinJSONDecoder.decode(KnowledgeBase.self, from: try kb.canonicalJSON()) == kb)
    }

    @Test(arguments: [
        (#"archs: {cu2: ["9.0"]}"#, "archs names variant 'cu2', which is not in its variants"),
        (#"archs: {cu1: ["sm9"]}"#, "'sm9' in archs of cu1 is not an architecture"),
    ])
    func badArchsAreRefused(_ field: String, _ message: String) throws {
        let yaml =
            Self.header + """

                platform_wheels:
                  - {framework: torch, platform: linux/arm64, versions: ">=9", variants: [cu1], \(field), source: standin, confidence: low}
                """
        let error = #expect(throws: DiagnosticsError.self) { try KnowledgeBase.load(yaml: yaml, file: "o.yaml") }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@testable import EnvctlKnowledge

/// `python_builds:`: exact python-build-standalone builds with an archive URL and sha256 per platform.
@Suite("Built-in knowledge base: python-build-standalone builds")
struct PythonBuildKnowledgeTests {
    let kb = KnowledgeBase.builtin

    /// The newest final patch per minor that uv 0.13.9 knows, each with both Linux platforms. The hashes are
    /// uv 0.13.9's (its download metadata); the test pins them so an edit shows in review.
    @Test func theBuiltinRowsAreUv0139sNewestFinalPatches() throws {
        let expected: [(String, String, String, String)] = [
            (
                "3.10.22", "20261009", "caa66b308e10f35b8114054df7d927903f971f631cfa3237b84c40d5d5f35549",
                "ecbe978a7ecbeb3a9aed67bb5d161180701513b4fa8101037b2a3f1ac11e96be"
            ),
            (
                "3.11.18", "20261110", "3288c54cea3db350052019b3f8b558dd8a3da8afa6fda573f5fd2bcb37635b4a",
                "7e71f26a003949b57757e287f4f4b6689da07e7a229f5bbee7919c19ed77155d"
            ),
            (
                "3.12.16", "20261110", "6a9e62dad033790aef722dbd370e0ce76ce17b73627ba3ae679f537049350b39",
                "b6a41defec4975d94b4ff1950236e7383e5c02ba40ea48c9ec33c66087a35aab"
            ),
            (
                "3.13.18", "20261110", "f2d2199eb25880e07863b391cf7124e7ffa1338b0d65600dfcec117c4223a7fb",
                "55c00325f7c1fddf325dfc621aabdfbbac4dc54adda224af88ec411dc12db239"
            ),
            (
                "3.14.10", "20261110", "c2ff2e97422f5d3896a16e0317fd212ba977bbf2688d93a6f7a03d817506bd30",
                "38fd50f07170adc29d481913d1c30b17ecb538fbe290315fe1f83d84fdd5b694"
            ),
        ]
        #expect(kb.pythonBuilds.map(\.version.text) == expected.map(\.0))
        for (version, build, amd64, arm64) in expected {
            let row = try #require(kb.pythonBuilds.first { $0.version.text == version })
            #expect(row.build == build)
            #expect(row.flavour == "install_only_stripped")
            #expect(row.provenance.source == ["uv_0_13_9_downloads", "python_build_standalone"])
            #expect(row.provenance.confidence == .high)
            #expect(Set(row.platforms.keys) == ["linux/amd64", "linux/arm64"])
            for (platform, triple, sha) in [
                ("linux/amd64", "x86_64-unknown-linux-gnu", amd64), ("linux/arm64", "aarch64-unknown-linux-gnu", arm64),
            ] {
                #expect(row.platforms[platform]?.sha256 == sha)
                #expect(
                    row.platforms[platform]?.url
                        == "https://github.com/astral-sh/python-build-standalone/releases/download/\(build)/cpython-\(version)%2B\(build)-\(triple)-install_only_stripped.tar.gz"
                )
            }
        }
        // One row per minor, and the lookup takes it.
        for (version, _, _, _) in expected {
            let v = Version(version)!
            #expect(kb.pythonBuild(minor: v.truncated(to: 2), platforms: ["linux/amd64"])?.version == v)
        }
        #expect(kb.pythonBuild(minor: Version("3.9")!, platforms: ["linux/amd64"]) == nil)
        #expect(kb.pythonBuild(minor: Version("3.12")!, platforms: ["linux/amd64", "linux/s390x"]) == nil)
    }

    @Test func jammysPython311IsMarkedAsTheReleaseCandidateItIs() throws {
        let row = try #require(kb.osPython.first { $0.os == "ubuntu22.04" && $0.python == Version("3.11")! })
        #expect(row.packageVersion == "3.11.0~rc1")
        #expect(row.row.isPrerelease)
        #expect(kb.osPython.filter(\.row.isPrerelease).count == 1)
    }

    static let overlayHeader = """
        schema_version: 1
        version: "t"
        date: "2026-12-04"
        sources:
          standin: {url: "https://example.invalid/standin"}
        """

    @Test func anOverlayRowReplacesTheBuiltinOneByVersion() throws {
        let sha = String(repeating: "ab", count: 32)
        let overlay = try KnowledgeBase.load(
            yaml: Self.overlayHeader + """

                python_builds:
                  - {version: "3.11.18", build: "20990101", flavour: install_only, platforms: {linux/amd64: {url: "http://127.0.0.1:9/pbs/20990101/cpython-3.11.18.tar.gz", sha256: "\(sha)"}}, source: standin, confidence: low}
                """, file: "overlay.yaml")
        let merged = kb.merging(overlay)
        #expect(merged.pythonBuilds.filter { $0.version == Version("3.11.18")! }.count == 1)
        let row = try #require(merged.pythonBuild(minor: Version("3.11")!, platforms: ["linux/amd64"]))
        #expect(row.build == "20990101")
        #expect(row.platforms["linux/amd64"]?.sha256 == sha)
        #expect(merged.pythonBuilds.count == kb.pythonBuilds.count)
    }

    @Test(arguments: [
        ("sha256: \"abc\"", "is not 64 lowercase hex digits"),
        ("sha256: \"\(String(repeating: "AB", count: 32))\"", "is not 64 lowercase hex digits"),
    ])
    func aBadHashIsRefused(_ field: String, _ message: String) throws {
        let yaml =
            Self.overlayHeader + """

                python_builds:
                  - {version: "3.12.16", build: "1", flavour: x, platforms: {linux/amd64: {url: "https://example.invalid/a/1/f.tar.gz", \(field)}}, source: standin, confidence: low}
                """
        let error = #expect(throws: DiagnosticsError.self) { try KnowledgeBase.load(yaml: yaml, file: "o.yaml") }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test func aPreReleaseBuildIsRefused() throws {
        let sha = String(repeating: "0", count: 64)
        let yaml =
            Self.overlayHeader + """

                python_builds:
                  - {version: "3.15.0rc1", build: "1", flavour: x, platforms: {linux/amd64: {url: "https://example.invalid/a/1/f.tar.gz", sha256: "\(sha)"}}, source: standin, confidence: low}
                """
        let error = #expect(throws: DiagnosticsError.self) { try KnowledgeBase.load(yaml: yaml, file: "o.yaml") }
        #expect(error?.description.contains("a pre-release is never pinned") == true)
    }
}

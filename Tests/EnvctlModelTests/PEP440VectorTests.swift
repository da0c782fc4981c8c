import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// pypa/packaging's version and specifier test vectors (Tests/Fixtures/pep440/packaging-vectors.json,
/// which names the source files and commits), run against envctl's `Version` and `VersionSpecifier`.
enum PackagingVectors {
    static var table: [String: Any] {
        let path = RepoPaths.path("Tests/Fixtures/pep440/packaging-vectors.json")
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    static func rows(_ key: String) -> [[Any]] { (table[key] as? [Any] ?? []).compactMap { $0 as? [Any] } }
    static func strings(_ key: String) -> [String] { table[key] as? [String] ?? [] }

    /// A row as text, so Swift Testing can show and pass it.
    struct Row: Sendable, CustomTestStringConvertible {
        var values: [String]
        var flag: Bool?
        var list: [[String]] = []
        var testDescription: String {
            (values + [flag.map { "\($0)" } ?? "nil"] + list.map { $0.joined(separator: ",") }).joined(separator: " | ")
        }
    }

    static func pairs(_ key: String) -> [Row] {
        rows(key).map { Row(values: $0.compactMap { $0 as? String }, flag: nil) }
    }

    /// [version, spec, expected]
    static var contains: [Row] {
        rows("contains").map { Row(values: [$0[0] as! String, $0[1] as! String], flag: $0[2] as? Bool) }
    }
}

@Suite struct PEP440VectorTests {
    @Test func fixtureLoaded() {
        #expect(PackagingVectors.strings("versions_sorted").count == 92)
        #expect(PackagingVectors.rows("contains").count == 250)
    }

    @Test func versionsSortInPEP440Order() throws {
        let texts = PackagingVectors.strings("versions_sorted")
        let versions = try texts.map { try #require(Version($0), "\($0) should parse") }
        for (i, a) in versions.enumerated() {
            for (j, b) in versions.enumerated() {
                #expect((a < b) == (i < j), "\(a) < \(b) should be \(i < j)")
                #expect((a == b) == (i == j), "\(a) == \(b) should be \(i == j)")
            }
        }
        #expect(Set(versions).count == versions.count)
    }

    @Test(arguments: PackagingVectors.strings("invalid_versions"))
    func rejectsInvalidVersion(_ text: String) {
        #expect(Version(text) == nil)
    }

    @Test(arguments: PackagingVectors.pairs("normalized"))
    func normalizes(_ row: PackagingVectors.Row) throws {
        let v = try #require(Version(row.values[0]))
        #expect(v.normalized == row.values[1])
        #expect(v == Version(row.values[1]))
    }

    @Test(arguments: PackagingVectors.pairs("public"))
    func publicVersion(_ row: PackagingVectors.Row) throws {
        #expect(try #require(Version(row.values[0])).public_.normalized == row.values[1])
    }

    @Test(arguments: PackagingVectors.pairs("base"))
    func baseVersion(_ row: PackagingVectors.Row) throws {
        #expect(try #require(Version(row.values[0])).base.normalized == row.values[1])
    }

    @Test(arguments: PackagingVectors.strings("valid_specifiers"))
    func parsesValidSpecifier(_ text: String) {
        #expect(throws: Never.self) { try VersionSpecifier(parsing: text, bareMeansSeries: false) }
    }

    @Test(arguments: PackagingVectors.strings("invalid_specifiers"))
    func rejectsInvalidSpecifier(_ text: String) {
        #expect(throws: VersionSpecifier.ParseError.self) {
            try VersionSpecifier(parsing: text, bareMeansSeries: false)
        }
    }

    @Test(arguments: PackagingVectors.contains)
    func contains(_ row: PackagingVectors.Row) throws {
        let spec = try VersionSpecifier(parsing: row.values[1], bareMeansSeries: false)
        let version = try #require(Version(row.values[0]))
        #expect(spec.matches(version, prereleases: true) == row.flag)
    }

    @Test(
        arguments: PackagingVectors.rows("prerelease_detection").map {
            PackagingVectors.Row(values: [$0[0] as! String], flag: $0[1] as? Bool)
        })
    func detectsPrereleaseSpecifier(_ row: PackagingVectors.Row) throws {
        #expect(try VersionSpecifier(parsing: row.values[0]).namesPrerelease == row.flag)
    }

    /// [spec, version, prereleases, expected]
    @Test(
        arguments: PackagingVectors.rows("prereleases").map {
            PackagingVectors.Row(
                values: [$0[0] as! String, $0[1] as! String, ($0[2] as? Bool).map { "\($0)" } ?? "nil"],
                flag: $0[3] as? Bool)
        })
    func prereleaseChoice(_ row: PackagingVectors.Row) throws {
        let spec = try VersionSpecifier(parsing: row.values[0])
        let version = try #require(Version(row.values[1]))
        let allowed: Bool? = row.values[2] == "nil" ? nil : row.values[2] == "true"
        #expect(spec.matches(version, prereleases: allowed) == row.flag)
    }

    /// [spec, prereleases, input, expected]
    @Test(
        arguments: PackagingVectors.rows("filter").map {
            PackagingVectors.Row(
                values: [$0[0] as! String], flag: $0[1] as? Bool, list: [$0[2] as! [String], $0[3] as! [String]])
        })
    func filter(_ row: PackagingVectors.Row) throws {
        let spec = try VersionSpecifier(parsing: row.values[0])
        let input = try row.list[0].map { try #require(Version($0)) }
        #expect(spec.filter(input, prereleases: row.flag).map(\.text) == row.list[1])
    }

    /// Plain dotted releases take a fast path; it must agree with the general scanner at its edges.
    @Test func plainReleasesAgreeWithTheScanner() {
        #expect(Version("01.02.000")?.components == [1, 2, 0])
        #expect(Version("0000000001.0")?.components == [1, 0], "leading zeros are not significant digits")
        #expect(Version("123456789.1")?.components == [123_456_789, 1])
        #expect(Version("1234567890") == nil, "over 9 significant digits in a release number")
        for bad in ["1.", ".1", "1..2", "", "."] { #expect(Version(bad) == nil, "\(bad)") }
        #expect(Version(" 12.4 ")?.text == "12.4", "whitespace goes through the scanner, trimmed")
        #expect(Version("12.4")! == Version("12.4.0")!)
        #expect(Version("12.4")!.text == "12.4")
    }
}

/// envctl's own cases for framework nightlies and pre-releases.
@Suite struct PrereleaseSpecifierTests {
    @Test(arguments: [
        ("==2.16.0.dev20261120", "2.16.0.dev20261120", true),
        (">=2.16.0.dev0", "2.16.0.dev20261120", true),
        (">=2.16.0.dev0", "2.16.0", true),
        (">=2.16.0.dev0", "2.15.1", false),
        (">=2.5", "2.16.0.dev20261120", false),
        ("==2.16.*", "2.16.0.dev20261120", false),
        ("==2.7.0rc1", "2.7.0rc1", true),
        ("~=2.7.0rc1", "2.7.0", true),
        ("!=2.7.0rc1", "2.7.0rc2", false),
    ])
    func nightlyMatching(_ spec: String, _ version: String, _ expected: Bool) throws {
        let s = try VersionSpecifier(parsing: spec, bareMeansSeries: false)
        #expect(s.matches(try #require(Version(version))) == expected)
    }

    @Test func nightlyOrdersBeforeItsRelease() throws {
        let nightly = try #require(Version("2.16.0.dev20261120"))
        #expect(nightly < Version("2.16.0")!)
        #expect(nightly > Version("2.15.1")!)
        #expect(nightly > Version("2.16.0.dev20261119")!)
        #expect(nightly.isPrerelease && nightly.dev == 20_261_120)
    }
}

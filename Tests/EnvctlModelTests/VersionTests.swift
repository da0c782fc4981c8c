import EnvctlModel
import Testing

@Suite struct VersionTests {
    @Test(arguments: [
        ("12.4", "12.4.0", 0), ("535.104.05", "535.86.10", 1), ("570.26", "570.124.06", -1),
        ("2.5.1+cu124", "2.5.1", 1), ("12.10", "12.9", 1), ("3.9", "3.10", -1),
    ])
    func ordering(_ a: String, _ b: String, _ expected: Int) throws {
        let x = try #require(Version(a)), y = try #require(Version(b))
        let got = x < y ? -1 : (y < x ? 1 : 0)
        #expect(got == expected)
    }

    @Test(arguments: ["", "1..2", "a.b", "+cu124", "1.2+", "12345678901.1"])
    func rejectsMalformed(_ text: String) {
        #expect(Version(text) == nil)
    }

    @Test func acceptsPEP440Spellings() {
        #expect(Version("1.2-rc1")?.normalized == "1.2rc1")
        #expect(Version("1.0-1")?.normalized == "1.0.post1")
        #expect(Version("2.16.0.dev20261120")?.isPrerelease == true)
    }

    @Test func keepsDriverSpelling() {
        #expect(Version("535.104.05")?.description == "535.104.05")
    }
}

@Suite struct VersionSpecifierTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var spec: String
        var yes: [String]
        var no: [String]
        var testDescription: String { spec }
    }

    @Test(arguments: [
        Case(spec: "12.4", yes: ["12.4", "12.4.1", "12.4.0"], no: ["12.5", "12.40", "11.4"]),
        Case(spec: "9", yes: ["9.1.0.70", "9"], no: ["8.9.7", "10.0"]),
        Case(spec: ">=12.1", yes: ["12.1", "12.1.1", "13.0"], no: ["12.0.1", "11.8"]),
        Case(spec: ">=12.1,<13", yes: ["12.9.1"], no: ["13.0.0", "12.0"]),
        Case(spec: "==2.5.*", yes: ["2.5.0", "2.5.1"], no: ["2.6.0", "2.50"]),
        Case(spec: "~=2.5", yes: ["2.5", "2.9.1"], no: ["3.0", "2.4"]),
        Case(spec: "~=2.5.1", yes: ["2.5.1", "2.5.9"], no: ["2.6.0", "2.5.0"]),
        Case(spec: "!=12.4.*", yes: ["12.5"], no: ["12.4.1"]),
        Case(spec: "==2.5.1", yes: ["2.5.1", "2.5.1+cu124"], no: ["2.5.2"]),
    ])
    func matching(_ c: Case) throws {
        let s = try VersionSpecifier(parsing: c.spec)
        for v in c.yes { #expect(s.matches(Version(v)!), "\(c.spec) should match \(v)") }
        for v in c.no { #expect(!s.matches(Version(v)!), "\(c.spec) should not match \(v)") }
    }

    @Test(arguments: [">=", "12.4,", "=>12", ">=12.*", "~=2", "abc", ">= twelve"])
    func rejects(_ text: String) {
        #expect(throws: VersionSpecifier.ParseError.self) { try VersionSpecifier(parsing: text) }
    }
}

import OCIRegistry
import Testing

@Suite struct ImageReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var registry: String
        var repository: String
        var tag: String?
        var digest: String?
        var testDescription: String { input }
    }

    static let hex = String(repeating: "ab", count: 32)

    static let valid: [Case] = [
        Case(input: "ubuntu", registry: "docker.io", repository: "library/ubuntu", tag: "latest"),
        Case(input: "ubuntu:22.04", registry: "docker.io", repository: "library/ubuntu", tag: "22.04"),
        Case(input: "docker.io/ubuntu", registry: "docker.io", repository: "library/ubuntu", tag: "latest"),
        Case(input: "index.docker.io/library/ubuntu:1", registry: "docker.io", repository: "library/ubuntu", tag: "1"),
        Case(
            input: "registry-1.docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", registry: "docker.io",
            repository: "nvidia/cuda", tag: "12.4.1-base-ubuntu22.04"),
        Case(
            input: "nvidia/cuda:12.4.1-base-ubuntu22.04", registry: "docker.io", repository: "nvidia/cuda",
            tag: "12.4.1-base-ubuntu22.04"),
        Case(input: "docker://ghcr.io/org/img:v1", registry: "ghcr.io", repository: "org/img", tag: "v1"),
        Case(input: "localhost/img", registry: "localhost", repository: "img", tag: "latest"),
        Case(input: "localhost:5000/a/b/c:t", registry: "localhost:5000", repository: "a/b/c", tag: "t"),
        Case(
            input: "127.0.0.1:5000/team/env@sha256:\(hex)", registry: "127.0.0.1:5000", repository: "team/env",
            digest: "sha256:\(hex)"),
        Case(
            input: "ghcr.io/a/b:tag@sha256:\(hex)", registry: "ghcr.io", repository: "a/b", tag: "tag",
            digest: "sha256:\(hex)"),
        Case(input: "[::1]:5000/x", registry: "[::1]:5000", repository: "x", tag: "latest"),
        Case(input: "quay.io/a__b/c-d.e_f:T_1.x-y", registry: "quay.io", repository: "a__b/c-d.e_f", tag: "T_1.x-y"),
    ]

    @Test(arguments: valid)
    func parses(_ c: Case) throws {
        let r = try ImageReference(parsing: c.input)
        #expect(r.registry == c.registry)
        #expect(r.repository == c.repository)
        #expect(r.tag == c.tag)
        #expect(r.digest?.description == c.digest)
    }

    @Test func apiHostForDockerHub() throws {
        #expect(try ImageReference(parsing: "ubuntu").apiHost == "registry-1.docker.io")
        #expect(try ImageReference(parsing: "ghcr.io/a/b").apiHost == "ghcr.io")
        #expect(try ImageReference(parsing: "nvidia/cuda:1").description == "docker.io/nvidia/cuda:1")
    }

    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("Ubuntu", "lowercase"),
        ("ghcr.io/Org/img", "lowercase"),
        ("img:", "not a valid tag"),
        ("img:-bad", "not a valid tag"),
        ("img@sha256:abc", "bad digest"),
        ("img@md5", "bad digest"),
        ("a//b", "not a valid repository"),
        ("ghcr.io/", "empty"),
        ("a b", "whitespace"),
        ("host:99999/x", "valid registry host"),
        ("-a.io/x", "valid registry host"),
        ("x/.y", "not a valid repository"),
        ("img:" + String(repeating: "t", count: 200), "the limit is 128"),
    ]

    /// distribution's limits: a repository of at most 255 characters, a tag of at most 128.
    static let pastTheLimits: [(String, String)] = [
        ("ghcr.io/" + String(repeating: "a", count: 256), "repository name is 256 characters long; the limit is 255"),
        ("ghcr.io/" + String(repeating: "a/", count: 150) + "b", "repository name is 301 characters long"),
        // Within 255 alone, past it with the registry in front.
        ("ghcr.io/" + String(repeating: "a", count: 250), "characters long; the limit is 255"),
        ("img:" + String(repeating: "t", count: 129), "the tag is 129 characters long; the limit is 128"),
        ("ghcr.io/a:" + String(repeating: "1", count: 300) + "@sha256:" + hex, "the tag is 300 characters long"),
        ("ghcr.io/" + String(repeating: "a", count: 600), "a name is at most 255"),
    ]

    @Test(arguments: pastTheLimits)
    func rejectsNamesPastTheDistributionLimits(_ input: String, _ why: String) {
        do {
            let r = try ImageReference(parsing: input)
            Issue.record("parsed a \(input.count)-character reference as \(r.repository.count)/\(r.tag?.count ?? 0)")
        } catch {
            #expect(error.code == .invalidReference)
            #expect(error.isUserInputError)
            #expect(error.message.contains(why), "\(error.message)")
        }
    }

    @Test(arguments: [
        ("ghcr.io/" + String(repeating: "a", count: 200), "latest"),
        ("img", String(repeating: "t", count: 128)),
        ("img", "_" + String(repeating: "A.-", count: 42)),
    ])
    func acceptsNamesAtTheLimits(_ name: String, _ tag: String) throws {
        let r = try ImageReference(parsing: "\(name):\(tag)")
        #expect(r.tag == tag)
    }

    @Test(arguments: invalid)
    func rejects(_ input: String, _ why: String) {
        do {
            let r = try ImageReference(parsing: input)
            Issue.record("parsed '\(input)' as \(r)")
        } catch {
            #expect(error.code == .invalidReference)
            #expect(error.message.contains(why), "\(error.message)")
        }
    }

    @Test func fuzzNeverCrashes() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let alphabet = Array("abcXYZ019:/@._-+ \u{0}é[]sha256:" + Self.hex.prefix(10))
        let seeds = Self.valid.map(\.input)
        var parsed = 0
        for i in 0..<20_000 {
            var s: [Character]
            if i % 2 == 0 {
                s = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                s = Array(seeds.randomElement(using: &rng)!)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let op = Int.random(in: 0...2, using: &rng)
                    let pos = s.isEmpty ? 0 : Int.random(in: 0..<s.count, using: &rng)
                    switch op {
                    case 0 where !s.isEmpty: s.remove(at: pos)
                    case 1: s.insert(alphabet.randomElement(using: &rng)!, at: pos)
                    default: if !s.isEmpty { s[pos] = alphabet.randomElement(using: &rng)! }
                    }
                }
            }
            if let r = try? ImageReference(parsing: String(s)) {
                parsed += 1
                // Whatever parses must round-trip through its own description.
                #expect((try? ImageReference(parsing: r.description)) == r, "\(String(s)) -> \(r)")
            }
        }
        #expect(parsed > 100)
    }
}

/// Deterministic RNG so fuzz failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

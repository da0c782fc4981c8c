import Foundation
import OCIRegistry
import Testing

@Suite struct AuthChallengeTests {
    @Test func bearerWithScope() throws {
        let c = try AuthChallenge.parse(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#
        )
        #expect(c.count == 1)
        #expect(c[0].scheme == "bearer")
        #expect(c[0].realm == "https://auth.docker.io/token")
        #expect(c[0].service == "registry.docker.io")
        #expect(c[0].scopes == ["repository:library/ubuntu:pull"])
    }

    @Test func insufficientScopeWithTwoScopesAndCommaInQuotes() throws {
        let c = try AuthChallenge.parse(
            #"Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:a/b:pull,push repository:c/d:pull",error="insufficient_scope""#
        )
        #expect(c[0].scopes == ["repository:a/b:pull,push", "repository:c/d:pull"])
        #expect(c[0].error == "insufficient_scope")
    }

    @Test func severalChallengesAndCaseAndSpaces() throws {
        let c = try AuthChallenge.parse(
            #"Basic realm="x, y" , BEARER  Realm = "https://r/t" ,service=plain, Negotiate"#)
        #expect(c.map(\.scheme) == ["basic", "bearer", "negotiate"])
        #expect(c[0].realm == "x, y")
        #expect(c[1].realm == "https://r/t")
        #expect(c[1].service == "plain")
    }

    @Test func escapesAndToken68() throws {
        let c = try AuthChallenge.parse(#"Basic realm="a \"quoted\" \\ realm""#)
        #expect(c[0].realm == #"a "quoted" \ realm"#)
        let t = try AuthChallenge.parse("Newauth abc123==, Basic realm=\"r\"")
        #expect(t[0].token68 == "abc123==")
        #expect(t[1].realm == "r")
    }

    @Test(arguments: [#"Bearer realm="unterminated"#, "=realm", "Bearer realm=\"a\" junk\"", "\"x\""])
    func malformedThrows(_ header: String) {
        #expect(throws: RegistryError.self) { try AuthChallenge.parse(header) }
    }

    /// Writes challenges back as a header (RFC 9110 syntax: parameters as quoted strings, `"` and `\`
    /// escaped, sorted by name), for the round trip.
    static func header(_ challenges: [AuthChallenge]) -> String {
        challenges.map { c in
            if let t = c.token68 { return "\(c.scheme) \(t)" }
            let params = c.parameters.sorted { $0.key < $1.key }.map { name, value in
                let quoted = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                    of: "\"", with: "\\\"")
                return "\(name)=\"\(quoted)\""
            }
            return params.isEmpty ? c.scheme : "\(c.scheme) \(params.joined(separator: ", "))"
        }.joined(separator: ", ")
    }

    @Test func headerWriterRoundTripsTheExamples() throws {
        let text =
            #"Basic realm="a \"quoted\" \\ realm", Bearer realm="https://r/t",scope="a b", Newauth abc123==, Negotiate"#
        let parsed = try AuthChallenge.parse(text)
        #expect(parsed.count == 4)
        #expect(try AuthChallenge.parse(Self.header(parsed)) == parsed)
    }

    /// Random headers never trap; a rejected one is a RegistryError naming the malformed header (typed throws
    /// make any other error type a compile error), and an accepted one round-trips through ``header(_:)``.
    @Test func fuzzRejectsCleanlyAndAcceptedInputRoundTrips() throws {
        var rng = SplitMix64(seed: 42)
        let pieces = [
            "Bearer", "Basic", " ", ",", "=", "\"", "\\", "realm", "scope", "a:b:pull", "x y", "\t", "é", "\u{0}",
        ]
        var accepted = 0, rejected = 0
        for _ in 0..<20_000 {
            let s = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let parsed: [AuthChallenge]
            do throws(RegistryError) {
                parsed = try AuthChallenge.parse(s)
            } catch {
                rejected += 1
                #expect(
                    error.code == .unexpectedResponse && error.message.contains("malformed WWW-Authenticate"),
                    "\(error)")
                continue
            }
            accepted += 1
            let written = Self.header(parsed)
            #expect(try AuthChallenge.parse(written) == parsed, "\(s.debugDescription) -> \(written.debugDescription)")
        }
        #expect(accepted > 1_000 && rejected > 1_000, "accepted \(accepted), rejected \(rejected)")
    }
}

@Suite struct HeaderSafetyTests {
    @Test(arguments: ["a b\r\nX-Evil: injected", "x\ny", "x\ry", "x\u{0}y", "x\u{1B}y", "x\u{7F}y"])
    func valuesWithControlCharactersAreUnsafe(_ value: String) {
        var h = HTTPHeaders([("Accept", "*/*")])
        h.add("Authorization", "Bearer \(value)")
        #expect(h.unsafeFieldName == "Authorization")
        #expect(!HTTPHeaders.isSafeValue(value))
    }

    @Test func ordinaryHeadersAreSafe() {
        let h = HTTPHeaders([
            ("Authorization", "Bearer eyJhbGciOi.J9-_x~+/="), ("Accept", "application/json,\t*/*"),
            ("Content-Range", "0-1023"),
        ])
        #expect(h.unsafeFieldName == nil)
        #expect(HTTPHeaders([("X Evil", "v")]).unsafeFieldName == "X Evil")
        #expect(HTTPHeaders([("X-Evil\r\n", "v")]).unsafeFieldName == "X-Evil??")
    }
}

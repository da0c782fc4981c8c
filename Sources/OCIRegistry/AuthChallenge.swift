import Foundation

/// One challenge from a `WWW-Authenticate` header (RFC 9110 §11.6.1), e.g.
/// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`.
package struct AuthChallenge: Sendable, Hashable {
    /// Lowercased scheme: `basic`, `bearer`, …
    package var scheme: String
    /// Parameters with lowercased names; values unquoted.
    package var parameters: [String: String]
    /// A token68 credential form instead of parameters (rare in challenges).
    package var token68: String?

    package init(scheme: String, parameters: [String: String] = [:], token68: String? = nil) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
        self.token68 = token68
    }

    package var realm: String? { parameters["realm"] }
    package var service: String? { parameters["service"] }
    /// Space-separated scopes, split.
    package var scopes: [String] { (parameters["scope"] ?? "").split(separator: " ").map(String.init) }
    package var error: String? { parameters["error"] }

    /// Parses every challenge in a header value. Several headers may be joined with `,` first.
    ///
    /// Handles quoted strings with commas and escapes, several challenges in one header, token68, and
    /// stray whitespace or empty list elements. Malformed input throws; it never traps.
    package static func parse(_ header: String) throws(RegistryError) -> [AuthChallenge] {
        var scanner = Scanner(Array(header.utf8))
        var result: [AuthChallenge] = []
        func fail(_ why: String) -> RegistryError {
            RegistryError(.unexpectedResponse, "malformed WWW-Authenticate header: \(why)")
        }
        while true {
            scanner.skip { $0 == 44 || isSpace($0) }  // commas and spaces between challenges
            if scanner.atEnd { break }
            let scheme = scanner.token()
            guard !scheme.isEmpty else { throw fail("expected an auth scheme at offset \(scanner.pos)") }
            var challenge = AuthChallenge(scheme: scheme)
            let hadSpace = scanner.skip(isSpace) > 0
            if scanner.atEnd || scanner.peek == 44 {
                result.append(challenge)
                continue
            }
            guard hadSpace else { throw fail("expected a space after '\(scheme)'") }
            // token68?  (a token followed by optional '=' padding, then end or comma)
            let save = scanner.pos
            let t68 = scanner.take { isToken68($0) }
            let pad = scanner.take { $0 == 61 }
            scanner.skip(isSpace)
            if !t68.isEmpty && (scanner.atEnd || scanner.peek == 44) {
                challenge.token68 = String(decoding: t68 + pad, as: UTF8.self)
                result.append(challenge)
                continue
            }
            scanner.pos = save
            // auth-params
            while true {
                scanner.skip(isSpace)
                let nameStart = scanner.pos
                let name = scanner.token()
                if name.isEmpty {
                    if scanner.atEnd { break }
                    if scanner.peek == 44 { scanner.pos += 1; continue }
                    throw fail("unexpected character at offset \(scanner.pos)")
                }
                scanner.skip(isSpace)
                guard scanner.peek == 61 else {
                    // Not a parameter: the start of the next challenge.
                    scanner.pos = nameStart
                    break
                }
                scanner.pos += 1
                scanner.skip(isSpace)
                let value: String
                if scanner.peek == 34 {
                    scanner.pos += 1
                    var bytes: [UInt8] = []
                    var closed = false
                    while let c = scanner.next() {
                        if c == 92 {  // backslash escape
                            guard let e = scanner.next() else { break }
                            bytes.append(e)
                        } else if c == 34 {
                            closed = true
                            break
                        } else {
                            bytes.append(c)
                        }
                    }
                    guard closed else { throw fail("unterminated quoted string for '\(name)'") }
                    value = String(decoding: bytes, as: UTF8.self)
                } else {
                    value = String(decoding: scanner.take { $0 != 44 && !isSpace($0) }, as: UTF8.self)
                }
                let key = name.lowercased()
                if challenge.parameters[key] == nil { challenge.parameters[key] = value }
                scanner.skip(isSpace)
                if scanner.atEnd { break }
                guard scanner.peek == 44 else { throw fail("expected ',' after parameter '\(name)'") }
                scanner.pos += 1
            }
            result.append(challenge)
        }
        return result
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
    private static func isToken68(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95
            || c == 126 || c == 43 || c == 47
    }

    private struct Scanner {
        let bytes: [UInt8]
        var pos = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { pos >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[pos] }
        mutating func next() -> UInt8? {
            guard !atEnd else { return nil }
            defer { pos += 1 }
            return bytes[pos]
        }
        @discardableResult mutating func skip(_ pred: (UInt8) -> Bool) -> Int {
            let start = pos
            while !atEnd && pred(bytes[pos]) { pos += 1 }
            return pos - start
        }
        mutating func take(_ pred: (UInt8) -> Bool) -> [UInt8] {
            let start = pos
            skip(pred)
            return Array(bytes[start..<pos])
        }
        /// RFC 9110 tchar run.
        mutating func token() -> String {
            String(
                decoding: take { c in
                    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
                        || [33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126].contains(c)
                }, as: UTF8.self)
        }
    }
}

import Digest
import EnvctlModel
package import Foundation

/// A content digest `algorithm:encoded` (OCI image-spec descriptor digest grammar).
package struct ContentDigest: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package let algorithm: String
    package let encoded: String

    /// Parses `sha256:<64 lowercase hex>` (or `sha512:<128 hex>`, or another registered-looking algorithm).
    package init(_ text: String) throws(RegistryError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw RegistryError(.invalidReference, "invalid digest '\(Self.excerpt(text))': expected algorithm:hex")
        }
        let alg = String(text[..<colon])
        let enc = String(text[text.index(after: colon)...])
        let algOK =
            !alg.isEmpty
            && alg.utf8.allSatisfy {
                ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 46 || $0 == 95 || $0 == 45
            }
        let encOK =
            !enc.isEmpty
            && enc.utf8.allSatisfy {
                ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 61 || $0 == 95
                    || $0 == 45
            }
        guard algOK, encOK else {
            throw RegistryError(.invalidReference, "invalid digest '\(Self.excerpt(text))'")
        }
        let isHex = enc.utf8.allSatisfy { ($0 >= 97 && $0 <= 102) || ($0 >= 48 && $0 <= 57) }
        switch alg {
        case "sha256" where !(enc.utf8.count == 64 && isHex),
            "sha512" where !(enc.utf8.count == 128 && isHex):
            throw RegistryError(
                .invalidReference, "invalid \(alg) digest '\(Self.excerpt(text))': wrong length or not lowercase hex")
        default: break
        }
        algorithm = alg
        encoded = enc
    }

    package init(sha256Hex hex: String) {
        algorithm = "sha256"
        encoded = hex
    }

    /// The SHA-256 digest of `data`.
    package static func sha256(of data: some DataProtocol) -> ContentDigest {
        ContentDigest(sha256Hex: SHA256.hex(data))
    }

    package var description: String { "\(algorithm):\(encoded)" }

    /// `sha256:0123456789ab` for progress lines.
    package var short: String { "\(algorithm):\(encoded.prefix(12))" }

    package static func < (a: ContentDigest, b: ContentDigest) -> Bool { a.description < b.description }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try ContentDigest(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// `s` for a message: escaped (`String.escapedForMessage`) and cut to 80 characters.
    static func excerpt(_ s: String) -> String {
        let e = s.prefix(200).description.escapedForMessage
        return e.count > 80 ? String(e.prefix(77)) + "..." : e
    }
}

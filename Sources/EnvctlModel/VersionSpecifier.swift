import Foundation

/// A PEP 440-style version specifier: comma-separated clauses that must all hold.
///
/// envctl adds one convenience for CUDA-like fields: a bare version (`"12.4"`, `"9"`) means
/// "that release line", i.e. `==12.4.*`. Everything else follows PEP 440:
/// `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` (compatible release), `===` (exact string) and `.*` prefix matching.
package struct VersionSpecifier: Sendable, Hashable, CustomStringConvertible, Codable {
    package enum Operator: String, Sendable, Hashable, CaseIterable {
        case arbitrary = "==="
        case compatible = "~="
        case equal = "=="
        case notEqual = "!="
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case less = "<"
        case greater = ">"
    }

    package struct Clause: Sendable, Hashable, CustomStringConvertible {
        package let op: Operator
        package let version: Version
        /// `==1.2.*` / `!=1.2.*`
        package let wildcard: Bool
        package let raw: String

        package var description: String { "\(op.rawValue)\(version.text)\(wildcard ? ".*" : "")" }

        package func matches(_ candidate: Version) -> Bool {
            switch op {
            case .arbitrary:
                return candidate.text == raw
            case .equal:
                if wildcard { return Self.hasPrefix(candidate, version) }
                if version.local != nil { return candidate == version }
                return Version.compare(candidate.components, version.components) == 0
            case .notEqual:
                if wildcard { return !Self.hasPrefix(candidate, version) }
                return Version.compare(candidate.components, version.components) != 0
            case .lessOrEqual:
                return Version.compare(candidate.components, version.components) <= 0
            case .greaterOrEqual:
                return Version.compare(candidate.components, version.components) >= 0
            case .less:
                return Version.compare(candidate.components, version.components) < 0
            case .greater:
                return Version.compare(candidate.components, version.components) > 0
            case .compatible:
                // ~=2.5.1 means >=2.5.1, ==2.5.*
                guard Version.compare(candidate.components, version.components) >= 0 else { return false }
                return Self.hasPrefix(candidate, Version(Array(version.components.dropLast())))
            }
        }

        package static func hasPrefix(_ candidate: Version, _ prefix: Version) -> Bool {
            for (i, p) in prefix.components.enumerated() {
                let c = i < candidate.components.count ? candidate.components[i] : 0
                if c != p { return false }
            }
            return true
        }
    }

    package let clauses: [Clause]
    package let text: String

    /// An error in a specifier, with the offending piece named so the diagnostic can quote it.
    package struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        package let message: String
        package var description: String { message }
    }

    /// Parses a specifier.
    /// - Parameter bareMeansSeries: when true, `"12.4"` means `==12.4.*` (used for cuda, cudnn, python).
    package init(parsing text: String, bareMeansSeries: Bool = true) throws(ParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ParseError(message: "empty version specifier") }
        var clauses: [Clause] = []
        for piece in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let part = piece.trimmingCharacters(in: .whitespaces)
            guard !part.isEmpty else { throw ParseError(message: "empty clause in '\(trimmed)'") }
            var op: Operator?
            var rest = Substring(part)
            for candidate in Operator.allCases where part.hasPrefix(candidate.rawValue) {
                op = candidate
                rest = part.dropFirst(candidate.rawValue.count)
                break
            }
            rest = Substring(rest.trimmingCharacters(in: .whitespaces))
            if op == .arbitrary {
                clauses.append(
                    Clause(
                        op: .arbitrary, version: Version(rest.description) ?? Version([0]),
                        wildcard: false, raw: String(rest)))
                continue
            }
            var wildcard = false
            if rest.hasSuffix(".*") {
                wildcard = true
                rest = rest.dropLast(2)
            }
            guard let version = Version(String(rest)) else {
                throw ParseError(
                    message: "'\(part)' is not a version clause (expected e.g. '>=12.1', '==2.5.*' or '12.4')")
            }
            let resolvedOp: Operator
            if let op {
                resolvedOp = op
            } else if bareMeansSeries {
                resolvedOp = .equal
                wildcard = true
            } else {
                resolvedOp = .equal
            }
            if wildcard, resolvedOp != .equal, resolvedOp != .notEqual {
                throw ParseError(message: "'\(part)': '.*' is only allowed with == or !=")
            }
            if resolvedOp == .compatible, version.components.count < 2 {
                throw ParseError(message: "'\(part)': ~= needs at least two components, e.g. ~=2.5")
            }
            clauses.append(Clause(op: resolvedOp, version: version, wildcard: wildcard, raw: part))
        }
        self.clauses = clauses
        self.text = trimmed
    }

    /// A specifier that accepts any version.
    package static let any = VersionSpecifier(clauses: [], text: "*")

    init(clauses: [Clause], text: String) {
        self.clauses = clauses
        self.text = text
    }

    package func matches(_ version: Version) -> Bool { clauses.allSatisfy { $0.matches(version) } }

    package var isAny: Bool { clauses.isEmpty }

    package var description: String { text }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        do { try self.init(parsing: s) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.message)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

import Foundation

/// A PEP 440-style version specifier: comma-separated clauses that must all hold.
///
/// envctl adds one convenience for CUDA-like fields: a bare version (`"12.4"`, `"9"`) means
/// "that release line", i.e. `==12.4.*`. Everything else follows PEP 440:
/// `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` (compatible release), `===` (arbitrary string, case-insensitive),
/// `.*` prefix matching with `==`/`!=`, local labels (`==2.5.1+cu124`) with `==`/`!=` only, and the
/// exclusive-ordering and pre-release rules (checked against pypa/packaging's test vectors).
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

        /// Whether `candidate` satisfies this clause, pre-releases included (the caller applies the
        /// pre-release rule; see `VersionSpecifier.matches`).
        package func matches(_ candidate: Version) -> Bool {
            switch op {
            case .arbitrary:
                return candidate.text.lowercased() == raw.lowercased()
            case .equal:
                return equals(candidate)
            case .notEqual:
                return !equals(candidate)
            case .lessOrEqual:
                return Version.order(candidate.public_, version) <= 0
            case .greaterOrEqual:
                return Version.order(candidate.public_, version) >= 0
            case .less:
                guard Version.order(candidate.public_, version) < 0 else { return false }
                // `<V` excludes V's own pre-releases unless V is one: `<2.0` rejects `2.0a1`,
                // `<1.0.post1` rejects `1.0.post1.dev0` but not `1.0a1`.
                if !version.isPrerelease, candidate.isPrerelease, Self.sameRelease(candidate, version),
                    version.post == nil || (candidate.post == version.post && candidate.pre == nil)
                {
                    return false
                }
                return true
            case .greater:
                guard Version.order(candidate, version) > 0 else { return false }
                // `>V` excludes V's own post-releases unless V is one (`>1.0` rejects `1.0.post1`,
                // `>1.0a1` rejects `1.0a1.post0`), and local versions of V itself.
                if !version.isPostRelease, version.dev == nil, candidate.isPostRelease,
                    Self.sameRelease(candidate, version), candidate.pre?.phase == version.pre?.phase,
                    candidate.pre?.number == version.pre?.number
                {
                    return false
                }
                if candidate.local != nil, candidate.public_ == version { return false }
                return true
            case .compatible:
                // ~=2.5.1 means >=2.5.1, ==2.5.*
                guard Version.order(candidate.public_, version) >= 0 else { return false }
                let prefix = Version(
                    epoch: version.epoch, components: Array(version.components.dropLast()), pre: nil, post: nil,
                    dev: nil, local: nil)
                return Self.hasPrefix(candidate, prefix)
            }
        }

        private func equals(_ candidate: Version) -> Bool {
            if wildcard { return Self.hasPrefix(candidate, version) }
            if version.local != nil { return candidate == version }
            return candidate.public_ == version
        }

        static func sameRelease(_ a: Version, _ b: Version) -> Bool {
            a.epoch == b.epoch && Version.compare(a.components, b.components) == 0
        }

        /// Prefix match on the release segment (`==12.4.*`), zero-padded; the epoch must be equal.
        package static func hasPrefix(_ candidate: Version, _ prefix: Version) -> Bool {
            guard candidate.epoch == prefix.epoch else { return false }
            for (i, p) in prefix.components.enumerated() {
                let c = i < candidate.components.count ? candidate.components[i] : 0
                if c != p { return false }
            }
            return true
        }

        /// Whether this clause names a pre-release, which lets the whole specifier accept pre-releases
        /// (PEP 440: `>=2.16.0.dev0` admits nightlies, `>=2.5` and `!=2.0a1` don't).
        package var namesPrerelease: Bool {
            switch op {
            case .notEqual: return false
            case .arbitrary: return Version(raw)?.isPrerelease ?? false
            default: return !wildcard && version.isPrerelease
            }
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
                guard !rest.isEmpty, !rest.contains(where: \.isWhitespace) else {
                    throw ParseError(message: "'\(part)': === needs a version string without spaces")
                }
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
            if wildcard, version.isPrerelease || version.isPostRelease || version.local != nil {
                throw ParseError(
                    message: "'\(part)': '.*' follows a release number only (not a pre, post, dev or local part)")
            }
            if version.local != nil, resolvedOp != .equal, resolvedOp != .notEqual {
                throw ParseError(message: "'\(part)': a local label (+...) is only allowed with == or !=")
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

    /// Whether some clause names a pre-release (`>=2.16.0.dev0`, `==2.7.0rc1`), which admits pre-releases.
    package var namesPrerelease: Bool { clauses.contains { $0.namesPrerelease } }

    /// Whether `version` satisfies every clause. PEP 440's pre-release rule applies: a pre-release or
    /// dev release (`2.16.0.dev20261120`, `2.7.0rc1`) matches only when `prereleases` is true, or when it
    /// is nil and the specifier itself names a pre-release. So `torch>=2.5` never picks a nightly.
    package func matches(_ version: Version, prereleases: Bool? = nil) -> Bool {
        if version.isPrerelease, !(prereleases ?? namesPrerelease) { return false }
        return clauses.allSatisfy { $0.matches(version) }
    }

    /// The versions that satisfy the specifier, in their order. With `prereleases` nil and a specifier
    /// that names no pre-release, pre-releases are returned only when no final release matches
    /// (pip's and packaging's rule for choosing among candidates).
    package func filter(_ versions: [Version], prereleases: Bool? = nil) -> [Version] {
        let allowed = prereleases ?? (namesPrerelease ? true : nil)
        let matching = versions.filter { v in clauses.allSatisfy { $0.matches(v) } }
        switch allowed {
        case true?: return matching
        case false?: return matching.filter { !$0.isPrerelease }
        case nil:
            let finals = matching.filter { !$0.isPrerelease }
            return finals.isEmpty ? matching : finals
        }
    }

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

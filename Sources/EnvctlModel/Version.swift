import Foundation

/// A dotted numeric version such as `12.4.1`, `535.104.05` or `2.5.1+cu124`.
///
/// Comparison is numeric per component with missing components treated as zero (PEP 440 padding),
/// so `12.4 == 12.4.0` and `535.104.05 > 535.86.10`. The local label (`+cu124`) never takes part
/// in ordering, matching PEP 440's rule that specifiers without a local label ignore it.
/// The original spelling is kept for display, because driver versions like `535.104.05` keep their zeros.
package struct Version: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    package let components: [Int]
    package let local: String?
    package let text: String

    package init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var main = Substring(trimmed)
        var local: String?
        if let plus = trimmed.firstIndex(of: "+") {
            main = trimmed[..<plus]
            let label = trimmed[trimmed.index(after: plus)...]
            guard !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." }) else { return nil }
            local = String(label)
        }
        if main.hasPrefix("v") { main = main.dropFirst() }
        let parts = main.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(part)
            else { return nil }
            numbers.append(n)
        }
        self.components = numbers
        self.local = local
        self.text = trimmed
    }

    package init(_ components: [Int]) {
        self.components = components
        self.local = nil
        self.text = components.map(String.init).joined(separator: ".")
    }

    package var major: Int { components[0] }
    package var minor: Int { components.count > 1 ? components[1] : 0 }
    package var patch: Int { components.count > 2 ? components[2] : 0 }

    /// The first `count` components, e.g. `12.4.1` -> `12.4` for count 2.
    package func truncated(to count: Int) -> Version {
        var c = Array(components.prefix(count))
        while c.count < count { c.append(0) }
        return Version(c)
    }

    /// The version without its local label.
    package var public_: Version { local == nil ? self : Version(components) }

    package var description: String { text }

    package static func == (a: Version, b: Version) -> Bool {
        compare(a.components, b.components) == 0 && a.local == b.local
    }

    package func hash(into hasher: inout Hasher) {
        var c = components
        while c.count > 1, c.last == 0 { c.removeLast() }
        hasher.combine(c)
        hasher.combine(local)
    }

    package static func < (a: Version, b: Version) -> Bool {
        let c = compare(a.components, b.components)
        if c != 0 { return c < 0 }
        // Same public version: no local label sorts first, then labels lexically (deterministic order).
        switch (a.local, b.local) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case (let x?, let y?): return x < y
        }
    }

    /// Numeric comparison with zero padding; -1, 0 or 1.
    package static func compare(_ a: [Int], _ b: [Int]) -> Int {
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = Version(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a version: \(s)")
        }
        self = v
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

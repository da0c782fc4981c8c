import Foundation

/// A PEP 440 version: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, e.g. `12.4.1`, `535.104.05`,
/// `2.5.1+cu124`, `2.16.0.dev20261120`, `2.7.0rc3`, `1!2.0.post1`.
///
/// One type serves CUDA, driver, cuDNN and Python numbers (plain release segments) and Python package
/// versions (everything PEP 440 allows), so every caller compares versions the same way.
/// Parsing accepts PEP 440's alternative spellings (`alpha`, `beta`, `c`, `pre`, `preview`, `-`/`_`
/// separators, implicit post releases `1.0-1`, implicit numbers `1.0rc`, a leading `v`, upper case).
/// Ordering follows PEP 440 (dev < pre < final < post; release padded with zeros, so `12.4 == 12.4.0`;
/// a local label sorts after the same public version). The original spelling is kept for display,
/// because driver versions like `535.104.05` keep their zeros; `normalized` gives the canonical form.
package struct Version: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// A pre-release phase, in PEP 440 order.
    package enum Phase: Int, Sendable, Hashable, Comparable {
        case alpha, beta, candidate

        package var spelling: String { ["a", "b", "rc"][rawValue] }
        package static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }

    /// One dot-separated piece of a local label: numbers sort after words and compare numerically.
    package enum LocalSegment: Sendable, Hashable, Comparable {
        case word(String)
        case number(Int)

        package static func < (a: LocalSegment, b: LocalSegment) -> Bool {
            switch (a, b) {
            case (.word(let x), .word(let y)): return x < y
            case (.number(let x), .number(let y)): return x < y
            case (.word, .number): return true
            case (.number, .word): return false
            }
        }
    }

    package let epoch: Int
    /// The release segment (`[12, 4, 1]`).
    package let components: [Int]
    package let pre: (phase: Phase, number: Int)?
    package let post: Int?
    package let dev: Int?
    /// The local label, normalised (lower case, `.` separators): `cu124`.
    package let local: String?
    /// The spelling this version was written with (trimmed).
    package let text: String

    package init?(_ text: String) {
        let trimmed: String
        let parsed: PEP440Scanner.Parsed
        if let release = Self.plainRelease(text) {
            trimmed = text
            parsed = PEP440Scanner.Parsed(release: release)
        } else {
            trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            var scanner = PEP440Scanner(trimmed)
            guard let p = scanner.parse() else { return nil }
            parsed = p
        }
        self.epoch = parsed.epoch
        self.components = parsed.release
        self.pre = parsed.pre
        self.post = parsed.post
        self.dev = parsed.dev
        self.local = parsed.local
        self.text = trimmed
    }

    /// `12.4.1`: ASCII digits and single dots only, the knowledge base's usual spelling, read without the general
    /// scanner (resolve decodes thousands of them at start-up). Anything else, or a number the scanner would
    /// refuse (over 9 significant digits), returns nil and goes through ``PEP440Scanner``.
    private static func plainRelease(_ text: String) -> [Int]? {
        var release: [Int] = []
        var value = 0
        var significant = 0
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                sawDigit = true
                guard value != 0 || byte != UInt8(ascii: "0") else { continue }  // leading zeros
                significant += 1
                guard significant <= 9 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "."):
                guard sawDigit else { return nil }
                release.append(value)
                value = 0
                significant = 0
                sawDigit = false
            default:
                return nil
            }
        }
        guard sawDigit else { return nil }
        release.append(value)
        return release
    }

    package init(_ components: [Int]) {
        self.init(epoch: 0, components: components, pre: nil, post: nil, dev: nil, local: nil)
    }

    init(epoch: Int, components: [Int], pre: (phase: Phase, number: Int)?, post: Int?, dev: Int?, local: String?) {
        self.epoch = epoch
        self.components = components
        self.pre = pre
        self.post = post
        self.dev = dev
        self.local = local
        self.text = Self.render(epoch: epoch, release: components, pre: pre, post: post, dev: dev, local: local)
    }

    package var major: Int { components[0] }
    package var minor: Int { components.count > 1 ? components[1] : 0 }
    package var patch: Int { components.count > 2 ? components[2] : 0 }

    /// A pre-release in PEP 440's sense: it has an `a`/`b`/`rc` or a `.dev` segment.
    package var isPrerelease: Bool { pre != nil || dev != nil }
    package var isPostRelease: Bool { post != nil }
    package var isDevRelease: Bool { dev != nil }

    /// The first `count` release components, e.g. `12.4.1` -> `12.4` for count 2.
    package func truncated(to count: Int) -> Version {
        var c = Array(components.prefix(count))
        while c.count < count { c.append(0) }
        return Version(c)
    }

    /// The version without its local label.
    package var public_: Version {
        local == nil ? self : Version(epoch: epoch, components: components, pre: pre, post: post, dev: dev, local: nil)
    }

    /// Epoch and release only (`1!1.0a1.post5` -> `1!1.0`).
    package var base: Version {
        Version(epoch: epoch, components: components, pre: nil, post: nil, dev: nil, local: nil)
    }

    /// The canonical PEP 440 spelling (`1.0-1` -> `1.0.post1`, `v1.0C1` -> `1.0rc1`, `01.2` -> `1.2`).
    package var normalized: String {
        Self.render(epoch: epoch, release: components, pre: pre, post: post, dev: dev, local: local)
    }

    package var description: String { text }

    package var localSegments: [LocalSegment] {
        guard let local else { return [] }
        return local.split(separator: ".").map { s in
            s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber)
                ? .number(Int(s.drop { $0 == "0" }) ?? 0) : .word(String(s))
        }
    }

    static func render(
        epoch: Int, release: [Int], pre: (phase: Phase, number: Int)?, post: Int?, dev: Int?, local: String?
    ) -> String {
        var s = epoch != 0 ? "\(epoch)!" : ""
        s += release.map(String.init).joined(separator: ".")
        if let pre { s += "\(pre.phase.spelling)\(pre.number)" }
        if let post { s += ".post\(post)" }
        if let dev { s += ".dev\(dev)" }
        if let local { s += "+\(local)" }
        return s
    }

    /// PEP 440's sort key. Release trailing zeros don't count; a dev release without pre or post sorts
    /// before every pre-release of the same release; no pre sorts after pre; no post before post;
    /// no dev after dev; no local before local.
    private var key: Key {
        var release = components
        while release.count > 1, release.last == 0 { release.removeLast() }
        let preKey: [Int]
        if let pre {
            preKey = [1, pre.phase.rawValue, pre.number]
        } else if post == nil, dev != nil {
            preKey = [0]
        } else {
            preKey = [2]
        }
        return Key(
            epoch: epoch, release: release, pre: preKey, post: post.map { [1, $0] } ?? [0],
            dev: dev.map { [0, $0] } ?? [1], local: localSegments)
    }

    private struct Key: Hashable {
        var epoch: Int
        var release: [Int]
        var pre: [Int]
        var post: [Int]
        var dev: [Int]
        var local: [LocalSegment]
    }

    package static func == (a: Version, b: Version) -> Bool { a.key == b.key }

    package func hash(into hasher: inout Hasher) { hasher.combine(key) }

    package static func < (a: Version, b: Version) -> Bool { order(a, b) < 0 }

    /// PEP 440 comparison; -1, 0 or 1.
    package static func order(_ a: Version, _ b: Version) -> Int {
        if a.epoch == b.epoch, a.pre == nil, b.pre == nil, a.post == nil, b.post == nil, a.dev == nil, b.dev == nil,
            a.local == nil, b.local == nil
        {
            return compare(a.components, b.components)  // plain release numbers: CUDA, drivers, Python
        }
        let x = a.key, y = b.key
        if x.epoch != y.epoch { return x.epoch < y.epoch ? -1 : 1 }
        let c = compare(a.components, b.components)
        if c != 0 { return c }
        for (p, q) in [(x.pre, y.pre), (x.post, y.post), (x.dev, y.dev)] where p != q {
            return p.lexicographicallyPrecedes(q) ? -1 : 1
        }
        if x.local == y.local { return 0 }
        return x.local.lexicographicallyPrecedes(y.local) ? -1 : 1
    }

    /// Numeric comparison of release segments with zero padding; -1, 0 or 1.
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

/// A small hand-written scanner for PEP 440's grammar (the appendix's permissive form), ASCII only.
private struct PEP440Scanner {
    struct Parsed {
        var epoch = 0
        var release: [Int] = []
        var pre: (phase: Version.Phase, number: Int)?
        var post: Int?
        var dev: Int?
        var local: String?
    }

    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text.lowercased()) }

    var atEnd: Bool { i >= chars.count }
    func peek(_ offset: Int = 0) -> Character? { i + offset < chars.count ? chars[i + offset] : nil }

    /// Digits as a number; nil when none. Release numbers keep envctl's historical 9-digit limit
    /// (after leading zeros); other numbers may have up to 18 (nightly dates and build numbers).
    mutating func number(maxDigits: Int = 18) -> Int? {
        var j = i
        while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
        guard j > i else { return nil }
        let digits = String(chars[i..<j]).drop { $0 == "0" }
        guard digits.count <= maxDigits else { return nil }
        i = j
        return Int(digits) ?? 0
    }

    /// The first of `candidates` at the cursor; callers list them longest first, so `preview` wins over `pre`
    /// and `rev` over `r`.
    mutating func word(_ candidates: [String]) -> String? {
        for w in candidates {
            let end = i + w.count
            if end <= chars.count, String(chars[i..<end]) == w {
                i = end
                return w
            }
        }
        return nil
    }

    func isSeparator(_ c: Character?) -> Bool { c == "." || c == "-" || c == "_" }

    mutating func parse() -> Parsed? {
        var p = Parsed()
        if peek() == "v" { i += 1 }
        // Epoch: digits followed by `!`.
        let start = i
        if let n = number(), peek() == "!" {
            p.epoch = n
            i += 1
        } else {
            i = start
        }
        guard let first = number(maxDigits: 9) else { return nil }
        p.release = [first]
        while peek() == ".", let c = peek(1), c.isASCII, c.isNumber {
            i += 1
            guard let n = number(maxDigits: 9) else { return nil }
            p.release.append(n)
        }
        // Pre-release: [sep] (a|b|c|rc|alpha|beta|pre|preview) [sep] [N]
        var save = i
        if isSeparator(peek()) { i += 1 }
        if let w = word(["preview", "alpha", "beta", "pre", "rc", "a", "b", "c"]) {
            let phase: Version.Phase =
                switch w {
                case "a", "alpha": .alpha
                case "b", "beta": .beta
                default: .candidate
                }
            p.pre = (phase, optionalNumber())
        } else {
            i = save
        }
        // Post-release: `-N`, or [sep] (post|rev|r) [sep] [N]
        save = i
        if peek() == "-", let c = peek(1), c.isASCII, c.isNumber {
            i += 1
            p.post = number()
        } else {
            if isSeparator(peek()) { i += 1 }
            if word(["post", "rev", "r"]) != nil {
                p.post = optionalNumber()
            } else {
                i = save
            }
        }
        // Dev release: [sep] dev [sep] [N]
        save = i
        if isSeparator(peek()) { i += 1 }
        if word(["dev"]) != nil {
            p.dev = optionalNumber()
        } else {
            i = save
        }
        // Local: + segment ([-_.] segment)*, segments ASCII letters and digits.
        if peek() == "+" {
            i += 1
            var segments: [String] = []
            var current = ""
            while let c = peek() {
                if c.isASCII, c.isLetter || c.isNumber {
                    current.append(c)
                } else if isSeparator(c) {
                    guard !current.isEmpty else { return nil }
                    segments.append(current)
                    current = ""
                } else {
                    return nil
                }
                i += 1
            }
            guard !current.isEmpty else { return nil }
            segments.append(current)
            p.local = segments.joined(separator: ".")
        }
        guard atEnd else { return nil }
        return p
    }

    /// `[sep] N`, or 0 when the number is implicit (`1.0rc` = `1.0rc0`).
    mutating func optionalNumber() -> Int {
        let save = i
        if isSeparator(peek()) { i += 1 }
        if let n = number() { return n }
        i = save
        return 0
    }
}

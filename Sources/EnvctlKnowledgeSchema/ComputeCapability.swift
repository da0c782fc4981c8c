import Foundation

/// A GPU compute capability such as 8.0 (`sm_80`) or 12.0 (`sm_120`).
package struct ComputeCapability: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package var major: Int
    package var minor: Int

    package init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Accepts `8.0`, `"9.0"`, `sm_90`, `sm90`, `compute_90`. Architecture-specific suffixes (`sm_90a`) are rejected:
    /// they describe compiled code, not a GPU.
    package init?(_ raw: String) {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if let dot = s.firstIndex(of: "."), let maj = Int(s[..<dot]), let mi = Int(s[s.index(after: dot)...]),
            (1...20).contains(maj), (0...9).contains(mi)
        {
            self.init(major: maj, minor: mi)
            return
        }
        var digits = Substring(s)
        for prefix in ["sm_", "sm", "compute_"] where s.hasPrefix(prefix) {
            digits = s.dropFirst(prefix.count)
            break
        }
        guard digits.count >= 2, digits.count <= 3, digits.allSatisfy(\.isNumber),
            digits != Substring(s) || s.hasPrefix("sm"),
            let n = Int(digits)
        else { return nil }
        self.init(major: n / 10, minor: n % 10)
    }

    package var smName: String { "sm_\(major)\(minor)" }
    package var description: String { "\(major).\(minor)" }

    package static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = ComputeCapability(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a compute capability: \(s)")
        }
        self = v
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One entry of a build's architecture list: SASS for `sm`, plus PTX when marked `+PTX`.
package struct ArchTarget: Sendable, Hashable {
    package var sm: ComputeCapability
    package var ptx: Bool

    package init?(_ raw: String) {
        var s = raw.trimmingCharacters(in: .whitespaces)
        var ptx = false
        if s.uppercased().hasSuffix("+PTX") {
            ptx = true
            s = String(s.dropLast(4))
        }
        guard let cc = ComputeCapability(s) else { return nil }
        self.sm = cc
        self.ptx = ptx
    }

    /// Whether code compiled for this target runs on `gpu`.
    ///
    /// SASS runs on the same major with an equal or higher minor (sm_80 code runs on sm_86 and sm_89),
    /// never across majors. PTX is JIT-compiled by the driver for any equal-or-newer GPU, which needs the
    /// full driver (PTX JIT is not available under minor-version compatibility).
    package func runs(on gpu: ComputeCapability, allowPTX: Bool) -> Bool {
        if sm.major == gpu.major && sm.minor <= gpu.minor { return true }
        return ptx && allowPTX && sm <= gpu
    }
}

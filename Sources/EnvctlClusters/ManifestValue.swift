import Foundation
import Yams

/// A JSON/YAML value with ordered mappings, so a rendered manifest prints the same bytes every time and
/// in the order a person reads it (apiVersion, kind, metadata, spec), not alphabetically.
package indirect enum ManifestValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([ManifestValue])
    case object([(String, ManifestValue)])

    package static func == (a: ManifestValue, b: ManifestValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: false
        }
    }

    package func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let s): hasher.combine(s)
        case .int(let i): hasher.combine(i)
        case .bool(let b): hasher.combine(b)
        case .array(let a): hasher.combine(a)
        case .object(let o):
            for (k, v) in o {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }

    /// Foundation objects for `JSONSerialization` (request bodies).
    package var foundation: Any {
        switch self {
        case .string(let s): s
        case .int(let i): i
        case .bool(let b): b
        case .array(let a): a.map(\.foundation)
        case .object(let o): Dictionary(o.map { ($0.0, $0.1.foundation) }, uniquingKeysWith: { _, b in b })
        }
    }

    /// Looks up `key` in an object.
    package subscript(key: String) -> ManifestValue? {
        if case .object(let o) = self { return o.first { $0.0 == key }?.1 }
        return nil
    }

    package var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    /// JSON, keys in the order given, two-space indentation.
    package func json(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .string(let s): return Self.quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { inner + $0.json(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{\n" + o.map { inner + Self.quote($0.0) + ": " + $0.1.json(indent: inner) }.joined(separator: ",\n")
                + "\n\(indent)}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// A Yams node (plain scalars where YAML would not read them as another type).
    var yamsNode: Node {
        switch self {
        case .string(let s):
            // A string a YAML reader would take for a number, boolean or null ("524", "true", "") is quoted.
            Resolver.default.resolveTag(of: Node(s)) == .str ? Node(s, Tag(.str)) : Node(s, Tag(.str), .singleQuoted)
        case .int(let i): Node(String(i), Tag(.int))
        case .bool(let b): Node(b ? "true" : "false", Tag(.bool))
        case .array(let a): Node.sequence(.init(a.map(\.yamsNode)))
        case .object(let o): Node.mapping(.init(o.map { (Node($0.0), $0.1.yamsNode) }))
        }
    }

    /// One YAML document per value, separated by `---`.
    package static func yaml(_ documents: [ManifestValue]) throws -> String {
        try documents.map { try Yams.serialize(node: $0.yamsNode, sortKeys: false) }.joined(separator: "---\n")
    }
}

package import Yams

/// A string-keyed mapping that encodes in a fixed order (given, or sorted), so YAML output is deterministic.
package struct OrderedMap<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    package var entries: [(String, Value)]

    package init(entries: [(String, Value)]) { self.entries = entries }
    package init(sorting dictionary: [String: Value]) {
        entries = dictionary.keys.sorted().map { ($0, dictionary[$0]!) }
    }

    package var dictionary: [String: Value] { Dictionary(entries, uniquingKeysWith: { a, _ in a }) }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package init(from decoder: any Decoder) throws {
        // Yams looks each key up by a linear scan of the mapping, which makes a keyed decode of n entries
        // O(n²) (an `env:` of 40,000 variables took minutes). Where the decoder was given the document's
        // node tree (``LocatedYAMLDecoder``), string values are read straight from this mapping's node.
        if Value.self == String.self, let root = decoder.userInfo[.yamlRoot] as? YAMLRoot,
            case .mapping(let mapping)? = root.node(at: decoder.codingPath)
        {
            var out: [(String, Value)] = []
            out.reserveCapacity(mapping.count)
            for (k, v) in mapping {
                guard let key = k.string, case .scalar(let scalar) = v, let value = String.construct(from: scalar)
                else {
                    out = []
                    break
                }
                out.append((key, value as! Value))
            }
            if out.count == mapping.count {
                entries = out
                return
            }
        }
        let c = try decoder.container(keyedBy: Key.self)
        // Yams keeps document order in allKeys.
        entries = try c.allKeys.map { ($0.stringValue, try c.decode(Value.self, forKey: $0)) }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (k, v) in entries { try c.encode(v, forKey: Key(stringValue: k)) }
    }

    package static func == (a: Self, b: Self) -> Bool {
        a.entries.map(\.0) == b.entries.map(\.0) && a.entries.map(\.1) == b.entries.map(\.1)
    }

    package func hash(into hasher: inout Hasher) {
        for (k, v) in entries {
            hasher.combine(k)
            hasher.combine(v)
        }
    }
}

/// Yams's encoder inserts each key with a linear scan for an existing one (O(n²) for n entries); a boxed
/// mapping is built in one pass and serializes to the same YAML.
extension OrderedMap: YAMLEncodable where Value: YAMLEncodable {
    package func box() -> Node {
        .mapping(Node.Mapping(entries.map { (Node($0.0), $0.1.box()) }))
    }
}

extension CodingUserInfoKey {
    /// The composed document (``YAMLRoot``) a ``LocatedYAMLDecoder`` decode runs over.
    static let yamlRoot = CodingUserInfoKey(rawValue: "envctl.yamlRoot")!
}

/// The composed YAML document, handed to decoders so a large mapping can be read in one pass.
final class YAMLRoot: @unchecked Sendable {
    let root: Node
    init(_ root: Node) { self.root = root }

    /// The node at a coding path (nil when the path leaves the tree).
    func node(at path: [any CodingKey]) -> Node? {
        let (node, complete) = LocatedYAMLDecoder.descend(path, in: root)
        return complete ? node : nil
    }
}

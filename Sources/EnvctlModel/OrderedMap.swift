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

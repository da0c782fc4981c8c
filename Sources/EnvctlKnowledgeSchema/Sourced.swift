/// A knowledge-base row with its provenance. In YAML and JSON the provenance keys (`source`, `confidence`,
/// `note`) sit next to the row's own keys; this wrapper flattens them once for every row type, so each `Row`
/// keeps its synthesized Codable. The row's fields read through: `release.version`, `release.provenance`.
@dynamicMemberLookup
public struct Sourced<Row: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var row: Row
    public var provenance: Provenance

    public init(_ row: Row, provenance: Provenance) {
        self.row = row
        self.provenance = provenance
    }

    public subscript<T>(dynamicMember field: WritableKeyPath<Row, T>) -> T {
        get { row[keyPath: field] }
        set { row[keyPath: field] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        row = try Row(from: decoder)
        provenance = try Provenance(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try row.encode(to: encoder)
        try provenance.encode(to: encoder)
    }
}

/// How sure the knowledge base is of a row. Rows below `medium` are reported in the lock's reasons.
public enum Confidence: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case unconfirmed, low, medium, high

    public static func < (a: Confidence, b: Confidence) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where a row came from: one or more keys of `sources:` or URLs.
public struct Provenance: Sendable, Hashable, Codable {
    public var source: [String]
    public var confidence: Confidence
    public var note: String?

    public init(source: [String], confidence: Confidence, note: String? = nil) {
        self.source = source
        self.confidence = confidence
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case source, confidence, note }

    /// `source:` may be one key or URL, or a list of them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let list = try? c.decode([String].self, forKey: .source) {
            source = list
        } else {
            source = [try c.decode(String.self, forKey: .source)]
        }
        confidence = try c.decode(Confidence.self, forKey: .confidence)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}

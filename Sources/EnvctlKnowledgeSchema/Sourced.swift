/// A knowledge-base row with its provenance. In YAML and JSON the provenance keys (`source`, `confidence`,
/// `note`) sit next to the row's own keys; this wrapper flattens them once for every row type, so each `Row`
/// keeps its synthesized Codable. The row's fields read through: `release.version`, `release.provenance`.
@dynamicMemberLookup
package struct Sourced<Row: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    package var row: Row
    package var provenance: Provenance

    package init(_ row: Row, provenance: Provenance) {
        self.row = row
        self.provenance = provenance
    }

    package subscript<T>(dynamicMember field: WritableKeyPath<Row, T>) -> T {
        get { row[keyPath: field] }
        set { row[keyPath: field] = newValue }
    }

    package init(from decoder: any Decoder) throws {
        row = try Row(from: decoder)
        provenance = try Provenance(from: decoder)
    }

    package func encode(to encoder: any Encoder) throws {
        try row.encode(to: encoder)
        try provenance.encode(to: encoder)
    }
}

/// How sure the knowledge base is of a row. Rows below `medium` are reported in the lock's reasons.
package enum Confidence: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case unconfirmed, low, medium, high

    package static func < (a: Confidence, b: Confidence) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where a row came from: one or more keys of `sources:` or URLs.
package struct Provenance: Sendable, Hashable, Codable {
    package var source: [String]
    package var confidence: Confidence
    package var note: String?

    package init(source: [String], confidence: Confidence, note: String? = nil) {
        self.source = source
        self.confidence = confidence
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case source, confidence, note }

    /// `source:` may be one key or URL, or a list of them.
    package init(from decoder: any Decoder) throws {
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

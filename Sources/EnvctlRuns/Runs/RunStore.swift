import EnvctlModel
package import Foundation

/// Run records under `<workspace>/.envctl/runs/`, one JSON file per run, written atomically.
package struct RunStore: Sendable {
    package let directory: String

    package init(workspace: String) {
        directory = workspace + "/.envctl/runs"
    }

    package func save(_ record: RunRecord) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(record)
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path(for: record.id))
    }

    package func path(for id: String) -> String { "\(directory)/\(id).json" }

    /// All records, oldest first. Unreadable files are skipped and reported in `problems`.
    package func list() -> (records: [RunRecord], problems: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([], []) }
        var records: [RunRecord] = []
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            do { records.append(try Self.decode(atPath: directory + "/" + name)) } catch {
                problems.append("\(directory)/\(name): \(error)")
            }
        }
        return (records, problems)
    }

    /// The record with this id, or the only one whose id starts with it.
    package func load(_ id: String) throws(RunsError) -> RunRecord {
        if FileManager.default.fileExists(atPath: path(for: id)) {
            do { return try Self.decode(atPath: path(for: id)) } catch {
                throw RunsError(.failure, "run record \(path(for: id)) is unreadable: \(error)")
            }
        }
        let matches = list().records.filter { $0.id.hasPrefix(id) || $0.id.hasSuffix(id) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw RunsError(.badInput, "no run '\(id)' in \(directory)", hint: "'envctl runs' lists the recorded runs")
        }
        throw RunsError(.badInput, "run id '\(id)' is ambiguous: \(matches.map(\.id).joined(separator: ", "))")
    }

    package static func decode(atPath path: String) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunsError(.failure, "cannot read \(path)")
        }
        return try JSONDecoder().decode(RunRecord.self, from: data)
    }

    package static func decode(_ data: Data) throws -> RunRecord {
        try JSONDecoder().decode(RunRecord.self, from: data)
    }
}

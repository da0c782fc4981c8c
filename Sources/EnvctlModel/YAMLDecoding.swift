import Foundation
package import Yams

/// Decodes YAML into `Decodable` types while keeping `file:line:col` for errors.
///
/// `Decodable` reports a coding path, not a position; we compose the node tree as well and walk the
/// coding path through it to find the line the user must edit.
package enum LocatedYAMLDecoder {
    ///
    /// The text is composed through ``BoundedYAML`` under `limits`, so an alias bomb or an oversized file
    /// is refused before the decoder walks it.
    package static func decode<T: Decodable>(
        _ type: T.Type, from text: String, file: String, limits: BoundedYAML.Limits
    ) throws(DiagnosticsError) -> T {
        guard let root = try BoundedYAML.compose(text, file: file, limits: limits) else {
            throw DiagnosticsError([.error("file is empty", at: SourceLocation(file: file, line: 1, column: 1))])
        }
        do {
            return try YAMLDecoder().decode(T.self, from: root, userInfo: [.yamlRoot: YAMLRoot(root)])
        } catch let error as DecodingError {
            let (path, message): ([any CodingKey], String)
            switch error {
            case .keyNotFound(let key, let ctx):
                (path, message) = (ctx.codingPath, "missing key '\(key.stringValue)'")
            case .typeMismatch(let type, let ctx):
                (path, message) = (ctx.codingPath, "expected \(Self.describe(type)): \(ctx.debugDescription)")
            case .valueNotFound(let type, let ctx):
                (path, message) = (ctx.codingPath, "missing value, expected \(Self.describe(type))")
            case .dataCorrupted(let ctx):
                (path, message) = (ctx.codingPath, ctx.debugDescription)
            @unknown default:
                (path, message) = ([], "\(error)")
            }
            let mark = locate(path, in: root) ?? root.mark
            let dotted = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw DiagnosticsError([
                .error(
                    dotted.isEmpty ? message : "\(dotted.drop { $0 == "." }): \(message)",
                    at: mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) })
            ])
        } catch {
            throw DiagnosticsError([.error("\(error)", at: SourceLocation(file: file, line: 1, column: 1))])
        }
    }

    /// Follows a coding path through the node tree, returning the deepest node's position reached.
    package static func locate(_ path: [any CodingKey], in root: Node) -> Mark? {
        descend(path, in: root).deepest.mark
    }

    /// The deepest node a coding path reaches, and whether it reached the path's end.
    static func descend(_ path: [any CodingKey], in root: Node) -> (deepest: Node, complete: Bool) {
        var node = root
        for key in path {
            if let index = key.intValue, case .sequence(let seq) = node, index < seq.count {
                node = seq[index]
            } else if case .mapping(let map) = node, let next = map[key.stringValue] {
                node = next
            } else {
                return (node, false)
            }
        }
        return (node, true)
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "a mapping" }
            return name
        }
    }
}

import Foundation
import Yams

/// Where the fields of a lock file are, so a report about a field can name its `file:line`.
package struct LockLocations: Sendable {
    private let root: YAMLRoot?
    package let file: String

    /// Composes `text` once; a text that does not parse gives no locations.
    package init(text: String, file: String) {
        root = ((try? Yams.compose(yaml: text)) ?? nil).map(YAMLRoot.init)
        self.file = file
    }

    /// Reads the lock file at `path`; an unreadable one gives no locations.
    package init(fileAt path: String) {
        let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        self.init(text: text, file: path)
    }

    /// The position of the deepest node `path` reaches: each component is a mapping key, or a sequence index
    /// written as a number (`["environments", "train", "python_packages", "packages", "3", "index"]`).
    package func location(_ path: [String]) -> SourceLocation? {
        guard var node = root?.root else { return nil }
        for key in path {
            if let index = Int(key), case .sequence(let seq) = node, index >= 0, index < seq.count {
                node = seq[index]
            } else if case .mapping(let map) = node, let next = map[key] {
                node = next
            } else {
                break
            }
        }
        return node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }
}

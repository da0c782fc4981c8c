import Foundation

/// The partial graph of a template set: which template includes which (`{{> name}}`, `{{< name}}`).
///
/// swift-mustache renders partials by recursion with no depth bound, so a template that includes itself,
/// directly or through others, exhausts the stack and kills envctl. The graph is checked before any
/// render: a cycle, a dynamic partial (`{{>*name}}`, whose target only the data decides) or a chain
/// deeper than `maximumPartialDepth` is a `TemplateError` (bad input) naming the templates.
extension TemplateSet {
    /// The most templates one chain of includes may pass through, the family template counted.
    package static let maximumPartialDepth = 32

    /// The names each template includes, in order of first appearance; only names in the set count
    /// (swift-mustache renders an unknown partial as nothing).
    package var partialGraph: [String: [String]] {
        get throws(TemplateError) {
            var graph: [String: [String]] = [:]
            for (name, text) in sources {
                let refs = Self.partialReferences(in: text)
                if let dynamic = refs.first(where: { $0.hasPrefix("*") }) {
                    throw TemplateError(
                        .template,
                        "\(origin(of: name)) '\(name).mustache' uses a dynamic partial '{{>\(dynamic)}}'",
                        hint: "name the partial: {{> _block}}")
                }
                var seen: Set<String> = []
                graph[name] = refs.filter { sources[$0] != nil && seen.insert($0).inserted }
            }
            return graph
        }
    }

    /// Throws when the partial graph has a cycle or a chain deeper than `maximumPartialDepth`.
    package func checkPartials() throws(TemplateError) {
        let graph = try partialGraph
        // Longest chain below each template; a template on the current path again is a cycle.
        var depth: [String: Int] = [:]
        var path: [String] = []

        func visit(_ name: String) throws(TemplateError) -> Int {
            if let known = depth[name] { return known }
            if let start = path.firstIndex(of: name) {
                let cycle = Array(path[start...]) + [name]
                let files = Set(cycle).sorted().map { "'\($0).mustache'" }.joined(separator: ", ")
                let what =
                    cycle.count == 2
                    ? "\(origin(of: name)) '\(name).mustache' includes itself"
                    : "templates \(files) include each other"
                throw TemplateError(
                    .template, "\(what): \(cycle.joined(separator: " -> "))",
                    hint: "a partial ({{> name}}) may not include itself, directly or through other templates")
            }
            path.append(name)
            var below = 0
            for next in graph[name] ?? [] { below = max(below, try visit(next)) }
            path.removeLast()
            depth[name] = below + 1
            if below + 1 > Self.maximumPartialDepth {
                throw TemplateError(
                    .template,
                    "templates nest deeper than \(Self.maximumPartialDepth) levels below '\(name).mustache'",
                    hint: "include fewer levels of partials")
            }
            return below + 1
        }
        for name in graph.keys.sorted() { _ = try visit(name) }
    }

    func origin(of name: String) -> String {
        overridden.contains(name) ? "your template" : "built-in template"
    }

    /// The partial names a Mustache text references (`{{> name}}` and parents `{{< name}}`), following
    /// set-delimiter tags (`{{=<% %>=}}`) as swift-mustache does. Dynamic names keep their `*`.
    static func partialReferences(in text: String) -> [String] {
        var open = "{{"
        var close = "}}"
        var names: [String] = []
        var rest = text[...]
        while let start = rest.range(of: open) {
            rest = rest[start.upperBound...]
            guard let end = rest.range(of: close) else { break }
            let tag = rest[..<end.lowerBound]
            rest = rest[end.upperBound...]
            guard let sigil = tag.first else { continue }
            if sigil == "=", tag.count >= 2, tag.last == "=" {
                let parts = tag.dropFirst().dropLast().split(whereSeparator: \.isWhitespace)
                if parts.count == 2 {
                    open = String(parts[0])
                    close = String(parts[1])
                }
            } else if sigil == ">" || sigil == "<" {
                let name = tag.dropFirst().trimmingWhitespace()
                if !name.isEmpty { names.append(String(name)) }
            }
        }
        return names
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return s
    }
}

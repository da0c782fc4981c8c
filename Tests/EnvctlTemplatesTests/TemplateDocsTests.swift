import EnvctlTemplates
import EnvctlTestSupport
import Foundation
import Testing

/// docs/templates.md documents every variable the built-in templates use.
@Suite struct TemplateDocsTests {
    /// Variable names in `{{name}}`, `{{#name}}`, `{{^name}}`, `{{{name}}}` tags (not partials, comments, pragmas).
    static func variables(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            var tag = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if tag.hasPrefix("{") { tag = String(tag.dropFirst()) }
            guard let first = tag.first, !">!%/=".contains(first) else { continue }
            if "#^&".contains(first) { tag = String(tag.dropFirst()).trimmingCharacters(in: .whitespaces) }
            if tag != "." && !tag.isEmpty { names.insert(tag) }
        }
        return names
    }

    @Test func everyTemplateVariableIsDocumented() throws {
        let docs = try String(contentsOfFile: RepoPaths.path("docs/templates.md"), encoding: .utf8)
        var used: Set<String> = []
        for text in TemplateSet.builtin.sources.values { used.formUnion(Self.variables(in: text)) }
        #expect(used.count > 20)
        // `env` items are documented as the `env` row's `name`/`value`.
        let undocumented = used.filter { name in
            if ["name", "value"].contains(name) { return false }
            let parent = name.split(separator: ".").first.map(String.init) ?? name
            let last = name.split(separator: ".").last.map(String.init) ?? name
            return !docs.contains("`\(name)`") && !docs.contains("`\(parent).\(last)`")
                && !docs.contains("/ `.\(last)`") && !docs.contains("/ `\(parent).\(last)`")
        }
        #expect(undocumented.isEmpty, "add to docs/templates.md: \(undocumented.sorted())")
    }
}

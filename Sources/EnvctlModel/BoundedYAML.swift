import Foundation
package import Yams

/// The one way envctl turns YAML text into nodes: specs, locks, knowledge overlays, registries.yaml and
/// compiled pipelines all come through here.
///
/// Yams shares an aliased node rather than copying it, so composing a billion-laughs document is cheap;
/// walking it (decoding, pinning, serialising) is what explodes. Before anyone walks the tree, it is
/// measured once, each anchored node counted once however often it is aliased, and refused when it
/// is too large (`InputLimits`): bytes, nesting depth, and nodes added by aliases.
package enum BoundedYAML {
    /// What a document may be.
    package struct Limits: Sendable {
        package var bytes: Int
        /// Words for the error: `a spec`, `a compiled pipeline`.
        package var what: String
        package var depth = InputLimits.yamlDepth
        package var aliasNodes = InputLimits.yamlAliasNodes

        package init(bytes: Int, what: String) {
            self.bytes = bytes
            self.what = what
        }

        package static let spec = Limits(bytes: InputLimits.specBytes, what: "a spec")
        package static let lock = Limits(bytes: InputLimits.lockBytes, what: "a lock")
        package static let registriesConfig = Limits(
            bytes: InputLimits.registriesConfigBytes, what: "a registries config")
        package static let knowledge = Limits(bytes: InputLimits.knowledgeBytes, what: "a knowledge file")
        package static let pipeline = Limits(bytes: InputLimits.pipelineBytes, what: "a compiled pipeline")
    }

    /// The single document in `text`, or nil when it is empty.
    /// - Throws: ``DiagnosticsError`` located in `file` for malformed YAML or a limit passed.
    package static func compose(_ text: String, file: String, limits: Limits) throws(DiagnosticsError) -> Node? {
        try checkSize(text, file: file, limits: limits)
        let parser: Parser
        let root: Node?
        do {
            parser = try Parser(yaml: text)
            root = try parser.singleRoot()
        } catch {
            throw DiagnosticsError([diagnostic(for: error, file: file, limits: limits)])
        }
        // Nodes hold their anchors weakly; the parser keeps them alive while the tree is measured.
        try withExtendedLifetime(parser) { () throws(DiagnosticsError) in
            if let root { try check([root], file: file, limits: limits) }
        }
        return root
    }

    /// Every document in `text` (a compiled pipeline's spec and platform spec), measured together.
    package static func composeAll(_ text: String, file: String, limits: Limits) throws(DiagnosticsError) -> [Node] {
        try checkSize(text, file: file, limits: limits)
        var documents: [Node] = []
        let parser: Parser
        do {
            // Parser.nextRoot throws on malformed input (compose_all's lazy sequence would stop silently).
            parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() { documents.append(node) }
        } catch {
            throw DiagnosticsError([diagnostic(for: error, file: file, limits: limits)])
        }
        try withExtendedLifetime(parser) { () throws(DiagnosticsError) in
            try check(documents, file: file, limits: limits)
        }
        return documents
    }

    static func checkSize(_ text: String, file: String, limits: Limits) throws(DiagnosticsError) {
        guard text.utf8.count <= limits.bytes else {
            throw DiagnosticsError([
                .error(
                    "\(file) is larger than \(InputLimits.describe(bytes: limits.bytes)), the limit for \(limits.what)")
            ])
        }
    }

    static func diagnostic(for error: any Error, file: String, limits: Limits) -> Diagnostic {
        if case .parser(_, let problem, let mark, _)? = error as? YamlError, problem.contains("Maximum nesting level") {
            return .error(
                "YAML nesting is deeper than \(limits.depth) levels, the limit for \(limits.what)",
                at: SourceLocation(file: file, line: mark.line, column: mark.column))
        }
        return YAMLErrors.diagnostic(for: error, file: file)
    }

    /// Measures `documents` as a reader walking them would see them: every alias expanded.
    static func check(_ documents: [Node], file: String, limits: Limits) throws(DiagnosticsError) {
        var measure = Measure()
        var expanded = 0
        for document in documents {
            let (nodes, height) = measure.walk(document)
            expanded = Measure.add(expanded, nodes)
            if height > limits.depth {
                let mark = document.mark
                throw DiagnosticsError([
                    .error(
                        "YAML nesting is deeper than \(limits.depth) levels, the limit for \(limits.what)",
                        at: SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1))
                ])
            }
        }
        let allowed = measure.distinct + max(limits.aliasNodes, measure.distinct)
        if expanded > allowed {
            throw DiagnosticsError([
                .error(
                    "YAML aliases expand the document to more than \(allowed) nodes; the limit for \(limits.what) is its own \(measure.distinct) nodes plus \(max(limits.aliasNodes, measure.distinct)) more through aliases",
                    hint: "write the repeated content out, or use fewer nested aliases",
                    at: SourceLocation(file: file, line: 1, column: 1))
            ])
        }
    }

    /// Counts nodes with aliases expanded, visiting each anchored node once (Yams hands an alias the
    /// very node its anchor named, `Anchor` instance included, so the instance identifies it; nodes
    /// hold anchors weakly, so the parser must be alive).
    struct Measure {
        /// Nodes as written (each anchored subtree once).
        var distinct = 0
        var memo: [ObjectIdentifier: (nodes: Int, height: Int)] = [:]

        /// (nodes with aliases expanded, height) of `node`.
        mutating func walk(_ node: Node) -> (nodes: Int, height: Int) {
            if let anchor = node.anchor, let known = memo[ObjectIdentifier(anchor)] { return known }
            distinct += 1
            var nodes = 1
            var height = 0
            switch node {
            case .scalar, .alias: break
            case .sequence(let seq):
                for child in seq {
                    let m = walk(child)
                    nodes = Self.add(nodes, m.nodes)
                    height = max(height, m.height)
                }
            case .mapping(let map):
                for (key, value) in map {
                    let k = walk(key)
                    let v = walk(value)
                    nodes = Self.add(Self.add(nodes, k.nodes), v.nodes)
                    height = max(height, k.height, v.height)
                }
            }
            let result = (nodes, height + 1)
            if let anchor = node.anchor { memo[ObjectIdentifier(anchor)] = result }
            return result
        }

        /// Saturating: a bomb's count may pass `Int.max`.
        static func add(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }
    }
}

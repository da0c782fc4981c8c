// Build-time generator for the built-in knowledge base, run by Plugins/KnowledgeBasePlugin.
//
//   envctl-knowledge-generator <knowledge/builtin.yaml> <output.swift>
//
// Parses and validates the YAML with the loader envctl uses for user overlays (so a broken file fails the
// build with file:line diagnostics), then writes Swift source holding the knowledge base as canonical JSON
// (sorted keys, compact) plus its version, date and schema version as constants.
import EnvctlKnowledgeSchema
import EnvctlModel
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: envctl-knowledge-generator <builtin.yaml> <output.swift>\n".utf8))
    exit(2)
}
let (input, output) = (arguments[1], arguments[2])

do {
    let kb = try KnowledgeBase.load(fileAt: input)
    let source = """
        // Generated at build time by envctl-knowledge-generator (Plugins/KnowledgeBasePlugin)
        // from knowledge/builtin.yaml. Do not edit; not committed.

        /// knowledge/builtin.yaml as canonical JSON (`KnowledgeBase.canonicalJSON()`): what `KnowledgeBase.builtin` decodes.
        let builtinKnowledgeJSON = \(SwiftLiteral.raw(try kb.canonicalJSON()))

        /// `version:` of knowledge/builtin.yaml.
        let builtinKnowledgeVersion = \(SwiftLiteral.raw(kb.version))

        /// `date:` of knowledge/builtin.yaml.
        let builtinKnowledgeDate = \(SwiftLiteral.raw(kb.date))

        /// `schema_version:` of knowledge/builtin.yaml.
        let builtinKnowledgeSchemaVersion = \(kb.schemaVersion)

        """
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch let error as DiagnosticsError {
    // One `file:line:column: error: ...` per problem, which Xcode and `swift build` show against the YAML.
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("\(input): error: \(error)\n".utf8))
    exit(1)
}

@_exported public import EnvctlKnowledgeSchema
import EnvctlModel
import Foundation

// `builtinKnowledgeJSON`, `builtinKnowledgeVersion` and `builtinKnowledgeDate` are generated at build time from
// knowledge/builtin.yaml by the KnowledgeBasePlugin build-tool plugin (Plugins/KnowledgeBasePlugin); they are not
// committed.

extension KnowledgeBase {
    /// The knowledge base compiled into this envctl.
    ///
    /// It is decoded from the canonical JSON the build generates from knowledge/builtin.yaml (validated there),
    /// because JSON reads about ten times faster than YAML, and with ``BuiltinJSONDecoder`` rather than
    /// Foundation's, which took a quarter of `envctl resolve`'s time (BENCHMARKS.md).
    package static let builtin: KnowledgeBase = {
        do {
            return try BuiltinJSONDecoder.decode(KnowledgeBase.self, from: builtinKnowledgeJSON)
        } catch {
            // The generator wrote this JSON from a validated knowledge base; reaching this is a packaging bug.
            fatalError("envctl's built-in knowledge base is invalid, please report this bug:\n\(error)")
        }
    }()

    /// The generated canonical JSON itself, for tests that check ``builtin`` decodes every byte of it.
    package static var builtinCanonicalJSON: String { builtinKnowledgeJSON }

    /// The built-in knowledge base's version and date, read without loading it (for `--version`).
    package static var builtinStamp: (version: String, date: String) { (builtinKnowledgeVersion, builtinKnowledgeDate) }
}

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
    /// because JSONDecoder reads it about ten times faster than YAML, which keeps start-up short.
    package static let builtin: KnowledgeBase = {
        do {
            return try JSONDecoder().decode(KnowledgeBase.self, from: Data(builtinKnowledgeJSON.utf8))
        } catch {
            // The generator wrote this JSON from a validated knowledge base; reaching this is a packaging bug.
            fatalError("envctl's built-in knowledge base is invalid, please report this bug:\n\(error)")
        }
    }()

    /// The built-in knowledge base's version and date, read without loading it (for `--version`).
    package static var builtinStamp: (version: String, date: String) { (builtinKnowledgeVersion, builtinKnowledgeDate) }
}

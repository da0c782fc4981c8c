import EnvctlModel
import Foundation

extension KnowledgeBase {
    /// The built-in knowledge base with the user's overlay files applied in order:
    /// `ENVCTL_KNOWLEDGE` (colon-separated), the spec's `knowledge:` list (relative to the spec), then `extra`.
    public static func effective(
        spec: Spec?, extra: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DiagnosticsError) -> (knowledgeBase: KnowledgeBase, files: [String]) {
        var files: [String] = []
        if let env = environment["ENVCTL_KNOWLEDGE"], !env.isEmpty {
            files += env.split(separator: ":").map(String.init)
        }
        if let spec {
            let base = URL(fileURLWithPath: spec.path).deletingLastPathComponent()
            files += spec.knowledgeFiles.map { $0.value.hasPrefix("/") ? $0.value : base.appendingPathComponent($0.value).path }
        }
        files += extra
        var kb = KnowledgeBase.builtin
        var problems: [Diagnostic] = []
        for file in files {
            do {
                kb = kb.merging(try KnowledgeBase.load(fileAt: file))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return (kb, files)
    }
}

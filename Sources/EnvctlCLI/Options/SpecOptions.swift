import ArgumentParser
import EnvctlKnowledge
import EnvctlModel
import Foundation

/// Options shared by every command that reads envctl.yaml.
struct SpecOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path to the spec.", valueName: "path"))
    var spec: String = "envctl.yaml"

    @Option(
        name: .customLong("knowledge"),
        help: ArgumentHelp(
            "Extra knowledge-base file with rows for releases newer than this envctl (repeatable; also ENVCTL_KNOWLEDGE).",
            valueName: "file"))
    var knowledgeFiles: [String] = []

    /// The lock lives next to the spec.
    var lockPath: String {
        let dir = (spec as NSString).deletingLastPathComponent
        return dir.isEmpty ? Lockfile.fileName : (dir as NSString).appendingPathComponent(Lockfile.fileName)
    }

    func load() throws(DiagnosticsError) -> (Spec, KnowledgeBase) {
        let parsed = try SpecParser().parse(fileAt: spec)
        let kb = try KnowledgeBase.effective(spec: parsed, extra: knowledgeFiles).knowledgeBase
        return (parsed, kb)
    }
}

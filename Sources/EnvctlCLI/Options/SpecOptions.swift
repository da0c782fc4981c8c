import ArgumentParser
import EnvctlKnowledge
import EnvctlModel
import EnvctlRuns
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

    @Option(
        name: .customLong("index-mirror"),
        help: ArgumentHelp(
            "Fetch Python packages from a mirror: FROM=TO rewrites index URLs starting with FROM (repeatable; also ENVCTL_INDEX_MIRRORS=FROM=TO,...). The lock keeps the canonical URLs.",
            valueName: "from=to"))
    var indexMirrors: [String] = []

    /// The lock lives next to the spec.
    var lockPath: String { Self.lockPath(forSpec: spec) }

    static func lockPath(forSpec spec: String) -> String {
        let dir = (spec as NSString).deletingLastPathComponent
        return dir.isEmpty ? Lockfile.fileName : (dir as NSString).appendingPathComponent(Lockfile.fileName)
    }

    /// The workspace of `--spec PATH` (its directory, which holds envctl.lock), else the one found from here up.
    static func workspace(forSpec spec: String?) throws -> Workspace {
        guard let spec else { return try Workspace.locate() }
        let dir = (spec as NSString).deletingLastPathComponent
        let absolute =
            dir.hasPrefix("/")
            ? dir
            : (FileManager.default.currentDirectoryPath as NSString)
                .appendingPathComponent(dir)
        return Workspace(root: (absolute as NSString).standardizingPath)
    }

    func load() throws(DiagnosticsError) -> (Spec, KnowledgeBase) {
        try prepare(try SpecParser().parse(fileAt: spec))
    }

    /// Applies `--index-mirror`, `ENVCTL_INDEX_MIRRORS` and the knowledge-base overlays to a parsed spec.
    func prepare(_ spec: Spec) throws(DiagnosticsError) -> (Spec, KnowledgeBase) {
        var parsed = spec
        // Mirrors are a property of where envctl runs, not of the project, so they stay out of the spec hash.
        var extra = ProcessInfo.processInfo.environment["ENVCTL_INDEX_MIRRORS"].map { [$0] } ?? []
        extra += indexMirrors
        for text in extra {
            guard let mirrors = PythonIndexSettings.parseMirrors(text) else {
                throw DiagnosticsError([
                    .error(
                        "'\(text)' is not a mirror mapping",
                        hint: "write FROM=TO, e.g. https://pypi.org/simple=http://127.0.0.1:8080/simple")
                ])
            }
            parsed.pythonIndexes.mirrors.merge(mirrors) { _, new in new }
        }
        let kb = try KnowledgeBase.effective(spec: parsed, extra: knowledgeFiles).knowledgeBase
        return (parsed, kb)
    }
}

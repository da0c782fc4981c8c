package import EnvctlModel
import Foundation

extension KnowledgeBase {
    /// The built-in knowledge base with the user's overlay files applied in order:
    /// `ENVCTL_KNOWLEDGE` (colon-separated), the spec's `knowledge:` list (``SpecPath``: relative to the spec,
    /// inside its repository), then `extra`.
    package static func effective(
        spec: Spec?, extra: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DiagnosticsError) -> (knowledgeBase: KnowledgeBase, files: [String]) {
        var files: [String] = []
        if let env = environment["ENVCTL_KNOWLEDGE"], !env.isEmpty {
            files += env.split(separator: ":").map(String.init)
        }
        var problems: [Diagnostic] = []
        if let spec {
            // The spec's files follow the one rule for spec paths (`SpecPath`): relative to the spec, inside
            // the repository, regular files. Flags and ENVCTL_KNOWLEDGE are the user's own and stay as given.
            for file in spec.knowledgeFiles {
                do {
                    files.append(try SpecPath.resolve(file, specPath: spec.path, what: "knowledge file").resolved)
                } catch {
                    problems += error.diagnostics
                }
            }
        }
        files += extra
        var kb = KnowledgeBase.builtin
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

    /// Overlays `other` on this knowledge base. Rows with the same identity (a CUDA version, a framework
    /// version, a GPU name...) are replaced by `other`'s; new rows are added. Sources are merged.
    package func merging(_ other: KnowledgeBase) -> KnowledgeBase {
        var kb = self
        kb.sources.merge(other.sources) { _, new in new }
        func overlay<T, K: Hashable>(_ base: [T], _ extra: [T], key: (T) -> K) -> [T] {
            let replaced = Set(extra.map(key))
            return base.filter { !replaced.contains(key($0)) } + extra
        }
        kb.cuda = overlay(cuda, other.cuda) { $0.version.public_ }
        kb.cudnn = overlay(cudnn, other.cudnn) { $0.version }
        kb.python = overlay(python, other.python) { $0.version }
        kb.osPython = overlay(osPython, other.osPython) { "\($0.os) \($0.python)" }
        kb.pythonBuilds = overlay(pythonBuilds, other.pythonBuilds) { $0.version }
        kb.architectures = overlay(architectures, other.architectures) { $0.sm }
        kb.gpus = overlay(gpus, other.gpus) { $0.name }
        kb.gpuDrivers = overlay(gpuDrivers, other.gpuDrivers) { $0.row.key }
        for (name, fam) in other.frameworks {
            if var existing = kb.frameworks[name] {
                existing.releases = overlay(existing.releases, fam.releases) { $0.version }
                if fam.index != nil { existing.index = fam.index }
                kb.frameworks[name] = existing
            } else {
                kb.frameworks[name] = fam
            }
        }
        kb.images.tags = overlay(images.tags, other.images.tags) { $0.cuda }
        kb.platformWheels = overlay(platformWheels, other.platformWheels) { $0.row.key }
        if !other.version.isEmpty { kb.version = "\(version)+\(other.version)" }
        return kb
    }
}

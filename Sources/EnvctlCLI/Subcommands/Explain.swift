import ArgumentParser
import EnvctlKnowledge
import EnvctlModel
import Foundation

extension EnvctlCommand {
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Ask the compatibility knowledge base a question.",
            discussion: """
                Topics:
                  envctl explain torch 2.6          which builds of torch 2.6 exist (CUDA, cuDNN, archs, Python)
                  envctl explain tensorflow|jax [V] the same for TensorFlow and JAX
                  envctl explain cuda 12.8          which driver CUDA 12.8 needs, and which images exist
                  envctl explain gpu h100           what an H100 needs: architecture, CUDA range, builds
                  envctl explain driver 535.104.05  which CUDA versions a driver runs, and how
                  envctl explain sources            where every fact comes from

                Every answer names its sources and confidence. Add rows for newer releases with --knowledge FILE.
                """)

        @Argument(help: "torch, tensorflow, jax, cuda, gpu, driver or sources.")
        var topic: String

        @Argument(help: "A version, GPU name or driver version.")
        var value: String?

        @Option(
            name: .customLong("knowledge"),
            help: ArgumentHelp("Extra knowledge-base file (repeatable).", valueName: "file"))
        var knowledgeFiles: [String] = []

        func run() async throws {
            do {
                let kb = try KnowledgeBase.effective(spec: nil, extra: knowledgeFiles).knowledgeBase
                let text: String
                switch topic.lowercased() {
                case "torch", "pytorch", "tensorflow", "tf", "jax":
                    text = try framework(kb)
                case "cuda": text = try cuda(kb)
                case "gpu": text = try gpu(kb)
                case "driver": text = try driver(kb)
                case "sources":
                    text = kb.sources.keys.sorted().map { "\($0): \(kb.sources[$0]!.url)" }.joined(separator: "\n")
                default:
                    throw ValidationError(
                        "unknown topic '\(topic)'; use torch, tensorflow, jax, cuda, gpu, driver or sources")
                }
                Terminal.stdout("knowledge base \(kb.version) (\(kb.date))\n" + text)
            } catch let e as ValidationError {
                throw e
            } catch {
                throw ErrorPresentation.present(error)
            }
        }

        func cite(_ p: Provenance) -> String { "[\(p.source.joined(separator: ", ")); \(p.confidence.rawValue)]" }

        func framework(_ kb: KnowledgeBase) throws -> String {
            let name: FrameworkName =
                ["tensorflow", "tf"].contains(topic.lowercased())
                ? .tensorflow : (topic.lowercased() == "jax" ? .jax : .torch)
            guard let family = kb.family(name) else { return "no \(name.rawValue) releases are known" }
            var spec = VersionSpecifier.any
            if let value {
                do { spec = try VersionSpecifier(parsing: value) } catch {
                    throw ValidationError("'\(value)': \(error.message)")
                }
            }
            let releases = family.releases.filter { spec.matches($0.version) }.sorted { $0.version > $1.version }
            if releases.isEmpty {
                let known = family.releases.map(\.version).sorted()
                return
                    "no \(name.rawValue) release matches \(value ?? "") (known: \(known.first?.text ?? "-") to \(known.last?.text ?? "-"))"
            }
            var lines: [String] = []
            for r in releases {
                let comps = r.companions.keys.sorted().map { "\($0) \(r.companions[$0]!)" }.joined(separator: ", ")
                lines.append(
                    "\(name.rawValue) \(r.version)  Python \(r.python.text)\(comps.isEmpty ? "" : "  with \(comps)")  \(cite(r.provenance))"
                )
                for b in r.builds.sorted(by: { $0.cuda > $1.cuda }) {
                    var parts = ["\(b.variant): CUDA \(b.cuda)"]
                    parts.append("cuDNN \(b.cudnn?.text ?? "unknown")")
                    parts.append("archs \(b.archs?.joined(separator: " ") ?? "unknown")")
                    if let idx = family.index {
                        parts.append(idx.replacingOccurrences(of: "{variant}", with: b.variant))
                    }
                    if let e = b.extra { parts.append("extra [\(e)]") }
                    lines.append("  " + parts.joined(separator: ", "))
                }
                if let note = r.provenance.note { lines.append("  note: \(note)") }
            }
            return lines.joined(separator: "\n")
        }

        func cuda(_ kb: KnowledgeBase) throws -> String {
            guard let value, let v = Version(value) else {
                throw ValidationError("give a CUDA version, e.g. 'envctl explain cuda 12.8'")
            }
            let rows = kb.cuda.filter { VersionSpecifier.Clause.hasPrefix($0.version, v) }.sorted {
                $0.version > $1.version
            }
            var lines: [String] = []
            if rows.isEmpty { lines.append("CUDA \(value): no driver data in the knowledge base") }
            for r in rows {
                lines.append(
                    "CUDA \(r.version): driver \(r.driver?.text ?? "unknown") for full compatibility; \(r.minorCompatFloor.map { "\($0) with minor-version compatibility (no PTX JIT)" } ?? "minor-version floor unknown")  \(cite(r.provenance))"
                )
            }
            let tags = kb.images.tags.filter { VersionSpecifier.Clause.hasPrefix($0.cuda, v) }.sorted {
                $0.cuda > $1.cuda
            }
            for t in tags {
                lines.append(
                    "\(kb.images.repository) \(t.cuda)\(t.cudnn.map { " (cuDNN \($0) in cudnn flavors)" } ?? ""):  \(cite(t.provenance))"
                )
                for os in t.os.keys.sorted() { lines.append("  \(os): \(t.os[os]!.joined(separator: ", "))") }
            }
            var users: [String] = []
            for (name, fam) in kb.frameworks.sorted(by: { $0.key < $1.key }) {
                for r in fam.releases.sorted(by: { $0.version > $1.version }) {
                    for b in r.builds
                    where VersionSpecifier.Clause.hasPrefix(b.cuda, v.truncated(to: min(2, v.components.count))) {
                        users.append(LockedFramework.label(name: name, version: r.version.text, variant: b.variant))
                    }
                }
            }
            if !users.isEmpty {
                lines.append(
                    "framework builds on this CUDA: \(users.prefix(12).joined(separator: ", "))\(users.count > 12 ? ", ..." : "")"
                )
            }
            return lines.joined(separator: "\n")
        }

        func gpu(_ kb: KnowledgeBase) throws -> String {
            guard let value else { throw ValidationError("give a GPU, e.g. 'envctl explain gpu h100'") }
            guard let hit = kb.gpu(named: value) else {
                throw ValidationError("unknown GPU '\(value)'; known: \(kb.gpus.map(\.name).joined(separator: ", "))")
            }
            var lines = ["\(value) is compute capability \(hit.sm) (\(hit.sm.smName))"]
            if let arch = kb.architecture(hit.sm) {
                lines.append(
                    "\(arch.family): CUDA \(arch.firstCUDA?.text ?? "?") or newer\(arch.lastCUDA.map { ", up to CUDA \($0)" } ?? "")  \(cite(arch.provenance))"
                )
            }
            // The same rule `resolve` applies (EnvctlKnowledge's driverRange).
            let range = kb.driverRange(sm: hit.sm, gpu: ComputeCapability(value) == nil ? hit.name : nil)
            if let first = range.first {
                lines.append("oldest driver known to drive it: \(first.value)  \(cite(first.provenance))")
            } else {
                lines.append(
                    "oldest driver that drives it: not in the knowledge base (a fleet driver is not checked against it)"
                )
            }
            if let last = range.lastBranch {
                lines.append("last driver branch that supports it: \(last.value)  \(cite(last.provenance))")
            } else {
                lines.append("last driver branch: none known (still supported)")
            }
            for (name, fam) in kb.frameworks.sorted(by: { $0.key < $1.key }) {
                let newest = fam.releases.sorted { $0.version > $1.version }.first { r in
                    r.builds.contains { b in
                        b.archs?.compactMap(ArchTarget.init).contains { $0.runs(on: hit.sm, allowPTX: false) } ?? false
                    }
                }
                if let newest {
                    let builds = newest.builds.filter { b in
                        b.archs?.compactMap(ArchTarget.init).contains { $0.runs(on: hit.sm, allowPTX: false) } ?? false
                    }
                    lines.append(
                        "newest \(name) with native kernels: \(newest.version) (\(builds.map(\.variant).joined(separator: ", ")))"
                    )
                }
            }
            return lines.joined(separator: "\n")
        }

        func driver(_ kb: KnowledgeBase) throws -> String {
            guard let value, let d = Version(value) else {
                throw ValidationError("give a driver version, e.g. 'envctl explain driver 535.104.05'")
            }
            var full: [String] = [], mvc: [String] = []
            for r in kb.cuda.sorted(by: { $0.version < $1.version }) where r.provenance.confidence != .unconfirmed {
                if let t = r.driver, d >= t {
                    full.append(r.version.text)
                } else if let f = r.minorCompatFloor, d >= f {
                    mvc.append(r.version.text)
                }
            }
            return [
                "driver \(d) runs with full compatibility: \(full.isEmpty ? "none" : full.joined(separator: ", "))",
                "and through minor-version compatibility only (no PTX JIT): \(mvc.isEmpty ? "none" : mvc.joined(separator: ", "))",
            ].joined(separator: "\n")
        }
    }
}

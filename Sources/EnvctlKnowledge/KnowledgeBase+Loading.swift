import EnvctlModel
import Foundation

extension KnowledgeBase {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        date = try c.decodeIfPresent(String.self, forKey: .date) ?? ""
        sources = try c.decodeIfPresent([String: SourceEntry].self, forKey: .sources) ?? [:]
        cuda = try c.decodeIfPresent([CUDARelease].self, forKey: .cuda) ?? []
        cudnn = try c.decodeIfPresent([CuDNNRelease].self, forKey: .cudnn) ?? []
        python = try c.decodeIfPresent([PythonRelease].self, forKey: .python) ?? []
        osPython = try c.decodeIfPresent([OSPython].self, forKey: .osPython) ?? []
        architectures = try c.decodeIfPresent([GPUArchitecture].self, forKey: .architectures) ?? []
        gpus = try c.decodeIfPresent([GPUModel].self, forKey: .gpus) ?? []
        frameworks = try c.decodeIfPresent([String: FrameworkFamily].self, forKey: .frameworks) ?? [:]
        images = try c.decodeIfPresent(CUDAImages.self, forKey: .images) ?? CUDAImages(repository: "", tags: [])
    }

    /// The knowledge base compiled into this envctl.
    ///
    /// It is loaded from a JSON rendering of knowledge/builtin.yaml (generated, and checked against the YAML
    /// by a test) because JSONDecoder reads it about ten times faster than YAML, which keeps start-up short.
    public static let builtin: KnowledgeBase = {
        do {
            if !builtinKnowledgeJSON.isEmpty {
                return try JSONDecoder().decode(KnowledgeBase.self, from: Data(builtinKnowledgeJSON.utf8))
            }
            return try KnowledgeBase.load(yaml: builtinKnowledgeYAML, file: "<builtin>/knowledge/builtin.yaml")
        } catch {
            // The builtin file is checked by tests; reaching this is a packaging bug.
            fatalError("envctl's built-in knowledge base is invalid, please report this bug:\n\(error)")
        }
    }()

    /// The built-in knowledge base's version and date, read without loading it (for `--version`).
    public static var builtinStamp: (version: String, date: String) {
        func field(_ key: String) -> String {
            for line in builtinKnowledgeYAML.split(separator: "\n", maxSplits: 40) where line.hasPrefix("\(key):") {
                return line.dropFirst(key.count + 1).trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            }
            return "unknown"
        }
        return (field("version"), field("date"))
    }

    /// The JSON text `builtin` is loaded from: sorted keys, so it is byte-stable.
    public func canonicalJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Parses and validates one knowledge-base file (the built-in one or a user's addition).
    public static func load(yaml: String, file: String) throws(DiagnosticsError) -> KnowledgeBase {
        let kb = try LocatedYAMLDecoder.decode(KnowledgeBase.self, from: yaml, file: file)
        let problems = kb.validate(file: file)
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return kb
    }

    public static func load(fileAt path: String) throws(DiagnosticsError) -> KnowledgeBase {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([.error("cannot read knowledge file '\(path)'")])
        }
        return try load(yaml: text, file: path)
    }

    /// Checks that every row names a known source; returns diagnostics (empty when fine).
    func validate(file: String) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func check(_ p: Provenance, _ what: String) {
            for s in p.source where sources[s] == nil && !s.hasPrefix("http") && !s.contains(" ") {
                problems.append(.error("\(what): source '\(s)' is not defined under 'sources:'", hint: "add it under sources: with a url, or write the URL itself", at: SourceLocation(file: file, line: 1, column: 1)))
            }
        }
        for r in cuda { check(r.provenance, "cuda \(r.version)") }
        for r in cudnn { check(r.provenance, "cudnn \(r.version)") }
        for r in python { check(r.provenance, "python \(r.version)") }
        for r in osPython { check(r.provenance, "os_python \(r.os) \(r.python)") }
        for r in architectures { check(r.provenance, "architecture \(r.sm)") }
        for r in gpus { check(r.provenance, "gpu \(r.name)") }
        for (name, fam) in frameworks {
            for r in fam.releases { check(r.provenance, "\(name) \(r.version)") }
        }
        for r in images.tags { check(r.provenance, "image tags for CUDA \(r.cuda)") }
        return problems
    }

    /// Overlays `other` on this knowledge base. Rows with the same identity (a CUDA version, a framework
    /// version, a GPU name...) are replaced by `other`'s; new rows are added. Sources are merged.
    public func merging(_ other: KnowledgeBase) -> KnowledgeBase {
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
        kb.architectures = overlay(architectures, other.architectures) { $0.sm }
        kb.gpus = overlay(gpus, other.gpus) { $0.name }
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
        if !other.version.isEmpty { kb.version = "\(version)+\(other.version)" }
        return kb
    }
}

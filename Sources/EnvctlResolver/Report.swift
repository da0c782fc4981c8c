import EnvctlKnowledge
import EnvctlModel

/// Turns rejected candidates into numbered sentences and "what would work" suggestions.
///
/// Sentences name the user's constraints with their `file:line`, what exists instead
/// ("torch 2.3.1 is published for cu118 and cu121; you asked for CUDA 12.4"), and the other
/// reasons builds were rejected. Suggestions come from re-solving with one constraint relaxed.
struct Report {
    let kb: KnowledgeBase
    let constraints: Constraints
    let attempts: [Attempt]

    func failure() -> ResolutionFailure {
        ResolutionFailure(environment: constraints.envName, sentences: sentences(), suggestions: suggestions())
    }

    func asked() -> String {
        var parts: [String] = []
        func at(_ l: SourceLocation?) -> String { l.map { " (\($0))" } ?? "" }
        if let f = constraints.framework {
            parts.append(
                "\(f.rawValue)\(constraints.frameworkVersions?.value.text ?? "")\(at(constraints.frameworkVersions?.location))"
            )
        }
        if let c = constraints.cuda { parts.append("CUDA \(c.value.text)\(at(c.location))") }
        if let c = constraints.cudnn { parts.append("cuDNN \(c.value.text)\(at(c.location))") }
        if let p = constraints.python { parts.append("Python \(p.value.text)\(at(p.location))") }
        if let o = constraints.os { parts.append("\(o.value)\(at(o.location))") }
        if let d = constraints.driver { parts.append("fleet driver \(d.value)\(at(d.location))") }
        if !constraints.gpus.isEmpty {
            parts.append("GPUs \(Search.list(constraints.gpus.map(\.label)))\(at(constraints.gpus.first?.location))")
        }
        return parts.isEmpty ? "no constraints" : Search.list(parts)
    }

    func sentences() -> [String] {
        var out = ["Environment '\(constraints.envName)' asks for \(asked())."]
        guard let fw = constraints.framework else {
            // Plain CUDA environment: report the CUDA releases that match the cuda constraint.
            let matching = attempts.filter { !$0.has(.cuda) }
            if matching.isEmpty {
                let known = attempts.map { $0.cuda.truncated(to: 2).text }
                out.append(
                    "No CUDA release in the knowledge base matches \(constraints.cuda?.value.text ?? "the request"); known: \(known.sorted { Version($0)! < Version($1)! }.joined(separator: ", "))."
                )
                return out
            }
            for a in matching.prefix(3) {
                out.append("CUDA \(a.cuda): " + Self.unique(a.problems.map(\.message)).joined(separator: "; ") + ".")
            }
            return out
        }
        let releases = Dictionary(grouping: attempts.filter { $0.release != nil }, by: { $0.release!.version })
        let matching = releases.keys.filter { v in releases[v]!.allSatisfy { !$0.has(.framework) } }.sorted(by: >)
        guard let newest = matching.first else {
            let known = releases.keys.sorted()
            let range = known.isEmpty ? "none" : "\(known.first!) to \(known.last!)"
            out.append(
                "\(fw.rawValue)\(constraints.frameworkVersions?.value.text ?? "") matches no \(fw.rawValue) release in the knowledge base (known: \(range))."
            )
            return out
        }
        let builds = releases[newest]!.sorted { ($0.build?.variant ?? "") < ($1.build?.variant ?? "") }
        let variants = builds.compactMap { $0.build?.variant }
        let allCUDA = builds.allSatisfy { $0.has(.cuda) }
        if allCUDA, let asked = constraints.cuda {
            out.append(
                "\(fw.rawValue) \(newest) is published for \(Search.list(variants)); you asked for CUDA \(asked.value.text)."
            )
        } else {
            out.append("\(fw.rawValue) \(newest) is published for \(Search.list(variants)).")
        }
        // Group identical reasons across builds so each is said once.
        var order: [String] = []
        var labels: [String: [String]] = [:]
        for attempt in builds {
            for problem in attempt.problems where !(allCUDA && problem.kind == .cuda) {
                if labels[problem.message] == nil { order.append(problem.message) }
                labels[problem.message, default: []].append(attempt.label)
            }
        }
        for message in order {
            let who = labels[message]!
            let named = who.contains { message.contains($0) }
            if named || who.count == builds.count {
                out.append(message + ".")
            } else {
                out.append("\(fw.rawValue) \(Search.list(who)): \(message).")
            }
        }
        let older = matching.dropFirst()
        if !older.isEmpty {
            let sameKinds = older.allSatisfy { v in
                Set(releases[v]!.flatMap { $0.problems.map(\.kind) }) == Set(builds.flatMap { $0.problems.map(\.kind) })
            }
            let names = older.prefix(6).map(\.text).joined(separator: ", ") + (older.count > 6 ? ", ..." : "")
            out.append(
                sameKinds
                    ? "The other matching releases (\(names)) fail for the same reasons."
                    : "The other matching releases (\(names)) fail too; relax a constraint below to see them.")
        }
        return out
    }

    /// Re-solves with each user constraint relaxed in turn and describes each solution found.
    func suggestions() -> [String] {
        var out: [String] = []
        for kind in ConstraintKind.allCases where constraints.isSet(kind) {
            let relaxed = constraints.relaxing(kind)
            guard case .success(let r) = Search(kb: kb, constraints: relaxed).solve() else { continue }
            let summary = Self.summary(r)
            switch kind {
            case .framework:
                let v = r.framework!.version.truncated(to: 2)
                out.append("framework: \"\(r.framework!.name.rawValue)==\(v).*\" gives \(summary).")
            case .cuda:
                out.append("cuda: \"\(r.cuda.truncated(to: 2))\" gives \(summary).")
            case .cudnn:
                out.append("cudnn: \(r.cudnn.map { "\"\($0.major)\"" } ?? "(omit it)") gives \(summary).")
            case .python:
                out.append("python: \"\(r.python)\" gives \(summary).")
            case .os:
                out.append("os: \(r.os) gives \(summary).")
            case .driver:
                out.append(
                    "upgrading the fleet driver to \(r.driverMinimum?.text ?? "a newer release") or newer gives \(summary)."
                )
            case .gpus:
                out.append(
                    "without the fleet GPUs \(Search.list(constraints.gpus.map(\.label))) the spec gives \(summary).")
            case .images:
                break
            }
        }
        return out
    }

    static func summary(_ r: Resolution) -> String {
        var parts: [String] = []
        if let f = r.framework {
            parts.append(LockedFramework.label(name: f.name.rawValue, version: f.version.text, variant: f.variant))
        }
        parts.append("CUDA \(r.cuda)")
        if let c = r.cudnn { parts.append("cuDNN \(c)") }
        parts.append("Python \(r.python)")
        parts.append(r.os)
        return parts.joined(separator: ", ")
    }

    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}

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
        if constraints.platforms != Resolution.defaultPlatforms {
            parts.append("platforms \(Search.list(constraints.platforms))\(at(constraints.platformsLocation))")
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
            if let asked = constraints.frameworkVersions?.value, asked.namesPrerelease {
                out.append(
                    "\(fw.rawValue)\(asked.text) asks for a pre-release or nightly: nightlies aren't in the knowledge base; add an overlay row (docs/knowledge-base.md)."
                )
            }
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

    /// Re-solves with each user constraint relaxed in turn and describes each solution found, smallest move first:
    /// a relaxed version constraint takes the solution closest to what the spec asked for (CUDA 11.7 -> 11.8, not
    /// the newest), and the suggestions are ranked by how far they move from the spec.
    func suggestions() -> [String] {
        var ranked: [(distance: Int, order: Int, text: String)] = []
        for (order, kind) in ConstraintKind.allCases.enumerated() where constraints.isSet(kind) {
            guard let (r, distance) = closestSolution(relaxing: kind) else { continue }
            let summary = Self.summary(r)
            let text: String
            switch kind {
            case .framework:
                let v = r.framework!.version.truncated(to: 2)
                text = "framework: \"\(r.framework!.name.rawValue)==\(v).*\" gives \(summary)."
            case .cuda:
                text = "cuda: \"\(r.cuda.truncated(to: 2))\" gives \(summary)."
            case .cudnn:
                text = "cudnn: \(r.cudnn.map { "\"\($0.major)\"" } ?? "(omit it)") gives \(summary)."
            case .python:
                text = "python: \"\(r.python)\" gives \(summary)."
            case .os:
                text = "os: \(r.os) gives \(summary)."
            case .driver:
                text = driverSuggestion(r, summary: summary)
            case .gpus:
                text = "without the fleet GPUs \(Search.list(constraints.gpus.map(\.label))) the spec gives \(summary)."
            case .platforms:
                let dropped = constraints.platforms.filter { $0 != ContainerPlatform.amd64 }
                text =
                    "platforms: [\(ContainerPlatform.amd64)] (without \(Search.list(dropped)) and its GPUs) gives \(summary)."
            case .images:
                continue
            }
            ranked.append((distance, order, text))
        }
        // An OS Python that is missing, unknown or a pre-release: the pinned standalone build runs on any OS.
        if constraints.pythonSource == .os {
            var c = constraints
            c.pythonSource = .standalone
            if case .success(let r) = Search(kb: kb, constraints: c).solve() {
                let exact = r.pythonRuntime.version
                ranked.append(
                    (
                        25, ConstraintKind.allCases.count,
                        "python_source: standalone (or leave it out) gives \(Self.summary(r)) with CPython \(exact) pinned by sha256."
                    ))
            }
        }
        return ranked.sorted { ($0.distance, $0.order) < ($1.distance, $1.order) }.map(\.text)
    }

    /// How far relaxing a constraint kind moves from the spec when the values are equally close: changing a
    /// version comes first, then cuDNN/OS, then the fleet's driver, and dropping GPUs last.
    static func baseDistance(_ kind: ConstraintKind) -> Int {
        switch kind {
        case .framework, .cuda, .python: return 0
        case .cudnn, .os: return 50
        case .driver: return 100
        case .gpus, .platforms: return 1000
        case .images: return 10_000
        }
    }

    /// The solution with `kind` relaxed that stays closest to what the spec asked for, and its distance.
    func closestSolution(relaxing kind: ConstraintKind) -> (Resolution, Int)? {
        let relaxed = constraints.relaxing(kind)
        func key(_ v: Version) -> Int { v.major * 1_000_000 + v.minor * 1000 + v.patch }
        func nearest(anchor: Version?, candidates: [Version], apply: (inout Constraints, Version) -> Void)
            -> (Resolution, Int)?
        {
            guard let anchor else { return nil }
            let a = key(anchor)
            let ordered = candidates.sorted { x, y in
                let dx = abs(key(x) - a), dy = abs(key(y) - a)
                return dx != dy ? dx < dy : x > y
            }
            for v in ordered {
                var c = relaxed
                apply(&c, v)
                if case .success(let r) = Search(kb: kb, constraints: c).solve() { return (r, abs(key(v) - a)) }
            }
            return nil
        }
        func exact(_ text: String, at location: SourceLocation?) -> Located<VersionSpecifier>? {
            (try? VersionSpecifier(parsing: text)).map { Located($0, at: location) }
        }
        let found: (Resolution, Int)?
        switch kind {
        case .cuda:
            let minors = Set(kb.images.tags.map { $0.cuda.truncated(to: 2) })
            found = nearest(anchor: constraints.cuda?.value.clauses.first?.version, candidates: Array(minors)) {
                $0.cuda = exact("==\($1).*", at: constraints.cuda?.location)
            }
        case .framework:
            // Whole series (`torch==2.4.*`), as the suggestion is written, so it gives what it says.
            let releases = constraints.framework.flatMap { kb.family($0) }?.releases ?? []
            let series = Set(releases.map { $0.version.truncated(to: 2) })
            found = nearest(
                anchor: constraints.frameworkVersions?.value.clauses.first?.version.truncated(to: 2),
                candidates: Array(series)
            ) {
                $0.frameworkVersions = exact("==\($1).*", at: constraints.frameworkVersions?.location)
            }
        case .python:
            found = nearest(
                anchor: constraints.python?.value.clauses.first?.version, candidates: kb.python.map(\.version)
            ) {
                $0.python = exact("==\($1).*", at: constraints.python?.location)
            }
        case .driver:
            // The smallest upgrade: try the driver thresholds the knowledge base knows, lowest first.
            guard let current = constraints.driver else { found = nil; break }
            let thresholds = Set(
                kb.cuda.flatMap { [$0.driver, $0.minorCompatFloor] }.compactMap { $0 }
                    + kb.gpuDrivers.compactMap(\.firstDriver)
            ).filter { $0 > current.value }.sorted()
            found = nil
            for d in thresholds {
                var c = relaxed
                c.driver = Located(d, at: current.location)
                if case .success(let r) = Search(kb: kb, constraints: c).solve() {
                    return (r, Self.baseDistance(kind))
                }
            }
        default:
            found = nil
        }
        if let (r, d) = found { return (r, Self.baseDistance(kind) + d / 1000) }
        // No anchor (or no close value works): the preferred solution with the constraint dropped.
        guard case .success(let r) = Search(kb: kb, constraints: relaxed).solve() else { return nil }
        return (r, Self.baseDistance(kind) + (found == nil && [.cuda, .framework, .python].contains(kind) ? 500 : 0))
    }

    /// "upgrade the driver" or, when the fleet driver is past a GPU's last branch, "keep the nodes on that branch".
    func driverSuggestion(_ r: Resolution, summary: String) -> String {
        let minimum = r.driverMinimum?.text ?? "a newer release"
        if let d = constraints.driver?.value {
            let past = constraints.gpus.compactMap { gpu -> Int? in
                guard let last = kb.driverRange(sm: gpu.sm, gpu: gpu.model).lastBranch?.value, d.major > last else {
                    return nil
                }
                return last
            }
            if let branch = past.min() {
                return
                    "a driver on the \(branch) branch (at least \(minimum)) on every node gives \(summary)."
            }
        }
        return "upgrading the fleet driver to \(minimum) or newer gives \(summary)."
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

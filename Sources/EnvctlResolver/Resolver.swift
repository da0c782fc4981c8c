package import EnvctlKnowledge
package import EnvctlModel

/// Solves each environment of a spec against the knowledge base.
///
/// The search space is small (framework releases × builds × CUDA image releases × OS × Python), so the
/// resolver enumerates candidates in preference order (newest framework, then newest CUDA, newest
/// image patch, preferred OS, newest Python) and takes the first that meets every constraint. Because
/// every candidate is checked against every constraint, a failure can say exactly which constraints
/// conflict, and re-solving with one constraint relaxed yields the "what would work" suggestions.
package struct Resolver: Sendable {
    package let knowledgeBase: KnowledgeBase

    package init(knowledgeBase: KnowledgeBase) {
        self.knowledgeBase = knowledgeBase
    }

    /// Resolves every GPU environment (or only `environment`); plain environments are skipped.
    /// - Throws: ``ResolverError`` with a report per unsolvable environment and spec diagnostics.
    package func resolve(_ spec: Spec, environment: String? = nil) throws(ResolverError) -> [Resolution] {
        var diagnostics: [Diagnostic] = []
        let gpus = fleetGPUs(spec.fleet, &diagnostics)
        let fleetPlatforms = Self.fleetPlatforms(spec.fleet, gpus: gpus, &diagnostics)
        var results: [Resolution] = []
        var failures: [ResolutionFailure] = []
        let envs = spec.environments.filter { environment == nil || $0.name == environment }
        if let environment, envs.isEmpty {
            diagnostics.append(
                .error(
                    "no environment named '\(environment)' in \(spec.path)",
                    hint: "environments: \(spec.environments.map(\.name).joined(separator: ", "))"))
        }
        let platforms = envs.map { Self.environmentPlatforms($0, fleet: fleetPlatforms, spec.fleet, &diagnostics) }
        if !diagnostics.isEmpty { throw ResolverError(failures: [], diagnostics: diagnostics) }
        // Plain environments (`kind: plain`) have no stack to solve.
        for (env, envPlatforms) in zip(envs, platforms) where !env.isPlain {
            var constraints = Constraints(
                env: env, fleet: spec.fleet, gpus: gpus.filter { envPlatforms.contains($0.platform) })
            constraints.platforms = envPlatforms
            constraints.platformsLocation = env.platforms?.location ?? spec.fleet.platforms?.location
            let search = Search(kb: knowledgeBase, constraints: constraints)
            switch search.solve() {
            case .success(let r): results.append(r)
            case .failure(let attempts):
                failures.append(Report(kb: knowledgeBase, constraints: constraints, attempts: attempts).failure())
            }
        }
        if !failures.isEmpty { throw ResolverError(failures: failures, diagnostics: []) }
        return results
    }

    /// Maps fleet GPU names to compute capabilities; unknown names become located diagnostics.
    func fleetGPUs(_ fleet: Fleet, _ diagnostics: inout [Diagnostic]) -> [FleetGPU] {
        var out: [FleetGPU] = []
        for written in fleet.gpus {
            let row = knowledgeBase.gpuModel(named: written.value)
            if let row, row.tegra {
                diagnostics.append(
                    .error(
                        "\(written.value) is a Jetson (Tegra) module: it runs L4T/JetPack, whose CUDA, driver and framework wheels differ from those of linux/arm64 (SBSA) servers, and envctl does not lock or build for it",
                        hint:
                            "remove it from fleet.gpus; build Jetson images from NVIDIA's L4T/JetPack containers instead",
                        at: written.location))
                continue
            }
            if let hit = knowledgeBase.gpu(named: written.value) {
                if knowledgeBase.architecture(hit.sm) == nil {
                    diagnostics.append(
                        .error(
                            "compute capability \(hit.sm) (\(written.value)) is not in the knowledge base",
                            hint: "known: \(knowledgeBase.architectures.map(\.sm.description).joined(separator: ", "))",
                            at: written.location))
                    continue
                }
                if !out.contains(where: { $0.sm == hit.sm && $0.written == written.value }) {
                    let model = ComputeCapability(written.value) == nil ? hit.name : nil
                    out.append(
                        FleetGPU(
                            written: written.value, sm: hit.sm, model: model, location: written.location,
                            platform: row?.platform ?? ContainerPlatform.amd64))
                }
            } else {
                let names = knowledgeBase.gpus.map(\.name)
                let key = GPUModel.normalise(written.value)
                let close = names.filter { $0.hasPrefix(String(key.prefix(2))) }.prefix(6)
                diagnostics.append(
                    .error(
                        "unknown GPU '\(written.value)'",
                        hint:
                            "use a name the knowledge base knows (\(close.isEmpty ? names.prefix(8).joined(separator: ", ") : close.joined(separator: ", ")), ...) or a compute capability like sm_80 or \"8.0\"",
                        at: written.location))
            }
        }
        return out
    }

    /// `fleet.platforms`: as written, or inferred from the GPUs (Grace parts are linux/arm64, the rest
    /// linux/amd64); linux/amd64 when the spec names neither. A GPU outside an explicit list is bad input at its line.
    static func fleetPlatforms(_ fleet: Fleet, gpus: [FleetGPU], _ diagnostics: inout [Diagnostic])
        -> [String]
    {
        guard let explicit = fleet.platforms else {
            let inferred = ContainerPlatform.ordered(gpus.map(\.platform))
            return inferred.isEmpty ? Resolution.defaultPlatforms : inferred
        }
        for gpu in gpus where !explicit.value.contains(gpu.platform) {
            let at = explicit.location.map { " (\($0))" } ?? ""
            diagnostics.append(
                .error(
                    "\(gpu.written) runs on \(gpu.platform), but fleet.platforms\(at) lists only \(explicit.value.joined(separator: ", "))",
                    hint: "add \(gpu.platform) to fleet.platforms, or remove \(gpu.written) from fleet.gpus",
                    at: gpu.location))
        }
        return ContainerPlatform.ordered(explicit.value)
    }

    /// An environment's `platforms:` narrows the fleet's; a platform outside the fleet is bad input at its line.
    static func environmentPlatforms(
        _ env: EnvironmentSpec, fleet: [String], _ spec: Fleet, _ diagnostics: inout [Diagnostic]
    ) -> [String] {
        guard let asked = env.platforms else { return fleet }
        let outside = asked.value.filter { !fleet.contains($0) }
        if !outside.isEmpty {
            diagnostics.append(
                .error(
                    "environment '\(env.name)' asks for \(outside.joined(separator: ", ")), which the fleet does not run (fleet platforms: \(fleet.joined(separator: ", ")))",
                    hint: spec.platforms == nil
                        ? "fleet platforms come from fleet.gpus; add a GPU of that platform or list it in fleet.platforms"
                        : "add it to fleet.platforms or remove it here",
                    at: asked.location))
        }
        return ContainerPlatform.ordered(asked.value.filter(fleet.contains))
    }
}

struct FleetGPU: Sendable, Hashable {
    var written: String
    var sm: ComputeCapability
    /// The knowledge base's name for the product (`b200`); nil when written as a compute capability.
    var model: String?
    var location: SourceLocation?
    /// The container platform of the nodes (`linux/arm64` for Grace parts).
    var platform: String = ContainerPlatform.amd64

    /// What the nodes are called in a fix ("the b200 nodes", "the sm_90 nodes").
    var nodes: String { "the \(model ?? sm.smName) nodes" }

    var label: String { written.lowercased() == sm.smName ? sm.smName : "\(sm.smName) (\(written))" }
}

/// The constraints of one environment; each can be relaxed to find suggestions.
struct Constraints: Sendable {
    var envName: String
    var framework: FrameworkName?
    var frameworkVersions: Located<VersionSpecifier>?
    var cuda: Located<VersionSpecifier>?
    var cudnn: Located<VersionSpecifier>?
    var python: Located<VersionSpecifier>?
    var os: Located<String>?
    var driver: Located<Version>?
    var gpus: [FleetGPU]
    var cudaLibraries: CUDALibrarySource?
    /// Where the interpreter comes from; standalone unless the spec says `python_source: os`.
    var pythonSource: PythonSource = .standalone
    var pythonSourceLocation: SourceLocation?
    /// The container platforms the environment is for; the lock pins Python archives and wheels for each.
    var platforms: [String] = Resolution.defaultPlatforms
    var platformsLocation: SourceLocation?

    init(env: EnvironmentSpec, fleet: Fleet, gpus: [FleetGPU]) {
        envName = env.name
        framework = env.framework?.value.name
        if let f = env.framework, !f.value.versions.isAny {
            frameworkVersions = Located(f.value.versions, at: f.location)
        }
        cuda = env.cuda
        cudnn = env.cudnn
        python = env.python
        os = env.os
        driver = fleet.driver
        self.gpus = gpus
        cudaLibraries = env.cudaLibraries?.value
        pythonSource = env.pythonSource?.value ?? .standalone
        pythonSourceLocation = env.pythonSource?.location
    }

    func relaxing(_ kind: ConstraintKind) -> Constraints {
        var c = self
        switch kind {
        case .framework: c.frameworkVersions = nil
        case .cuda: c.cuda = nil
        case .cudnn: c.cudnn = nil
        case .python: c.python = nil
        case .os: c.os = nil
        case .driver: c.driver = nil
        case .gpus: c.gpus = []
        case .platforms:
            c.platforms = [ContainerPlatform.amd64]
            c.gpus = gpus.filter { $0.platform == ContainerPlatform.amd64 }
        case .images: break
        }
        return c
    }

    func isSet(_ kind: ConstraintKind) -> Bool {
        switch kind {
        case .framework: return frameworkVersions != nil
        case .cuda: return cuda != nil
        case .cudnn: return cudnn != nil
        case .python: return python != nil
        case .os: return os != nil
        case .driver: return driver != nil
        case .gpus: return !gpus.isEmpty
        case .platforms: return platforms.contains(ContainerPlatform.amd64) && platforms.count > 1
        case .images: return false
        }
    }
}

/// One rejected (or accepted) candidate and everything wrong with it.
struct Attempt: Sendable {
    var release: FrameworkRelease?
    var build: FrameworkBuild?
    var cuda: Version
    var problems: [(kind: ConstraintKind, message: String)]

    var label: String {
        if let release, let build { return String(Search.label("", release, build).dropFirst()) }
        return "CUDA \(cuda)"
    }

    func has(_ kind: ConstraintKind) -> Bool { problems.contains { $0.kind == kind } }
}

enum SearchOutcome {
    case success(Resolution)
    case failure([Attempt])
}

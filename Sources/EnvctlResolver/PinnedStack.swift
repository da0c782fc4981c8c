package import EnvctlKnowledge
package import EnvctlModel

/// A concrete CUDA and cuDNN (what pinned wheels install) checked against the fleet with the resolver's rules.
package struct PinnedStackCheck: Sendable, Hashable {
    /// The CUDA release whose driver requirements were applied: the version asked for when the knowledge base
    /// has it, else the newest confirmed release of its minor (the most demanding driver of that minor).
    package var toolkit: Version
    /// What contradicts the fleet, one sentence each (a conflict when not empty).
    package var problems: [String]
    package var reasons: [String]
    package var warnings: [String]
    package var driver: LockedDriver
}

extension Resolver {
    /// Checks a concrete `cuda` (a release such as `12.9.1`, or a minor such as `12.9`) and `cudnn` for the
    /// environment `resolution` solved, against the spec's fleet: the driver floor with minor-version
    /// compatibility (and PTX JIT needing the full driver), the toolkit's and the framework build's
    /// architectures, cuDNN's compute-capability range and each GPU's driver range. The same rules as `resolve`.
    /// - Parameters:
    ///   - cudnnFrom: where the cuDNN comes from, for the sentences (`nvidia-cudnn-cu12 9.10.2.21`).
    ///   - platforms: the container platforms the pins are for: only the fleet GPUs of those platforms are
    ///     checked (a two-platform lock whose platforms pin different wheels checks each); nil checks every fleet GPU.
    package func check(
        cuda: Version, cudnn: Version?, cudnnFrom: String?, for resolution: Resolution, in spec: Spec,
        platforms: [String]? = nil
    ) -> PinnedStackCheck {
        var diagnostics: [Diagnostic] = []
        let gpus = fleetGPUs(spec.fleet, &diagnostics).filter { platforms?.contains($0.platform) ?? true }
        let env =
            spec.environment(named: resolution.environment)
            ?? EnvironmentSpec(name: resolution.environment)
        let search = Search(kb: knowledgeBase, constraints: Constraints(env: env, fleet: spec.fleet, gpus: gpus))
        let toolkit = toolkitRelease(cuda)
        var release: FrameworkRelease?
        var build: FrameworkBuild?
        var fw = ""
        if let f = resolution.framework, let family = knowledgeBase.family(f.name) {
            fw = f.name.rawValue
            release = family.releases.first { $0.version == f.version }
            build = release?.builds.first { $0.variant == f.variant }
        }
        if build == nil { release = nil }
        var gpu = search.gpuCheck(release: release, build: build, cuda: toolkit, fw: fw)
        search.cudnnGPUCheck(cudnn, from: cudnnFrom, into: &gpu)
        var driver = search.driverCheck(cuda: toolkit, needsPTX: gpu.needsPTX)
        search.gpuDriverCheck(into: &driver)
        return PinnedStackCheck(
            toolkit: toolkit, problems: (gpu.problems + driver.problems).map(\.1),
            reasons: driver.reasons, warnings: gpu.warnings + driver.warnings,
            driver: LockedDriver(
                minimum: driver.minimum?.text, fullCompatibility: driver.full?.text,
                compatibility: driver.compatibility))
    }

    /// The release `cuda` names, or the newest confirmed release of its minor with a known driver.
    func toolkitRelease(_ cuda: Version) -> Version {
        if knowledgeBase.cudaRelease(cuda) != nil { return cuda }
        let newest = knowledgeBase.cudaReleases(minor: cuda.truncated(to: 2)).first {
            $0.driver != nil && $0.provenance.confidence != .unconfirmed
        }
        return newest?.version ?? cuda
    }
}

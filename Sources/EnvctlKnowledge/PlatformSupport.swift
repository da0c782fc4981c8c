package import EnvctlModel

/// Whether one framework build publishes CUDA wheels for a platform (`platform_wheels:` rows).
package enum PlatformWheelSupport: Sendable, Hashable {
    case available(Provenance)
    /// Known not to: `firstRelease` is the oldest release known to publish them, when the knowledge base knows one.
    case unavailable(Provenance, firstRelease: Version?)
    /// No row says.
    case unknown
}

extension KnowledgeBase {
    /// The GPU row for a name or alias; nil for a compute capability (`sm_90`) or an unknown name.
    package func gpuModel(named raw: String) -> GPUModel? {
        guard ComputeCapability(raw) == nil else { return nil }
        let key = GPUModel.normalise(raw)
        return gpus.first {
            GPUModel.normalise($0.name) == key || $0.aliases.contains { GPUModel.normalise($0) == key }
        }
    }

    /// Whether `framework` `version`'s `variant` build publishes CUDA wheels for `platform`. The framework rows
    /// describe linux/amd64, so that platform is always available.
    package func wheels(_ framework: FrameworkName, _ version: Version, variant: String, platform: String)
        -> PlatformWheelSupport
    {
        if platform == ContainerPlatform.amd64 { return .available(Provenance(source: [], confidence: .high)) }
        let rows = platformWheels.filter {
            $0.framework == framework.rawValue && $0.platform == platform && $0.versions.matches(version)
        }
        if let row = rows.first(where: { $0.variants.contains(variant) }) { return .available(row.provenance) }
        if let row = rows.first(where: \.complete) {
            return .unavailable(row.provenance, firstRelease: firstRelease(framework, platform: platform))
        }
        return .unknown
    }

    /// The GPU architectures `framework` `version`'s `variant` wheels for `platform` are built for, when a
    /// `platform_wheels:` row lists them; nil for linux/amd64 (the framework rows' `archs`) and when no row says.
    package func wheelArchs(_ framework: FrameworkName, _ version: Version, variant: String, platform: String)
        -> (archs: [String], provenance: Provenance)?
    {
        guard platform != ContainerPlatform.amd64 else { return nil }
        for row in platformWheels
        where row.framework == framework.rawValue && row.platform == platform && row.versions.matches(version) {
            if let archs = row.archs[variant] { return (archs, row.provenance) }
        }
        return nil
    }

    /// The oldest release of `framework` with a build known to publish CUDA wheels for `platform`.
    package func firstRelease(_ framework: FrameworkName, platform: String) -> Version? {
        guard let family = family(framework) else { return nil }
        for release in family.releases.sorted(by: { $0.version < $1.version }) where !release.version.isPrerelease {
            for build in release.builds {
                let rows = platformWheels.filter {
                    $0.framework == framework.rawValue && $0.platform == platform
                        && $0.versions.matches(release.version)
                }
                if rows.contains(where: { $0.variants.contains(build.variant) }) { return release.version }
            }
        }
        return nil
    }
}

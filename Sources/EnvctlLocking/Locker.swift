import Digest
package import EnvctlKnowledge
package import EnvctlModel
package import EnvctlPython
package import EnvctlResolver
import Foundation
package import OCIRegistry

/// Errors while locking that are not resolution failures.
package struct LockError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case imagePinningFailed
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}

/// Options for one `envctl lock` run.
package struct LockOptions: Sendable {
    /// No network at all: the registry is skipped (images stay recorded by tag) and uv runs with `--offline`
    /// (its cache only; indexes on loopback or `file:` stay usable).
    package var offline: Bool
    /// `--no-registry`: skip the registry only (images stay recorded by tag); uv still fetches from its indexes.
    package var noRegistry: Bool
    /// Extra variables for uv: the corporate network's CA bundle, netrc and proxies (``NetworkAccess``).
    package var uvEnvironment: [String: String]
    /// The Python platform wheels are chosen for.
    package var platform: String
    /// The container platform image digests are chosen for.
    package var imagePlatform: String
    /// The lock being replaced (`add`, `upgrade`): uv prefers its Python pins, and an image whose reference is
    /// unchanged keeps its digest unless `refreshImages`. Nil for a fresh `envctl lock`.
    package var previous: Lockfile? = nil
    /// Per environment, which preferred Python pins may move anyway (`upgrade PKG`, `upgrade --all`).
    package var upgrade: [String: PinUpgrade] = [:]
    /// With `previous`: pin every image by digest again instead of keeping the previous digests.
    package var refreshImages = false

    package init(
        offline: Bool = false, noRegistry: Bool = false, platform: String = "x86_64-manylinux_2_28",
        imagePlatform: String = "linux/amd64", uvEnvironment: [String: String] = [:]
    ) {
        self.offline = offline
        self.noRegistry = noRegistry
        self.uvEnvironment = uvEnvironment
        self.platform = platform
        self.imagePlatform = imagePlatform
    }
}

/// Builds an `envctl.lock` from a spec: resolve the GPU stack, pin Python packages with hashes, pin images by digest.
package struct Locker: Sendable {
    package var knowledgeBase: KnowledgeBase
    package var pinner: UVPinner?
    package var images: (any ImageRegistry)?
    package var generatedBy: String

    package init(knowledgeBase: KnowledgeBase, pinner: UVPinner?, images: (any ImageRegistry)?, generatedBy: String) {
        self.knowledgeBase = knowledgeBase
        self.pinner = pinner
        self.images = images
        self.generatedBy = generatedBy
    }

    /// The hash of everything the lock was made from: the spec's bytes, the requirements files it names, and
    /// the knowledge base version. `lock --check` compares it.
    package static func inputsHash(spec: Spec, knowledgeBase: KnowledgeBase) -> String {
        var h = SHA256()
        h.update("spec\0\(spec.source)\0")
        for env in spec.environments {
            if let req = env.requirements {
                // The same rule as locking (`SpecPath`): a path the lock could not use hashes as unreadable.
                let contents =
                    (try? SpecPath.resolve(req, specPath: spec.path, what: "requirements file").read())
                    .map { String(decoding: $0, as: UTF8.self) } ?? "<missing>"
                h.update("requirements\0\(env.name)\0\(contents)\0")
            }
        }
        h.update("kb\0\(knowledgeBase.version)\0\(knowledgeBase.date)")
        return "sha256:" + h.finalizeHex()
    }

    /// Produces the lock. Throws ``ResolverError`` when the stack can't be solved, ``PythonPinError`` or
    /// ``LockError`` when pinning fails.
    package func lock(_ spec: Spec, options: LockOptions = LockOptions()) async throws -> Lockfile {
        let gpu = spec.gpuOnly
        let resolutions = gpu.environments.isEmpty ? [] : try Resolver(knowledgeBase: knowledgeBase).resolve(gpu)
        let byName = Dictionary(zip(gpu.environments.map(\.name), resolutions), uniquingKeysWith: { a, _ in a })
        var environments: [LockedEnvironment] = []
        for env in spec.environments {
            if let resolution = byName[env.name], !env.isPlain {
                environments.append(try await lockEnvironment(env, resolution, spec: spec, options: options))
            } else {
                environments.append(try await lockPlain(env, spec: spec, options: options))
            }
        }
        let fleet = Self.fleet(spec, knowledgeBase: knowledgeBase)
        return Lockfile(
            generatedBy: generatedBy,
            knowledgeBase: KnowledgeBaseStamp(version: knowledgeBase.version, date: knowledgeBase.date),
            specHash: Self.inputsHash(spec: spec, knowledgeBase: knowledgeBase), fleet: fleet,
            environments: environments)
    }

    /// The lock's `fleet:` entry for a spec (nil when the spec names no fleet).
    package static func fleet(_ spec: Spec, knowledgeBase: KnowledgeBase) -> LockedFleet? {
        spec.fleet.driver == nil && spec.fleet.gpus.isEmpty
            ? nil
            : LockedFleet(
                driver: spec.fleet.driver?.value.text,
                gpus: spec.fleet.gpus.compactMap { g in
                    knowledgeBase.gpu(named: g.value).map { LockedGPU(name: g.value, arch: $0.sm.smName) }
                })
    }

    /// The warning of an environment locked without registry access.
    package static let offlineImagesWarning =
        "base images are recorded by tag only (locked offline); run 'envctl lock' with registry access to pin digests"
    /// The warning of an environment locked with `--no-registry` (Python pins fetched, registry not asked).
    package static let noRegistryImagesWarning =
        "base images are recorded by tag only (locked with --no-registry); run 'envctl lock' with registry access to pin digests"
    /// Either warning: what a lock pinned by tag only may carry.
    package static let byTagWarnings = [offlineImagesWarning, noRegistryImagesWarning]

    /// The lock entry for one environment without Python pins or digests: what `resolve` shows and `--check` compares.
    package static func skeleton(_ env: EnvironmentSpec, _ r: Resolution) -> LockedEnvironment {
        let framework = r.framework.map { f in
            LockedFramework(
                name: f.name.rawValue, version: f.version.text, variant: f.variant, package: f.package,
                indexURL: f.indexURL,
                extra: f.extra, companions: f.companions.mapValues(\.text))
        }
        return LockedEnvironment(
            name: env.name, framework: framework, cuda: r.cuda.text, cudnn: r.cudnn?.text, python: r.python.text,
            os: r.os,
            driver: LockedDriver(
                minimum: r.driverMinimum?.text, fullCompatibility: r.driverFull?.text, compatibility: r.compatibility),
            archs: r.archs, cudaLibraries: r.cudaLibraries.rawValue,
            images: LockedImages(
                base: LockedImage(reference: r.baseImage), builder: LockedImage(reference: r.builderImage)),
            image: env.image?.value, apt: env.apt.map(\.value), env: env.env,
            pythonPackages: LockedPython(platform: "", packages: []), reasons: r.reasons, warnings: r.warnings,
            pythonRuntime: r.pythonRuntime, platforms: r.platforms)
    }

    /// The uv `--python-platform` for a container platform: `options.platform` for linux/amd64.
    package static func pythonPlatform(_ platform: String, options: LockOptions) -> String {
        platform == ContainerPlatform.amd64 ? options.platform : ContainerPlatform.pythonPlatform(platform) ?? platform
    }

    /// A plain environment's lock entry without its digest: the spec's fields, each `copy:` source held to the
    /// lexical half of the ``SpecPath`` rule (relative, inside the repository). The sources are build outputs that
    /// need not exist at lock time; `build` resolves them fully. `lock --check` compares the entry.
    /// - Throws: ``DiagnosticsError`` at the spec's line for a `copy:` source that breaks the rule.
    package static func plainSkeleton(_ env: EnvironmentSpec, spec: Spec) throws(DiagnosticsError)
        -> LockedEnvironment
    {
        for c in env.copy {
            try SpecPath.checkLexically(c.from, specPath: spec.path, what: "copy source")
        }
        var locked = LockedEnvironment.plain(
            name: env.name, base: env.base?.value ?? "", image: env.image?.value, apt: env.apt.map(\.value),
            env: env.env, copy: env.copy.map { LockedCopy(from: $0.from.value, to: $0.to) }, entrypoint: env.entrypoint,
            cmd: env.cmd)
        locked.workdir = env.workdir
        return locked
    }

    /// A plain environment: no resolver, no Python; its `base:` pinned by digest like a GPU environment's images.
    func lockPlain(_ env: EnvironmentSpec, spec: Spec, options: LockOptions) async throws -> LockedEnvironment {
        var locked = try Self.plainSkeleton(env, spec: spec)
        let ref = locked.images.base.reference
        if let old = options.previous?.environment(named: env.name), !options.refreshImages,
            old.images.base.reference == ref, old.images.base.digest != nil
        {
            locked.images = old.images
        } else if let images, !options.offline, !options.noRegistry {
            do {
                let pinned = try await images.pin(ref, platform: options.imagePlatform)
                locked.images.base.digest = pinned.digest.description
                locked.images.base.platformDigest = pinned.platformManifestDigest.description
                locked.images.builder = locked.images.base
            } catch {
                throw LockError(
                    .imagePinningFailed,
                    "cannot pin \(ref) by digest: \(error)\n(use --no-registry to lock by tag for now)")
            }
        } else {
            locked.warnings.append(options.offline ? Self.offlineImagesWarning : Self.noRegistryImagesWarning)
        }
        locked.hash = Self.contentHash(locked)
        return locked
    }

    func lockEnvironment(_ env: EnvironmentSpec, _ r: Resolution, spec: Spec, options: LockOptions) async throws
        -> LockedEnvironment
    {
        var locked = Self.skeleton(env, r)
        let platforms = r.platforms.isEmpty ? Resolution.defaultPlatforms : r.platforms
        locked.pythonPackages.platform = Self.pythonPlatform(platforms[0], options: options)

        // Python: the framework's own lines, then the user's requirements file and inline packages.
        var lines = locked.framework?.requirementLines ?? []
        if let req = env.requirements {
            // Relative to the spec, inside the repository, a regular file (`SpecPath`); its own `-r`/`-c`
            // includes are held to the same rule before uv reads any of them.
            let file = try SpecPath.resolve(req, specPath: spec.path, what: "requirements file")
            try RequirementsIncludes.check(file, specPath: spec.path)
            lines.append("-r \(file.resolved)")
        }
        lines += env.packages.map(\.value)
        if !lines.isEmpty {
            guard let pinner else {
                throw PythonPinError(.toolMissing, "no uv available to pin Python packages")
            }
            // Each platform is pinned on its own: wheels and hashes differ (aarch64 wheels, other nvidia-* pins).
            for (i, platform) in platforms.enumerated() {
                let pyPlatform = Self.pythonPlatform(platform, options: options)
                var req = PinRequest(
                    requirements: lines, python: r.python.text, platform: pyPlatform,
                    defaultIndex: spec.pythonIndexes.defaultIndex, frameworkIndex: r.framework?.indexURL,
                    mirrors: spec.pythonIndexes.mirrors, offline: options.offline,
                    constraints: env.cudaWheels?.value == .knowledgeBase ? Self.knowledgeBaseWheelConstraints(r) : [])
                req.environment = options.uvEnvironment
                if let old = options.previous?.environment(named: env.name) {
                    let previous = i == 0 ? old.pythonPackages : old.platformPythonPackages[platform]
                    req.preferences = (previous?.packages ?? []).map { "\($0.name)==\($0.version)" }
                    req.upgrade = options.upgrade[env.name] ?? .none
                }
                let pins = try await pinner.pin(req)
                if i == 0 {
                    locked.pythonPackages.packages = pins
                } else {
                    locked.platformPythonPackages[platform] = LockedPython(platform: pyPlatform, packages: pins)
                }
            }
        }
        try Self.applyCUDAWheels(&locked, resolution: r, spec: spec, knowledgeBase: knowledgeBase)

        // Images: keep the previous lock's digests where asked and the reference is unchanged.
        if let old = options.previous?.environment(named: env.name), !options.refreshImages,
            old.platforms == locked.platforms,
            old.images.base.reference == locked.images.base.reference, old.images.base.digest != nil,
            old.images.builder.reference == locked.images.builder.reference, old.images.builder.digest != nil
        {
            locked.images = old.images
        } else if let images, !options.offline, !options.noRegistry {  // Pin by digest unless offline.
            for keyPath in [\LockedImages.base, \LockedImages.builder] {
                let ref = locked.images[keyPath: keyPath].reference
                do {
                    // One index digest; the first platform's manifest under platform_digest, the others under
                    // platform_digests. A tag without a manifest for a platform fails here.
                    for (i, platform) in platforms.enumerated() {
                        let pinned = try await images.pin(
                            ref, platform: platform == ContainerPlatform.amd64 ? options.imagePlatform : platform)
                        locked.images[keyPath: keyPath].digest = pinned.digest.description
                        if i == 0 {
                            locked.images[keyPath: keyPath].platformDigest = pinned.platformManifestDigest.description
                        } else {
                            locked.images[keyPath: keyPath].platformDigests[platform] =
                                pinned.platformManifestDigest.description
                        }
                    }
                } catch {
                    throw LockError(
                        .imagePinningFailed,
                        "cannot pin \(ref) by digest: \(error)\n(use --no-registry to lock by tag for now; Python packages are still pinned)"
                    )
                }
            }
        } else {
            locked.warnings.append(options.offline ? Self.offlineImagesWarning : Self.noRegistryImagesWarning)
        }
        locked.hash = Self.contentHash(locked)
        return locked
    }

    /// Makes `cuda`, `cudnn` and `driver` state what the pinned `nvidia-*` wheels install when CUDA libraries come
    /// from the wheels and the pins differ from the knowledge base's stack (another CUDA minor or cuDNN release):
    /// the pinned stack is checked against the fleet with the resolver's rules, the knowledge base's stack is kept
    /// under `expected`, and the reasons say so. Deterministic in the lock's own pins, so `lock --check` derives
    /// the same fields offline.
    ///
    /// Every platform's pins are checked (`python_packages` and each of `platform_python_packages`). Platforms
    /// that pin the same wheels are checked together against the fleet GPUs of those platforms (all of them when
    /// every platform pins the same, as before platforms existed); platforms that pin other wheels are checked
    /// against their own GPUs, and their sentences name them ("the pinned linux/arm64 wheels install …"). The
    /// fields state the first platform's stack; another stack adds its reasons and warnings, named.
    /// - Throws: ``ResolverError`` when a platform's pinned stack contradicts the fleet, with numbered reasons and fixes.
    package static func applyCUDAWheels(
        _ locked: inout LockedEnvironment, resolution r: Resolution, spec: Spec, knowledgeBase: KnowledgeBase
    ) throws(ResolverError) {
        guard r.cudaLibraries == .wheels else { return }
        let platforms = locked.platforms.isEmpty ? Resolution.defaultPlatforms : locked.platforms
        let pins =
            [locked.pythonPackages.packages]
            + platforms.dropFirst().map { locked.platformPythonPackages[$0]?.packages ?? [] }
        // Platforms with the same wheels, in the lock's platform order (the first platform's group first).
        var groups: [(wheels: CUDAWheelStack, platforms: [String])] = []
        for (platform, packages) in zip(platforms, pins) {
            let wheels = CUDAWheelStack(packages: packages)
            if let i = groups.firstIndex(where: { $0.wheels == wheels }) {
                groups[i].platforms.append(platform)
            } else {
                groups.append((wheels, [platform]))
            }
        }
        guard groups.contains(where: { !$0.wheels.isEmpty }) else { return }
        if spec.environment(named: r.environment)?.cudaWheels?.value == .knowledgeBase {
            let lines = knowledgeBaseWheelConstraints(r).joined(separator: " and ")
            locked.reasons.append(
                "The nvidia-* wheels are held to the knowledge base's CUDA and cuDNN (cuda_wheels: knowledge-base): \(lines)."
            )
        }
        for (i, group) in groups.enumerated() where !group.wheels.isEmpty {
            let every = group.platforms.count == platforms.count
            guard
                let pinned = try checkPinnedWheels(
                    group.wheels, platforms: every ? nil : group.platforms, resolution: r, spec: spec,
                    knowledgeBase: knowledgeBase)
            else { continue }
            let sentence = pinned.summary.prefix(1).uppercased() + pinned.summary.dropFirst() + "."
            guard i == 0 else {
                // Other platforms' wheels: the fields keep the first platform's stack; these sentences name them.
                let on = Self.list(group.platforms)
                locked.reasons.append(sentence)
                for reason in pinned.check.reasons where !locked.reasons.contains(reason) {
                    locked.reasons.append("On \(on): \(reason)")
                }
                for w in pinned.check.warnings where !locked.warnings.contains(w) {
                    locked.warnings.append("\(on): \(w)")
                }
                continue
            }
            let wheels = group.wheels
            locked.cudaWheels = Dictionary(
                uniqueKeysWithValues: wheels.components.map { ($0.key.rawValue, $0.value.version.text) })
            locked.expected = LockedExpectation(cuda: locked.cuda, cudnn: locked.cudnn, driver: locked.driver)
            if let rt = pinned.runtime { locked.cuda = rt.version.text }
            if let c = pinned.cudnn { locked.cudnn = c.version.text }
            locked.driver = pinned.check.driver
            locked.reasons.removeAll { pinned.expectedCheck.reasons.contains($0) }
            locked.warnings.removeAll {
                pinned.expectedCheck.warnings.contains($0) && !pinned.check.warnings.contains($0)
            }
            locked.reasons.append(sentence)
            locked.reasons += pinned.check.reasons
            for w in pinned.check.warnings where !locked.warnings.contains(w) { locked.warnings.append(w) }
        }
    }

    /// One platform's pinned `nvidia-*` stack where it differs from the knowledge base's, checked against the fleet.
    struct PinnedWheels {
        /// The runtime wheel when its CUDA minor differs from the knowledge base's; the cuDNN wheel when its
        /// release differs.
        var runtime: CUDAWheelStack.Component?
        var cudnn: CUDAWheelStack.Component?
        var check: PinnedStackCheck
        var expectedCheck: PinnedStackCheck
        /// "the pinned wheels install …, not the knowledge base's …" (naming the platform when given).
        var summary: String
    }

    /// Checks `wheels` (the pins of `platforms`, nil when every platform of the lock pins them) against the
    /// fleet GPUs of those platforms; nil when they install the knowledge base's CUDA minor and cuDNN release.
    /// - Throws: ``ResolverError`` when the pinned stack contradicts the fleet.
    static func checkPinnedWheels(
        _ wheels: CUDAWheelStack, platforms: [String]?, resolution r: Resolution, spec: Spec,
        knowledgeBase: KnowledgeBase
    ) throws(ResolverError) -> PinnedWheels? {
        let held = spec.environment(named: r.environment)?.cudaWheels?.value == .knowledgeBase
        let kbMinor = r.cuda.truncated(to: 2)
        let runtime = wheels.runtime.flatMap { rt in wheels.cudaMinor == kbMinor ? nil : rt }
        let pinnedCuDNN = wheels.cudnn.flatMap { c -> CUDAWheelStack.Component? in
            guard let kb = r.cudnn else { return c }
            return Version.compare(kb.truncated(to: 3).components, c.version.truncated(to: 3).components) == 0 ? nil : c
        }
        guard runtime != nil || pinnedCuDNN != nil else { return nil }

        let resolver = Resolver(knowledgeBase: knowledgeBase)
        let cuda = runtime.map { $0.version.truncated(to: 2) } ?? r.cuda
        let cudnn = wheels.cudnn?.version ?? r.cudnn
        let check = resolver.check(
            cuda: cuda, cudnn: cudnn, cudnnFrom: wheels.cudnn.map { "\($0.package) \($0.version.text)" }, for: r,
            in: spec, platforms: platforms)
        let expectedCheck = resolver.check(
            cuda: r.cuda, cudnn: r.cudnn, cudnnFrom: nil, for: r, in: spec, platforms: platforms)

        var installs: [String] = []
        var instead: [String] = []
        if let rt = runtime {
            installs.append("CUDA \(cuda) (\(rt.package) \(rt.version.text))")
            instead.append("CUDA \(r.cuda)")
        }
        if let c = pinnedCuDNN {
            installs.append("cuDNN \(c.version.text) (\(c.package))")
            instead.append("cuDNN \(r.cudnn?.text ?? "(unknown)")")
        }
        let toolkitNote =
            runtime != nil && check.toolkit != cuda ? ", checked with CUDA \(check.toolkit)'s driver requirements" : ""
        let subject = platforms.map { "the pinned \(Self.list($0)) wheels" } ?? "the pinned wheels"
        let summary =
            "\(subject) install \(Self.list(installs)), not the knowledge base's \(Self.list(instead))\(toolkitNote)"

        guard check.problems.isEmpty else {
            var suggestions: [String] = []
            if expectedCheck.problems.isEmpty {
                var lines: [String] = []
                if let rt = runtime { lines.append("\(rt.package)<\(r.cuda.major).\(r.cuda.minor + 1)") }
                if let c = pinnedCuDNN, let kb = r.cudnn { lines.append("\(c.package)<\(kb.major).\(kb.minor + 1)") }
                if !lines.isEmpty, !held {
                    suggestions.append(
                        "hold the wheels to the knowledge base's stack: set cuda_wheels: knowledge-base in environment '\(r.environment)'"
                    )
                }
                if !lines.isEmpty {
                    let quoted = lines.map { "\"" + $0 + "\"" }.joined(separator: " and ")
                    suggestions.append(
                        "keep the wheels on the knowledge base's stack: add \(quoted) to packages in environment '\(r.environment)'"
                    )
                }
            }
            if let minimum = check.driver.minimum, let fleet = spec.fleet.driver?.value,
                let m = Version(minimum), fleet < m
            {
                suggestions.append("upgrade the fleet driver to >= \(minimum)")
            }
            throw ResolverError(
                failures: [
                    ResolutionFailure(
                        environment: r.environment, sentences: [summary] + check.problems, suggestions: suggestions)
                ], diagnostics: [])
        }
        return PinnedWheels(
            runtime: runtime, cudnn: pinnedCuDNN, check: check, expectedCheck: expectedCheck, summary: summary)
    }

    /// The constraints `cuda_wheels: knowledge-base` gives uv: the CUDA runtime at the knowledge base's CUDA minor
    /// and cuDNN at its minor, under the wheel names of the CUDA major (`nvidia-cuda-runtime` from CUDA 13 on).
    package static func knowledgeBaseWheelConstraints(_ r: Resolution) -> [String] {
        let major = r.cuda.major
        let runtime = major >= 13 ? "nvidia-cuda-runtime" : "nvidia-cuda-runtime-cu\(major)"
        var lines = ["\(runtime)==\(major).\(r.cuda.minor).*"]
        if let c = r.cudnn { lines.append("nvidia-cudnn-cu\(major)==\(c.major).\(c.minor).*") }
        return lines
    }

    static func list(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// `sha256:` over what determines the built image: every encoded field of the environment (framework and
    /// its index, CUDA, cuDNN, Python and its `python_runtime` build, URLs and sha256s, OS, platforms, driver, `expected`, `cuda_wheels`, archs, images with both digests, image repository, apt, env,
    /// and every Python pin with its version, index and hashes). Reasons, warnings and push records don't count.
    /// `lock --check` recomputes it, so a hand edit of any covered field shows.
    package static func contentHash(_ env: LockedEnvironment) -> String {
        var e = env
        e.hash = ""
        e.reasons = []
        e.warnings = []
        e.pushed = nil
        // A linux/amd64-only environment hashes as before platforms existed; any other set is covered.
        if e.platforms == Resolution.defaultPlatforms { e.platforms = [] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(e)) ?? Data()
        return "sha256:" + SHA256.hex(data)
    }
}

extension LockError: EnvctlFailure {
    package var failureKind: FailureKind { .failure }
}

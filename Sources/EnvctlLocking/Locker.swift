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
    /// Skip the registry: base images stay recorded by tag. uv runs with `--offline` (its cache only).
    package var offline: Bool
    /// The Python platform wheels are chosen for.
    package var platform: String
    /// The container platform image digests are chosen for.
    package var imagePlatform: String

    package init(
        offline: Bool = false, platform: String = "x86_64-manylinux_2_28", imagePlatform: String = "linux/amd64"
    ) {
        self.offline = offline
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
        let resolutions = try Resolver(knowledgeBase: knowledgeBase).resolve(spec)
        var environments: [LockedEnvironment] = []
        for (env, resolution) in zip(spec.environments, resolutions) {
            environments.append(try await lockEnvironment(env, resolution, spec: spec, options: options))
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
            pythonPackages: LockedPython(platform: "", packages: []), reasons: r.reasons, warnings: r.warnings)
    }

    func lockEnvironment(_ env: EnvironmentSpec, _ r: Resolution, spec: Spec, options: LockOptions) async throws
        -> LockedEnvironment
    {
        var locked = Self.skeleton(env, r)
        locked.pythonPackages.platform = options.platform

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
            let request = PinRequest(
                requirements: lines, python: r.python.text, platform: options.platform,
                defaultIndex: spec.pythonIndexes.defaultIndex, frameworkIndex: r.framework?.indexURL,
                mirrors: spec.pythonIndexes.mirrors, offline: options.offline)
            locked.pythonPackages.packages = try await pinner.pin(request)
        }

        // Images: pin by digest unless offline.
        if let images, !options.offline {
            for keyPath in [\LockedImages.base, \LockedImages.builder] {
                let ref = locked.images[keyPath: keyPath].reference
                do {
                    let pinned = try await images.pin(ref, platform: options.imagePlatform)
                    locked.images[keyPath: keyPath].digest = pinned.digest.description
                    locked.images[keyPath: keyPath].platformDigest = pinned.platformManifestDigest.description
                } catch {
                    throw LockError(
                        .imagePinningFailed,
                        "cannot pin \(ref) by digest: \(error)\n(use --offline to lock by tag for now)")
                }
            }
        } else {
            locked.warnings.append(Self.offlineImagesWarning)
        }
        locked.hash = Self.contentHash(locked)
        return locked
    }

    /// `sha256:` over what determines the built image: every encoded field of the environment (framework and
    /// its index, CUDA, cuDNN, Python, OS, driver, archs, images with both digests, image repository, apt, env,
    /// and every Python pin with its version, index and hashes). Reasons, warnings and push records don't count.
    /// `lock --check` recomputes it, so a hand edit of any covered field shows.
    package static func contentHash(_ env: LockedEnvironment) -> String {
        var e = env
        e.hash = ""
        e.reasons = []
        e.warnings = []
        e.pushed = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(e)) ?? Data()
        return "sha256:" + SHA256.hex(data)
    }
}

extension LockError: EnvctlFailure {
    package var failureKind: FailureKind { .failure }
}

import Digest
package import EnvctlKnowledge
import EnvctlLocking
package import EnvctlModel
import EnvctlResolver
import Foundation

/// Builds small but complete locks for tests.
package enum LockFactory {
    package static func environment(
        name: String = "train", cuda: String = "12.4.1", cudnn: String? = "9.1.0", torch: String = "2.5.1",
        driverMinimum: String? = "525.60.13", fullCompatibility: String? = "550.54.15",
        compatibility: LockedDriver.Compatibility = .full, archs: [String] = ["sm_80", "sm_90"],
        image: String? = "registry.example.com/team/train",
        pushed: PushedImage? = PushedImage(
            reference: "registry.example.com/team/train:envctl-0123456789abcdef",
            digest: "sha256:" + String(repeating: "a", count: 64)),
        packages: [(String, String)] = [("numpy", "1.26.4"), ("torch", "2.5.1")], hash: String? = nil
    ) -> LockedEnvironment {
        LockedEnvironment(
            name: name, hash: hash ?? "sha256:" + String(repeating: "1", count: 64),
            framework: LockedFramework(
                name: "torch", version: torch, variant: "cu124", package: "torch",
                indexURL: "https://download.pytorch.org/whl/cu124", extra: nil, companions: [:]),
            cuda: cuda, cudnn: cudnn, python: "3.11", os: "ubuntu22.04",
            driver: LockedDriver(
                minimum: driverMinimum, fullCompatibility: fullCompatibility, compatibility: compatibility),
            archs: archs, cudaLibraries: "wheels",
            images: LockedImages(
                base: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
                    digest: "sha256:" + String(repeating: "b", count: 64)),
                builder: LockedImage(
                    reference: "docker.io/nvidia/cuda:12.4.1-devel-ubuntu22.04",
                    digest: "sha256:" + String(repeating: "c", count: 64))),
            image: image, apt: [], env: [:],
            pythonPackages: LockedPython(
                platform: "x86_64-manylinux_2_28",
                packages: packages.map {
                    LockedPackage(
                        name: $0.0, version: $0.1, index: nil, hashes: ["sha256:" + String(repeating: "d", count: 64)])
                }),
            reasons: [], warnings: [], pushed: pushed)
    }

    package static func lockfile(_ environments: [LockedEnvironment]) -> Lockfile {
        Lockfile(
            generatedBy: "envctl 0.1.0", knowledgeBase: KnowledgeBaseStamp(version: "2026.11.0", date: "2026-11-25"),
            specHash: "sha256:" + String(repeating: "e", count: 64), fleet: nil, environments: environments)
    }
}

extension LockFactory {
    /// What `envctl lock` writes for `spec`, without uv or a registry: the resolver's stack, `packages` as the
    /// Python pins (by default one pin per framework and inline requirement, from the framework's index or the
    /// default index, plus numpy as a dependency), images pinned by digest when `digests`, and each environment's
    /// content hash. `lock --check` passes on it; tamper tests edit it.
    package static func written(
        for spec: Spec, knowledgeBase: KnowledgeBase, packages: [String: [LockedPackage]] = [:], digests: Bool = true
    ) throws -> Lockfile {
        let resolutions = try Resolver(knowledgeBase: knowledgeBase).resolve(spec)
        var environments: [LockedEnvironment] = []
        for (env, r) in zip(spec.environments, resolutions) {
            var e = Locker.skeleton(env, r)
            e.pythonPackages.platform = Locker.pythonPlatform(e.platforms[0], options: LockOptions())
            e.pythonPackages.packages = packages[env.name] ?? defaultPins(e, env, spec)
            // The other platforms get the same pins under their own uv platform (what a pure-Python set resolves to).
            for platform in e.platforms.dropFirst() where !e.pythonPackages.packages.isEmpty {
                e.platformPythonPackages[platform] = LockedPython(
                    platform: Locker.pythonPlatform(platform, options: LockOptions()),
                    packages: e.pythonPackages.packages)
            }
            if digests {
                e.images.base.digest = fakeDigest(e.images.base.reference)
                e.images.base.platformDigest = e.images.base.digest
                e.images.builder.digest = fakeDigest(e.images.builder.reference)
                e.images.builder.platformDigest = e.images.builder.digest
                for platform in e.platforms.dropFirst() {
                    e.images.base.platformDigests[platform] = fakeDigest(e.images.base.reference + " " + platform)
                    e.images.builder.platformDigests[platform] = fakeDigest(e.images.builder.reference + " " + platform)
                }
            } else {
                e.warnings.append(Locker.offlineImagesWarning)
            }
            e.hash = Locker.contentHash(e)
            environments.append(e)
        }
        return Lockfile(
            generatedBy: "envctl test",
            knowledgeBase: KnowledgeBaseStamp(version: knowledgeBase.version, date: knowledgeBase.date),
            specHash: Locker.inputsHash(spec: spec, knowledgeBase: knowledgeBase),
            fleet: Locker.fleet(spec, knowledgeBase: knowledgeBase), environments: environments)
    }

    /// Recomputes each environment's content hash, as a careful forger would after a hand edit.
    package static func rehashed(_ lock: Lockfile) -> Lockfile {
        var copy = lock
        for i in copy.environments.indices { copy.environments[i].hash = Locker.contentHash(copy.environments[i]) }
        return copy
    }

    /// A well-formed digest that depends only on `text`.
    package static func fakeDigest(_ text: String) -> String { "sha256:" + SHA256.hex(Data(text.utf8)) }

    static func defaultPins(_ e: LockedEnvironment, _ env: EnvironmentSpec, _ spec: Spec) -> [LockedPackage] {
        var pins: [LockedPackage] = []
        func pin(_ name: String, _ version: String, _ index: String?) {
            pins.append(
                LockedPackage(name: name, version: version, index: index, hashes: [fakeDigest("\(name)-\(version)")]))
        }
        if let f = e.framework {
            let local = f.indexURL == nil ? "" : "+\(f.variant)"
            pin(f.package, f.version + local, f.indexURL ?? spec.pythonIndexes.defaultIndex)
            for (name, version) in f.companions {
                pin(name, version + local, f.indexURL ?? spec.pythonIndexes.defaultIndex)
            }
            pin("numpy", "2.1.0", spec.pythonIndexes.defaultIndex)
        }
        for p in env.packages {
            let name = String(p.value.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
            let version = p.value.split(separator: "==").dropFirst().first.map(String.init) ?? "1.0.0"
            pin(name, version, spec.pythonIndexes.defaultIndex)
        }
        return pins.sorted { $0.name < $1.name }
    }
}

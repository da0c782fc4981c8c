package import EnvctlModel

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

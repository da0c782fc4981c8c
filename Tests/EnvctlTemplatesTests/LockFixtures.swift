import EnvctlModel
import EnvctlTemplates
import Foundation

/// Hand-written locked environments covering each template family.
///
/// Digests and hashes are made up (the sha256 of a label) but well-formed; the goldens built from them
/// check structure and quoting. When `envctl lock` output for the examples is committed under
/// `lockfiles/`, goldens from those real locks join these.
enum LockFixtures {
    static func fakeDigest(_ label: String) -> String {
        // A stable, obviously synthetic digest: the label's bytes hex-encoded and padded.
        let hex = label.utf8.map { String(format: "%02x", $0) }.joined()
        return "sha256:" + String((hex + String(repeating: "0", count: 64)).prefix(64))
    }

    static func package(_ name: String, _ version: String, index: String? = PythonIndexSettings.pypi, hashes: Int = 1)
        -> LockedPackage
    {
        LockedPackage(
            name: name, version: version, index: index,
            hashes: (0..<hashes).map { fakeDigest("\(name)-\(version)-\($0)") })
    }

    static func environment(
        name: String = "train", framework: LockedFramework?, cudaLibraries: String = "wheels",
        base: String = "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
        builder: String = "docker.io/nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
        packages: [LockedPackage], apt: [String] = [], env: [String: String] = [:],
        archs: [String] = ["sm_80", "sm_90"], compatibility: LockedDriver.Compatibility = .full
    ) -> LockedEnvironment {
        LockedEnvironment(
            name: name, hash: fakeDigest("lock-\(name)-\(framework?.name ?? "cuda")"), framework: framework,
            cuda: "12.4.1", cudnn: "9.1.0", python: "3.11", os: "ubuntu22.04",
            driver: LockedDriver(minimum: "525.60.13", fullCompatibility: "550.54.15", compatibility: compatibility),
            archs: archs, cudaLibraries: cudaLibraries,
            images: LockedImages(
                base: LockedImage(
                    reference: base, digest: fakeDigest(base), platformDigest: fakeDigest(base + "amd64")),
                builder: LockedImage(reference: builder, digest: fakeDigest(builder), platformDigest: nil)),
            image: "registry.example.com/ml/\(name)", apt: apt, env: env,
            pythonPackages: LockedPython(platform: "x86_64-manylinux_2_28", packages: packages),
            reasons: [], warnings: [])
    }

    static let torch = environment(
        framework: LockedFramework(
            name: "torch", version: "2.5.1", variant: "cu124", package: "torch",
            indexURL: "https://download.pytorch.org/whl/cu124", extra: nil, companions: ["torchvision": "0.20.1"]),
        packages: [
            package("torch", "2.5.1+cu124", index: "https://download.pytorch.org/whl/cu124"),
            package("torchvision", "0.20.1+cu124", index: "https://download.pytorch.org/whl/cu124"),
            package("nvidia-cublas-cu12", "12.4.5.8"),
            package("nvidia-cudnn-cu12", "9.1.0.70"),
            package("numpy", "2.1.3", hashes: 2),
            package("filelock", "3.16.1"),
        ],
        apt: ["libgl1", "git"], env: ["HF_HOME": "/home/envctl/.cache/huggingface", "OMP_NUM_THREADS": "8"],
        compatibility: .minorVersion)

    static let tensorflow = environment(
        name: "tf",
        framework: LockedFramework(
            name: "tensorflow", version: "2.18.0", variant: "and-cuda", package: "tensorflow", indexURL: nil,
            extra: "and-cuda", companions: [:]),
        packages: [
            package("tensorflow", "2.18.0"), package("nvidia-cudnn-cu12", "9.3.0.75"), package("numpy", "2.0.2"),
        ],
        archs: ["sm_86"])

    static let jax = environment(
        name: "jax",
        framework: LockedFramework(
            name: "jax", version: "0.4.35", variant: "cuda12-local", package: "jax", indexURL: nil,
            extra: "cuda12-local", companions: [:]),
        cudaLibraries: "image", base: "docker.io/nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
        packages: [package("jax", "0.4.35"), package("jaxlib", "0.4.35"), package("jax-cuda12-plugin", "0.4.35")],
        archs: [])

    static let plainCUDA = environment(
        name: "cuda", framework: nil, cudaLibraries: "image",
        base: "docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", packages: [], apt: ["curl"])

    /// A plain environment (`kind: plain`): a Debian base by digest, ca-certificates, two copies, an entrypoint.
    static let plainImage: LockedEnvironment = {
        let base = "docker.io/library/debian:bookworm-slim"
        var e = LockedEnvironment.plain(
            name: "envctl", base: base, image: "registry.example.com/tools/envctl", apt: ["ca-certificates"],
            env: ["LANG": "C.UTF-8"],
            copy: [LockedCopy(from: "dist/envctl", to: "/opt/envctl"), LockedCopy(from: "NOTICE", to: "/NOTICE")],
            entrypoint: ["/opt/envctl/bin/envctl"], cmd: ["--help"])
        e.images.base.digest = fakeDigest(base)
        e.images.base.platformDigest = fakeDigest(base + "amd64")
        e.images.builder = e.images.base
        e.workdir = "/work"
        e.hash = fakeDigest("envctl-plain")
        return e
    }()

    static let inputs = RenderInputsFixture.standard
}

enum RenderInputsFixture {
    static let standard = RenderInputs(
        revision: "0123456789abcdef0123456789abcdef01234567", source: "https://github.com/example/ml-project",
        sourceDateEpoch: 1_714_564_800)
}

package import EnvctlModel
import Foundation

package struct SourceEntry: Sendable, Hashable, Codable {
    package var url: String
    package var what: String?
}

/// A CUDA toolkit release and the drivers it needs.
package typealias CUDARelease = Sourced<CUDAReleaseRow>
package struct CUDAReleaseRow: Sendable, Hashable, Codable {
    package var version: Version
    /// The driver bundled with the toolkit: full compatibility, PTX JIT included. Nil when unknown.
    package var driver: Version?
    /// The lowest driver allowed under CUDA minor-version compatibility (no PTX JIT).
    package var minorCompatFloor: Version?

    enum CodingKeys: String, CodingKey { case version, driver, minorCompatFloor = "minor_compat_floor" }
}

/// A cuDNN release and the CUDA lines it is packaged for.
package typealias CuDNNRelease = Sourced<CuDNNReleaseRow>
package struct CuDNNReleaseRow: Sendable, Hashable, Codable {
    package var version: Version
    /// CUDA minor versions (e.g. "12.4", "11.8") NVIDIA's support matrix lists.
    package var cuda: [Version]
    /// Compute capabilities supported, when the support matrix lists them.
    package var archs: [String]?
    /// The lowest compute capability supported, when a source states only that (no full list).
    package var minArch: ComputeCapability?

    enum CodingKeys: String, CodingKey { case version, cuda, archs, minArch = "min_arch" }
}

/// A GPU architecture (compute capability) and the CUDA toolkits that can target it.
package typealias GPUArchitecture = Sourced<GPUArchitectureRow>
package struct GPUArchitectureRow: Sendable, Hashable, Codable {
    /// Compute capability, e.g. "8.0", "12.0".
    package var sm: ComputeCapability
    package var family: String
    package var firstCUDA: Version?
    /// The last toolkit that still targets it; nil while still supported.
    package var lastCUDA: Version?

    enum CodingKeys: String, CodingKey { case sm, family, firstCUDA = "first_cuda", lastCUDA = "last_cuda" }
}

/// Which drivers can drive a GPU at all: the oldest driver known to support an architecture (or one product),
/// and the last driver branch that still supports it. A driver outside that range cannot drive the GPU,
/// whatever CUDA compatibility mode applies.
package typealias GPUDriverSupport = Sourced<GPUDriverSupportRow>
package struct GPUDriverSupportRow: Sendable, Hashable, Codable {
    /// Compute capabilities the row covers; optional in the file.
    package var architectures: [ComputeCapability]
    /// GPU names (`b200`) the row covers, for products whose range differs from their architecture's.
    package var gpus: [String]
    /// The oldest driver known to drive these GPUs. Older drivers are refused: not known to work.
    package var firstDriver: Version?
    /// The last driver branch (`470`, `580`) that supports these GPUs; newer branches don't drive them.
    package var lastBranch: Int?

    enum CodingKeys: String, CodingKey {
        case architectures, gpus, firstDriver = "first_driver", lastBranch = "last_branch"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.decodeIfPresent([ComputeCapability].self, forKey: .architectures) ?? []
        gpus = try c.decodeIfPresent([String].self, forKey: .gpus) ?? []
        firstDriver = try c.decodeIfPresent(Version.self, forKey: .firstDriver)
        lastBranch = try c.decodeIfPresent(Int.self, forKey: .lastBranch)
    }

    /// The identity used by overlays: the GPUs and architectures the row covers.
    package var key: String {
        (architectures.map(\.description) + gpus.map { GPUModel.normalise($0) }).sorted().joined(separator: ",")
    }
}

/// A marketing name (`a100`, `rtx4090`) mapped to its compute capability.
package typealias GPUModel = Sourced<GPUModelRow>
package struct GPUModelRow: Sendable, Hashable, Codable {
    package var name: String
    /// Other spellings; optional in the file.
    package var aliases: [String]
    package var sm: ComputeCapability
    /// The container platform of the host the GPU sits in (`linux/arm64` for Grace parts); nil means the
    /// default, `linux/amd64`.
    package var platform: String?
    /// A Jetson module (Tegra): it runs L4T/JetPack, a different CUDA stack from SBSA servers.
    package var tegra: Bool

    enum CodingKeys: String, CodingKey { case name, aliases, sm, platform, tegra }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        sm = try c.decode(ComputeCapability.self, forKey: .sm)
        platform = try c.decodeIfPresent(String.self, forKey: .platform)
        tegra = try c.decodeIfPresent(Bool.self, forKey: .tegra) ?? false
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if !aliases.isEmpty { try c.encode(aliases, forKey: .aliases) }
        try c.encode(sm, forKey: .sm)
        try c.encodeIfPresent(platform, forKey: .platform)
        if tegra { try c.encode(tegra, forKey: .tegra) }
    }
}

/// Which builds of a framework publish CUDA wheels for a platform other than `linux/amd64` (`platform_wheels:`).
/// The framework rows describe linux/amd64; a release no row covers is unknown on the other platform.
package typealias PlatformWheels = Sourced<PlatformWheelsRow>
package struct PlatformWheelsRow: Sendable, Hashable, Codable {
    /// `torch`, `jax`, `tensorflow`.
    package var framework: String
    /// `linux/arm64`.
    package var platform: String
    /// The releases the row covers.
    package var versions: VersionSpecifier
    /// The build variants (`cu128`, `cuda13`) known to publish CUDA wheels for the platform.
    package var variants: [String]
    /// Whether `variants` is all there is: no other variant of these releases publishes them. When false, a
    /// variant not listed is unknown.
    package var complete: Bool
    /// Per variant, the GPU architectures its wheels for this platform are built for (`cu126` -> `8.0`, `9.0`),
    /// where a source lists them; they can differ from the linux/amd64 build's `archs`. A variant not here is
    /// checked with the framework row's list.
    package var archs: [String: [String]]

    enum CodingKeys: String, CodingKey { case framework, platform, versions, variants, complete, archs }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        framework = try c.decode(String.self, forKey: .framework)
        platform = try c.decode(String.self, forKey: .platform)
        versions = try c.decode(VersionSpecifier.self, forKey: .versions)
        variants = try c.decodeIfPresent([String].self, forKey: .variants) ?? []
        complete = try c.decodeIfPresent(Bool.self, forKey: .complete) ?? false
        archs = try c.decodeIfPresent([String: [String]].self, forKey: .archs) ?? [:]
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(framework, forKey: .framework)
        try c.encode(platform, forKey: .platform)
        try c.encode(versions, forKey: .versions)
        try c.encode(variants, forKey: .variants)
        if complete { try c.encode(complete, forKey: .complete) }
        if !archs.isEmpty { try c.encode(archs, forKey: .archs) }
    }

    /// The identity used by overlays.
    package var key: String { "\(framework) \(platform) \(versions.text)" }
}

/// One published build of a framework release, e.g. torch 2.5.1 for cu124.
package struct FrameworkBuild: Sendable, Hashable, Codable {
    /// `cu124`, `cu130`, `and-cuda`, `cuda12`.
    package var variant: String
    /// The CUDA minor version the build's libraries come from.
    package var cuda: Version
    /// The cuDNN the build bundles or pulls in, when known.
    package var cudnn: Version?
    /// SASS architectures compiled in, e.g. ["8.0", "9.0", "12.0+PTX"]; nil when unknown.
    package var archs: [String]?
    /// The pip extra that selects this build (`and-cuda`, `cuda12`), if any.
    package var extra: String?
    /// The extra to use when CUDA libraries come from the image instead (`cuda12-local`).
    package var localExtra: String?
    /// Whether the build brings its own CUDA libraries through pip; true when the file doesn't say.
    package var bundlesCUDA: Bool

    enum CodingKeys: String, CodingKey {
        case variant, cuda, cudnn, archs, extra, localExtra = "local_extra", bundlesCUDA = "bundles_cuda"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        variant = try c.decode(String.self, forKey: .variant)
        cuda = try c.decode(Version.self, forKey: .cuda)
        cudnn = try c.decodeIfPresent(Version.self, forKey: .cudnn)
        archs = try c.decodeIfPresent([String].self, forKey: .archs)
        extra = try c.decodeIfPresent(String.self, forKey: .extra)
        localExtra = try c.decodeIfPresent(String.self, forKey: .localExtra)
        bundlesCUDA = try c.decodeIfPresent(Bool.self, forKey: .bundlesCUDA) ?? true
    }
}

/// A framework release (one exact version) and its builds.
package typealias FrameworkRelease = Sourced<FrameworkReleaseRow>
package struct FrameworkReleaseRow: Sendable, Hashable, Codable {
    package var version: Version
    package var python: VersionSpecifier
    /// Companion packages pinned together with the framework (torchvision, torchaudio); optional in the file.
    package var companions: [String: Version]
    package var builds: [FrameworkBuild]
    /// Index URL pattern for this release only (`{variant}` replaced), overriding the family's; used by
    /// overlay rows for nightlies and pre-releases (`https://download.pytorch.org/whl/nightly/{variant}`).
    package var index: String?

    enum CodingKeys: String, CodingKey { case version, python, companions, builds, index }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Version.self, forKey: .version)
        python = try c.decode(VersionSpecifier.self, forKey: .python)
        companions = try c.decodeIfPresent([String: Version].self, forKey: .companions) ?? [:]
        builds = try c.decode([FrameworkBuild].self, forKey: .builds)
        index = try c.decodeIfPresent(String.self, forKey: .index)
    }
}

/// Per-framework facts that apply to every release.
package struct FrameworkFamily: Sendable, Hashable, Codable {
    /// The pip package name.
    package var package: String
    /// Index URL pattern; `{variant}` is replaced by the build's variant. Nil means the default index.
    package var index: String?
    package var releases: [FrameworkRelease]
}

/// The nvidia/cuda tags that exist for one CUDA release.
package typealias CUDAImageRelease = Sourced<CUDAImageReleaseRow>
package struct CUDAImageReleaseRow: Sendable, Hashable, Codable {
    package var cuda: Version
    /// OS token (`ubuntu22.04`) -> flavors (`base`, `runtime`, `devel`, `cudnn-runtime`, `cudnn8-devel`, ...).
    package var os: [String: [String]]
    /// NV_CUDNN_VERSION inside the cudnn flavors, when known.
    package var cudnn: Version?
}

package struct CUDAImages: Sendable, Hashable, Codable {
    package var repository: String
    package var tags: [CUDAImageRelease]
}

/// A CPython minor release that envctl may choose.
package typealias PythonRelease = Sourced<PythonReleaseRow>
package struct PythonReleaseRow: Sendable, Hashable, Codable {
    package var version: Version
}

/// A Python interpreter an OS ships as a package, e.g. `python3.11` on ubuntu22.04.
package typealias OSPython = Sourced<OSPythonRow>
package struct OSPythonRow: Sendable, Hashable, Codable {
    package var os: String
    package var python: Version
    package var package: String
    /// The upstream version the package holds (`3.11.0~rc1`), when a source states it.
    package var packageVersion: String?

    enum CodingKeys: String, CodingKey { case os, python, package, packageVersion = "package_version" }

    /// Whether the package holds a pre-release (`~rc1`, `~b2`, `~a1`): never chosen under `python_source: os`.
    package var isPrerelease: Bool {
        guard let v = packageVersion else { return false }
        return v.range(of: #"(~|[0-9])(a|b|rc|alpha|beta)[0-9]*"#, options: .regularExpression) != nil
    }
}

/// One python-build-standalone archive: the upstream URL and its sha256 (64 hex digits).
package struct PythonBuildArchive: Sendable, Hashable, Codable {
    package var url: String
    package var sha256: String
}

/// An exact CPython build from python-build-standalone (`python_builds:`), with one archive per container
/// platform (`linux/amd64`, `linux/arm64`). The default interpreter of every image (`python_source: standalone`).
package typealias PythonBuild = Sourced<PythonBuildRow>
package struct PythonBuildRow: Sendable, Hashable, Codable {
    /// Exact CPython version, `3.11.18`; never a pre-release.
    package var version: Version
    /// The python-build-standalone release tag (its date), `20261110`.
    package var build: String
    /// The archive flavour, `install_only_stripped`.
    package var flavour: String
    package var platforms: [String: PythonBuildArchive]
}

/// The compatibility knowledge base: everything the resolver knows, each row with a source.
package struct KnowledgeBase: Sendable, Hashable, Codable {
    package var schemaVersion: Int
    package var version: String
    package var date: String
    package var sources: [String: SourceEntry]
    package var cuda: [CUDARelease]
    package var cudnn: [CuDNNRelease]
    package var python: [PythonRelease]
    /// Which Pythons each OS ships; an OS with no rows is unknown (any Python allowed, with a warning).
    package var osPython: [OSPython]
    /// Exact CPython builds from python-build-standalone, with URL and sha256 per platform.
    package var pythonBuilds: [PythonBuild]
    package var architectures: [GPUArchitecture]
    package var gpus: [GPUModel]
    /// Driver ranges per architecture and per product (`gpu_drivers:`).
    package var gpuDrivers: [GPUDriverSupport]
    package var frameworks: [String: FrameworkFamily]
    /// Which framework builds publish CUDA wheels for platforms other than linux/amd64 (`platform_wheels:`).
    package var platformWheels: [PlatformWheels]
    package var images: CUDAImages

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", version, date, sources, cuda, cudnn, python, osPython = "os_python",
            pythonBuilds = "python_builds",
            architectures, gpus, gpuDrivers = "gpu_drivers", frameworks, platformWheels = "platform_wheels", images
    }

    package func family(_ name: FrameworkName) -> FrameworkFamily? { frameworks[name.rawValue] }

    /// The toolkit rows for one CUDA minor, newest patch first.
    package func cudaReleases(minor: Version) -> [CUDARelease] {
        cuda.filter { $0.version.major == minor.major && $0.version.minor == minor.minor }
            .sorted { $0.version > $1.version }
    }

    package func cudaRelease(_ version: Version) -> CUDARelease? {
        cuda.first { Version.compare($0.version.components, version.components) == 0 }
    }

    /// The Pythons `os` ships, or nil when the knowledge base doesn't know.
    package func pythons(on os: String) -> [OSPython]? {
        let rows = osPython.filter { $0.os == os }
        return rows.isEmpty ? nil : rows
    }

    /// The newest python-build-standalone build of one Python minor (`3.11`) that has an archive for every
    /// platform in `platforms`; pre-releases are never chosen.
    package func pythonBuild(minor: Version, platforms: [String]) -> PythonBuild? {
        pythonBuilds.filter { b in
            b.version.major == minor.major && b.version.minor == minor.minor && !b.version.isPrerelease
                && platforms.allSatisfy { b.platforms[$0] != nil }
        }
        .max { $0.version < $1.version }
    }

    package func architecture(_ sm: ComputeCapability) -> GPUArchitecture? {
        architectures.first { $0.sm == sm }
    }

    /// The cuDNN row for a build number such as `9.1.0.70` (matched on the first three components).
    package func cudnnRelease(_ version: Version) -> CuDNNRelease? {
        let key = version.truncated(to: 3)
        return cudnn.first { Version.compare($0.version.truncated(to: 3).components, key.components) == 0 }
    }

    /// Looks up a GPU by name, alias or compute capability (`a100`, `A100-SXM4-80GB`, `sm_80`, `8.0`).
    package func gpu(named raw: String) -> (name: String, sm: ComputeCapability)? {
        if let cc = ComputeCapability(raw) { return (cc.smName, cc) }
        let key = GPUModel.normalise(raw)
        for model in gpus
        where GPUModel.normalise(model.name) == key || model.aliases.contains(where: { GPUModel.normalise($0) == key })
        {
            return (model.name, model.sm)
        }
        return nil
    }
}

extension Sourced where Row == GPUModelRow {
    /// `NVIDIA A100-SXM4-80GB`, `a100` and `A100` all normalise to `a100...`: lowercased, no spaces or dashes,
    /// without the vendor prefix.
    package static func normalise(_ s: String) -> String {
        var t = s.lowercased()
        for prefix in ["nvidia ", "nvidia-", "tesla ", "geforce "] where t.hasPrefix(prefix) {
            t.removeFirst(prefix.count)
        }
        return t.filter { $0.isLetter || $0.isNumber }
    }
}

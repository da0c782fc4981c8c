import Foundation

/// `envctl.lock`: everything needed to rebuild an environment exactly, written by `envctl lock`.
///
/// The file is YAML, schema-versioned (`lock_version`), and deterministic: the same spec and
/// knowledge base give the same bytes. Mappings are written in declaration order or sorted by key.
package struct Lockfile: Sendable, Hashable, Codable {
    package static let currentVersion = 1
    package static let fileName = "envctl.lock"

    package var lockVersion: Int
    package var generatedBy: String
    package var knowledgeBase: KnowledgeBaseStamp
    /// `sha256:` of the spec bytes, so `lock --check` can tell when envctl.yaml changed.
    package var specHash: String
    package var fleet: LockedFleet?
    package var environments: [LockedEnvironment]

    enum CodingKeys: String, CodingKey {
        case lockVersion = "lock_version", generatedBy = "generated_by", knowledgeBase = "knowledge_base"
        case specHash = "spec_hash", fleet, environments
    }

    package init(
        generatedBy: String, knowledgeBase: KnowledgeBaseStamp, specHash: String, fleet: LockedFleet?,
        environments: [LockedEnvironment]
    ) {
        self.lockVersion = Self.currentVersion
        self.generatedBy = generatedBy
        self.knowledgeBase = knowledgeBase
        self.specHash = specHash
        self.fleet = fleet
        self.environments = environments
    }

    package func environment(named name: String) -> LockedEnvironment? { environments.first { $0.name == name } }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lockVersion = try c.decode(Int.self, forKey: .lockVersion)
        guard lockVersion == Self.currentVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .lockVersion, in: c,
                debugDescription:
                    "lock_version \(lockVersion) is not supported by this envctl (it reads \(Self.currentVersion)); run 'envctl lock' to rewrite it"
            )
        }
        generatedBy = try c.decode(String.self, forKey: .generatedBy)
        knowledgeBase = try c.decode(KnowledgeBaseStamp.self, forKey: .knowledgeBase)
        specHash = try c.decode(String.self, forKey: .specHash)
        fleet = try c.decodeIfPresent(LockedFleet.self, forKey: .fleet)
        let envs = try c.decode(OrderedMap<LockedEnvironment>.self, forKey: .environments)
        environments = envs.entries.map { name, env in
            var e = env
            e.name = name
            return e
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lockVersion, forKey: .lockVersion)
        try c.encode(generatedBy, forKey: .generatedBy)
        try c.encode(knowledgeBase, forKey: .knowledgeBase)
        try c.encode(specHash, forKey: .specHash)
        try c.encodeIfPresent(fleet, forKey: .fleet)
        try c.encode(OrderedMap(entries: environments.map { ($0.name, $0) }), forKey: .environments)
    }
}

package struct KnowledgeBaseStamp: Sendable, Hashable, Codable {
    package var version: String
    package var date: String

    package init(version: String, date: String) {
        self.version = version
        self.date = date
    }
}

package struct LockedFleet: Sendable, Hashable, Codable {
    package var driver: String?
    package var gpus: [LockedGPU]

    package init(driver: String?, gpus: [LockedGPU]) {
        self.driver = driver
        self.gpus = gpus
    }
}

package struct LockedGPU: Sendable, Hashable, Codable {
    /// As written in the spec (`a100`, `sm_90`).
    package var name: String
    /// `sm_80`
    package var arch: String

    package init(name: String, arch: String) {
        self.name = name
        self.arch = arch
    }
}

/// The framework build an environment installs.
package struct LockedFramework: Sendable, Hashable, Codable {
    package var name: String
    package var version: String
    package var variant: String
    /// Pip package name (`torch`, `tensorflow`, `jax`).
    package var package: String
    /// Canonical index URL the build comes from; nil for the default index.
    package var indexURL: String?
    /// Pip extra that selects the CUDA flavour (`and-cuda`, `cuda12`), if any.
    package var extra: String?
    package var companions: [String: String]

    enum CodingKeys: String, CodingKey {
        case name, version, variant, package, indexURL = "index_url", extra, companions
    }

    package init(
        name: String, version: String, variant: String, package: String, indexURL: String?, extra: String?,
        companions: [String: String]
    ) {
        self.name = name
        self.version = version
        self.variant = variant
        self.package = package
        self.indexURL = indexURL
        self.extra = extra
        self.companions = companions
    }

    /// `torch 2.5.1+cu124`, or `tensorflow 2.18.1 [and-cuda]` where the variant is a pip extra, not a local version.
    package var label: String { Self.label(name: name, version: version, variant: variant) }

    /// Variants that name a wheel index (`cu124`) read as a local version; pip extras (`and-cuda`, `cuda12`) in brackets.
    package static func label(name: String, version: String, variant: String) -> String {
        let isIndexVariant = variant.hasPrefix("cu") && variant.dropFirst(2).allSatisfy(\.isNumber) || variant == "cpu"
        return isIndexVariant ? "\(name) \(version)+\(variant)" : "\(name) \(version) [\(variant)]"
    }

    /// The requirement lines this framework adds to the Python pins (`torch==2.5.1`, `torchvision==0.20.1`).
    package var requirementLines: [String] {
        let main = extra.map { "\(package)[\($0)]==\(version)" } ?? "\(package)==\(version)"
        return [main] + companions.keys.sorted().map { "\($0)==\(companions[$0]!)" }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        variant = try c.decode(String.self, forKey: .variant)
        package = try c.decode(String.self, forKey: .package)
        indexURL = try c.decodeIfPresent(String.self, forKey: .indexURL)
        extra = try c.decodeIfPresent(String.self, forKey: .extra)
        companions = try c.decodeIfPresent(OrderedMap<String>.self, forKey: .companions)?.dictionary ?? [:]
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(variant, forKey: .variant)
        try c.encode(package, forKey: .package)
        try c.encodeIfPresent(indexURL, forKey: .indexURL)
        try c.encodeIfPresent(extra, forKey: .extra)
        try c.encode(OrderedMap(sorting: companions), forKey: .companions)
    }
}

/// What the fleet's driver must be for this environment, and which compatibility mode it relies on.
package struct LockedDriver: Sendable, Hashable, Codable {
    package enum Compatibility: String, Sendable, Hashable, Codable {
        /// The fleet driver is at least the toolkit's own driver: everything works, PTX JIT included.
        case full
        /// The fleet driver is older than the toolkit's but within CUDA minor-version compatibility:
        /// no PTX JIT, and features that need a newer driver fail at run time.
        case minorVersion = "minor-version"
        /// No fleet driver was given, so nothing was checked.
        case unchecked
    }

    package var minimum: String?
    package var fullCompatibility: String?
    package var compatibility: Compatibility

    enum CodingKeys: String, CodingKey { case minimum, fullCompatibility = "full_compatibility", compatibility }

    package init(minimum: String?, fullCompatibility: String?, compatibility: Compatibility) {
        self.minimum = minimum
        self.fullCompatibility = fullCompatibility
        self.compatibility = compatibility
    }
}

/// What the knowledge base expected for an environment whose pinned `nvidia-*` wheels install another CUDA or
/// cuDNN: the `cuda`, `cudnn` and `driver` the resolver chose before pinning.
package struct LockedExpectation: Sendable, Hashable, Codable {
    package var cuda: String
    package var cudnn: String?
    package var driver: LockedDriver

    package init(cuda: String, cudnn: String?, driver: LockedDriver) {
        self.cuda = cuda
        self.cudnn = cudnn
        self.driver = driver
    }
}

/// A base or builder image: the tag it was chosen by and the digests it is pinned to.
package struct LockedImage: Sendable, Hashable, Codable {
    /// Fully qualified tag reference, e.g. `docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04`.
    package var reference: String
    /// Digest of what the tag pointed to (an index for multi-platform images). Nil when locked offline.
    package var digest: String?
    /// Digest of the manifest inside the index for the environment's first platform (`linux/amd64` unless the
    /// environment is arm64 only; equal to `digest` for single-platform images).
    package var platformDigest: String?
    /// The manifest digests of the environment's other platforms (`linux/arm64`), under the same index `digest`;
    /// empty for a single-platform environment.
    package var platformDigests: [String: String]

    enum CodingKeys: String, CodingKey {
        case reference, digest, platformDigest = "platform_digest", platformDigests = "platform_digests"
    }

    package init(
        reference: String, digest: String? = nil, platformDigest: String? = nil, platformDigests: [String: String] = [:]
    ) {
        self.reference = reference
        self.digest = digest
        self.platformDigest = platformDigest
        self.platformDigests = platformDigests
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reference = try c.decode(String.self, forKey: .reference)
        digest = try c.decodeIfPresent(String.self, forKey: .digest)
        platformDigest = try c.decodeIfPresent(String.self, forKey: .platformDigest)
        platformDigests = try c.decodeIfPresent(OrderedMap<String>.self, forKey: .platformDigests)?.dictionary ?? [:]
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encodeIfPresent(digest, forKey: .digest)
        try c.encodeIfPresent(platformDigest, forKey: .platformDigest)
        if !platformDigests.isEmpty { try c.encode(OrderedMap(sorting: platformDigests), forKey: .platformDigests) }
    }

    /// `reference@digest` when pinned, else the tag reference. This is what a FROM line uses.
    package var pinnedReference: String {
        guard let digest else { return reference }
        return "\(reference)@\(digest)"
    }
}

package struct LockedImages: Sendable, Hashable, Codable {
    /// The runtime stage's base.
    package var base: LockedImage
    /// The build stage's image (has nvcc and headers).
    package var builder: LockedImage

    package init(base: LockedImage, builder: LockedImage) {
        self.base = base
        self.builder = builder
    }
}

/// One Python distribution pinned with its hashes.
package struct LockedPackage: Sendable, Hashable, Codable {
    package var name: String
    package var version: String
    /// The index it was resolved from (canonical URL, before mirror rewriting).
    package var index: String?
    /// `sha256:<hex>` of every acceptable file (wheels and sdists) for the target platform.
    package var hashes: [String]

    package init(name: String, version: String, index: String?, hashes: [String]) {
        self.name = name
        self.version = version
        self.index = index
        self.hashes = hashes
    }

    /// `name==version --hash=sha256:...` lines for `pip install --require-hashes`.
    package var requirementLine: String {
        (["\(name)==\(version)"] + hashes.map { "--hash=\($0)" }).joined(separator: " \\\n    ")
    }
}

/// Where a built image was pushed (`envctl push --record`, `envctl build --push --record`).
package struct PushedImage: Sendable, Hashable, Codable {
    package var reference: String
    package var digest: String
    /// The inputs besides the lock that went into the image (`build --push --record` only), so that
    /// `envctl reproduce --rebuild` can build the same bytes from a later commit.
    package var build: BuildInputs?
    /// A multi-platform push (`build --platform linux/amd64,linux/arm64`): each platform's manifest digest under
    /// the image index that `digest` names, keyed `os/architecture`. Nil for a single-platform image.
    package var platforms: [String: String]?

    /// What an image's bytes depend on besides the lock: its labels carry the git revision and
    /// source URL, and every timestamp is `SOURCE_DATE_EPOCH`.
    package struct BuildInputs: Sendable, Hashable, Codable {
        package var revision: String?
        package var source: String?
        package var sourceDateEpoch: Int

        enum CodingKeys: String, CodingKey {
            case revision, source, sourceDateEpoch = "source_date_epoch"
        }

        package init(revision: String?, source: String?, sourceDateEpoch: Int) {
            self.revision = revision
            self.source = source
            self.sourceDateEpoch = sourceDateEpoch
        }
    }

    package init(reference: String, digest: String, build: BuildInputs? = nil, platforms: [String: String]? = nil) {
        self.reference = reference
        self.digest = digest
        self.build = build
        self.platforms = platforms
    }
}

package struct LockedPython: Sendable, Hashable, Codable {
    /// e.g. `x86_64-manylinux_2_28`
    package var platform: String
    package var packages: [LockedPackage]

    package init(platform: String, packages: [LockedPackage]) {
        self.platform = platform
        self.packages = packages
    }
}

/// One platform's python-build-standalone archive: the canonical upstream URL and its sha256 (hex, no prefix).
/// A mirror rewrites the URL's prefix at build time; the lock keeps the upstream one.
package struct LockedPythonArchive: Sendable, Hashable, Codable {
    package var url: String
    package var sha256: String

    package init(url: String, sha256: String) {
        self.url = url
        self.sha256 = sha256
    }
}

/// The interpreter an environment's image runs: an exact python-build-standalone build (`source: standalone`),
/// or the OS package (`source: os`).
package struct LockedPythonRuntime: Sendable, Hashable, Codable {
    /// `standalone` or `os`.
    package var source: String
    /// Exact CPython version (`3.11.18`); for `os`, the packaged version when the knowledge base knows it, else X.Y.
    package var version: String
    /// python-build-standalone release tag (`20261110`); standalone only.
    package var build: String?
    /// `install_only_stripped`; standalone only.
    package var flavour: String?
    /// The OS package (`python3.11`); `os` only.
    package var package: String?
    /// Container platform (`linux/amd64`, `linux/arm64`) -> archive; standalone only.
    package var platforms: [String: LockedPythonArchive]

    enum CodingKeys: String, CodingKey { case source, version, build, flavour, package, platforms }

    package init(
        source: String, version: String, build: String? = nil, flavour: String? = nil, package: String? = nil,
        platforms: [String: LockedPythonArchive] = [:]
    ) {
        self.source = source
        self.version = version
        self.build = build
        self.flavour = flavour
        self.package = package
        self.platforms = platforms
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        version = try c.decode(String.self, forKey: .version)
        build = try c.decodeIfPresent(String.self, forKey: .build)
        flavour = try c.decodeIfPresent(String.self, forKey: .flavour)
        package = try c.decodeIfPresent(String.self, forKey: .package)
        platforms = try c.decodeIfPresent(OrderedMap<LockedPythonArchive>.self, forKey: .platforms)?.dictionary ?? [:]
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(build, forKey: .build)
        try c.encodeIfPresent(flavour, forKey: .flavour)
        try c.encodeIfPresent(package, forKey: .package)
        if !platforms.isEmpty { try c.encode(OrderedMap(sorting: platforms), forKey: .platforms) }
    }
}

/// A file or directory of the repository copied into a plain environment's image. The lock records the paths,
/// not the content: the content is build context, like an application's source, and its digest is in the image.
package struct LockedCopy: Sendable, Hashable, Codable {
    /// Relative to the spec's directory, as written.
    package var from: String
    /// Absolute path in the image.
    package var to: String

    package init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// One environment's locked stack.
package struct LockedEnvironment: Sendable, Hashable, Codable {
    package var name: String
    /// `sha256:` over the environment's locked content; the image tag is derived from it.
    package var hash: String
    package var framework: LockedFramework?
    package var cuda: String
    package var cudnn: String?
    package var python: String
    /// The exact interpreter (python-build-standalone build or OS package); nil in locks written before it existed,
    /// which render as the OS package.
    package var pythonRuntime: LockedPythonRuntime?
    package var os: String
    /// The container platforms the environment is locked for (`linux/amd64` first); locks written before
    /// platforms existed read as `[linux/amd64]`.
    package var platforms: [String]
    package var driver: LockedDriver
    /// The knowledge base's stack where the pinned `nvidia-*` wheels install another one; nil when they agree.
    /// `cuda`, `cudnn` and `driver` then state what the wheels install.
    package var expected: LockedExpectation?
    /// The CUDA components the pinned `nvidia-*` wheels install (`cuda_runtime`, `cudnn`, `nccl`, `cublas`),
    /// by version; recorded with `expected`, nil otherwise.
    package var cudaWheels: [String: String]?
    package var archs: [String]
    /// `wheels` or `image`: where CUDA libraries come from (only one source ships them).
    package var cudaLibraries: String
    package var images: LockedImages
    /// Repository built images are pushed to.
    package var image: String?
    package var apt: [String]
    package var env: [String: String]
    /// The Python pins of the first platform.
    package var pythonPackages: LockedPython
    /// The Python pins of the other platforms (`linux/arm64` -> `aarch64-manylinux_2_28` pins); empty for one platform.
    package var platformPythonPackages: [String: LockedPython]
    /// Why the resolver chose this, in sentences.
    package var reasons: [String]
    package var warnings: [String]
    package var pushed: PushedImage?
    /// `plain` for a plain environment (`kind: plain`); nil for a GPU environment. A plain environment's lock
    /// holds no stack (`cuda`, `python`, `os`, `driver`, `archs`, `cuda_libraries` are empty in memory and not
    /// written) and one image, `images.base` (``LockedImages/builder`` mirrors it in memory).
    package var kind: String?
    /// `copy:` of a plain environment.
    package var copy: [LockedCopy] = []
    /// `entrypoint:` and `cmd:` of a plain environment.
    package var entrypoint: [String]?
    package var cmd: [String]?
    /// `workdir:` of a plain environment.
    package var workdir: String?

    /// Whether this is a plain environment.
    package var isPlain: Bool { kind == "plain" }

    /// A plain environment's lock entry, before its base is pinned and its hash computed.
    package static func plain(
        name: String, base: String, image: String?, apt: [String], env: [String: String], copy: [LockedCopy],
        entrypoint: [String]?, cmd: [String]?
    ) -> LockedEnvironment {
        var e = LockedEnvironment(
            name: name, framework: nil, cuda: "", cudnn: nil, python: "", os: "",
            driver: LockedDriver(minimum: nil, fullCompatibility: nil, compatibility: .unchecked), archs: [],
            cudaLibraries: "",
            images: LockedImages(base: LockedImage(reference: base), builder: LockedImage(reference: base)),
            image: image, apt: apt, env: env, pythonPackages: LockedPython(platform: "", packages: []), reasons: [],
            warnings: [])
        e.kind = "plain"
        e.copy = copy
        e.entrypoint = entrypoint
        e.cmd = cmd
        return e
    }

    enum PlainImageKeys: String, CodingKey { case base }

    enum CodingKeys: String, CodingKey {
        case kind, copy, entrypoint, cmd, workdir
        case hash, framework, cuda, cudnn, python, pythonRuntime = "python_runtime", os, platforms, driver, expected,
            cudaWheels = "cuda_wheels", archs
        case cudaLibraries = "cuda_libraries", images, image
        case apt, env, pythonPackages = "python_packages", platformPythonPackages = "platform_python_packages"
        case reasons, warnings, pushed
    }

    package init(
        name: String, hash: String = "", framework: LockedFramework?, cuda: String, cudnn: String?, python: String,
        os: String, driver: LockedDriver, archs: [String], cudaLibraries: String, images: LockedImages,
        image: String?, apt: [String], env: [String: String], pythonPackages: LockedPython, reasons: [String],
        warnings: [String], pushed: PushedImage? = nil, expected: LockedExpectation? = nil,
        cudaWheels: [String: String]? = nil, pythonRuntime: LockedPythonRuntime? = nil,
        platforms: [String] = [ContainerPlatform.amd64], platformPythonPackages: [String: LockedPython] = [:]
    ) {
        self.platforms = platforms
        self.platformPythonPackages = platformPythonPackages
        self.pythonRuntime = pythonRuntime
        self.expected = expected
        self.cudaWheels = cudaWheels
        self.name = name
        self.hash = hash
        self.framework = framework
        self.cuda = cuda
        self.cudnn = cudnn
        self.python = python
        self.os = os
        self.driver = driver
        self.archs = archs
        self.cudaLibraries = cudaLibraries
        self.images = images
        self.image = image
        self.apt = apt
        self.env = env
        self.pythonPackages = pythonPackages
        self.reasons = reasons
        self.warnings = warnings
        self.pushed = pushed
    }

    /// The content-addressed image tag: `envctl-` and the first 16 hex digits of the hash.
    package var contentTag: String {
        let hex = hash.hasPrefix("sha256:") ? String(hash.dropFirst(7)) : hash
        return "envctl-\(hex.prefix(16))"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = ""
        hash = try c.decode(String.self, forKey: .hash)
        let kind = try c.decodeIfPresent(String.self, forKey: .kind)
        self.kind = kind
        if let kind, kind != "plain" {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "kind '\(kind)' is not known (expected 'plain' or none)")
        }
        if kind == "plain" {
            let images = try c.nestedContainer(keyedBy: PlainImageKeys.self, forKey: .images)
            let base = try images.decode(LockedImage.self, forKey: .base)
            self = .plain(
                name: "", base: base.reference, image: try c.decodeIfPresent(String.self, forKey: .image),
                apt: try c.decodeIfPresent([String].self, forKey: .apt) ?? [],
                env: try c.decodeIfPresent(OrderedMap<String>.self, forKey: .env)?.dictionary ?? [:],
                copy: try c.decodeIfPresent([LockedCopy].self, forKey: .copy) ?? [],
                entrypoint: try c.decodeIfPresent([String].self, forKey: .entrypoint),
                cmd: try c.decodeIfPresent([String].self, forKey: .cmd))
            workdir = try c.decodeIfPresent(String.self, forKey: .workdir)
            hash = try c.decode(String.self, forKey: .hash)
            self.images = LockedImages(base: base, builder: base)
            reasons = try c.decodeIfPresent([String].self, forKey: .reasons) ?? []
            warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
            pushed = try c.decodeIfPresent(PushedImage.self, forKey: .pushed)
            return
        }
        framework = try c.decodeIfPresent(LockedFramework.self, forKey: .framework)
        cuda = try c.decode(String.self, forKey: .cuda)
        cudnn = try c.decodeIfPresent(String.self, forKey: .cudnn)
        python = try c.decode(String.self, forKey: .python)
        pythonRuntime = try c.decodeIfPresent(LockedPythonRuntime.self, forKey: .pythonRuntime)
        os = try c.decode(String.self, forKey: .os)
        platforms = try c.decodeIfPresent([String].self, forKey: .platforms) ?? [ContainerPlatform.amd64]
        driver = try c.decode(LockedDriver.self, forKey: .driver)
        expected = try c.decodeIfPresent(LockedExpectation.self, forKey: .expected)
        cudaWheels = try c.decodeIfPresent(OrderedMap<String>.self, forKey: .cudaWheels)?.dictionary
        archs = try c.decodeIfPresent([String].self, forKey: .archs) ?? []
        cudaLibraries = try c.decode(String.self, forKey: .cudaLibraries)
        images = try c.decode(LockedImages.self, forKey: .images)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        apt = try c.decodeIfPresent([String].self, forKey: .apt) ?? []
        env = try c.decodeIfPresent(OrderedMap<String>.self, forKey: .env)?.dictionary ?? [:]
        pythonPackages = try c.decode(LockedPython.self, forKey: .pythonPackages)
        platformPythonPackages =
            try c.decodeIfPresent(OrderedMap<LockedPython>.self, forKey: .platformPythonPackages)?.dictionary ?? [:]
        reasons = try c.decodeIfPresent([String].self, forKey: .reasons) ?? []
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        pushed = try c.decodeIfPresent(PushedImage.self, forKey: .pushed)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hash, forKey: .hash)
        if isPlain {
            try c.encode(kind, forKey: .kind)
            var images = c.nestedContainer(keyedBy: PlainImageKeys.self, forKey: .images)
            try images.encode(self.images.base, forKey: .base)
            try c.encodeIfPresent(image, forKey: .image)
            try c.encode(apt, forKey: .apt)
            try c.encode(OrderedMap(sorting: env), forKey: .env)
            try c.encode(copy, forKey: .copy)
            try c.encodeIfPresent(entrypoint, forKey: .entrypoint)
            try c.encodeIfPresent(cmd, forKey: .cmd)
            try c.encodeIfPresent(workdir, forKey: .workdir)
            try c.encode(reasons, forKey: .reasons)
            try c.encode(warnings, forKey: .warnings)
            try c.encodeIfPresent(pushed, forKey: .pushed)
            return
        }
        try c.encodeIfPresent(framework, forKey: .framework)
        try c.encode(cuda, forKey: .cuda)
        try c.encodeIfPresent(cudnn, forKey: .cudnn)
        try c.encode(python, forKey: .python)
        try c.encodeIfPresent(pythonRuntime, forKey: .pythonRuntime)
        try c.encode(os, forKey: .os)
        // Empty only inside `Locker.contentHash` for a linux/amd64-only environment, so its hash stays as before.
        if !platforms.isEmpty { try c.encode(platforms, forKey: .platforms) }
        try c.encode(driver, forKey: .driver)
        try c.encodeIfPresent(expected, forKey: .expected)
        try c.encodeIfPresent(cudaWheels.map { OrderedMap(sorting: $0) }, forKey: .cudaWheels)
        try c.encode(archs, forKey: .archs)
        try c.encode(cudaLibraries, forKey: .cudaLibraries)
        try c.encode(images, forKey: .images)
        try c.encodeIfPresent(image, forKey: .image)
        try c.encode(apt, forKey: .apt)
        try c.encode(OrderedMap(sorting: env), forKey: .env)
        try c.encode(pythonPackages, forKey: .pythonPackages)
        if !platformPythonPackages.isEmpty {
            try c.encode(OrderedMap(sorting: platformPythonPackages), forKey: .platformPythonPackages)
        }
        try c.encode(reasons, forKey: .reasons)
        try c.encode(warnings, forKey: .warnings)
        try c.encodeIfPresent(pushed, forKey: .pushed)
    }
}

extension Lockfile {
    /// Records where an environment's image was pushed (`push --record`, `build --push --record`).
    /// - Throws: ``DiagnosticsError`` when the lock has no such environment.
    package func recordingPush(
        environment name: String, reference: String, digest: String, build: PushedImage.BuildInputs? = nil
    ) throws(DiagnosticsError) -> Lockfile {
        guard let index = environments.firstIndex(where: { $0.name == name }) else {
            throw DiagnosticsError([
                .error(
                    "envctl.lock has no environment '\(name)'",
                    hint: "environments: \(environments.map(\.name).joined(separator: ", "))")
            ])
        }
        var copy = self
        copy.environments[index].pushed = PushedImage(reference: reference, digest: digest, build: build)
        return copy
    }

    /// Keeps push records from `previous` for environments whose content hash did not change, so
    /// re-locking an unchanged environment doesn't forget where its image is.
    package func carryingPushRecords(from previous: Lockfile?) -> Lockfile {
        guard let previous else { return self }
        var copy = self
        for i in copy.environments.indices {
            if let old = previous.environment(named: copy.environments[i].name), old.hash == copy.environments[i].hash {
                copy.environments[i].pushed = copy.environments[i].pushed ?? old.pushed
            }
        }
        return copy
    }
}

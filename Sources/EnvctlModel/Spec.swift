import Foundation

/// A value read from a file together with where it was written, so later checks
/// (the resolver, the knowledge base) can point at the right line.
package struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    package var value: Value
    package var location: SourceLocation?

    package init(_ value: Value, at location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }
}

/// The frameworks envctl knows how to solve for.
package enum FrameworkName: String, Sendable, Hashable, Codable, CaseIterable {
    case torch, tensorflow, jax
}

/// `torch==2.5.*`: a framework and the versions the user accepts.
package struct FrameworkRequirement: Sendable, Hashable, CustomStringConvertible {
    package var name: FrameworkName
    package var versions: VersionSpecifier

    package init(name: FrameworkName, versions: VersionSpecifier) {
        self.name = name
        self.versions = versions
    }

    package var description: String { versions.isAny ? name.rawValue : "\(name.rawValue)\(versions.text)" }
}

/// Where the CUDA user-space libraries (cuBLAS, cuDNN, ...) come from.
///
/// Framework wheels normally bring their own (torch bundles them, `tensorflow[and-cuda]` and
/// `jax[cuda12]` pull `nvidia-*` wheels), so the image only needs the driver-facing base.
/// `image` asks for them from the CUDA image instead (e.g. `jax[cuda12-local]`).
package enum CUDALibrarySource: String, Sendable, Hashable, Codable, CaseIterable {
    case wheels, image
}

/// Which `nvidia-*` wheels uv may pin when CUDA comes from wheels (`cuda_wheels:`).
package enum CUDAWheelPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Whatever the framework allows (uv takes the newest); `lock` re-checks them against the fleet.
    case newest
    /// Held to the knowledge base's CUDA minor and cuDNN minor, for a fleet that needs them.
    case knowledgeBase = "knowledge-base"
}

/// Where an environment's Python interpreter comes from (`python_source:`).
package enum PythonSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// An exact CPython build from python-build-standalone, pinned in the lock by version, build tag, URL and
    /// sha256 per platform (the default).
    case standalone
    /// The OS package of the locked image (`python3.11`); a pre-release or unknown package is a conflict.
    case os
}

/// What an environment is (`kind:`).
package enum EnvironmentKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A GPU environment: the resolver chooses CUDA, cuDNN, Python and the framework for the fleet (the default).
    case gpu
    /// A plain image: an explicit `base:` image, apt packages, files copied from the repository, an entrypoint.
    /// No CUDA, no framework, no fleet checks, no Python.
    case plain
}

/// `copy: [{from: dist/envctl, to: /opt/envctl}]`: a file or directory of the repository copied into the image.
package struct CopyInstruction: Sendable, Hashable {
    /// Relative to the spec's directory, inside the repository (``SpecPath``).
    package var from: Located<String>
    /// An absolute path in the image.
    package var to: String

    package init(from: Located<String>, to: String) {
        self.from = from
        self.to = to
    }
}

/// The machines the images must run on.
package struct Fleet: Sendable, Hashable {
    /// Lowest NVIDIA driver installed anywhere in the fleet.
    package var driver: Located<Version>?
    /// GPU names (`a100`) or compute capabilities (`sm_80`, `8.0`), as written.
    package var gpus: [Located<String>]
    /// `fleet.platforms:` as written (`linux/amd64`, `linux/arm64`); nil means inferred from the GPUs.
    package var platforms: Located<[String]>?

    package init(driver: Located<Version>? = nil, gpus: [Located<String>] = [], platforms: Located<[String]>? = nil) {
        self.driver = driver
        self.gpus = gpus
        self.platforms = platforms
    }
}

/// One environment of `envctl.yaml`.
package struct EnvironmentSpec: Sendable, Hashable {
    package var name: String
    package var location: SourceLocation?
    package var framework: Located<FrameworkRequirement>?
    package var cuda: Located<VersionSpecifier>?
    package var cudnn: Located<VersionSpecifier>?
    package var python: Located<VersionSpecifier>?
    package var os: Located<String>?
    /// Path of a requirements file, relative to the spec's directory.
    package var requirements: Located<String>?
    /// Extra Python requirement lines written inline in the spec.
    package var packages: [Located<String>]
    package var apt: [Located<String>]
    package var image: Located<String>?
    package var cudaLibraries: Located<CUDALibrarySource>?
    /// `cuda_wheels:`; nil means ``CUDAWheelPolicy/newest``.
    package var cudaWheels: Located<CUDAWheelPolicy>?
    /// `python_source:`; nil means ``PythonSource/standalone``.
    package var pythonSource: Located<PythonSource>?
    /// Environment variables baked into the image, sorted by name for determinism.
    package var env: [String: String]
    /// `platforms:`: the fleet platforms this environment is for; nil means all of them.
    package var platforms: Located<[String]>?
    /// `kind:`; nil means ``EnvironmentKind/gpu``.
    package var kind: Located<EnvironmentKind>?
    /// `base:` of a plain environment: an image reference by tag (`lock` pins its digest).
    package var base: Located<String>?
    /// `copy:` of a plain environment, in the order written.
    package var copy: [CopyInstruction] = []
    /// `entrypoint:` and `cmd:` of a plain environment (exec form).
    package var entrypoint: [String]?
    package var cmd: [String]?
    /// `workdir:` of a plain environment: the image's working directory (absolute).
    package var workdir: String?

    /// Whether this is a plain environment (`kind: plain`).
    package var isPlain: Bool { kind?.value == .plain }

    package init(name: String, location: SourceLocation? = nil) {
        self.name = name
        self.location = location
        self.packages = []
        self.apt = []
        self.env = [:]
    }
}

/// Where Python packages are fetched from when pinning.

package struct PythonIndexSettings: Sendable, Hashable {
    /// The default index, PyPI unless overridden.
    package var defaultIndex: String
    /// URL prefix rewrites for air-gapped mirrors: the lock records the canonical URL, uv talks to the mirror.
    package var mirrors: [String: String]

    package static let pypi = "https://pypi.org/simple"

    package init(defaultIndex: String = PythonIndexSettings.pypi, mirrors: [String: String] = [:]) {
        self.defaultIndex = defaultIndex
        self.mirrors = mirrors
    }

    /// Parses `FROM=TO[,FROM=TO...]` (the `ENVCTL_INDEX_MIRRORS` / `--index-mirror` syntax).
    package static func parseMirrors(_ text: String) -> [String: String]? {
        var out: [String: String] = [:]
        for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            out[parts[0]] = parts[1]
        }
        return out
    }

    /// Whether every index uv will contact is on this machine (loopback or file:), so `--offline` may still use them.
    package func allLocal(_ urls: [String]) -> Bool {
        urls.map(mirrored).allSatisfy { url in
            guard let u = URL(string: url) else { return false }
            if u.scheme == "file" { return true }
            return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(u.host ?? "")
        }
    }

    /// Applies the longest matching mirror prefix.
    package func mirrored(_ url: String) -> String {
        let match = mirrors.keys.filter { url.hasPrefix($0) }.max { $0.count < $1.count }
        guard let match, let target = mirrors[match] else { return url }
        return target + url.dropFirst(match.count)
    }
}

/// The parsed `envctl.yaml`.
package struct Spec: Sendable, Hashable {
    package var path: String
    package var version: Int
    package var fleet: Fleet
    /// Environments in the order written, which is also the order of the lock.
    package var environments: [EnvironmentSpec]
    package var pythonIndexes: PythonIndexSettings
    /// Paths of extra knowledge-base files, relative to the spec.
    package var knowledgeFiles: [Located<String>]
    /// `network:`: an extra CA bundle, proxies and private-index credentials (see docs/corporate-networks.md).
    package var network = NetworkSettings()
    /// The raw bytes of the spec, hashed into the lock so `lock --check` notices edits.
    package var source: String

    package init(
        path: String, version: Int = 1, fleet: Fleet = Fleet(), environments: [EnvironmentSpec] = [],
        pythonIndexes: PythonIndexSettings = PythonIndexSettings(), knowledgeFiles: [Located<String>] = [],
        source: String = ""
    ) {
        self.path = path
        self.version = version
        self.fleet = fleet
        self.environments = environments
        self.pythonIndexes = pythonIndexes
        self.knowledgeFiles = knowledgeFiles
        self.source = source
    }

    package func environment(named name: String) -> EnvironmentSpec? {
        environments.first { $0.name == name }
    }

    /// The spec with only its GPU environments: what the resolver solves (plain environments have no stack).
    package var gpuOnly: Spec {
        var copy = self
        copy.environments.removeAll(where: \.isPlain)
        return copy
    }
}

/// The container platforms envctl locks and builds for, spelled as OCI platforms (`os/architecture`).
package enum ContainerPlatform {
    package static let amd64 = "linux/amd64"
    package static let arm64 = "linux/arm64"
    /// Every platform a spec may name, in lock order.
    package static let known = [amd64, arm64]

    /// Platforms in lock order (linux/amd64 first), without duplicates.
    package static func ordered(_ platforms: some Sequence<String>) -> [String] {
        let set = Set(platforms)
        return known.filter(set.contains) + set.subtracting(known).sorted()
    }

    /// The uv `--python-platform` wheels are chosen for on `platform`.
    package static func pythonPlatform(_ platform: String) -> String? {
        switch platform {
        case amd64: return "x86_64-manylinux_2_28"
        case arm64: return "aarch64-manylinux_2_28"
        default: return nil
        }
    }
}

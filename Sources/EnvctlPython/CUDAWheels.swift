package import EnvctlModel

/// The CUDA components that pinned `nvidia-*` wheels install: what the image really gets when its CUDA
/// libraries come from pip.
///
/// NVIDIA names the wheels by component and CUDA major: `nvidia-cuda-runtime-cu12`, `nvidia-cudnn-cu12`,
/// `nvidia-nccl-cu12`, `nvidia-cublas-cu12`. From CUDA 13 on, the toolkit components drop the suffix
/// (`nvidia-cuda-runtime`, `nvidia-cublas`; `nvidia-cuda-runtime-cu13` was deprecated in October 2025), while
/// cuDNN and NCCL keep it (`nvidia-cudnn-cu13`, `nvidia-nccl-cu13`). A toolkit component's version starts with
/// the toolkit's: `nvidia-cuda-runtime-cu12 12.9.79` is CUDA 12.9. cuDNN and NCCL have their own versions
/// (`9.10.2.21`, `2.27.3`).
package struct CUDAWheelStack: Sendable, Hashable {
    /// The components envctl reads.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case cudaRuntime = "cuda_runtime"
        case cudnn
        case nccl
        case cublas
    }

    /// One pinned wheel.
    package struct Component: Sendable, Hashable {
        /// The distribution name as pinned (`nvidia-cuda-runtime-cu12`).
        package var package: String
        package var version: Version
        /// The CUDA major the wheel is built for: from its `-cuNN` suffix, else (unsuffixed toolkit wheels)
        /// from its version.
        package var cudaMajor: Int?
    }

    package var components: [Kind: Component] = [:]

    package var runtime: Component? { components[.cudaRuntime] }
    package var cudnn: Component? { components[.cudnn] }
    package var nccl: Component? { components[.nccl] }
    package var cublas: Component? { components[.cublas] }

    /// The CUDA toolkit minor the runtime wheel belongs to: `12.9` for `nvidia-cuda-runtime-cu12 12.9.79`.
    package var cudaMinor: Version? { runtime.map { $0.version.truncated(to: 2) } }

    package var isEmpty: Bool { components.isEmpty }

    /// The components among `packages`; a package that is no CUDA component is ignored.
    package init(packages: [LockedPackage]) {
        for p in packages {
            guard let (kind, suffixMajor) = Self.classify(p.name), let version = Version(Self.release(p.version))
            else { continue }
            let major = suffixMajor ?? (kind == .cudaRuntime || kind == .cublas ? version.major : nil)
            components[kind] = Component(package: p.name, version: version, cudaMajor: major)
        }
    }

    /// Which component a wheel is, and the CUDA major its `-cuNN` suffix names (nil when unsuffixed).
    /// Names are compared PEP 503-normalized, so `nvidia_cudnn_cu12` is `nvidia-cudnn-cu12`.
    package static func classify(_ name: String) -> (kind: Kind, cudaMajor: Int?)? {
        let normalized = PythonPackageName.normalized(name)
        guard normalized.hasPrefix("nvidia-") else { return nil }
        var base = Substring(normalized.dropFirst("nvidia-".count))
        var major: Int?
        if let dash = base.lastIndex(of: "-") {
            let suffix = base[base.index(after: dash)...]
            if suffix.hasPrefix("cu"), let m = Int(suffix.dropFirst(2)) {
                major = m
                base = base[..<dash]
            }
        }
        let kinds: [Substring: Kind] = [
            "cuda-runtime": .cudaRuntime, "cudnn": .cudnn, "nccl": .nccl, "cublas": .cublas,
        ]
        return kinds[base].map { ($0, major) }
    }

    /// The release part of a wheel version: `12.9.79` for `12.9.79`, `12.4.127+cu124` or `12.4.127.post1`.
    static func release(_ version: String) -> String {
        var release = String(version.prefix { $0.isNumber || $0 == "." })
        while release.hasSuffix(".") { release.removeLast() }
        return release
    }

    /// `name version` of each component, in ``Kind`` order: for reasons.
    package var summary: String {
        Kind.allCases.compactMap { components[$0].map { "\($0.package) \($0.version.text)" } }.joined(separator: ", ")
    }
}

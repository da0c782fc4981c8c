package import EnvctlModel

/// The drivers that can drive one GPU, from `gpu_drivers:` rows: the one rule `resolve`, `lock` and
/// `explain gpu` share.
package struct DriverRange: Sendable, Hashable {
    /// A known bound and the row it comes from.
    package struct Bound<Value: Sendable & Hashable>: Sendable, Hashable {
        package var value: Value
        package var provenance: Provenance
        /// Whether the row names the product (`b200`) rather than its architecture.
        package var product: Bool
    }

    /// The oldest driver known to drive the GPU; nil when the knowledge base doesn't know it.
    package var first: Bound<Version>?
    /// The last driver branch that supports the GPU; nil while supported (or unknown).
    package var lastBranch: Bound<Int>?

    package enum Violation: Sendable, Hashable {
        /// The driver is older than the oldest one known to drive the GPU.
        case tooOld(first: Bound<Version>)
        /// The driver's branch is newer than the last one that supports the GPU.
        case tooNew(lastBranch: Bound<Int>)
    }

    /// Why `driver` cannot drive the GPU, or nil when it is within the known range.
    package func violation(_ driver: Version) -> Violation? {
        if let first, driver < first.value { return .tooOld(first: first) }
        if let last = lastBranch, driver.major > last.value { return .tooNew(lastBranch: last) }
        return nil
    }

    /// Whether a driver at least `minimum` can still be on a supported branch.
    package func allows(minimum: Version) -> Bool {
        guard let last = lastBranch else { return true }
        return minimum.major <= last.value
    }
}

/// Whether a cuDNN release supports one GPU.
package enum CuDNNSupport: Sendable, Hashable {
    case supported
    /// Not supported: `range` says what the release does support (`compute capability 5.0 and newer`).
    case unsupported(range: String, provenance: Provenance)
    /// The knowledge base doesn't know the release's GPU range.
    case unknown
}

extension KnowledgeBase {
    /// The driver range for a GPU of compute capability `sm`, named `gpu` (a canonical GPU name) when known.
    /// A product row (`gpus: [b200]`) overrides its architecture's row for the bounds it gives.
    package func driverRange(sm: ComputeCapability, gpu: String?) -> DriverRange {
        var range = DriverRange()
        let key = gpu.map { GPUModel.normalise($0) }
        for row in gpuDrivers where row.architectures.contains(sm) {
            if let f = row.firstDriver { range.first = .init(value: f, provenance: row.provenance, product: false) }
            if let l = row.lastBranch { range.lastBranch = .init(value: l, provenance: row.provenance, product: false) }
        }
        if let key {
            for row in gpuDrivers where row.gpus.contains(where: { GPUModel.normalise($0) == key }) {
                if let f = row.firstDriver { range.first = .init(value: f, provenance: row.provenance, product: true) }
                if let l = row.lastBranch {
                    range.lastBranch = .init(value: l, provenance: row.provenance, product: true)
                }
            }
        }
        return range
    }

    /// Whether cuDNN `version` (a build number such as `9.1.0.70`) supports compute capability `sm`.
    /// A listed capability covers newer minors of the same major (cuDNN ships SASS for the listed ones).
    package func cudnnSupport(_ version: Version, sm: ComputeCapability) -> CuDNNSupport {
        guard let row = cudnnRelease(version) else { return .unknown }
        if let archs = row.archs {
            let listed = archs.compactMap(ComputeCapability.init)
            if listed.contains(where: { $0.major == sm.major && $0.minor <= sm.minor }) { return .supported }
            return .unsupported(
                range: "compute capabilities \(listed.map(\.description).joined(separator: ", "))",
                provenance: row.provenance)
        }
        if let min = row.minArch {
            if sm >= min { return .supported }
            return .unsupported(range: "compute capability \(min) and newer", provenance: row.provenance)
        }
        return .unknown
    }
}

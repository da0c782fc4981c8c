import EnvctlKnowledge
package import EnvctlModel
import Foundation

/// One result of checking a host against a locked environment.
package struct PreflightFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    package enum Severity: String, Sendable, Hashable, Codable { case error, warning, note }
    package var severity: Severity
    package var message: String

    package init(_ severity: Severity, _ message: String) {
        self.severity = severity
        self.message = message
    }

    package var description: String { "\(severity.rawValue): \(message)" }
}

/// Whether a locked environment can run on this host's driver and GPUs.
package struct PreflightReport: Sendable, Hashable, Codable {
    package var environment: String
    package var host: HostGPUReport
    package var findings: [PreflightFinding]

    /// No finding is an error. A host without a GPU passes (with a warning): the container runs, on CPU.
    package var canRun: Bool { !findings.contains { $0.severity == .error } }
    /// Whether GPU flags should be passed to the container runtime.
    package var useGPU: Bool { host.hasGPU }
}

/// The checks `envctl run` makes before starting a container, and `envctl doctor` reports.
///
/// * Driver: the host driver must be at least the lock's `driver.minimum` (the CUDA minor-version
///   compatibility floor, or the toolkit's driver when the lock needs full compatibility).
/// * Architectures: SASS for `sm_XY` runs on a GPU of the same major with an equal or higher minor
///   (sm_80 code runs on 8.6, never on 9.0). PTX (`compute_XY` or `sm_XY+PTX`) is JIT-compiled for any
///   equal-or-newer GPU, but only with the full driver: under minor-version compatibility there is no PTX JIT.
package enum Preflight {
    package static func check(_ env: LockedEnvironment, host: HostGPUReport) -> PreflightReport {
        var findings: [PreflightFinding] = []
        guard host.hasGPU else {
            findings.append(
                .init(
                    .warning,
                    "\(host.summary): running '\(env.name)' without GPU access; CUDA code will not find a device"))
            return PreflightReport(environment: env.name, host: host, findings: findings)
        }
        let hostDriver = host.driver.flatMap(Version.init)
        let floor = env.driver.minimum.flatMap(Version.init)
        let full = env.driver.fullCompatibility.flatMap(Version.init)

        if let floor {
            if let hostDriver {
                if hostDriver < floor {
                    findings.append(
                        .init(
                            .error,
                            "host driver \(hostDriver) is older than \(floor), the minimum for '\(env.name)' (CUDA \(env.cuda)); upgrade the driver to \(floor) or newer, or lock against this fleet's driver"
                        ))
                }
            } else {
                findings.append(
                    .init(
                        .warning,
                        "could not read the host driver version ('\(host.driver ?? "")'); not checked against \(floor)")
                )
            }
        }
        // PTX JIT needs the full driver. Decide from the host driver when the lock knows the full version.
        let jit: Bool
        if let full, let hostDriver {
            jit = hostDriver >= full
            if !jit && (floor.map { hostDriver >= $0 } ?? true) {
                findings.append(
                    .init(
                        .note,
                        "host driver \(hostDriver) is below \(full) (CUDA \(env.cuda)'s own driver): running under minor-version compatibility, so PTX JIT is unavailable"
                    ))
            }
        } else {
            jit = env.driver.compatibility != .minorVersion
        }

        let targets = env.archs.compactMap(ArchSpec.init)
        if targets.isEmpty {
            findings.append(
                .init(.note, "the lock lists no GPU architectures for '\(env.name)'; architecture check skipped"))
        }
        for gpu in host.gpus where !targets.isEmpty {
            guard let cc = gpu.capability else {
                findings.append(
                    .init(
                        .warning,
                        "GPU \(gpu.index) (\(gpu.name)): compute capability unknown; architecture check skipped"))
                continue
            }
            if targets.contains(where: { $0.sass && $0.cc.major == cc.major && $0.cc.minor <= cc.minor }) { continue }
            let ptx = targets.filter { $0.ptx && $0.cc <= cc }
            let list = env.archs.joined(separator: ", ")
            if !ptx.isEmpty && jit {
                findings.append(
                    .init(
                        .warning,
                        "GPU \(gpu.index) (\(gpu.name), \(cc.smName)) has no matching SASS in [\(list)]; the driver will JIT-compile PTX at start-up (slow first launch)"
                    ))
            } else if !ptx.isEmpty {
                findings.append(
                    .init(
                        .error,
                        "GPU \(gpu.index) (\(gpu.name), \(cc.smName)) has no matching SASS in [\(list)], and PTX JIT is unavailable under minor-version compatibility; add \(cc.smName) to the fleet's GPUs and re-lock, or upgrade the driver"
                    ))
            } else {
                findings.append(
                    .init(
                        .error,
                        "GPU \(gpu.index) (\(gpu.name), \(cc.smName)) cannot run code built for [\(list)]: SASS runs only on the same major with an equal or higher minor; add \(cc.smName) to the fleet's GPUs and re-lock"
                    ))
            }
        }
        return PreflightReport(environment: env.name, host: host, findings: findings)
    }
}

/// One entry of a lock's `archs`: `sm_80` (SASS), `sm_90+PTX` (both) or `compute_90` (PTX only).
struct ArchSpec {
    var cc: ComputeCapability
    var sass: Bool
    var ptx: Bool

    init?(_ raw: String) {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasPrefix("compute_") {
            guard let cc = ComputeCapability(s) else { return nil }
            self.cc = cc
            sass = false
            ptx = true
        } else {
            guard let t = ArchTarget(raw) else { return nil }
            cc = t.sm
            sass = true
            ptx = t.ptx
        }
    }
}

package import EnvctlKnowledge
import EnvctlModel
import Foundation

/// One GPU as `nvidia-smi` reports it.
package struct HostGPU: Sendable, Hashable, Codable {
    package var index: Int
    package var name: String
    /// `8.0`; nil when the driver is too old to report it and the name is not one envctl knows.
    package var computeCapability: String?

    package init(index: Int, name: String, computeCapability: String?) {
        self.index = index
        self.name = name
        self.computeCapability = computeCapability
    }

    package var capability: ComputeCapability? { computeCapability.flatMap(ComputeCapability.init) }
}

/// What the host's NVIDIA driver and GPUs look like, or why they could not be read.
package struct HostGPUReport: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable {
        /// Driver answered and listed at least one GPU.
        case ok
        /// `nvidia-smi` is not installed: no NVIDIA driver on this machine.
        case noTool = "no-nvidia-smi"
        /// `nvidia-smi` exists but failed (driver not loaded, version mismatch, …).
        case driverFailed = "driver-failed"
        /// The driver is loaded but lists no GPU.
        case noDevices = "no-devices"
    }

    package var status: Status
    package var driver: String?
    package var gpus: [HostGPU]
    /// nvidia-smi's own words when it failed.
    package var detail: String?
    /// True when compute capabilities came from the GPU name because the driver predates `compute_cap`.
    package var capabilityFromName: Bool

    package init(
        status: Status, driver: String? = nil, gpus: [HostGPU] = [], detail: String? = nil,
        capabilityFromName: Bool = false
    ) {
        self.status = status
        self.driver = driver
        self.gpus = gpus
        self.detail = detail
        self.capabilityFromName = capabilityFromName
    }

    package var hasGPU: Bool { status == .ok && !gpus.isEmpty }

    /// Why there is no usable GPU and what to do about it (nil when there is one); `envctl doctor` prints
    /// it, and `envctl run --require-gpu` refuses with it.
    package var explanation: String? {
        switch status {
        case .ok where !gpus.isEmpty: return nil
        case .ok, .noDevices:
            return
                "the NVIDIA driver\(driver.map { " \($0)" } ?? "") is loaded but lists no GPU: check that the GPU is attached "
                + "(a VM or cloud instance without a GPU, or a container started without one), that it is not hidden "
                + "by CUDA_VISIBLE_DEVICES or the device cgroup, and that 'nvidia-smi -L' lists it"
        case .noTool:
            return
                "nvidia-smi is not on PATH, so this machine has no NVIDIA driver installed (or it is not a GPU machine): "
                + "install the NVIDIA driver, which ships nvidia-smi, on a machine with an NVIDIA GPU"
        case .driverFailed:
            return
                "nvidia-smi is installed but cannot talk to the driver (\(detail ?? "unknown error")): the kernel module "
                + "is not loaded or does not match the user-space driver, typically after a driver upgrade without a "
                + "reboot; reboot, or reload the nvidia kernel modules, and check 'nvidia-smi' again"
        }
    }

    /// One line for humans: `550.54.15, 2 GPUs: NVIDIA A100-SXM4-80GB (8.0) ×2`.
    package var summary: String {
        switch status {
        case .noTool: return "no NVIDIA GPU (nvidia-smi not found)"
        case .driverFailed: return "no usable NVIDIA GPU (nvidia-smi failed: \(detail ?? "unknown error"))"
        case .noDevices: return "no NVIDIA GPU (driver \(driver ?? "?") lists no devices)"
        case .ok:
            var groups: [(String, Int)] = []
            for g in gpus {
                let label =
                    "\(g.name) (\(g.computeCapability.map { "sm_\($0.replacingOccurrences(of: ".", with: ""))" } ?? "unknown arch"))"
                if let i = groups.firstIndex(where: { $0.0 == label }) {
                    groups[i].1 += 1
                } else {
                    groups.append((label, 1))
                }
            }
            let list = groups.map { $0.1 > 1 ? "\($0.1) × \($0.0)" : $0.0 }.joined(separator: ", ")
            return "driver \(driver ?? "?"), \(list)"
        }
    }
}

/// Parses `nvidia-smi` output.
package enum NvidiaSMI {
    /// The query envctl runs first.
    package static let queryArguments = ["--query-gpu=driver_version,compute_cap,name", "--format=csv,noheader"]
    /// The fallback for drivers older than `compute_cap` support (added around R510).
    package static let legacyQueryArguments = ["--query-gpu=driver_version,name", "--format=csv,noheader"]

    /// Whether a failed query means "this driver does not know the compute_cap field".
    package static func isUnsupportedField(_ output: CommandOutput) -> Bool {
        let text = (output.stdout + output.stderr).lowercased()
        return !output.succeeded && text.contains("compute_cap")
            && (text.contains("not a valid field") || text.contains("invalid"))
    }

    /// Turns the results of the two queries into a report.
    /// - Parameters:
    ///   - primary: output of `queryArguments`.
    ///   - legacy: output of `legacyQueryArguments`, when the primary query was rejected.
    package static func report(primary: CommandOutput, legacy: CommandOutput? = nil) -> HostGPUReport {
        guard primary.launched else { return HostGPUReport(status: .noTool) }
        if let legacy, isUnsupportedField(primary) {
            guard legacy.succeeded else { return failure(legacy) }
            return parse(legacy.stdout, hasCapability: false)
        }
        guard primary.succeeded else { return failure(primary) }
        return parse(primary.stdout, hasCapability: true)
    }

    static func failure(_ output: CommandOutput) -> HostGPUReport {
        let text = (output.stdout + "\n" + output.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.lowercased().contains("no devices were found") { return HostGPUReport(status: .noDevices) }
        let firstLine = text.split(separator: "\n").first.map(String.init) ?? "exit status \(output.status ?? -1)"
        return HostGPUReport(status: .driverFailed, detail: firstLine)
    }

    /// Parses CSV rows `driver, compute_cap, name` (or `driver, name` when `hasCapability` is false).
    /// GPU names may contain commas in principle, so the name is everything after the known columns.
    package static func parse(_ csv: String, hasCapability: Bool) -> HostGPUReport {
        var gpus: [HostGPU] = []
        var driver: String?
        var fromName = false
        for raw in csv.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.lowercased().contains("no devices were found") { return HostGPUReport(status: .noDevices) }
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let fixed = hasCapability ? 2 : 1
            guard columns.count > fixed else { continue }
            driver = driver ?? columns[0]
            let name = columns[fixed...].joined(separator: ",")
            var cap: String? = hasCapability ? columns[1] : nil
            if let c = cap, ComputeCapability(c) == nil { cap = nil }  // "[N/A]"
            if cap == nil, let guessed = capability(forName: name) {
                cap = guessed.description
                fromName = true
            }
            gpus.append(HostGPU(index: gpus.count, name: name, computeCapability: cap))
        }
        if gpus.isEmpty { return HostGPUReport(status: .noDevices, driver: driver) }
        return HostGPUReport(status: .ok, driver: driver, gpus: gpus, capabilityFromName: fromName)
    }

    /// Compute capability from a marketing name, for drivers that cannot report it. Consults the
    /// knowledge base first, then a short table of GPUs from the era before `compute_cap` existed.
    package static func capability(forName name: String) -> ComputeCapability? {
        if let hit = KnowledgeBase.builtin.gpu(named: name) { return hit.sm }
        let key = GPUModel.normalise(name)
        // Longest prefix wins (so "a100" beats "a10").
        let table: [(String, String)] = [
            ("k80", "3.7"), ("k40", "3.5"), ("p100", "6.0"), ("p40", "6.1"), ("p4", "6.1"), ("v100", "7.0"),
            ("titanv", "7.0"), ("t4", "7.5"), ("a100", "8.0"), ("a30", "8.0"), ("a40", "8.6"), ("a10", "8.6"),
            ("a2", "8.6"), ("rtx30", "8.6"), ("rtx20", "7.5"), ("gtx10", "6.1"), ("quadrortx", "7.5"),
            ("rtxa6000", "8.6"), ("h100", "9.0"), ("l4", "8.9"), ("l40", "8.9"),
        ]
        let match = table.filter { key.hasPrefix($0.0) }.max { $0.0.count < $1.0.count }
        return match.flatMap { ComputeCapability($0.1) }
    }

    /// Runs the queries through `runner`.
    package static func probe(using runner: any CommandRunner) async -> HostGPUReport {
        let primary = await runner.run("nvidia-smi", queryArguments)
        if isUnsupportedField(primary) {
            let legacy = await runner.run("nvidia-smi", legacyQueryArguments)
            return report(primary: primary, legacy: legacy)
        }
        return report(primary: primary)
    }
}

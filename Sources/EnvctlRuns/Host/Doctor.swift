import Foundation

/// A container runtime found on the host.
package struct RuntimeInfo: Sendable, Hashable, Codable {
    package var name: String
    package var path: String?
    package var version: String?
    package var found: Bool { path != nil }
}

/// Everything `envctl doctor` reports.
package struct DoctorReport: Sendable, Hashable, Codable {
    package var gpu: HostGPUReport
    package var runtimes: [RuntimeInfo]
    /// Path of `nvidia-ctk`, the NVIDIA Container Toolkit CLI.
    package var nvidiaCTK: String?
    /// CDI spec files that name NVIDIA devices (for `podman --device nvidia.com/gpu=all`).
    package var cdiSpecs: [String]
    /// One preflight per environment in the lock, when a lock was found.
    package var environments: [PreflightReport]

    /// Problems and their fixes, in the order a user should address them.
    package var advice: [String] {
        var out: [String] = []
        if !runtimes.contains(where: \.found) {
            out.append("install podman or docker: envctl runs containers with one of them")
        }
        if gpu.hasGPU {
            if nvidiaCTK == nil {
                out.append("install the NVIDIA Container Toolkit (nvidia-ctk) so containers can reach the GPUs")
            }
            if cdiSpecs.isEmpty && runtimes.contains(where: { $0.name == "podman" && $0.found }) {
                out.append("generate a CDI spec for podman: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml")
            }
        }
        return out
    }
}

package enum Doctor {
    package static let cdiDirectories = ["/etc/cdi", "/var/run/cdi"]

    package static func run(
        using runner: any CommandRunner, cdiDirectories: [String] = cdiDirectories,
        environments: (HostGPUReport) -> [PreflightReport] = { _ in [] }
    ) async -> DoctorReport {
        let gpu = await NvidiaSMI.probe(using: runner)
        var runtimes: [RuntimeInfo] = []
        for name in ["podman", "docker"] {
            let out = await runner.run(name, ["--version"])
            var info = RuntimeInfo(name: name, path: nil, version: nil)
            if out.launched {
                info.path = ToolLocator.find(name) ?? name
                info.version = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    .split(separator: "\n").first.map(String.init)
            }
            runtimes.append(info)
        }
        let ctk = await runner.run("nvidia-ctk", ["--version"])
        return DoctorReport(
            gpu: gpu, runtimes: runtimes,
            nvidiaCTK: ctk.launched ? (ToolLocator.find("nvidia-ctk") ?? "nvidia-ctk") : nil,
            cdiSpecs: findCDISpecs(in: cdiDirectories), environments: environments(gpu))
    }

    /// CDI spec files (`*.yaml`, `*.json`) that declare the `nvidia.com/gpu` kind.
    package static func findCDISpecs(in directories: [String]) -> [String] {
        var found: [String] = []
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names.sorted()
            where name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json") {
                let path = dir + "/" + name
                if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("nvidia.com/gpu") {
                    found.append(path)
                }
            }
        }
        return found
    }
}

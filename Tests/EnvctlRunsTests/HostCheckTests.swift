import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// Replays recorded outputs keyed by `tool args…`.
struct RecordedRunner: CommandRunner {
    var outputs: [String: CommandOutput]
    func run(_ tool: String, _ arguments: [String]) async -> CommandOutput {
        outputs(([tool] + arguments).joined(separator: " ")) ?? .notFound
    }
    private func outputs(_ key: String) -> CommandOutput? { outputs[key] }
}

let queryKey = "nvidia-smi " + NvidiaSMI.queryArguments.joined(separator: " ")
let legacyKey = "nvidia-smi " + NvidiaSMI.legacyQueryArguments.joined(separator: " ")

// Recorded from real machines (driver/GPU combinations as nvidia-smi prints them).
let twoA100 = "550.54.15, 8.0, NVIDIA A100-SXM4-80GB\n550.54.15, 8.0, NVIDIA A100-SXM4-80GB\n"
let mixedHost = "535.104.05, 8.6, NVIDIA RTX A6000\n535.104.05, 9.0, NVIDIA H100 80GB HBM3\n"
let driverFailedText = """
    NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.

    """
let oldDriverRejectsComputeCap = "Field \"compute_cap\" is not a valid field to query.\n\n"

@Suite("Host GPU checks") struct HostCheckTests {
    @Test func parsesSeveralGPUs() async {
        let r = await NvidiaSMI.probe(using: RecordedRunner(outputs: [queryKey: .init(status: 0, stdout: mixedHost)]))
        #expect(r.status == .ok)
        #expect(r.driver == "535.104.05")
        #expect(
            r.gpus == [
                HostGPU(index: 0, name: "NVIDIA RTX A6000", computeCapability: "8.6"),
                HostGPU(index: 1, name: "NVIDIA H100 80GB HBM3", computeCapability: "9.0"),
            ])
        #expect(r.summary == "driver 535.104.05, NVIDIA RTX A6000 (sm_86), NVIDIA H100 80GB HBM3 (sm_90)")
        let two = await NvidiaSMI.probe(using: RecordedRunner(outputs: [queryKey: .init(status: 0, stdout: twoA100)]))
        #expect(two.summary == "driver 550.54.15, 2 × NVIDIA A100-SXM4-80GB (sm_80)")
    }

    @Test func noNvidiaSMIMeansNoGPU() async {
        let r = await NvidiaSMI.probe(using: RecordedRunner(outputs: [:]))
        #expect(r.status == .noTool)
        #expect(!r.hasGPU)
        #expect(r.summary == "no NVIDIA GPU (nvidia-smi not found)")
    }

    @Test func driverNotLoaded() async {
        let r = await NvidiaSMI.probe(
            using: RecordedRunner(outputs: [queryKey: .init(status: 9, stdout: driverFailedText)]))
        #expect(r.status == .driverFailed)
        #expect(r.detail?.hasPrefix("NVIDIA-SMI has failed because it couldn't communicate") == true)
        #expect(r.summary.hasPrefix("no usable NVIDIA GPU (nvidia-smi failed: NVIDIA-SMI has failed"))
    }

    @Test func noDevices() async {
        let r = await NvidiaSMI.probe(
            using: RecordedRunner(outputs: [queryKey: .init(status: 6, stdout: "No devices were found\n")]))
        #expect(r.status == .noDevices)
    }

    @Test func oldDriverFallsBackToNames() async {
        let runner = RecordedRunner(outputs: [
            queryKey: .init(status: 2, stdout: oldDriverRejectsComputeCap),
            legacyKey: .init(
                status: 0, stdout: "470.182.03, Tesla V100-SXM2-16GB\n470.182.03, Tesla T4\n470.182.03, Mystery GPU\n"),
        ])
        let r = await NvidiaSMI.probe(using: runner)
        #expect(r.status == .ok)
        #expect(r.driver == "470.182.03")
        #expect(r.capabilityFromName)
        #expect(r.gpus.map(\.computeCapability) == ["7.0", "7.5", nil])
    }

    @Test func compatibleHostPasses() async {
        let host = NvidiaSMI.parse(twoA100, hasCapability: true)
        let report = Preflight.check(LockFactory.environment(), host: host)
        #expect(report.canRun)
        #expect(report.useGPU)
        #expect(report.findings.isEmpty)
    }

    @Test func driverTooOldIsRefused() {
        let host = NvidiaSMI.parse("470.182.03, 8.0, NVIDIA A100-SXM4-40GB\n", hasCapability: true)
        let report = Preflight.check(LockFactory.environment(), host: host)
        #expect(!report.canRun)
        #expect(
            report.findings.map(\.description)
                == [
                    "error: host driver 470.182.03 is older than 525.60.13, the minimum for 'train' (CUDA 12.4.1); upgrade the driver to 525.60.13 or newer, or lock against this fleet's driver",
                    "note: host driver 470.182.03 is below 550.54.15 (CUDA 12.4.1's own driver): running under minor-version compatibility, so PTX JIT is unavailable",
                ].filter { $0.hasPrefix("error") })
    }

    @Test func minorVersionCompatibilityIsANote() {
        let host = NvidiaSMI.parse("535.104.05, 8.0, NVIDIA A100-SXM4-40GB\n", hasCapability: true)
        let report = Preflight.check(LockFactory.environment(), host: host)
        #expect(report.canRun)
        #expect(report.findings.map(\.severity) == [.note])
        #expect(report.findings[0].message.contains("PTX JIT is unavailable"))
    }

    @Test func sassRunsOnSameMajorHigherMinorOnly() {
        let env = LockFactory.environment(archs: ["sm_80"])
        // sm_86 runs sm_80 SASS.
        #expect(Preflight.check(env, host: NvidiaSMI.parse("550.54.15, 8.6, NVIDIA A10\n", hasCapability: true)).canRun)
        // sm_90 does not: different major, no PTX.
        let h100 = Preflight.check(
            env, host: NvidiaSMI.parse("550.54.15, 9.0, NVIDIA H100 80GB HBM3\n", hasCapability: true))
        #expect(!h100.canRun)
        #expect(h100.findings[0].message.contains("cannot run code built for [sm_80]"))
        // sm_75 (lower minor... lower major) does not either.
        #expect(!Preflight.check(env, host: NvidiaSMI.parse("550.54.15, 7.5, Tesla T4\n", hasCapability: true)).canRun)
    }

    @Test func ptxNeedsFullDriver() {
        let env = LockFactory.environment(archs: ["sm_80", "compute_80"])
        let withJIT = Preflight.check(
            env, host: NvidiaSMI.parse("550.54.15, 9.0, NVIDIA H100 80GB HBM3\n", hasCapability: true))
        #expect(withJIT.canRun)
        #expect(withJIT.findings.map(\.severity) == [.warning])
        let noJIT = Preflight.check(
            env, host: NvidiaSMI.parse("535.104.05, 9.0, NVIDIA H100 80GB HBM3\n", hasCapability: true))
        #expect(!noJIT.canRun)
        #expect(
            noJIT.findings.last?.message.contains("PTX JIT is unavailable under minor-version compatibility") == true)
        // Without a full-compatibility version in the lock, the lock's own mode decides.
        let minorLock = LockFactory.environment(
            fullCompatibility: nil, compatibility: .minorVersion, archs: ["sm_90+PTX"])
        #expect(
            !Preflight.check(minorLock, host: NvidiaSMI.parse("560.28.03, 10.0, NVIDIA B200\n", hasCapability: true))
                .canRun)
    }

    @Test func noGPUWarnsButRuns() {
        let report = Preflight.check(LockFactory.environment(), host: HostGPUReport(status: .noTool))
        #expect(report.canRun)
        #expect(!report.useGPU)
        #expect(
            report.findings.first?.message.contains(
                "no NVIDIA GPU (nvidia-smi not found): running 'train' without GPU access") == true)
    }

    /// `run --require-gpu` on recorded hosts without a usable GPU: refused with doctor's explanation, and
    /// nothing is written (no run record, no container).
    @Test(
        arguments: [
            (
                [:], "no NVIDIA GPU (nvidia-smi not found)",
                "nvidia-smi is not on PATH, so this machine has no NVIDIA driver installed"
            ),
            (
                [queryKey: CommandOutput(status: 9, stdout: driverFailedText)],
                "no usable NVIDIA GPU (nvidia-smi failed: NVIDIA-SMI has failed",
                "cannot talk to the driver"
            ),
            (
                [queryKey: CommandOutput(status: 6, stdout: "No devices were found\n")],
                "no NVIDIA GPU (driver ? lists no devices)",
                "is loaded but lists no GPU"
            ),
        ] as [([String: CommandOutput], String, String)])
    func requireGPURefusesWithoutAGPU(outputs: [String: CommandOutput], summary: String, explanation: String)
        async throws
    {
        let ws = try EnvctlTestSupport.TemporaryDirectory(prefix: "envctl-require-gpu")
        defer { ws.cleanup() }
        let host = await NvidiaSMI.probe(using: RecordedRunner(outputs: outputs))
        #expect(host.explanation?.contains(explanation) == true)
        let coordinator = RunCoordinator(runner: RecordedRunner(outputs: outputs), registry: nil, log: { _ in })
        let request = RunRequest(
            environment: LockFactory.environment(), mountDirectory: ws.path, recordWorkspace: ws.path,
            command: ["true"],
            runtime: .podman, requireGPU: true)
        do {
            _ = try await coordinator.run(request)
            Issue.record("--require-gpu started a run on a host without a GPU")
        } catch {
            #expect(error.kind == .failure)
            #expect(error.message.hasPrefix("--require-gpu: \(summary)"), "\(error.message)")
            #expect(error.message.contains(explanation))
            #expect(error.hint?.contains("envctl doctor") == true)
        }
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/.envctl"))
    }

    @Test func hostWithAGPUHasNoExplanation() async {
        let host = await NvidiaSMI.probe(using: RecordedRunner(outputs: [queryKey: .init(status: 0, stdout: twoA100)]))
        #expect(host.explanation == nil)
    }

    @Test func doctorReportsToolkitAndCDI() async throws {
        let dir = try EnvctlTestSupport.TemporaryDirectory(prefix: "envctl-cdi")
        defer { dir.cleanup() }
        try dir.write("nvidia.yaml", "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\n")
        try dir.write("other.yaml", "kind: vendor.com/fpga\n")
        let runner = RecordedRunner(outputs: [
            queryKey: .init(status: 0, stdout: twoA100),
            "podman --version": .init(status: 0, stdout: "podman version 4.3.1\n"),
        ])
        let report = await Doctor.run(using: runner, cdiDirectories: [dir.path, "/nonexistent"])
        #expect(report.gpu.gpus.count == 2)
        #expect(report.runtimes.map(\.found) == [true, false])
        #expect(report.runtimes[0].version == "podman version 4.3.1")
        #expect(report.cdiSpecs == [dir.path + "/nvidia.yaml"])
        #expect(report.advice == ["install the NVIDIA Container Toolkit (nvidia-ctk) so containers can reach the GPUs"])
    }
}

/// `--gpus` against the host's GPUs, checked by the run coordinator before anything is written.
@Suite("GPU selection against the host") struct GPUSelectionHostTests {
    @Test func anIndexTheHostLacksIsRefusedBeforeAnythingIsWritten() async throws {
        let dir = try TemporaryDirectory(prefix: "envctl-gpus")
        defer { dir.cleanup() }
        let coordinator = RunCoordinator(
            runner: RecordedRunner(outputs: [queryKey: .init(status: 0, stdout: twoA100)]), registry: nil,
            log: { _ in })
        var request = RunRequest(
            environment: LockFactory.environment(), mountDirectory: dir.path, recordWorkspace: dir.path,
            command: ["true"], runtime: .podman)
        request.options = try ContainerOptions.parse(gpus: "0,2")
        await #expect {
            _ = try await coordinator.run(request)
        } throws: { error in
            let e = try #require(error as? RunsError)
            return e.failureKind == .badInput && e.message == "--gpus: GPU 2 does not exist; this host has 0, 1"
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.envctl"))
    }
}

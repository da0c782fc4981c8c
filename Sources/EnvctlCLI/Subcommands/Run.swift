import ArgumentParser
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command in an environment's locked image, and record the run.",
            discussion: """
                The image is the lock's pushed digest (repo@sha256:…). The workspace (the directory with \
                envctl.lock) is mounted at /workspace. GPUs are passed with --gpus all (docker) or the CDI \
                device nvidia.com/gpu=all (podman). Output streams, stdin is passed through, and envctl exits \
                with the container's exit status. The record goes to .envctl/runs/<id>.json.

                Before starting, the host's driver and GPUs (nvidia-smi) are checked against the lock; a mismatch \
                refuses (--no-preflight starts anyway). A machine with no GPU warns and runs without GPU flags, \
                unless --require-gpu, which refuses instead.

                Examples:
                  envctl run -- python train.py --epochs 3
                  envctl run --env eval --runtime docker -- python eval.py
                  envctl run --require-gpu -- python train.py   # never fall back to CPU
                  envctl run --shm-size 16g -- torchrun --nproc-per-node 8 train.py
                """)

        @Option(name: .long, help: "Environment to run (needed when the lock has several).")
        var env: String?

        @Option(name: .long, help: "Container runtime: podman or docker (default: podman if installed).")
        var runtime: ContainerRuntime?

        @Flag(name: .long, help: "Start even when the host driver or GPUs do not match the lock.")
        var noPreflight = false

        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Refuse (exit 1) when this machine has no usable NVIDIA GPU, instead of warning and running on CPU.",
                discussion: "Checked even with --no-preflight. The refusal explains why, as envctl doctor does."))
        var requireGPU = false

        @Option(name: .long, help: "Size of /dev/shm (e.g. 16g) instead of sharing the host's IPC namespace.")
        var shmSize: String?

        @Argument(parsing: .postTerminator, help: "The command, after --.")
        var command: [String] = []

        @OptionGroup(title: "Registry options (for the protective tag)") var registry: RegistryOptions

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                let workspace = try Workspace.locate()
                let lock = try workspace.loadLock()
                let environment = try lock.selectEnvironment(env, file: workspace.lockPath)
                let rt = try ContainerRuntime.detect(explicit: runtime)
                let coordinator = RunCoordinator(
                    runner: SystemCommandRunner(),
                    registry: try registry.makeClient(credentialsFor: nil, reporter: nil),
                    log: RunsPresentation.log)
                let (record, code) = try await coordinator.run(
                    RunRequest(
                        environment: environment, mountDirectory: workspace.root, recordWorkspace: workspace.root,
                        command: command, runtime: rt, preflight: !noPreflight, requireGPU: requireGPU,
                        shmSize: shmSize,
                        git: workspace.gitStamp(), tty: isatty(0) == 1 && isatty(1) == 1))
                RunsPresentation.stderr(
                    "envctl: run \(record.id) exited with \(code) (record: .envctl/runs/\(record.id).json)")
                return code
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}

extension ContainerRuntime: ExpressibleByArgument {}

import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlRuns
import Foundation

extension EnvctlCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a command in an environment's locked image, and record the run.",
            discussion: """
                The image is the lock's pushed digest (repo@sha256:…). The workspace (the directory with \
                envctl.lock) is mounted at /workspace. GPUs are passed with --gpus all (docker) or the CDI \
                device nvidia.com/gpu=all (podman); --gpus 0,1 selects devices. Output streams, stdin is passed \
                through, and envctl exits with the container's exit status. The record goes to \
                .envctl/runs/<id>.json: it keeps the names of -e/--env-file variables, never their values.

                --env names the environment (as in every envctl command); container variables are -e/--env-var \
                NAME=VALUE, or -e NAME to pass NAME's value from envctl's own environment (keeps a secret out of \
                the process list). Every value is checked (exit 64) and passed as its own argument, never \
                through a shell.

                The pushed digest gets a protective registry tag envctl-run-<id> so that clean-up keeps it; \
                --no-protective-tag skips it (read-only registry credentials, or no tag clutter).

                Before starting, the host's driver and GPUs (nvidia-smi) are checked against the lock; a mismatch \
                refuses (--no-preflight starts anyway). A machine with no GPU warns and runs without GPU flags, \
                unless --require-gpu, which refuses instead.

                Examples:
                  envctl run -- python train.py --epochs 3
                  envctl run --env eval --runtime docker -- python eval.py
                  envctl run --require-gpu -- python train.py   # never fall back to CPU
                  envctl run --shm-size 16g -- torchrun --nproc-per-node 8 train.py
                  envctl run --gpus 0,1 -e WANDB_MODE=offline -e HF_TOKEN -- python train.py
                  envctl run --env serve -p 127.0.0.1:8000:8000 -- python -m http.server 8000
                  envctl run -v /data/imagenet:/data:ro --workdir /workspace/src -- python eval.py
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

        @Option(
            name: [.customShort("e"), .customLong("env-var")],
            help: ArgumentHelp(
                "Set a variable in the container: NAME=VALUE, or NAME to pass envctl's own value (repeatable).",
                discussion: "--env stays the environment's name. Values never appear in output or run records.",
                valueName: "NAME[=VALUE]"))
        var variables: [String] = []

        @Option(
            name: .long,
            help: ArgumentHelp("Read variables from a file of NAME=VALUE lines (repeatable).", valueName: "file"))
        var envFile: [String] = []

        @Option(
            name: [.customShort("v"), .long],
            help: ArgumentHelp(
                "Mount a host path or named volume (repeatable); a host path must exist.",
                valueName: "source:dest[:ro]"))
        var volume: [String] = []

        @Option(
            name: [.customShort("p"), .long],
            help: ArgumentHelp("Publish a container port (repeatable).", valueName: "[ip:][host-port:]port[/proto]"))
        var publish: [String] = []

        @Option(
            name: .long,
            help: ArgumentHelp(
                "GPUs to pass when the host has any: all (default), none, or indices/UUIDs (0,1).", valueName: "list"))
        var gpus: String?

        @Option(name: .long, help: "Working directory in the container (default /workspace).")
        var workdir: String?

        @Option(name: .long, help: "Container name (default envctl-run-<run id>).")
        var name: String?

        @Flag(name: .long, help: "Don't tag the pushed digest envctl-run-<id> in its registry.")
        var noProtectiveTag = false

        @Argument(parsing: .postTerminator, help: "The command, after --.")
        var command: [String] = []

        @OptionGroup(title: "Registry options (for the protective tag)") var registry: RegistryOptions

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                let workspace = try Workspace.locate()
                let lock = try workspace.loadLock()
                let environment = try lock.selectEnvironment(env, file: workspace.lockPath)
                // A multi-platform push records its platforms: refuse a host the image was not built for.
                if let pushed = environment.pushed, let platforms = pushed.platforms {
                    try TargetPlatform.check(host: .host, in: platforms.keys, image: pushed.pinnedReference)
                }
                let options = try ContainerOptions.parse(
                    env: variables, envFiles: envFile, volumes: volume, publish: publish, gpus: gpus,
                    workdir: workdir, name: name)
                let shm = try shmSize.map { s throws(RunsError) in try ContainerOptions.parseShmSize(s) }
                let rt = try ContainerRuntime.detect(explicit: runtime)
                let coordinator = RunCoordinator(
                    runner: SystemCommandRunner(),
                    registry: try registry.makeClient(credentialsFor: nil, reporter: nil),
                    log: RunsPresentation.log)
                let (record, code) = try await coordinator.run(
                    RunRequest(
                        environment: environment, mountDirectory: workspace.root, recordWorkspace: workspace.root,
                        command: command, runtime: rt, preflight: !noPreflight, requireGPU: requireGPU,
                        shmSize: shm,
                        git: workspace.gitStamp(), tty: isatty(0) == 1 && isatty(1) == 1, options: options,
                        protectiveTag: !noProtectiveTag))
                RunsPresentation.stderr(
                    "envctl: run \(record.id) exited with \(code) (record: .envctl/runs/\(record.id).json)")
                return code
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}

extension ContainerRuntime: ExpressibleByArgument {}

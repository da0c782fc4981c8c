package import EnvctlModel
import Foundation
package import OCIRegistry

/// Everything needed to run a command in a locked environment.
package struct RunRequest: Sendable {
    package var environment: LockedEnvironment
    /// Mounted into the container (the workspace, or a checked-out old commit for reproduce).
    package var mountDirectory: String
    /// Where `.envctl/runs/` lives.
    package var recordWorkspace: String
    package var command: [String]
    package var runtime: ContainerRuntime
    package var preflight: Bool
    /// Refuse (before anything is written) when the host has no usable GPU, instead of running on CPU.
    package var requireGPU: Bool
    package var shmSize: String?
    package var git: RunRecord.GitStamp?
    package var reproducedFrom: String?
    package var tty: Bool
    /// Set when the image was already chosen (reproduce after verifying the digest).
    package var image: RunRecord.ImageStamp?
    /// The user's container settings (`-e`, `-v`, `-p`, `--gpus`, …), already validated.
    package var options = ContainerOptions()
    /// Tag a pushed digest `envctl-run-<id>` in its registry so clean-up keeps it (`--no-protective-tag`: don't).
    package var protectiveTag = true

    package init(
        environment: LockedEnvironment, mountDirectory: String, recordWorkspace: String, command: [String],
        runtime: ContainerRuntime, preflight: Bool = true, requireGPU: Bool = false, shmSize: String? = nil,
        git: RunRecord.GitStamp? = nil, reproducedFrom: String? = nil, tty: Bool = false,
        image: RunRecord.ImageStamp? = nil, options: ContainerOptions = ContainerOptions(), protectiveTag: Bool = true
    ) {
        self.options = options
        self.protectiveTag = protectiveTag
        self.requireGPU = requireGPU
        self.environment = environment
        self.mountDirectory = mountDirectory
        self.recordWorkspace = recordWorkspace
        self.command = command
        self.runtime = runtime
        self.preflight = preflight
        self.shmSize = shmSize
        self.git = git
        self.reproducedFrom = reproducedFrom
        self.tty = tty
        self.image = image
    }
}

/// Preflight, image choice, run record, protective tag, container: the one path `run` and `reproduce` share.
package struct RunCoordinator: Sendable {
    package var runner: any CommandRunner
    package var registry: (any ImageRegistry)?
    /// Warnings and notes for the user (stderr).
    package var log: @Sendable (String) -> Void

    package init(runner: any CommandRunner, registry: (any ImageRegistry)?, log: @escaping @Sendable (String) -> Void) {
        self.runner = runner
        self.registry = registry
        self.log = log
    }

    package func run(_ request: RunRequest) async throws(RunsError) -> (record: RunRecord, exitCode: Int32) {
        guard !request.command.isEmpty else {
            throw RunsError(.badInput, "no command to run", hint: "put it after --: envctl run -- python train.py")
        }
        let env = request.environment
        let host = await NvidiaSMI.probe(using: runner)
        if request.requireGPU, let why = host.explanation {
            throw RunsError(
                .failure, "--require-gpu: \(host.summary); not starting '\(env.name)'\n    \(why)",
                hint:
                    "'envctl doctor' shows the whole host report; without --require-gpu the run starts on CPU, without GPU flags"
            )
        }
        let report = Preflight.check(env, host: host)
        if request.preflight && !report.canRun {
            let lines = report.findings.filter { $0.severity == .error }.map { "  - \($0.message)" }
            throw RunsError(
                .failure,
                "preflight: '\(env.name)' cannot run on this host (\(host.summary)):\n" + lines.joined(separator: "\n"),
                hint: "--no-preflight starts it anyway")
        }
        for f in report.findings where f.severity != .error || !request.preflight {
            log("\(f.severity.rawValue): \(f.message)")
        }
        if !host.hasGPU {
            log("warning: starting the container without GPU flags")
            if case .devices(let ids) = request.options.gpus {
                log("warning: --gpus \(ids.joined(separator: ",")) ignored: this host has no usable GPU")
            }
        } else if case .devices(let ids) = request.options.gpus {
            let known = Set(host.gpus.map { String($0.index) })
            if let missing = ids.first(where: { $0.allSatisfy(\.isNumber) && !known.contains($0) }) {
                throw RunsError(
                    .badInput,
                    "--gpus: GPU \(missing) does not exist; this host has "
                        + host.gpus.map { String($0.index) }.joined(separator: ", "),
                    hint: "'envctl doctor' lists the GPUs")
            }
        }

        let image: RunRecord.ImageStamp
        if let chosen = request.image {
            image = chosen
        } else {
            image = try await ImageSelection.select(env, runtime: request.runtime, runner: runner)
        }
        if image.source == "local" {
            log(
                "warning: '\(env.name)' has no pushed digest; running local image \(image.reference), which no one else can pull"
            )
        }

        let id = RunRecord.newID()
        var record = RunRecord(
            id: id, kind: .container, startedAt: Date(), command: request.command, workspace: request.recordWorkspace,
            git: request.git, environment: env.name, lockHash: env.hash, images: [image],
            runtime: request.runtime.rawValue,
            host: host, preflight: report.findings)
        record.reproducedFrom = request.reproducedFrom
        record.container = request.options.stamp
        record.container?.shmSize = request.shmSize
        let store = RunStore(workspace: request.recordWorkspace)
        try save(record, in: store)

        if image.digest != nil, !request.protectiveTag {
            log("note: --no-protective-tag: \(image.reference) is not tagged; registry clean-up may delete it")
        } else if let digest = image.digest, let registry {
            let repo = ImageReference.components(of: image.reference).name
            do {
                try await registry.addTag(repository: repo, digest: digest, tag: record.protectiveTag)
                record.protectiveTags.append("\(repo):\(record.protectiveTag)")
                try save(record, in: store)
            } catch {
                log(
                    "warning: could not add protective tag \(record.protectiveTag) to \(repo)@\(digest): \(error.message)"
                )
            }
        }

        var invocation = ContainerInvocation(
            runtime: request.runtime, image: image.reference, command: request.command,
            workspace: request.mountDirectory,
            gpu: host.hasGPU, shmSize: request.shmSize, tty: request.tty, runID: id)
        invocation.options = request.options
        if let commit = request.git?.commit { invocation.environment["ENVCTL_GIT_COMMIT"] = commit }
        invocation.environment["ENVCTL_LOCK_HASH"] = env.hash
        let code: Int32
        do {
            code = try await ContainerLauncher.run(invocation)
        } catch {
            record.endedAt = RunRecord.timestamp(Date())
            try? save(record, in: store)
            throw error
        }
        record.exitCode = code
        record.endedAt = RunRecord.timestamp(Date())
        try save(record, in: store)
        return (record, code)
    }

    func save(_ record: RunRecord, in store: RunStore) throws(RunsError) {
        do { try store.save(record) } catch {
            let path = store.path(for: record.id)
            throw RunsError(.failure, "cannot write run record \(path): \(FileSystemError.Reason(error, path: path))")
        }
    }
}

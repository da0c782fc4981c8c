package import EnvctlModel
import Foundation
import OCIRegistry
import Subprocess

/// The container runtimes envctl drives.
package enum ContainerRuntime: String, Sendable, Hashable, Codable, CaseIterable {
    case podman
    case docker

    /// The flags that expose every NVIDIA GPU: docker's `--gpus` (NVIDIA runtime hook) or podman's CDI device.
    package var gpuFlags: [String] { gpuArguments(.all) }

    /// The flags that expose the selected GPUs: docker's `--gpus` takes one CSV value, so a device list
    /// is quoted inside it (`--gpus "device=0,1"`, the argv value carrying the double quotes); podman
    /// takes one CDI device per GPU (`--device nvidia.com/gpu=0 --device nvidia.com/gpu=1`).
    package func gpuArguments(_ selection: ContainerOptions.GPUSelection) -> [String] {
        switch (self, selection) {
        case (_, .none): []
        case (.docker, .all): ["--gpus", "all"]
        case (.podman, .all): ["--device", "nvidia.com/gpu=all"]
        case (.docker, .devices(let ids)): ["--gpus", "\"device=\(ids.joined(separator: ","))\""]
        case (.podman, .devices(let ids)): ids.flatMap { ["--device", "nvidia.com/gpu=\($0)"] }
        }
    }

    /// podman if installed, else docker.
    package static func detect(explicit: ContainerRuntime?) throws(RunsError) -> ContainerRuntime {
        if let explicit {
            guard ToolLocator.find(explicit.rawValue) != nil else {
                throw RunsError(
                    .missingTool, "\(explicit.rawValue) is not installed",
                    hint: "install it, or pass --runtime with the other one")
            }
            return explicit
        }
        for r in allCases where ToolLocator.find(r.rawValue) != nil { return r }
        throw RunsError(
            .missingTool, "neither podman nor docker is installed", hint: "install podman (apt-get install podman runc)"
        )
    }
}

/// How to start one container: built from the lock, the host report and the user's command.
package struct ContainerInvocation: Sendable, Hashable {
    package var runtime: ContainerRuntime
    package var image: String
    package var command: [String]
    package var workspace: String
    /// Where the workspace is mounted and the command starts.
    package var mountPoint: String = "/workspace"
    package var gpu: Bool
    /// nil: share the host IPC namespace (`--ipc=host`, what PyTorch DataLoader workers need);
    /// otherwise a sized `/dev/shm` such as `16g`.
    package var shmSize: String?
    package var tty: Bool
    package var runID: String
    package var environment: [String: String] = [:]
    /// The user's settings (`-e`, `-v`, `-p`, `--gpus`, `--workdir`, `--name`).
    package var options = ContainerOptions()

    package init(
        runtime: ContainerRuntime, image: String, command: [String], workspace: String, gpu: Bool, shmSize: String?,
        tty: Bool, runID: String
    ) {
        self.runtime = runtime
        self.image = image
        self.command = command
        self.workspace = workspace
        self.gpu = gpu
        self.shmSize = shmSize
        self.tty = tty
        self.runID = runID
    }

    /// The runtime's arguments, without the program name.
    package var arguments: [String] {
        var a = ["run", "--rm", "-i"]
        if tty { a.append("-t") }
        a += ["--name", options.name ?? "envctl-run-\(runID)", "--label", "dev.envctl.run=\(runID)"]
        if let shmSize { a.append("--shm-size=\(shmSize)") } else { a.append("--ipc=host") }
        a += ["-v", "\(workspace):\(mountPoint)", "-w", options.workdir ?? mountPoint]
        // The user's variables come first so that envctl's own (ENVCTL_*, which -e refuses) always win.
        a += options.runtimeArguments
        a += ["-e", "ENVCTL_RUN_ID=\(runID)"]
        for key in environment.keys.sorted() { a += ["-e", "\(key)=\(environment[key]!)"] }
        if gpu { a += runtime.gpuArguments(options.gpus) }
        a.append(image)
        return a + command
    }
}

/// Picks the image an environment runs in.
package enum ImageSelection {
    /// The name `envctl build` gives the image it builds: `localhost/envctl/<env>:<contentTag>`.
    package static func localTag(for env: LockedEnvironment) -> String {
        "localhost/envctl/\(env.name):\(env.contentTag)"
    }

    /// The local names tried, in order, when the lock has no pushed digest: `build`'s own name, then
    /// `<image>:<contentTag>` (a pushed build's tag, or one tagged by hand).
    package static func localCandidates(for env: LockedEnvironment) -> [String] {
        [localTag(for: env)] + (env.image.map { ["\($0):\(env.contentTag)"] } ?? [])
    }

    /// The lock's pushed digest when there is one; otherwise a local image (``localCandidates(for:)``) if
    /// the runtime has it (not portable: the record says `local`).
    package static func select(
        _ env: LockedEnvironment, runtime: ContainerRuntime, runner: any CommandRunner
    ) async throws(RunsError) -> RunRecord.ImageStamp {
        if let pushed = env.pushed {
            guard ImageReference.isSHA256Digest(pushed.digest) else {
                throw RunsError(
                    .badInput,
                    "environment '\(env.name)' records pushed digest '\(pushed.digest)', which is not a sha256 digest")
            }
            return .init(reference: pushed.pinnedReference, digest: pushed.digest, source: "pushed")
        }
        let candidates = localCandidates(for: env)
        for local in candidates {
            let out = await runner.run(runtime.rawValue, ["image", "inspect", "--format", "{{.Id}}", local])
            if out.succeeded { return .init(reference: local, digest: nil, source: "local") }
        }
        throw RunsError(
            .badInput,
            "environment '\(env.name)' has no pushed image in the lock and no local image "
                + candidates.joined(separator: " or ") + " in \(runtime.rawValue)'s storage",
            hint:
                "run 'envctl build --push --record' (pushes and records the digest in envctl.lock), or 'envctl build' for a local image"
        )
    }
}

/// Runs a container in the foreground: stdin, stdout and stderr are the terminal's own, and the
/// container's exit status comes back.
package enum ContainerLauncher {
    package static func run(_ invocation: ContainerInvocation, extraEnvironment: [String: String] = [:])
        async throws(RunsError) -> Int32
    {
        guard ToolLocator.find(invocation.runtime.rawValue) != nil else {
            throw RunsError(.missingTool, "\(invocation.runtime.rawValue) is not installed")
        }
        // Ctrl-C reaches the whole foreground process group; the runtime forwards it to the container.
        // envctl itself must survive it to write the end of the run record. A handler (not SIG_IGN) is
        // reset to the default by exec, so the runtime still gets normal signal behaviour.
        let previous = SignalGuard.install()
        defer { SignalGuard.restore(previous) }
        do {
            var env: [Environment.Key: String?] = [:]
            for (k, v) in extraEnvironment { env[Environment.Key(stringLiteral: k)] = v }
            let result = try await Subprocess.run(
                .name(invocation.runtime.rawValue), arguments: .init(invocation.arguments),
                environment: .inherit.updating(env),
                input: .currentStandardInput, output: .currentStandardOutput, error: .currentStandardError)
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        } catch {
            throw RunsError(.failure, "could not start \(invocation.runtime.rawValue): \(error)")
        }
    }
}

enum SignalGuard {
    static func install() -> (sigaction, sigaction) {
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_handler = { _ in }
        #else
        action.__sigaction_u.__sa_handler = { _ in }
        #endif
        sigemptyset(&action.sa_mask)
        var oldInt = sigaction(), oldTerm = sigaction()
        sigaction(SIGINT, &action, &oldInt)
        sigaction(SIGTERM, &action, &oldTerm)
        return (oldInt, oldTerm)
    }

    static func restore(_ previous: (sigaction, sigaction)) {
        var (i, t) = previous
        sigaction(SIGINT, &i, nil)
        sigaction(SIGTERM, &t, nil)
    }
}

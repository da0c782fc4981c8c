import ArgumentParser
import EnvctlModel
import EnvctlRuns
import EnvctlWorkflows
import Foundation
import GitSupport

extension EnvctlCommand {
    struct Reproduce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reproduce",
            abstract: "Rerun a past run from a git commit, in exactly the images that commit's lock pinned.",
            discussion: """
                Reads envctl.lock (and the run record, with --run) at COMMIT through libgit2, checks that the \
                image digest still exists in the registry, checks the commit's tree out into a temporary \
                directory (your working tree is not touched), and runs the recorded or given command there. \
                With --run, the run's GPU selection, working directory and /dev/shm size apply again; its volumes, \
                ports, env files and variables only with --replay-settings. --dry-run prints the plan and changes \
                nothing.

                With --rebuild, an image that is gone from the registry (or was never recorded) is built from \
                the lock at COMMIT (the checked-out tree is the build context; the push record's revision and \
                SOURCE_DATE_EPOCH label it), pushed under the environment's content tag, and compared with the \
                recorded digest: envctl says whether it matches. Then the command runs in the rebuilt image.

                When run ID was a pipeline submission (envctl pipeline submit), the compiled pipeline and the \
                lock at COMMIT are pinned again (other images to the digests that run used), checked in the \
                registry, and submitted with the recorded parameters (--param overrides) to --kfp URL or \
                --vertex PROJECT/REGION, as a new pipeline version; --dry-run shows the plan.

                Examples:
                  envctl reproduce 3f2a9c1 --run ID      # the recorded command, at 3f2a9c1
                  envctl reproduce v1.2 -- python eval.py # another command, in v1.2's image
                  envctl reproduce 3f2a9c1 --run ID --dry-run
                  envctl reproduce 3f2a9c1 --run ID --replay-settings   # also its -v, -p, --env-file, -e
                  envctl reproduce 3f2a9c1 --run ID --rebuild --mirror docker.io=mirror.example.com
                  envctl reproduce 3f2a9c1 --run PIPELINE-RUN-ID --kfp https://kubeflow.example.com/pipeline
                  envctl reproduce 3f2a9c1 --run JOB-RUN-ID --kubeconfig ~/.kube/config   # an 'envctl job submit' run
                """)

        @Argument(help: "Commit, short SHA, tag or branch.") var commit: String
        @Option(name: .long, help: "Environment (default: the run's, or the lock's only one).") var env: String?
        @Option(name: .long, help: "Rerun this recorded run's command.") var run: String?
        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Rebuild the image from the lock at COMMIT when its digest is gone (or was never recorded), push it under the environment's content tag, and report whether the digest matches.",
                discussion:
                    "Pass the --mirror/--build-arg the original build used; the commit's .envctl/templates apply."))
        var rebuild = false
        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Also apply the run's volumes, published ports, env files and variables (values from your environment).",
                discussion:
                    "Without it, --run replays only the run's GPU selection, working directory and /dev/shm size, and names what it left out: a run record can come from the repository, and these settings give its command your files and variables."
            ))
        var replaySettings = false
        @Flag(name: .long, help: "Print the plan (commit, image, command) and stop.") var dryRun = false
        @Option(name: .long, help: "Container runtime: podman or docker.") var runtime: ContainerRuntime?
        @Flag(name: .long, help: "Start even when the host does not pass the preflight.") var noPreflight = false
        @Flag(name: .long, help: "Refuse (exit 1) when this machine has no usable NVIDIA GPU.") var requireGPU = false
        @Flag(name: .long, help: "Keep the checked-out tree after the run.") var keep = false
        @Argument(parsing: .postTerminator, help: "Command to run instead of the recorded one, after --.") var command:
            [String] = []
        @OptionGroup(title: "Rebuild options (with --rebuild)") var builderOptions: BuildOptions
        @OptionGroup(title: "Pipeline options (when the run was a pipeline submission)") var pipelineOptions:
            PipelineSubmitOptions
        @OptionGroup(title: "Kubernetes options (when the run was a job)") var jobOptions: ReproduceJobOptions

        func run() async throws {
            let code = try await ErrorPresentation.guarded { () async throws -> Int32 in
                try pipelineOptions.checkTokenOption()
                let cwd = FileManager.default.currentDirectoryPath
                let source = try LockSource.open(from: cwd)
                let workspaceRoot =
                    (try? Workspace.locate(from: cwd))?.root ?? source.repository.workingDirectory ?? cwd
                let registry = try builderOptions.registry.makeClient(credentialsFor: nil, reporter: nil)
                let reproducer = Reproducer(source: source, workspace: workspaceRoot, registry: registry)
                if let run {
                    let record = try reproducer.record(run, at: commit)
                    if record.kind == .kubernetes {
                        return try await reproduceJob(record, reproducer: reproducer, workspaceRoot: workspaceRoot)
                    }
                    if record.kind != .container {
                        return try await reproducePipeline(
                            record, reproducer: reproducer, registry: registry, workspaceRoot: workspaceRoot)
                    }
                }
                let plan = try await reproducer.plan(
                    revision: commit, environment: env, runID: run, command: command, rebuild: rebuild,
                    replayHostSettings: replaySettings)
                for n in plan.notes { RunsPresentation.stderr("note: \(n)") }
                if dryRun {
                    print(Self.render(plan))
                    return 0
                }
                let useCase = ReproduceRun(reproducer: reproducer, registry: registry, onEvent: { Self.present($0) })
                let (record, code) = try await useCase.run(
                    plan,
                    options: .init(
                        rebuild: rebuild, runtime: runtime, preflight: !noPreflight, requireGPU: requireGPU,
                        keepTree: keep, tty: isatty(0) == 1 && isatty(1) == 1),
                    recipe: { try builderOptions.recipe(for: $0) })
                RunsPresentation.stderr(
                    "envctl: run \(record.id) exited with \(code) (record: .envctl/runs/\(record.id).json)")
                return code
            }
            if code != 0 { throw ExitCode(code) }
        }

        static func render(_ p: ReproducePlan) -> String {
            var rows = [
                ["commit", "\(p.commit.id) \(p.commit.summary)"], ["environment", p.environment],
                ["lock hash", p.lockHash],
                ["image", p.image.reference], ["command", p.command.joined(separator: " ")],
                ["checkout", "a temporary directory (your working tree is not touched)"],
            ]
            if let r = p.fromRun { rows.insert(["from run", r], at: 1) }
            if let c = p.container {
                let workdir = ContainerOptions.workdir(of: c, hostSettings: p.replayHostSettings)
                var settings = ["--gpus \(c.gpus)"] + (workdir.map { ["--workdir \($0)"] } ?? [])
                settings += [c.shmSize.map { "--shm-size \($0)" } ?? "--ipc=host"]
                if p.replayHostSettings { settings += ContainerOptions.hostSettings(of: c) }
                rows.insert(["container", settings.joined(separator: " ")], at: rows.count - 1)
            }
            if let t = p.rebuildTarget {
                let when =
                    p.image.digest == nil ? "no digest recorded" : "if \(p.image.digest!) is gone from the registry"
                rows.insert(
                    ["rebuild", "\(when): build from the lock at \(p.commit.shortID), push \(t), compare digests"],
                    at: rows.count - 1)
            }
            return RunsPresentation.table(rows)
        }
    }
}

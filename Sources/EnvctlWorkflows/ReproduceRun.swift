import EnvctlImageBuild
package import EnvctlModel
package import EnvctlRuns
import Foundation
package import GitSupport
package import OCIRegistry

/// `reproduce COMMIT` for a container run: the image the plan pins is checked in the registry (or, with
/// `rebuild`, rebuilt from the lock at the commit when it is gone), the commit's tree is checked out into a
/// temporary directory, and the command runs there in that image. The plan comes from `Reproducer.plan`;
/// the caller shows it (and stops there for a dry run) before calling `run`.
package struct ReproduceRun {
    /// What happened, for the CLI to present.
    package enum Event: Sendable {
        /// With `rebuild`: the recorded image still exists, so nothing is rebuilt.
        case stillInRegistry(reference: String)
        /// With `rebuild`: the recorded image is gone; it is rebuilt from the lock at `commit`.
        case goneRebuilding(reference: String, commit: String)
        /// The lock records no build inputs; the commit and its time stand in (labels and digest may differ).
        case guessedBuildInputs(commit: String)
        /// A step of the rebuild.
        case build(BuildEvent, environment: String, commit: String)
        /// The rebuilt digest compared with the recorded one.
        case compared(DigestComparison, commit: String)
        /// The command is about to run in `tree`.
        case reproducing(commit: CommitInfo, tree: String)
        /// A line from the run (preflight, pull, …).
        case log(String)
    }

    /// How the rebuilt digest relates to the one the lock recorded.
    package enum DigestComparison: Sendable, Hashable {
        case nothingRecorded(rebuilt: String)
        case matches(String)
        case differs(rebuilt: String, recorded: String)

        package init(rebuilt: String, recorded: String?) {
            guard let recorded else {
                self = .nothingRecorded(rebuilt: rebuilt)
                return
            }
            self = recorded == rebuilt ? .matches(rebuilt) : .differs(rebuilt: rebuilt, recorded: recorded)
        }
    }

    /// The run's settings besides the plan.
    package struct Options: Sendable {
        package var rebuild: Bool
        package var runtime: ContainerRuntime?
        package var preflight: Bool
        package var requireGPU: Bool
        /// Keep the checked-out tree after the run.
        package var keepTree: Bool
        package var tty: Bool

        package init(
            rebuild: Bool, runtime: ContainerRuntime?, preflight: Bool, requireGPU: Bool, keepTree: Bool, tty: Bool
        ) {
            self.rebuild = rebuild
            self.runtime = runtime
            self.preflight = preflight
            self.requireGPU = requireGPU
            self.keepTree = keepTree
            self.tty = tty
        }
    }

    package var reproducer: Reproducer
    package var registry: any ImageRegistry
    package var runner: any CommandRunner
    package var onEvent: @Sendable (Event) -> Void

    package init(
        reproducer: Reproducer, registry: any ImageRegistry, runner: any CommandRunner = SystemCommandRunner(),
        onEvent: @escaping @Sendable (Event) -> Void
    ) {
        self.reproducer = reproducer
        self.registry = registry
        self.runner = runner
        self.onEvent = onEvent
    }

    /// Verifies (or rebuilds) the image, checks the tree out and runs the plan's command.
    /// - Parameter recipe: the build recipe for the plan's environment; asked for only when it is rebuilt.
    /// - Returns: the run's record and the command's exit status.
    package func run(
        _ plan: ReproducePlan, options: Options, recipe: (LockedEnvironment) throws -> BuildRecipe
    ) async throws -> (record: RunRecord, exitCode: Int32) {
        var plan = plan
        let container = try plan.containerOptions()
        var needsRebuild = false
        if options.rebuild {
            if try await reproducer.imageExists(plan) {
                onEvent(.stillInRegistry(reference: plan.image.reference))
            } else {
                if plan.image.digest != nil {
                    onEvent(.goneRebuilding(reference: plan.image.reference, commit: plan.commit.shortID))
                }
                needsRebuild = true
            }
        } else {
            try await reproducer.verifyImage(plan)
        }
        let runtime = try ContainerRuntime.detect(explicit: options.runtime)
        let tree = try reproducer.checkout(plan)
        defer { if options.keepTree { Cleanup.forget(tree) } else { Cleanup.remove(tree) } }
        if needsRebuild {
            let lockDir = (reproducer.source.lockPath as NSString).deletingLastPathComponent
            plan.image = try await rebuildImage(
                plan, projectDirectory: lockDir.isEmpty ? tree : "\(tree)/\(lockDir)", recipe: recipe)
        }
        onEvent(.reproducing(commit: plan.commit, tree: tree))
        let onEvent = self.onEvent
        let coordinator = RunCoordinator(runner: runner, registry: registry, log: { onEvent(.log($0)) })
        return try await coordinator.run(
            RunRequest(
                environment: plan.locked, mountDirectory: tree, recordWorkspace: reproducer.workspace,
                command: plan.command, runtime: runtime, preflight: options.preflight, requireGPU: options.requireGPU,
                shmSize: plan.container?.shmSize,
                git: RunRecord.GitStamp(commit: plan.commit.id, dirty: false, changedPaths: []),
                reproducedFrom: plan.commit.id, tty: options.tty, image: plan.image, options: container))
    }

    /// `reproduce --rebuild`: the one build pipeline (`Rebuild`) run for the plan's environment, followed by
    /// how the digest compares with the recorded one.
    /// - Returns: the rebuilt image, pinned by its digest.
    /// - Parameter recipe: the build recipe for the plan's environment.
    package func rebuildImage(
        _ plan: ReproducePlan, projectDirectory: String, recipe: (LockedEnvironment) throws -> BuildRecipe
    ) async throws -> RunRecord.ImageStamp {
        let (inputs, guessed) = Rebuild.inputs(for: plan, workspace: reproducer.workspace)
        if guessed { onEvent(.guessedBuildInputs(commit: plan.commit.shortID)) }
        let env = plan.locked
        let onEvent = self.onEvent
        let commit = plan.commit.shortID
        let workflow = ImageBuildWorkflow(registry: registry) { event in
            onEvent(.build(event, environment: env.name, commit: commit))
        }
        do {
            let image = try await Rebuild.run(
                plan, inputs: inputs, recipe: try recipe(env), projectDirectory: projectDirectory, workflow: workflow)
            onEvent(
                .compared(DigestComparison(rebuilt: image.digest ?? "", recorded: env.pushed?.digest), commit: commit))
            return image
        } catch var e as ImageBuildError {
            e.step = "--rebuild: " + e.step
            throw e
        }
    }
}

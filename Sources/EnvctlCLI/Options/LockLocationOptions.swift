import ArgumentParser
import EnvctlModel
import Foundation

/// Where registry verbs (`push --env/--record`, `mirror`) find envctl.lock: next to the spec, as `envctl lock` writes it.
struct LockLocationOptions: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp("Path to envctl.yaml; the envctl.lock next to it is used.", valueName: "path"))
    var spec: String = "envctl.yaml"

    var lockPath: String { SpecOptions.lockPath(forSpec: spec) }

    /// Reads the lock; a missing or malformed lock is bad input (64) with a hint to run `envctl lock`.
    func load() throws(DiagnosticsError) -> Lockfile { try Lockfile.load(fileAt: lockPath) }

    /// The named environment, or the only one when `name` is nil (`Lockfile.selectEnvironment`).
    func environment(_ name: String?, in lock: Lockfile) throws(DiagnosticsError) -> LockedEnvironment {
        try lock.selectEnvironment(name, file: lockPath)
    }
}

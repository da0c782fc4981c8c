package import EnvctlImageBuild
package import EnvctlModel

/// The one rule for writing a push into `envctl.lock` (`push --record`, `build --push --record`).
///
/// The lock is re-read right before writing, so a concurrent `envctl lock` is not undone, and the write
/// is refused when the environment's lock hash changed since `environment` was read: the image was built
/// from another lock. The build inputs are `build` when given; otherwise the recorded ones stay when the
/// same digest is pushed again, and are dropped for a different image.
package enum PushRecording {
    /// - Returns: the lock as written.
    /// - Throws: `ImageBuildError` (step `record`): the lock is unreadable, lacks the environment, or changed.
    @discardableResult
    package static func record(
        _ environment: LockedEnvironment, reference: String, digest: String, build: BuildInputs?, lockPath: String
    ) throws(ImageBuildError) -> Lockfile {
        let lock: Lockfile
        do { lock = try Lockfile.load(fileAt: lockPath) } catch {
            throw ImageBuildError(.stepFailed, step: "record", "cannot record the push in \(lockPath): \(error)")
        }
        guard let current = lock.environment(named: environment.name), current.hash == environment.hash else {
            throw ImageBuildError(
                .stepFailed, step: "record",
                "\(lockPath) changed since it was read ('\(environment.name)' no longer has lock hash \(environment.hash)); not recording \(reference)@\(digest)"
            )
        }
        let previous = current.pushed
        let inputs = build ?? (previous?.digest == digest ? previous?.build : nil)
        do {
            let updated = try lock.recordingPush(
                environment: environment.name, reference: reference, digest: digest, build: inputs)
            try updated.write(to: lockPath)
            return updated
        } catch {
            let why = (error as? FileSystemError).map { "\($0.reason)" } ?? "\(error)"
            throw ImageBuildError(.stepFailed, step: "record", "cannot record the push in \(lockPath): \(why)")
        }
    }
}

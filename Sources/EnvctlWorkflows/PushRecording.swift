package import EnvctlImageBuild
package import EnvctlModel

/// The one rule for writing a push into `envctl.lock` (`push --record`, `build --push --record`).
///
/// The lock is re-read right before writing, so a concurrent `envctl lock` is not undone, and the write
/// is refused when the environment's lock hash changed since `environment` was read: the image was built
/// from another lock. The build inputs are `build` when given; otherwise the recorded ones stay when the
/// same digest is pushed again, and are dropped for a different image.
///
/// The image must say it was built from this lock: its `dev.envctl.lock-hash` label (`imageLockHash`) must be
/// the environment's lock hash, or nothing is written. A recorded digest is a promise about the lock hash.
package enum PushRecording {
    /// The config label envctl's templates write with the environment's lock hash.
    package static let lockHashLabel = "dev.envctl.lock-hash"

    /// - Parameters:
    ///   - imageLockHash: the image's `dev.envctl.lock-hash` label (nil: the image has none).
    ///   - platforms: for an image index, each platform's manifest digest (recorded next to the index digest).
    /// - Returns: the lock as written.
    /// - Throws: `ImageBuildError` (step `record`): the image's label names another lock hash (or none), the
    ///   lock is unreadable, lacks the environment, or changed.
    @discardableResult
    package static func record(
        _ environment: LockedEnvironment, reference: String, digest: String, imageLockHash: String?,
        build: BuildInputs?, lockPath: String, platforms: [String: String]? = nil
    ) throws(ImageBuildError) -> Lockfile {
        try checkLabel(environment, reference: reference, digest: digest, imageLockHash: imageLockHash)
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
            var updated = try lock.recordingPush(
                environment: environment.name, reference: reference, digest: digest, build: inputs)
            if let platforms, let i = updated.environments.firstIndex(where: { $0.name == environment.name }) {
                updated.environments[i].pushed?.platforms = platforms
            }
            try updated.write(to: lockPath)
            return updated
        } catch {
            let why = (error as? FileSystemError).map { "\($0.reason)" } ?? "\(error)"
            throw ImageBuildError(.stepFailed, step: "record", "cannot record the push in \(lockPath): \(why)")
        }
    }

    /// Refuses an image whose `dev.envctl.lock-hash` label is not `environment`'s lock hash.
    /// - Throws: `ImageBuildError` (step `record`, exit 1).
    package static func checkLabel(
        _ environment: LockedEnvironment, reference: String, digest: String, imageLockHash: String?
    ) throws(ImageBuildError) {
        guard imageLockHash != environment.hash else { return }
        let carries = imageLockHash.map { "carries \(lockHashLabel)=\($0)" } ?? "carries no \(lockHashLabel) label"
        throw ImageBuildError(
            .stepFailed, step: "record",
            "not recording \(reference)@\(digest) for '\(environment.name)': the image \(carries), but the environment's lock hash is \(environment.hash)",
            hint: "record only an image built from this lock (envctl build --push --record)")
    }
}

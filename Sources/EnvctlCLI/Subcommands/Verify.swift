import ArgumentParser
import EnvctlModel
import EnvctlWorkflows
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check that a pushed image matches a lock and carries its SBOM and provenance.",
            discussion: """
                Checks, in order, and stops at the first mismatch: the image's dev.envctl.lock-hash label names an \
                environment of the lock (--lock FILE, default envctl.lock; or envctl.lock as committed at --commit \
                REV); a CycloneDX SBOM and an in-toto SLSA provenance statement are attached as OCI referrers \
                (referrers API, or the sha256-<hex> tag schema); both name that lock hash and the provenance names \
                this image's digest; the SBOM's base image digest and every Python package (name and version) \
                match the lock, with nothing extra.

                Examples:
                  envctl verify 127.0.0.1:5000/team/train:envctl-0123456789abcdef
                  envctl verify registry.example/team/train@sha256:... --commit v1.2 --json

                Exit codes: 0 verified, 1 a mismatch or registry failure, 64 bad input (reference, lock, revision).
                """)

        @Argument(help: "Image reference: REPOSITORY:TAG or REPOSITORY@DIGEST.")
        var image: String

        @Option(name: .long, help: "The lock to compare with.")
        var lock: String?

        @Option(name: .long, help: "Path to envctl.yaml; compare with the envctl.lock next to it.")
        var spec: String?

        func validate() throws {
            if lock != nil && spec != nil { throw ValidationError("pass --spec or --lock, not both") }
        }

        @Option(name: .long, help: "Compare with envctl.lock (or --lock's path) as committed at this git revision.")
        var commit: String?

        @Option(name: .customLong("env"), help: "Environment the image must be (default: the one its lock hash names).")
        var environment: String?

        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let ref = try ImageReference(parsing: image)
                let lockPath = lock ?? spec.map(SpecOptions.lockPath(forSpec:)) ?? Lockfile.fileName
                let (lockfile, name): (Lockfile, String)
                if let commit {
                    (lockfile, name) = try VerifyImage.lock(
                        atCommit: commit, lockPath: lockPath, directory: FileManager.default.currentDirectoryPath)
                } else {
                    (lockfile, name) = (try Lockfile.load(fileAt: lockPath), lockPath)
                }
                let client = try registry.makeClient(
                    credentialsFor: ref.registry, reporter: ProgressReporter(quiet: true))
                let report = try await VerifyImage.run(
                    ref, lock: lockfile, lockName: name, environment: environment, registry: client)
                if json {
                    Terminal.stdout(try Terminal.json(report))
                    return
                }
                Terminal.stdout(
                    """
                    verified \(ref.withTag(nil).name)@\(report.digest)
                      environment \(report.environment), lock hash \(report.lockHash) (\(report.lock))
                      sbom        \(report.sbom): base \(report.baseDigest ?? "unpinned"), \(report.pythonPackages) Python packages match
                      provenance  \(report.provenance)\(report.revision.map { ", revision \($0)" } ?? "")
                    """)
            }
        }
    }
}

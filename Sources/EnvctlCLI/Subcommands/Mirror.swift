import ArgumentParser
import EnvctlModel
import EnvctlWorkflows
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Mirror: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mirror",
            abstract: "Copy every image envctl.lock pins into your registry, keeping digests.",
            discussion: """
                Copies each environment's base and builder image (by the digest the lock pins, every platform \
                of an index) and each `pushed:` image to REGISTRY[/PREFIX]/<repository>:<tag>, so a deletion \
                upstream can't break a rebuild. Blobs the destination has are skipped. Digests don't change, so \
                the lock stays valid: point envctl at the mirror with registries.yaml and it reads from there.

                Examples:
                  envctl mirror --to registry.internal:5000/mirror
                  envctl mirror --spec envs/envctl.yaml --to 127.0.0.1:5000 --json

                Afterwards, in registries.yaml (--registries-config, $ENVCTL_REGISTRIES_CONFIG or \
                ~/.config/envctl/registries.yaml), for each source registry printed:
                  registries:
                    docker.io:
                      mirrors: ["registry.internal:5000/mirror"]

                A lock written with --offline pins images by tag only and can't be mirrored: run 'envctl lock' \
                first. Exit codes: 0 ok, 1 registry failure, 64 bad input (lock, --to).
                """)

        @OptionGroup var lockLocation: LockLocationOptions

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Destination registry and optional path prefix, e.g. registry.internal:5000/mirror.",
                valueName: "registry[/prefix]"))
        var to: String

        @OptionGroup var transfer: TransferOptions
        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let target = try MirrorImages.target(to)
                let lock = try lockLocation.load()
                let reporter = ProgressReporter(quiet: transfer.quiet || transfer.json)
                let client = try registry.makeClient(
                    credentialsFor: target.host, reporter: reporter, concurrency: transfer.jobs)
                let outcome = try await MirrorImages.run(lock, to: target, client: client) { item in
                    if !transfer.quiet && !transfer.json { Terminal.stdout("\(item.source) -> \(item.destination)") }
                }
                reporter.finish()
                if transfer.json {
                    Terminal.stdout(try Terminal.json(outcome))
                } else if !transfer.quiet {
                    let count = outcome.images.count
                    let uploaded = outcome.images.reduce(Int64(0)) { $0 + $1.bytesUploaded }
                    Terminal.stderr(
                        "mirrored \(count) image\(count == 1 ? "" : "s") (\(ProgressReporter.format(uploaded)) sent).")
                    Terminal.stderr("To read them from the mirror, add to registries.yaml:\n" + outcome.registriesYAML)
                }
            }
        }
    }
}

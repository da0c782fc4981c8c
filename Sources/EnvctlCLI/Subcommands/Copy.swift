import ArgumentParser
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy an image between registries, keeping its digest.",
            discussion: """
                Copies every platform of an index (the digest is unchanged), or with --platform only some of \
                them (a new index is written and the digest changes; envctl warns). Blobs the destination has \
                are skipped; on the same registry they are mounted.
                """)

        @Argument(help: "Source reference.")
        var source: String

        @Argument(help: "Destination reference.")
        var destination: String

        @Option(name: .long, help: "Copy only these platforms (os/arch[/variant], repeatable); changes the digest.")
        var platform: [String] = []

        @Option(name: .customLong("tag"), help: "Additional tag to apply (repeatable).")
        var tags: [String] = []

        @OptionGroup var transfer: TransferOptions
        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let src = try ImageReference(parsing: source)
                let dest = try ImageReference(parsing: destination)
                var platforms: [Platform] = []
                for p in platform { platforms.append(try Platform(parsing: p)) }
                let reporter = ProgressReporter(quiet: transfer.quiet || transfer.json)
                let client = try registry.makeClient(
                    credentialsFor: dest.registry, reporter: reporter, concurrency: transfer.jobs)
                let result = try await client.copy(
                    from: src, to: dest, platforms: platforms.isEmpty ? nil : platforms, additionalTags: tags)
                reporter.finish()
                printResult(result, json: transfer.json, quiet: transfer.quiet)
            }
        }
    }
}

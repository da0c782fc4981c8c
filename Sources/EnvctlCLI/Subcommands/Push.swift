import ArgumentParser
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push an image from an OCI layout or a docker-save archive to a registry.",
            discussion: """
                SOURCE is oci:DIR[:TAG] or docker-archive:FILE. DEST is a registry reference such as
                registry.example/team/env:tag. Blobs the registry has are skipped, the rest upload in
                parallel with retries; manifests follow their blobs. Exit codes: 0 ok, 1 registry failure,
                64 bad input.
                """)

        @Argument(help: "oci:DIR[:TAG] or docker-archive:FILE")
        var source: String

        @Argument(help: "Destination reference, e.g. 127.0.0.1:5000/team/env:v1")
        var destination: String

        @Option(name: .customLong("tag"), help: "Additional tag to apply (repeatable).")
        var tags: [String] = []

        @Option(name: .long, help: "Blobs uploaded in parallel.")
        var jobs: Int = 4

        @Flag(name: .long, help: "Print the result as JSON on stdout.")
        var json = false

        @Flag(name: .shortAndLong, help: "Only print errors (and the JSON result).")
        var quiet = false

        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let dest = try ImageReference(parsing: destination)
                let src = try ImageSourceArgument.open(source)
                let reporter = ProgressReporter(quiet: quiet || json)
                let client = try registry.makeClient(credentialsFor: dest.registry, reporter: reporter, concurrency: jobs)
                let result = try await client.push(src, to: dest, additionalTags: tags)
                reporter.finish()
                printResult(result, json: json, quiet: quiet)
            }
        }
    }
}

func printResult(_ result: TransferResult, json: Bool, quiet: Bool) {
    if json {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? e.encode(result) { Terminal.stdout(String(decoding: data, as: UTF8.self)) }
        return
    }
    if quiet { return }
    for ref in result.references { Terminal.stdout("\(ref)@\(result.digest)") }
    Terminal.stderr(
        "blobs: \(result.blobsUploaded) uploaded, \(result.blobsMounted) mounted, \(result.blobsSkipped) skipped; "
            + "\(ProgressReporter.format(result.bytesUploaded)) sent")
}

enum ImageSourceArgument {
    static func open(_ text: String) throws(RegistryError) -> any ImageSource {
        if text.hasPrefix("oci:") {
            var rest = String(text.dropFirst(4))
            var tag: String?
            if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
                tag = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
            }
            return try OCILayoutSource(directory: rest, tag: tag?.isEmpty == true ? nil : tag)
        }
        if text.hasPrefix("docker-archive:") {
            return try DockerArchiveSource(path: String(text.dropFirst("docker-archive:".count)))
        }
        throw RegistryError(.invalidSource, "unsupported source '\(text)': use oci:DIR[:TAG] or docker-archive:FILE")
    }
}

import ArgumentParser
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show an image's digest, media type, platforms, layers, config and labels.")

        @Argument(help: "Image reference, e.g. docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04")
        var reference: String

        @Option(name: .long, help: "Platform to describe when the reference is an index.")
        var platform: String = "linux/amd64"

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        @Flag(name: .long, help: "Print the manifest bytes exactly as stored.")
        var raw = false

        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            try await runRegistryCommand {
                let ref = try ImageReference(parsing: reference)
                let client = try registry.makeClient(
                    credentialsFor: ref.registry, reporter: ProgressReporter(quiet: true))
                if raw {
                    let m = try await client.fetchManifest(ref)
                    FileHandle.standardOutput.write(m.data)
                    return
                }
                let info = try await client.inspect(ref, platform: try Platform(parsing: platform))
                if json {
                    Terminal.stdout(try Terminal.json(info))
                    return
                }
                var lines = [
                    "Reference:  \(info.reference)",
                    "Digest:     \(info.digest)",
                    "MediaType:  \(info.mediaType)",
                ]
                if !info.platforms.isEmpty {
                    lines.append("Platforms:")
                    for p in info.platforms {
                        lines.append("  \(p.platform.padding(toLength: 16, withPad: " ", startingAt: 0)) \(p.digest)")
                    }
                }
                if let m = info.manifestDigest, m != info.digest {
                    lines.append("Manifest:   \(m) (\(info.platform ?? platform))")
                }
                if let p = info.platform { lines.append("Platform:   \(p)") }
                if let c = info.config { lines.append("Config:     \(c)") }
                if let c = info.created { lines.append("Created:    \(c)") }
                if !info.layers.isEmpty {
                    let total = info.layers.reduce(Int64(0)) { $0 + $1.size }
                    lines.append("Layers:     \(info.layers.count) (\(ProgressReporter.format(total)))")
                    for l in info.layers { lines.append("  \(l.digest)  \(ProgressReporter.format(l.size))") }
                }
                if !info.labels.isEmpty {
                    lines.append("Labels:")
                    for (k, v) in info.labels.sorted(by: { $0.key < $1.key }) { lines.append("  \(k)=\(v)") }
                }
                Terminal.stdout(lines.joined(separator: "\n"))
            }
        }
    }
}

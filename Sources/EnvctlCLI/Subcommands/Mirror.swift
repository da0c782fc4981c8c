import ArgumentParser
import EnvctlModel
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Mirror: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
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
                let target: OCIRegistry.Mirror
                do { target = try OCIRegistry.Mirror(to) } catch {
                    throw RegistryError(
                        .invalidConfiguration, "--to '\(to)' is not REGISTRY[/PREFIX]",
                        hint: "e.g. registry.internal:5000/mirror")
                }
                let items = try MirrorPlan.items(try lockLocation.load(), lockPath: lockLocation.lockPath, to: target)
                let reporter = ProgressReporter(quiet: transfer.quiet || transfer.json)
                let client = try registry.makeClient(
                    credentialsFor: target.host, reporter: reporter, concurrency: transfer.jobs)
                var results: [MirrorPlan.Result] = []
                for item in items {
                    let r: TransferResult
                    do { r = try await client.copy(from: item.source, to: item.destination) } catch {
                        Terminal.stderr("envctl mirror: copying \(item.source) failed")
                        throw error
                    }
                    results.append(MirrorPlan.Result(item: item, transfer: r))
                    if !transfer.quiet && !transfer.json { Terminal.stdout("\(item.source) -> \(item.destination)") }
                }
                reporter.finish()
                let registries = Array(Set(items.map(\.source.registry))).sorted()
                let mirrorText = target.pathPrefix.isEmpty ? target.host : "\(target.host)/\(target.pathPrefix)"
                if transfer.json {
                    let out = MirrorPlan.Output(
                        images: results, mirrors: Dictionary(uniqueKeysWithValues: registries.map { ($0, mirrorText) }))
                    let e = JSONEncoder()
                    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    Terminal.stdout(String(decoding: try e.encode(out), as: UTF8.self))
                } else if !transfer.quiet {
                    let uploaded = results.reduce(Int64(0)) { $0 + $1.bytesUploaded }
                    Terminal.stderr(
                        "mirrored \(results.count) image\(results.count == 1 ? "" : "s") (\(ProgressReporter.format(uploaded)) sent)."
                    )
                    Terminal.stderr(
                        "To read them from the mirror, add to registries.yaml:\n"
                            + MirrorPlan.registriesYAML(registries, mirror: mirrorText))
                }
            }
        }
    }
}

/// What `envctl mirror` copies: every digest the lock pins, deduplicated, checked before anything is copied.
enum MirrorPlan {
    struct Item: Sendable {
        /// `repo:tag@digest` as the lock pins it.
        var source: ImageReference
        /// The mirror's `repo:tag` (same digest).
        var destination: ImageReference
        /// `train: base`, …
        var uses: [String]
    }

    struct Result: Encodable {
        var source: String
        var destination: String
        var digest: String
        var uses: [String]
        var blobsUploaded: Int
        var blobsSkipped: Int
        var blobsMounted: Int
        var bytesUploaded: Int64

        init(item: Item, transfer r: TransferResult) {
            source = item.source.description
            destination = item.destination.description
            digest = r.digest.description
            uses = item.uses
            blobsUploaded = r.blobsUploaded
            blobsSkipped = r.blobsSkipped
            blobsMounted = r.blobsMounted
            bytesUploaded = r.bytesUploaded
        }
    }

    struct Output: Encodable {
        var images: [Result]
        /// Source registry → the `mirrors:` entry to put in registries.yaml for it.
        var mirrors: [String: String]
    }

    /// - Throws: ``DiagnosticsError`` (exit 64) naming every image pinned by tag only (an offline lock).
    static func items(_ lock: Lockfile, lockPath: String, to target: OCIRegistry.Mirror) throws -> [Item] {
        var items: [Item] = []
        var unpinned: [Diagnostic] = []
        func add(_ reference: String, _ digest: String?, _ use: String) throws {
            guard let digest else {
                unpinned.append(.error("\(use): \(reference) is pinned by tag only (the lock was written offline)"))
                return
            }
            var source = try ImageReference(parsing: reference)
            source.digest = try ContentDigest(digest)
            if let i = items.firstIndex(where: { $0.source == source }) {
                items[i].uses.append(use)
                return
            }
            let destination = target.rewrite(source.tag == nil ? source : source.withTag(source.tag))
            items.append(Item(source: source, destination: destination, uses: [use]))
        }
        for env in lock.environments {
            try add(env.images.base.reference, env.images.base.digest, "\(env.name): base")
            try add(env.images.builder.reference, env.images.builder.digest, "\(env.name): builder")
            if let pushed = env.pushed { try add(pushed.reference, pushed.digest, "\(env.name): pushed") }
        }
        if !unpinned.isEmpty {
            unpinned[unpinned.count - 1].hint = "run 'envctl lock' with registry access to pin digests, then mirror"
            throw DiagnosticsError(unpinned)
        }
        return items
    }

    static func registriesYAML(_ registries: [String], mirror: String) -> String {
        "registries:\n" + registries.map { "  \($0):\n    mirrors: [\"\(mirror)\"]" }.joined(separator: "\n")
    }
}

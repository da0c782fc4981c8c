package import EnvctlModel
package import OCIRegistry

/// `envctl mirror`: copies every digest a lock pins (base, builder and pushed images, every platform of an
/// index) into a team registry, keeping digests, so an upstream deletion can't break a rebuild.
package enum MirrorImages {
    /// One image to copy.
    package struct Item: Sendable {
        /// `repo:tag@digest` as the lock pins it.
        package var source: ImageReference
        /// The mirror's `repo:tag` (same digest).
        package var destination: ImageReference
        /// `train: base`, …
        package var uses: [String]
    }

    /// What copying one item did, in the shape `--json` prints.
    package struct Result: Encodable, Sendable {
        package var source: String
        package var destination: String
        package var digest: String
        package var uses: [String]
        package var blobsUploaded: Int
        package var blobsSkipped: Int
        package var blobsMounted: Int
        package var bytesUploaded: Int64

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

    /// Everything a mirror run did, and the `mirrors:` entry to put in registries.yaml per source registry.
    package struct Outcome: Encodable, Sendable {
        package var images: [Result]
        /// Source registry → the `mirrors:` entry for it.
        package var mirrors: [String: String]

        package init(images: [Result], mirrors: [String: String]) {
            self.images = images
            self.mirrors = mirrors
        }

        /// The registries.yaml snippet that points envctl at the mirror.
        package var registriesYAML: String {
            "registries:\n"
                + mirrors.keys.sorted().map { "  \($0):\n    mirrors: [\"\(mirrors[$0]!)\"]" }.joined(separator: "\n")
        }
    }

    /// A copy that failed, naming the image; the registry's error stays the cause.
    package struct CopyFailed: Error, EnvctlFailure, CustomStringConvertible {
        package var source: ImageReference
        package var cause: RegistryError
        package var failureKind: FailureKind { cause.failureKind }
        package var description: String { "copying \(source) failed: [\(cause.code)] \(cause.description)" }
    }

    /// `--to REGISTRY[/PREFIX]` as a mirror target.
    /// - Throws: `RegistryError(.invalidConfiguration)` (bad input) when it is not one.
    package static func target(_ text: String) throws(RegistryError) -> Mirror {
        do { return try Mirror(text) } catch {
            throw RegistryError(
                .invalidConfiguration, "--to '\(text)' is not REGISTRY[/PREFIX]",
                hint: "e.g. registry.internal:5000/mirror")
        }
    }

    /// Every digest the lock pins, deduplicated, checked before anything is copied.
    /// - Throws: ``DiagnosticsError`` (bad input) naming every image pinned by tag only (an offline lock).
    package static func items(_ lock: Lockfile, to target: Mirror) throws -> [Item] {
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

    /// Copies every item of `lock` to `target` in order, stopping at the first failure.
    /// - Parameter copied: called after each image is copied.
    /// - Throws: what ``items(_:to:)`` throws, or ``CopyFailed``.
    package static func run(
        _ lock: Lockfile, to target: Mirror, client: RegistryClient, copied: (Item) -> Void = { _ in }
    ) async throws -> Outcome {
        let items = try items(lock, to: target)
        var results: [Result] = []
        for item in items {
            let r: TransferResult
            do { r = try await client.copy(from: item.source, to: item.destination) } catch {
                throw CopyFailed(source: item.source, cause: error)
            }
            results.append(Result(item: item, transfer: r))
            copied(item)
        }
        let mirrorText = target.pathPrefix.isEmpty ? target.host : "\(target.host)/\(target.pathPrefix)"
        let registries = Set(items.map(\.source.registry))
        return Outcome(images: results, mirrors: Dictionary(uniqueKeysWithValues: registries.map { ($0, mirrorText) }))
    }
}

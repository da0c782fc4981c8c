import EnvctlModel
import Foundation

/// The outcome of `push` or `copy`, as `--json` prints it.
package struct TransferResult: Sendable, Hashable, Codable {
    /// Destination references written (tags, or the digest reference when no tag was given).
    package var references: [String]
    package var digest: ContentDigest
    package var mediaType: String
    /// Size of the top-level manifest in bytes.
    package var manifestSize: Int64
    /// Sum of all distinct blob sizes (what a full pull transfers).
    package var totalBlobBytes: Int64
    package var blobsSkipped: Int
    package var blobsMounted: Int
    package var blobsUploaded: Int
    package var bytesUploaded: Int64
    /// True when `copy --platform` wrote a filtered index whose digest differs from the source.
    package var digestChanged: Bool
}

extension RegistryClient {
    enum BlobOrigin: Sendable {
        case local(BlobSource)
        case remote(ImageReference, Descriptor)
    }

    struct TransferPlan: Sendable {
        var root: ManifestBlob
        /// Child manifests in push order (before the root).
        var children: [ManifestBlob] = []
        var blobs: [ContentDigest: (Descriptor, BlobOrigin)] = [:]
        var blobOrder: [ContentDigest] = []

        mutating func add(_ d: Descriptor, _ origin: BlobOrigin) {
            if blobs[d.digest] == nil {
                blobs[d.digest] = (d, origin)
                blobOrder.append(d.digest)
            }
        }
    }

    /// Pushes an image (single manifest or index with all its children) from `source` to `destination`,
    /// then tags it with `destination`'s tag and `additionalTags`.
    ///
    /// - Parameter mountFrom: images on the destination's registry that may share blobs with this one (a base
    ///   image, an earlier push). Each is read first (manifest, and an index's children) to learn which blobs it
    ///   holds; a blob missing from the destination is then mounted from a repository known to hold it, and
    ///   uploaded only when no mount succeeds. A candidate that can't be read is tried for every blob.
    package func push(
        _ source: any ImageSource, to destination: ImageReference, additionalTags: [String] = [],
        mountFrom: [ImageReference] = []
    ) async throws(RegistryError) -> TransferResult {
        let root = try source.rootManifest()
        var plan = TransferPlan(root: root)
        func addImage(_ m: ManifestBlob) throws(RegistryError) {
            for d in m.manifest.blobs { plan.add(d, .local(try source.blob(d))) }
        }
        switch root.manifest {
        case .image: try addImage(root)
        case .index(let index):
            for d in index.manifests {
                let child = try source.manifest(d.digest)
                guard case .image = child.manifest else {
                    throw RegistryError(.invalidSource, "\(source.sourceDescription): nested indexes are not supported")
                }
                try addImage(child)
                plan.children.append(child)
            }
        }
        let mounts = await mountSources(mountFrom, for: destination, wanted: Set(plan.blobOrder))
        return try await execute(
            plan, to: destination, additionalTags: additionalTags, mounts: mounts, digestChanged: false)
    }

    /// Copies `source` to `destination` keeping the digest. With `platforms`, an index is filtered to those
    /// platforms and re-written, which changes its digest (a warning is emitted).
    package func copy(
        from source: ImageReference, to destination: ImageReference, platforms: [Platform]? = nil,
        additionalTags: [String] = []
    ) async throws(RegistryError) -> TransferResult {
        var root = try await fetchManifest(source)
        let sourceRepo = source.withTag(nil)
        var plan = TransferPlan(root: root)
        var changed = false
        switch root.manifest {
        case .image(let m):
            if let platforms, !platforms.isEmpty {
                let cfg = try await fetchConfig(source, m)
                let p = Platform(os: cfg.os ?? "", architecture: cfg.architecture ?? "", variant: cfg.variant)
                guard platforms.contains(where: { $0.matches(p) }) else {
                    throw RegistryError(.platformNotFound, "\(source) is a \(p) image", registry: source.registry)
                }
            }
            for d in root.manifest.blobs { plan.add(d, .remote(sourceRepo, d)) }
        case .index(var index):
            if let platforms, !platforms.isEmpty {
                let kept = index.manifests.filter { d in
                    d.platform.map { p in platforms.contains { $0.matches(p) } } ?? false
                }
                guard !kept.isEmpty else {
                    throw RegistryError(
                        .platformNotFound,
                        "\(source) has none of the platforms \(platforms.map(\.description).joined(separator: ", "))",
                        registry: source.registry)
                }
                if kept.count != index.manifests.count {
                    index.manifests = kept
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    let data: Data
                    do { data = try encoder.encode(index) } catch {
                        throw RegistryError(.invalidManifest, "cannot encode the filtered index")
                    }
                    root = try ManifestBlob(data: data, mediaType: root.mediaType)
                    plan.root = root
                    changed = true
                    emit(
                        .warning(
                            "copying \(kept.count) of the index's platforms: the destination digest (\(root.digest)) differs from the source's"
                        ))
                }
            }
            for d in index.manifests {
                let child = try await fetchManifest(sourceRepo.withDigest(d.digest))
                for b in child.manifest.blobs { plan.add(b, .remote(sourceRepo, b)) }
                plan.children.append(child)
            }
        }
        return try await execute(
            plan, to: destination, additionalTags: additionalTags, mounts: MountSources(), digestChanged: changed)
    }

    func execute(
        _ plan: TransferPlan, to destination: ImageReference, additionalTags: [String], mounts: MountSources,
        digestChanged: Bool
    ) async throws(RegistryError) -> TransferResult {
        let repo = destination.withTag(nil)
        for t in additionalTags where !ImageReference.isValidTag(t) {
            throw RegistryError(.invalidReference, "invalid tag '\(t)'")
        }
        if let d = destination.digest, d != plan.root.digest {
            throw RegistryError(
                .invalidReference, "destination digest \(d) does not match the image (\(plan.root.digest))")
        }
        // 1. Blobs, N at a time.
        let limit = max(
            1, options.configuration.settings(for: destination.registry).maxConcurrentUploads ?? options.concurrency)
        var outcomes: [ContentDigest: BlobOutcome] = [:]
        let items = plan.blobOrder.map { plan.blobs[$0]! }
        do {
            try await withThrowingTaskGroup(of: (ContentDigest, BlobOutcome).self) { group in
                var next = 0
                func launch() {
                    let (d, origin) = items[next]
                    next += 1
                    group.addTask {
                        (
                            d.digest,
                            try await self.transferBlob(
                                d, origin, to: repo, mountFrom: mounts.candidates(for: d.digest))
                        )
                    }
                }
                while next < items.count && next < limit { launch() }
                while let (digest, outcome) = try await group.next() {
                    outcomes[digest] = outcome
                    if next < items.count { launch() }
                }
            }
        } catch let e as RegistryError {
            throw e
        } catch {
            throw RegistryError(.transport, "\(error)")
        }
        // 2. Child manifests by digest, then the root under each tag.
        for child in plan.children {
            if try await headManifestDirect(repo.withDigest(child.digest), scopes: [Self.pushScope(repo)])?.digest
                != child.digest
            {
                try await pushManifest(child, to: repo.withDigest(child.digest))
            }
        }
        var tags: [String] = []
        if let t = destination.tag, destination.digest == nil { tags.append(t) }
        for t in additionalTags where !tags.contains(t) { tags.append(t) }
        var written: [String] = []
        if tags.isEmpty {
            try await pushManifest(plan.root, to: repo.withDigest(plan.root.digest))
            written.append(repo.withDigest(plan.root.digest).description)
        }
        for t in tags {
            let ref = repo.withTag(t)
            if try await headManifestDirect(ref, scopes: [Self.pushScope(ref)])?.digest != plan.root.digest {
                try await pushManifest(plan.root, to: ref)
            }
            written.append(ref.description)
        }
        let sizes = items.reduce(Int64(0)) { $0 + $1.0.size }
        let uploaded = items.filter { outcomes[$0.0.digest] == .uploaded }.reduce(Int64(0)) { $0 + $1.0.size }
        return TransferResult(
            references: written, digest: plan.root.digest, mediaType: plan.root.mediaType,
            manifestSize: Int64(plan.root.data.count), totalBlobBytes: sizes,
            blobsSkipped: outcomes.values.filter { $0 == .skipped }.count,
            blobsMounted: outcomes.values.filter { $0 == .mounted }.count,
            blobsUploaded: outcomes.values.filter { $0 == .uploaded }.count, bytesUploaded: uploaded,
            digestChanged: digestChanged)
    }

    /// Which repositories on a registry are known to hold which blobs, for cross-repository mounts.
    struct MountSources: Sendable {
        var known: [ContentDigest: [ImageReference]] = [:]
        /// Candidates whose content couldn't be read: tried for every blob, after the known ones.
        var blind: [ImageReference] = []

        func candidates(for digest: ContentDigest) -> [ImageReference] {
            var out = known[digest] ?? []
            for b in blind where !out.contains(b) { out.append(b) }
            return out
        }
    }

    /// Reads each candidate on `destination`'s registry (never through mirrors: a mount only works within one
    /// registry) and notes which of the `wanted` blobs it holds. Other registries and the destination repository
    /// itself are ignored.
    func mountSources(_ candidates: [ImageReference], for destination: ImageReference, wanted: Set<ContentDigest>) async
        -> MountSources
    {
        var sources = MountSources()
        var seen: Set<ImageReference> = []
        for candidate in candidates
        where candidate.registry == destination.registry && candidate.repository != destination.repository
            && seen.insert(candidate).inserted
        {
            let repo = candidate.withTag(nil)
            guard let root = try? await fetchManifestDirect(candidate, scopes: [Self.pullScope(candidate)]) else {
                if !sources.blind.contains(repo) { sources.blind.append(repo) }
                continue
            }
            var blobs = root.manifest.blobs.map(\.digest)
            if case .index(let index) = root.manifest {
                for d in index.manifests {
                    if let child = try? await fetchManifestDirect(
                        repo.withDigest(d.digest), scopes: [Self.pullScope(repo)])
                    {
                        blobs += child.manifest.blobs.map(\.digest)
                    }
                }
            }
            for b in blobs where wanted.contains(b) && !(sources.known[b] ?? []).contains(repo) {
                sources.known[b, default: []].append(repo)
            }
        }
        return sources
    }

    func transferBlob(
        _ d: Descriptor, _ origin: BlobOrigin, to repo: ImageReference, mountFrom: [ImageReference]
    ) async throws(RegistryError) -> BlobOutcome {
        switch origin {
        case .local(let source):
            return try await uploadBlob(source, to: repo, mountFrom: mountFrom)
        case .remote(let from, let descriptor):
            if try await blobSize(repo, descriptor.digest, push: true) != nil {
                emit(.blobFinished(digest: descriptor.digest, size: descriptor.size, outcome: .skipped))
                return .skipped
            }
            if from.registry == repo.registry, from.repository != repo.repository,
                try await mount(descriptor.digest, from: from, to: repo)
            {
                emit(.blobFinished(digest: descriptor.digest, size: descriptor.size, outcome: .mounted))
                return .mounted
            }
            let dir = options.temporaryDirectory ?? NSTemporaryDirectory()
            let tmp = (dir as NSString).appendingPathComponent("envctl-blob-\(UUID().uuidString)")
            // Registered, so that the spool goes however envctl exits (SIGINT and SIGTERM included).
            Cleanup.register(tmp)
            defer { Cleanup.remove(tmp) }
            try await fetchBlob(from, descriptor, to: tmp)
            return try await uploadBlob(
                BlobSource(path: tmp, length: descriptor.size, digest: descriptor.digest), to: repo)
        }
    }
}

import EnvctlImageBuild
package import EnvctlModel
package import OCIRegistry

/// `envctl push`: where an image goes, which tags it gets, which blobs may be mounted instead of uploaded,
/// and (with `--record`) the push written into the lock through `PushRecording`.
package enum PushImage {
    /// The reference to push to and the tags to add to it.
    package struct Target: Sendable, Hashable {
        package var destination: ImageReference
        package var additionalTags: [String]

        package init(destination: ImageReference, additionalTags: [String]) {
            self.destination = destination
            self.additionalTags = additionalTags
        }
    }

    /// What a push did: the registry's transfer result and, with `record`, the reference written into the lock.
    package struct Outcome: Sendable {
        package var transfer: TransferResult
        package var recorded: String?
        /// The SBOM and provenance attached to the pushed image (`push --env`).
        package var attested: SupplyChainRecord.Attached?
    }

    /// What `push --env` needs to attach the SBOM and provenance: the envctl version, the build inputs, the
    /// Dockerfile envctl renders for them, and the OCI layout the image came from (for its dpkg status).
    package struct Attestation: Sendable {
        package var toolVersion: String
        package var inputs: BuildInputs
        package var dockerfile: String?
        package var ociLayout: String?
        package var refName: String?

        package init(
            toolVersion: String, inputs: BuildInputs, dockerfile: String?, ociLayout: String?, refName: String?
        ) {
            self.toolVersion = toolVersion
            self.inputs = inputs
            self.dockerfile = dockerfile
            self.ociLayout = ociLayout
            self.refName = refName
        }
    }

    /// The reference to push to and the tags to add. With an environment, its content tag is the primary tag
    /// when DEST names none, else an additional one; without DEST, the environment's repository is used.
    /// - Throws: `DiagnosticsError` (no DEST and no repository to default to), `RegistryError` (a bad reference).
    package static func target(destination: String?, environment env: LockedEnvironment?, tags: [String]) throws
        -> Target
    {
        guard let env else {
            guard let destination else {
                throw DiagnosticsError([.error("give DEST, or --env NAME to push to its image repository")])
            }
            return Target(destination: try ImageReference(parsing: destination), additionalTags: tags)
        }
        var dest: ImageReference
        if let destination {
            dest = try ImageReference(parsing: destination)
            let last = destination.split(separator: "/").last ?? ""
            if !last.contains(":") && !last.contains("@") { dest.tag = env.contentTag }
        } else {
            guard let repo = env.image else {
                throw DiagnosticsError([
                    .error(
                        "environment '\(env.name)' has no image repository to push to",
                        hint: "set `image:` for it in envctl.yaml and run 'envctl lock', or give DEST")
                ])
            }
            dest = try ImageReference(parsing: repo).withTag(env.contentTag)
        }
        var extra = dest.tag == env.contentTag && dest.digest == nil ? [] : [env.contentTag]
        for t in tags where !extra.contains(t) && t != dest.tag { extra.append(t) }
        return Target(destination: dest, additionalTags: extra)
    }

    /// Where an environment's blobs may already be on a registry: its base and builder images (by the pinned
    /// digest, at each mirror the registries config names, e.g. one filled by `envctl mirror`) and its last push.
    /// The client keeps only those on the destination registry.
    package static func mountCandidates(_ env: LockedEnvironment, client: RegistryClient) -> [ImageReference] {
        var refs: [ImageReference] = []
        for image in [env.images.base, env.images.builder] {
            if let r = try? ImageReference(parsing: image.pinnedReference) { refs += client.pullCandidates(r) }
        }
        if let p = env.pushed, let r = try? ImageReference(parsing: "\(p.reference)@\(p.digest)") { refs.append(r) }
        return refs
    }

    /// Pushes `source` to `target`, mounting blobs from `mountFrom` and (with an environment) its
    /// `mountCandidates`; with `recordIn`, writes the pushed `REPOSITORY:envctl-<hash>` and digest into that
    /// lock as the environment's `pushed:` entry.
    ///
    /// The content tag `envctl-<hash>` promises that this lock hash means this image. With an environment,
    /// a content tag that already names another digest is not moved (nothing is pushed) unless the new
    /// image's `dev.envctl.lock-hash` label is the environment's lock hash and `force` is given; `recordIn`
    /// needs that label too (also checked before anything is pushed).
    /// - Throws: `RegistryError` (the push), `ImageBuildError` (step `push`: the content tag would move;
    ///   step `record`: the label does not match, or the lock changed).
    package static func run(
        _ source: any ImageSource, to target: Target, environment env: LockedEnvironment?, mountFrom: [ImageReference],
        recordIn lockPath: String?, force: Bool = false, attest attestation: Attestation? = nil,
        client: RegistryClient
    ) async throws -> Outcome {
        var imageLockHash: String?
        if let env {
            imageLockHash = try source.configLabels()[PushRecording.lockHashLabel]
            let newDigest = try source.rootManifest().digest
            if lockPath != nil {
                try PushRecording.checkLabel(
                    env, reference: target.destination.withTag(env.contentTag).description,
                    digest: newDigest.description, imageLockHash: imageLockHash)
            }
            try await guardContentTag(
                env, in: target.destination, newDigest: newDigest, imageLockHash: imageLockHash, force: force,
                client: client)
        }
        var mounts = mountFrom
        if let env { mounts += mountCandidates(env, client: client) }
        let result = try await client.push(
            source, to: target.destination, additionalTags: target.additionalTags, mountFrom: mounts)
        var attached: SupplyChainRecord.Attached?
        if let env, let attestation {
            let subject = SupplyChainRecord.subject(
                env, inputs: attestation.inputs, ociLayout: attestation.ociLayout, refName: attestation.refName,
                toolVersion: attestation.toolVersion)
            attached = try await SupplyChainRecord.attach(
                subject, to: target.destination.withTag(nil).withDigest(result.digest),
                dockerfileDigest: attestation.dockerfile.map(SupplyChainRecord.dockerfileDigest), builder: "push",
                registry: client)
        }
        guard let lockPath, let env else { return Outcome(transfer: result, recorded: nil, attested: attached) }
        let reference = target.destination.withTag(env.contentTag).description
        try PushRecording.record(
            env, reference: reference, digest: result.digest.description, imageLockHash: imageLockHash, build: nil,
            lockPath: lockPath)
        return Outcome(transfer: result, recorded: reference, attested: attached)
    }

    /// Refuses to move `env`'s content tag in `destination`'s repository from the digest it names now to
    /// `newDigest`, unless the new image carries the environment's lock hash and `force` is given.
    /// - Throws: `ImageBuildError` (step `push`, exit 1), `RegistryError` (asking the registry).
    static func guardContentTag(
        _ env: LockedEnvironment, in destination: ImageReference, newDigest: ContentDigest, imageLockHash: String?,
        force: Bool, client: RegistryClient
    ) async throws {
        let contentRef = destination.withTag(env.contentTag)
        guard let current = try await client.contentTagDigest(contentRef), current != newDigest else { return }
        if imageLockHash == env.hash && force { return }
        let label =
            imageLockHash.map { "carries \(PushRecording.lockHashLabel)=\($0)" }
            ?? "carries no \(PushRecording.lockHashLabel) label"
        let why =
            imageLockHash == env.hash
            ? "the new image carries the same lock hash; give --force to move the tag"
            : "the new image \(label), not the environment's lock hash \(env.hash), so it cannot take this tag"
        throw ImageBuildError(
            .stepFailed, step: "push",
            "refusing to move content tag \(contentRef) from \(current) to \(newDigest): \(why)",
            hint:
                "a content tag promises that lock hash \(env.hash) means one image; push the new image under another tag (DEST:TAG without --env)"
        )
    }
}

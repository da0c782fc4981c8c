package import EnvctlImageBuild
package import EnvctlModel
import EnvctlRuns
import EnvctlSupplyChain
import EnvctlTemplates
import Foundation
package import OCIRegistry

/// What a build is made of besides the lock and its inputs: the builder, build arguments and templates.
/// `build` and `reproduce --rebuild` fill it from the same flags, so the same flags run the same build.
package struct BuildRecipe: Sendable {
    /// buildah, podman or docker; nil picks the first on PATH.
    package var builder: BuilderKind?
    package var buildArgs: [String: String]
    /// `.mustache` files laid over the built-in templates.
    package var templatesDirectory: String?
    /// A template family instead of the lock's framework.
    package var template: String?
    package var cacheMounts: Bool
    /// A corporate network's CA bundle and netrc (mounted as build secrets for the pip step) and proxies
    /// (passed as the builders' predefined proxy build arguments, which no `ENV`, label or history keeps).
    package var network: NetworkAccess

    package init(
        builder: BuilderKind? = nil, buildArgs: [String: String] = [:], templatesDirectory: String? = nil,
        template: String? = nil, cacheMounts: Bool = true, network: NetworkAccess = NetworkAccess()
    ) {
        self.network = network
        self.builder = builder
        self.buildArgs = buildArgs
        self.templatesDirectory = templatesDirectory
        self.template = template
        self.cacheMounts = cacheMounts
    }
}

/// One build: which environment, from which inputs, where the files go, and what happens after.
package struct BuildJob: Sendable {
    package var environment: LockedEnvironment
    package var inputs: BuildInputs
    package var recipe: BuildRecipe
    /// Build context; the Dockerfile goes to `dockerfileDirectory` when set (a tree that must stay untouched).
    package var contextDirectory: String
    package var dockerfileDirectory: String?
    package var ociLayout: String
    /// Where to push (`<repository>:<content tag>`, as written: it is recorded so); nil builds only.
    package var target: String?
    /// Skip the build when `target` already holds an image labelled with this environment's lock hash.
    package var skipIfPublished: Bool
    /// Record the push in this lock (`PushRecording`'s rule).
    package var recordIn: String?
    /// After a push, attach the SBOM and provenance naming this envctl version (`SupplyChainRecord`); nil
    /// attaches nothing.
    package var attestWith: String?
    /// The platforms to build. Empty or one: one image (for that platform, else the builder's default), as
    /// before. Two or more: one build per platform joined in an OCI image index (`ImageIndexLayout`), pushed
    /// as one index under the content tag, its digest and each platform's recorded.
    package var platforms: [TargetPlatform]

    /// A plain environment's `copy:` sources, resolved (``copySources(for:specPath:)``), in the lock's order:
    /// staged into the context as `copy/<index>` before the build.
    package var copySources: [String] = []

    package init(
        environment: LockedEnvironment, inputs: BuildInputs, recipe: BuildRecipe, contextDirectory: String,
        dockerfileDirectory: String? = nil, ociLayout: String, target: String? = nil,
        skipIfPublished: Bool = false, recordIn: String? = nil, attestWith: String? = nil,
        platforms: [TargetPlatform] = []
    ) {
        self.platforms = platforms
        self.environment = environment
        self.inputs = inputs
        self.recipe = recipe
        self.contextDirectory = contextDirectory
        self.dockerfileDirectory = dockerfileDirectory
        self.ociLayout = ociLayout
        self.target = target
        self.skipIfPublished = skipIfPublished
        self.recordIn = recordIn
        self.attestWith = attestWith
    }

    /// The builder's local name for the image.
    package var localTag: String { ImageSelection.localTag(for: environment) }

    /// The platforms `envctl build` builds: `requested` (`--platform`), each of which the environment must be
    /// locked for, or else every platform the lock names. An environment locked for the host's platform alone
    /// gives `[]`: one image for the builder's default platform, exactly as before multi-platform builds. Any
    /// other lock names its platforms, so an arm64-only environment never yields an amd64 image.
    ///
    /// With `pushing`, `requested` must be every locked platform: the content tag stands for the whole lock (one
    /// image index), and a build that finds this lock's image under it skips, so an image of some platforms
    /// pushed there would keep the others from ever being built. Building some platforms without a push is fine.
    package static func platforms(
        requested: [TargetPlatform]?, for env: LockedEnvironment, host: TargetPlatform = .host, pushing: Bool = false
    ) throws(ImageBuildError) -> [TargetPlatform] {
        var locked: [TargetPlatform] = []
        for p in env.platforms.isEmpty ? [ContainerPlatform.amd64] : env.platforms {
            locked.append(try TargetPlatform(parsing: p))
        }
        if let requested {
            for p in requested where !locked.contains(p) {
                throw ImageBuildError(
                    .badInput, step: "build",
                    "environment '\(env.name)' is locked for \(locked.map(\.description).joined(separator: ", ")), not \(p)",
                    hint: "add \(p) to the environment's platforms in envctl.yaml and run 'envctl lock'")
            }
            if pushing, Set(requested) != Set(locked) {
                let asked = requested.map(\.description).joined(separator: ",")
                throw ImageBuildError(
                    .badInput, step: "push",
                    "environment '\(env.name)' is locked for \(locked.map(\.description).joined(separator: ", ")), and --push puts them all under its content tag as one image index: it can't push \(asked) alone",
                    hint: "drop --platform to build and push every locked platform, or build \(asked) without --push")
            }
            return requested
        }
        return locked == [host] ? [] : locked
    }
}

/// What happened during a build, for the CLI to present.
package enum BuildEvent: Sendable {
    /// The target already holds this lock's image; nothing is built.
    case alreadyPublished(reference: String, lockHash: String)
    /// The target holds an image of another lock hash (or none); it is rebuilt and overwritten. `platform` names
    /// the platform of an image index whose image carries `lockHash` (another platform's may carry this lock's).
    case replacing(reference: String, lockHash: String?, platform: String?)
    case building(builder: BuilderKind, inputs: BuildInputs)
    /// A line of the builder's output.
    case output(String)
    case built(BuildResult, localTag: String)
    /// A multi-platform build is about to build `platform` (the builder's output follows).
    case buildingPlatform(TargetPlatform)
    /// The platform images were joined in one image index (`result.ociLayout`, `result.ociRefName`).
    case indexed(BuildResult, platforms: [String: String])
    case pushed(reference: String, digest: String)
    case recorded(reference: String, digest: String, lock: String)
    /// The SBOM and provenance were attached to the pushed image as referrers.
    case attested(SupplyChainRecord.Attached)
}

/// How a build ended.
package struct BuildOutcome: Sendable {
    /// Nil when the build was skipped because the registry had the image.
    package var result: BuildResult?
    /// The manifest digest pushed (or found, when skipped); nil without a target. For a multi-platform
    /// build, the image index's digest.
    package var digest: String?
    /// A multi-platform build: each platform's manifest digest (`linux/arm64` → `sha256:…`); empty otherwise.
    package var platformDigests: [String: String] = [:]
}

extension BuildJob {
    /// The real paths of a plain environment's `copy:` sources, each held to the ``SpecPath`` rule again (the
    /// tree may have changed since `lock`): relative to the spec at `specPath`, inside its repository, a regular
    /// file or directory.
    /// - Throws: ``DiagnosticsError`` (bad input) naming the path.
    package static func copySources(for env: LockedEnvironment, specPath: String) throws(DiagnosticsError)
        -> [String]
    {
        var out: [String] = []
        for c in env.copy {
            out.append(
                try SpecPath.resolve(Located(c.from), specPath: specPath, what: "copy source", allowDirectory: true)
                    .resolved)
        }
        return out
    }
}

/// The one build pipeline: render → build → push → record. `envctl build` and `envctl reproduce
/// --rebuild` both run it; they differ only in the job they describe.
package struct ImageBuildWorkflow: Sendable {
    package var registry: (any ImageRegistry)?
    package var runner: ToolRunner
    package var events: @Sendable (BuildEvent) -> Void

    package init(
        registry: (any ImageRegistry)?, runner: ToolRunner = ToolRunner(),
        events: @escaping @Sendable (BuildEvent) -> Void
    ) {
        self.registry = registry
        self.runner = runner
        self.events = events
    }

    /// Copies `job.copySources` into the context as `copy/<index>` (symlinks inside a directory stay links).
    static func stageCopies(_ job: BuildJob) throws(ImageBuildError) {
        guard job.environment.isPlain else { return }
        guard job.copySources.count == job.environment.copy.count else {
            throw ImageBuildError(
                .badInput, step: "render",
                "environment '\(job.environment.name)' copies \(job.environment.copy.count) path(s) into the image, but this build has \(job.copySources.count) of them",
                hint: "build plain environments with 'envctl build' from the repository that holds the spec")
        }
        let fm = FileManager.default
        let dir = (job.contextDirectory as NSString).appendingPathComponent("copy")
        do {
            if fm.fileExists(atPath: dir) { try fm.removeItem(atPath: dir) }
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (i, source) in job.copySources.enumerated() {
                try fm.copyItem(atPath: source, toPath: (dir as NSString).appendingPathComponent(String(i)))
            }
        } catch {
            throw ImageBuildError(
                .stepFailed, step: "render",
                "cannot stage the copy sources into \(dir): \(FileSystemError.Reason(error, path: dir))")
        }
    }

    package func run(_ job: BuildJob) async throws(ImageBuildError) -> BuildOutcome {
        let env = job.environment
        // Parse the push target before the (long) build, so a bad one fails fast.
        let target = try job.target.map { text throws(ImageBuildError) in try Self.parseTarget(text) }
        if let target, job.skipIfPublished, let existing = try await published(at: target) {
            // A multi-platform job is done only when the tag holds an index with every platform asked for.
            let platforms = job.platforms.count > 1 ? try await indexPlatforms(at: target) : [:]
            let complete = job.platforms.count <= 1 || job.platforms.allSatisfy { platforms[$0.description] != nil }
            // ...and when every platform's image carries this lock hash: a partial rebuild can leave an index
            // whose first image is current while another platform's is stale.
            var stale: (platform: String, lockHash: String?)?
            if job.platforms.count > 1, complete {
                for platform in job.platforms {
                    let digest = platforms[platform.description]!
                    let hash = try await lockHash(at: target, manifest: digest)
                    if hash != env.hash {
                        stale = (platform.description, hash)
                        break
                    }
                }
            }
            if existing.lockHash == env.hash, complete, stale == nil {
                events(.alreadyPublished(reference: job.target!, lockHash: env.hash))
                try await attestIfMissing(job, at: target, digest: existing.digest, inputs: existing.buildInputs)
                try record(
                    job, digest: existing.digest, imageLockHash: existing.lockHash, inputs: existing.buildInputs,
                    platforms: platforms)
                return BuildOutcome(result: nil, digest: existing.digest, platformDigests: platforms)
            }
            events(
                .replacing(
                    reference: job.target!, lockHash: stale.map(\.lockHash) ?? existing.lockHash,
                    platform: stale?.platform))
        }
        let builder = try ImageBuilder.locate(job.recipe.builder, runner: runner)
        try Self.stageCopies(job)
        let dockerfile = try Self.render(env, inputs: job.inputs, recipe: job.recipe)
        var request = BuildRequest(
            dockerfile: dockerfile, contextDirectory: job.contextDirectory, localTag: job.localTag,
            buildArgs: job.recipe.network.proxy.merging(job.recipe.buildArgs) { _, explicit in explicit },
            sourceDateEpoch: job.inputs.sourceDateEpoch, ociLayout: job.ociLayout,
            ociRefName: env.contentTag, dockerfileDirectory: job.dockerfileDirectory)
        if let ca = job.recipe.network.caBundleFile { request.secrets[BuildSecretMounts.caID] = ca }
        if let netrc = job.recipe.network.netrcFile { request.secrets[BuildSecretMounts.netrcID] = netrc }
        events(.building(builder: builder.kind, inputs: job.inputs))
        let (result, platformDigests) = try build(request, platforms: job.platforms, with: builder)
        guard let target else { return BuildOutcome(result: result, digest: nil, platformDigests: platformDigests) }
        let digest = try await push(result, to: target)
        events(.pushed(reference: job.target!, digest: digest))
        if let tool = job.attestWith {
            let subject = SupplyChainRecord.subject(
                env, inputs: job.inputs, ociLayout: result.ociLayout, refName: result.ociRefName, toolVersion: tool)
            try await attest(
                subject, at: target, digest: digest, dockerfile: dockerfile, builder: builder.kind.rawValue)
        }
        if job.recordIn != nil {
            // An index's labels are read from its first platform's image (each carries the same lock hash).
            let first = job.platforms.first.map { Platform(os: $0.os, architecture: $0.architecture) } ?? .linuxAMD64
            let labels = try? OCILayoutSource(directory: result.ociLayout, tag: result.ociRefName).configLabels(
                platform: first)
            try record(
                job, digest: digest, imageLockHash: labels?[PushRecording.lockHashLabel], inputs: job.inputs,
                platforms: platformDigests)
        }
        return BuildOutcome(result: result, digest: digest, platformDigests: platformDigests)
    }

    /// Builds `request` for `platforms`: one image (for the only platform, or the builder's default), or one
    /// image per platform (local tag and OCI layout suffixed `-linux-arm64`) joined in an image index in
    /// `request.ociLayout`. The seam the lock's platforms feed (`BuildJob.platforms`).
    /// - Returns: the result (for an index, its digest) and each platform's manifest digest (empty for one image).
    package func build(_ request: BuildRequest, platforms: [TargetPlatform], with builder: ImageBuilder)
        throws(ImageBuildError) -> (BuildResult, [String: String])
    {
        let events = self.events
        guard platforms.count > 1 else {
            var single = request
            single.platform = platforms.first
            let result = try builder.build(single) { line in events(.output(line)) }
            events(.built(result, localTag: single.localTag))
            return (result, [:])
        }
        var parts: [(platform: TargetPlatform, result: BuildResult)] = []
        for platform in platforms {
            var one = request
            one.platform = platform
            one.localTag = "\(request.localTag)-\(platform.slug)"
            one.ociLayout = "\(request.ociLayout)-\(platform.slug)"
            events(.buildingPlatform(platform))
            let result = try builder.build(one) { line in events(.output(line)) }
            events(.built(result, localTag: one.localTag))
            parts.append((platform, result))
        }
        let assembled = try ImageIndexLayout.assemble(parts, into: request.ociLayout, refName: request.ociRefName)
        let result = BuildResult(
            manifestDigest: assembled.indexDigest, ociLayout: request.ociLayout, ociRefName: request.ociRefName)
        events(.indexed(result, platforms: assembled.platforms))
        return (result, assembled.platforms)
    }

    /// The `dev.envctl.lock-hash` label of the image manifest `digest` in `reference`'s repository (one platform's
    /// image of an index), read as `published(at:)` reads the tag's; nil when that image is gone.
    func lockHash(at reference: ImageReference, manifest digest: String) async throws(ImageBuildError) -> String? {
        let image: ImageReference
        do { image = reference.withTag(nil).withDigest(try ContentDigest(digest)) } catch {
            throw ImageBuildError(
                .stepFailed, step: "check registry", "the index at \(reference) names a bad digest", cause: error)
        }
        return try await published(at: image)?.lockHash
    }

    /// The platforms of the image index `reference` holds (`linux/arm64` → manifest digest); empty when it
    /// holds a single image or nothing.
    func indexPlatforms(at reference: ImageReference) async throws(ImageBuildError) -> [String: String] {
        do {
            guard case .index(let index) = try await requireRegistry().manifest(reference).manifest else { return [:] }
            var out: [String: String] = [:]
            for d in index.manifests {
                guard let p = d.platform else { continue }
                out["\(p.os)/\(p.architecture)"] = d.digest.description
            }
            return out
        } catch {
            throw ImageBuildError(
                .stepFailed, step: "check registry", "cannot read the image index at \(reference)", cause: error)
        }
    }

    /// The Dockerfile for `env`: the built-in templates with `recipe.templatesDirectory` laid over them.
    package static func render(_ env: LockedEnvironment, inputs: BuildInputs, recipe: BuildRecipe)
        throws(ImageBuildError) -> String
    {
        do {
            let renderer = DockerfileRenderer(
                templates: try TemplateSet.builtin(overlaidWith: recipe.templatesDirectory))
            return try renderer.render(
                env,
                inputs: RenderInputs(
                    inputs, cacheMounts: recipe.cacheMounts,
                    secrets: BuildSecretMounts(
                        caBundle: recipe.network.caBundleFile != nil, netrc: recipe.network.netrcFile != nil)),
                template: recipe.template)
        } catch {
            throw ImageBuildError(
                .badInput, step: "render", "cannot render the Dockerfile for '\(env.name)': \(error.description)")
        }
    }

    /// What `reference` holds now, nil when the tag does not exist.
    func published(at reference: ImageReference) async throws(ImageBuildError) -> PublishedImage? {
        do {
            guard let found = try await requireRegistry().labels(reference) else { return nil }
            return PublishedImage(digest: found.digest.description, labels: found.labels)
        } catch {
            throw ImageBuildError(
                .stepFailed, step: "check registry", "cannot ask the registry about \(reference)", cause: error)
        }
    }

    func push(_ result: BuildResult, to target: ImageReference) async throws(ImageBuildError) -> String {
        do {
            let source = try OCILayoutSource(directory: result.ociLayout, tag: result.ociRefName)
            return try await requireRegistry().publish(source, to: target).description
        } catch {
            throw ImageBuildError(.stepFailed, step: "push", "pushing to \(target) failed", cause: error)
        }
    }

    /// Attaches the SBOM and provenance to `target`'s repository at `digest`.
    func attest(_ subject: SBOMSubject, at target: ImageReference, digest: String, dockerfile: String?, builder: String)
        async throws(ImageBuildError)
    {
        do {
            let image = target.withTag(nil).withDigest(try ContentDigest(digest))
            let attached = try await SupplyChainRecord.attach(
                subject, to: image, dockerfileDigest: dockerfile.map(SupplyChainRecord.dockerfileDigest),
                builder: builder, registry: try requireRegistry())
            events(.attested(attached))
        } catch {
            throw ImageBuildError(
                .stepFailed, step: "attest", "attaching the SBOM and provenance to \(target) failed", cause: error)
        }
    }

    /// A skipped build attaches the records only when the published image has no SBOM yet.
    func attestIfMissing(_ job: BuildJob, at target: ImageReference, digest: String, inputs: BuildInputs?)
        async throws(ImageBuildError)
    {
        guard let tool = job.attestWith else { return }
        do {
            let image = target.withTag(nil).withDigest(try ContentDigest(digest))
            let registry = try requireRegistry()
            let sboms = try await registry.referrers(of: image, artifactType: SBOMFormat.cyclonedx.mediaType)
            let statements = try await registry.referrers(of: image, artifactType: ProvenanceStatement.mediaType)
            if let sbom = sboms.last, let statement = statements.last {
                events(.attested(.init(image: image.description, sbom: sbom, provenance: statement)))
                return
            }
        } catch {
            throw ImageBuildError(.stepFailed, step: "attest", "cannot list the referrers of \(target)", cause: error)
        }
        let used = inputs ?? job.inputs
        let dockerfile = try? Self.render(job.environment, inputs: used, recipe: job.recipe)
        let subject = SupplyChainRecord.subject(
            job.environment, inputs: used, ociLayout: nil, refName: nil, toolVersion: tool)
        try await attest(
            subject, at: target, digest: digest, dockerfile: dockerfile,
            builder: job.recipe.builder?.rawValue ?? "unknown")
    }

    /// Records `digest` for the job's environment; `imageLockHash` is the image's `dev.envctl.lock-hash` label.
    func record(
        _ job: BuildJob, digest: String, imageLockHash: String?, inputs: BuildInputs?, platforms: [String: String]
    ) throws(ImageBuildError) {
        guard let lock = job.recordIn, let target = job.target else { return }
        try PushRecording.record(
            job.environment, reference: target, digest: digest, imageLockHash: imageLockHash, build: inputs,
            lockPath: lock, platforms: platforms.isEmpty ? nil : platforms)
        events(.recorded(reference: target, digest: digest, lock: lock))
    }

    static func parseTarget(_ text: String) throws(ImageBuildError) -> ImageReference {
        do { return try ImageReference(parsing: text) } catch {
            throw ImageBuildError(.badInput, step: "push", "cannot push to '\(text)'", cause: error)
        }
    }

    func requireRegistry() throws(RegistryError) -> any ImageRegistry {
        guard let registry else {
            throw RegistryError(.invalidConfiguration, "no registry client was configured for this build")
        }
        return registry
    }
}

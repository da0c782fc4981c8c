import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlWorkflows
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract:
                "Build a locked environment's image reproducibly, export it as an OCI layout, optionally push it.",
            discussion: """
                Steps: render the Dockerfile, build it (buildah when present: daemonless, works in CI containers), \
                export an OCI image layout to .envctl/build/ENV/oci, and with --push push it as \
                IMAGE:envctl-<lock hash>, attaching its SBOM (CycloneDX) and SLSA provenance as OCI referrers \
                (see `envctl sbom`, `envctl verify`). When the registry already has that tag for this lock hash the build is \
                skipped (--force rebuilds). Builder settings come from the usual containers configuration \
                (CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION). \
                With --record (and --push) the pushed reference, manifest digest and build inputs (git revision, \
                source, SOURCE_DATE_EPOCH) are written into envctl.lock under the environment's `pushed`; commit it, \
                and `envctl run`, `reproduce` and `pipeline pin` use that digest (`reproduce --rebuild` the inputs). \
                Exit codes: 0 built (or skipped), 1 a step failed, 64 bad input, 69 builder missing.

                Examples:
                  envctl build --env train                  # build, export the OCI layout
                  envctl build --env train --push --record  # push, record the digest
                  envctl build --all --push                 # every environment, one summary table
                  envctl build --push --mirror docker.io=127.0.0.1:5000 \\
                      --build-arg PIP_INDEX_URL=http://127.0.0.1:8080/simple
                  envctl build --ca-bundle corp-ca.pem --proxy-from-env   # behind a proxy

                A corporate network's CA bundle and netrc (envctl.yaml `network:` or the flags) reach the pip step as \
                build secrets (RUN --mount=type=secret) and proxies as build arguments: none of them is kept in the \
                image (docs/corporate-networks.md).
                """)

        @OptionGroup var options: ImageOptions

        @Flag(name: .long, help: "Push to the environment's image repository under its content-addressed tag.")
        var push = false

        @Flag(
            name: .long,
            help: ArgumentHelp(
                "With --push: write the pushed reference and digest into envctl.lock (commit it).",
                discussion:
                    "envctl run, reproduce and pipeline pin use the recorded digest. Also records an image that was skipped because the registry already had it."
            ))
        var record = false

        @Flag(name: .long, help: "Build and push even when the registry already has this lock's image.")
        var force = false

        @Option(name: .long, help: "Push to this repository instead of the lock's image (tag stays envctl-<hash>).")
        var repository: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Platforms to build, comma-separated (linux/amd64, linux/arm64); two or more are pushed as one image index.",
                discussion:
                    "Each platform is built on its own (foreign ones under emulation: qemu-user-static with binfmt_misc), then the images are joined in an OCI image index pushed under the content tag; --record writes the index digest and each platform's digest. Default: the platforms the environment is locked for (one image when that is the host's platform alone); a platform the lock doesn't name is refused, and so is --push of only some of the locked platforms (the content tag holds them all).",
                valueName: "LIST"))
        var platform: String?

        @Option(name: .customLong("work-dir"), help: "Where the Dockerfile, context and OCI layout go.")
        var workDirectory: String = ".envctl/build"

        @OptionGroup var builderOptions: BuildOptions

        @Flag(
            name: .long,
            help:
                "Build every environment of the lock: one registry client per registry, one builder store (shared pulls and cached stages); a failure doesn't stop the others; one summary at the end."
        )
        var all = false

        @Flag(name: .long, help: "With --all: print the summary as JSON.")
        var json = false

        func validate() throws {
            if all && options.environment != nil { throw ValidationError("--all builds every environment; drop --env") }
            if json && !all { throw ValidationError("--json applies to --all") }
        }

        func run() async throws {
            try await ErrorPresentation.guarded {
                if record && !push {
                    throw ImageBuildError(
                        .badInput, step: "build", "--record needs --push", hint: "envctl build --push --record")
                }
                if all { return try await buildAll() }
                let env = try options.selectEnvironment()
                let job = try job(for: env)
                defer { job.recipe.network.remove() }
                let registry = try job.target.map { t in
                    try builderOptions.registry.makeClient(
                        credentialsFor: try ImageReference(parsing: t).registry, reporter: nil)
                }
                _ = try await ImageBuildWorkflow(registry: registry) { Self.present($0, environment: env) }.run(job)
            }
        }

        /// The pipeline's job for `env`, from the flags.
        func job(for env: LockedEnvironment) throws -> BuildJob {
            let recipe = try builderOptions.recipe(
                for: env, templatesDirectory: options.templates, template: options.template,
                cacheMounts: !options.noCacheMounts,
                specPath: options.specPath)
            var target: String?
            if push {
                guard let repo = repository ?? env.image else {
                    throw ImageBuildError(
                        .badInput, step: "push", "environment '\(env.name)' has no image repository to push to",
                        hint: "set `image:` for it in envctl.yaml and run 'envctl lock', or pass --repository")
                }
                target = "\(repo):\(env.contentTag)"
            }
            let dir = (workDirectory as NSString).appendingPathComponent(env.name)
            var job = BuildJob(
                environment: env, inputs: SourceInfo.detect(in: FileManager.default.currentDirectoryPath),
                recipe: recipe,
                contextDirectory: (dir as NSString).appendingPathComponent("context"),
                ociLayout: (dir as NSString).appendingPathComponent("oci"), target: target,
                skipIfPublished: push && !force,
                recordIn: record ? options.lock : nil, attestWith: push ? EnvctlCommand.envctlVersion : nil,
                platforms: try BuildJob.platforms(
                    requested: platform.map(TargetPlatform.list(parsing:)), for: env, pushing: push))
            if env.isPlain { job.copySources = try BuildJob.copySources(for: env, specPath: options.specPath) }
            return job
        }

        /// `--all`: every environment, then one summary table (or JSON); exit 1 when any failed.
        func buildAll() async throws {
            let lock = try Lockfile.load(fileAt: options.lock)
            var jobs: [BuildJob] = []
            defer { for job in jobs { job.recipe.network.remove() } }
            for env in lock.environments { jobs.append(try job(for: env)) }
            let registry = builderOptions.registry
            let envs = Dictionary(lock.environments.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let summary = await BuildAll(
                client: { host in try registry.makeClient(credentialsFor: host, reporter: nil) },
                events: { name, event in envs[name].map { Self.present(event, environment: $0, resultsToStderr: json) }
                }
            ).run(jobs) { ErrorPresentation.text(for: $0) }
            if json {
                print(try Terminal.json(summary))
            } else {
                var rows = [["environment", "image", "digest", "status"]]
                for r in summary.environments {
                    rows.append([r.environment, r.image, r.digest ?? "-", r.status.rawValue])
                }
                Terminal.stdout(RunsPresentation.table(rows))
                for r in summary.environments { if let e = r.error { Terminal.stderr("\(r.environment): \(e)") } }
            }
            if summary.failed > 0 {
                throw ImageBuildError(
                    .stepFailed, step: "build --all",
                    "\(summary.failed) of \(summary.environments.count) environments failed to build")
            }
        }

        /// How `build` shows the pipeline's progress: results on stdout, the builder's output on stderr.
        static func present(_ event: BuildEvent, environment env: LockedEnvironment, resultsToStderr: Bool = false) {
            // `build --all --json` keeps stdout for the summary.
            switch event {
            case .alreadyPublished(let reference, let hash):
                emit(
                    resultsToStderr,
                    "\(reference) already holds the image for lock hash \(hash); skipping the build (--force rebuilds)")
            case .replacing(let reference, let hash, let platform):
                let image = platform.map { "its \($0) image " } ?? ""
                Terminal.stderr(
                    "warning: \(reference) exists but \(image)carries lock hash \(hash ?? "none"), not \(env.hash); rebuilding"
                )
            case .building(let builder, let inputs):
                Terminal.stderr(
                    "envctl: building \(env.name) with \(builder.rawValue) (SOURCE_DATE_EPOCH=\(inputs.sourceDateEpoch))"
                )
            case .output(let line):
                Terminal.stderr(line)
            case .built(let result, let localTag):
                emit(resultsToStderr, "built \(localTag) \(result.manifestDigest)")
                emit(resultsToStderr, "oci layout \(result.ociLayout):\(result.ociRefName)")
            case .buildingPlatform(let platform):
                Terminal.stderr("envctl: building \(env.name) for \(platform)")
            case .indexed(let result, let platforms):
                for (platform, digest) in platforms.sorted(by: { $0.key < $1.key }) {
                    emit(resultsToStderr, "platform \(platform) \(digest)")
                }
                emit(resultsToStderr, "image index \(result.manifestDigest)")
                emit(resultsToStderr, "oci layout \(result.ociLayout):\(result.ociRefName)")
            case .pushed(let reference, let digest):
                emit(resultsToStderr, "pushed \(reference)@\(digest)")
            case .recorded(let reference, let digest, let lock):
                emit(resultsToStderr, "recorded \(reference)@\(digest) in \(lock)")
            case .attested(let attached):
                if resultsToStderr {
                    Terminal.stderr("attached the SBOM and provenance to \(env.name)'s image")
                } else {
                    printAttached(attached)
                }
            }
        }

        /// A result line: stdout, or stderr when stdout is kept for `--json`.
        static func emit(_ toStderr: Bool, _ line: String) {
            if toStderr { Terminal.stderr(line) } else { Terminal.stdout(line) }
        }
    }
}

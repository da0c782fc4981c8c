import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlWorkflows
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Push an image from an OCI layout or a docker-save archive to a registry.",
            discussion: """
                SOURCE is oci:DIR[:TAG] or docker-archive:FILE. DEST is a registry reference such as \
                registry.example/team/env:tag. Blobs the registry has are skipped, the rest upload in \
                parallel with retries; manifests follow their blobs.

                With --env NAME (the lock is read from next to --spec), the image is also tagged with the \
                environment's content tag, envctl-<first 16 hex digits of its lock hash>, and DEST may be left \
                out: it defaults to the environment's `image:` repository. With --record, the pushed \
                REPOSITORY:envctl-<hash> and its manifest digest are written into envctl.lock (atomically) as \
                the environment's `pushed:` entry; `envctl lock` keeps it while the environment is unchanged. \
                With --env, the environment's SBOM (CycloneDX) and SLSA provenance are attached to the pushed \
                image as OCI referrers (see `envctl verify`).

                The content tag promises that this lock hash means one image. When it already names another \
                digest in the destination repository, push refuses to move it (exit 1, nothing is pushed), \
                unless the new image's dev.envctl.lock-hash label is the environment's lock hash and --force \
                is given. --record refuses an image whose dev.envctl.lock-hash label is not the environment's \
                lock hash (exit 1).

                Examples:
                  envctl push oci:build/oci:v1 registry.example/team/train:v1
                  envctl push oci:.envctl/build/train/oci --env train --record
                  envctl push docker-archive:img.tar 127.0.0.1:5000/team/train --env train --json

                Exit codes: 0 ok, 1 registry failure or refused (content tag, label), 64 bad input (source, reference, lock or environment).
                """)

        @Argument(help: "oci:DIR[:TAG] or docker-archive:FILE")
        var source: String

        @Argument(
            help:
                "Destination reference, e.g. 127.0.0.1:5000/team/env:v1 (default with --env: the environment's image repository)."
        )
        var destination: String?

        @Option(name: .customLong("tag"), help: "Additional tag to apply (repeatable).")
        var tags: [String] = []

        @Option(
            name: .customLong("env"),
            help:
                "Environment whose content tag (envctl-<lock hash>) to apply; its image repository is the default DEST."
        )
        var environment: String?

        @Flag(
            name: .long,
            help:
                "Write the pushed reference and digest into envctl.lock (implies --env when the lock has one environment)."
        )
        var record = false

        @Flag(
            name: .long,
            help:
                "Move the environment's content tag to this image although it names another digest (the image's dev.envctl.lock-hash label must still be the environment's lock hash)."
        )
        var force = false

        @OptionGroup var lockLocation: LockLocationOptions

        @Option(
            name: .customLong("mount-from"),
            help: ArgumentHelp(
                "Image on the destination registry that may share blobs with this one (repeatable); they are mounted instead of uploaded.",
                discussion:
                    "With --env, the environment's base and builder images (through the registries config's mirrors) and its earlier push are tried too.",
                valueName: "repo[:tag|@digest]"))
        var mountFrom: [String] = []

        @OptionGroup var transfer: TransferOptions
        @OptionGroup var registry: RegistryOptions

        /// With --env, the SBOM and provenance go with the push: the inputs are this checkout's (as `build`
        /// uses), the Dockerfile the one envctl renders for them, and the dpkg status comes from an OCI layout.
        func attestation(for env: LockedEnvironment, _ source: any ImageSource) -> PushImage.Attestation {
            let inputs = SourceInfo.detect(in: FileManager.default.currentDirectoryPath)
            // The overrides `build` used: next to the lock, not in the working directory.
            let templates = ImageOptions.localTemplates(nextTo: lockLocation.lockPath)
            let dockerfile = try? ImageBuildWorkflow.render(
                env, inputs: inputs, recipe: BuildRecipe(templatesDirectory: templates))
            let layout = source as? OCILayoutSource
            return PushImage.Attestation(
                toolVersion: EnvctlCommand.envctlVersion, inputs: inputs, dockerfile: dockerfile,
                ociLayout: layout?.directory, refName: layout?.tag ?? env.contentTag)
        }

        func run() async throws {
            try await runRegistryCommand {
                // The lock is involved only when asked for: a plain `push SRC DEST` never reads or writes it.
                let env =
                    environment != nil || record || destination == nil
                    ? try lockLocation.environment(environment, in: try lockLocation.load()) : nil
                let target = try PushImage.target(destination: destination, environment: env, tags: tags)
                let src = try ImageSourceArgument.open(source)
                let reporter = ProgressReporter(quiet: transfer.quiet || transfer.json)
                let client = try registry.makeClient(
                    credentialsFor: target.destination.registry, reporter: reporter, concurrency: transfer.jobs)
                let mounts = try mountFrom.map { text throws(RegistryError) in try ImageReference(parsing: text) }
                let outcome = try await PushImage.run(
                    src, to: target, environment: env, mountFrom: mounts,
                    recordIn: record ? lockLocation.lockPath : nil, force: force,
                    attest: env.map { attestation(for: $0, src) },
                    client: client)
                reporter.finish()
                let result = outcome.transfer
                if let attached = outcome.attested, !transfer.quiet, !transfer.json { printAttached(attached) }
                if let reference = outcome.recorded, !transfer.quiet {
                    Terminal.stderr("recorded \(reference)@\(result.digest) in \(lockLocation.lockPath)")
                }
                printResult(result, json: transfer.json, quiet: transfer.quiet)
            }
        }
    }
}

func printResult(_ result: TransferResult, json: Bool, quiet: Bool) {
    if json {
        if let text = try? Terminal.json(result) { Terminal.stdout(text) }
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

/// `attached sbom …` / `attached provenance …` lines after a push.
func printAttached(_ attached: SupplyChainRecord.Attached) {
    Terminal.stdout("attached sbom \(attached.sbom.digest) to \(attached.image)")
    Terminal.stdout("attached provenance \(attached.provenance.digest) to \(attached.image)")
}

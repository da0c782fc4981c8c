import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Build a locked environment's image reproducibly, export it as an OCI layout, optionally push it.",
            discussion: """
                Steps: render the Dockerfile, build it (buildah when present: daemonless, works in CI containers), \
                export an OCI image layout to .envctl/build/ENV/oci, and with --push push it as \
                IMAGE:envctl-<lock hash>. When the registry already has that tag for this lock hash the build is \
                skipped (--force rebuilds). Builder settings come from the usual containers configuration \
                (CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION). \
                With --record (and --push) the pushed reference, manifest digest and build inputs (git revision, \
                source, SOURCE_DATE_EPOCH) are written into envctl.lock under the environment's `pushed`; commit it, \
                and `envctl run`, `reproduce` and `pipeline pin` use that digest (`reproduce --rebuild` the inputs). \
                Exit codes: 0 built (or skipped), 1 a step failed, 64 bad input, 69 builder missing.

                Examples:
                  envctl build --env train                  # build, export the OCI layout
                  envctl build --env train --push --record  # push, record the digest
                  envctl build --push --mirror docker.io=127.0.0.1:5000 \\
                      --build-arg PIP_INDEX_URL=http://127.0.0.1:8080/simple
                """)

        @OptionGroup var options: ImageOptions

        @Flag(name: .long, help: "Push to the environment's image repository under its content-addressed tag.")
        var push = false

        @Flag(name: .long, help: ArgumentHelp(
            "With --push: write the pushed reference and digest into envctl.lock (commit it).",
            discussion: "envctl run, reproduce and pipeline pin use the recorded digest. Also records an image that was skipped because the registry already had it."))
        var record = false

        @Flag(name: .long, help: "Build and push even when the registry already has this lock's image.")
        var force = false

        @Option(name: .long, help: "Push to this repository instead of the lock's image (tag stays envctl-<hash>).")
        var repository: String?

        @Option(name: .customLong("work-dir"), help: "Where the Dockerfile, context and OCI layout go.")
        var workDirectory: String = ".envctl/build"

        @OptionGroup var builderOptions: BuildOptions

        func run() async throws {
            let env = try options.selectEnvironment()
            let runner = ToolRunner()
            do {
                try await build(env, runner: runner)
            } catch let error as ImageBuildError {
                printError("error: \(error.description)")
                throw error.exitCode
            }
        }

        func build(_ env: LockedEnvironment, runner: ToolRunner) async throws {
            if record && !push {
                throw ImageBuildError(.badInput, step: "build", "--record needs --push", hint: "envctl build --push --record")
            }
            let args = try builderOptions.buildArguments(for: env)

            // Resolve the push target and the publisher before the (long) build, so bad flags fail fast.
            var target: String?
            var publisher: (any RegistryPublisher)?
            if push {
                guard let repo = repository ?? env.image else {
                    throw ImageBuildError(
                        .badInput, step: "push", "environment '\(env.name)' has no image repository to push to",
                        hint: "set `image:` for it in envctl.yaml and run 'envctl lock', or pass --repository")
                }
                target = "\(repo):\(env.contentTag)"
                let pub = try builderOptions.publisher(for: target!)
                publisher = pub
                if !force, let existing = try await pub.existing(at: target!) {
                    if existing.lockHash == env.hash {
                        print("\(target!) already holds the image for lock hash \(env.hash); skipping the build (--force rebuilds)")
                        if record { try recordPush(env, reference: target!, digest: existing.digest, source: existing.sourceInfo) }
                        return
                    }
                    printError("warning: \(target!) exists but carries lock hash \(existing.lockHash ?? "none"), not \(env.hash); rebuilding")
                }
            }

            let builderTool = try builderOptions.locateBuilder(runner: runner)
            let source = SourceInfo.detect(in: FileManager.default.currentDirectoryPath)
            let dockerfile = try options.render(env, source: source)
            let dir = (workDirectory as NSString).appendingPathComponent(env.name)
            let request = BuildRequest(
                dockerfile: dockerfile, contextDirectory: (dir as NSString).appendingPathComponent("context"),
                localTag: "localhost/envctl/\(env.name):\(env.contentTag)", buildArgs: args,
                sourceDateEpoch: source.sourceDateEpoch, ociLayout: (dir as NSString).appendingPathComponent("oci"),
                ociRefName: env.contentTag)
            printError("envctl: building \(env.name) with \(builderTool.kind.rawValue) (SOURCE_DATE_EPOCH=\(source.sourceDateEpoch))")
            let result = try builderTool.build(request) { line in printError(line) }
            print("built \(request.localTag) \(result.manifestDigest)")
            print("oci layout \(result.ociLayout):\(result.ociRefName)")
            if let target, let publisher {
                let pushed = try await publisher.push(layout: result.ociLayout, refName: result.ociRefName, to: target)
                print("pushed \(target)@\(pushed)")
                if record { try recordPush(env, reference: target, digest: pushed, source: source) }
            }
        }

        /// Writes the push into the lock (atomically), with the build inputs a rebuild needs.
        func recordPush(_ env: LockedEnvironment, reference: String, digest: String, source: SourceInfo?) throws {
            let inputs = source.map {
                PushedImage.BuildInputs(revision: $0.revision, source: $0.source, sourceDateEpoch: $0.sourceDateEpoch)
            }
            do {
                // Re-read: the lock may have been re-locked while the image built.
                let lock = try Lockfile.load(fileAt: options.lock)
                guard lock.environment(named: env.name)?.hash == env.hash else {
                    throw ImageBuildError(
                        .stepFailed, step: "record",
                        "\(options.lock) changed during the build ('\(env.name)' no longer has lock hash \(env.hash)); not recording \(reference)@\(digest)")
                }
                try lock.recordingPush(environment: env.name, reference: reference, digest: digest, build: inputs).write(to: options.lock)
            } catch let e as ImageBuildError {
                throw e
            } catch {
                throw ImageBuildError(.stepFailed, step: "record", "cannot record the push in \(options.lock): \(error)")
            }
            print("recorded \(reference)@\(digest) in \(options.lock)")
        }
    }
}

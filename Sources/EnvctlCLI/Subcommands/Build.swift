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
                Steps: render the Dockerfile, build it (buildah when present: daemonless, works in CI containers),
                export an OCI image layout to .envctl/build/ENV/oci, and with --push push it as
                IMAGE:envctl-<lock hash>. When the registry already has that tag for this lock hash the build is
                skipped (--force rebuilds). Builder settings come from the usual containers configuration
                (CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION).
                Exit codes: 0 built (or skipped), 1 a step failed, 64 bad input, 69 builder/skopeo missing.
                """)

        @OptionGroup var options: ImageOptions

        @Option(name: .long, help: "buildah, podman or docker (default: the first of these on PATH).")
        var builder: String?

        @Flag(name: .long, help: "Push to the environment's image repository under its content-addressed tag.")
        var push = false

        @Flag(name: .long, help: "Build and push even when the registry already has this lock's image.")
        var force = false

        @Option(name: .long, help: "Registry mirror for FROM images, REGISTRY=MIRROR (repeatable), e.g. docker.io=127.0.0.1:5000.")
        var mirror: [String] = []

        @Option(name: .customLong("build-arg"), help: "Extra NAME=VALUE build argument (repeatable), e.g. PIP_INDEX_URL=...")
        var buildArgs: [String] = []

        @Option(name: .long, help: "Push to this repository instead of the lock's image (tag stays envctl-<hash>).")
        var repository: String?

        @Option(name: .customLong("work-dir"), help: "Where the Dockerfile, context and OCI layout go.")
        var workDirectory: String = ".envctl/build"

        @OptionGroup var registry: RegistryOptions

        func run() async throws {
            let env = try options.selectEnvironment()
            let runner = ToolRunner()
            do {
                try await build(env, runner: runner)
            } catch let error as ImageBuildError {
                printError("error: \(error.description)")
                switch error.code {
                case .missingTool: throw ExitCode(69)
                case .badInput: throw ExitCode(64)
                default: throw ExitCode.failure
                }
            }
        }

        func build(_ env: LockedEnvironment, runner: ToolRunner) async throws {
            let kind: BuilderKind?
            if let builder {
                guard let k = BuilderKind(rawValue: builder) else {
                    throw ImageBuildError(.badInput, step: "build", "unknown builder '\(builder)'", hint: "use buildah, podman or docker")
                }
                kind = k
            } else {
                kind = nil
            }
            var mirrors = try RegistryMirrors(flags: mirror)
            if mirror.isEmpty, let config = try? RegistryConfiguration.load(path: registry.registriesConfig) {
                // The first mirror the registries config lists for a FROM image's registry (same file as envctl push).
                for image in [env.images.base, env.images.builder] {
                    guard let host = image.reference.split(separator: "/").first.map(String.init),
                        let first = config.settings(for: host).mirrors?.first
                    else { continue }
                    mirrors.mirrors[host] = first
                }
            }
            var args: [String: String] = [:]
            for a in buildArgs {
                let p = a.split(separator: "=", maxSplits: 1).map(String.init)
                guard p.count == 2, !p[0].isEmpty else {
                    throw ImageBuildError(.badInput, step: "build", "--build-arg '\(a)' is not NAME=VALUE")
                }
                args[p[0]] = p[1]
            }
            for (arg, image) in [("BASE_IMAGE", env.images.base), ("BUILDER_IMAGE", env.images.builder)]
            where args[arg] == nil && !mirrors.mirrors.isEmpty {
                let mirrored = mirrors.rewrite(image.pinnedReference)
                if mirrored != image.pinnedReference { args[arg] = mirrored }
            }

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
                let pub: ClientPublisher
                do {
                    let host = try ImageReference(parsing: target!).registry
                    pub = ClientPublisher(client: try registry.makeClient(credentialsFor: host, reporter: nil))
                } catch {
                    throw ImageBuildError(.badInput, step: "push", "cannot push to '\(target!)': \(error)")
                }
                publisher = pub
                if !force, let existing = try await pub.lockHash(at: target!) {
                    if existing == env.hash {
                        print("\(target!) already holds the image for lock hash \(env.hash); skipping the build (--force rebuilds)")
                        return
                    }
                    printError("warning: \(target!) exists but carries lock hash \(existing ?? "none"), not \(env.hash); rebuilding")
                }
            }

            let builderTool = try ImageBuilder.locate(kind, runner: runner)
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
            }
        }
    }
}

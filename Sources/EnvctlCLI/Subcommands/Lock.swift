import ArgumentParser
import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlResolver
import EnvctlWorkflows
import Foundation
import OCIRegistry

extension EnvctlCommand {
    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Solve the GPU stack and write envctl.lock (versions, image digests, hashed Python pins).",
            discussion: """
                The lock records, per environment: the framework build and its index, CUDA, cuDNN, Python, OS, the driver floor and which compatibility mode it relies on, base and builder images pinned by digest, every Python package pinned with sha256 hashes (through 'uv pip compile'), the reasons for each choice, and a content hash that becomes the image tag. It is written atomically next to envctl.yaml and is byte-identical for the same inputs.

                --check (for CI) writes nothing and exits 2, naming what changed, when the lock is stale: the spec or a requirements file was edited, or the knowledge base would now choose differently. With --refresh it also asks the registry whether a pinned tag moved upstream; without it, envctl never re-resolves tags silently.

                Examples:
                  envctl lock
                  envctl lock --offline        # no registry access: images stay by tag, and the lock says so
                  envctl lock --check          # in CI
                  envctl lock --check --refresh

                """)

        @OptionGroup var specOptions: SpecOptions
        @OptionGroup var registryOptions: RegistryOptions

        @Flag(name: .long, help: "Don't contact registries; uv uses only its cache. Images stay recorded by tag.")
        var offline = false

        @Flag(name: .long, help: "Don't write; exit 2 if envctl.lock is stale, naming what changed.")
        var check = false

        @Flag(name: .long, help: "With --check: also verify that each pinned tag still points to the locked digest.")
        var refresh = false

        @Flag(name: .long, help: "Print the written lock's summary as JSON.")
        var json = false

        func validate() throws {
            if refresh && !check { throw ValidationError("--refresh only applies with --check") }
            if refresh && offline { throw ValidationError("--refresh needs registry access; drop --offline") }
        }

        func run() async throws {
            try await ErrorPresentation.guarded {
                let (spec, kb) = try specOptions.load()
                if check {
                    try await runCheck(
                        spec: spec, kb: kb,
                        registry: refresh ? try registryOptions.makeClient(credentialsFor: nil, reporter: nil) : nil)
                    return
                }
                let pinner = try UVPinner()
                let locker = Locker(
                    knowledgeBase: kb, pinner: pinner,
                    images: offline ? nil : try registryOptions.makeClient(credentialsFor: nil, reporter: nil),
                    generatedBy: "envctl \(EnvctlCommand.envctlVersion)")
                let previous = try? Lockfile.load(fileAt: specOptions.lockPath)
                let lock = try await locker.lock(spec, options: LockOptions(offline: offline)).carryingPushRecords(
                    from: previous)
                try lock.write(to: specOptions.lockPath)
                if json {
                    Terminal.stdout(try ResolutionJSON.render(lock.environments))
                } else {
                    Terminal.stdout(lock.environments.map { ResolutionText.render($0) }.joined(separator: "\n"))
                    Terminal.stderr(
                        "wrote \(specOptions.lockPath) (\(lock.environments.count) environment\(lock.environments.count == 1 ? "" : "s"))"
                    )
                }
            }
        }

        func runCheck(spec: Spec, kb: KnowledgeBase, registry: (any ImageRegistry)?) async throws {
            let path = specOptions.lockPath
            try await LockCheck.requireUpToDate(spec: spec, knowledgeBase: kb, lockPath: path, registry: registry)
            Terminal.stdout("\(path) is up to date")
        }
    }
}

import ArgumentParser
import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlResolver
import Foundation

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
            do {
                let (spec, kb) = try specOptions.load()
                if check {
                    try await runCheck(spec: spec, kb: kb)
                    return
                }
                let pinner = try UVPinner()
                let locker = Locker(
                    knowledgeBase: kb, pinner: pinner, images: offline ? nil : try RegistryPinning.resolver(registryOptions),
                    generatedBy: "envctl \(EnvctlCommand.envctlVersion)")
                let previous = try? Lockfile.load(fileAt: specOptions.lockPath)
                let lock = try await locker.lock(spec, options: LockOptions(offline: offline)).carryingPushRecords(from: previous)
                try lock.write(to: specOptions.lockPath)
                if json {
                    Terminal.stdout(try ResolutionJSON.render(lock.environments))
                } else {
                    Terminal.stdout(lock.environments.map { ResolutionText.render($0) }.joined(separator: "\n"))
                    Terminal.stderr("wrote \(specOptions.lockPath) (\(lock.environments.count) environment\(lock.environments.count == 1 ? "" : "s"))")
                }
            } catch {
                throw ErrorPresentation.present(error)
            }
        }

        func runCheck(spec: Spec, kb: KnowledgeBase) async throws {
            let path = specOptions.lockPath
            guard FileManager.default.fileExists(atPath: path) else {
                Terminal.stderr("stale: \(path) does not exist; run 'envctl lock' and commit it")
                throw ExitCode(ExitStatus.stale)
            }
            let lock = try Lockfile.load(fileAt: path)
            let changes = try await LockCheck.changes(
                spec: spec, knowledgeBase: kb, lock: lock, registry: refresh ? try RegistryPinning.resolver(registryOptions) : nil)
            if changes.isEmpty {
                Terminal.stdout("\(path) is up to date")
                return
            }
            Terminal.stderr("stale: \(path) no longer matches its inputs:")
            for c in changes { Terminal.stderr("  - \(c)") }
            Terminal.stderr("run 'envctl lock' and commit the result")
            throw ExitCode(ExitStatus.stale)
        }
    }
}

/// What makes a lock stale, in sentences.
enum LockCheck {
    /// - Parameter registry: when given (`--refresh`), each pinned tag is resolved again and compared.
    static func changes(spec: Spec, knowledgeBase: KnowledgeBase, lock: Lockfile, registry: (any ImageDigestResolver)?)
        async throws -> [String]
    {
        var out: [String] = []
        if lock.specHash != Locker.inputsHash(spec: spec, knowledgeBase: knowledgeBase) {
            out.append("\(spec.path), a requirements file it names, or the knowledge base (\(lock.knowledgeBase.version) -> \(knowledgeBase.version)) changed since the lock was written")
        }
        let locked = Dictionary(lock.environments.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = spec.environments.map(\.name)
        for name in lock.environments.map(\.name) where !names.contains(name) {
            out.append("environment '\(name)' is locked but no longer in \(spec.path)")
        }
        let resolutions = try Resolver(knowledgeBase: knowledgeBase).resolve(spec)
        for (env, r) in zip(spec.environments, resolutions) {
            guard let old = locked[env.name] else {
                out.append("environment '\(env.name)' is not in the lock")
                continue
            }
            let new = Locker.skeleton(env, r)
            func cmp(_ what: String, _ a: String?, _ b: String?) {
                if a != b { out.append("\(env.name): \(what) \(a ?? "none") -> \(b ?? "none")") }
            }
            cmp("framework", old.framework?.label, new.framework?.label)
            cmp("CUDA", old.cuda, new.cuda)
            cmp("cuDNN", old.cudnn, new.cudnn)
            cmp("Python", old.python, new.python)
            cmp("OS", old.os, new.os)
            cmp("base image", old.images.base.reference, new.images.base.reference)
            cmp("builder image", old.images.builder.reference, new.images.builder.reference)
            cmp("apt packages", old.apt.joined(separator: " "), new.apt.joined(separator: " "))
            cmp("image repository", old.image, new.image)
        }
        if let resolver = registry {
            for env in lock.environments {
                for image in [env.images.base, env.images.builder] {
                    guard let digest = image.digest else {
                        out.append("\(env.name): \(image.reference) is pinned by tag only (locked offline)")
                        continue
                    }
                    do {
                        let now = try await resolver.pin(image.reference, platform: "linux/amd64")
                        if now.digest != digest {
                            out.append("\(env.name): \(image.reference) moved upstream: locked \(digest), now \(now.digest)")
                        }
                    } catch {
                        out.append("\(env.name): cannot check \(image.reference): \(error)")
                    }
                }
            }
        }
        return out
    }
}

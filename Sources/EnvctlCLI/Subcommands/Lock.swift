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
            commandName: "lock",
            abstract: "Solve the GPU stack and write envctl.lock (versions, image digests, hashed Python pins).",
            discussion: """
                The lock records, per environment: the framework build and its index, CUDA, cuDNN, Python, OS, the driver floor and which compatibility mode it relies on, base and builder images pinned by digest, every Python package pinned with sha256 hashes (through 'uv pip compile'), the reasons for each choice, and a content hash that becomes the image tag. It is written atomically next to envctl.yaml and is byte-identical for the same inputs.

                --check (for CI) writes nothing and exits 2, naming what changed, when the lock is stale or is not what 'envctl lock' would have written: the spec or a requirements file was edited, the knowledge base would now choose differently, or the lock was edited by hand. Offline it recomputes every field it can (the stack, each environment's content hash and tag, the indexes Python packages may come from, the framework and inline requirements among the pins) and names the field and its line in the lock. With --refresh it also asks the registry whether a pinned tag moved upstream and runs uv again to compare the pins; without it, envctl never re-resolves anything silently. docs/lockfile.md says what each check proves.

                Examples:
                  envctl lock
                  envctl lock --no-registry    # no registry access: images stay by tag, and the lock says so
                  envctl lock --offline        # no network at all: also uv from its cache only
                  envctl lock --ca-bundle corp-ca.pem --proxy-from-env   # behind a TLS-intercepting proxy
                  envctl lock --check          # in CI
                  envctl lock --check --json   # findings as JSON (kind, environment, field, file, line)
                  envctl lock --check --refresh

                """)

        @OptionGroup var specOptions: SpecOptions
        @OptionGroup var registryOptions: RegistryOptions

        @OptionGroup var network: NetworkOptions

        @Flag(
            name: .long,
            help:
                "No network at all: don't contact registries (images stay recorded by tag) and let uv use only its cache."
        )
        var offline = false

        @Flag(
            name: .customLong("no-registry"),
            help:
                "Don't contact registries (images stay recorded by tag); Python packages are still fetched and pinned.")
        var noRegistry = false

        @Flag(name: .long, help: "Don't write; exit 2 if envctl.lock is stale, naming what changed.")
        var check = false

        @Flag(
            name: .long,
            help:
                "With --check: also verify that each pinned tag still points to the locked digest and that uv pins the same packages."
        )
        var refresh = false

        @Flag(
            name: .long,
            help:
                "Print the written lock's summary as JSON; with --check, the verdict and each finding (kind, environment, field, file, line)."
        )
        var json = false

        func validate() throws {
            if refresh && !check { throw ValidationError("--refresh only applies with --check") }
            if refresh && offline { throw ValidationError("--refresh needs registry access; drop --offline") }
            if refresh && noRegistry { throw ValidationError("--refresh needs registry access; drop --no-registry") }
        }

        func run() async throws {
            try await ErrorPresentation.guarded {
                let (spec, kb) = try specOptions.load()
                if check {
                    let access = refresh ? try network.access(spec.network, specPath: spec.path) : NetworkAccess()
                    defer { access.remove() }
                    try await runCheck(
                        spec: spec, kb: kb,
                        refresh: refresh
                            ? LockCheck.Refresh(
                                registry: try registryOptions.makeClient(
                                    credentialsFor: nil, reporter: ProgressReporter(quiet: true)),
                                pinner: try UVPinner(), uvEnvironment: access.uvEnvironment)
                            : nil)
                    return
                }
                // Plain environments pin no Python: a spec of only those locks without uv.
                let pinner = spec.environments.allSatisfy(\.isPlain) ? nil : try UVPinner()
                // Mirror warnings (a mirror that lacks a tag, then the fallback) are shown; progress is not.
                let locker = Locker(
                    knowledgeBase: kb, pinner: pinner,
                    images: offline || noRegistry
                        ? nil
                        : try registryOptions.makeClient(credentialsFor: nil, reporter: ProgressReporter(quiet: true)),
                    generatedBy: "envctl \(EnvctlCommand.envctlVersion)")
                let previous = try? Lockfile.load(fileAt: specOptions.lockPath)
                let access = try network.access(spec.network, specPath: spec.path)
                defer { access.remove() }
                let lock = try await locker.lock(
                    spec,
                    options: LockOptions(offline: offline, noRegistry: noRegistry, uvEnvironment: access.uvEnvironment)
                ).carryingPushRecords(from: previous)
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

        func runCheck(spec: Spec, kb: KnowledgeBase, refresh: LockCheck.Refresh?) async throws {
            let path = specOptions.lockPath
            let report = try await LockCheck.report(spec: spec, knowledgeBase: kb, lockPath: path, refresh: refresh)
            if json { print(try Terminal.json(report)) }
            guard report.status == "up-to-date" else { throw StaleLockError(report) }
            if !json { Terminal.stdout("\(path) is up to date") }
        }
    }
}

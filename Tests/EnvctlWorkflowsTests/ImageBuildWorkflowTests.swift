import CurlTransport
import EnvctlImageBuild
import EnvctlModel
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Synchronization
import Testing

@testable import EnvctlWorkflows

/// The build pipeline against a real registry (docker-registry started by ci/registry.sh). The builder
/// itself is exercised end to end in EndToEndTests; here a missing builder stops the pipeline right after
/// the registry was consulted, and the push and record steps run on an OCI layout made by hand.
@Suite("Build workflow (real registry)", .requires("docker-registry", "skopeo"), .tags(.registry))
struct ImageBuildWorkflowTests {
    final class Events: Sendable {
        let seen = Mutex<[String]>([])
        func add(_ e: BuildEvent) {
            let text: String =
                switch e {
                case .alreadyPublished(let r, _): "already \(r)"
                case .replacing(let r, let h, let p): "replacing \(r) \(h ?? "none")" + (p.map { " (\($0))" } ?? "")
                case .building(let b, _): "building \(b.rawValue)"
                case .output: "output"
                case .built: "built"
                case .buildingPlatform(let p): "building for \(p)"
                case .indexed(let r, _): "indexed \(r.manifestDigest)"
                case .pushed(let r, _): "pushed \(r)"
                case .recorded(let r, _, _): "recorded \(r)"
                case .attested(let a): "attested \(a.image)"
                }
            seen.withLock { $0.append(text) }
        }
        var all: [String] { seen.withLock { $0 } }
    }

    func client() -> RegistryClient {
        RegistryClient.curl(
            options: .init(configuration: RegistryConfiguration(), credentials: CredentialStore()),
            userAgent: "envctl-test")
    }

    /// No builder on PATH: the pipeline reports it as a missing tool.
    var noBuilders: ToolRunner { ToolRunner(environment: ["PATH": "/nonexistent"]) }

    @Test func anImageOfAnotherLockIsReplacedAndAMissingBuilderIsAMissingTool() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        try registry.put("team/train:envctl-0000000000000001", payload: "other")
        let env = LockFactory.environment(pushed: nil)
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let target = "\(registry.host)/team/train:envctl-0000000000000001"
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(),
            contextDirectory: ws.path + "/context", ociLayout: ws.path + "/oci", target: target, skipIfPublished: true)
        await #expect {
            _ = try await workflow.run(job)
        } throws: { error in
            (error as? ImageBuildError)?.failureKind == .missingTool
        }
        #expect(events.all == ["replacing \(target) none"])
    }

    @Test func aBadTargetFailsBeforeAnythingElse() async throws {
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let job = BuildJob(
            environment: LockFactory.environment(),
            inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(), contextDirectory: "/nonexistent", ociLayout: "/nonexistent/oci",
            target: "UPPER/Case:x")
        await #expect {
            _ = try await workflow.run(job)
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.failureKind == .badInput && e?.step == "push"
        }
        #expect(events.all.isEmpty)
    }

    @Test func aFailedPushKeepsTheRegistryErrorAsItsCause() async throws {
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { _ in }
        let result = BuildResult(manifestDigest: "", ociLayout: "/nonexistent/oci", ociRefName: "x")
        await #expect {
            _ = try await workflow.push(result, to: try ImageReference(parsing: "127.0.0.1:1/team/train:x"))
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.step == "push" && (e?.cause as? RegistryError)?.code == .invalidSource
        }
    }

    @Test func pushAndRecordFollowTheBuild() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        let made = try runProcess(
            "bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/oci", "envctl-x", "512", "gzip", env.hash])
        try #require(made.status == 0, "\(made.stderr)")
        try LockFactory.lockfile([env]).write(to: ws.path + "/envctl.lock")
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let target = "\(registry.host)/team/train:\(env.contentTag)"
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: "r1", source: nil, sourceDateEpoch: 5),
            recipe: BuildRecipe(),
            contextDirectory: ws.path, ociLayout: ws.path + "/oci", target: target, recordIn: ws.path + "/envctl.lock")
        let result = BuildResult(manifestDigest: "", ociLayout: ws.path + "/oci", ociRefName: "envctl-x")
        let digest = try await workflow.push(result, to: try ImageReference(parsing: target))
        try workflow.record(job, digest: digest, imageLockHash: env.hash, inputs: job.inputs, platforms: [:])
        #expect(try registry.digest("team/train:\(env.contentTag)") == digest)
        let pushed = try Lockfile.load(fileAt: ws.path + "/envctl.lock").environment(named: "train")?.pushed
        #expect(pushed == PushedImage(reference: target, digest: digest, build: job.inputs))
        #expect(events.all == ["recorded \(target)"])
    }

    /// Two platform images (hand-made layouts, amd64 and arm64 configs) joined in one index, pushed through
    /// envctl's client, then found by a second multi-platform build, which skips and records the index digest
    /// and both platform digests.
    @Test func twoPlatformsArePushedAsOneIndexAndEveryDigestIsRecorded() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        var parts: [(platform: TargetPlatform, result: BuildResult)] = []
        for platform in [TargetPlatform.linuxARM64, .linuxAMD64] {
            let layout = ws.path + "/oci-" + platform.slug
            let made = try runProcess(
                "bash",
                [
                    RepoPaths.path("ci/make-oci-layout.sh"), layout, "envctl-x", "512", "gzip", env.hash,
                    platform.architecture,
                ])
            try #require(made.status == 0, "\(made.stderr)")
            let digest = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            parts.append((platform, BuildResult(manifestDigest: digest, ociLayout: layout, ociRefName: "envctl-x")))
        }
        let assembled = try ImageIndexLayout.assemble(parts, into: ws.path + "/oci", refName: env.contentTag)
        #expect(
            assembled.platforms == [
                "linux/amd64": parts[1].result.manifestDigest, "linux/arm64": parts[0].result.manifestDigest,
            ])
        // Assembling the same images again gives the same index.
        let again = try ImageIndexLayout.assemble(parts.reversed(), into: ws.path + "/oci2", refName: env.contentTag)
        #expect(again.indexDigest == assembled.indexDigest)

        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { _ in }
        let target = "\(registry.host)/team/train:\(env.contentTag)"
        let result = BuildResult(
            manifestDigest: assembled.indexDigest, ociLayout: ws.path + "/oci", ociRefName: env.contentTag)
        let digest = try await workflow.push(result, to: try ImageReference(parsing: target))
        #expect(digest == assembled.indexDigest)
        #expect(try registry.digest("team/train:\(env.contentTag)") == digest)
        // What another tool sees: the index with both platforms, each manifest pushed under its digest.
        let raw = try runProcess("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target)"])
        try #require(raw.status == 0, "\(raw.stderr)")
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(raw.stdout.utf8))
        #expect(index.mediaType == MediaType.ociIndex)
        #expect(
            Dictionary(uniqueKeysWithValues: index.manifests.map { ($0.platform!.description, $0.digest.description) })
                == assembled.platforms)
        for (_, platformDigest) in assembled.platforms {
            #expect(try registry.digest("team/train@\(platformDigest)") == platformDigest)
        }

        try LockFactory.lockfile([env]).write(to: ws.path + "/envctl.lock")
        let events = Events()
        let skipping = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(), contextDirectory: ws.path + "/context", ociLayout: ws.path + "/oci3",
            target: target, skipIfPublished: true, recordIn: ws.path + "/envctl.lock",
            platforms: [.linuxAMD64, .linuxARM64])
        let outcome = try await skipping.run(job)
        #expect(outcome.result == nil && outcome.digest == digest && outcome.platformDigests == assembled.platforms)
        #expect(events.all == ["already \(target)", "recorded \(target)"])
        let pushed = try Lockfile.load(fileAt: ws.path + "/envctl.lock").environment(named: "train")?.pushed
        #expect(pushed == PushedImage(reference: target, digest: digest, build: nil, platforms: assembled.platforms))
    }

    /// A published index that lacks a platform asked for is rebuilt, not recorded.
    @Test func anIndexMissingAPlatformIsRebuilt() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        let made = try runProcess(
            "bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/amd", "x", "512", "gzip", env.hash, "amd64"])
        try #require(made.status == 0, "\(made.stderr)")
        let one = BuildResult(
            manifestDigest: made.stdout.trimmingCharacters(in: .whitespacesAndNewlines), ociLayout: ws.path + "/amd",
            ociRefName: "x")
        _ = try ImageIndexLayout.assemble([(.linuxAMD64, one)], into: ws.path + "/oci", refName: env.contentTag)
        let target = "\(registry.host)/team/train:\(env.contentTag)"
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        _ = try await workflow.push(
            BuildResult(manifestDigest: "", ociLayout: ws.path + "/oci", ociRefName: env.contentTag),
            to: try ImageReference(parsing: target))
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(), contextDirectory: ws.path + "/context", ociLayout: ws.path + "/oci3",
            target: target, skipIfPublished: true, platforms: [.linuxAMD64, .linuxARM64])
        await #expect {
            _ = try await workflow.run(job)
        } throws: { error in
            (error as? ImageBuildError)?.failureKind == .missingTool
        }
        #expect(events.all == ["replacing \(target) \(env.hash)"])
    }

    /// Pushes a two-platform index whose images carry `amd64Hash` and `arm64Hash` as their lock-hash labels;
    /// returns its digest and each platform's manifest digest.
    static func pushIndex(
        amd64Hash: String, arm64Hash: String, to target: String, in ws: TemporaryDirectory, client: RegistryClient
    ) async throws -> (digest: String, platforms: [String: String]) {
        var parts: [(platform: TargetPlatform, result: BuildResult)] = []
        for (platform, hash) in [(TargetPlatform.linuxAMD64, amd64Hash), (.linuxARM64, arm64Hash)] {
            let layout = ws.path + "/part-" + platform.slug
            let made = try runProcess(
                "bash",
                [RepoPaths.path("ci/make-oci-layout.sh"), layout, "x", "256", "gzip", hash, platform.architecture])
            try #require(made.status == 0, "\(made.stderr)")
            let digest = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            parts.append((platform, BuildResult(manifestDigest: digest, ociLayout: layout, ociRefName: "x")))
        }
        let assembled = try ImageIndexLayout.assemble(parts, into: ws.path + "/index", refName: "idx")
        let workflow = ImageBuildWorkflow(registry: client, runner: ToolRunner(environment: ["PATH": "/nonexistent"])) {
            _ in
        }
        let digest = try await workflow.push(
            BuildResult(manifestDigest: assembled.indexDigest, ociLayout: ws.path + "/index", ociRefName: "idx"),
            to: try ImageReference(parsing: target))
        return (digest, assembled.platforms)
    }

    /// An index whose amd64 image carries this lock's hash but whose arm64 image is stale (a partial rebuild)
    /// is rebuilt, and the warning names the stale platform; skipping reads every platform's label.
    @Test func anIndexWithAStaleArm64ImageIsRebuilt() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        let stale = "sha256:" + String(repeating: "5", count: 64)
        let target = "\(registry.host)/team/train:\(env.contentTag)"
        _ = try await Self.pushIndex(amd64Hash: env.hash, arm64Hash: stale, to: target, in: ws, client: client())
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(), contextDirectory: ws.path + "/context", ociLayout: ws.path + "/oci",
            target: target, skipIfPublished: true, platforms: [.linuxAMD64, .linuxARM64])
        await #expect {
            _ = try await workflow.run(job)
        } throws: { error in
            (error as? ImageBuildError)?.failureKind == .missingTool
        }
        #expect(events.all == ["replacing \(target) \(stale) (linux/arm64)"])
    }

    /// The same index with both images current is skipped.
    @Test func anIndexWhoseEveryImageCarriesTheLockHashIsSkipped() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        let target = "\(registry.host)/team/train:\(env.contentTag)"
        let pushed = try await Self.pushIndex(
            amd64Hash: env.hash, arm64Hash: env.hash, to: target, in: ws, client: client())
        let events = Events()
        let workflow = ImageBuildWorkflow(registry: client(), runner: noBuilders) { events.add($0) }
        let job = BuildJob(
            environment: env, inputs: BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0),
            recipe: BuildRecipe(), contextDirectory: ws.path + "/context", ociLayout: ws.path + "/oci",
            target: target, skipIfPublished: true, platforms: [.linuxAMD64, .linuxARM64])
        let outcome = try await workflow.run(job)
        #expect(outcome.result == nil && outcome.digest == pushed.digest && outcome.platformDigests == pushed.platforms)
        #expect(events.all == ["already \(target)"])
    }

    /// A platform build whose config names another architecture (a builder that ignored --platform) is refused.
    @Test func aBuildOfTheWrongArchitectureIsRefused() throws {
        let ws = try TemporaryDirectory(prefix: "envctl-wf")
        defer { ws.cleanup() }
        let made = try runProcess(
            "bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/a", "x", "64", "gzip", "", "amd64"])
        try #require(made.status == 0, "\(made.stderr)")
        let built = BuildResult(manifestDigest: "", ociLayout: ws.path + "/a", ociRefName: "x")
        #expect {
            _ = try ImageIndexLayout.assemble([(.linuxARM64, built)], into: ws.path + "/oci", refName: "t")
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.step == "index" && e?.message == "the linux/arm64 build produced a linux/amd64 image"
        }
    }
}

@Suite("Build platforms come from the lock")
struct BuildPlatformsTests {
    func env(_ platforms: [String]) -> LockedEnvironment {
        var e = LockFactory.environment()
        e.platforms = platforms
        return e
    }

    @Test func anEnvironmentLockedForTheHostAloneBuildsOneImageAsBefore() throws {
        #expect(try BuildJob.platforms(requested: nil, for: env(["linux/amd64"]), host: .linuxAMD64) == [])
        // On an arm64 host the same lock still names amd64, so no arm64 image comes out of an amd64 lock.
        #expect(try BuildJob.platforms(requested: nil, for: env(["linux/amd64"]), host: .linuxARM64) == [.linuxAMD64])
    }

    @Test func everyLockedPlatformIsBuiltByDefault() throws {
        #expect(
            try BuildJob.platforms(requested: nil, for: env(["linux/amd64", "linux/arm64"]), host: .linuxAMD64)
                == [.linuxAMD64, .linuxARM64])
        #expect(try BuildJob.platforms(requested: nil, for: env(["linux/arm64"]), host: .linuxAMD64) == [.linuxARM64])
    }

    @Test func aRequestedPlatformMustBeLocked() throws {
        #expect(
            try BuildJob.platforms(requested: [.linuxARM64], for: env(["linux/amd64", "linux/arm64"]))
                == [.linuxARM64])
        #expect {
            try BuildJob.platforms(requested: [.linuxARM64], for: env(["linux/amd64"]))
        } throws: { error in
            "\(error)".contains("locked for linux/amd64, not linux/arm64")
        }
    }

    /// The content tag holds one image index with every locked platform: a push of some of them is refused
    /// (another runner's build of the rest would find this lock's image there and skip); a build without a push,
    /// or a push of all of them in any order, is fine.
    @Test func aPushMustCoverEveryLockedPlatform() throws {
        let both = env(["linux/amd64", "linux/arm64"])
        #expect(try BuildJob.platforms(requested: [.linuxARM64], for: both, pushing: false) == [.linuxARM64])
        #expect(
            try BuildJob.platforms(requested: [.linuxARM64, .linuxAMD64], for: both, pushing: true)
                == [.linuxARM64, .linuxAMD64])
        #expect(try BuildJob.platforms(requested: nil, for: both, pushing: true) == [.linuxAMD64, .linuxARM64])
        #expect(
            try BuildJob.platforms(requested: [.linuxAMD64], for: env(["linux/amd64"]), pushing: true) == [.linuxAMD64])
        #expect {
            try BuildJob.platforms(requested: [.linuxARM64], for: both, pushing: true)
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.code == .badInput
                && "\(error)".contains(
                    "locked for linux/amd64, linux/arm64, and --push puts them all under its content tag as one image index: it can't push linux/arm64 alone"
                )
        }
    }
}

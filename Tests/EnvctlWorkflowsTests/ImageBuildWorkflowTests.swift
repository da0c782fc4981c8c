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
                case .replacing(let r, let h): "replacing \(r) \(h ?? "none")"
                case .building(let b, _): "building \(b.rawValue)"
                case .output: "output"
                case .built: "built"
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
        try workflow.record(job, digest: digest, imageLockHash: env.hash, inputs: job.inputs)
        #expect(try registry.digest("team/train:\(env.contentTag)") == digest)
        let pushed = try Lockfile.load(fileAt: ws.path + "/envctl.lock").environment(named: "train")?.pushed
        #expect(pushed == PushedImage(reference: target, digest: digest, build: job.inputs))
        #expect(events.all == ["recorded \(target)"])
    }
}

import CurlTransport
import EnvctlImageBuild
import EnvctlModel
import EnvctlTestSupport
import EnvctlWorkflows
import Foundation
import OCIRegistry
import Testing

/// `envctl push`'s rules: where an image goes and which tags it gets.
@Suite("Push target") struct PushTargetTests {
    let env = LockFactory.environment(pushed: nil)

    @Test func withoutAnEnvironmentDestIsRequiredAndTakenAsGiven() throws {
        #expect(throws: DiagnosticsError.self) { try PushImage.target(destination: nil, environment: nil, tags: []) }
        let t = try PushImage.target(destination: "r.example/team/x:v1", environment: nil, tags: ["a"])
        #expect(t.destination.description == "r.example/team/x:v1")
        #expect(t.additionalTags == ["a"])
    }

    @Test func theContentTagIsPrimaryWhenDestNamesNoTag() throws {
        let t = try PushImage.target(destination: "r.example/team/x", environment: env, tags: ["latest"])
        #expect(t.destination.tag == env.contentTag)
        #expect(t.additionalTags == ["latest"])
    }

    @Test func theContentTagIsAddedWhenDestNamesATag() throws {
        let t = try PushImage.target(
            destination: "r.example/team/x:v1", environment: env, tags: ["v1", env.contentTag, "b"])
        #expect(t.destination.tag == "v1")
        #expect(t.additionalTags == [env.contentTag, "b"])
    }

    @Test func withoutDestTheEnvironmentsRepositoryIsUsed() throws {
        let t = try PushImage.target(destination: nil, environment: env, tags: [])
        #expect(t.destination.description == "registry.example.com/team/train:\(env.contentTag)")
        #expect(t.additionalTags.isEmpty)
        let noRepo = LockFactory.environment(image: nil, pushed: nil)
        #expect {
            try PushImage.target(destination: nil, environment: noRepo, tags: [])
        } throws: { error in
            (error as? DiagnosticsError)?.diagnostics.first?.message
                == "environment 'train' has no image repository to push to"
        }
    }

    @Test func mountCandidatesAreTheBaseBuilderAndLastPush() throws {
        let pushed = PushedImage(
            reference: "r.example/team/train:envctl-1", digest: "sha256:" + String(repeating: "a", count: 64))
        let refs = PushImage.mountCandidates(LockFactory.environment(pushed: pushed), client: PushImageTests.client())
        #expect(
            refs.map(\.description) == [
                "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:" + String(repeating: "b", count: 64),
                "docker.io/nvidia/cuda:12.4.1-devel-ubuntu22.04@sha256:" + String(repeating: "c", count: 64),
                "r.example/team/train:envctl-1@sha256:" + String(repeating: "a", count: 64),
            ])
    }
}

/// Pushing an OCI layout to a real registry and recording it.
@Suite("Push (real registry)", .requires(TestRegistry.tools), .tags(.registry))
struct PushImageTests {
    static func client() -> RegistryClient {
        RegistryClient.curl(
            options: .init(configuration: RegistryConfiguration(), credentials: CredentialStore()),
            userAgent: "envctl-test")
    }

    @Test func pushesUnderTheContentTagAndRecordsIt() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-push")
        defer { ws.cleanup() }
        let env = LockFactory.environment(pushed: nil)
        let made = try runProcess(
            "bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/oci", "v1", "512", "gzip", env.hash])
        try #require(made.status == 0, "\(made.stderr)")
        try LockFactory.lockfile([env]).write(to: ws.path + "/envctl.lock")
        let target = try PushImage.target(destination: "\(registry.host)/team/train", environment: env, tags: ["extra"])
        let outcome = try await PushImage.run(
            try OCILayoutSource(directory: ws.path + "/oci", tag: "v1"), to: target, environment: env, mountFrom: [],
            recordIn: ws.path + "/envctl.lock", client: Self.client())
        let reference = "\(registry.host)/team/train:\(env.contentTag)"
        #expect(outcome.recorded == reference)
        #expect(try registry.digest("team/train:\(env.contentTag)") == outcome.transfer.digest.description)
        #expect(try registry.digest("team/train:extra") == outcome.transfer.digest.description)
        let pushed = try Lockfile.load(fileAt: ws.path + "/envctl.lock").environment(named: "train")?.pushed
        #expect(pushed == PushedImage(reference: reference, digest: outcome.transfer.digest.description, build: nil))
    }

    @Test func withoutRecordTheLockIsNotTouched() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-push")
        defer { ws.cleanup() }
        let made = try runProcess("bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/oci", "v1", "512"])
        try #require(made.status == 0, "\(made.stderr)")
        let target = try PushImage.target(destination: "\(registry.host)/team/plain:v1", environment: nil, tags: [])
        let outcome = try await PushImage.run(
            try OCILayoutSource(directory: ws.path + "/oci", tag: "v1"), to: target, environment: nil, mountFrom: [],
            recordIn: ws.path + "/envctl.lock", client: Self.client())
        #expect(outcome.recorded == nil)
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/envctl.lock"))
        #expect(try registry.digest("team/plain:v1") == outcome.transfer.digest.description)
    }
}

import CurlTransport
import EnvctlImageBuild
import EnvctlModel
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@testable import EnvctlWorkflows

/// `lock --check --refresh` asks the registry for every platform a lock names (issue 12): a real two-platform
/// index in the local registry (ci/registry.sh's docker-registry), made by hand with ci/make-oci-layout.sh.
@Suite("Lock refresh: every platform (real registry)", .requires("docker-registry", "skopeo"), .tags(.registry))
struct LockRefreshImagesTests {
    func client() -> RegistryClient {
        RegistryClient.curl(
            options: .init(configuration: RegistryConfiguration(), credentials: CredentialStore()),
            userAgent: "envctl-test")
    }

    /// A two-platform environment whose base and builder are `reference`, pinned to `digest` and `platforms`.
    func environment(_ reference: String, digest: String, platforms: [String: String]) -> LockedEnvironment {
        var env = LockFactory.environment(pushed: nil)
        env.platforms = ["linux/amd64", "linux/arm64"]
        let image = LockedImage(
            reference: reference, digest: digest, platformDigest: platforms["linux/amd64"],
            platformDigests: platforms.filter { $0.key != "linux/amd64" })
        env.images = LockedImages(base: image, builder: image)
        return env
    }

    func findings(_ env: LockedEnvironment) async throws -> [String] {
        var out = Findings(locations: nil)
        try await LockCheck.refreshImages(LockFactory.lockfile([env]), client(), &out)
        return out.lines
    }

    @Test func everyPlatformsManifestIsCompared() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-refresh")
        defer { ws.cleanup() }
        let target = "\(registry.host)/base/cuda:two"
        let pushed = try await ImageBuildWorkflowTests.pushIndex(
            amd64Hash: "", arm64Hash: "", to: target, in: ws, client: client())
        let env = environment(target, digest: pushed.digest, platforms: pushed.platforms)
        #expect(try await findings(env) == [])

        // The arm64 manifest digest in the lock is not what the index holds: named with its platform.
        var forged = env
        let other = LockFactory.fakeDigest("other")
        forged.images.base.platformDigests["linux/arm64"] = other
        #expect(
            try await findings(forged) == [
                "train: \(target) for linux/arm64 moved upstream: locked manifest \(other), now \(pushed.platforms["linux/arm64"]!)"
            ])
    }

    @Test func aTagWithoutTheArm64ImageIsNamedWithThePlatform() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let ws = try TemporaryDirectory(prefix: "envctl-refresh")
        defer { ws.cleanup() }
        let made = try runProcess(
            "bash", [RepoPaths.path("ci/make-oci-layout.sh"), ws.path + "/amd", "x", "256", "gzip", "", "amd64"])
        try #require(made.status == 0, "\(made.stderr)")
        let amd64 = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let one = BuildResult(manifestDigest: amd64, ociLayout: ws.path + "/amd", ociRefName: "x")
        let assembled = try ImageIndexLayout.assemble([(.linuxAMD64, one)], into: ws.path + "/oci", refName: "idx")
        let target = "\(registry.host)/base/cuda:amd64-only"
        let workflow = ImageBuildWorkflow(registry: client()) { _ in }
        let digest = try await workflow.push(
            BuildResult(manifestDigest: assembled.indexDigest, ociLayout: ws.path + "/oci", ociRefName: "idx"),
            to: try ImageReference(parsing: target))
        let env = environment(
            target, digest: digest,
            platforms: ["linux/amd64": amd64, "linux/arm64": LockFactory.fakeDigest("arm64")])
        let found = try await findings(env)
        // Base and builder are the same tag: each is asked for both platforms; amd64 matches, arm64 is missing.
        #expect(found.count == 2, "\(found)")
        #expect(found.allSatisfy { $0.hasPrefix("train: cannot check \(target) for linux/arm64: ") }, "\(found)")
    }
}

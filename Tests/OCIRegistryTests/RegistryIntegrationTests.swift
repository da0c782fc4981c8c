import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// Push, pull, HEAD, mount, copy, inspect and pin against a real distribution 2.8.2 (plain HTTP).
@Suite(.serialized, .requires(TestRegistry.tools), .tags(.registry)) struct PlainRegistryTests {
    @Test func pushPinInspectRepushAndCopy() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout(tags: ["v1"], bytes: 300_000)
        defer { layout.cleanup() }
        let events = EventLog()
        let client = makeClient(events: events)
        let dest = try registry.ref("envctl/tiny:v1")

        let first = try await client.push(
            try OCILayoutSource(directory: layout.path, tag: "v1"), to: dest,
            additionalTags: ["extra"])
        #expect(first.digest == (try layout.digest("v1")))
        #expect(first.blobsUploaded == 2 && first.blobsSkipped == 0)
        #expect(first.references == ["\(registry.host)/envctl/tiny:v1", "\(registry.host)/envctl/tiny:extra"])

        // Everything that was pushed reads back identical.
        let pin = try await client.pin("\(registry.host)/envctl/tiny:extra")
        #expect(pin.digest == first.digest && pin.platformManifestDigest == first.digest && pin.indexDigest == nil)
        #expect(try await client.exists(dest))
        #expect(try await client.exists(try registry.ref("envctl/tiny:nope")) == false)
        let info = try await client.inspect(dest)
        #expect(info.platform == "linux/amd64" && info.labels["org.envctl.test"] == "v1" && info.layers.count == 1)
        let layer = info.layers[0]
        let out = layout.path + "/pulled"
        try await client.fetchBlob(
            dest, Descriptor(mediaType: layer.mediaType, digest: layer.digest, size: layer.size), to: out)
        #expect(
            FileManager.default.contentsEqual(
                atPath: out, andPath: "\(layout.path)/blobs/sha256/\(layer.digest.encoded)"))

        // Re-push: every blob is skipped, and the tag already holds the digest.
        let again = try await client.push(try OCILayoutSource(directory: layout.path, tag: "v1"), to: dest)
        #expect(again.blobsSkipped == 2 && again.blobsUploaded == 0 && again.bytesUploaded == 0)

        // Copy to another repository on the same registry: blobs are mounted, digest kept.
        let copied = try await client.copy(from: dest, to: try registry.ref("team/promoted:v1"))
        #expect(copied.digest == first.digest && copied.blobsMounted == 2 && !copied.digestChanged)
        #expect(try await client.pin("\(registry.host)/team/promoted:v1").digest == first.digest)
    }

    @Test func indexPushPinAndPlatformSubsetCopy() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout(tags: ["amd64", "arm64"])
        defer { layout.cleanup() }
        let indexDigest = try layout.addIndex("multi", amd64: "amd64", arm64: "arm64")
        let events = EventLog()
        let client = makeClient(events: events)
        let dest = try registry.ref("envctl/multi:1")
        let pushed = try await client.push(try OCILayoutSource(directory: layout.path, tag: "multi"), to: dest)
        #expect(pushed.digest == indexDigest && pushed.mediaType == MediaType.ociIndex && pushed.blobsUploaded == 4)

        let pin = try await client.pin("\(registry.host)/envctl/multi:1", platform: "linux/amd64")
        #expect(pin.indexDigest == indexDigest)
        #expect(pin.platformManifestDigest == (try layout.digest("amd64")))
        let arm = try await client.pin("\(registry.host)/envctl/multi:1", platform: "linux/arm64")
        #expect(arm.platformManifestDigest == (try layout.digest("arm64")))
        await #expect(throws: RegistryError.self) {
            try await client.pin("\(registry.host)/envctl/multi:1", platform: "linux/s390x")
        }

        // Copy by digest to another registry keeps the digest; a platform subset changes it (with a warning).
        let other = try TestRegistry("plain")
        let full = try await client.copy(from: dest.withDigest(indexDigest), to: try other.ref("mirror/multi:1"))
        #expect(full.digest == indexDigest && full.blobsUploaded == 4)
        let subset = try await client.copy(
            from: dest, to: try other.ref("mirror/multi:amd64-only"), platforms: [.linuxAMD64])
        #expect(subset.digestChanged && subset.digest != indexDigest)
        #expect(events.warnings.contains { $0.contains("differs") })
        let info = try await client.inspect(try other.ref("mirror/multi:amd64-only"))
        #expect(info.platforms.map(\.platform) == ["linux/amd64"])
    }

    @Test func mirrorServesDockerHubReferences() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let client = makeClient()
        _ = try await client.push(
            try OCILayoutSource(directory: layout.path, tag: "v1"),
            to: try registry.ref("nvidia/cuda:12.4.1-base-ubuntu22.04"))
        let config = try RegistryConfiguration.parse(
            "registries:\n  docker.io:\n    mirrors: [\"\(registry.host)\"]\n", file: "registries.yaml")
        let mirrored = makeClient(config)
        let pin = try await mirrored.pin("docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", platform: "linux/amd64")
        #expect(pin.digest == (try layout.digest("v1")))
        #expect(pin.reference == "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04")
        #expect(pin.pinnedReference == "docker.io/nvidia/cuda@\(pin.digest)")
    }

    @Test func chunkedUploadModeAgainstDistribution() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout(bytes: 3 * 1024 * 1024 + 17, compression: "tar")
        defer { layout.cleanup() }
        let config = try RegistryConfiguration.parse(
            "registries:\n  \(registry.host):\n    uploadMode: chunked\n    chunkSizeMiB: 1\n", file: "r.yaml")
        let result = try await makeClient(config).push(
            try OCILayoutSource(directory: layout.path), to: try registry.ref("c/hunked:1"))
        #expect(result.digest == (try layout.digest("v1")) && result.blobsUploaded == 2)
    }

    @Test func dockerArchiveSourcePushes() async throws {
        let registry = try TestRegistry("plain")
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        // A docker-save archive made by hand: manifest.json, config, one uncompressed layer tar.
        try tmp.write("root/hello.txt", "hi\n")
        _ = try runProcess("tar", ["-C", tmp.path + "/root", "-cf", tmp.path + "/ar/layer.tar", "."], environment: nil)
            .status
        try FileManager.default.createDirectory(atPath: tmp.path + "/ar/abc", withIntermediateDirectories: true)
        _ = try runProcess(
            "sh", ["-c", "mkdir -p \(tmp.path)/ar/abc && tar -C \(tmp.path)/root -cf \(tmp.path)/ar/abc/layer.tar ."])
        let diff = try runProcess("sh", ["-c", "sha256sum \(tmp.path)/ar/abc/layer.tar | cut -d' ' -f1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try tmp.write(
            "ar/cfg.json",
            #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:\#(diff)"]}}"#)
        try tmp.write("ar/manifest.json", #"[{"Config":"cfg.json","RepoTags":["x:1"],"Layers":["abc/layer.tar"]}]"#)
        #expect(
            try runProcess(
                "tar",
                ["-C", tmp.path + "/ar", "-cf", tmp.path + "/image.tar", "manifest.json", "cfg.json", "abc/layer.tar"]
            ).status == 0)
        let source = try DockerArchiveSource(path: tmp.path + "/image.tar")
        let client = makeClient()
        let result = try await client.push(source, to: try registry.ref("from/archive:1"))
        #expect(result.blobsUploaded == 2)
        let info = try await client.inspect(try registry.ref("from/archive:1"))
        #expect(info.layers.first?.digest.encoded == diff && info.platform == "linux/amd64")
    }
}

/// Basic auth (htpasswd), token auth (with ci/token_server.py) and TLS with a self-signed CA.
@Suite(.serialized, .requires(TestRegistry.tools), .tags(.registry)) struct AuthAndTLSTests {
    @Test func htpasswdWrongPasswordIsClearAndSecretFree() async throws {
        let registry = try TestRegistry("htpasswd")
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let secret = "wrong-Pa55word-zq"
        let events = EventLog()
        let bad = makeClient(
            credentials: [
                registry.host: RegistryCredential(.basic(username: "envctl", password: secret), source: "test")
            ],
            events: events)
        do {
            _ = try await bad.push(try OCILayoutSource(directory: layout.path), to: try registry.ref("a/b:1"))
            Issue.record("push with a wrong password succeeded")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.status == 401)
            #expect(!"\(error)".contains(secret) && !events.text.contains(secret))
        }
        await #expect(throws: RegistryError.self) {
            _ = try await makeClient().push(try OCILayoutSource(directory: layout.path), to: try registry.ref("a/b:1"))
        }
        let good = makeClient(credentials: [registry.host: registry.credential!])
        let r = try await good.push(try OCILayoutSource(directory: layout.path), to: try registry.ref("a/b:1"))
        #expect(r.blobsUploaded == 2)
        #expect(try await good.pin("\(registry.host)/a/b:1").digest == r.digest)
    }

    @Test func tokenFlowScopesAnonymousPullAndMount() async throws {
        let registry = try TestRegistry("token")
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let user = makeClient(credentials: [registry.host: registry.credential!])
        let pushed = try await user.push(try OCILayoutSource(directory: layout.path), to: try registry.ref("team/a:1"))
        // Anonymous: pull is granted, push is not.
        let anon = makeClient()
        #expect(try await anon.pin("\(registry.host)/team/a:1").digest == pushed.digest)
        await #expect(throws: RegistryError.self) {
            _ = try await anon.push(try OCILayoutSource(directory: layout.path), to: try registry.ref("team/b:1"))
        }
        // Cross-repository mount needs pull on the source as well: the token covers both scopes.
        let copied = try await user.copy(from: try registry.ref("team/a:1"), to: try registry.ref("team/c:1"))
        #expect(copied.blobsMounted == 2 && copied.digest == pushed.digest)
        let log = String(
            decoding: FileManager.default.contents(atPath: registry.env["ENVCTL_TEST_TOKEN_LOG"]!)!, as: UTF8.self)
        #expect(log.contains("repository:team/a:pull"))
        #expect(log.contains("repository:team/c:pull,push"))
        // Wrong password: the token server refuses; the error is clear and carries no secret.
        let secret = "nope-Secret-77"
        do {
            _ = try await makeClient(credentials: [
                registry.host: RegistryCredential(.basic(username: "envctl", password: secret), source: "t")
            ])
            .push(try OCILayoutSource(directory: layout.path), to: try registry.ref("team/d:1"))
            Issue.record("wrong password accepted")
        } catch {
            #expect(error.code == .unauthorized && !"\(error)".contains(secret))
        }
    }

    @Test func tlsNeedsTheCAAndSkipVerifyIsSeparate() async throws {
        let registry = try TestRegistry("tls")
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let source = try OCILayoutSource(directory: layout.path)
        do {
            _ = try await makeClient().push(source, to: try registry.ref("t/x:1"))
            Issue.record("untrusted certificate accepted")
        } catch {
            #expect(error.code == .tls)
        }
        let trusted = makeClient(RegistryConfiguration(certDirectories: [registry.env["ENVCTL_TEST_CERTS_DIR"]!]))
        #expect(try await trusted.push(source, to: try registry.ref("t/x:1")).blobsUploaded == 2)
        let insecure = makeClient(
            try RegistryConfiguration.parse(
                "registries:\n  \(registry.host):\n    skipTLSVerify: true\n", file: "r.yaml"))
        #expect(try await insecure.pin("\(registry.host)/t/x:1").digest == (try layout.digest("v1")))
    }
}

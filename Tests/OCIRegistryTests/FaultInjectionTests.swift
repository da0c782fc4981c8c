import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// Behaviour a real registry can't be made to show, against Fixtures/fault_registry.py.
@Suite(.serialized, .requires("python3")) struct FaultInjectionTests {
    func chunked(_ host: String, chunkMiB: Int = 1) throws -> RegistryConfiguration {
        try RegistryConfiguration.parse(
            "registries:\n  \(host):\n    uploadMode: chunked\n    chunkSizeMiB: \(chunkMiB)\n", file: "r.yaml")
    }

    @Test func honoursRetryAfterOn429() async throws {
        let fault = try FaultRegistry(faults: ["rate-limit:2"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let events = EventLog()
        let start = Date()
        let r = try await makeClient(events: events).push(
            try OCILayoutSource(directory: layout.path), to: try fault.ref("a/b:1"))
        #expect(r.blobsUploaded == 2)
        #expect(Date().timeIntervalSince(start) >= 1.0, "Retry-After: 1 was not honoured")
        #expect(fault.requests.filter { $0.status == .code(429) }.count == 2)
        #expect(events.retries.filter { $0.contains("429") }.count == 2)
    }

    @Test func survives5xxBurstsAndGivesUpWithTheRegistryCode() async throws {
        let fault = try FaultRegistry(faults: ["5xx:3"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let r = try await makeClient().push(try OCILayoutSource(directory: layout.path), to: try fault.ref("a/b:1"))
        #expect(r.digest == (try layout.digest("v1")))
        #expect(fault.requests.filter { $0.status == .code(503) }.count == 3)
        // A burst longer than the retry budget fails with the registry's own code.
        let worse = try FaultRegistry(faults: ["5xx:50"])
        do {
            _ = try await makeClient(attempts: 3).push(
                try OCILayoutSource(directory: layout.path), to: try worse.ref("a/b:1"))
            Issue.record("push succeeded through a permanent 503")
        } catch {
            #expect(error.code == .serverError || error.code == .transport)
            #expect(try await makeClient().exists(try worse.ref("a/b:1")) == false)
        }
    }

    @Test func droppedMonolithicPutFallsBackToChunked() async throws {
        let fault = try FaultRegistry(faults: ["drop-put:1"])
        let layout = try TestLayout(bytes: 2 * 1024 * 1024, compression: "tar")
        defer { layout.cleanup() }
        let events = EventLog()
        let r = try await makeClient(events: events).push(
            try OCILayoutSource(directory: layout.path), to: try fault.ref("a/b:1"))
        #expect(r.blobsUploaded == 2)
        let reqs = fault.requests
        #expect(reqs.contains { $0.status == .text("dropped") && $0.method == "PUT" })
        #expect(reqs.contains { $0.method == "PATCH" }, "no chunked fallback after the dropped PUT")
        #expect(try await makeClient().pin("\(fault.host)/a/b:1").digest == r.digest)
    }

    @Test func droppedChunkResumesFromTheRegistryRange() async throws {
        let fault = try FaultRegistry(faults: ["drop-patch:2"])
        let layout = try TestLayout(bytes: 3 * 1024 * 1024 + 5, compression: "tar")
        defer { layout.cleanup() }
        let r = try await makeClient(try chunked(fault.host)).push(
            try OCILayoutSource(directory: layout.path), to: try fault.ref("a/b:1"))
        #expect(r.blobsUploaded == 2)
        let reqs = fault.requests
        let dropped = try #require(reqs.firstIndex { $0.status == .text("dropped") })
        // After the drop: an upload-status GET (204), then the same chunk again from the reported offset.
        let session = reqs[dropped].path.split(separator: "?")[0]
        let after = reqs[(dropped + 1)...].filter { $0.path.split(separator: "?")[0] == session }
        #expect(after.first?.method == "GET" && after.first?.status == .code(204))
        #expect(after.first { $0.method == "PATCH" }?.range == reqs[dropped].range)
        #expect(try await makeClient().pin("\(fault.host)/a/b:1").digest == r.digest)
    }

    @Test func acceptsECRStyle201OnPatchAndRelativeLocations() async throws {
        let fault = try FaultRegistry(faults: ["patch-201", "relative-location"])
        let layout = try TestLayout(bytes: 2 * 1024 * 1024 + 1, compression: "tar")
        defer { layout.cleanup() }
        let r = try await makeClient(try chunked(fault.host)).push(
            try OCILayoutSource(directory: layout.path), to: try fault.ref("e/cr:1"))
        #expect(r.blobsUploaded == 2)
        #expect(fault.requests.filter { $0.method == "PATCH" && $0.status == .code(201) }.count >= 3)
        // Relative Location on the monolithic path too.
        let mono = try FaultRegistry(faults: ["relative-location"])
        #expect(
            try await makeClient().push(try OCILayoutSource(directory: layout.path), to: try mono.ref("e/cr:1"))
                .blobsUploaded == 2)
    }

    @Test func redirectToAnotherHostCarriesNoAuthorization() async throws {
        let fault = try FaultRegistry(faults: ["redirect-blobs"], user: "u", password: TestSecrets.redirectPassword)
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let cred = RegistryCredential(.basic(username: "u", password: TestSecrets.redirectPassword), source: "test")
        let client = makeClient(credentials: [fault.host: cred])
        let pushed = try await client.push(try OCILayoutSource(directory: layout.path), to: try fault.ref("r/d:1"))
        let info = try await client.inspect(try fault.ref("r/d:1"))  // config blob GET → 307
        #expect(info.digest == pushed.digest)
        let layer = info.layers[0]
        let out = layout.path + "/pulled"
        try await client.fetchBlob(
            try fault.ref("r/d:1"), Descriptor(mediaType: layer.mediaType, digest: layer.digest, size: layer.size),
            to: out)
        #expect(
            FileManager.default.contentsEqual(
                atPath: out, andPath: "\(layout.path)/blobs/sha256/\(layer.digest.encoded)"))
        let reqs = fault.requests
        let storage = reqs.filter { $0.server == "storage" }
        #expect(storage.count >= 2)
        #expect(storage.allSatisfy { !$0.auth }, "Authorization was forwarded to the redirect target")
        #expect(reqs.contains { $0.server == "registry" && $0.status == .code(307) && $0.auth })
    }

    @Test func missingDockerContentDigestIsComputedFromBytes() async throws {
        let fault = try FaultRegistry(faults: ["no-digest"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let client = makeClient()
        let r = try await client.push(try OCILayoutSource(directory: layout.path), to: try fault.ref("n/d:1"))
        #expect(r.digest == (try layout.digest("v1")))
        #expect(try await client.pin("\(fault.host)/n/d:1").digest == r.digest)
        #expect(try await client.headManifest(try fault.ref("n/d:1"))?.digest == r.digest)
    }

    @Test(.requires(TestRegistry.tools), .tags(.registry)) func wrongBytesAreRejectedAndNothingCorruptIsTagged()
        async throws
    {
        let fault = try FaultRegistry(faults: ["wrong-bytes"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let client = makeClient()
        let pushed = try await client.push(try OCILayoutSource(directory: layout.path), to: try fault.ref("w/b:1"))
        // The manifest comes back altered: by tag and by digest, envctl refuses it.
        for ref in [try fault.ref("w/b:1"), try fault.ref("w/b:1").withDigest(pushed.digest)] {
            do {
                _ = try await client.fetchManifest(ref)
                Issue.record("accepted a manifest that does not match its digest")
            } catch {
                #expect(error.code == .digestMismatch)
            }
        }
        // Blobs come back with a flipped byte: a download fails and leaves no file behind.
        let layer = try OCILayoutSource(directory: layout.path).rootManifest().manifest.blobs[1]
        let out = layout.path + "/pulled"
        await #expect(throws: RegistryError.self) { try await client.fetchBlob(try fault.ref("w/b:1"), layer, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out))
        // Copying from the corrupt registry to a real one fails and writes no tag there.
        let registry = try TestRegistry("plain")
        do {
            _ = try await client.copy(from: try fault.ref("w/b:1"), to: try registry.ref("w/b:1"))
            Issue.record("copied corrupt content")
        } catch {
            #expect(error.code == .digestMismatch)
        }
        #expect(try await client.exists(try registry.ref("w/b:1")) == false)
    }

    @Test func oversizedBlobIsCutOffAtItsDescriptorSizeAndLeavesNoSpoolFile() async throws {
        let fault = try FaultRegistry(faults: ["oversize-blobs"])
        let destination = try FaultRegistry()
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let spool = try TemporaryDirectory(prefix: "envctl-spool")
        defer { spool.cleanup() }
        let client = makeClient(temporaryDirectory: spool.path)
        _ = try await client.push(try OCILayoutSource(directory: layout.path), to: try fault.ref("o/s:1"))
        let layer = try OCILayoutSource(directory: layout.path).rootManifest().manifest.blobs[1]
        // Pulling one blob: the error names the digest and the declared size, and the file is gone.
        let out = layout.path + "/pulled"
        do {
            try await client.fetchBlob(try fault.ref("o/s:1"), layer, to: out)
            Issue.record("accepted a blob longer than its descriptor")
        } catch {
            #expect(error.code == .oversizedResponse)
            #expect(error.message.contains(layer.digest.description))
            #expect(error.message.contains("\(layer.size) bytes"))
            #expect(!error.isUserInputError)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        // Copying: the spooled envctl-blob-* files are deleted and nothing is tagged at the destination.
        do {
            _ = try await client.copy(from: try fault.ref("o/s:1"), to: try destination.ref("o/s:1"))
            Issue.record("copied an oversized blob")
        } catch {
            #expect(error.code == .oversizedResponse)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty)
        #expect(try await makeClient().exists(try destination.ref("o/s:1")) == false)
        // The reads stopped early: the server never got to write its 256 MiB.
        let oversized = fault.requests.filter { $0.status == .text("oversized") }
        #expect(!oversized.isEmpty)
        #expect(oversized.allSatisfy { ($0.sent ?? .max) < 128 << 20 })
    }

    @Test func tokenWithCRLFIsRefusedAndNeverSent() async throws {
        let fault = try FaultRegistry(faults: ["evil-token"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        do {
            _ = try await makeClient().push(try OCILayoutSource(directory: layout.path), to: try fault.ref("t/k:1"))
            Issue.record("pushed with a token holding CR/LF")
        } catch {
            #expect(error.code == .unsafeHeader)
            #expect(!error.description.contains("X-Evil"), "the token leaked into the message")
        }
        let reqs = fault.requests
        #expect(reqs.contains { $0.path.hasPrefix("/token") }, "the token endpoint was never asked")
        #expect(reqs.allSatisfy { $0.evil != true }, "an injected header reached the registry")
        #expect(reqs.allSatisfy { !$0.auth }, "an Authorization header was sent with the bad token")
    }

    @Test func slowResponsesAreBoundedPerAttemptAndInTotal() async throws {
        let fault = try FaultRegistry(faults: ["slow-manifests"])
        let layout = try TestLayout()
        defer { layout.cleanup() }
        _ = try await makeClient().push(try OCILayoutSource(directory: layout.path), to: try fault.ref("s/l:1"))
        // Each attempt may take 2 s; the budget (5 s) stops the retries long before 6 attempts.
        let events = EventLog()
        let client = makeClient(events: events, attempts: 6, requestTimeout: 2, retryBudget: 5)
        let start = Date()
        do {
            _ = try await client.fetchManifest(try fault.ref("s/l:1"))
            Issue.record("a manifest dripping one byte a second arrived within the limits")
        } catch {
            #expect(error.code == .transport)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 10, "took \(elapsed) s")
        let attempts = events.events.filter { if case .retrying = $0 { true } else { false } }.count + 1
        #expect(attempts >= 2 && attempts <= 3, "\(attempts) attempts")
    }
}

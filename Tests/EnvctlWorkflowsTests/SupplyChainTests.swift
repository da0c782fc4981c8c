import CurlTransport
import EnvctlModel
import EnvctlSupplyChain
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@testable import EnvctlWorkflows

/// SBOM and provenance as OCI referrers on a real registry (Debian's docker-registry 2.8, which has no
/// referrers API: everything goes through the `sha256-<hex>` tag schema), and `envctl verify` against them.
@Suite("Supply chain (real registry)", .requires(TestRegistry.tools), .tags(.registry))
struct SupplyChainTests {
    func client() -> RegistryClient {
        RegistryClient.curl(
            options: .init(configuration: RegistryConfiguration(), credentials: CredentialStore()),
            userAgent: "envctl-test")
    }

    static let dpkgStatus = """
        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Version: 2.36-9+deb12u9

        Package: zlib1g
        Status: install ok installed
        Architecture: amd64
        Version: 1:1.2.13.dfsg-1

        """

    /// An OCI layout of one image labelled as envctl's templates label it, whose layer holds a dpkg status.
    static func makeImage(in dir: String, env: LockedEnvironment, lockHashLabel: String? = nil, payload: String)
        throws -> String
    {
        let fm = FileManager.default
        let root = dir + "/root"
        try fm.createDirectory(atPath: root + "/var/lib/dpkg", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/oci/blobs/sha256", withIntermediateDirectories: true)
        try dpkgStatus.write(toFile: root + "/var/lib/dpkg/status", atomically: true, encoding: .utf8)
        try payload.write(toFile: root + "/payload.txt", atomically: true, encoding: .utf8)
        let tar = try runProcess(
            "tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-C", root, "-cf", dir + "/layer.tar", "."])
        try #require(tar.status == 0, "\(tar.stderr)")
        func put(_ data: Data) throws -> (String, Int) {
            let hex = String(ContentDigest.sha256(of: data).encoded)
            try data.write(to: URL(fileURLWithPath: dir + "/oci/blobs/sha256/" + hex))
            return ("sha256:" + hex, data.count)
        }
        let layer = try put(try Data(contentsOf: URL(fileURLWithPath: dir + "/layer.tar")))
        var labels = [
            "dev.envctl.environment": env.name, "dev.envctl.lock-hash": lockHashLabel ?? env.hash,
        ]
        if let base = env.images.base.digest { labels["org.opencontainers.image.base.digest"] = base }
        let config: [String: Any] = [
            "architecture": "amd64", "os": "linux", "config": ["Labels": labels],
            "rootfs": ["type": "layers", "diff_ids": [layer.0]],
        ]
        let configBlob = try put(try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        let manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaType.ociManifest,
            "config": ["mediaType": MediaType.ociConfig, "digest": configBlob.0, "size": configBlob.1],
            "layers": [["mediaType": MediaType.ociLayerTar, "digest": layer.0, "size": layer.1]],
        ]
        let manifestBlob = try put(try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]))
        let index: [String: Any] = [
            "schemaVersion": 2,
            "manifests": [
                [
                    "mediaType": MediaType.ociManifest, "digest": manifestBlob.0, "size": manifestBlob.1,
                    "annotations": ["org.opencontainers.image.ref.name": env.contentTag],
                ]
            ],
        ]
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: dir + "/oci/index.json"))
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: dir + "/oci/oci-layout", atomically: true, encoding: .utf8)
        return dir + "/oci"
    }

    static let inputs = BuildInputs(revision: "abc123", source: "https://example.com/p", sourceDateEpoch: 1_700_000_000)

    /// Pushes an image for `env` to `repository:<content tag>`; with `attest`, attaches its SBOM and provenance.
    func publish(
        _ env: LockedEnvironment, to repository: String, lockHashLabel: String? = nil, attest: Bool, payload: String
    ) async throws -> (ImageReference, SupplyChainRecord.Attached?) {
        let ws = try TemporaryDirectory(prefix: "envctl-sc")
        defer { ws.cleanup() }
        let layout = try Self.makeImage(in: ws.path, env: env, lockHashLabel: lockHashLabel, payload: payload)
        // force: the tests swap the content tag behind push's back (client.tag), then publish the right image
        // of the same lock hash again, which moves the tag back (push's content-tag rule, PushImageTests).
        let target = try ImageReference(parsing: "\(repository):\(env.contentTag)")
        let source = try OCILayoutSource(directory: layout, tag: env.contentTag)
        let attestation =
            attest
            ? PushImage.Attestation(
                toolVersion: "0.1.0", inputs: Self.inputs, dockerfile: "FROM scratch\n", ociLayout: layout,
                refName: env.contentTag) : nil
        let outcome = try await PushImage.run(
            source, to: PushImage.Target(destination: target, additionalTags: []), environment: env, mountFrom: [],
            recordIn: nil, force: true, attest: attestation, client: client())
        return (target, outcome.attested)
    }

    @Test func attachedDocumentsAreFoundThroughTheTagSchema() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = LockFactory.environment(pushed: nil)
        let (target, attached) = try await publish(env, to: "\(registry.host)/team/train", attest: true, payload: "a")
        let record = try #require(attached)
        let digest = try ContentDigest(try registry.digest("team/train:\(env.contentTag)"))
        // docker-registry 2.8 has no referrers API: the index lives under the tag schema's tag.
        let tags = try await client().listTags(target)
        #expect(tags.contains(RegistryClient.referrersTag(for: digest)))
        let all = try await client().referrers(of: target.withDigest(digest), artifactType: nil)
        #expect(Set(all.map(\.digest)) == [record.sbom.digest, record.provenance.digest])
        #expect(Set(all.compactMap(\.artifactType)) == [SBOMFormat.cyclonedx.mediaType, ProvenanceStatement.mediaType])
        // The artifact manifest: subject = the image, empty config, one layer holding the document.
        let manifest = try await client().fetchManifest(target.withDigest(record.sbom.digest))
        guard case .image(let m) = manifest.manifest else { Issue.record("not an image manifest"); return }
        #expect(m.subject?.digest == digest)
        #expect(m.artifactType == SBOMFormat.cyclonedx.mediaType)
        #expect(m.config.mediaType == MediaType.ociEmpty && m.config.size == 2)
        let sbom = try await client().fetchBlobData(try #require(m.layers.first), from: target)
        let text = String(decoding: sbom, as: UTF8.self)
        // The Debian packages come from the image's own dpkg status.
        #expect(text.contains("pkg:deb/ubuntu/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64"))
        #expect(text.contains("pkg:pypi/numpy@1.26.4"))
        let provenance = try await VerifyImage.document(record.provenance, of: target, registry: client())
        let facts = try #require(provenance.flatMap(AttachedDocuments.provenance))
        #expect(facts.subjectDigests == [digest.description])
        #expect(facts.lockHash == env.hash && facts.revision == "abc123" && facts.sourceDateEpoch == 1_700_000_000)
        #expect(facts.dockerfileDigest == ContentDigest.sha256(of: Data("FROM scratch\n".utf8)).description)
        // Attaching again keeps one entry per document (read-modify-write, deduplicated).
        _ = try await publish(env, to: "\(registry.host)/team/train", attest: true, payload: "a")
        #expect(try await client().referrers(of: target.withDigest(digest), artifactType: nil).count == 2)
        // And verify passes.
        let report = try await VerifyImage.run(
            target, lock: LockFactory.lockfile([env]), lockName: "envctl.lock", environment: nil, registry: client())
        #expect(report.digest == digest.description && report.pythonPackages == 2)
    }

    func expectMismatch(
        _ image: ImageReference, lock: Lockfile, containing text: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await VerifyImage.run(
                image, lock: lock, lockName: "envctl.lock", environment: nil, registry: client())
            Issue.record("verify passed; expected a mismatch containing '\(text)'", sourceLocation: sourceLocation)
        } catch let e as VerifyImage.Mismatch {
            #expect(e.message.contains(text), "\(e.message)", sourceLocation: sourceLocation)
            #expect(e.failureKind.exitStatus == 1, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func verifyCatchesASwappedImageAndAMissingSBOM() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let env = LockFactory.environment(pushed: nil)
        let repo = "\(registry.host)/team/train"
        let (target, _) = try await publish(env, to: repo, attest: true, payload: "good")
        let lock = LockFactory.lockfile([env])
        _ = try await VerifyImage.run(target, lock: lock, lockName: "envctl.lock", environment: nil, registry: client())

        // The tag now holds another environment's image: its lock hash is not in the lock.
        let other = LockFactory.environment(pushed: nil, hash: "sha256:" + String(repeating: "2", count: 64))
        let otherTarget = try await publish(other, to: repo, attest: true, payload: "other").0
        _ = try await client().tag(otherTarget, as: target)
        await expectMismatch(target, lock: lock, containing: "which no environment in envctl.lock has")

        // An image that claims this lock hash but was not pushed by envctl: no SBOM attached.
        var forged = env
        forged.hash = "sha256:" + String(repeating: "3", count: 64)
        let forgedTarget = try await publish(
            forged, to: repo, lockHashLabel: env.hash, attest: false, payload: "forged"
        ).0
        _ = try await client().tag(forgedTarget, as: target)
        await expectMismatch(target, lock: lock, containing: "no SBOM")

        // A lock edited by hand (another numpy) under the same hash: the SBOM disagrees.
        let (good, _) = try await publish(env, to: repo, attest: true, payload: "good")
        var edited = env
        edited.pythonPackages.packages[0].version = "2.0.0"
        await expectMismatch(good, lock: LockFactory.lockfile([edited]), containing: "numpy==1.26.4")
        var rebased = env
        rebased.images.base.digest = "sha256:" + String(repeating: "9", count: 64)
        await expectMismatch(good, lock: LockFactory.lockfile([rebased]), containing: "base")
    }

    @Test func verifyCatchesALockFromAnotherCommit() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let git = try GitFixture()
        defer { git.cleanup() }
        let v1 = LockFactory.environment(pushed: nil, hash: "sha256:" + String(repeating: "4", count: 64))
        let v2 = LockFactory.environment(
            pushed: nil, packages: [("numpy", "2.1.0"), ("torch", "2.5.1")],
            hash: "sha256:" + String(repeating: "5", count: 64))
        func yaml(_ env: LockedEnvironment) throws -> String {
            let path = git.path + "/scratch.lock"
            try LockFactory.lockfile([env]).write(to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let first = try git.commit("v1", files: ["envctl.lock": try yaml(v1)])
        let second = try git.commit("v2", files: ["envctl.lock": try yaml(v2)])
        let (target, _) = try await publish(v2, to: "\(registry.host)/team/train", attest: true, payload: "v2")

        let (atSecond, name) = try VerifyImage.lock(atCommit: second, lockPath: "envctl.lock", directory: git.path)
        let report = try await VerifyImage.run(
            target, lock: atSecond, lockName: name, environment: nil, registry: client())
        #expect(report.lockHash == v2.hash)
        let (atFirst, firstName) = try VerifyImage.lock(atCommit: first, lockPath: "envctl.lock", directory: git.path)
        #expect(firstName == "envctl.lock at \(first)")
        await expectMismatch(target, lock: atFirst, containing: "which no environment in")
    }
}

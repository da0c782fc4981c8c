package import EnvctlModel
import EnvctlSupplyChain
import Foundation
import GitSupport
package import OCIRegistry

/// `envctl verify`: an image carries the lock hash it claims, has its SBOM and provenance attached, and
/// matches the lock (base image digest, every Python package). Stops at the first mismatch.
package enum VerifyImage {
    /// What a passing verification checked.
    package struct Report: Sendable, Hashable, Codable {
        package var image: String
        package var digest: String
        package var environment: String
        package var lockHash: String
        package var lock: String
        package var sbom: String
        package var provenance: String
        package var baseDigest: String?
        package var pythonPackages: Int
        package var revision: String?
    }

    /// The first way the image does not match (exit 1).
    package struct Mismatch: EnvctlFailure, CustomStringConvertible, Sendable, Hashable {
        package var image: String
        package var message: String
        package var failureKind: FailureKind { .failure }
        package var description: String { "verify \(image): \(message)" }
    }

    /// The lock as committed at `revision` in the repository around `directory`; `lockPath` is relative to
    /// the current directory (the usual `envctl.lock`).
    /// - Throws: `DiagnosticsError` (no repository, no such revision, no lock there, a malformed lock).
    package static func lock(atCommit revision: String, lockPath: String, directory: String) throws(DiagnosticsError)
        -> (Lockfile, name: String)
    {
        let name = "\(lockPath) at \(revision)"
        do {
            let repo = try Repository.discover(from: directory)
            guard let root = repo.workingDirectory else {
                throw DiagnosticsError([.error("\(directory) is in a bare git repository; give --lock FILE")])
            }
            let absolute = URL(fileURLWithPath: lockPath, relativeTo: URL(fileURLWithPath: directory)).standardized
                .resolvingSymlinksInPath().path
            let rootPath = URL(fileURLWithPath: root).standardized.resolvingSymlinksInPath().path
            guard absolute.hasPrefix(rootPath + "/") else {
                throw DiagnosticsError([.error("\(lockPath) is outside the git repository at \(rootPath)")])
            }
            let relative = String(absolute.dropFirst(rootPath.count + 1))
            guard let data = try repo.readFile(relative, at: revision) else {
                throw DiagnosticsError([.error("commit \(revision) has no \(relative)")])
            }
            return (try Lockfile.parse(String(decoding: data, as: UTF8.self), file: name), name)
        } catch let e as DiagnosticsError {
            throw e
        } catch {
            throw DiagnosticsError([.error("cannot read \(lockPath) at \(revision): \(error)")])
        }
    }

    /// Verifies `image` (a tag or digest) against `lock` (named `lockName` in messages).
    /// - Throws: `Mismatch` (the first difference), `RegistryError`.
    package static func run(
        _ image: ImageReference, lock: Lockfile, lockName: String, environment: String?, registry: any ImageRegistry
    ) async throws -> Report {
        func fail(_ message: String) -> Mismatch { Mismatch(image: image.description, message: message) }
        guard let found = try await registry.labels(image) else { throw fail("the registry has no such image") }
        let pinned = image.withDigest(found.digest)
        guard let claimed = found.labels["dev.envctl.lock-hash"] else {
            throw fail("the image carries no dev.envctl.lock-hash label; it was not built by envctl")
        }
        let env: LockedEnvironment
        if let environment {
            guard let named = lock.environment(named: environment) else {
                throw fail("\(lockName) has no environment '\(environment)'")
            }
            guard named.hash == claimed else {
                throw fail(
                    "the image carries lock hash \(claimed), but environment '\(environment)' in \(lockName) has \(named.hash)"
                )
            }
            env = named
        } else {
            guard let match = lock.environments.first(where: { $0.hash == claimed }) else {
                let known = lock.environments.map { "\($0.name) \($0.hash)" }.joined(separator: ", ")
                throw fail("the image carries lock hash \(claimed), which no environment in \(lockName) has (\(known))")
            }
            env = match
        }
        if let labelled = found.labels["dev.envctl.environment"], labelled != env.name {
            throw fail("the image is labelled environment '\(labelled)', not '\(env.name)'")
        }

        // SBOM: attached, about this lock hash, and listing exactly the locked base image and Python packages.
        let sbomDescriptor = latest(
            try await registry.referrers(of: pinned, artifactType: SBOMFormat.cyclonedx.mediaType))
        guard let sbomDescriptor else { throw fail("no SBOM (\(SBOMFormat.cyclonedx.mediaType)) is attached") }
        guard
            let sbom = try await document(sbomDescriptor, of: pinned, registry: registry).flatMap(
                AttachedDocuments.sbom)
        else { throw fail("the attached SBOM \(sbomDescriptor.digest) is not a CycloneDX document") }
        guard sbom.lockHash == claimed else {
            throw fail("the SBOM describes lock hash \(sbom.lockHash ?? "none"), but the image carries \(claimed)")
        }
        if let locked = env.images.base.digest, sbom.baseDigest != locked {
            throw fail("the SBOM's base image is \(sbom.baseDigest ?? "unpinned"), but \(lockName) pins \(locked)")
        }
        if let locked = env.images.base.digest, let labelled = found.labels["org.opencontainers.image.base.digest"],
            labelled != locked
        {
            throw fail("the image's base is \(labelled), but \(lockName) pins \(locked)")
        }
        var expected: [String: String] = [:]
        for p in env.pythonPackages.packages { expected[PythonPackageName.normalized(p.name)] = p.version }
        for name in expected.keys.sorted() {
            guard let version = sbom.pythonPackages[name] else {
                throw fail("\(lockName) locks \(name)==\(expected[name]!), which the SBOM does not list")
            }
            guard version == expected[name] else {
                throw fail("the SBOM lists \(name)==\(version), but \(lockName) locks \(expected[name]!)")
            }
        }
        for name in sbom.pythonPackages.keys.sorted() where expected[name] == nil {
            throw fail("the SBOM lists \(name)==\(sbom.pythonPackages[name]!), which \(lockName) does not lock")
        }

        // Provenance: attached, about this image and this lock hash.
        let provenanceDescriptor = latest(
            try await registry.referrers(of: pinned, artifactType: ProvenanceStatement.mediaType))
        guard let provenanceDescriptor else {
            throw fail("no provenance statement (\(ProvenanceStatement.mediaType)) is attached")
        }
        guard
            let provenance = try await document(provenanceDescriptor, of: pinned, registry: registry).flatMap(
                AttachedDocuments.provenance)
        else { throw fail("the attached provenance \(provenanceDescriptor.digest) is not an in-toto SLSA statement") }
        guard provenance.subjectDigests.contains(found.digest.description) else {
            throw fail(
                "the provenance is about \(provenance.subjectDigests.joined(separator: ", ")), not \(found.digest)")
        }
        guard provenance.lockHash == claimed else {
            throw fail(
                "the provenance names lock hash \(provenance.lockHash ?? "none"), but the image carries \(claimed)")
        }
        return Report(
            image: image.description, digest: found.digest.description, environment: env.name, lockHash: claimed,
            lock: lockName, sbom: sbomDescriptor.digest.description,
            provenance: provenanceDescriptor.digest.description, baseDigest: sbom.baseDigest,
            pythonPackages: sbom.pythonPackages.count, revision: provenance.revision)
    }

    /// The last referrer listed (the most recently attached under the tag schema).
    static func latest(_ descriptors: [Descriptor]) -> Descriptor? { descriptors.last }

    /// The document an artifact manifest carries in its single layer.
    static func document(_ artifact: Descriptor, of image: ImageReference, registry: any ImageRegistry)
        async throws -> Data?
    {
        let blob = try await registry.manifest(image.withDigest(artifact.digest))
        guard case .image(let manifest) = blob.manifest, let layer = manifest.layers.first
        else { return nil }
        return try await registry.blobData(layer, from: image)
    }
}

package import EnvctlModel
package import Foundation

/// An in-toto v1 statement with a SLSA provenance v1 predicate for one pushed image.
///
/// It names what the image was built from: the environment's lock hash, the git revision and source, the
/// digest of the rendered Dockerfile, the base and builder images by digest, the builder, and
/// `SOURCE_DATE_EPOCH`. envctl does not sign it; sign the image and its referrers by digest (docs/supply-chain.md).
package struct ProvenanceStatement: Sendable, Hashable {
    package static let statementType = "https://in-toto.io/Statement/v1"
    package static let predicateType = "https://slsa.dev/provenance/v1"
    /// The referrer's `artifactType` (and the layer's media type).
    package static let mediaType = "application/vnd.in-toto+json"
    package static let buildType = "urn:envctl:buildtype:image:v1"

    /// The image repository (without tag) and its manifest digest (`sha256:...`).
    package var subjectName: String
    package var subjectDigest: String
    package var environment: LockedEnvironment
    package var inputs: BuildInputs
    /// `sha256:` of the Dockerfile envctl rendered for the image.
    package var dockerfileDigest: String?
    /// `buildah`, `podman`, `docker`, or `push` for an image pushed from a layout envctl did not build.
    package var builder: String
    package var toolVersion: String

    package init(
        subjectName: String, subjectDigest: String, environment: LockedEnvironment, inputs: BuildInputs,
        dockerfileDigest: String?, builder: String, toolVersion: String
    ) {
        self.subjectName = subjectName
        self.subjectDigest = subjectDigest
        self.environment = environment
        self.inputs = inputs
        self.dockerfileDigest = dockerfileDigest
        self.builder = builder
        self.toolVersion = toolVersion
    }

    static func hex(_ digest: String) -> String {
        digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
    }

    /// The statement as JSON (sorted keys, so the same inputs give the same bytes).
    package func render() -> Data {
        let env = environment
        var external: [String: Any] = [
            "environment": env.name, "lockHash": env.hash, "contentTag": env.contentTag,
            "sourceDateEpoch": inputs.sourceDateEpoch,
        ]
        if let r = inputs.revision { external["revision"] = r }
        if let s = inputs.source { external["source"] = s }
        if let d = dockerfileDigest { external["dockerfileDigest"] = d }
        var dependencies: [[String: Any]] = []
        for image in [env.images.base, env.images.builder] {
            var dep: [String: Any] = ["uri": "oci://\(image.reference)"]
            if let d = image.digest { dep["digest"] = ["sha256": Self.hex(d)] }
            dependencies.append(dep)
        }
        if let revision = inputs.revision {
            var dep: [String: Any] = ["digest": ["gitCommit": revision]]
            if let s = inputs.source { dep["uri"] = "git+\(s)@\(revision)" }
            dependencies.append(dep)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let statement: [String: Any] = [
            "_type": Self.statementType,
            "subject": [["name": subjectName, "digest": ["sha256": Self.hex(subjectDigest)]]],
            "predicateType": Self.predicateType,
            "predicate": [
                "buildDefinition": [
                    "buildType": Self.buildType,
                    "externalParameters": external,
                    "internalParameters": ["builder": builder, "envctlVersion": toolVersion],
                    "resolvedDependencies": dependencies,
                ] as [String: Any],
                "runDetails": [
                    "builder": ["id": "urn:envctl:builder:\(builder)", "version": ["envctl": toolVersion]],
                    "metadata": [
                        "startedOn": formatter.string(
                            from: Date(timeIntervalSince1970: TimeInterval(inputs.sourceDateEpoch)))
                    ],
                ] as [String: Any],
            ] as [String: Any],
        ]
        return SBOMDocument.serialize(statement)
    }
}

/// What `envctl verify` reads back from the documents attached to an image.
package enum AttachedDocuments {
    /// The facts a CycloneDX SBOM written by envctl records.
    package struct SBOMFacts: Sendable, Hashable {
        package var lockHash: String?
        package var environment: String?
        /// The base image's pinned digest (`sha256:...`), from its `pkg:oci` component.
        package var baseDigest: String?
        /// Python packages by normalised name → version.
        package var pythonPackages: [String: String]
    }

    /// The facts a provenance statement records.
    package struct ProvenanceFacts: Sendable, Hashable {
        package var subjectDigests: [String]
        package var lockHash: String?
        package var revision: String?
        package var dockerfileDigest: String?
        package var builder: String?
        package var sourceDateEpoch: Int?
    }

    /// Reads a CycloneDX SBOM; nil when the bytes are not one.
    package static func sbom(_ data: Data) -> SBOMFacts? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["bomFormat"] as? String == "CycloneDX"
        else { return nil }
        func properties(_ c: [String: Any]) -> [String: String] {
            var out: [String: String] = [:]
            for p in c["properties"] as? [[String: Any]] ?? [] {
                if let n = p["name"] as? String, let v = p["value"] as? String { out[n] = v }
            }
            return out
        }
        let root = (object["metadata"] as? [String: Any])?["component"] as? [String: Any] ?? [:]
        let rootProps = properties(root)
        var facts = SBOMFacts(
            lockHash: rootProps["envctl:lock-hash"], environment: rootProps["envctl:environment"], baseDigest: nil,
            pythonPackages: [:])
        for c in object["components"] as? [[String: Any]] ?? [] {
            let purl = c["purl"] as? String ?? ""
            if c["bom-ref"] as? String == "image:base", let hashes = c["hashes"] as? [[String: Any]],
                let hex = hashes.first?["content"] as? String
            {
                facts.baseDigest = "sha256:\(hex)"
            }
            if purl.hasPrefix("pkg:pypi/"), let name = c["name"] as? String, let version = c["version"] as? String {
                facts.pythonPackages[PythonPackageName.normalized(name)] = version
            }
        }
        return facts
    }

    /// Reads an in-toto statement with a SLSA provenance predicate; nil when the bytes are not one.
    package static func provenance(_ data: Data) -> ProvenanceFacts? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["_type"] as? String == ProvenanceStatement.statementType,
            object["predicateType"] as? String == ProvenanceStatement.predicateType
        else { return nil }
        let subjects = (object["subject"] as? [[String: Any]] ?? []).compactMap {
            ($0["digest"] as? [String: Any])?["sha256"] as? String
        }.map { "sha256:\($0)" }
        let predicate = object["predicate"] as? [String: Any] ?? [:]
        let definition = predicate["buildDefinition"] as? [String: Any] ?? [:]
        let external = definition["externalParameters"] as? [String: Any] ?? [:]
        let internal_ = definition["internalParameters"] as? [String: Any] ?? [:]
        return ProvenanceFacts(
            subjectDigests: subjects, lockHash: external["lockHash"] as? String,
            revision: external["revision"] as? String, dockerfileDigest: external["dockerfileDigest"] as? String,
            builder: internal_["builder"] as? String, sourceDateEpoch: external["sourceDateEpoch"] as? Int)
    }
}

package import EnvctlImageBuild
package import EnvctlModel
package import EnvctlSupplyChain
import Foundation
package import OCIRegistry

/// The supply-chain record of a pushed image: its SBOM and provenance, attached as OCI referrers.
/// `build --push` and `push --env` attach them after the push; `envctl verify` reads them back.
package enum SupplyChainRecord {
    /// The referrers attached to one image.
    package struct Attached: Sendable, Hashable {
        package var image: String
        package var sbom: Descriptor
        package var provenance: Descriptor

        package init(image: String, sbom: Descriptor, provenance: Descriptor) {
            self.image = image
            self.sbom = sbom
            self.provenance = provenance
        }
    }

    /// The SBOM subject of `env`: with `ociLayout`, the Debian packages the built image holds are read from
    /// its layers' dpkg status database.
    package static func subject(
        _ env: LockedEnvironment, inputs: BuildInputs, ociLayout: String?, refName: String?, toolVersion: String
    ) -> SBOMSubject {
        let status = ociLayout.flatMap { layout in
            LayoutFiles.dpkgStatus(layout: layout, refName: refName ?? env.contentTag)
        }
        return SBOMSubject(
            environment: env, inputs: inputs, debianPackages: status.map(DebianPackage.parseStatus),
            toolVersion: toolVersion)
    }

    /// Attaches the CycloneDX SBOM of `subject` and a SLSA provenance statement to `image` (repository@digest).
    package static func attach(
        _ subject: SBOMSubject, to image: ImageReference, dockerfileDigest: String?, builder: String,
        registry: any ImageRegistry
    ) async throws(RegistryError) -> Attached {
        guard let digest = image.digest else {
            throw RegistryError(.invalidReference, "attestations are attached by digest, not to \(image)")
        }
        let created = ["org.opencontainers.image.created": subject.timestampText]
        let sbom = try await registry.attach(
            ReferrerArtifact(
                artifactType: SBOMFormat.cyclonedx.mediaType,
                content: SBOMDocument.render(subject, format: .cyclonedx), annotations: created),
            to: image)
        let statement = ProvenanceStatement(
            subjectName: image.name, subjectDigest: digest.description, environment: subject.environment,
            inputs: subject.inputs, dockerfileDigest: dockerfileDigest, builder: builder,
            toolVersion: subject.toolVersion)
        let provenance = try await registry.attach(
            ReferrerArtifact(
                artifactType: ProvenanceStatement.mediaType, content: statement.render(), annotations: created),
            to: image)
        return Attached(image: image.description, sbom: sbom, provenance: provenance)
    }

    /// `sha256:` of a rendered Dockerfile.
    package static func dockerfileDigest(_ dockerfile: String) -> String {
        ContentDigest.sha256(of: Data(dockerfile.utf8)).description
    }
}

extension SBOMSubject {
    /// `SOURCE_DATE_EPOCH` as RFC 3339, for the referrers' `org.opencontainers.image.created`.
    var timestampText: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(inputs.sourceDateEpoch)))
    }
}

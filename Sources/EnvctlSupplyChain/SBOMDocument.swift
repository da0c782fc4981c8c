import EnvctlModel
package import Foundation

/// The SBOM formats `envctl sbom` writes.
package enum SBOMFormat: String, Sendable, Hashable, CaseIterable {
    /// CycloneDX 1.6 JSON (the default).
    case cyclonedx
    /// SPDX 2.3 JSON.
    case spdx

    /// The media type, used as the referrer's `artifactType` and its layer's media type.
    package var mediaType: String {
        switch self {
        case .cyclonedx: "application/vnd.cyclonedx+json"
        case .spdx: "application/spdx+json"
        }
    }
}

/// Renders an `SBOMSubject` as CycloneDX 1.6 or SPDX 2.3 JSON: sorted keys, sorted components, no random
/// identifiers (serial number and namespace derive from the lock hash), the timestamp from
/// `SOURCE_DATE_EPOCH`.
package enum SBOMDocument {
    package static func render(_ subject: SBOMSubject, format: SBOMFormat) -> Data {
        switch format {
        case .cyclonedx: cycloneDX(subject)
        case .spdx: spdx(subject)
        }
    }

    /// One thing the environment holds, in a format-neutral shape.
    struct Item {
        var ref: String
        var kind: String  // CycloneDX component type
        var purpose: String  // SPDX primaryPackagePurpose
        var group: String?
        var name: String
        var version: String?
        var purl: String?
        var sha256: [String] = []
        var downloadLocation: String?
        var properties: [(String, String)] = []
    }

    static func items(_ s: SBOMSubject) -> [Item] {
        let env = s.environment
        var items: [Item] = []
        for (role, image) in [("base", env.images.base), ("builder", env.images.builder)] {
            let (repository, tag) = PackageURL.splitReference(image.reference)
            var props = [("envctl:image-role", role), ("envctl:reference", image.reference)]
            if let d = image.platformDigest { props.append(("envctl:platform-digest", d)) }
            items.append(
                Item(
                    ref: "image:\(role)", kind: "container", purpose: "CONTAINER", name: repository, version: tag,
                    purl: PackageURL.oci(image),
                    sha256: image.digest.map { d in d.hasPrefix("sha256:") ? [String(d.dropFirst(7))] : [] } ?? [],
                    properties: props))
        }
        items.append(
            Item(
                ref: "nvidia:cuda", kind: "library", purpose: "LIBRARY", group: "nvidia", name: "cuda",
                version: env.cuda, purl: PackageURL.generic(namespace: "nvidia", name: "cuda", version: env.cuda),
                properties: [("envctl:cuda-libraries", env.cudaLibraries)]))
        if let cudnn = env.cudnn {
            items.append(
                Item(
                    ref: "nvidia:cudnn", kind: "library", purpose: "LIBRARY", group: "nvidia", name: "cudnn",
                    version: cudnn, purl: PackageURL.generic(namespace: "nvidia", name: "cudnn", version: cudnn)))
        }
        items.append(
            Item(
                ref: "python:cpython", kind: "application", purpose: "APPLICATION", name: "cpython",
                version: env.python, purl: PackageURL.generic(namespace: "python", name: "cpython", version: env.python)
            ))
        if let fw = env.framework {
            var props = [("envctl:variant", fw.variant), ("envctl:python-package", fw.package)]
            if let index = fw.indexURL { props.append(("envctl:index", index)) }
            items.append(
                Item(
                    ref: "framework:\(fw.name)", kind: "framework", purpose: "FRAMEWORK", name: fw.name,
                    version: fw.version, properties: props))
        }
        for p in s.sortedPythonPackages {
            let purl = PackageURL.pypi(p)
            items.append(
                Item(
                    ref: purl, kind: "library", purpose: "LIBRARY", name: p.name, version: p.version, purl: purl,
                    sha256: p.hashes.compactMap { $0.hasPrefix("sha256:") ? String($0.dropFirst(7)) : nil }.sorted(),
                    downloadLocation: p.index ?? "https://pypi.org/simple",
                    properties: [("envctl:index", p.index ?? "https://pypi.org/simple")]))
        }
        for d in s.sortedDebianPackages ?? [] {
            let purl = PackageURL.deb(d, namespace: s.debianNamespace)
            items.append(
                Item(
                    ref: purl, kind: "library", purpose: "LIBRARY", name: d.name, version: d.version,
                    purl: purl, properties: [("envctl:source", "dpkg-status")]))
        }
        return items.sorted { $0.ref < $1.ref }
    }

    /// Properties of the environment itself (the document's subject).
    static func rootProperties(_ s: SBOMSubject) -> [(String, String)] {
        let env = s.environment
        var props = [
            ("envctl:environment", env.name), ("envctl:lock-hash", env.hash), ("envctl:content-tag", env.contentTag),
            ("envctl:os", env.os), ("envctl:source-date-epoch", String(s.inputs.sourceDateEpoch)),
            ("envctl:python-platform", env.pythonPackages.platform),
            ("envctl:debian-packages", s.debianPackages == nil ? "not-read" : "dpkg-status"),
        ]
        if !env.apt.isEmpty { props.append(("envctl:apt-requested", env.apt.sorted().joined(separator: " "))) }
        if let r = s.inputs.revision { props.append(("envctl:revision", r)) }
        if let src = s.inputs.source { props.append(("envctl:source", src)) }
        return props.sorted { $0 < $1 }
    }

    static func rootName(_ s: SBOMSubject) -> String { s.environment.image ?? "envctl/\(s.environment.name)" }

    // MARK: CycloneDX 1.6

    static func cycloneDX(_ s: SBOMSubject) -> Data {
        func props(_ list: [(String, String)]) -> [[String: Any]] { list.map { ["name": $0.0, "value": $0.1] } }
        let items = items(s)
        let components: [[String: Any]] = items.map { item in
            var c: [String: Any] = ["bom-ref": item.ref, "type": item.kind, "name": item.name]
            if let g = item.group { c["group"] = g }
            if let v = item.version { c["version"] = v }
            if let p = item.purl { c["purl"] = p }
            if !item.sha256.isEmpty { c["hashes"] = item.sha256.map { ["alg": "SHA-256", "content": $0] } }
            if let d = item.downloadLocation { c["externalReferences"] = [["type": "distribution", "url": d]] }
            if !item.properties.isEmpty { c["properties"] = props(item.properties) }
            return c
        }
        let rootRef = "envctl:environment:\(s.environment.name)"
        let bom: [String: Any] = [
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": "urn:uuid:\(s.derivedUUID(salt: "cyclonedx"))",
            "version": 1,
            "metadata": [
                "timestamp": s.timestamp,
                "tools": ["components": [["type": "application", "name": "envctl", "version": s.toolVersion]]],
                "component": [
                    "bom-ref": rootRef, "type": "container", "name": rootName(s),
                    "version": s.environment.contentTag, "properties": props(rootProperties(s)),
                ] as [String: Any],
            ] as [String: Any],
            "components": components,
            "dependencies": [["ref": rootRef, "dependsOn": items.map(\.ref)]],
        ]
        return serialize(bom)
    }

    // MARK: SPDX 2.3

    static func spdxID(_ ref: String, used: inout Set<String>) -> String {
        var id = "SPDXRef-" + String(ref.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-" })
        let base = id
        var n = 2
        while used.contains(id) {
            id = "\(base)-\(n)"
            n += 1
        }
        used.insert(id)
        return id
    }

    static func spdx(_ s: SBOMSubject) -> Data {
        var used: Set<String> = ["SPDXRef-DOCUMENT"]
        let rootID = spdxID("environment-\(s.environment.name)", used: &used)
        let root: [String: Any] = [
            "SPDXID": rootID, "name": rootName(s), "versionInfo": s.environment.contentTag,
            "downloadLocation": "NOASSERTION", "filesAnalyzed": false, "primaryPackagePurpose": "CONTAINER",
            "comment": rootProperties(s).map { "\($0.0)=\($0.1)" }.joined(separator: "\n"),
        ]
        var packages = [root]
        var relationships: [[String: Any]] = [
            ["spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": rootID]
        ]
        for item in items(s) {
            let id = spdxID(item.ref, used: &used)
            var p: [String: Any] = [
                "SPDXID": id, "name": item.group.map { "\($0)/\(item.name)" } ?? item.name,
                "downloadLocation": item.downloadLocation ?? "NOASSERTION", "filesAnalyzed": false,
                "primaryPackagePurpose": item.purpose,
            ]
            if let v = item.version { p["versionInfo"] = v }
            if !item.sha256.isEmpty {
                p["checksums"] = item.sha256.map { ["algorithm": "SHA256", "checksumValue": $0] }
            }
            if let purl = item.purl {
                p["externalRefs"] = [
                    ["referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl]
                ]
            }
            if !item.properties.isEmpty {
                p["comment"] = item.properties.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
            }
            packages.append(p)
            relationships.append(["spdxElementId": rootID, "relationshipType": "CONTAINS", "relatedSpdxElement": id])
        }
        let doc: [String: Any] = [
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "\(rootName(s)):\(s.environment.contentTag)",
            "documentNamespace":
                "https://spdx.org/spdxdocs/envctl/\(s.environment.name)-\(s.derivedUUID(salt: "spdx"))",
            "creationInfo": ["created": s.timestamp, "creators": ["Tool: envctl-\(s.toolVersion)"]],
            "packages": packages,
            "relationships": relationships,
        ]
        return serialize(doc)
    }

    static func serialize(_ object: [String: Any]) -> Data {
        // Only strings, ints, bools, arrays and dictionaries go in: serialization cannot fail.
        var data =
            (try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        data.append(0x0A)
        return data
    }
}

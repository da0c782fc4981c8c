import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@testable import EnvctlSupplyChain

/// `envctl sbom`'s documents: a golden per format, deterministic bytes, and validation by the official tools
/// (the CycloneDX 1.6 schema shipped in cyclonedx-python-lib; the SPDX 2.3 schema shipped in lib4sbom and the
/// SPDX project's spdx-tools validator).
@Suite("SBOM documents")
struct SBOMDocumentTests {
    static let dpkgStatus = """
        Package: libc6
        Status: install ok installed
        Priority: optional
        Architecture: amd64
        Version: 2.35-0ubuntu3.8
        Description: GNU C Library: Shared libraries
         Contains the standard libraries.

        Package: removed-thing
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 1.0

        Package: ca-certificates
        Status: install ok installed
        Architecture: all
        Version: 20240203~22.04.1

        """

    /// A fixture lock: a local version from a framework index, a package from PyPI, two hashes, cuDNN, apt.
    static func subject(debian: Bool = true) -> SBOMSubject {
        var env = LockFactory.environment(packages: [("numpy", "1.26.4"), ("Torch", "2.5.1+cu124")])
        env.hash = "sha256:" + String(repeating: "1", count: 64)
        env.apt = ["git", "curl"]
        env.images.base.platformDigest = "sha256:" + String(repeating: "f", count: 64)
        env.pythonPackages.packages[1].index = "https://download.pytorch.org/whl/cu124"
        env.pythonPackages.packages[0].index = "https://pypi.org/simple"
        env.pythonPackages.packages[0].hashes.append("sha256:" + String(repeating: "0", count: 64))
        return SBOMSubject(
            environment: env,
            inputs: BuildInputs(
                revision: "0123456789abcdef0123456789abcdef01234567", source: "https://example.com/team/project",
                sourceDateEpoch: 1_714_564_800),
            debianPackages: debian ? DebianPackage.parseStatus(dpkgStatus) : nil, toolVersion: "0.1.0")
    }

    static func snapshot(_ name: String) -> String { RepoPaths.path("Tests/EnvctlSupplyChainTests/Snapshots/\(name)") }

    @Test(arguments: [SBOMFormat.cyclonedx, .spdx])
    func matchesGolden(_ format: SBOMFormat) {
        let text = String(decoding: SBOMDocument.render(Self.subject(), format: format), as: UTF8.self)
        let name = format == .cyclonedx ? "train.cdx.json" : "train.spdx.json"
        if let problem = goldenMismatch(text, goldenPath: Self.snapshot(name)) { Issue.record("\(problem)") }
    }

    @Test func deterministicAndDerivedFromTheLock() throws {
        let a = SBOMDocument.render(Self.subject(), format: .cyclonedx)
        #expect(a == SBOMDocument.render(Self.subject(), format: .cyclonedx))
        let object = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        let serial = try #require(object["serialNumber"] as? String)
        #expect(serial.hasPrefix("urn:uuid:"))
        // Other content, other serial number; no randomness in either.
        let other = try #require(
            try JSONSerialization.jsonObject(with: SBOMDocument.render(Self.subject(debian: false), format: .cyclonedx))
                as? [String: Any])
        #expect(other["serialNumber"] as? String != serial)
        #expect((object["metadata"] as? [String: Any])?["timestamp"] as? String == "2024-05-01T12:00:00Z")
    }

    @Test func readsItsOwnFacts() throws {
        let facts = try #require(AttachedDocuments.sbom(SBOMDocument.render(Self.subject(), format: .cyclonedx)))
        #expect(facts.lockHash == "sha256:" + String(repeating: "1", count: 64))
        #expect(facts.baseDigest == "sha256:" + String(repeating: "b", count: 64))
        #expect(facts.pythonPackages == ["numpy": "1.26.4", "torch": "2.5.1+cu124"])
    }

    @Test func dpkgStatusListsInstalledPackagesOnly() {
        #expect(
            DebianPackage.parseStatus(Self.dpkgStatus) == [
                DebianPackage(name: "ca-certificates", version: "20240203~22.04.1", architecture: "all"),
                DebianPackage(name: "libc6", version: "2.35-0ubuntu3.8", architecture: "amd64"),
            ])
    }

    @Test func packageURLs() {
        let torch = LockedPackage(
            name: "Torch_Audio", version: "2.5.1+cu124", index: "https://download.pytorch.org/whl/cu124", hashes: [])
        #expect(
            PackageURL.pypi(torch)
                == "pkg:pypi/torch-audio@2.5.1%2Bcu124?repository_url=https%3A%2F%2Fdownload.pytorch.org%2Fwhl%2Fcu124")
        #expect(
            PackageURL.pypi(LockedPackage(name: "numpy", version: "1.26.4", index: nil, hashes: []))
                == "pkg:pypi/numpy@1.26.4")
        let image = LockedImage(
            reference: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
            digest: "sha256:" + String(repeating: "b", count: 64))
        #expect(
            PackageURL.oci(image)
                == "pkg:oci/cuda@sha256%3A\(String(repeating: "b", count: 64))?repository_url=docker.io%2Fnvidia%2Fcuda&tag=12.4.1-base-ubuntu22.04"
        )
    }

    /// The python of the tools venv (ci/setup.sh), next to spdx-tools' `pyspdxtools`.
    static var python: String? {
        Tools.path("pyspdxtools").map {
            (($0 as NSString).deletingLastPathComponent as NSString).appendingPathComponent("python")
        }
    }

    static func validate(_ format: SBOMFormat, script: String, extraArguments: [String] = []) throws -> ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("envctl-sbom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(format == .cyclonedx ? "bom.cdx.json" : "bom.spdx.json").path
        try SBOMDocument.render(subject(), format: format).write(to: URL(fileURLWithPath: file))
        return try runProcess(try #require(python), ["-c", script, file] + extraArguments)
    }

    @Test(.requires("pyspdxtools"))
    func cycloneDXValidatesAgainstTheOfficialSchema() throws {
        // cyclonedx-python-lib's strict validator: the official bom-1.6 JSON schema (with spdx and jsf).
        let script = """
            import sys
            from cyclonedx.schema import SchemaVersion
            from cyclonedx.validation.json import JsonStrictValidator
            error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
            print(error if error else "valid")
            sys.exit(1 if error else 0)
            """
        let r = try Self.validate(.cyclonedx, script: script)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("valid"))
    }

    /// Validates against the official SPDX 2.3 JSON schema (spdx/spdx-spec v2.3, as lib4sbom ships it), then
    /// with spdx-tools, which parses the JSON into the SPDX 2.3 model and runs its validator over it.
    static let spdxScript = """
        import sys, json, importlib.resources, jsonschema
        doc = json.load(open(sys.argv[1]))
        if len(sys.argv) > 2: doc["packages"][0]["filesAnalyzed"] = "no"
        schema = json.loads(importlib.resources.files("lib4sbom").joinpath("schemas/spdx/2.3-schema.json").read_text())
        assert schema["title"] == "SPDX 2.3", schema["title"]
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
        for e in errors: print("schema:", e.message)
        if errors: sys.exit(3)
        from spdx_tools.spdx.parser.parse_anything import parse_file
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
        messages = validate_full_spdx_document(parse_file(sys.argv[1]), "SPDX-2.3")
        for m in messages: print(m.validation_message)
        print("valid" if not messages else "invalid")
        sys.exit(1 if messages else 0)
        """

    @Test(.requires("pyspdxtools"))
    func spdxValidatesAgainstTheOfficialSchemaAndTheSPDXTools() throws {
        let script = Self.spdxScript
        let r = try Self.validate(.spdx, script: script)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("valid"))
    }

    @Test(.requires("pyspdxtools"))
    func schemaValidationCanFail() throws {
        // The validators are not rubber stamps: a document with a wrong component type is refused.
        let script = """
            import sys, json
            from cyclonedx.schema import SchemaVersion
            from cyclonedx.validation.json import JsonStrictValidator
            bom = json.load(open(sys.argv[1]))
            bom["components"][0]["type"] = "spaceship"
            error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom))
            sys.exit(3 if error else 0)
            """
        let r = try Self.validate(.cyclonedx, script: script)
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        // And the SPDX schema refuses a package whose filesAnalyzed is not a boolean.
        let spdx = try Self.validate(.spdx, script: Self.spdxScript, extraArguments: ["break"])
        #expect(spdx.status == 3, "\(spdx.stdout)\(spdx.stderr)")
    }
}

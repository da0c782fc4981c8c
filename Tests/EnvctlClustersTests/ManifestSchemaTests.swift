import EnvctlClusters
import EnvctlTestSupport
import Foundation
import Testing

/// Every rendered manifest validates against the Kubernetes OpenAPI schemas (kubernetes-validate, strict) for two
/// Kubernetes versions; PyTorchJob and JobSet against the committed CRD schemas (Fixtures/crds/SOURCE.md).
@Suite("job manifests (schemas)", .serialized, SchemaTools.requirement)
struct ManifestSchemaTests {
    static let versions = ["1.30.0", "1.34.0"]

    func validate(_ yaml: String) throws -> ProcessResult {
        let dir = try TemporaryDirectory(prefix: "envctl-schema")
        defer { dir.cleanup() }
        try dir.write("m.yaml", yaml)
        return try runProcess(
            SchemaTools.python!,
            [RepoPaths.path("Tests/EnvctlClustersTests/Fixtures/validate_manifests.py"), dir.path + "/m.yaml"]
                + Self.versions)
    }

    @Test(arguments: [
        (JobKind.job, 1), (JobKind.job, 4), (JobKind.pytorchjob, 1), (JobKind.pytorchjob, 3), (JobKind.jobset, 2),
    ])
    func renderedManifestValidates(kind: JobKind, nodes: Int) throws {
        let yaml = try ManifestValue.yaml(JobRenderer.render(try plan(kind: kind, nodes: nodes)))
        let r = try validate(yaml)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)\n\(yaml)")
        #expect(r.stdout.contains("validated"))
        #expect(!r.stdout.contains("INVALID"))
    }

    @Test func theValidatorRejectsAnUnquotedDriverFloorAndAMisspeltCRDField() throws {
        let yaml = try ManifestValue.yaml(JobRenderer.render(try plan()))
        let broken = yaml.replacingOccurrences(of: "- '524'", with: "- 524")
        #expect(broken != yaml)
        #expect(try validate(broken).status != 0)
        let pt = try ManifestValue.yaml(JobRenderer.render(try plan(kind: .pytorchjob)))
        #expect(try validate(pt.replacingOccurrences(of: "runPolicy:", with: "runPolcy:")).status != 0)
    }
}

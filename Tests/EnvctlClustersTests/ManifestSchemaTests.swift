import EnvctlClusters
import EnvctlTestSupport
import Foundation
import Testing

/// Every rendered manifest validates against the Kubernetes OpenAPI schemas (kubernetes-validate, strict) for two
/// Kubernetes versions; PyTorchJob and JobSet against the committed CRD schemas (Fixtures/crds/SOURCE.md), their
/// CEL rules included (cel-python; transition rules, which only run on update, are skipped and counted).
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
        (JobKind.job, 1, NodeLabels.gfd), (JobKind.job, 4, .gfd), (JobKind.pytorchjob, 1, .gfd),
        (JobKind.pytorchjob, 3, .gfd), (JobKind.jobset, 2, .gfd), (JobKind.job, 2, .gke), (JobKind.pytorchjob, 2, .gke),
        (JobKind.jobset, 2, .gke),
    ])
    func renderedManifestValidates(kind: JobKind, nodes: Int, nodeLabels: NodeLabels) throws {
        let yaml = try ManifestValue.yaml(
            JobRenderer.render(try plan(kind: kind, nodes: nodes, nodeLabels: nodeLabels)))
        let r = try validate(yaml)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)\n\(yaml)")
        #expect(r.stdout.contains("validated"))
        #expect(!r.stdout.contains("INVALID"))
        if kind == .jobset {
            // JobSet's one create-time rule ran; its immutability rules were skipped.
            #expect(
                r.stdout.contains("ok JobSet cel: 1 rules evaluated, 2 transition rules (oldSelf) skipped"),
                "\(r.stdout)")
        }
        if kind == .pytorchjob {
            #expect(r.stdout.contains("ok PyTorchJob cel: 0 rules evaluated"), "\(r.stdout)")
        }
    }

    /// The CEL rule is really evaluated: a JobSet that starts its jobs in order and also has a dependsOn breaks
    /// JobSet's "StartupPolicy and DependsOn APIs are mutually exclusive" (and nothing else in the schema).
    @Test func theValidatorEvaluatesJobSetsCELRule() throws {
        let yaml = try ManifestValue.yaml(JobRenderer.render(try plan(kind: .jobset, nodes: 2)))
        let anyOrder = yaml.replacingOccurrences(
            of: "  replicatedJobs:\n", with: "  startupPolicy:\n    startupPolicyOrder: AnyOrder\n  replicatedJobs:\n")
        #expect(anyOrder != yaml)
        let ok = try validate(anyOrder)
        #expect(ok.status == 0, "\(ok.stdout)")
        let inOrder = anyOrder.replacingOccurrences(of: "AnyOrder", with: "InOrder")
            .replacingOccurrences(
                of: "  - name: node\n",
                with: "  - name: node\n    dependsOn:\n    - name: init\n      status: Complete\n")
        #expect(inOrder.contains("dependsOn:"))
        let r = try validate(inOrder)
        #expect(r.status != 0)
        #expect(r.stdout.contains("StartupPolicy and DependsOn APIs are mutually exclusive"), "\(r.stdout)")
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

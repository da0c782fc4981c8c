import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl reproduce COMMIT --run ID` of a `pipeline submit` run: a real git repository whose lock moves
/// on after the submission, real images in a real registry (one external image whose tag moves too), a
/// pipeline compiled by the real kfp compiler, and the in-process KFP server of `PipelineSubmitTests`.
@Suite(
    "reproduce a pipeline (in-process KFP, real registry)", .serialized,
    KFPTools.requirement, ContainerLab.requirement, .tags(.kfp, .container, .registry))
struct PipelineReproduceTests {
    /// A KFP server that knows the pipeline after its first upload.
    static func kfpServer() throws -> TestHTTPServer {
        let uploaded = Counter()
        let versions = Counter()
        return try TestHTTPServer { req in
            guard req.headers["authorization"] == "Bearer \(TestSecrets.pipelineToken)" else {
                return (401, ["message": "no token"])
            }
            switch (req.method, req.path) {
            case ("GET", "/apis/v2beta1/pipelines/names/container-train"):
                return uploaded.value == 0 ? (404, ["message": "not found"]) : (200, ["pipeline_id": "p-1"])
            case ("POST", "/apis/v2beta1/pipelines/upload"):
                _ = uploaded.next()
                return (200, ["pipeline_id": "p-1"])
            case ("POST", "/apis/v2beta1/pipelines/upload_version"):
                return (200, ["pipeline_id": "p-1", "pipeline_version_id": "v-\(versions.next())"])
            case ("GET", "/apis/v2beta1/experiments"):
                return (200, ["experiments": [["experiment_id": "e-1", "display_name": "Default"]]])
            case ("POST", "/apis/v2beta1/runs"): return (200, ["run_id": "r-\(versions.value)", "state": "PENDING"])
            default: return (404, ["message": "unexpected \(req.method) \(req.path)"])
            }
        }
    }

    @Test func resubmitsThePinnedPipelineFromTheCommit() throws {
        let lab = try ContainerLab()
        defer { lab.shutdown() }
        try lab.buildImage("train:1", files: ["etc/envctl-image": "image-v1\n"])
        try lab.buildImage("train:2", files: ["etc/envctl-image": "image-v2\n"])
        let d1 = try lab.push("localhost/train:1", to: "envctl/train:envctl-1111")
        let d2 = try lab.push("localhost/train:2", to: "envctl/train:envctl-2222")
        // The external image, by tag in the pipeline; its tag moves after the first submission.
        let notify1 = try lab.push("localhost/train:1", to: "library/notify:1.36")

        let repo = try GitFixture()
        defer { repo.cleanup() }
        let compiled = try KFPTools.compile("b_container", into: repo.path)
        let external = "\(lab.registryHost)/library/notify:1.36"
        let text = try String(contentsOfFile: compiled, encoding: .utf8)
            .replacingOccurrences(of: "docker.io/library/busybox:1.36", with: external)
        try FileManager.default.removeItem(atPath: compiled)
        func env(_ tag: String, _ digest: String, _ hash: Character) -> LockedEnvironment {
            LockFactory.environment(
                image: "registry.example.com/team/train",
                pushed: PushedImage(reference: "\(lab.registryHost)/envctl/train:\(tag)", digest: digest),
                hash: "sha256:" + String(repeating: hash, count: 64))
        }
        let c0 = try repo.commit(
            "no pipeline yet", files: ["envctl.lock": try LockFactory.lockfile([env("envctl-1111", d1, "1")]).yaml()])
        let c1 = try repo.commit(
            "lock v1 + pipeline",
            files: [
                "envctl.lock": try LockFactory.lockfile([env("envctl-1111", d1, "1")]).yaml(),
                "pipelines/train.yaml": text,
            ], date: 1)
        let environment = lab.environment.merging(["ENVCTL_PIPELINES_TOKEN": TestSecrets.pipelineToken]) { _, b in b }
        func envctl(_ args: [String]) throws -> ProcessResult {
            try runProcess(RepoPaths.envctlBinary, args, cwd: repo.path, environment: environment)
        }

        let server = try Self.kfpServer()
        defer { server.stop() }
        let first = try envctl([
            "pipeline", "submit", "pipelines/train.yaml", "--kfp", server.baseURL, "--pin-external", "--param",
            "epochs=5",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let original = try #require(RunStore(workspace: repo.path).list().records.first)
        #expect(original.pipeline?.file == "pipelines/train.yaml")
        #expect(original.pipeline?.parameters == ["epochs": "5"])
        #expect(original.git?.commit == c1)

        // Later: the lock moves to image v2, and the external tag to another image.
        try repo.commit(
            "lock v2", files: ["envctl.lock": try LockFactory.lockfile([env("envctl-2222", d2, "2")]).yaml()], date: 2)
        _ = try lab.push("localhost/train:2", to: "library/notify:1.36")
        let requestsBefore = server.requests.count
        let pinned1 = "\(lab.registryHost)/envctl/train:envctl-1111@\(d1)"

        // --dry-run: the plan, and nothing sent or written.
        let dry = try envctl([
            "reproduce", String(c1.prefix(8)), "--run", original.id, "--dry-run", "--kfp", server.baseURL,
        ])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("pipelines/train.yaml at \(String(c1.prefix(12)))"))
        #expect(dry.stdout.contains("exec-train: \(pinned1) [environment train]"))
        #expect(dry.stdout.contains("exec-notify: \(external)@\(notify1) [run record]"))
        #expect(dry.stdout.contains("epochs=5"))
        #expect(dry.stdout.contains("kfp \(server.baseURL)"))
        #expect(server.requests.count == requestsBefore)
        #expect(RunStore(workspace: repo.path).list().records.count == 1)

        // The real thing: a new version holding commit 1's pinned spec, a run of exactly that version.
        let again = try envctl(["reproduce", c1, "--run", original.id, "--kfp", server.baseURL])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("resubmitting pipelines/train.yaml from \(String(c1.prefix(12)))"))
        let sent = Array(server.requests.dropFirst(requestsBefore))
        #expect(
            sent.map { "\($0.method) \($0.path)" } == [
                "GET /apis/v2beta1/pipelines/names/container-train", "POST /apis/v2beta1/pipelines/upload_version",
                "GET /apis/v2beta1/experiments", "POST /apis/v2beta1/runs",
            ])
        let body = String(decoding: sent[1].body, as: UTF8.self)
        #expect(body.contains("image: \(pinned1)"))
        #expect(body.contains("image: \(external)@\(notify1)"))
        #expect(!body.contains(d2))
        #expect(sent[1].query["description"]?.contains("envctl-commit=\(c1)") == true)
        #expect(sent[1].query["description"]?.contains("envctl-reproduces=\(original.id)") == true)
        let run = sent[3].json
        #expect(
            run["pipeline_version_reference"] as? [String: String] == [
                "pipeline_id": "p-1", "pipeline_version_id": "v-1",
            ])
        #expect((run["runtime_config"] as? [String: Any])?["parameters"] as? [String: String] == ["epochs": "5"])
        let records = RunStore(workspace: repo.path).list().records
        #expect(records.count == 2)
        let resubmitted = try #require(records.first { $0.id != original.id })
        #expect(resubmitted.kind == .kfp)
        #expect(resubmitted.reproducedFrom == c1)
        #expect(resubmitted.git == RunRecord.GitStamp(commit: c1, dirty: false, changedPaths: []))
        #expect(resubmitted.pipeline?.versionID == "v-1")
        #expect(resubmitted.pipeline?.parameters == ["epochs": "5"])
        #expect(Set(resubmitted.images.compactMap(\.digest)) == [d1, notify1])
        #expect(try lab.tags("envctl/train").contains("envctl-run-\(resubmitted.id)"))

        // --param overrides a recorded parameter.
        let override = try envctl([
            "reproduce", c1, "--run", original.id, "--kfp", server.baseURL, "--param", "epochs=7",
        ])
        #expect(override.status == 0, "\(override.stderr)")
        #expect(
            (server.requests.last?.json["runtime_config"] as? [String: Any])?["parameters"] as? [String: String] == [
                "epochs": "7"
            ])

        // Bad input: exit 64, nothing sent or written.
        let count = (server.requests.count, RunStore(workspace: repo.path).list().records.count)
        let cases: [([String], String)] = [
            (
                ["reproduce", c1, "--run", original.id],
                "give --kfp URL or --vertex PROJECT/REGION to resubmit run \(original.id)"
            ),
            (
                ["reproduce", c0, "--run", original.id, "--kfp", server.baseURL],
                "commit \(String(c0.prefix(12))) has no pipelines/train.yaml"
            ),
            (
                ["reproduce", c1, "--run", original.id, "--kfp", server.baseURL, "--", "true"],
                "it is resubmitted, not run"
            ),
            (
                ["reproduce", c1, "--run", original.id, "--kfp", server.baseURL, "--rebuild"],
                "--rebuild is not supported for pipeline runs yet"
            ),
        ]
        for (args, message) in cases {
            let r = try envctl(args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }

        // An image the pipeline pins is gone from the registry: said, and nothing is submitted.
        try lab.deleteManifest("envctl/train", digest: d1)
        let gone = try envctl(["reproduce", c1, "--run", original.id, "--kfp", server.baseURL])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no longer exist in the registry:\n  - \(lab.registryHost)/envctl/train@\(d1)"))
        #expect((server.requests.count, RunStore(workspace: repo.path).list().records.count) == count)
    }
}

import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl run` end to end: the built binary, real podman (runc), a real registry, a real git repo.
@Suite(
    "envctl run (podman)", .serialized, ContainerLab.requirement,
    .tags(.container, .registry))
struct RunCommandTests {
    @Test func runsTheLockedDigestPassesStdinAndExitCodeAndRecords() throws {
        let lab = try ContainerLab()
        defer { lab.shutdown() }
        try lab.buildImage("train:1", files: ["etc/envctl-image": "image-v1\n"])
        let digest = try lab.push("localhost/train:1", to: "envctl/train:envctl-1111")
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let env = LockFactory.environment(
            image: "\(lab.registryHost)/envctl/train",
            pushed: PushedImage(reference: "\(lab.registryHost)/envctl/train:envctl-1111", digest: digest))
        let commit = try repo.commit(
            "lock", files: ["envctl.lock": try LockFactory.lockfile([env]).yaml(), "data.txt": "workspace-data\n"])
        try FileManager.default.createDirectory(atPath: repo.path + "/sub", withIntermediateDirectories: true)

        let script = "cat /etc/envctl-image; cat data.txt; read x; echo \"got $x\"; echo \"id=$ENVCTL_RUN_ID\"; exit 3"
        let r = try runProcess(
            RepoPaths.envctlBinary, ["run", "--runtime", "podman", "--", "sh", "-c", script], cwd: repo.path + "/sub",
            environment: lab.environment, stdin: "hello\n")
        #expect(r.status == 3, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("image-v1\nworkspace-data\ngot hello\nid="))
        #expect(r.stderr.contains("without GPU"))

        let store = RunStore(workspace: repo.path)
        let records = store.list().records
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(r.stdout.contains("id=\(record.id)"))
        #expect(record.exitCode == 3)
        #expect(record.endedAt != nil)
        #expect(record.command == ["sh", "-c", script])
        #expect(record.git?.commit == commit)
        #expect(record.git?.dirty == false)
        #expect(record.lockHash == env.hash)
        #expect(record.environment == "train")
        #expect(
            record.images == [
                .init(reference: "\(lab.registryHost)/envctl/train@\(digest)", digest: digest, source: "pushed")
            ])
        #expect(record.host?.status == .noTool || record.host?.status == .driverFailed || record.host?.status == .ok)
        #expect(record.protectiveTags == ["\(lab.registryHost)/envctl/train:envctl-run-\(record.id)"])
        #expect(try lab.tags("envctl/train") == ["envctl-1111", "envctl-run-\(record.id)"])

        let list = try runProcess(RepoPaths.envctlBinary, ["runs"], cwd: repo.path)
        #expect(list.status == 0)
        #expect(list.stdout.contains(record.id) && list.stdout.contains("failed (3)"))
        let show = try runProcess(
            RepoPaths.envctlBinary, ["runs", "show", String(record.id.suffix(6)), "--json"], cwd: repo.path)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(try RunStore.decode(Data(show.stdout.utf8)) == record)
        let missing = try runProcess(RepoPaths.envctlBinary, ["runs", "show", "nope"], cwd: repo.path)
        #expect(missing.status == 64)
    }

    @Test func refusesWhenNoImageAndWhenNoCommand() throws {
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let env = LockFactory.environment(image: "127.0.0.1:1/none", pushed: nil)
        try repo.commit("lock", files: ["envctl.lock": try LockFactory.lockfile([env]).yaml()])
        let r = try runProcess(RepoPaths.envctlBinary, ["run", "--runtime", "podman", "--", "true"], cwd: repo.path)
        #expect(r.status == 64)
        #expect(r.stderr.contains("has no pushed image"))
        let none = try runProcess(RepoPaths.envctlBinary, ["run", "--runtime", "podman"], cwd: repo.path)
        #expect(none.status == 64)
        if ToolLocator.find("nvidia-smi") == nil {
            // This machine has no GPU: --require-gpu refuses before anything else, with doctor's explanation.
            let gpu = try runProcess(
                RepoPaths.envctlBinary, ["run", "--require-gpu", "--runtime", "podman", "--", "true"], cwd: repo.path)
            #expect(gpu.status == 1)
            #expect(
                gpu.stderr.contains("error: --require-gpu: no NVIDIA GPU (nvidia-smi not found); not starting 'train'"))
            #expect(gpu.stderr.contains("nvidia-smi is not on PATH"))
            #expect(gpu.stderr.contains("hint: 'envctl doctor' shows the whole host report"))
        }
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.envctl/runs"))
    }
}

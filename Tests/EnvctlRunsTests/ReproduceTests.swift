import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl reproduce` and `envctl diff` on a real repository whose lock changes between commits,
/// with real images in a real registry, run through podman.
@Suite(
    "reproduce and diff (podman)", .serialized, ContainerLab.requirement,
    .tags(.container, .registry))
struct ReproduceTests {
    struct Setup {
        var lab: ContainerLab
        var repo: GitFixture
        var c0: String, c1: String, c2: String, c3: String
        var d1: String, d2: String
        func cleanup() {
            lab.shutdown()
            repo.cleanup()
        }
    }

    func makeSetup() throws -> Setup {
        let lab = try ContainerLab()
        try lab.buildImage("train:1", files: ["etc/envctl-image": "image-v1\n"])
        try lab.buildImage("train:2", files: ["etc/envctl-image": "image-v2\n"])
        let d1 = try lab.push("localhost/train:1", to: "envctl/train:envctl-1111")
        let d2 = try lab.push("localhost/train:2", to: "envctl/train:envctl-2222")
        let repo = try GitFixture()
        let repoName = "\(lab.registryHost)/envctl/train"
        let v1 = LockFactory.environment(
            cuda: "12.1.1", torch: "2.4.0", image: repoName,
            pushed: PushedImage(reference: "\(repoName):envctl-1111", digest: d1),
            packages: [("numpy", "1.26.4"), ("torch", "2.4.0")], hash: "sha256:" + String(repeating: "1", count: 64))
        let v2 = LockFactory.environment(
            cuda: "12.4.1", torch: "2.5.1", image: repoName,
            pushed: PushedImage(reference: "\(repoName):envctl-2222", digest: d2),
            packages: [("numpy", "2.0.0"), ("requests", "2.32.3"), ("torch", "2.5.1")],
            hash: "sha256:" + String(repeating: "2", count: 64))
        let c0 = try repo.commit("init", files: ["README": "x\n"])
        let c1 = try repo.commit(
            "lock v1", files: ["envctl.lock": try LockFactory.lockfile([v1]).yaml(), "train.txt": "code-v1\n"], date: 1)
        let c2 = try repo.commit(
            "lock v2", files: ["envctl.lock": try LockFactory.lockfile([v2]).yaml(), "train.txt": "code-v2\n"], date: 2)
        let c3 = try repo.commit("broken lock", files: ["envctl.lock": "lock_version: 1\nenvironments: [\n"], date: 3)
        try repo.commit("fix lock", files: ["envctl.lock": try LockFactory.lockfile([v2]).yaml()], date: 4)
        return Setup(lab: lab, repo: repo, c0: c0, c1: c1, c2: c2, c3: c3, d1: d1, d2: d2)
    }

    func envctl(_ s: Setup, _ args: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(RepoPaths.envctlBinary, args, cwd: s.repo.path, environment: s.lab.environment, stdin: stdin)
    }

    /// Working-tree files and run records, to prove a failed command changed nothing.
    func snapshot(_ s: Setup) throws -> [String] {
        let status = try s.repo.git("status", "--porcelain", "--untracked-files=all", "--", ".", ":!.envctl")
        return [status, try String(contentsOfFile: s.repo.path + "/train.txt", encoding: .utf8)]
    }

    @Test func reproducesTheFirstCommitsImageAfterTheLockChanged() throws {
        let s = try makeSetup()
        defer { s.cleanup() }
        let script = ["sh", "-c", "cat /etc/envctl-image /workspace/train.txt; echo \"commit=$ENVCTL_GIT_COMMIT\""]
        // A run at commit 1, recorded in the workspace.
        try s.repo.git("checkout", "-q", s.c1)
        let first = try envctl(s, ["run", "--"] + script)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("image-v1\ncode-v1\n"))
        let runID = try #require(RunStore(workspace: s.repo.path).list().records.first?.id)
        try s.repo.git("checkout", "-q", "main")

        // Later the lock moved on; reproduce the first run from its commit.
        let dry = try envctl(s, ["reproduce", String(s.c1.prefix(8)), "--run", runID, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("\(s.lab.registryHost)/envctl/train@\(s.d1)"))
        #expect(dry.stdout.contains("from run     \(runID)"))
        #expect(RunStore(workspace: s.repo.path).list().records.count == 1)

        let before = try snapshot(s)
        let r = try envctl(s, ["reproduce", String(s.c1.prefix(8)), "--run", runID])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "image-v1\ncode-v1\ncommit=\(s.c1)\n")
        #expect(try snapshot(s) == before)
        let records = RunStore(workspace: s.repo.path).list().records
        #expect(records.count == 2)
        let again = try #require(records.first { $0.id != runID })
        #expect(again.reproducedFrom == s.c1)
        #expect(again.images.first?.digest == s.d1)
        #expect(again.git?.commit == s.c1)
        #expect(again.command == script)

        // A different command at the newer commit runs the newer image and code.
        let v2 = try envctl(s, ["reproduce", s.c2, "--", "cat", "/etc/envctl-image", "train.txt"])
        #expect(v2.status == 0, "\(v2.stderr)")
        #expect(v2.stdout == "image-v2\ncode-v2\n")

        // The image is deleted from the registry: reproduce says so and runs nothing.
        try s.lab.deleteManifest("envctl/train", digest: s.d1)
        let gone = try envctl(s, ["reproduce", s.c1, "--run", runID])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no longer exists in the registry"))
        #expect(gone.stderr.contains("--rebuild"))
        #expect(RunStore(workspace: s.repo.path).list().records.count == 3)
    }

    /// `reproduce --run` gives the command the run's /dev/shm size, working directory and GPU selection; its
    /// volumes and variables (which a record from the repository could aim at the user's files and secrets)
    /// only with --replay-settings, with each variable's value from the environment.
    @Test func replaysTheRunsContainerSettings() throws {
        let s = try makeSetup()
        defer { s.cleanup() }
        let data = try TemporaryDirectory(prefix: "envctl-data")
        defer { data.cleanup() }
        try data.write("f.txt", "dataset-v1\n")
        func envctl(_ args: [String], tag: String?) throws -> ProcessResult {
            var env = s.lab.environment
            env["TRAIN_TAG"] = tag
            return try runProcess(RepoPaths.envctlBinary, args, cwd: s.repo.path, environment: env)
        }
        let script = [
            "sh", "-c",
            "echo tag=$TRAIN_TAG; pwd; cat /data/f.txt 2>/dev/null || echo no-data; df -k /dev/shm | awk 'NR==2{print $2}'",
        ]
        try s.repo.git("checkout", "-q", s.c1)
        let first = try envctl(
            ["run", "--shm-size", "64m", "--workdir", "/data", "-v", "\(data.path):/data:ro", "-e", "TRAIN_TAG", "--"]
                + script, tag: "tag-1")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "tag=tag-1\n/data\ndataset-v1\n65536\n")
        let runID = try #require(RunStore(workspace: s.repo.path).list().records.first?.id)
        try s.repo.git("checkout", "-q", "main")

        let dry = try envctl(["reproduce", s.c1, "--run", runID, "--dry-run"], tag: nil)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("container    --gpus all --shm-size 64m\n"), "\(dry.stdout)")
        #expect(
            dry.stderr.contains(
                "also had -v \(data.path):/data:ro -e TRAIN_TAG --workdir /data; not applied: pass --replay-settings"))

        // By default: the shm size, not the volume, the variable or the working directory inside the volume.
        let plain = try envctl(["reproduce", s.c1, "--run", runID], tag: "tag-1")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout == "tag=\n/workspace\nno-data\n65536\n")

        // --replay-settings needs the variable's value from the environment: without it, nothing runs.
        let missing = try envctl(["reproduce", s.c1, "--run", runID, "--replay-settings"], tag: nil)
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("run \(runID) set TRAIN_TAG in its container"), "\(missing.stderr)")
        #expect(missing.stderr.contains("export TRAIN_TAG"))
        #expect(RunStore(workspace: s.repo.path).list().records.count == 2)

        let full = try envctl(["reproduce", s.c1, "--run", runID, "--replay-settings"], tag: "tag-2")
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout == "tag=tag-2\n/data\ndataset-v1\n65536\n")
        let again = try #require(
            RunStore(workspace: s.repo.path).list().records.first {
                $0.reproducedFrom != nil && $0.container?.volumes.isEmpty == false
            })
        #expect(again.container?.shmSize == "64m")
        #expect(again.container?.environmentNames == ["TRAIN_TAG"])
    }

    @Test func badInputIsRejectedAndLeavesTheWorkspaceAlone() throws {
        let s = try makeSetup()
        defer { s.cleanup() }
        let before = try snapshot(s)
        let cases: [([String], String)] = [
            (["reproduce", "0000000bad", "--", "true"], "unknown revision '0000000bad'"),
            (["reproduce", "no-such-branch", "--", "true"], "unknown revision 'no-such-branch'"),
            (["reproduce", s.c0, "--", "true"], "has no envctl.lock"),
            (["reproduce", s.c3, "--", "true"], "the lock at commit \(String(s.c3.prefix(12))) is not valid"),
            (["reproduce", s.c1], "no command to reproduce"),
            (["reproduce", s.c1, "--run", "nope"], "no run 'nope'"),
            (["reproduce", s.c1, "--env", "other", "--", "true"], "no environment 'other'"),
            (["diff", s.c0, s.c2], "has no envctl.lock"),
        ]
        for (args, message) in cases {
            let r = try envctl(s, args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(try snapshot(s) == before)
        #expect(!FileManager.default.fileExists(atPath: s.repo.path + "/.envctl"))
    }

    @Test func diffShowsWhatChangedBetweenCommitsAndFiles() throws {
        let s = try makeSetup()
        defer { s.cleanup() }
        let r = try envctl(s, ["diff", s.c1, s.c2])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        #expect(lines.first == "environment train (changed)")
        #expect(lines.contains("cuda 12.1.1 12.4.1"))
        #expect(lines.contains("framework torch 2.4.0 (cu124) torch 2.5.1 (cu124)"))
        #expect(lines.contains("pushed digest \(s.d1) \(s.d2)"))
        #expect(lines.contains("package numpy 1.26.4 2.0.0"))
        #expect(lines.contains("package requests - 2.32.3"))
        #expect(lines.contains("package torch 2.4.0 2.5.1"))
        #expect(!lines.contains { $0.hasPrefix("cudnn") })

        let json = try envctl(s, ["diff", s.c1, "envctl.lock", "--json"])
        #expect(json.status == 0)
        let diff = try JSONDecoder().decode(LockDiff.self, from: Data(json.stdout.utf8))
        #expect(diff.a == String(s.c1.prefix(12)))
        #expect(diff.b == "envctl.lock")
        #expect(
            diff.environments.first?.changes.contains(.init(field: "package requests", a: nil, b: "2.32.3")) == true)
        let same = try envctl(s, ["diff", s.c2, "HEAD"])
        #expect(
            same.stdout
                == "no differences between \(String(s.c2.prefix(12))) and \(String(try s.repo.git("rev-parse", "HEAD").prefix(12)))\n"
        )
    }
}

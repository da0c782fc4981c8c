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

/// `envctl run`'s daily-workflow flags against real podman: a `serve` environment publishing a port, and the
/// local-image fallback finding the name `envctl build` gives.
@Suite(
    "envctl run flags (podman)", .serialized, ContainerLab.requirement, .requires(["slirp4netns"]),
    .tags(.container, .registry))
struct RunFlagsCommandTests {
    /// A free loopback port, chosen by the kernel.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        guard bound else { throw FixtureError(message: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func serveEnvironmentPublishesAPortEndToEnd() throws {
        let lab = try ContainerLab(network: "slirp4netns")
        defer { lab.shutdown() }
        try lab.buildImage("serve:1", files: ["www/index.html": "served-by-envctl\n"])
        let digest = try lab.push("localhost/serve:1", to: "envctl/serve:envctl-2222")
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let env = LockFactory.environment(
            name: "serve", image: "\(lab.registryHost)/envctl/serve",
            pushed: PushedImage(reference: "\(lab.registryHost)/envctl/serve:envctl-2222", digest: digest))
        try repo.commit("lock", files: ["envctl.lock": try LockFactory.lockfile([env]).yaml()])

        let port = try Self.freePort()
        let name = "envctl-serve-test-\(port)"
        let secret = TestSecrets.prefix + "run-token-Wb72"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RepoPaths.envctlBinary)
        p.arguments = [
            "run", "--runtime", "podman", "--env", "serve", "--name", name, "-p", "127.0.0.1:\(port):8000",
            "-e", "API_TOKEN=\(secret)", "--no-protective-tag", "--",
            "sh", "-c", "trap 'exit 0' TERM; test -n \"$API_TOKEN\" && httpd -f -p 8000 -h /www & wait",
        ]
        p.currentDirectoryURL = URL(fileURLWithPath: repo.path)
        p.environment = ProcessInfo.processInfo.environment.merging(lab.environment) { _, new in new }
        let errURL = URL(fileURLWithPath: lab.dir.path + "/serve.stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        p.standardError = errHandle
        p.standardOutput = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Cleanup on every path: the container goes, and envctl with it.
        defer {
            _ = try? runProcess("podman", ["rm", "-f", name], environment: lab.environment)
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            try? errHandle.close()
        }

        // The server needs a moment to listen: curl retries until it answers (or gives up, failing the test).
        let fetched = try runProcess(
            "curl",
            [
                "-sS", "--retry", "60", "--retry-delay", "1", "--retry-all-errors", "--max-time", "5",
                "http://127.0.0.1:\(port)/index.html",
            ])
        #expect(fetched.status == 0, "curl: \(fetched.stderr)")
        #expect(fetched.stdout == "served-by-envctl\n")

        try lab.tool("podman", ["stop", "-t", "10", name])
        p.waitUntilExit()
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 0, "envctl: \(stderr)")
        #expect(stderr.contains("--no-protective-tag"))
        #expect(!stderr.contains(secret))

        let record = try #require(RunStore(workspace: repo.path).list().records.first)
        #expect(record.exitCode == 0)
        #expect(
            record.container
                == RunRecord.ContainerStamp(
                    name: name, workdir: nil, environmentNames: ["API_TOKEN"], envFiles: [], volumes: [],
                    publish: ["127.0.0.1:\(port):8000"], gpus: "all"))
        #expect(record.protectiveTags.isEmpty)
        #expect(try lab.tags("envctl/serve") == ["envctl-2222"])
        let raw = try String(contentsOfFile: RunStore(workspace: repo.path).path(for: record.id), encoding: .utf8)
        #expect(!raw.contains(secret))
        let show = try runProcess(RepoPaths.envctlBinary, ["runs", "show", record.id], cwd: repo.path)
        #expect(show.status == 0 && !show.stdout.contains(secret))
        #expect(show.stdout.contains("API_TOKEN (names only)") && show.stdout.contains("127.0.0.1:\(port):8000"))
    }

    @Test func localFallbackFindsTheNameBuildGives() throws {
        let lab = try ContainerLab()
        defer { lab.shutdown() }
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let env = LockFactory.environment(image: "\(lab.registryHost)/envctl/train", pushed: nil)
        try repo.commit("lock", files: ["envctl.lock": try LockFactory.lockfile([env]).yaml()])
        let local = "localhost/envctl/\(env.name):\(env.contentTag)"
        #expect(ImageSelection.localTag(for: env) == local)

        let missing = try runProcess(
            RepoPaths.envctlBinary, ["run", "--runtime", "podman", "--", "true"], cwd: repo.path,
            environment: lab.environment)
        #expect(missing.status == 64)
        #expect(
            missing.stderr.contains("no local image \(local) or \(lab.registryHost)/envctl/train:\(env.contentTag)"))
        #expect(missing.stderr.contains("hint: run 'envctl build --push --record'"))

        // The name `envctl build` tags its image with (ImageBuildWorkflow.localTag).
        try lab.buildImage("envctl/\(env.name):\(env.contentTag)", files: ["etc/envctl-image": "local-build\n"])
        let r = try runProcess(
            RepoPaths.envctlBinary,
            ["run", "--runtime", "podman", "--workdir", "/etc", "--", "cat", "envctl-image"], cwd: repo.path,
            environment: lab.environment)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "local-build\n")
        #expect(r.stderr.contains("running local image \(local)"))
        let record = try #require(RunStore(workspace: repo.path).list().records.first)
        #expect(record.images == [.init(reference: local, digest: nil, source: "local")])
        #expect(record.protectiveTags.isEmpty)
        #expect(record.container?.workdir == "/etc")
    }
}

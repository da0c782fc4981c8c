import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@Suite("Container invocation") struct ContainerInvocationTests {
    @Test(arguments: [
        (ContainerRuntime.podman, true, nil as String?, ["--ipc=host", "--device", "nvidia.com/gpu=all"]),
        (.docker, true, "16g", ["--shm-size=16g", "--gpus", "all"]),
        (.podman, false, nil, ["--ipc=host"]),
    ])
    func flagsPerRuntime(runtime: ContainerRuntime, gpu: Bool, shm: String?, expected: [String]) {
        let inv = ContainerInvocation(
            runtime: runtime, image: "r.example/t@sha256:" + String(repeating: "a", count: 64),
            command: ["python", "train.py"],
            workspace: "/src", gpu: gpu, shmSize: shm, tty: false, runID: "X")
        let a = inv.arguments
        for flag in expected { #expect(a.contains(flag)) }
        #expect(a.contains("--gpus") == (gpu && runtime == .docker))
        #expect(a.contains("nvidia.com/gpu=all") == (gpu && runtime == .podman))
        #expect(
            Array(a.suffix(3)) == ["r.example/t@sha256:" + String(repeating: "a", count: 64), "python", "train.py"])
        #expect(a.starts(with: ["run", "--rm", "-i"]))
        #expect(a.contains("/src:/workspace"))
    }

    @Test func pinnedReferenceDropsTheTag() {
        let p = PushedImage(
            reference: "127.0.0.1:5000/team/train:envctl-abc", digest: "sha256:" + String(repeating: "f", count: 64))
        #expect(p.pinnedReference == "127.0.0.1:5000/team/train@sha256:" + String(repeating: "f", count: 64))
        #expect(ImageReference.components(of: "host:5000/repo").tag == nil)
        #expect(ImageReference.canonicalName("python") == "docker.io/library/python")
        #expect(ImageReference.canonicalName("registry-1.docker.io/x/y") == "docker.io/x/y")
        #expect(!ImageReference.isPinned("python:3.11"))
        #expect(ImageReference.isPinned("python:3.11@sha256:" + String(repeating: "0", count: 64)))
        #expect(!ImageReference.isPinned("python@sha256:ABC"))
    }
}

/// `envctl run`'s container flags: the exact runtime argv they become, and the values refused (exit 64).
@Suite("Container options") struct ContainerOptionsTests {
    func invocation(_ runtime: ContainerRuntime, _ options: ContainerOptions, gpu: Bool = true) -> [String] {
        var inv = ContainerInvocation(
            runtime: runtime, image: "img@sha256:" + String(repeating: "b", count: 64),
            command: ["python", "serve.py"],
            workspace: "/src", gpu: gpu, shmSize: nil, tty: false, runID: "R1")
        inv.environment = ["ENVCTL_LOCK_HASH": "h"]
        inv.options = options
        return inv.arguments
    }

    @Test func gpuSelectionPerRuntime() throws {
        let two = try ContainerOptions.parse(gpus: "0,1")
        #expect(two.gpus == .devices(["0", "1"]))
        let docker = invocation(.docker, two)
        // docker reads --gpus as one CSV value: the device list is quoted inside the argument itself.
        #expect(docker.contains("--gpus") && docker[docker.firstIndex(of: "--gpus")! + 1] == "\"device=0,1\"")
        let podman = invocation(.podman, two)
        #expect(podman.contains("nvidia.com/gpu=0") && podman.contains("nvidia.com/gpu=1"))
        #expect(podman.filter { $0 == "--device" }.count == 2)
        #expect(!podman.contains("nvidia.com/gpu=all"))

        let uuid = try ContainerOptions.parse(gpus: "GPU-5a2c1e7b-0f3d-4c7e-9a1b-2f6e8d4c3b21")
        #expect(invocation(.podman, uuid).contains("nvidia.com/gpu=GPU-5a2c1e7b-0f3d-4c7e-9a1b-2f6e8d4c3b21"))
        let none = try ContainerOptions.parse(gpus: "none")
        #expect(!invocation(.docker, none).contains("--gpus"))
        #expect(!invocation(.podman, none).contains("--device"))
        #expect(invocation(.docker, try ContainerOptions.parse(gpus: "all")).contains("all"))
        // A host without a GPU gets no GPU flags, whatever was selected.
        #expect(!invocation(.podman, two, gpu: false).contains("--device"))
    }

    @Test func everyFlagBecomesItsOwnArgument() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-opts")
        defer { dir.cleanup() }
        try dir.write("vars.env", "# comment\n\nMODE=serve\nAPI_TOKEN=tok-123456789\n")
        try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        let o = try ContainerOptions.parse(
            env: ["A=1", "SPACED=a b; rm -rf /", "PASS_ME", "A=2"], envFiles: ["vars.env"],
            volumes: ["./data:/data:ro", "cache:/cache"], publish: ["127.0.0.1:8080:8000", "9000/udp"],
            workdir: "/workspace/src", name: "serve-1", cwd: dir.path, processEnvironment: ["PASS_ME": "secret-value"])
        let a = invocation(.podman, o)
        #expect(
            Array(a.prefix(while: { $0 != "img@sha256:" + String(repeating: "b", count: 64) })) == [
                "run", "--rm", "-i", "--name", "serve-1", "--label", "dev.envctl.run=R1", "--ipc=host",
                "-v", "/src:/workspace", "-w", "/workspace/src",
                "--env-file", dir.path + "/vars.env",
                "-e", "A=2", "-e", "SPACED=a b; rm -rf /", "-e", "PASS_ME",
                "-v", dir.path + "/data:/data:ro", "-v", "cache:/cache",
                "-p", "127.0.0.1:8080:8000", "-p", "9000/udp",
                "-e", "ENVCTL_RUN_ID=R1", "-e", "ENVCTL_LOCK_HASH=h", "--device", "nvidia.com/gpu=all",
            ])
        // The record keeps names, never values.
        let stamp = o.stamp
        #expect(stamp.environmentNames == ["A", "API_TOKEN", "MODE", "PASS_ME", "SPACED"])
        let json = String(decoding: try JSONEncoder().encode(stamp), as: UTF8.self)
        for value in ["secret-value", "tok-123456789", "rm -rf", "serve\""] { #expect(!json.contains(value)) }
        #expect(stamp.name == "serve-1" && stamp.workdir == "/workspace/src" && stamp.gpus == "all")
    }

    @Test(arguments: [
        (["-e", "1BAD=x"], "is not a variable name"),
        (["-e", "ENVCTL_RUN_ID=x"], "ENVCTL_ variables are set by envctl"),
        (["-e", "NOT_EXPORTED"], "is not set in envctl's environment"),
        (["-v", "/nonexistent-envctl-path:/data"], "does not exist"),
        (["-v", "data"], "expected SOURCE:DESTINATION"),
        (["-v", "cache:relative"], "must be absolute"),
        (["-v", "cache:/workspace"], "where envctl mounts the workspace"),
        (["-v", "cache:/c:rw,bogus"], "unknown mount option 'bogus'"),
        (["-p", "70000"], "is not a port"),
        (["-p", "8000/icmp"], "tcp, udp or sctp"),
        (["-p", "300.1.1.1:80:80"], "is not an IP address"),
        (["-p", "a:b:c:d"], "at most IP, host port and container port"),
        (["-p", "9-3"], "is not a port"),
        (["--gpus", "0,,1"], "is not a GPU index or UUID"),
        (["--gpus", "0,0"], "listed twice"),
        (["--gpus", "'\"device=0\"'"], "is not a GPU index or UUID"),
        (["--workdir", "src"], "absolute path"),
        (["--name", "-rm"], "not a container name"),
        (["--name", "a b"], "not a container name"),
    ])
    func refusesBadValues(flag: [String], message: String) {
        do {
            _ = try ContainerOptions.parse(
                env: flag[0] == "-e" ? [flag[1]] : [], volumes: flag[0] == "-v" ? [flag[1]] : [],
                publish: flag[0] == "-p" ? [flag[1]] : [], gpus: flag[0] == "--gpus" ? flag[1] : nil,
                workdir: flag[0] == "--workdir" ? flag[1] : nil, name: flag[0] == "--name" ? flag[1] : nil,
                cwd: "/", processEnvironment: [:])
            Issue.record("\(flag) was accepted")
        } catch {
            #expect(error.failureKind == .badInput)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func publishForms() throws {
        for ok in [
            "8000", "8000:8000", "127.0.0.1:8000:8000", "127.0.0.1::8000", "[::1]:8080:80/tcp", "8000-8010:8000-8010",
        ] {
            #expect(try ContainerOptions.parse(publish: [ok]).publish == [ok])
        }
        for ok in ["16g", "512m", "1073741824", "1GiB"] { #expect(try ContainerOptions.parseShmSize(ok) == ok) }
        for bad in ["", "0", "16x", "-1g", "16 g"] {
            #expect(throws: RunsError.self) { try ContainerOptions.parseShmSize(bad) }
        }
    }

    @Test func envFileErrorsPointAtTheLine() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-opts")
        defer { dir.cleanup() }
        try dir.write("bad.env", "OK=1\nnot a line=2\n")
        #expect {
            try ContainerOptions.parse(envFiles: ["bad.env"], cwd: dir.path)
        } throws: { ($0 as? RunsError)?.message.contains("bad.env:2: expected NAME=VALUE") == true }
        #expect {
            try ContainerOptions.parse(envFiles: ["missing.env"], cwd: dir.path)
        } throws: { ($0 as? RunsError)?.message == "--env-file missing.env: no such file" }
    }
}

import EnvctlModel
import EnvctlRuns
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

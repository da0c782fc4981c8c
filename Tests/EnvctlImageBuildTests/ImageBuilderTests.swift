import EnvctlImageBuild
import Foundation
import Testing

@Suite struct ImageBuilderTests {
    @Test(
        arguments: [
            ("[2/2] STEP 4/10: RUN apt-get update", "[2/2] STEP 4/10: RUN apt-get update"),
            ("STEP 3/9: COPY --from=builder /a /a", "STEP 3/9: COPY --from=builder /a /a"),
            ("#12 [runtime 3/9] RUN useradd envctl", "[runtime 3/9] RUN useradd envctl"),
            ("--> Using cache 71b5d5f4322", nil),
            ("Successfully installed envctl-hello-1.0.0", nil),
            ("[notice] A new release of pip", nil),
            ("#5 DONE 0.1s", nil),
        ] as [(String, String?)])
    func stepNames(_ line: String, _ expected: String?) {
        #expect(ImageBuilder.stepName(in: line) == expected)
    }

    @Test func buildahArguments() {
        let builder = ImageBuilder(kind: .buildah, executable: "/usr/bin/buildah", runner: ToolRunner())
        let request = BuildRequest(
            dockerfile: "", contextDirectory: "ctx", localTag: "localhost/envctl/train:envctl-0123",
            buildArgs: ["PIP_INDEX_URL": "http://i/simple", "BASE_IMAGE": "m/nvidia/cuda@sha256:00"],
            sourceDateEpoch: 1700000000,
            ociLayout: "oci", ociRefName: "envctl-0123")
        #expect(
            builder.buildArguments(request, dockerfilePath: "ctx/Dockerfile") == [
                "bud", "--layers", "--timestamp", "1700000000", "--identity-label=false", "-f", "ctx/Dockerfile",
                "-t", "localhost/envctl/train:envctl-0123",
                "--build-arg", "BASE_IMAGE=m/nvidia/cuda@sha256:00", "--build-arg", "PIP_INDEX_URL=http://i/simple",
                "ctx",
            ])
    }

    @Test func mirrorsKeepTheDigest() throws {
        let m = try RegistryMirrors(flags: ["docker.io=127.0.0.1:5000"])
        #expect(
            m.rewrite("docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:ab")
                == "127.0.0.1:5000/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:ab")
        #expect(m.rewrite("ghcr.io/x/y@sha256:ab") == "ghcr.io/x/y@sha256:ab")
        #expect(throws: ImageBuildError.self) { try RegistryMirrors(flags: ["docker.io"]) }
    }

    @Test(
        arguments: [
            ("git@github.com:org/repo.git", "https://github.com/org/repo"),
            ("https://user:token@gitlab.example.com/team/repo.git", "https://gitlab.example.com/team/repo"),
            ("https://github.com/org/repo", "https://github.com/org/repo"),
            ("/srv/git/repo.git", nil),
        ] as [(String, String?)])
    func remotesAreNormalizedWithoutCredentials(_ remote: String, _ expected: String?) {
        #expect(SourceInfo.normalizeRemote(remote) == expected)
    }

    @Test func failingBuildNamesTheStep() throws {
        // A fake builder that prints buildah-style steps and fails in the third.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("envctl-fake-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fake = dir + "/buildah"
        try """
        #!/bin/sh
        echo "[1/2] STEP 1/3: FROM base AS builder"
        echo "[1/2] STEP 2/3: RUN apt-get update"
        echo "[1/2] STEP 3/3: RUN pip install --require-hashes -r /tmp/requirements.lock"
        echo "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE." >&2
        echo 'Error: building at STEP "RUN pip install": exit status 1' >&2
        exit 1
        """.write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let builder = try ImageBuilder.locate(.buildah, runner: ToolRunner(environment: ["PATH": dir]))
        var lines: [String] = []
        let request = BuildRequest(
            dockerfile: "FROM scratch\n", contextDirectory: dir + "/ctx", localTag: "localhost/x:y", buildArgs: [:],
            sourceDateEpoch: 0, ociLayout: dir + "/oci", ociRefName: "y")
        let error = #expect(throws: ImageBuildError.self) { try builder.build(request) { lines.append($0) } }
        #expect(lines.count == 5, "builder output is passed through line by line")
        #expect(error?.step == "build")
        #expect(error?.message.contains("at [1/2] STEP 3/3: RUN pip install --require-hashes") == true)
        #expect(error?.message.contains("exit status 1") == true)
    }
}

import EnvctlImageBuild
import Testing

@Suite struct TargetPlatformTests {
    @Test func aListIsParsedSortedAndWithoutRepeats() throws {
        #expect(
            try TargetPlatform.list(parsing: "linux/arm64, linux/amd64,linux/arm64/v8") == [.linuxAMD64, .linuxARM64])
        #expect(TargetPlatform.linuxARM64.slug == "linux-arm64")
    }

    @Test(arguments: ["linux/riscv64", "windows/amd64", "arm64", "", "linux/arm64/v7"])
    func anUnsupportedPlatformIsBadInput(_ text: String) {
        #expect {
            _ = try TargetPlatform.list(parsing: text)
        } throws: { error in
            (error as? ImageBuildError)?.code == .badInput
        }
    }

    @Test(arguments: [("x86_64", "amd64"), ("aarch64", "arm64"), ("arm64", "arm64"), ("ppc64le", "ppc64le")])
    func unameMachineNamesMapToOCIArchitectures(_ machine: String, _ architecture: String) {
        #expect(TargetPlatform.architecture(uname: machine) == architecture)
    }

    @Test func theHostMustBeAmongTheImagePlatforms() throws {
        try TargetPlatform.check(host: .linuxARM64, in: ["linux/amd64", "linux/arm64"], image: "r/i@sha256:1")
        // An image whose platforms are not recorded (single-platform push records) is not refused.
        try TargetPlatform.check(host: .linuxARM64, in: [String](), image: "r/i@sha256:1")
        #expect {
            try TargetPlatform.check(host: .linuxARM64, in: ["linux/amd64"], image: "r/i@sha256:1")
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.code == .badInput
                && e?.message
                    == "r/i@sha256:1 has no linux/arm64 image (it has linux/amd64); this machine is linux/arm64"
                && e?.hint
                    == "build it for this platform too: envctl build --platform linux/amd64,linux/arm64 --push --record"
        }
    }

    @Test func aPlatformIsPassedToTheBuilderOnlyWhenNamed() {
        let builder = ImageBuilder(kind: .buildah, executable: "/usr/bin/buildah", runner: ToolRunner())
        var request = BuildRequest(
            dockerfile: "", contextDirectory: "ctx", localTag: "t", buildArgs: [:], sourceDateEpoch: 0,
            ociLayout: "oci", ociRefName: "r")
        #expect(!builder.buildArguments(request, dockerfilePath: "D").contains("--platform"))
        request.platform = .linuxARM64
        #expect(
            builder.buildArguments(request, dockerfilePath: "D") == [
                "bud", "--layers", "--timestamp", "0", "--identity-label=false", "-f", "D", "-t", "t",
                "--platform", "linux/arm64", "ctx",
            ])
    }
}

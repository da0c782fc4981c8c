import EnvctlKnowledge
import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@testable import EnvctlResolver

/// Issue 12 §1: fleet platforms inferred from the GPUs (Grace parts are linux/arm64), given explicitly or narrowed
/// per environment; each environment solved for every one of its platforms, against the built-in knowledge base.
@Suite struct PlatformTests {
    let kb = KnowledgeBase.builtin

    func solve(_ text: String) throws -> Resolution {
        try Resolver(knowledgeBase: kb).resolve(try SpecParser().parse(text, path: "envctl.yaml"))[0]
    }

    func failure(_ text: String) throws -> String {
        let parsed = try SpecParser().parse(text, path: "envctl.yaml")
        do {
            _ = try Resolver(knowledgeBase: kb).resolve(parsed)
            return "unexpectedly solved"
        } catch {
            return error.description
        }
    }

    func golden(_ name: String, _ got: String) {
        let path = RepoPaths.path("Tests/EnvctlResolverTests/Snapshots/\(name).txt")
        if let mismatch = goldenMismatch(got + "\n", goldenPath: path) { Issue.record(Comment(rawValue: mismatch)) }
    }

    @Test(arguments: [
        ("gpus: [h100]", [ContainerPlatform.amd64]),
        ("gpus: [gh200]", [ContainerPlatform.arm64]),
        ("gpus: [gb200, gb10]", [ContainerPlatform.arm64]),
        ("gpus: [gb300, a100]", [ContainerPlatform.amd64, ContainerPlatform.arm64]),
        ("gpus: [gh200, h100]", [ContainerPlatform.amd64, ContainerPlatform.arm64]),
        ("gpus: [sm_90]", [ContainerPlatform.amd64]),
        ("driver: \"580.65.06\"", [ContainerPlatform.amd64]),
        ("platforms: [linux/arm64, linux/amd64]\ngpus: [h100]", [ContainerPlatform.amd64, ContainerPlatform.arm64]),
    ])
    func platformsAreInferredFromTheGPUs(fleet: String, expected: [String]) throws {
        let r = try solve(spec("framework: \"torch==2.8.*\"", fleet: fleet))
        #expect(r.platforms == expected)
    }

    @Test func anEnvironmentNarrowsTheFleetPlatforms() throws {
        let r = try solve(
            spec("framework: \"torch==2.8.*\"\nplatforms: [linux/arm64]", fleet: "gpus: [h100, gh200]"))
        #expect(r.platforms == [ContainerPlatform.arm64])
        #expect(r.pythonRuntime.platforms.keys.sorted() == [ContainerPlatform.arm64])
    }

    @Test func bothPlatformsPinAPythonArchiveEach() throws {
        let r = try solve(spec("framework: \"torch==2.8.*\"", fleet: "gpus: [h100, gh200]"))
        #expect(r.pythonRuntime.platforms.keys.sorted() == [ContainerPlatform.amd64, ContainerPlatform.arm64])
        #expect(r.pythonRuntime.platforms[ContainerPlatform.arm64]?.url.contains("aarch64-unknown-linux-gnu") == true)
        #expect(r.framework?.variant == "cu128")
    }

    @Test func aGPUOutsideAnExplicitListIsBadInputAtItsLine() throws {
        let got = try failure(
            spec("framework: \"torch==2.8.*\"", fleet: "platforms: [linux/amd64]\ngpus: [h100, gh200]"))
        #expect(got.contains("envctl.yaml:4:"))
        #expect(got.contains("gh200 runs on linux/arm64, but fleet.platforms (envctl.yaml:3:"))
        golden("gpuContradictsFleetPlatforms", got)
    }

    @Test func anEnvironmentPlatformOutsideTheFleetIsBadInput() throws {
        let got = try failure(spec("framework: \"torch==2.8.*\"\nplatforms: [linux/arm64]", fleet: "gpus: [h100]"))
        #expect(got.contains("envctl.yaml:7:"))
        #expect(got.contains("asks for linux/arm64, which the fleet does not run"))
    }

    @Test(arguments: ["jetson-orin", "Jetson AGX Xavier", "Orin", "jetson-thor"])
    func jetsonIsRefusedNotMisresolvedAsSBSA(gpu: String) throws {
        let got = try failure(spec("framework: \"torch==2.8.*\"", fleet: "gpus: [\"\(gpu)\"]"))
        #expect(got.contains("is a Jetson (Tegra) module: it runs L4T/JetPack"))
        #expect(got.contains("envctl.yaml:3:"))
    }

    @Test func jetsonRefusalReport() throws {
        golden("jetsonRefused", try failure(spec("framework: \"torch==2.8.*\"", fleet: "gpus: [h100, jetson-orin]")))
    }

    @Test func torchTooOldForAarch64IsAConflict() throws {
        let got = try failure(spec("framework: \"torch==2.3.*\"", fleet: "gpus: [h100, gh200]"))
        #expect(
            got.contains("torch 2.3.1 publishes no CUDA wheels for linux/arm64 (aarch64); 2.4.0 is the first that does")
        )
        #expect(got.contains("platforms linux/amd64 and linux/arm64"))
        golden("torchTooOldForAarch64", got)
    }

    @Test func theSameTorchOnAmd64AloneSolves() throws {
        let r = try solve(spec("framework: \"torch==2.3.*\"", fleet: "gpus: [h100]"))
        #expect(r.platforms == [ContainerPlatform.amd64])
    }

    @Test func onlyTheAarch64VariantIsChosen() throws {
        // 2.4.0 publishes aarch64 CUDA wheels only for cu124 (the row is complete), so an arm64 fleet gets cu124.
        let r = try solve(spec("framework: \"torch==2.4.0\"", fleet: "gpus: [gh200]"))
        #expect(r.framework?.variant == "cu124")
        #expect(r.warnings.allSatisfy { !$0.contains("linux/arm64") })
    }

    @Test func unknownAarch64AvailabilityIsAWarning() throws {
        let r = try solve(spec("framework: \"torch==2.5.1\"", fleet: "gpus: [gh200]"))
        #expect(
            r.warnings.contains {
                $0.contains("doesn't say whether torch 2.5.1+") && $0.contains("linux/arm64 (aarch64)")
            })
    }

    /// A GPU of linux/arm64 is checked against the architectures of that platform's wheels (platform_wheels
    /// `archs:`), not the linux/amd64 build's: here (a test knowledge base) torch 2.8.0's aarch64 wheels have
    /// sm 8.0 only while its x86 builds have 9.0, so gh200 (sm_90) has no kernels and h100 (sm_90) does.
    @Test func aGraceGPUIsCheckedWithTheAarch64ArchList() throws {
        let h100 = #"  - {name: h100, sm: "9.0", source: s, confidence: high}"#
        var yaml = fixtureKnowledgeYAML
        #expect(yaml.contains(h100 + "\n"))
        yaml = yaml.replacingOccurrences(
            of: h100 + "\n",
            with: h100 + "\n" + #"  - {name: gh200, sm: "9.0", platform: "linux/arm64", source: s, confidence: high}"#
                + "\n")
        yaml +=
            "\nplatform_wheels:\n"
            + #"  - {framework: torch, platform: linux/arm64, versions: "==2.8.0", variants: [cu126, cu128], archs: {cu126: ["8.0"], cu128: ["8.0"]}, source: s, confidence: low}"#
            + "\n"
        let kb = try KnowledgeBase.load(yaml: yaml, file: "fixture-grace.yaml")
        let arm = try SpecParser().parse(
            spec("framework: \"torch==2.8.0\"", fleet: "gpus: [gh200]"), path: "envctl.yaml")
        do {
            _ = try Resolver(knowledgeBase: kb).resolve(arm)
            Issue.record("expected a conflict: the aarch64 wheels have no sm_90 kernels")
        } catch {
            #expect(
                error.description.contains(
                    "torch 2.8.0+cu128 has no kernels for sm_90 (gh200): its linux/arm64 (aarch64) wheels are built for 8.0 only (source: s; confidence low)"
                ), "\(error.description)")
            golden("graceGPUAarch64ArchList", error.description)
        }
        // The same build on x86 (h100) has sm_90 kernels: its list is the framework row's.
        let x86 = try SpecParser().parse(
            spec("framework: \"torch==2.8.0\"", fleet: "gpus: [h100]"), path: "envctl.yaml")
        #expect(try Resolver(knowledgeBase: kb).resolve(x86).first?.framework?.variant == "cu128")
    }

    /// With the built-in rows, GB200 (sm_100) on torch 2.12 cu126 fails already on the toolkit (CUDA 12.6
    /// predates Blackwell); cu130, whose aarch64 wheels have sm 10.0, is chosen.
    @Test func gb200GetsTheAarch64Cu130Wheels() throws {
        let r = try solve(spec("framework: \"torch==2.12.0\"", fleet: "gpus: [gb200]"))
        #expect(r.framework?.variant == "cu130")
        #expect(r.platforms == [ContainerPlatform.arm64])
        #expect(r.reasons.contains { $0.contains("native kernels") && $0.contains("gb200") }, "\(r.reasons)")
    }

    /// The per-platform list applies only to that platform's GPUs: h100 (linux/amd64) is checked with the x86
    /// build's list, gh200 (linux/arm64, sm_90) with the aarch64 one; both have sm_90 kernels in cu126.
    @Test func eachGPUIsCheckedWithItsPlatformsList() throws {
        let r = try solve(spec("framework: \"torch==2.12.0\"\ncuda: \"12.6\"", fleet: "gpus: [h100, gh200]"))
        #expect(r.framework?.variant == "cu126")
        #expect(r.platforms == [ContainerPlatform.amd64, ContainerPlatform.arm64])
    }

    @Test func aSingleAmd64SpecResolvesAsBefore() throws {
        let r = try solve(spec("framework: \"torch==2.8.*\"", fleet: "gpus: [h100]"))
        #expect(r.platforms == Resolution.defaultPlatforms)
        #expect(r.warnings.allSatisfy { !$0.contains("arm64") })
    }
}

import EnvctlKnowledge
import EnvctlModel
import EnvctlTestSupport
import Testing

@testable import EnvctlResolver

/// The cases of issue 10 against the built-in knowledge base: the driver must drive every fleet GPU, cuDNN must
/// support it, and suggestions are the smallest change. Each conflict report is a golden file.
@Suite struct FleetSupportTests {
    let kb = KnowledgeBase.builtin

    func report(_ text: String) throws -> String {
        let parsed = try SpecParser().parse(text, path: "envctl.yaml")
        do {
            _ = try Resolver(knowledgeBase: kb).resolve(parsed)
            return "unexpectedly solved"
        } catch {
            return error.description
        }
    }

    func check(_ name: String, _ text: String, mentions: [String]) throws {
        let got = try report(text)
        for m in mentions { #expect(got.contains(m), "\(name): expected '\(m)' in:\n\(got)") }
        let golden = RepoPaths.path("Tests/EnvctlResolverTests/Snapshots/\(name).txt")
        if let mismatch = goldenMismatch(got + "\n", goldenPath: golden) {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    // §1: the driver must drive the GPU, whatever the compatibility mode.
    @Test func b200On535() throws {
        try check(
            "b200On535", spec("framework: \"torch==2.8.*\"", fleet: "driver: \"535.104.05\"\ngpus: [b200]"),
            mentions: ["can't drive sm_100 (b200)", "upgrade the driver on the b200 nodes to >= 570.133.20"])
    }

    @Test func rtx5090On535() throws {
        try check(
            "rtx5090On535", spec("framework: \"torch==2.8.*\"", fleet: "driver: \"535.104.05\"\ngpus: [rtx5090]"),
            mentions: ["can't drive sm_120 (rtx5090)", ">= 570.26"])
    }

    @Test func h100On470() throws {
        try check(
            "h100On470",
            spec("framework: \"torch==2.5.*\"\ncuda: \"11.8\"", fleet: "driver: \"470.82.01\"\ngpus: [h100]"),
            mentions: ["can't drive sm_90 (h100)", ">= 520.61.05"])
    }

    @Test func v100On590() throws {
        try check(
            "v100On590", spec("framework: \"torch==2.8.*\"", fleet: "driver: \"590.44.01\"\ngpus: [v100]"),
            mentions: ["Volta support ended with driver branch 580", "keep the v100 nodes on the 580 branch"])
    }

    // §2: cuDNN must support the GPU; the report says which part fails.
    @Test func k80TorchCu118() throws {
        try check(
            "k80TorchCu118",
            spec("framework: \"torch==2.7.1\"\ncuda: \"11.8\"", fleet: "driver: \"470.82.01\"\ngpus: [k80]"),
            mentions: [
                "cuDNN 9.1.0.70 (in torch 2.7.1+cu118) supports compute capability 5.0 and newer, not sm_37 (k80)"
            ])
    }

    @Test func k80PlainCudnn8() throws {
        try check(
            "k80PlainCudnn8", spec("cuda: \"11.8\"\ncudnn: \"8\"", fleet: "driver: \"470.82.01\"\ngpus: [k80]"),
            mentions: ["cuDNN 8.9.6.50 (in the docker.io/nvidia/cuda 11.8.0 images)", "not sm_37 (k80)"])
    }

    /// Without cuDNN, a plain CUDA 11.8 image runs on a K80 on branch 470, and the reason no longer claims
    /// "native kernels in this build" (there is no build).
    @Test func k80PlainWithoutCuDNNSaysToolkit() throws {
        let parsed = try SpecParser().parse(
            spec("cuda: \"11.8\"", fleet: "driver: \"470.82.01\"\ngpus: [k80]"), path: "envctl.yaml")
        let r = try Resolver(knowledgeBase: kb).resolve(parsed)[0]
        #expect(!r.reasons.contains { $0.contains("native kernels") })
        #expect(r.reasons.contains { $0.contains("CUDA 11.8.0 supports sm_37 (k80)") })
        #expect(r.reasons.contains { $0.contains("Kepler support ended with driver branch 470") })
    }

    /// A fleet driver inside every GPU's range still resolves, and the lock's minimum driver includes the GPU's floor.
    @Test func blackwellFloorRaisesTheMinimum() throws {
        let parsed = try SpecParser().parse(
            spec("framework: \"torch==2.8.*\"", fleet: "driver: \"575.57.08\"\ngpus: [b200, h100]"), path: "envctl.yaml"
        )
        let r = try Resolver(knowledgeBase: kb).resolve(parsed)[0]
        #expect(r.driverMinimum?.text == "570.133.20")
    }

    // §6: suggestions are the smallest change.
    @Test func h100Cuda117SuggestsCuda118() throws {
        try check(
            "h100Cuda117", spec("framework: torch\ncuda: \"11.7\"", fleet: "driver: \"550.54.15\"\ngpus: [h100]"),
            mentions: ["- cuda: \"11.8\" gives"])
    }

    @Test func sm120Cuda126SuggestsCuda128() throws {
        try check(
            "sm120Cuda126", spec("cuda: \"12.6\"", fleet: "driver: \"570.124.06\"\ngpus: [sm_120]"),
            mentions: ["- cuda: \"12.8\" gives"])
    }
}

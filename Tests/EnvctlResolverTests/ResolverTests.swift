import EnvctlKnowledge
import EnvctlModel
import EnvctlTestSupport
import Testing

@testable import EnvctlResolver

/// Writes a spec with one environment `train` and the given fleet.
func spec(_ env: String, fleet: String = "") -> String {
    var s = "version: 1\n"
    if !fleet.isEmpty { s += "fleet:\n" + fleet.split(separator: "\n").map { "  \($0)\n" }.joined() }
    s += "environments:\n  train:\n" + env.split(separator: "\n").map { "    \($0)\n" }.joined()
    return s
}

func resolve(_ text: String) throws -> Resolution {
    let parsed = try SpecParser().parse(text, path: "envctl.yaml")
    return try Resolver(knowledgeBase: fixtureKnowledge).resolve(parsed)[0]
}

func failureReport(_ text: String) throws -> String {
    let parsed = try SpecParser().parse(text, path: "envctl.yaml")
    do {
        _ = try Resolver(knowledgeBase: fixtureKnowledge).resolve(parsed)
        return "unexpectedly solved"
    } catch {
        return error.description
    }
}

struct ResolverCase: CustomTestStringConvertible, Sendable {
    var name: String
    var env: String
    var fleet: String = ""
    var expect: String  // "torch 2.5.1+cu124 cuda 12.4.1 py 3.11 ubuntu22.04 base|devel compat"

    var testDescription: String { name }
}

@Suite struct ResolverTableTests {
    static let cases: [ResolverCase] = [
        ResolverCase(
            name: "newest torch overall", env: "framework: torch",
            expect: "torch 2.8.0+cu128 cuda 12.8.1 cudnn 9.10.2.21 py 3.13 ubuntu24.04 base/devel unchecked"),
        ResolverCase(
            name: "series pin picks newest build", env: "framework: \"torch==2.5.*\"",
            expect: "torch 2.5.1+cu124 cuda 12.4.1 cudnn 9.1.0.70 py 3.12 ubuntu22.04 base/devel unchecked"),
        ResolverCase(
            name: "cuda constraint selects the variant", env: "framework: \"torch==2.5.*\"\ncuda: \"12.1\"",
            expect: "torch 2.5.1+cu121 cuda 12.1.1 cudnn 9.1.0.70 py 3.12 ubuntu22.04 base/devel unchecked"),
        ResolverCase(
            name: "python constraint", env: "framework: \"torch==2.5.*\"\npython: \"3.10\"",
            expect: "torch 2.5.1+cu124 cuda 12.4.1 cudnn 9.1.0.70 py 3.10 ubuntu22.04 base/devel unchecked"),
        ResolverCase(
            name: "old driver falls back to minor-version compatibility",
            env: "framework: \"torch==2.5.*\"", fleet: "driver: \"535.104.05\"\ngpus: [a100, h100]",
            expect: "torch 2.5.1+cu124 cuda 12.4.1 cudnn 9.1.0.70 py 3.12 ubuntu22.04 base/devel minor-version"),
        ResolverCase(
            name: "driver below 12.x floor forces cu118",
            env: "framework: \"torch==2.5.*\"", fleet: "driver: \"520.61.05\"",
            expect: "torch 2.5.1+cu118 cuda 11.8.0 cudnn 9.1.0.70 py 3.12 ubuntu22.04 base/devel full"),
        ResolverCase(
            name: "blackwell needs a cu128 build", env: "framework: torch",
            fleet: "driver: \"570.124.06\"\ngpus: [rtx5090]",
            expect: "torch 2.8.0+cu128 cuda 12.8.1 cudnn 9.10.2.21 py 3.13 ubuntu24.04 base/devel full"),
        ResolverCase(
            name: "with python_source: os the OS must ship the Python",
            env: "framework: torch\npython: \"3.10\"\npython_source: os",
            expect: "torch 2.8.0+cu128 cuda 12.8.1 cudnn 9.10.2.21 py 3.10 ubuntu22.04 base/devel unchecked"),
        ResolverCase(
            name: "os constraint", env: "framework: torch\nos: ubuntu22.04",
            expect: "torch 2.8.0+cu128 cuda 12.8.1 cudnn 9.10.2.21 py 3.13 ubuntu22.04 base/devel unchecked"),
        ResolverCase(
            name: "plain CUDA env with cuDNN uses cudnn images", env: "cuda: \"12.4\"\ncudnn: \"9\"",
            expect: "- cuda 12.4.1 cudnn 9.1.0.70 py 3.13 ubuntu22.04 cudnn-runtime/cudnn-devel unchecked"),
        ResolverCase(
            name: "plain CUDA env without cuDNN uses runtime images", env: "cuda: \">=12.1,<12.5\"\npython: \"3.11\"",
            expect: "- cuda 12.4.1 - py 3.11 ubuntu22.04 runtime/devel unchecked"),
        ResolverCase(
            name: "cuDNN 8 pins an older plain CUDA", env: "cudnn: \"8\"",
            expect: "- cuda 12.1.1 cudnn 8.9.0.131 py 3.13 ubuntu22.04 cudnn8-runtime/cudnn8-devel unchecked"),
        ResolverCase(
            name: "libraries from the image for torch", env: "framework: \"torch==2.5.*\"\ncuda_libraries: image",
            expect:
                "torch 2.5.1+cu124 cuda 12.4.1 cudnn 9.1.0.70 py 3.12 ubuntu22.04 cudnn-runtime/cudnn-devel unchecked"),
    ]

    @Test(arguments: cases)
    func resolves(_ c: ResolverCase) throws {
        let r = try resolve(spec(c.env, fleet: c.fleet))
        let fw = r.framework.map { "\($0.name.rawValue) \($0.version)+\($0.variant)" } ?? "-"
        let base = r.baseImage.split(separator: ":").last!.split(separator: "-").dropFirst().dropLast().joined(
            separator: "-")
        let builder = r.builderImage.split(separator: ":").last!.split(separator: "-").dropFirst().dropLast().joined(
            separator: "-")
        let got =
            "\(fw) cuda \(r.cuda) \(r.cudnn.map { "cudnn \($0)" } ?? "-") py \(r.python) \(r.os) \(base)/\(builder) \(r.compatibility.rawValue)"
        #expect(got == c.expect)
    }

    @Test func driverNumbersAreReported() throws {
        let r = try resolve(spec("framework: \"torch==2.5.*\"", fleet: "driver: \"535.104.05\"\ngpus: [a100, h100]"))
        #expect(r.driverMinimum?.text == "525.60.13")
        #expect(r.driverFull?.text == "550.54.15")
        #expect(r.archs == ["sm_80", "sm_90"])
        #expect(r.framework?.indexURL == "https://download.pytorch.org/whl/cu124")
        #expect(r.framework?.companions["torchvision"]?.text == "0.20.1")
        #expect(r.baseImage == "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04")
        #expect(r.builderImage == "docker.io/nvidia/cuda:12.4.1-devel-ubuntu22.04")
        #expect(
            r.reasons.contains { $0.contains("minor-version compatibility") && $0.contains("PTX JIT is unavailable") })
    }

    @Test func sameInputSameOutput() throws {
        let text = spec("framework: torch", fleet: "driver: \"550.54.15\"\ngpus: [l4, h100]")
        let a = try resolve(text), b = try resolve(text)
        #expect(a == b)
    }

    @Test func unknownGPUIsALocatedDiagnostic() throws {
        let report = try failureReport(spec("framework: torch", fleet: "gpus: [a100, quantum9000]"))
        #expect(report.contains("envctl.yaml:3:16: error: unknown GPU 'quantum9000'"))
    }
}

@Suite struct ConflictReportTests {
    func check(_ name: String, _ text: String) throws {
        let report = try failureReport(text)
        let golden = RepoPaths.path("Tests/EnvctlResolverTests/Snapshots/\(name).txt")
        if let mismatch = goldenMismatch(report + "\n", goldenPath: golden) {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test func cudaNotPublishedForRelease() throws {
        try check("cudaNotPublishedForRelease", spec("framework: \"torch==2.3.*\"\ncuda: \"12.4\""))
    }

    @Test func driverTooOld() throws {
        try check("driverTooOld", spec("framework: \"torch==2.8.*\"", fleet: "driver: \"470.82.01\""))
    }

    @Test func gpuTooNewForRelease() throws {
        try check(
            "gpuTooNewForRelease", spec("framework: \"torch==2.5.*\"", fleet: "driver: \"570.124.06\"\ngpus: [rtx5090]")
        )
    }

    @Test func pythonOutOfRange() throws {
        try check("pythonOutOfRange", spec("framework: \"torch==2.3.*\"\npython: \"3.13\""))
    }

    @Test func unknownFrameworkVersion() throws {
        try check("unknownFrameworkVersion", spec("framework: \"torch==9.*\""))
    }

    @Test func cudnnMismatch() throws {
        try check("cudnnMismatch", spec("framework: \"torch==2.3.*\"\ncudnn: \"9\""))
    }

    @Test func voltaDroppedByCUDA13LikeConstraint() throws {
        try check("plainCudaOsMissing", spec("cuda: \"12.4\"\nos: ubuntu24.04"))
    }
}

extension ConflictReportTests {
    @Test func osDoesNotShipThePython() throws {
        try check(
            "osDoesNotShipThePython",
            spec("framework: \"torch==2.8.*\"\npython: \"3.13\"\nos: ubuntu24.04\npython_source: os"))
    }
}

/// Framework nightlies and pre-releases (PEP 440 dev/pre versions): an overlay row resolves them through
/// its own index; without one the answer is a conflict that says how to add it, never a parse error.
@Suite struct NightlyTests {
    func withOverlay() throws -> KnowledgeBase {
        fixtureKnowledge.merging(
            try KnowledgeBase.load(fileAt: RepoPaths.path("Tests/Fixtures/knowledge/torch-nightly-overlay.yaml")))
    }

    func resolve(_ text: String, _ kb: KnowledgeBase) throws -> Resolution {
        try Resolver(knowledgeBase: kb).resolve(try SpecParser().parse(text, path: "envctl.yaml"))[0]
    }

    @Test(arguments: ["torch==2.16.0.dev20261120", "torch>=2.16.0.dev0", "torch 2.16.0.dev20261120"])
    func overlayRowResolvesTheNightly(_ framework: String) throws {
        let r = try resolve(spec("framework: \"\(framework)\""), try withOverlay())
        let fw = try #require(r.framework)
        #expect(fw.version.text == "2.16.0.dev20261120")
        #expect(fw.variant == "cu128")
        #expect(fw.indexURL == "https://download.pytorch.org/whl/nightly/cu128")
        #expect(fw.companions["torchvision"]?.text == "0.31.0.dev20261120")
        #expect(r.cuda.text == "12.8.1")
    }

    @Test func finalReleasesKeepTheirIndexAndNightliesNeedAsking() throws {
        let kb = try withOverlay()
        for framework in ["torch", "torch>=2.5", "torch<2.17"] {
            let r = try resolve(spec("framework: \"\(framework)\""), kb)
            #expect(r.framework?.version.text == "2.8.0", "\(framework)")
            #expect(r.framework?.indexURL?.hasPrefix("https://download.pytorch.org/whl/cu") == true)
        }
    }

    @Test func withoutAnOverlayRowTheNightlyIsRefusedWithTheReason() throws {
        try ConflictReportTests().check("nightlyNotInKnowledgeBase", spec("framework: \"torch==2.16.0.dev20261120\""))
        let report = try failureReport(spec("framework: \"torch>=2.16.0.dev0\""))
        #expect(
            report.contains("nightlies aren't in the knowledge base; add an overlay row (docs/knowledge-base.md)"))
        #expect(!report.contains("not a version clause"))
    }

    @Test func aSeriesWithOnlyANightlyIsNotANightlyRequest() throws {
        // `==2.16.*` names no pre-release, so the overlay's nightly doesn't match and nothing else does.
        let parsed = try SpecParser().parse(spec("framework: \"torch==2.16.*\""), path: "envctl.yaml")
        #expect(throws: (any Error).self) { try Resolver(knowledgeBase: try withOverlay()).resolve(parsed) }
    }

    @Test func finalVersionMissIsNotCalledANightly() throws {
        #expect(!(try failureReport(spec("framework: \"torch==9.*\""))).contains("nightlies"))
    }
}

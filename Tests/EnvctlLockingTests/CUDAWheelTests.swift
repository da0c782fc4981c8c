import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlResolver
import EnvctlTestSupport
import Foundation
import Testing

@Suite struct CUDAWheelNameTests {
    func pkg(_ name: String, _ version: String) -> LockedPackage {
        LockedPackage(name: name, version: version, index: nil, hashes: ["sha256:0"])
    }

    @Test func cu12NamesMapToTheirComponents() throws {
        let stack = CUDAWheelStack(packages: [
            pkg("nvidia-cuda-runtime-cu12", "12.9.79"), pkg("nvidia-cudnn-cu12", "9.10.2.21"),
            pkg("nvidia-nccl-cu12", "2.27.3"), pkg("nvidia-cublas-cu12", "12.9.1.4"), pkg("numpy", "2.1.0"),
            pkg("nvidia-cuda-nvrtc-cu12", "12.9.86"),
        ])
        #expect(stack.cudaMinor == Version("12.9"))
        #expect(stack.runtime?.cudaMajor == 12)
        #expect(stack.cudnn?.version == Version("9.10.2.21"))
        #expect(stack.cudnn?.cudaMajor == 12)
        #expect(stack.nccl?.version == Version("2.27.3"))
        #expect(stack.cublas?.version == Version("12.9.1.4"))
        #expect(stack.components.count == 4)
    }

    @Test func cu13NamesIncludingUnsuffixedToolkitWheels() throws {
        let stack = CUDAWheelStack(packages: [
            pkg("nvidia-cuda-runtime", "13.0.96"), pkg("nvidia_cudnn_cu13", "9.13.0.50"),
            pkg("nvidia-nccl-cu13", "2.27.7"), pkg("nvidia-cublas", "13.1.0.3"),
        ])
        #expect(stack.cudaMinor == Version("13.0"))
        #expect(stack.runtime?.cudaMajor == 13)
        #expect(stack.cublas?.cudaMajor == 13)
        #expect(stack.cudnn?.cudaMajor == 13)
        #expect(stack.nccl?.version == Version("2.27.7"))
        // The deprecated suffixed CUDA 13 runtime name still counts.
        #expect(CUDAWheelStack.classify("nvidia-cuda-runtime-cu13")?.kind == .cudaRuntime)
        #expect(CUDAWheelStack.classify("nvidia-cuda-runtime-cu13")?.cudaMajor == 13)
    }

    @Test func otherNamesAreNotComponents() {
        for name in ["nvidia-cudnn-frontend", "nvidia-cuda-nvcc-cu12", "cudnn", "nvidia-ml-py", "jax-cuda12-plugin"] {
            #expect(CUDAWheelStack.classify(name) == nil, "\(name)")
        }
        // Local version labels don't hide the release.
        let stack = CUDAWheelStack(packages: [pkg("nvidia-cuda-runtime-cu12", "12.4.127+cu124")])
        #expect(stack.cudaMinor == Version("12.4"))
    }
}

/// The fixture knowledge base plus a jax whose `cuda12` build the knowledge base pairs with CUDA 12.6 and
/// cuDNN 9.5, and which reaches sm_90 only through PTX (so the full driver of its CUDA is needed).
let jaxKnowledge: KnowledgeBase = {
    var yaml = fixtureKnowledgeYAML
    let row12_4 =
        #"  - {version: "12.4.1", driver: "550.54.15", minor_compat_floor: "525.60.13", source: s, confidence: high}"#
    let rows = [
        #"  - {version: "12.6.3", driver: "560.35.05", minor_compat_floor: "525.60.13", source: s, confidence: high}"#,
        #"  - {version: "12.9.1", driver: "575.57.08", minor_compat_floor: "525.60.13", source: s, confidence: high}"#,
    ]
    let jax = [
        "  jax:",
        "    package: jax",
        "    releases:",
        #"      - version: "0.12.0.2""#,
        #"        python: ">=3.10,<3.14""#,
        "        builds:",
        #"          - {variant: cuda12, cuda: "12.6", cudnn: "9.5.1.17", extra: cuda12, archs: ["8.0", "8.0+PTX"]}"#,
        "        source: s",
        "        confidence: high",
    ]
    precondition(yaml.contains(row12_4 + "\n") && yaml.contains("\nimages:\n"))
    yaml = yaml.replacingOccurrences(of: row12_4 + "\n", with: ([row12_4] + rows).joined(separator: "\n") + "\n")
    yaml = yaml.replacingOccurrences(of: "\nimages:\n", with: "\n" + jax.joined(separator: "\n") + "\nimages:\n")
    do { return try KnowledgeBase.load(yaml: yaml, file: "fixture-jax.yaml") } catch { fatalError("\(error)") }
}()

/// Real uv against a local index where `jax[cuda12]` pulls the newest `nvidia-*-cu12` wheels (CUDA 12.9,
/// cuDNN 9.10), newer than the knowledge base's CUDA 12.6.3 and cuDNN 9.5.1.
@Suite(.serialized, .requires("uv", "python3"), .tags(.uv)) struct CUDAWheelLockTests {
    func spec(driver: String, dir: TemporaryDirectory, server: WheelIndexServer, extra: String = "") throws -> Spec {
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            fleet:
              driver: "\(driver)"
              gpus: [h100]
            environments:
              train:
                framework: "jax==0.12.0.2"
                python: "3.11"
            \(extra)
            """)
        var spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        spec.pythonIndexes.mirrors = ["https://pypi.org/simple": "\(server.baseURL)/pypi-cuda/simple"]
        return spec
    }

    func locker() throws -> Locker {
        let uv = try #require(uvExecutable(), "uv must be installed (ci/setup.sh installs it)")
        return Locker(
            knowledgeBase: jaxKnowledge, pinner: UVPinner(uvPath: uv), images: nil, generatedBy: "envctl test")
    }

    @Test func pinsNewerThanTheFleetDriverAreAConflict() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let spec = try spec(driver: "560.35.05", dir: dir, server: server)
        // The knowledge base's stack alone is fine at this driver.
        let resolution = try #require(try Resolver(knowledgeBase: jaxKnowledge).resolve(spec).first)
        #expect(resolution.cuda == Version("12.6.3"))
        #expect(resolution.compatibility == .full)
        do {
            _ = try await locker().lock(spec, options: LockOptions(offline: true))
            Issue.record("expected a conflict: the pinned CUDA 12.9 wheels need a newer driver for PTX JIT")
        } catch let error as ResolverError {
            #expect(error.failureKind == .failure)
            let report = try #require(error.failures.first).report
            #expect(report.contains("error: no combination satisfies environment 'train'"))
            #expect(
                report.contains(
                    "1. the pinned wheels install CUDA 12.9 (nvidia-cuda-runtime-cu12 12.9.79) and cuDNN 9.10.2.21 (nvidia-cudnn-cu12), not the knowledge base's CUDA 12.6.3 and cuDNN 9.5.1.17, checked with CUDA 12.9.1's driver requirements"
                ), "\(report)")
            #expect(
                report.contains(
                    "2. CUDA 12.9.1 would run the fleet GPUs only through PTX JIT, which needs driver 575.57.08"))
            #expect(report.contains("\"nvidia-cuda-runtime-cu12<12.7\" and \"nvidia-cudnn-cu12<9.6\""))
            #expect(report.contains("upgrade the fleet driver to >= 575.57.08"))
            #expect(report.contains("set cuda_wheels: knowledge-base in environment 'train'"))
        }
    }

    @Test func aNewEnoughFleetGetsALockThatStatesThePinnedStack() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let spec = try spec(driver: "575.57.08", dir: dir, server: server)
        let lock = try await locker().lock(spec, options: LockOptions(offline: true))
        let env = try #require(lock.environments.first)
        #expect(env.cuda == "12.9.79")
        #expect(env.cudnn == "9.10.2.21")
        #expect(env.driver.fullCompatibility == "575.57.08")
        #expect(env.driver.compatibility == .full)
        let expected = try #require(env.expected)
        #expect(expected.cuda == "12.6.3")
        #expect(expected.cudnn == "9.5.1.17")
        #expect(expected.driver.fullCompatibility == "560.35.05")
        #expect(
            env.cudaWheels == [
                "cuda_runtime": "12.9.79", "cudnn": "9.10.2.21", "nccl": "2.27.3", "cublas": "12.9.1.4",
            ])
        #expect(env.reasons.contains { $0.hasPrefix("The pinned wheels install CUDA 12.9 (nvidia-cuda-runtime-cu12") })
        #expect(env.reasons.contains { $0.contains("at least CUDA 12.9.1's toolkit driver 575.57.08") })
        #expect(!env.reasons.contains { $0.contains("CUDA 12.6.3's toolkit driver") })
        // The new fields are in the YAML, read back, and count in the environment hash.
        let yaml = try lock.yaml()
        #expect(yaml.contains("expected:"))
        #expect(yaml.contains("cuda_wheels:"))
        #expect(try Lockfile.parse(yaml, file: "envctl.lock").yaml() == yaml)
        var edited = env
        edited.expected?.cuda = "12.6.2"
        #expect(Locker.contentHash(edited) != env.hash)
        // What `lock --check` derives offline from the lock's own pins is what `lock` wrote.
        let resolution = try #require(try Resolver(knowledgeBase: jaxKnowledge).resolve(spec).first)
        var derived = Locker.skeleton(try #require(spec.environments.first), resolution)
        derived.pythonPackages = env.pythonPackages
        try Locker.applyCUDAWheels(&derived, resolution: resolution, spec: spec, knowledgeBase: jaxKnowledge)
        #expect(derived.cuda == env.cuda)
        #expect(derived.cudnn == env.cudnn)
        #expect(derived.driver == env.driver)
        #expect(derived.expected == env.expected)
        #expect(derived.reasons == env.reasons)
        #expect(derived.cudaWheels == env.cudaWheels)
        #expect(derived.warnings + [Locker.offlineImagesWarning] == env.warnings)
        #expect(Locker.contentHash(env) == env.hash)
    }

    @Test func minorVersionCompatibilityIsStatedNotFullCompatibility() async throws {
        // Without PTX (a100 runs the 8.0 SASS), CUDA 12.9 on driver 560.35.05 works only through minor-version
        // compatibility; the knowledge base's CUDA 12.6.3 would have had full compatibility.
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var spec = try spec(driver: "560.35.05", dir: dir, server: server)
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            fleet:
              driver: "560.35.05"
              gpus: [a100]
            environments:
              train:
                framework: "jax==0.12.0.2"
                python: "3.11"
            """)
        let mirrors = spec.pythonIndexes.mirrors
        spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        spec.pythonIndexes.mirrors = mirrors
        let env = try #require(try await locker().lock(spec, options: LockOptions(offline: true)).environments.first)
        #expect(env.cuda == "12.9.79")
        #expect(env.driver.compatibility == .minorVersion)
        #expect(env.driver.minimum == "525.60.13")
        #expect(env.expected?.driver.compatibility == .full)
    }

    @Test func cudaWheelsKnowledgeBaseHoldsThePinsToTheKnowledgeBasesStack() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let spec = try spec(driver: "560.35.05", dir: dir, server: server, extra: "    cuda_wheels: knowledge-base")
        let env = try #require(try await locker().lock(spec, options: LockOptions(offline: true)).environments.first)
        let pins = Dictionary(uniqueKeysWithValues: env.pythonPackages.packages.map { ($0.name, $0.version) })
        #expect(pins["nvidia-cuda-runtime-cu12"] == "12.6.77")
        #expect(pins["nvidia-cudnn-cu12"] == "9.5.1.17")
        // Constraints bound versions; they add no package.
        #expect(pins["nvidia-nccl-cu12"] == "2.27.3")
        #expect(env.cuda == "12.6.3")
        #expect(env.cudnn == "9.5.1.17")
        #expect(env.expected == nil)
        #expect(env.driver.compatibility == .full)
        #expect(
            env.reasons.contains(
                "The nvidia-* wheels are held to the knowledge base's CUDA and cuDNN (cuda_wheels: knowledge-base): nvidia-cuda-runtime-cu12==12.6.* and nvidia-cudnn-cu12==9.5.*."
            ))
    }

    @Test func cudaWheelsRejectsUnknownValues() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("envctl.yaml", "version: 1\nenvironments:\n  train:\n    cuda_wheels: oldest\n")
        #expect(throws: DiagnosticsError.self) { try SpecParser().parse(fileAt: dir.path + "/envctl.yaml") }
    }
}

/// Issue 12: a two-platform lock's `nvidia-*` pins are checked per platform, each against the fleet GPUs of
/// its platform, and every sentence names the platform. The pins are written here as uv would pin them for
/// each platform (no uv needed: `applyCUDAWheels` reads only the lock's pins).
@Suite struct CUDAWheelPlatformTests {
    /// `jaxKnowledge` plus a Grace part (gh200, linux/arm64), so `gpus: [h100, gh200]` locks both platforms.
    static let knowledge: KnowledgeBase = {
        let h100 = #"  - {name: h100, sm: "9.0", source: s, confidence: high}"#
        let gh200 = #"  - {name: gh200, sm: "9.0", platform: "linux/arm64", source: s, confidence: high}"#
        var yaml = fixtureKnowledgeYAML
        precondition(yaml.contains(h100 + "\n"))
        yaml = yaml.replacingOccurrences(of: h100 + "\n", with: h100 + "\n" + gh200 + "\n")
        let base = try! KnowledgeBase.load(yaml: yaml, file: "fixture-grace.yaml")
        var kb = jaxKnowledge
        kb.gpus = base.gpus
        return kb
    }()

    /// The knowledge base's stack for jax 0.12.0.2 (CUDA 12.6, cuDNN 9.5.1), and a newer one (CUDA 12.9, cuDNN 9.10).
    static let kbPins = [
        LockedPackage(name: "nvidia-cuda-runtime-cu12", version: "12.6.77", index: nil, hashes: ["sha256:0"]),
        LockedPackage(name: "nvidia-cudnn-cu12", version: "9.5.1.17", index: nil, hashes: ["sha256:0"]),
    ]
    static let newerPins = [
        LockedPackage(name: "nvidia-cuda-runtime-cu12", version: "12.9.79", index: nil, hashes: ["sha256:0"]),
        LockedPackage(name: "nvidia-cudnn-cu12", version: "9.10.2.21", index: nil, hashes: ["sha256:0"]),
    ]

    func lock(driver: String, amd64: [LockedPackage], arm64: [LockedPackage]) throws -> LockedEnvironment {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            fleet:
              driver: "\(driver)"
              gpus: [h100, gh200]
            environments:
              train:
                framework: "jax==0.12.0.2"
                python: "3.11"
            """)
        let spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        let resolution = try #require(try Resolver(knowledgeBase: Self.knowledge).resolve(spec).first)
        #expect(resolution.platforms == ["linux/amd64", "linux/arm64"])
        var env = Locker.skeleton(try #require(spec.environments.first), resolution)
        env.pythonPackages = LockedPython(platform: "x86_64-manylinux_2_28", packages: amd64)
        env.platformPythonPackages["linux/arm64"] = LockedPython(platform: "aarch64-manylinux_2_28", packages: arm64)
        try Locker.applyCUDAWheels(&env, resolution: resolution, spec: spec, knowledgeBase: Self.knowledge)
        return env
    }

    @Test func theArm64PinsAreCheckedAgainstTheArm64GPUs() throws {
        // amd64 pins the knowledge base's stack; arm64 pins CUDA 12.9, whose PTX JIT on gh200 needs a newer driver.
        do {
            _ = try lock(driver: "560.35.05", amd64: Self.kbPins, arm64: Self.newerPins)
            Issue.record("expected a conflict: the linux/arm64 pins need driver 575.57.08")
        } catch let error as ResolverError {
            let report = try #require(error.failures.first).report
            #expect(
                report.contains(
                    "1. the pinned linux/arm64 wheels install CUDA 12.9 (nvidia-cuda-runtime-cu12 12.9.79) and cuDNN 9.10.2.21 (nvidia-cudnn-cu12), not the knowledge base's CUDA 12.6.3 and cuDNN 9.5.1.17, checked with CUDA 12.9.1's driver requirements"
                ), "\(report)")
            #expect(report.contains("2. CUDA 12.9.1 would run the fleet GPUs only through PTX JIT"), "\(report)")
            #expect(report.contains("upgrade the fleet driver to >= 575.57.08"), "\(report)")
        }
    }

    @Test func theAmd64PinsAreNamedToo() throws {
        do {
            _ = try lock(driver: "560.35.05", amd64: Self.newerPins, arm64: Self.kbPins)
            Issue.record("expected a conflict: the linux/amd64 pins need driver 575.57.08")
        } catch let error as ResolverError {
            let report = try #require(error.failures.first).report
            #expect(report.contains("1. the pinned linux/amd64 wheels install CUDA 12.9"), "\(report)")
        }
    }

    @Test func anotherPlatformsStackIsStatedWithItsPlatform() throws {
        let env = try lock(driver: "575.57.08", amd64: Self.kbPins, arm64: Self.newerPins)
        // The fields state the first platform's stack, which is the knowledge base's.
        #expect(env.cuda == "12.6.3")
        #expect(env.expected == nil)
        #expect(env.cudaWheels == nil)
        #expect(
            env.reasons.contains(
                "The pinned linux/arm64 wheels install CUDA 12.9 (nvidia-cuda-runtime-cu12 12.9.79) and cuDNN 9.10.2.21 (nvidia-cudnn-cu12), not the knowledge base's CUDA 12.6.3 and cuDNN 9.5.1.17, checked with CUDA 12.9.1's driver requirements."
            ), "\(env.reasons)")
        #expect(env.reasons.contains { $0.hasPrefix("On linux/arm64: ") }, "\(env.reasons)")
    }

    /// Both platforms pin the same newer wheels: one check against every fleet GPU, worded as for one platform.
    @Test func theSameNewerStackOnBothPlatformsIsCheckedOnce() throws {
        let env = try lock(driver: "575.57.08", amd64: Self.newerPins, arm64: Self.newerPins)
        #expect(env.cuda == "12.9.79")
        #expect(env.expected?.cuda == "12.6.3")
        #expect(env.driver.fullCompatibility == "575.57.08")
        #expect(env.reasons.contains { $0.hasPrefix("The pinned wheels install CUDA 12.9") }, "\(env.reasons)")
        #expect(!env.reasons.contains { $0.contains("pinned linux/") || $0.hasPrefix("On linux/") }, "\(env.reasons)")
        do {
            _ = try lock(driver: "560.35.05", amd64: Self.newerPins, arm64: Self.newerPins)
            Issue.record("expected a conflict: PTX JIT on h100 and gh200 needs driver 575.57.08")
        } catch let error as ResolverError {
            let report = try #require(error.failures.first).report
            #expect(report.contains("1. the pinned wheels install CUDA 12.9"), "\(report)")
        }
    }

    @Test func theSameStackOnBothPlatformsAddsNothing() throws {
        let env = try lock(driver: "560.35.05", amd64: Self.kbPins, arm64: Self.kbPins)
        #expect(env.expected == nil)
        #expect(!env.reasons.contains { $0.contains("wheels install") }, "\(env.reasons)")
    }
}

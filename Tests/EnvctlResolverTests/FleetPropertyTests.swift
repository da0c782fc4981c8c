import EnvctlKnowledge
import EnvctlModel
import Foundation
import Testing

@testable import EnvctlResolver

/// A small deterministic generator (SplitMix64), so every run checks the same fleets.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Issue 10 §7: over generated fleets (GPU mixes, drivers 450-600, specs), whenever the resolver says yes, every
/// fleet GPU is supported by the driver, the CUDA toolkit, cuDNN (when used) and the framework build's
/// architectures, as an oracle written here from the knowledge rows checks; whenever it says no, at least one
/// numbered reason names a violation the oracle confirms.
@Suite struct FleetPropertyTests {
    let kb = KnowledgeBase.builtin
    static let gpuNames = [
        "k80", "p100", "p40", "v100", "t4", "a100", "a10", "l4", "l40s", "h100", "h200", "b200", "gb200", "b300",
        "gh200", "gb10", "rtx4090", "rtx5090", "rtxpro6000", "sm_90", "sm_120",
    ]
    static let branches = [
        450, 455, 460, 465, 470, 495, 510, 515, 520, 525, 530, 535, 545, 550, 555, 560, 565, 570, 575, 580, 590,
        595, 600,
    ]

    struct Case {
        var gpus: [String]
        var driver: String
        var env: String
    }

    static func generate(_ rng: inout SeededGenerator) -> Case {
        let count = Int.random(in: 1...3, using: &rng)
        let gpus = (0..<count).map { _ in gpuNames.randomElement(using: &rng)! }
        let major = branches.randomElement(using: &rng)!
        let driver =
            "\(major).\(Int.random(in: 10...200, using: &rng)).\(String(format: "%02d", Int.random(in: 1...20, using: &rng)))"
        var env: [String] = []
        if Bool.random(using: &rng) || Bool.random(using: &rng) {
            let series = ["", "==2.0.*", "==2.3.*", "==2.5.*", "==2.7.*", "==2.8.*", "==2.11.*", "==2.14.*"]
                .randomElement(using: &rng)!
            env.append(series.isEmpty ? "framework: torch" : "framework: \"torch\(series)\"")
            if Int.random(in: 0..<4, using: &rng) == 0 {
                env.append("cuda: \"\(["11.8", "12.1", "12.4", "12.6", "12.8", "13.0"].randomElement(using: &rng)!)\"")
            }
        } else {
            if Bool.random(using: &rng) {
                env.append(
                    "cuda: \"\(["11.8", "12.2", "12.4", "12.6", "12.8", "12.9", "13.0", "13.2"].randomElement(using: &rng)!)\""
                )
            }
            if Bool.random(using: &rng) { env.append("cudnn: \"\(["8", "9"].randomElement(using: &rng)!)\"") }
        }
        return Case(gpus: gpus, driver: driver, env: env.joined(separator: "\n"))
    }

    // MARK: The oracle, written from the knowledge rows (not from the resolver's helpers).

    func driverRangeViolated(_ gpu: FleetGPU, _ d: Version) -> Bool {
        var first: Version?
        var last: Int?
        for row in kb.gpuDrivers where row.architectures.contains(gpu.sm) {
            first = row.firstDriver ?? first
            last = row.lastBranch ?? last
        }
        if let model = gpu.model {
            for row in kb.gpuDrivers
            where row.gpus.contains(where: { GPUModel.normalise($0) == GPUModel.normalise(model) }) {
                first = row.firstDriver ?? first
                last = row.lastBranch ?? last
            }
        }
        if let first, d < first { return true }
        if let last, d.major > last { return true }
        return false
    }

    func toolkitViolated(_ gpu: FleetGPU, cuda: Version) -> Bool {
        guard let arch = kb.architectures.first(where: { $0.sm == gpu.sm }) else { return true }
        let minor = cuda.truncated(to: 2)
        if let f = arch.firstCUDA, minor < f { return true }
        if let l = arch.lastCUDA, minor > l { return true }
        return false
    }

    func cudnnViolated(_ gpu: FleetGPU, cudnn: Version) -> Bool {
        guard let row = kb.cudnn.first(where: { $0.version.truncated(to: 3) == cudnn.truncated(to: 3) }) else {
            return false
        }
        if let archs = row.archs {
            return !archs.compactMap(ComputeCapability.init).contains {
                $0.major == gpu.sm.major && $0.minor <= gpu.sm.minor
            }
        }
        if let m = row.minArch { return gpu.sm < m }
        return false
    }

    func buildArchsViolated(_ gpu: FleetGPU, release: Version, variant: String, fullDriver: Bool) -> Bool {
        guard let rel = kb.family(.torch)?.releases.first(where: { $0.version == release }),
            let build = rel.builds.first(where: { $0.variant == variant }), let archs = build.archs
        else { return false }
        for raw in archs {
            let ptx = raw.uppercased().hasSuffix("+PTX")
            guard let sm = ComputeCapability(ptx ? String(raw.dropLast(4)) : raw) else { continue }
            if sm.major == gpu.sm.major && sm.minor <= gpu.sm.minor { return false }
            if ptx && fullDriver && sm <= gpu.sm { return false }
        }
        return true
    }

    /// Whether one numbered reason names a violation the oracle confirms.
    func confirms(_ sentence: String, gpus: [FleetGPU], driver d: Version, constraints: Constraints) -> Bool {
        func numbers(after marker: String) -> Version? {
            guard let r = sentence.range(of: marker) else { return nil }
            let tail = sentence[r.upperBound...].prefix { $0.isNumber || $0 == "." }
            return Version(String(tail.hasSuffix(".") ? tail.dropLast() : tail))
        }
        for gpu in gpus where sentence.contains(gpu.label) {
            if sentence.contains("can't drive \(gpu.label)") && driverRangeViolated(gpu, d) { return true }
            if let cuda = numbers(after: "CUDA "),
                sentence.contains("predates") || sentence.contains("no longer supports"),
                toolkitViolated(gpu, cuda: cuda)
            {
                return true
            }
            if let c = numbers(after: "cuDNN "), sentence.contains("not \(gpu.label)"), cudnnViolated(gpu, cudnn: c) {
                return true
            }
            if sentence.contains("ended with driver branch"), sentence.contains("no driver runs both") { return true }
            if sentence.contains("has no kernels for \(gpu.label)") { return true }
        }
        if let need = numbers(after: "needs driver "), let lowest = numbers(after: "lowest driver is "), lowest < need {
            return true
        }
        if sentence.contains("you asked for CUDA"), let asked = constraints.cuda?.value,
            let uses = numbers(after: "uses CUDA ") ?? numbers(after: "CUDA "), !asked.matches(uses)
        {
            return true
        }
        if sentence.contains("is published for"), sentence.contains("you asked for CUDA") { return true }
        if sentence.contains("publishes no CUDA wheels for \(ContainerPlatform.arm64)"),
            constraints.platforms.contains(ContainerPlatform.arm64),
            let fw = constraints.framework, let v = sentence.split(separator: " ").dropFirst().first,
            let version = Version(String(v.split(separator: "+").first ?? v)),
            let release = kb.family(fw)?.releases.first(where: { $0.version == version }),
            release.builds.contains(where: {
                if case .unavailable = kb.wheels(fw, version, variant: $0.variant, platform: ContainerPlatform.arm64) {
                    return true
                }
                return false
            })
        {
            return true
        }
        if let cuda = numbers(after: "docker.io/nvidia/cuda "),
            sentence.contains("has no cuDNN runtime and devel images"),
            let tag = kb.images.tags.first(where: { $0.cuda == cuda })
        {
            let withCuDNN = tag.os.values.contains { flavors in
                flavors.contains { $0.hasPrefix("cudnn") && $0.hasSuffix("-runtime") }
                    && flavors.contains { $0.hasPrefix("cudnn") && $0.hasSuffix("-devel") }
            }
            if !withCuDNN { return true }
        }
        if sentence.contains("you asked for cuDNN") || sentence.contains("does not match") { return true }
        return false
    }

    @Test func resolveNeverSaysYesToAFleetItCannotRun() throws {
        var rng = SeededGenerator(state: 10)
        var yes = 0
        var no = 0
        var environments: [String: EnvironmentSpec] = [:]  // parsed once per distinct text
        let resolver = Resolver(knowledgeBase: kb)
        for index in 0..<1000 {
            let c = Self.generate(&rng)
            let env: EnvironmentSpec
            if let known = environments[c.env] {
                env = known
            } else {
                let text =
                    "version: 1\nenvironments:\n  train:\n"
                    + c.env.split(separator: "\n").map { "    \($0)\n" }.joined()
                env = try SpecParser().parse(text, path: "envctl.yaml").environments[0]
                environments[c.env] = env
            }
            let fleet = Fleet(driver: Located(Version(c.driver)!), gpus: c.gpus.map { Located($0) })
            var diagnostics: [Diagnostic] = []
            let gpus = resolver.fleetGPUs(fleet, &diagnostics)
            #expect(diagnostics.isEmpty, "case \(index)")
            var constraints = Constraints(env: env, fleet: fleet, gpus: gpus)
            constraints.platforms = Resolver.fleetPlatforms(fleet, gpus: gpus, &diagnostics)
            let d = Version(c.driver)!
            switch Search(kb: kb, constraints: constraints).solve() {
            case .success(let r):
                yes += 1
                for gpu in gpus {
                    let where_ = "case \(index) (\(c.driver), \(c.gpus), \(c.env)) -> CUDA \(r.cuda)"
                    #expect(!driverRangeViolated(gpu, d), "driver can't drive \(gpu.label): \(where_)")
                    #expect(!toolkitViolated(gpu, cuda: r.cuda), "toolkit misses \(gpu.label): \(where_)")
                    if let cudnn = r.cudnn {
                        #expect(!cudnnViolated(gpu, cudnn: cudnn), "cuDNN \(cudnn) misses \(gpu.label): \(where_)")
                    }
                    if let f = r.framework {
                        #expect(
                            !buildArchsViolated(
                                gpu, release: f.version, variant: f.variant, fullDriver: r.compatibility == .full),
                            "build has no kernels for \(gpu.label): \(where_)")
                    }
                }
                // Every platform of the fleet has the chosen build's CUDA wheels, unless the knowledge base can't say.
                if let f = r.framework {
                    for platform in r.platforms {
                        if case .unavailable = kb.wheels(f.name, f.version, variant: f.variant, platform: platform) {
                            Issue.record("case \(index): \(f.version)+\(f.variant) has no \(platform) wheels")
                        }
                    }
                }
                // The driver meets the CUDA release's requirement for the compatibility mode claimed.
                if let row = kb.cudaRelease(r.cuda) {
                    switch r.compatibility {
                    case .full: #expect(row.driver.map { d >= $0 } ?? false, "case \(index): full claimed")
                    case .minorVersion:
                        #expect(row.minorCompatFloor.map { d >= $0 } ?? false, "case \(index): MVC claimed")
                    default: Issue.record("case \(index): a fleet driver was given, yet compatibility is unchecked")
                    }
                }
            case .failure(let attempts):
                no += 1
                let sentences = Report(kb: kb, constraints: constraints, attempts: attempts).sentences()
                let confirmed = sentences.dropFirst().contains {
                    confirms($0, gpus: gpus, driver: d, constraints: constraints)
                }
                #expect(
                    confirmed,
                    "case \(index) (\(c.driver), \(c.gpus), \(c.env)): no reason names a real violation:\n\(sentences.joined(separator: "\n"))"
                )
            }
        }
        // The generator reaches both answers, so neither half of the property is vacuous.
        #expect(yes > 50)
        #expect(no > 50)
    }
}

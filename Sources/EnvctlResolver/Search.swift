import EnvctlKnowledge
import EnvctlModel
import Foundation

/// Enumerates candidates in preference order and checks each against every constraint.
struct Search {
    let kb: KnowledgeBase
    let constraints: Constraints
    /// What the fleet needs that doesn't depend on the candidate, worked out once per search.
    let fleet: FleetFacts

    init(kb: KnowledgeBase, constraints: Constraints) {
        self.kb = kb
        self.constraints = constraints
        self.fleet = FleetFacts(kb: kb, constraints: constraints)
    }

    /// Per fleet GPU: its driver range and architecture row, and per cuDNN release whether it supports the fleet.
    struct FleetFacts {
        struct GPU {
            var gpu: FleetGPU
            var range: DriverRange
            var family: String
            var architecture: GPUArchitecture?
            /// The first toolkit for the GPU and its bundled driver, when the knowledge base has them.
            var firstToolkit: (cuda: Version, driver: Version)?
        }
        var gpus: [GPU] = []
        /// cuDNN x.y.z -> (unsupported GPU, range, provenance) and whether any GPU's support is unknown.
        var cudnn: [Version: (unsupported: [(FleetGPU, String, Provenance)], unknown: [String])] = [:]

        init(kb: KnowledgeBase, constraints: Constraints) {
            guard !constraints.gpus.isEmpty else { return }
            for gpu in constraints.gpus {
                let arch = kb.architecture(gpu.sm)
                var firstToolkit: (Version, Version)?
                if let first = arch?.firstCUDA, let ga = kb.cudaReleases(minor: first).last, let d = ga.driver {
                    firstToolkit = (ga.version, d)
                }
                gpus.append(
                    GPU(
                        gpu: gpu, range: kb.driverRange(sm: gpu.sm, gpu: gpu.model),
                        family: arch?.family ?? gpu.sm.smName, architecture: arch, firstToolkit: firstToolkit))
            }
            for row in kb.cudnn {
                var entry: (unsupported: [(FleetGPU, String, Provenance)], unknown: [String]) = ([], [])
                for gpu in constraints.gpus {
                    switch kb.cudnnSupport(row.version, sm: gpu.sm) {
                    case .supported: break
                    case .unsupported(let range, let provenance): entry.unsupported.append((gpu, range, provenance))
                    case .unknown: entry.unknown.append(gpu.label)
                    }
                }
                cudnn[row.version.truncated(to: 3)] = entry
            }
        }
    }

    func solve() -> SearchOutcome {
        var attempts: [Attempt] = []
        if let name = constraints.framework {
            guard let family = kb.family(name) else {
                return .failure([
                    Attempt(
                        cuda: Version([0]),
                        problems: [(.framework, "the knowledge base has no \(name.rawValue) releases")])
                ])
            }
            let releases = family.releases.sorted(by: { $0.version > $1.version })
            // Within a release, a build known to publish wheels for every platform comes before one the
            // knowledge base can't vouch for (same order as before for a linux/amd64-only environment).
            func builds(_ release: FrameworkRelease) -> [FrameworkBuild] {
                let ordered = release.builds.sorted(by: Self.buildOrder)
                let known = ordered.filter { knownOnEveryPlatform(name, release, $0) }
                return known + ordered.filter { b in !known.contains { $0.variant == b.variant } }
            }
            // A release the spec's version clause rules out can never succeed, so the first pass skips it: with
            // `torch==2.5.*` that is most of the family, and evaluating each would build its whole report.
            // Only when nothing passes are all candidates evaluated, for the conflict report and its suggestions.
            let fw = name.rawValue
            for release in releases where frameworkVersionProblems(release: release, fw: fw).isEmpty {
                for build in builds(release) {
                    if case .success(let r) = evaluate(family: family, release: release, build: build) {
                        return .success(r)
                    }
                }
            }
            for release in releases {
                for build in builds(release) {
                    switch evaluate(family: family, release: release, build: build) {
                    case .success(let r): return .success(r)
                    case .failure(let a): attempts.append(a)
                    }
                }
            }
        } else {
            let minors = Set(kb.images.tags.map { $0.cuda.truncated(to: 2) }).sorted(by: >)
            for minor in minors {
                switch evaluate(family: nil, release: nil, build: nil, plainMinor: minor) {
                case .success(let r): return .success(r)
                case .failure(let a): attempts.append(a)
                }
            }
        }
        return .failure(attempts)
    }

    /// Whether every platform of the environment is known to have the build's CUDA wheels.
    func knownOnEveryPlatform(_ name: FrameworkName, _ release: FrameworkRelease, _ build: FrameworkBuild) -> Bool {
        constraints.platforms.allSatisfy {
            if case .available = kb.wheels(name, release.version, variant: build.variant, platform: $0) { return true }
            return false
        }
    }

    /// Newest CUDA first; for equal CUDA, the variant name decides so the order is total.
    static func buildOrder(_ a: FrameworkBuild, _ b: FrameworkBuild) -> Bool {
        if a.cuda != b.cuda { return a.cuda > b.cuda }
        return a.variant < b.variant
    }

    enum Evaluation {
        case success(Resolution)
        case failure(Attempt)
    }

    typealias Problem = (ConstraintKind, String)

    /// Checks one candidate (a framework build, or a plain CUDA minor) against every constraint, step by step;
    /// the first CUDA image release of that minor that passes every check gives the resolution.
    func evaluate(
        family: FrameworkFamily?, release: FrameworkRelease?, build: FrameworkBuild?, plainMinor: Version? = nil
    )
        -> Evaluation
    {
        let cudaMinor = build?.cuda.truncated(to: 2) ?? plainMinor!
        let fw = constraints.framework?.rawValue ?? ""
        var problems = frameworkVersionProblems(release: release, fw: fw)
        var warnings: [String] = []
        problems += platformProblems(release: release, build: build, fw: fw, warnings: &warnings)
        let libs = librarySource(release: release, build: build, fw: fw, warnings: &warnings)
        let needCuDNNImage = libs == .image && (constraints.cudnn != nil || release != nil)
        let pythonOptions = choosePythonOptions(release: release, fw: fw, problems: &problems)
        let wheelCuDNN = bundledCuDNN(release: release, build: build, libs: libs, fw: fw, problems: &problems)
        // Images: newest patch of this CUDA minor first.
        let tags = kb.images.tags.filter { $0.cuda.truncated(to: 2) == cudaMinor }.sorted { $0.cuda > $1.cuda }
        if tags.isEmpty {
            problems.append(
                (.images, "no \(kb.images.repository) image for CUDA \(cudaMinor) is in the knowledge base"))
        }
        // The first image release whose own checks pass wins; otherwise report the best-matching one.
        var best: (problems: [Problem], cuda: Version)?
        for tag in tags {
            let image = checkImage(
                tag, release: release, build: build, fw: fw, libs: libs, needCuDNN: needCuDNNImage,
                pythonOptions: pythonOptions, wheelCuDNN: wheelCuDNN)
            if (problems + image.problems).isEmpty, let os = image.os, let flavors = image.flavors,
                let python = image.python
            {
                return .success(
                    resolution(
                        image, tag: tag, os: os, flavors: flavors, python: python, family: family, release: release,
                        build: build, fw: fw, libs: libs, warnings: warnings))
            }
            if best == nil || (best!.problems.contains { $0.0 == .cuda } && !image.problems.contains { $0.0 == .cuda })
            {
                best = (image.problems, tag.cuda)
            }
        }
        let final = problems + (best?.problems ?? [])
        return .failure(
            Attempt(
                release: release, build: build, cuda: best?.cuda ?? cudaMinor,
                problems: final.map { (kind: $0.0, message: $0.1) }))
    }

    /// Every platform of the environment must have the build's CUDA wheels (`platform_wheels:` rows): known
    /// missing is a problem; unknown is a warning, since the lock's per-platform pin then decides.
    func platformProblems(release: FrameworkRelease?, build: FrameworkBuild?, fw: String, warnings: inout [String])
        -> [Problem]
    {
        guard let release, let build, let name = constraints.framework else { return [] }
        var problems: [Problem] = []
        for platform in constraints.platforms where platform != ContainerPlatform.amd64 {
            let arch = platform == ContainerPlatform.arm64 ? " (aarch64)" : ""
            switch kb.wheels(name, release.version, variant: build.variant, platform: platform) {
            case .available: break
            case .unavailable(let provenance, let first):
                let others = release.builds.filter {
                    if case .available = kb.wheels(name, release.version, variant: $0.variant, platform: platform) {
                        return true
                    }
                    return false
                }
                if others.isEmpty {
                    let firstText =
                        first.map { $0 > release.version ? "; \($0) is the first that does" : "" }
                        ?? "; the knowledge base knows no release that does"
                    problems.append(
                        (
                            .platforms,
                            "\(fw) \(release.version) publishes no CUDA wheels for \(platform)\(arch)\(firstText)\(Self.cite(provenance))"
                        ))
                } else {
                    problems.append(
                        (
                            .platforms,
                            "\(Self.label(fw, release, build)) publishes no CUDA wheels for \(platform)\(arch); \(Self.list(others.map { Self.label(fw, release, $0) })) does\(Self.cite(provenance))"
                        ))
                }
            case .unknown:
                warnings.append(
                    "the knowledge base doesn't say whether \(Self.label(fw, release, build)) publishes CUDA wheels for \(platform)\(arch); the lock's \(platform) pin decides"
                )
            }
        }
        return problems
    }

    /// Framework version.
    func frameworkVersionProblems(release: FrameworkRelease?, fw: String) -> [Problem] {
        guard let release else { return [] }
        if let spec = constraints.frameworkVersions {
            if !spec.value.matches(release.version) {
                return [(.framework, "\(fw) \(release.version) does not match \(fw)\(spec.value.text)")]
            }
        } else if release.version.isPrerelease {
            // PEP 440: a pre-release or nightly (an overlay row) is chosen only when the spec names one.
            return [(.framework, "\(fw) \(release.version) is a pre-release; ask for it by name")]
        }
        return []
    }

    /// Where CUDA libraries come from.
    func librarySource(release: FrameworkRelease?, build: FrameworkBuild?, fw: String, warnings: inout [String])
        -> CUDALibrarySource
    {
        let libs = constraints.cudaLibraries ?? (release == nil ? .image : .wheels)
        if let build, libs == .wheels, !build.bundlesCUDA {
            warnings.append(
                "\(fw) \(release!.version) has no pip build that brings CUDA libraries; they come from the CUDA image")
            return .image
        }
        return libs
    }

    /// Every Python the framework and the user accept, newest first; the OS narrows it further per image.
    func choosePythonOptions(release: FrameworkRelease?, fw: String, problems: inout [Problem]) -> [Version] {
        let pythons = kb.python.map(\.version).sorted(by: >)
        let inFramework = pythons.filter { release?.python.matches($0) ?? true }
        let asked = inFramework.filter { constraints.python?.value.matches($0) ?? true }
        // python_source: standalone needs a pinned python-build-standalone build of the minor for every platform.
        let options =
            constraints.pythonSource == .standalone
            ? asked.filter { kb.pythonBuild(minor: $0, platforms: constraints.platforms) != nil } : asked
        if options.isEmpty, !asked.isEmpty {
            problems.append(
                (
                    .python,
                    "the knowledge base has no python-build-standalone build of Python \(Self.list(asked.map(\.text))) for \(Self.list(constraints.platforms)) (python_builds:); add an overlay row with the archive's URL and sha256, or set python_source: os"
                ))
        } else if !options.isEmpty {
            // Chosen per OS.
        } else if let release, let asked = constraints.python {
            problems.append(
                (
                    .python,
                    "\(fw) \(release.version) supports Python \(release.python.text); you asked for \(asked.value.text)"
                ))
        } else if let asked = constraints.python {
            problems.append(
                (
                    .python,
                    "no known Python release matches \(asked.value.text) (known: \(pythons.map(\.text).sorted().joined(separator: ", ")))"
                ))
        } else {
            problems.append(
                (
                    .python,
                    "the knowledge base knows no Python release that \(fw) \(release?.version.text ?? "") supports"
                ))
        }
        return options
    }

    /// cuDNN bundled by the framework build, when its wheels bring the CUDA libraries.
    func bundledCuDNN(
        release: FrameworkRelease?, build: FrameworkBuild?, libs: CUDALibrarySource, fw: String,
        problems: inout [Problem]
    ) -> Version? {
        guard let build, libs == .wheels else { return nil }
        if let asked = constraints.cudnn {
            if let c = build.cudnn {
                if !asked.value.matches(c) {
                    problems.append(
                        (
                            .cudnn,
                            "\(Self.label(fw, release!, build)) bundles cuDNN \(c); you asked for cuDNN \(asked.value.text)"
                        ))
                }
            } else {
                problems.append(
                    (
                        .cudnn,
                        "the cuDNN bundled with \(Self.label(fw, release!, build)) is not in the knowledge base, so cuDNN \(asked.value.text) can't be confirmed"
                    ))
            }
        }
        return build.cudnn
    }

    /// What one CUDA image release gives: the OS, Python and flavors chosen, and everything wrong with it.
    struct ImageCheck {
        var problems: [Problem] = []
        var reasons: [String] = []
        var warnings: [String] = []
        var os: String?
        var python: Version?
        var flavors: (String, String)?
        /// The cuDNN the environment gets: the image's when it brings cuDNN, else the wheels'.
        var cudnn: Version?
        var gpu = GPUResult()
        var driver = DriverResult()
    }

    func checkImage(
        _ tag: CUDAImageRelease, release: FrameworkRelease?, build: FrameworkBuild?, fw: String,
        libs: CUDALibrarySource,
        needCuDNN: Bool, pythonOptions: [Version], wheelCuDNN: Version?
    ) -> ImageCheck {
        var check = ImageCheck()
        check.problems += cudaProblems(tag, release: release, build: build, fw: fw)
        chooseOS(
            tag, libs: libs, needCuDNN: needCuDNN, pythonOptions: pythonOptions, release: release, fw: fw, into: &check)
        check.cudnn = wheelCuDNN
        if needCuDNN {
            check.cudnn = tag.cudnn
            check.problems += imageCuDNNProblems(tag, os: check.os, flavors: check.flavors)
        }
        // GPUs (toolkit, build architectures, cuDNN), then the driver.
        check.gpu = gpuCheck(release: release, build: build, cuda: tag.cuda, fw: fw)
        var cudnnFrom: String?
        if needCuDNN {
            cudnnFrom = "the \(kb.images.repository) \(tag.cuda) images"
        } else if let release, let build {
            cudnnFrom = Self.label(fw, release, build)
        }
        cudnnGPUCheck(check.cudnn, from: cudnnFrom, into: &check.gpu)
        check.driver = driverCheck(cuda: tag.cuda, needsPTX: check.gpu.needsPTX)
        gpuDriverCheck(into: &check.driver)
        check.problems += check.gpu.problems + check.driver.problems
        check.warnings += check.gpu.warnings + check.driver.warnings
        check.reasons += check.gpu.reasons + check.driver.reasons
        return check
    }

    /// The requested CUDA version.
    func cudaProblems(_ tag: CUDAImageRelease, release: FrameworkRelease?, build: FrameworkBuild?, fw: String)
        -> [Problem]
    {
        guard let asked = constraints.cuda, !asked.value.matches(tag.cuda) else { return [] }
        if let release, let build {
            return [
                (
                    .cuda,
                    "\(Self.label(fw, release, build)) uses CUDA \(build.cuda); you asked for CUDA \(asked.value.text)"
                )
            ]
        }
        return [(.cuda, "CUDA \(tag.cuda) does not match \(asked.value.text)")]
    }

    /// The OS: it must have the flavors for one source of CUDA libraries and, since the Dockerfile installs Python
    /// from the OS's packages, ship one of the Python options.
    func chooseOS(
        _ tag: CUDAImageRelease, libs: CUDALibrarySource, needCuDNN: Bool, pythonOptions: [Version],
        release: FrameworkRelease?, fw: String, into check: inout ImageCheck
    ) {
        let osCandidates = Self.osOrder(Array(tag.os.keys))
        let withImages = osCandidates.filter { os in
            (constraints.os == nil || constraints.os!.value == os)
                && Self.flavorPair(tag: tag, os: os, libs: libs, needCuDNN: needCuDNN) != nil
        }
        let osChoice =
            pythonOptions.isEmpty ? withImages.first : withImages.first { pythonOn($0, pythonOptions) != nil }
        if osChoice == nil, !withImages.isEmpty, !pythonOptions.isEmpty {
            let shipped = withImages.map { os -> String in
                guard let rows = kb.pythons(on: os) else {
                    return
                        "the knowledge base doesn't know which Python packages \(os) ships (python_source: os never guesses a package)"
                }
                let finals = rows.filter { !$0.row.isPrerelease }.map(\.python.text)
                let pre = rows.filter(\.row.isPrerelease).filter { pythonOptions.contains($0.python) }.map {
                    "\($0.package) is \($0.packageVersion ?? "a pre-release"), a pre-release"
                }
                return "\(os) ships Python \(finals.isEmpty ? "none as a final release" : Self.list(finals))"
                    + (pre.isEmpty ? "" : " (\(Self.list(pre)))")
            }
            let wanted =
                constraints.python.map { "you asked for \($0.value.text)" }
                ?? "\(fw) \(release?.version.text ?? "") supports \(release?.python.text ?? "")"
            check.problems.append((.python, "\(Self.list(shipped)); \(wanted)"))
        }
        check.os = osChoice
        check.python = osChoice.flatMap { pythonOn($0, pythonOptions) }
        check.flavors = osChoice.flatMap { Self.flavorPair(tag: tag, os: $0, libs: libs, needCuDNN: needCuDNN) }
        if osChoice == nil, withImages.isEmpty {
            let need =
                libs == .wheels ? "base and devel" : (needCuDNN ? "cuDNN runtime and devel" : "runtime and devel")
            let have = osCandidates.filter {
                Self.flavorPair(tag: tag, os: $0, libs: libs, needCuDNN: needCuDNN) != nil
            }
            if let asked = constraints.os {
                check.problems.append(
                    (
                        .os,
                        "\(kb.images.repository) \(tag.cuda) has \(need) images for \(have.isEmpty ? "no OS" : have.joined(separator: ", ")); you asked for \(asked.value)"
                    ))
            } else {
                check.problems.append((.images, "\(kb.images.repository) \(tag.cuda) has no \(need) images"))
            }
        }
    }

    /// The requested cuDNN against the one inside the image's cuDNN flavors.
    func imageCuDNNProblems(_ tag: CUDAImageRelease, os: String?, flavors: (String, String)?) -> [Problem] {
        guard let asked = constraints.cudnn else { return [] }
        if let c = tag.cudnn {
            if !asked.value.matches(c) {
                return [
                    (
                        .cudnn,
                        "\(kb.images.repository) \(tag.cuda) images carry cuDNN \(c); you asked for cuDNN \(asked.value.text)"
                    )
                ]
            }
        } else if os != nil {
            let flavor = flavors?.0 ?? "cudnn"
            let major = flavor.dropFirst(5).prefix { $0.isNumber }
            if let m = Int(major) {
                if !asked.value.matches(Version([m])) && !asked.value.clauses.allSatisfy({ $0.version.major == m }) {
                    return [
                        (
                            .cudnn,
                            "\(kb.images.repository) \(tag.cuda) images carry cuDNN \(m); you asked for cuDNN \(asked.value.text)"
                        )
                    ]
                }
            } else {
                return [
                    (
                        .cudnn,
                        "the cuDNN version inside \(kb.images.repository) \(tag.cuda) images is not in the knowledge base"
                    )
                ]
            }
        }
        return []
    }

    /// The resolution from an image release that passed every check, with the reasons for each choice.
    func resolution(
        _ image: ImageCheck, tag: CUDAImageRelease, os: String, flavors: (String, String), python: Version,
        family: FrameworkFamily?, release: FrameworkRelease?, build: FrameworkBuild?, fw: String,
        libs: CUDALibrarySource, warnings: [String]
    ) -> Resolution {
        let repo = kb.images.repository
        var reasons: [String] = []
        var r = Resolution(
            environment: constraints.envName, framework: nil, cuda: tag.cuda, cudnn: image.cudnn,
            python: python.truncated(to: 2),
            pythonRuntime: LockedPythonRuntime(source: constraints.pythonSource.rawValue, version: python.text),
            os: os, driverMinimum: image.driver.minimum, driverFull: image.driver.full,
            compatibility: image.driver.compatibility, archs: image.gpu.archs, cudaLibraries: libs,
            baseImage: "\(repo):\(tag.cuda)-\(flavors.0)-\(os)",
            builderImage: "\(repo):\(tag.cuda)-\(flavors.1)-\(os)",
            reasons: [], warnings: warnings + image.warnings)
        r.platforms = constraints.platforms
        if let family, let release, let build {
            let extra = libs == .wheels ? build.extra : (build.localExtra ?? build.extra)
            r.framework = Resolution.Framework(
                name: constraints.framework!, version: release.version, variant: build.variant, package: family.package,
                indexURL: (release.index ?? family.index).map {
                    $0.replacingOccurrences(of: "{variant}", with: build.variant)
                },
                extra: extra, companions: release.companions)
            reasons.append(frameworkReason(release: release, build: build, family: family))
            if release.provenance.confidence < .medium {
                r.warnings.append(
                    "\(fw) \(release.version) rests on \(release.provenance.confidence.rawValue)-confidence facts (\(release.provenance.source.joined(separator: ", ")))"
                )
            }
        } else {
            reasons.append(
                "CUDA \(tag.cuda) is the newest release\(constraints.cuda.map { " matching \($0.value.text)" } ?? "") with \(repo) images for \(os)"
                    + Self.cite(tag.provenance) + ".")
        }
        reasons.append(
            librariesReason(libs: libs, fw: fw, release: release, build: build, cudnn: image.cudnn, flavors: flavors))
        reasons.append(
            "\(os) is \(constraints.os == nil ? "the preferred OS" : "the requested OS") with \(repo) \(tag.cuda) \(flavors.0) and \(flavors.1) images"
                + Self.cite(tag.provenance) + ".")
        let range = release.map { " within \(fw) \($0.version)'s supported range \($0.python.text)" } ?? ""
        let asked = constraints.python.map { " matching \($0.value.text)" } ?? ""
        if constraints.pythonSource == .standalone,
            let b = kb.pythonBuild(minor: python, platforms: constraints.platforms)
        {
            r.pythonRuntime = LockedPythonRuntime(
                source: PythonSource.standalone.rawValue, version: b.version.text, build: b.build, flavour: b.flavour,
                platforms: Dictionary(
                    uniqueKeysWithValues: constraints.platforms.compactMap { p in
                        b.platforms[p].map { (p, LockedPythonArchive(url: $0.url, sha256: $0.sha256)) }
                    }))
            reasons.append(
                "Python \(python.truncated(to: 2)) is the newest\(asked)\(range); the image runs CPython \(b.version) from python-build-standalone \(b.build) (\(b.flavour), sha256-pinned for \(Self.list(constraints.platforms))), whatever \(os) ships"
                    + Self.cite(b.provenance) + ".")
        } else if let row = kb.pythons(on: os)?.first(where: { $0.python == python }) {
            r.pythonRuntime = LockedPythonRuntime(
                source: PythonSource.os.rawValue, version: row.packageVersion ?? python.truncated(to: 2).text,
                package: row.package)
            let note = row.provenance.note.map { "; \($0)" } ?? ""
            reasons.append(
                "Python \(python.truncated(to: 2)) is the newest\(asked)\(range) that \(os) ships (package \(row.package)\(note))"
                    + Self.cite(row.provenance) + ".")
        } else {
            reasons.append("Python \(python.truncated(to: 2)) is the newest\(asked)\(range).")
            r.warnings.append(
                "the knowledge base doesn't know which Python versions \(os) ships; the image build needs a python\(python.truncated(to: 2)) package or a custom system-setup block"
            )
        }
        r.reasons = reasons + image.reasons
        return r
    }

    /// The newest of `options` (sorted newest first) that `os` ships; any when the knowledge base doesn't know the OS.
    func pythonOn(_ os: String, _ options: [Version]) -> Version? {
        // A standalone build runs on any OS; an OS package must be known and a final release.
        if constraints.pythonSource == .standalone { return options.first }
        guard let rows = kb.pythons(on: os) else { return nil }
        return options.first { v in rows.contains { $0.python == v && !$0.row.isPrerelease } }
    }

    static func flavorPair(tag: CUDAImageRelease, os: String, libs: CUDALibrarySource, needCuDNN: Bool) -> (
        String, String
    )? {
        let available = tag.os[os] ?? []
        if libs == .wheels {
            return available.contains("base") && available.contains("devel") ? ("base", "devel") : nil
        }
        if needCuDNN {
            let rt = available.filter { $0.hasPrefix("cudnn") && $0.hasSuffix("-runtime") }.sorted().last
            let dv = available.filter { $0.hasPrefix("cudnn") && $0.hasSuffix("-devel") }.sorted().last
            guard let rt, let dv else { return nil }
            return (rt, dv)
        }
        return available.contains("runtime") && available.contains("devel") ? ("runtime", "devel") : nil
    }

    /// Ubuntu first (newest first), then other OS families alphabetically, newest first.
    /// The OS names in preference order (``osPreference``), each name parsed once.
    static func osOrder(_ names: [String]) -> [String] {
        func split(_ s: String) -> (Substring, [Int]) {
            let name = s.prefix { $0.isLetter }
            return (name, s.dropFirst(name.count).split(separator: ".").map { Int($0) ?? 0 })
        }
        return names.map { ($0, split($0)) }.sorted { a, b in
            let (an, av) = a.1, (bn, bv) = b.1
            if an != bn {
                if an == "ubuntu" { return true }
                if bn == "ubuntu" { return false }
                return an < bn
            }
            return Version.compare(av, bv) > 0
        }.map(\.0)
    }

    static func osPreference(_ a: String, _ b: String) -> Bool {
        func split(_ s: String) -> (String, Version) {
            let name = String(s.prefix { $0.isLetter })
            return (name, Version(String(s.dropFirst(name.count))) ?? Version([0]))
        }
        let (an, av) = split(a), (bn, bv) = split(b)
        if an != bn {
            if an == "ubuntu" { return true }
            if bn == "ubuntu" { return false }
            return an < bn
        }
        return av > bv
    }

    static func label(_ fw: String, _ release: FrameworkRelease, _ build: FrameworkBuild) -> String {
        LockedFramework.label(name: fw, version: release.version.text, variant: build.variant)
    }

    static func cite(_ p: Provenance) -> String {
        " (source: \(p.source.joined(separator: ", ")); confidence \(p.confidence.rawValue))"
    }

    func frameworkReason(release: FrameworkRelease, build: FrameworkBuild, family: FrameworkFamily) -> String {
        let fw = constraints.framework!.rawValue
        var asked: [String] = []
        if let v = constraints.frameworkVersions { asked.append("\(fw)\(v.value.text)") }
        if let c = constraints.cuda { asked.append("CUDA \(c.value.text)") }
        if constraints.driver != nil { asked.append("the fleet driver") }
        if !constraints.gpus.isEmpty { asked.append("the fleet GPUs") }
        let suffix = asked.isEmpty ? "" : " satisfying \(Self.list(asked))"
        return "\(Self.label(fw, release, build)) is the newest build\(suffix)" + Self.cite(release.provenance) + "."
    }

    func librariesReason(
        libs: CUDALibrarySource, fw: String, release: FrameworkRelease?, build: FrameworkBuild?, cudnn: Version?,
        flavors: (String, String)
    ) -> String {
        switch libs {
        case .wheels:
            let c = cudnn.map { " and cuDNN \($0)" } ?? ""
            return
                "CUDA libraries come from the \(fw) wheels (CUDA \(build!.cuda)\(c)), so the runtime stage uses the '\(flavors.0)' image, which has no CUDA math libraries, and nothing ships twice; the builder uses '\(flavors.1)' for nvcc."
        case .image:
            let c = cudnn.map { " with cuDNN \($0)" } ?? ""
            if release != nil {
                return
                    "CUDA libraries come from the CUDA image ('\(flavors.0)'\(c)) as cuda_libraries: image asks; the \(fw) install uses the variant that does not pull CUDA wheels where one exists."
            }
            return "CUDA libraries come from the '\(flavors.0)' image\(c); the builder uses '\(flavors.1)'."
        }
    }

    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }

    struct DriverResult {
        var problems: [(ConstraintKind, String)] = []
        var reasons: [String] = []
        var warnings: [String] = []
        var minimum: Version?
        var full: Version?
        var compatibility: LockedDriver.Compatibility = .unchecked
    }

    /// Full compatibility needs the toolkit's own driver; minor-version compatibility needs the family floor
    /// but gives no PTX JIT, so builds that reach a GPU only through PTX need the full driver.
    func driverCheck(cuda: Version, needsPTX: Bool) -> DriverResult {
        var result = DriverResult()
        let row =
            kb.cudaRelease(cuda)
            ?? kb.cudaReleases(minor: cuda.truncated(to: 2)).first {
                $0.driver != nil && $0.provenance.confidence != .unconfirmed
            }
        let usable = row.flatMap { $0.provenance.confidence == .unconfirmed ? nil : $0 }
        result.full = usable?.driver
        result.minimum = needsPTX ? usable?.driver : (usable?.minorCompatFloor ?? usable?.driver)
        if let row = usable, Version.compare(row.version.components, cuda.components) != 0 {
            result.warnings.append("the knowledge base has no driver row for CUDA \(cuda); using CUDA \(row.version)'s")
        }
        guard let fleet = constraints.driver else {
            if usable == nil {
                result.warnings.append("the driver CUDA \(cuda) needs is not in the knowledge base")
            }
            return result
        }
        let d = fleet.value
        guard let row = usable else {
            result.problems.append(
                (
                    .driver,
                    "the knowledge base has no confirmed driver requirement for CUDA \(cuda), so driver \(d) can't be checked"
                ))
            return result
        }
        if let full = row.driver, d >= full {
            result.compatibility = .full
            result.reasons.append(
                "The fleet driver \(d) is at least CUDA \(cuda)'s toolkit driver \(full): full compatibility, PTX JIT included"
                    + Self.cite(row.provenance) + ".")
        } else if let floor = row.minorCompatFloor, d >= floor, !needsPTX {
            result.compatibility = .minorVersion
            result.reasons.append(
                "The fleet driver \(d) is older than CUDA \(cuda)'s toolkit driver \(row.driver?.text ?? "(unknown)") but at least the minor-version compatibility floor \(floor): this relies on CUDA minor-version compatibility, so PTX JIT is unavailable"
                    + Self.cite(row.provenance) + ".")
        } else if let floor = row.minorCompatFloor, d >= floor, needsPTX {
            result.problems.append(
                (
                    .driver,
                    "CUDA \(cuda) would run the fleet GPUs only through PTX JIT, which needs driver \(row.driver?.text ?? "(unknown)") or newer (full compatibility); the fleet's lowest driver is \(d)"
                ))
        } else {
            let floorText = row.minorCompatFloor.map { " (\($0) with minor-version compatibility)" } ?? ""
            result.problems.append(
                (
                    .driver,
                    "CUDA \(cuda) needs driver \(row.driver?.text ?? "(unknown)")\(floorText); the fleet's lowest driver is \(d)"
                ))
        }
        return result
    }

    struct GPUResult {
        var problems: [(ConstraintKind, String)] = []
        var reasons: [String] = []
        var warnings: [String] = []
        var needsPTX = false
        var archs: [String] = []
    }

    func gpuCheck(release: FrameworkRelease?, build: FrameworkBuild?, cuda: Version, fw: String) -> GPUResult {
        var result = GPUResult()
        let targets = build?.archs?.compactMap(ArchTarget.init)
        if constraints.gpus.isEmpty {
            result.archs = (build?.archs ?? []).compactMap { raw in
                ArchTarget(raw).map { $0.sm.smName + ($0.ptx ? "+PTX" : "") }
            }
            return result
        }
        var native: [String] = []
        var toolkit: [String] = []
        var viaPTX: [String] = []
        var inferred: [String] = []
        for facts in fleet.gpus {
            let gpu = facts.gpu
            if let arch = facts.architecture {
                if let first = arch.firstCUDA, Version.compare(cuda.components, first.components) < 0 {
                    result.problems.append(
                        (.gpus, "CUDA \(cuda) predates \(gpu.label): \(arch.family) needs CUDA \(first) or newer"))
                    continue
                }
                if let last = arch.lastCUDA, Version.compare(cuda.truncated(to: 2).components, last.components) > 0 {
                    result.problems.append(
                        (
                            .gpus,
                            "CUDA \(cuda) no longer supports \(gpu.label): \(arch.family) support ended with CUDA \(last)"
                        ))
                    continue
                }
            }
            guard let build, let release else { toolkit.append(gpu.label); continue }
            // A GPU of another platform runs that platform's wheels, whose architecture list can be shorter
            // (torch 2.12's aarch64 cu126 wheels have 8.0 and 9.0 only); without a row, the build's list.
            let platformArchs = constraints.framework.flatMap {
                kb.wheelArchs($0, release.version, variant: build.variant, platform: gpu.platform)
            }
            guard let targets = platformArchs.map({ $0.archs.compactMap(ArchTarget.init) }) ?? targets else {
                inferred.append(gpu.label)
                continue
            }
            if targets.contains(where: { $0.runs(on: gpu.sm, allowPTX: false) }) {
                native.append(gpu.label)
            } else if targets.contains(where: { $0.runs(on: gpu.sm, allowPTX: true) }) {
                viaPTX.append(gpu.label)
                result.needsPTX = true
            } else if let platformArchs {
                let arch = gpu.platform == ContainerPlatform.arm64 ? " (aarch64)" : ""
                result.problems.append(
                    (
                        .gpus,
                        "\(Self.label(fw, release, build)) has no kernels for \(gpu.label): its \(gpu.platform)\(arch) wheels are built for \(platformArchs.archs.joined(separator: ", ")) only\(Self.cite(platformArchs.provenance))"
                    ))
            } else {
                result.problems.append(
                    (
                        .gpus,
                        "\(Self.label(fw, release, build)) has no kernels for \(gpu.label); it is built for \(build.archs!.joined(separator: ", "))"
                    ))
            }
        }
        if let build, let release, !inferred.isEmpty {
            result.warnings.append(
                "the architecture list of \(Self.label(fw, release, build)) is not in the knowledge base; support for \(Self.list(inferred)) is inferred from CUDA \(cuda) toolkit support"
            )
        }
        result.archs = Array(Set(constraints.gpus.map(\.sm))).sorted().map(\.smName)
        if !toolkit.isEmpty {
            result.reasons.append(
                "CUDA \(cuda) supports \(Self.list(toolkit)) (the toolkit's architecture range; plain images have no framework build to check)."
            )
        }
        if !native.isEmpty {
            result.reasons.append(
                "\(Self.list(native)) \(native.count == 1 ? "has" : "have") native kernels in this build.")
        }
        if !viaPTX.isEmpty {
            result.reasons.append(
                "\(Self.list(viaPTX)) \(viaPTX.count == 1 ? "runs" : "run") through PTX JIT, which needs the full driver."
            )
        }
        return result
    }

    /// cuDNN must support every fleet GPU: its compute-capability range, from the knowledge base's cuDNN rows.
    func cudnnGPUCheck(_ cudnn: Version?, from: String?, into result: inout GPUResult) {
        guard let cudnn, !constraints.gpus.isEmpty else { return }
        let inWhat = from.map { " (in \($0))" } ?? ""
        guard let entry = fleet.cudnn[cudnn.truncated(to: 3)] else {
            result.warnings.append(
                "the GPU range of cuDNN \(cudnn) is not in the knowledge base; support for \(Self.list(constraints.gpus.map(\.label))) is not checked"
            )
            return
        }
        for (gpu, range, provenance) in entry.unsupported {
            result.problems.append(
                (.gpus, "cuDNN \(cudnn)\(inWhat) supports \(range), not \(gpu.label)\(Self.cite(provenance))"))
        }
        if !entry.unknown.isEmpty {
            result.warnings.append(
                "the GPU range of cuDNN \(cudnn) is not in the knowledge base; support for \(Self.list(entry.unknown)) is not checked"
            )
        }
    }

    /// The fleet driver must drive every fleet GPU (`gpu_drivers:` rows), whatever the compatibility mode; and the
    /// driver the stack needs must still be on a branch that supports every GPU.
    func gpuDriverCheck(into result: inout DriverResult) {
        guard !constraints.gpus.isEmpty else { return }
        var floor: (Version, FleetGPU)?
        var ceiling: (Int, FleetGPU, String)?
        for facts in fleet.gpus {
            let (gpu, range, family) = (facts.gpu, facts.range, facts.family)
            if let f = range.first, floor == nil || f.value > floor!.0 { floor = (f.value, gpu) }
            if let l = range.lastBranch, ceiling == nil || l.value < ceiling!.0 { ceiling = (l.value, gpu, family) }
            guard let d = constraints.driver?.value else { continue }
            switch range.violation(d) {
            case .tooOld(let first):
                result.problems.append(
                    (
                        .driver,
                        "driver \(d) can't drive \(gpu.label): the oldest driver known to drive \(first.product ? gpu.model ?? gpu.sm.smName : "\(family) GPUs") is \(first.value)\(Self.cite(first.provenance)); upgrade the driver on \(gpu.nodes) to >= \(first.value)"
                    ))
            case .tooNew(let last):
                result.problems.append(
                    (
                        .driver,
                        "driver \(d) can't drive \(gpu.label): \(family) support ended with driver branch \(last.value)\(Self.cite(last.provenance)); keep \(gpu.nodes) on the \(last.value) branch"
                    ))
            case nil:
                if range.first == nil, let (gaCUDA, gaDriver) = facts.firstToolkit, d < gaDriver {
                    result.warnings.append(
                        "the oldest driver that drives \(gpu.label) is not in the knowledge base; driver \(d) is older than CUDA \(gaCUDA)'s toolkit driver \(gaDriver) (the first toolkit for it), so it may not drive it"
                    )
                }
            }
        }
        if let (f, gpu) = floor {
            if result.minimum == nil || f > result.minimum! { result.minimum = f }
            if constraints.driver == nil || constraints.driver!.value >= f {
                result.reasons.append("\(gpu.label) needs driver \(f) or newer (the oldest driver known to drive it).")
            }
        }
        if let (branch, gpu, family) = ceiling {
            if let m = result.minimum, m.major > branch {
                result.problems.append(
                    (
                        .gpus,
                        "this stack needs driver \(m) or newer, but \(family) support (\(gpu.label)) ended with driver branch \(branch): no driver runs both"
                    ))
            } else if constraints.driver == nil || constraints.driver!.value.major <= branch {
                result.reasons.append(
                    "\(gpu.label): \(family) support ended with driver branch \(branch); keep \(gpu.nodes) on it.")
            }
        }
    }
}

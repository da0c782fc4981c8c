package import EnvctlKnowledge
import EnvctlLocking
package import EnvctlModel
package import EnvctlPython
import EnvctlResolver
import Foundation
import GitSupport
package import OCIRegistry

/// What makes a lock stale or not what `envctl lock` would have written, in sentences.
///
/// Offline, every field that can be derived without the network is derived again and compared: the stack the
/// resolver chooses, each environment's content hash over its locked content, the content tag, the indexes
/// Python packages may come from, the framework and inline requirements among the pins, and the shape of
/// digests and hashes. What only the network can answer (what a tag points to now, what uv resolves now) is
/// checked by `--refresh`. docs/lockfile.md states the trust model.
package enum LockCheck {
    /// The verdict of `envctl lock --check`.
    package enum Status: Sendable, Hashable {
        /// There is no lock at all.
        case missing
        case upToDate
        /// The lock no longer matches its inputs; each string says what changed.
        case stale([String])
    }

    /// `lock --check --json`: the verdict and each finding with its environment, field, `file:line` and kind.
    package struct Report: Sendable, Hashable, Codable {
        package var lock: String
        /// `up-to-date`, `stale` or `missing`.
        package var status: String
        package var findings: [LockFinding]
    }

    /// Like ``check(spec:knowledgeBase:lockPath:refresh:)``, with structured findings.
    package static func report(
        spec: Spec, knowledgeBase: KnowledgeBase, lockPath: String, refresh: Refresh? = nil
    ) async throws -> Report {
        guard FileManager.default.fileExists(atPath: lockPath) else {
            return Report(lock: lockPath, status: "missing", findings: [])
        }
        let found = try await findings(
            spec: spec, knowledgeBase: knowledgeBase, lock: try Lockfile.load(fileAt: lockPath),
            locations: LockLocations(fileAt: lockPath), refresh: refresh, lockPath: lockPath)
        return Report(lock: lockPath, status: found.isEmpty ? "up-to-date" : "stale", findings: found)
    }

    /// What `--refresh` asks the network: the registry for each pinned tag, uv for the Python pins.
    package struct Refresh: Sendable {
        package var registry: (any ImageRegistry)?
        package var pinner: UVPinner?
        /// A corporate network's variables for uv (`NetworkAccess.uvEnvironment`).
        package var uvEnvironment: [String: String]

        package init(registry: (any ImageRegistry)?, pinner: UVPinner?, uvEnvironment: [String: String] = [:]) {
            self.registry = registry
            self.pinner = pinner
            self.uvEnvironment = uvEnvironment
        }
    }

    /// Compares the lock at `lockPath` with what `envctl lock` would write now; writes nothing.
    /// - Parameter refresh: when given (`--refresh`), each pinned tag is resolved again and uv pins again.
    package static func check(
        spec: Spec, knowledgeBase: KnowledgeBase, lockPath: String, refresh: Refresh? = nil
    )
        async throws -> Status
    {
        guard FileManager.default.fileExists(atPath: lockPath) else { return .missing }
        let changes = try await findings(
            spec: spec, knowledgeBase: knowledgeBase, lock: try Lockfile.load(fileAt: lockPath),
            locations: LockLocations(fileAt: lockPath), refresh: refresh, lockPath: lockPath
        ).map(\.message)
        return changes.isEmpty ? .upToDate : .stale(changes)
    }

    /// `envctl lock --check`: returns when the lock at `lockPath` is up to date.
    /// - Throws: `StaleLockError` (kind `.stale`) when it is missing or no longer matches its inputs.
    package static func requireUpToDate(
        spec: Spec, knowledgeBase: KnowledgeBase, lockPath: String, refresh: Refresh? = nil
    )
        async throws
    {
        switch try await check(spec: spec, knowledgeBase: knowledgeBase, lockPath: lockPath, refresh: refresh) {
        case .upToDate: return
        case .missing: throw StaleLockError(lockPath: lockPath, changes: nil)
        case .stale(let changes): throw StaleLockError(lockPath: lockPath, changes: changes)
        }
    }

    /// Every difference between `lock` and what `envctl lock` would write for `spec`, one sentence each.
    /// - Parameters:
    ///   - locations: where the lock's fields are, so a finding names `file:line`.
    ///   - refresh: when given (`--refresh`), each pinned tag is resolved again and uv pins again.
    package static func changes(
        spec: Spec, knowledgeBase: KnowledgeBase, lock: Lockfile, locations: LockLocations? = nil,
        refresh: Refresh? = nil
    )
        async throws -> [String]
    {
        try await findings(
            spec: spec, knowledgeBase: knowledgeBase, lock: lock, locations: locations, refresh: refresh, lockPath: nil
        ).map(\.message)
    }

    /// Every difference, structured: environment, field, the lock's `file:line`, and which input changed (`kind`).
    /// - Parameter lockPath: where the lock is, so a changed input can be named from git history.
    package static func findings(
        spec: Spec, knowledgeBase: KnowledgeBase, lock: Lockfile, locations: LockLocations? = nil,
        refresh: Refresh? = nil, lockPath: String?
    )
        async throws -> [LockFinding]
    {
        // A spec path that `lock` would refuse is bad input here too, not a stale lock: the inputs hash
        // can't tell an unusable path from an edited file.
        for env in spec.environments {
            if let req = env.requirements {
                _ = try SpecPath.resolve(req, specPath: spec.path, what: "requirements file")
            }
        }
        var out = Findings(locations: locations)
        if lock.specHash != Locker.inputsHash(spec: spec, knowledgeBase: knowledgeBase) {
            changedInputs(spec: spec, knowledgeBase: knowledgeBase, lock: lock, lockPath: lockPath, &out)
        }
        let stamp = KnowledgeBaseStamp(version: knowledgeBase.version, date: knowledgeBase.date)
        if lock.knowledgeBase != stamp {
            out.add(
                nil, "knowledge_base", ["knowledge_base"],
                "\(lock.knowledgeBase.version) (\(lock.knowledgeBase.date)) -> \(stamp.version) (\(stamp.date))")
        }
        if lock.fleet != Locker.fleet(spec, knowledgeBase: knowledgeBase) {
            out.add(nil, "fleet", ["fleet"], "does not match the fleet in \(spec.path)")
        }
        var seen: Set<String> = []
        for env in lock.environments where !seen.insert(env.name).inserted {
            out.add(env.name, "", [], "the environment is in the lock twice")
        }
        let names = Set(spec.environments.map(\.name))
        for name in lock.environments.map(\.name) where !names.contains(name) {
            out.note("environment '\(name)' is locked but no longer in \(spec.path)", kind: "spec", environment: name)
        }
        let locked = Dictionary(lock.environments.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let gpu = spec.gpuOnly
        let resolutions = gpu.environments.isEmpty ? [] : try Resolver(knowledgeBase: knowledgeBase).resolve(gpu)
        for env in spec.environments where env.isPlain {
            guard let old = locked[env.name] else {
                out.note("environment '\(env.name)' is not in the lock", kind: "spec", environment: env.name)
                continue
            }
            // A plain environment: the spec's fields as `lock` records them; no resolver, no Python.
            if !old.isPlain {
                out.add(env.name, "kind", ["kind"], "gpu -> plain")
                continue
            }
            let new = try Locker.plainSkeleton(env, spec: spec)
            compareStack(old, new, &out)
            func words(_ w: [String]?) -> String { w.map { $0.joined(separator: " ") } ?? "none" }
            let copies = { (e: LockedEnvironment) in e.copy.map { "\($0.from)->\($0.to)" }.joined(separator: " ") }
            if copies(old) != copies(new) { out.add(env.name, "copy", ["copy"], "\(copies(old)) -> \(copies(new))") }
            if old.entrypoint != new.entrypoint {
                out.add(env.name, "entrypoint", ["entrypoint"], "\(words(old.entrypoint)) -> \(words(new.entrypoint))")
            }
            if old.workdir != new.workdir {
                out.add(env.name, "workdir", ["workdir"], "\(old.workdir ?? "none") -> \(new.workdir ?? "none")")
            }
            if old.cmd != new.cmd { out.add(env.name, "cmd", ["cmd"], "\(words(old.cmd)) -> \(words(new.cmd))") }
            checkImages(old, &out)
            checkHash(old, &out)
        }
        for (env, r) in zip(gpu.environments, resolutions) {
            guard let old = locked[env.name] else {
                out.note("environment '\(env.name)' is not in the lock", kind: "spec", environment: env.name)
                continue
            }
            // The CUDA the lock's own nvidia-* pins install, checked against the fleet as 'envctl lock' does.
            var new = Locker.skeleton(env, r)
            new.pythonPackages = old.pythonPackages
            new.platformPythonPackages = old.platformPythonPackages
            try Locker.applyCUDAWheels(&new, resolution: r, spec: spec, knowledgeBase: knowledgeBase)
            compareStack(old, new, &out)
            checkImages(old, &out)
            checkPython(old, new, spec: spec, &out)
            checkHash(old, &out)
        }
        checkSharedImages(lock, &out)
        if let refresh {
            if let registry = refresh.registry { try await refreshImages(lock, registry, &out) }
            if let pinner = refresh.pinner {
                try await refreshPins(
                    lock, spec: spec, knowledgeBase: knowledgeBase, pinner: pinner,
                    uvEnvironment: refresh.uvEnvironment, &out)
            }
        }
        return out.items
    }

    // MARK: - Offline checks

    /// The resolver's choices and the spec's fields, as `envctl lock` would record them now.
    static func compareStack(_ old: LockedEnvironment, _ new: LockedEnvironment, _ out: inout Findings) {
        func cmp(_ what: String, _ path: [String], _ a: String?, _ b: String?) {
            if a != b { out.add(old.name, "", path, "\(what) \(a ?? "none") -> \(b ?? "none")") }
        }
        func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: " ") }
        func map(_ m: [String: String]) -> String { list(m.keys.sorted().map { "\($0)=\(m[$0]!)" }) }
        cmp("framework", ["framework"], old.framework?.label, new.framework?.label)
        if let a = old.framework, let b = new.framework, a.label == b.label {
            cmp("framework package", ["framework", "package"], a.package, b.package)
            cmp("framework index_url", ["framework", "index_url"], a.indexURL, b.indexURL)
            cmp("framework extra", ["framework", "extra"], a.extra, b.extra)
            cmp("framework companions", ["framework", "companions"], map(a.companions), map(b.companions))
        }
        cmp("CUDA", ["cuda"], old.cuda, new.cuda)
        cmp("cuDNN", ["cudnn"], old.cudnn, new.cudnn)
        cmp("expected CUDA", ["expected", "cuda"], old.expected?.cuda, new.expected?.cuda)
        cmp("expected cuDNN", ["expected", "cudnn"], old.expected?.cudnn, new.expected?.cudnn)
        if old.expected?.driver != new.expected?.driver {
            out.add(old.name, "expected driver", ["expected", "driver"], "differs from the knowledge base's")
        }
        cmp("cuda_wheels", ["cuda_wheels"], old.cudaWheels.map(map), new.cudaWheels.map(map))
        cmp("Python", ["python"], old.python, new.python)
        comparePythonRuntime(old, new, &out)
        cmp("OS", ["os"], old.os, new.os)
        cmp("platforms", ["platforms"], list(old.platforms), list(new.platforms))
        cmp("driver minimum", ["driver", "minimum"], old.driver.minimum, new.driver.minimum)
        cmp(
            "driver full_compatibility", ["driver", "full_compatibility"], old.driver.fullCompatibility,
            new.driver.fullCompatibility)
        cmp(
            "driver compatibility", ["driver", "compatibility"], old.driver.compatibility.rawValue,
            new.driver.compatibility.rawValue)
        cmp("archs", ["archs"], list(old.archs), list(new.archs))
        cmp("cuda_libraries", ["cuda_libraries"], old.cudaLibraries, new.cudaLibraries)
        cmp("base image", ["images", "base", "reference"], old.images.base.reference, new.images.base.reference)
        cmp(
            "builder image", ["images", "builder", "reference"], old.images.builder.reference,
            new.images.builder.reference)
        cmp("apt packages", ["apt"], old.apt.joined(separator: " "), new.apt.joined(separator: " "))
        cmp("env", ["env"], map(old.env), map(new.env))
        cmp("image repository", ["image"], old.image, new.image)
        if old.reasons != new.reasons {
            out.add(old.name, "", ["reasons"], "reasons differ from the resolver's for this stack")
        }
        let offline = old.images.base.digest == nil || old.images.builder.digest == nil
        let byTag = Locker.byTagWarnings.filter(old.warnings.contains)
        let warnings = new.warnings + (offline ? (byTag.isEmpty ? [Locker.offlineImagesWarning] : byTag) : [])
        if old.warnings != warnings {
            out.add(old.name, "", ["warnings"], "warnings differ from what 'envctl lock' gives for this stack")
        }
    }

    /// The interpreter build the resolver pins now: source, exact version, build tag, flavour, OS package, and per
    /// platform the archive URL and sha256.
    static func comparePythonRuntime(_ old: LockedEnvironment, _ new: LockedEnvironment, _ out: inout Findings) {
        func cmp(_ what: String, _ path: [String], _ a: String?, _ b: String?) {
            if a != b { out.add(old.name, "", ["python_runtime"] + path, "\(what) \(a ?? "none") -> \(b ?? "none")") }
        }
        guard let a = old.pythonRuntime, let b = new.pythonRuntime else {
            if old.pythonRuntime == nil, new.pythonRuntime != nil {
                out.add(old.name, "", ["python"], "python_runtime is missing; 'envctl lock' pins the interpreter")
            }
            return
        }
        cmp("python_runtime source", ["source"], a.source, b.source)
        cmp("python_runtime version", ["version"], a.version, b.version)
        cmp("python_runtime build", ["build"], a.build, b.build)
        cmp("python_runtime flavour", ["flavour"], a.flavour, b.flavour)
        cmp("python_runtime package", ["package"], a.package, b.package)
        for platform in Set(a.platforms.keys).union(b.platforms.keys).sorted() {
            let x = a.platforms[platform]
            let y = b.platforms[platform]
            cmp("python_runtime \(platform) url", ["platforms", platform, "url"], x?.url, y?.url)
            cmp("python_runtime \(platform) sha256", ["platforms", platform, "sha256"], x?.sha256, y?.sha256)
        }
    }

    /// Digests have the one form registries give, and an image is pinned by both digests or neither.
    static func checkImages(_ env: LockedEnvironment, _ out: inout Findings) {
        for (role, image) in [("base", env.images.base), ("builder", env.images.builder)] {
            for (key, value) in [("digest", image.digest), ("platform_digest", image.platformDigest)] {
                if let value, !ImageReference.isSHA256Digest(value) {
                    out.add(
                        env.name, "images.\(role).\(key)", ["images", role, key],
                        "'\(value)' is not a sha256 digest (sha256: and 64 lowercase hex digits)")
                }
            }
            for (platform, value) in image.platformDigests.sorted(by: { $0.key < $1.key })
            where !ImageReference.isSHA256Digest(value) {
                out.add(
                    env.name, "images.\(role).platform_digests.\(platform)",
                    ["images", role, "platform_digests", platform],
                    "'\(value)' is not a sha256 digest (sha256: and 64 lowercase hex digits)")
            }
            if image.digest != nil {
                for platform in env.platforms.dropFirst() where image.platformDigests[platform] == nil {
                    out.add(
                        env.name, "images.\(role).platform_digests", ["images", role, "platform_digests"],
                        "has no \(platform) digest; 'envctl lock' records one per platform")
                }
            }
            if (image.digest == nil) != (image.platformDigest == nil) {
                out.add(
                    env.name, "images.\(role)", ["images", role],
                    "has \(image.digest == nil ? "a platform_digest but no digest" : "a digest but no platform_digest"); 'envctl lock' records both or neither"
                )
            }
        }
    }

    /// Python pins: from an allowed index, with well-formed hashes, and holding the framework and inline requirements.
    static func checkPython(_ old: LockedEnvironment, _ new: LockedEnvironment, spec: Spec, _ out: inout Findings) {
        let python = old.pythonPackages
        let path = ["python_packages", "packages"]
        let platforms = new.platforms.isEmpty ? [ContainerPlatform.amd64] : new.platforms
        let expectedPlatform = Locker.pythonPlatform(platforms[0], options: LockOptions())
        for platform in platforms.dropFirst() {
            let want = Locker.pythonPlatform(platform, options: LockOptions())
            let key = ["platform_python_packages", platform]
            if let pins = old.platformPythonPackages[platform] {
                if pins.platform != want {
                    out.add(old.name, "platform_python_packages.\(platform)", key, "\(pins.platform) -> \(want)")
                }
            } else if !python.packages.isEmpty {
                out.add(old.name, "platform_python_packages", key, "no Python pins for \(platform); run 'envctl lock'")
            }
        }
        if python.platform != expectedPlatform {
            out.add(
                old.name, "python_packages.platform", ["python_packages", "platform"],
                "\(python.platform) -> \(expectedPlatform)")
        }
        let envSpec = spec.environment(named: old.name)
        let required = (new.framework?.requirementLines ?? []) + (envSpec?.packages.map(\.value) ?? [])
        let requiresAny = !required.isEmpty || envSpec?.requirements != nil
        if !requiresAny && !python.packages.isEmpty {
            out.add(
                old.name, "python_packages.packages", path,
                "\(python.packages.count) packages are pinned, but neither \(spec.path) nor the framework requires any Python package"
            )
        }
        var allowed: Set<String> = [normalizedIndex(spec.pythonIndexes.defaultIndex)]
        if let fi = new.framework?.indexURL { allowed.insert(normalizedIndex(fi)) }
        for (from, to) in spec.pythonIndexes.mirrors {
            allowed.insert(normalizedIndex(from))
            allowed.insert(normalizedIndex(to))
        }
        var byName: [String: LockedPackage] = [:]
        for (i, p) in python.packages.enumerated() {
            let at = path + [String(i)]
            if byName.updateValue(p, forKey: PythonPackageName.normalized(p.name)) != nil {
                out.add(old.name, "python package \(p.name)", at, "is pinned twice")
            }
            if let index = p.index, !allowed.contains(normalizedIndex(index)) {
                out.add(
                    old.name, "python package \(p.name) \(p.version)", at + ["index"],
                    "index \(index) is not allowed: \(spec.path) and the framework allow \(allowed.sorted().joined(separator: ", "))"
                )
            }
            if p.hashes.isEmpty {
                out.add(old.name, "python package \(p.name) \(p.version)", at + ["hashes"], "has no hashes")
            }
            for h in p.hashes where !ImageReference.isSHA256Digest(h) {
                out.add(
                    old.name, "python package \(p.name) \(p.version)", at + ["hashes"],
                    "'\(h)' is not a sha256 hash (sha256: and 64 lowercase hex digits)")
            }
            if p.hashes != p.hashes.sorted() {
                out.add(old.name, "python package \(p.name)", at + ["hashes"], "hashes are not in the order uv gives")
            }
        }
        if python.packages.map(\.name) != python.packages.map(\.name).sorted() {
            out.add(old.name, "python_packages.packages", path, "are not sorted by name as 'envctl lock' writes them")
        }
        // The top-level requirements envctl passes to uv besides the requirements file: each must be pinned, at
        // the version an `==` asks for.
        for line in required {
            // A requirement with an environment marker may not apply to this Python and platform.
            guard let req = TopLevelRequirement(line), !line.contains(";") else { continue }
            guard let pin = byName[req.name] else {
                out.add(
                    old.name, "python_packages.packages", path,
                    "'\(line)' is required by \(spec.path) or the framework but not pinned")
                continue
            }
            if let exact = req.exactVersion, !TopLevelRequirement.sameRelease(pin.version, exact) {
                let i = python.packages.firstIndex(of: pin).map(String.init) ?? ""
                out.add(
                    old.name, "python package \(pin.name)", path + [i, "version"],
                    "\(pin.version) does not satisfy '\(line)', which \(spec.path) or the framework requires")
            }
        }
    }

    /// The recorded hash is the hash of the locked content (and so the content tag is that content's tag).
    static func checkHash(_ env: LockedEnvironment, _ out: inout Findings) {
        let actual = Locker.contentHash(env)
        if env.hash != actual {
            out.add(
                env.name, "hash", ["hash"],
                "recorded \(env.hash), but the locked content hashes to \(actual): the lock was edited after 'envctl lock' wrote it"
            )
        }
        if let pushed = env.pushed, let ref = try? ImageReference(parsing: pushed.reference), ref.tag != env.contentTag
        {
            out.add(
                env.name, "pushed.reference", ["pushed", "reference"],
                "tag \(ref.tag ?? "none") is not the content tag \(env.contentTag) of this environment's hash")
        }
    }

    /// One tag resolves to one digest: environments that share a base or builder image record the same digests.
    static func checkSharedImages(_ lock: Lockfile, _ out: inout Findings) {
        var first: [String: (env: String, image: LockedImage)] = [:]
        for env in lock.environments {
            for (role, image) in [("base", env.images.base), ("builder", env.images.builder)] {
                guard image.digest != nil else { continue }
                if let seen = first[image.reference] {
                    if seen.image.digest != image.digest || seen.image.platformDigest != image.platformDigest {
                        out.add(
                            env.name, "images.\(role).digest", ["images", role, "digest"],
                            "\(image.reference) is pinned to \(image.digest!) here but to \(seen.image.digest!) in environment '\(seen.env)'"
                        )
                    }
                } else {
                    first[image.reference] = (env.name, image)
                }
            }
        }
    }

    // MARK: - Online checks (--refresh)

    /// Each pinned tag still points to the locked digest, and holds each locked platform's manifest at its
    /// locked digest: every platform of the environment is asked for, so a tag that lost a platform or moved
    /// one platform's manifest is named with that platform.
    static func refreshImages(_ lock: Lockfile, _ registry: any ImageRegistry, _ out: inout Findings) async throws {
        for env in lock.environments {
            let platforms = env.platforms.isEmpty ? [ContainerPlatform.amd64] : env.platforms
            for image in [env.images.base] + (env.isPlain ? [] : [env.images.builder]) {
                guard let digest = image.digest else {
                    out.note(
                        "\(env.name): \(image.reference) is pinned by tag only (locked offline)", kind: "upstream",
                        environment: env.name)
                    continue
                }
                for (i, platform) in platforms.enumerated() {
                    let named = platforms.count > 1 ? " for \(platform)" : ""
                    do {
                        let now = try await registry.pin(image.reference, platform: platform)
                        if now.digest.description != digest {
                            // The index moved: every platform is affected, so it is said once.
                            out.note(
                                "\(env.name): \(image.reference) moved upstream: locked \(digest), now \(now.digest)",
                                kind: "upstream", environment: env.name)
                            break
                        }
                        let locked = i == 0 ? image.platformDigest : image.platformDigests[platform]
                        if let locked, now.platformManifestDigest.description != locked {
                            out.note(
                                "\(env.name): \(image.reference)\(named) moved upstream: locked manifest \(locked), now \(now.platformManifestDigest)",
                                kind: "upstream", environment: env.name)
                        }
                    } catch {
                        out.note(
                            "\(env.name): cannot check \(image.reference)\(named): \(error)", kind: "upstream",
                            environment: env.name)
                    }
                }
            }
        }
    }

    /// uv, run again on the same requirements, pins the same packages at the same versions, hashes and indexes.
    static func refreshPins(
        _ lock: Lockfile, spec: Spec, knowledgeBase: KnowledgeBase, pinner: UVPinner,
        uvEnvironment: [String: String] = [:], _ out: inout Findings
    ) async throws {
        let fresh = try await Locker(
            knowledgeBase: knowledgeBase, pinner: pinner, images: nil, generatedBy: ""
        ).lock(spec, options: LockOptions(uvEnvironment: uvEnvironment))
        for now in fresh.environments {
            guard let old = lock.environment(named: now.name) else { continue }
            let platforms = now.platforms.isEmpty ? [ContainerPlatform.amd64] : now.platforms
            for (i, platform) in platforms.enumerated() {
                // The first platform's pins are `python_packages`, the others' `platform_python_packages`.
                let path =
                    i == 0 ? ["python_packages", "packages"] : ["platform_python_packages", platform, "packages"]
                let mine = i == 0 ? old.pythonPackages.packages : old.platformPythonPackages[platform]?.packages ?? []
                let uv = i == 0 ? now.pythonPackages.packages : now.platformPythonPackages[platform]?.packages ?? []
                comparePins(
                    mine, uv, environment: now.name, platform: platforms.count > 1 ? platform : nil, path: path, &out)
            }
        }
    }

    /// The lock's pins of one platform against uv's, one finding per difference.
    static func comparePins(
        _ old: [LockedPackage], _ new: [LockedPackage], environment: String, platform: String?, path: [String],
        _ out: inout Findings
    ) {
        let on = platform.map { " (\($0))" } ?? ""
        let a = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let b = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        for (i, p) in old.enumerated() {
            let at = path + [String(i)]
            guard let q = b[p.name] else {
                out.add(
                    environment, "python package \(p.name) \(p.version)\(on)", at,
                    "is pinned, but uv does not resolve it from the requirements now")
                continue
            }
            if p.version != q.version {
                out.add(
                    environment, "python package \(p.name)\(on)", at + ["version"],
                    "\(p.version) -> \(q.version) (uv now)")
            } else if p.hashes != q.hashes {
                out.add(
                    environment, "python package \(p.name) \(p.version)\(on)", at + ["hashes"],
                    "hashes differ from what the index serves now")
            }
            if p.index != q.index {
                out.add(
                    environment, "python package \(p.name)\(on)", at + ["index"],
                    "index \(p.index ?? "none") -> \(q.index ?? "none") (uv now)")
            }
        }
        for q in new where a[q.name] == nil {
            out.add(
                environment, "python package \(q.name) \(q.version)\(on)", path,
                "uv resolves it from the requirements now, but the lock does not pin it")
        }
    }

    // MARK: - Which input changed

    /// The inputs hash differs: names the file that changed. The knowledge base's version says whether it (or an
    /// overlay) changed; git says which of the spec and requirements files differ from the commit that last wrote
    /// the lock. Without either, the finding lists the candidates.
    static func changedInputs(
        spec: Spec, knowledgeBase: KnowledgeBase, lock: Lockfile, lockPath: String?, _ out: inout Findings
    ) {
        var inputs: [(kind: String, environment: String?, path: String, shown: String)] = [
            ("spec", nil, spec.path, "the spec \(spec.path)")
        ]
        let specDir = (spec.path as NSString).deletingLastPathComponent
        for env in spec.environments {
            if let req = env.requirements, let file = try? SpecPath.resolve(req, specPath: spec.path, what: "") {
                let shown = specDir.isEmpty ? req.value : (specDir as NSString).appendingPathComponent(req.value)
                inputs.append(
                    (
                        "requirements", env.name, file.resolved,
                        "the requirements file \(shown) of environment '\(env.name)'"
                    ))
            }
        }
        let hashLine = out.locations?.location(["spec_hash"])?.line
        var named = false
        if lock.knowledgeBase.version != knowledgeBase.version || lock.knowledgeBase.date != knowledgeBase.date {
            let overlays = spec.knowledgeFiles.map(\.value)
            out.note(
                "the knowledge base changed since the lock was written (\(lock.knowledgeBase.version) -> \(knowledgeBase.version))"
                    + (overlays.isEmpty ? "" : "; overlays: \(overlays.joined(separator: ", "))"),
                kind: "knowledge", file: overlays.first)
            named = true
        }
        if let lockPath, let changed = changedSinceLockCommit(inputs.map(\.path), lockPath: lockPath) {
            for input in inputs where changed.contains(input.path) {
                out.note(
                    "\(input.shown) changed since \(lockPath) was written (git: it differs from the commit that last wrote the lock)",
                    kind: input.kind, environment: input.environment, file: input.path)
                named = true
            }
        }
        if !named {
            let candidates = inputs.map(\.shown) + spec.knowledgeFiles.map { "the knowledge overlay \($0.value)" }
            out.note(
                "one of the lock's inputs changed since it was written (spec_hash differs): \(candidates.joined(separator: ", ")); commit the lock to let --check name which",
                kind: "inputs", file: out.locations?.file, line: hashLine)
        }
    }

    /// Which of `paths` differ from their content in the last commit that changed the lock at `lockPath`; nil when
    /// that can't be told (no repository, lock not committed, or the lock itself edited since that commit).
    static func changedSinceLockCommit(_ paths: [String], lockPath: String) -> Set<String>? {
        let fm = FileManager.default
        func absolute(_ p: String) -> String {
            (p.hasPrefix("/") ? p : (fm.currentDirectoryPath as NSString).appendingPathComponent(p) as String)
        }
        let lockAbs = (absolute(lockPath) as NSString).standardizingPath
        guard let repo = try? Repository.discover(from: (lockAbs as NSString).deletingLastPathComponent),
            let top = repo.workingDirectory.map({
                (($0 as NSString).resolvingSymlinksInPath as NSString).standardizingPath
            })
        else { return nil }
        func relative(_ p: String) -> String? {
            let real = ((absolute(p) as NSString).resolvingSymlinksInPath as NSString).standardizingPath
            guard real.hasPrefix(top + "/") else { return nil }
            return String(real.dropFirst(top.count + 1))
        }
        guard let lockRel = relative(lockPath),
            let commit = try? repo.commits(changing: lockRel, limit: 1).first,
            let committedLock = try? repo.readFile(lockRel, at: commit.id),
            committedLock == fm.contents(atPath: lockPath)
        else { return nil }
        var changed: Set<String> = []
        for p in paths {
            guard let rel = relative(p) else { return nil }
            let then = try? repo.readFile(rel, at: commit.id)
            if then != fm.contents(atPath: p) { changed.insert(p) }
        }
        return changed
    }

    // MARK: - Helpers

    static func normalizedIndex(_ url: String) -> String {
        var u = url
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

}

/// A requirement line's distribution name and, for `name==X` (no wildcard), the exact version.
struct TopLevelRequirement {
    var name: String
    var exactVersion: String?

    init?(_ line: String) {
        let text = line.trimmingCharacters(in: .whitespaces)
        let nameChars = text.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        guard !nameChars.isEmpty, !text.hasPrefix("-") else { return nil }
        name = PythonPackageName.normalized(String(nameChars))
        var rest = text.dropFirst(nameChars.count).drop { $0 == " " }
        if rest.first == "[" { rest = rest.drop { $0 != "]" }.dropFirst().drop { $0 == " " } }
        let spec = rest.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        if spec.hasPrefix("=="), !spec.hasPrefix("==="), !spec.contains(","), !spec.contains("*") {
            exactVersion = spec.dropFirst(2).trimmingCharacters(in: .whitespaces)
        }
    }

    /// `2.5.1+cu124` satisfies `==2.5.1` (a local version matches its public release), and `2.5` is `2.5.0`.
    static func sameRelease(_ pinned: String, _ required: String) -> Bool {
        func release(_ v: String) -> [String] {
            var parts = v.split(separator: "+").first.map { $0.split(separator: ".").map(String.init) } ?? []
            while parts.count > 1, parts.last.map({ Int($0) == 0 }) == true { parts.removeLast() }
            return parts
        }
        if required.contains("+") { return pinned == required }
        return release(pinned) == release(required)
    }
}

/// One thing `lock --check` found: the sentence it prints, and the same facts for `--json`.
package struct LockFinding: Sendable, Hashable, Codable {
    /// What changed: `spec`, `requirements`, `knowledge` (the knowledge base or an overlay), `inputs` (one of
    /// those, not known which), `lock` (the lock disagrees with what `envctl lock` derives), `upstream` (--refresh).
    package var kind: String
    package var environment: String?
    package var field: String?
    /// The file the finding is about (the lock, or the input that changed) and its line when known.
    package var file: String?
    package var line: Int?
    package var message: String
}

/// The findings of one check, each naming its environment and field, and the lock's `file:line` when known.
struct Findings {
    var locations: LockLocations?
    var items: [LockFinding] = []
    var lines: [String] { items.map(\.message) }

    /// A finding about a field of the lock (`kind` `lock` unless said otherwise).
    mutating func add(
        _ environment: String?, _ field: String, _ lockPath: [String], _ message: String, kind: String = "lock"
    ) {
        let full = (environment.map { ["environments", $0] } ?? []) + lockPath
        let location = locations?.location(full)
        let at = location.map { " (\($0.file):\($0.line))" } ?? ""
        let subject = [environment, field.isEmpty ? nil : field].compactMap { $0 }.joined(separator: ": ")
        items.append(
            LockFinding(
                kind: kind, environment: environment, field: field.isEmpty ? nil : field,
                file: location?.file ?? locations?.file, line: location?.line, message: "\(subject): \(message)\(at)"))
    }

    /// A finding that is a whole sentence, about an input file or the registry.
    mutating func note(
        _ message: String, kind: String, environment: String? = nil, file: String? = nil, line: Int? = nil
    ) {
        items.append(
            LockFinding(kind: kind, environment: environment, field: nil, file: file, line: line, message: message))
    }
}

/// `lock --check` found the lock stale: the one failure of kind `.stale` (exit 2).
package struct StaleLockError: EnvctlFailure, Sendable, Hashable, CustomStringConvertible {
    package var lockPath: String
    /// What changed; nil when there is no lock at all.
    package var changes: [String]?

    package init(lockPath: String, changes: [String]?) {
        self.lockPath = lockPath
        self.changes = changes
    }

    /// The error for a report that is not up to date.
    package init(_ report: LockCheck.Report) {
        self.init(lockPath: report.lock, changes: report.status == "missing" ? nil : report.findings.map(\.message))
    }

    package var failureKind: FailureKind { .stale }

    /// The report, one line per change; it is not an `error:`, the lock just needs renewing.
    package var description: String {
        guard let changes else { return "stale: \(lockPath) does not exist; run 'envctl lock' and commit it" }
        return
            (["stale: \(lockPath) no longer matches its inputs:"] + changes.map { "  - \($0)" }
            + ["run 'envctl lock' and commit the result"]).joined(separator: "\n")
    }
}

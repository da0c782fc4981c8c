package import EnvctlKnowledge
import EnvctlLocking
package import EnvctlModel
package import EnvctlPython
import EnvctlResolver
package import EnvctlRuns
import Foundation
package import OCIRegistry

/// `envctl add` and `envctl upgrade`: edit the spec or the requirements file with a minimal textual edit,
/// re-lock with the previous lock's pins preferred, and report the lock diff. Files are written only after the
/// re-lock succeeded (each atomically); a dry run writes nothing.
package struct EditRequirements: Sendable {
    /// What to change.
    package enum Change: Sendable, Hashable {
        /// Add requirements, or replace the specifier of a package already listed.
        case add([String])
        /// Move these packages to the newest version the requirements allow.
        case upgrade([String])
        /// Move every Python package to the newest allowed version, and pin images again.
        case upgradeAll
        /// Move the framework to the newest version the resolver allows for the fleet.
        case upgradeFramework
    }

    /// What the edit did (or, in a dry run, would do).
    package struct Outcome: Sendable {
        package var environment: String
        package var diff: LockDiff
        /// Files changed (or that would change), the lock included.
        package var files: [String]
        /// Sentences about choices made, e.g. which framework version an upgrade moved to.
        package var notes: [String]
        package var written: Bool
    }

    package var specPath: String
    package var lockPath: String
    /// Applies mirrors and knowledge-base overlays to a parsed spec, as every command that loads one does.
    package var prepare: @Sendable (Spec) throws -> (Spec, KnowledgeBase)
    package var pinner: UVPinner
    package var images: (any ImageRegistry)?
    package var offline: Bool
    package var generatedBy: String
    /// A corporate network's variables for uv (`NetworkAccess.uvEnvironment`), as `lock` passes them.
    package var uvEnvironment: [String: String]

    package init(
        specPath: String, lockPath: String, prepare: @escaping @Sendable (Spec) throws -> (Spec, KnowledgeBase),
        pinner: UVPinner, images: (any ImageRegistry)?, offline: Bool, generatedBy: String,
        uvEnvironment: [String: String] = [:]
    ) {
        self.specPath = specPath
        self.lockPath = lockPath
        self.prepare = prepare
        self.pinner = pinner
        self.images = images
        self.offline = offline
        self.generatedBy = generatedBy
        self.uvEnvironment = uvEnvironment
    }

    /// Edits, re-locks and (unless `dryRun`) writes the spec or requirements file and the lock.
    /// - Throws: ``DiagnosticsError`` (bad input) for an invalid requirement, an unknown environment or a package
    ///   that isn't pinned; the locker's errors when the re-lock fails (and then no file has changed).
    package func run(_ change: Change, environment name: String?, dryRun: Bool) async throws -> Outcome {
        let originalSpec = try read(specPath, what: "spec")
        let (spec0, kb0) = try prepare(try SpecParser().parse(originalSpec, path: specPath))
        let env = try select(name, in: spec0)
        let previous: Lockfile? =
            FileManager.default.fileExists(atPath: lockPath) ? try Lockfile.load(fileAt: lockPath) : nil

        var specText = originalSpec
        var requirements: (file: SpecPath, text: String)?
        var upgrade: PinUpgrade = .none
        var refreshImages = false
        var notes: [String] = []

        switch change {
        case .add(let lines):
            let parsed = try lines.map { (line) throws(DiagnosticsError) in try RequirementLine(parsing: line) }
            guard !parsed.isEmpty else { throw SpecEdit.failure("name at least one package to add") }
            for req in parsed {
                let current = try SpecParser().parse(specText, path: specPath).environment(named: env.name)!
                if let item = current.packages.first(where: {
                    (try? RequirementLine(parsing: $0.value))?.normalizedName == req.normalizedName
                }), let at = item.location {
                    specText = try SpecEdit.replaceScalar(in: specText, at: at, with: req.text)
                } else if let file = env.requirements {
                    let path = try SpecPath.resolve(file, specPath: specPath, what: "requirements file")
                    let text = try requirements?.text ?? read(path.resolved, what: "requirements file")
                    requirements = (path, SpecEdit.setRequirement(in: text, req))
                } else {
                    specText = try SpecEdit.appendPackage(
                        in: specText, environment: env.name, value: req.text, file: specPath)
                }
            }
            upgrade = .packages(parsed.map(\.name))
        case .upgrade(let names):
            guard let old = previous?.environment(named: env.name) else { throw noLock(env.name) }
            let pinned = Set(old.pythonPackages.packages.map { PythonPackageName.normalized($0.name) })
            for n in names {
                let req = try RequirementLine(parsing: n)
                guard req.text == req.name else {
                    throw SpecEdit.failure(
                        "'\(n.escapedForMessage)' is not a package name",
                        hint: "upgrade takes names; to change a specifier use 'envctl add \(n)'")
                }
                guard pinned.contains(req.normalizedName) else {
                    throw SpecEdit.failure(
                        "'\(n.escapedForMessage)' is not pinned in environment '\(env.name)' of \(lockPath)",
                        hint: "add it with 'envctl add \(n)'")
                }
            }
            guard !names.isEmpty else { throw SpecEdit.failure("name a package, or pass --all or --framework") }
            upgrade = .packages(names)
        case .upgradeAll:
            guard previous?.environment(named: env.name) != nil else { throw noLock(env.name) }
            upgrade = .all
            refreshImages = true
        case .upgradeFramework:
            guard let fw = env.framework else {
                throw SpecEdit.failure(
                    "environment '\(env.name)' has no framework to upgrade", at: env.location)
            }
            let resolver = Resolver(knowledgeBase: kb0)
            let now = try resolver.resolve(spec0, environment: env.name).first?.framework
            var open = spec0
            if let i = open.environments.firstIndex(where: { $0.name == env.name }) {
                open.environments[i].framework?.value.versions = .any
            }
            guard let newest = try resolver.resolve(open, environment: env.name).first?.framework else {
                throw SpecEdit.failure("no \(fw.value.name.rawValue) release fits the fleet", at: fw.location)
            }
            let from = now.map(\.version.text) ?? "none"
            if !fw.value.versions.matches(newest.version), let at = fw.location {
                let series = "\(fw.value.name.rawValue)==\(newest.version.truncated(to: 2).text).*"
                specText = try SpecEdit.replaceScalar(in: specText, at: at, with: series)
                notes.append("framework: \(fw.value.description) -> \(series) in \(specPath)")
            }
            notes.append(
                from == newest.version.text
                    ? "framework: \(fw.value.name.rawValue) \(from) is already the newest release the fleet allows"
                    : "framework: \(fw.value.name.rawValue) \(from) -> \(newest.version.text), the newest release the fleet allows"
            )
            upgrade = .packages([newest.package] + newest.companions.keys.sorted())
        }

        // The edited requirements file goes next to the original (its own `-r` includes resolve the same way),
        // under a temporary name; the original is replaced only after the re-lock succeeded.
        var temporary: String?
        defer { if let temporary { Cleanup.remove(temporary) } }
        let (parsedSpec, kb) = try prepare(try SpecParser().parse(specText, path: specPath))
        var spec = parsedSpec
        if let requirements, let i = spec.environments.firstIndex(where: { $0.name == env.name }),
            let located = spec.environments[i].requirements
        {
            let name = ".\((located.value as NSString).lastPathComponent).envctl-\(UUID().uuidString.prefix(8))"
            let relative = ((located.value as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent(name)
            let path = ((requirements.file.resolved as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent(name)
            Cleanup.register(path)
            temporary = path
            try AtomicFile.write(requirements.text, to: path)
            spec.environments[i].requirements = Located(relative, at: located.location)
        }
        var options = LockOptions(offline: offline, uvEnvironment: uvEnvironment)
        options.previous = previous
        options.upgrade = [env.name: upgrade]
        options.refreshImages = refreshImages
        let locker = Locker(knowledgeBase: kb, pinner: pinner, images: images, generatedBy: generatedBy)
        // The inputs hash covers the requirements file's contents (the temporary file's), not its name.
        let lock = try await locker.lock(spec, options: options).carryingPushRecords(from: previous)
        let empty = Lockfile(
            generatedBy: "", knowledgeBase: lock.knowledgeBase, specHash: "", fleet: nil, environments: [])
        let diff = LockDiff.compare(previous ?? empty, lock, labels: (lockPath, dryRun ? "after (dry run)" : "after"))

        var files: [String] = []
        if specText != originalSpec { files.append(specPath) }
        if let requirements { files.append(requirements.file.resolved) }
        let newLockText = try lock.yaml()
        let oldLockText = previous == nil ? nil : try? read(lockPath, what: "lock")
        if newLockText != oldLockText { files.append(lockPath) }
        if !dryRun {
            if let requirements { try AtomicFile.write(requirements.text, to: requirements.file.resolved) }
            if specText != originalSpec { try AtomicFile.write(specText, to: specPath) }
            try lock.write(to: lockPath)
        }
        return Outcome(environment: env.name, diff: diff, files: files, notes: notes, written: !dryRun)
    }

    func select(_ name: String?, in spec: Spec) throws(DiagnosticsError) -> EnvironmentSpec {
        let names = spec.environments.map(\.name).joined(separator: ", ")
        if let name {
            guard let env = spec.environment(named: name) else {
                throw SpecEdit.failure(
                    "no environment '\(name.escapedForMessage)' in \(specPath)", hint: "it has: \(names)")
            }
            return env
        }
        guard spec.environments.count == 1 else {
            throw SpecEdit.failure(
                "\(specPath) has \(spec.environments.count) environments (\(names))", hint: "choose one with --env NAME"
            )
        }
        return spec.environments[0]
    }

    func noLock(_ env: String) -> DiagnosticsError {
        SpecEdit.failure(
            "environment '\(env)' is not locked in \(lockPath)", hint: "run 'envctl lock' first, then upgrade")
    }

    func read(_ path: String, what: String) throws -> String {
        do {
            return String(decoding: try BoundedFile.contents(of: path, limit: 64 << 20), as: UTF8.self)
        } catch {
            throw SpecEdit.failure("cannot read \(what) '\(path)'")
        }
    }
}

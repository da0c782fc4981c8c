package import EnvctlKnowledge
import EnvctlLocking
package import EnvctlModel
import EnvctlResolver
import Foundation
package import OCIRegistry

/// What makes a lock stale, in sentences.
package enum LockCheck {
    /// The verdict of `envctl lock --check`.
    package enum Status: Sendable, Hashable {
        /// There is no lock at all.
        case missing
        case upToDate
        /// The lock no longer matches its inputs; each string says what changed.
        case stale([String])
    }

    /// Compares the lock at `lockPath` with what `envctl lock` would write now; writes nothing.
    /// - Parameter registry: when given (`--refresh`), each pinned tag is resolved again and compared.
    package static func check(
        spec: Spec, knowledgeBase: KnowledgeBase, lockPath: String, registry: (any ImageRegistry)?
    )
        async throws -> Status
    {
        guard FileManager.default.fileExists(atPath: lockPath) else { return .missing }
        let changes = try await changes(
            spec: spec, knowledgeBase: knowledgeBase, lock: try Lockfile.load(fileAt: lockPath), registry: registry)
        return changes.isEmpty ? .upToDate : .stale(changes)
    }

    /// `envctl lock --check`: returns when the lock at `lockPath` is up to date.
    /// - Throws: `StaleLockError` (kind `.stale`) when it is missing or no longer matches its inputs.
    package static func requireUpToDate(
        spec: Spec, knowledgeBase: KnowledgeBase, lockPath: String, registry: (any ImageRegistry)?
    )
        async throws
    {
        switch try await check(spec: spec, knowledgeBase: knowledgeBase, lockPath: lockPath, registry: registry) {
        case .upToDate: return
        case .missing: throw StaleLockError(lockPath: lockPath, changes: nil)
        case .stale(let changes): throw StaleLockError(lockPath: lockPath, changes: changes)
        }
    }

    /// - Parameter registry: when given (`--refresh`), each pinned tag is resolved again and compared.
    package static func changes(
        spec: Spec, knowledgeBase: KnowledgeBase, lock: Lockfile, registry: (any ImageRegistry)?
    )
        async throws -> [String]
    {
        var out: [String] = []
        if lock.specHash != Locker.inputsHash(spec: spec, knowledgeBase: knowledgeBase) {
            out.append(
                "\(spec.path), a requirements file it names, or the knowledge base (\(lock.knowledgeBase.version) -> \(knowledgeBase.version)) changed since the lock was written"
            )
        }
        let locked = Dictionary(lock.environments.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = spec.environments.map(\.name)
        for name in lock.environments.map(\.name) where !names.contains(name) {
            out.append("environment '\(name)' is locked but no longer in \(spec.path)")
        }
        let resolutions = try Resolver(knowledgeBase: knowledgeBase).resolve(spec)
        for (env, r) in zip(spec.environments, resolutions) {
            guard let old = locked[env.name] else {
                out.append("environment '\(env.name)' is not in the lock")
                continue
            }
            // The CUDA the lock's own nvidia-* pins install, checked against the fleet as 'envctl lock' does.
            var new = Locker.skeleton(env, r)
            new.pythonPackages = old.pythonPackages
            try Locker.applyCUDAWheels(&new, resolution: r, spec: spec, knowledgeBase: knowledgeBase)
            func cmp(_ what: String, _ a: String?, _ b: String?) {
                if a != b { out.append("\(env.name): \(what) \(a ?? "none") -> \(b ?? "none")") }
            }
            cmp("framework", old.framework?.label, new.framework?.label)
            cmp("CUDA", old.cuda, new.cuda)
            cmp("cuDNN", old.cudnn, new.cudnn)
            cmp("expected CUDA", old.expected?.cuda, new.expected?.cuda)
            cmp("expected cuDNN", old.expected?.cudnn, new.expected?.cudnn)
            cmp("driver minimum", old.driver.minimum, new.driver.minimum)
            cmp("Python", old.python, new.python)
            cmp("OS", old.os, new.os)
            cmp("base image", old.images.base.reference, new.images.base.reference)
            cmp("builder image", old.images.builder.reference, new.images.builder.reference)
            cmp("apt packages", old.apt.joined(separator: " "), new.apt.joined(separator: " "))
            cmp("image repository", old.image, new.image)
        }
        if let resolver = registry {
            for env in lock.environments {
                for image in [env.images.base, env.images.builder] {
                    guard let digest = image.digest else {
                        out.append("\(env.name): \(image.reference) is pinned by tag only (locked offline)")
                        continue
                    }
                    do {
                        let now = try await resolver.pin(image.reference, platform: "linux/amd64")
                        if now.digest.description != digest {
                            out.append(
                                "\(env.name): \(image.reference) moved upstream: locked \(digest), now \(now.digest)")
                        }
                    } catch {
                        out.append("\(env.name): cannot check \(image.reference): \(error)")
                    }
                }
            }
        }
        return out
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

    package var failureKind: FailureKind { .stale }

    /// The report, one line per change; it is not an `error:`, the lock just needs renewing.
    package var description: String {
        guard let changes else { return "stale: \(lockPath) does not exist; run 'envctl lock' and commit it" }
        return
            (["stale: \(lockPath) no longer matches its inputs:"] + changes.map { "  - \($0)" }
            + ["run 'envctl lock' and commit the result"]).joined(separator: "\n")
    }
}

package import EnvctlModel

/// What changed in the locked environments between two locks.
package struct LockDiff: Sendable, Hashable, Codable {
    package struct Change: Sendable, Hashable, Codable {
        /// `cuda`, `cudnn`, `driver floor`, `framework`, `python`, `image base`, `apt`, `env <NAME>`,
        /// `pushed digest`, `package <name>` (its version), `package <name> index`, `package <name> hashes`…
        package var field: String
        package var a: String?
        package var b: String?

        package init(field: String, a: String?, b: String?) {
            self.field = field
            self.a = a
            self.b = b
        }
    }

    package struct EnvironmentDiff: Sendable, Hashable, Codable {
        package enum Status: String, Sendable, Hashable, Codable { case added, removed, changed, unchanged }
        package var name: String
        package var status: Status
        package var changes: [Change]
    }

    package var a: String
    package var b: String
    package var environments: [EnvironmentDiff]

    package var hasChanges: Bool { environments.contains { $0.status != .unchanged } }

    package static func compare(_ la: Lockfile, _ lb: Lockfile, labels: (String, String)) -> LockDiff {
        var out: [EnvironmentDiff] = []
        var names = la.environments.map(\.name)
        for n in lb.environments.map(\.name) where !names.contains(n) { names.append(n) }
        for name in names {
            let ea = la.environment(named: name), eb = lb.environment(named: name)
            let changes = fields(ea).diff(fields(eb))
            let status: EnvironmentDiff.Status =
                ea == nil ? .added : eb == nil ? .removed : changes.isEmpty ? .unchanged : .changed
            out.append(EnvironmentDiff(name: name, status: status, changes: changes))
        }
        return LockDiff(a: labels.0, b: labels.1, environments: out)
    }

    /// Ordered field → value pairs for one environment (empty for a missing one): every field of the lock, so
    /// any change, an `apt` or `env` edit included, shows.
    static func fields(_ e: LockedEnvironment?) -> [(String, String)] {
        guard let e else { return [] }
        func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: " ") }
        var f: [(String, String)] = [
            ("framework", e.framework.map { "\($0.name) \($0.version) (\($0.variant))" } ?? "-"),
            ("framework package", e.framework?.package ?? "-"), ("framework index", e.framework?.indexURL ?? "-"),
            ("framework extra", e.framework?.extra ?? "-"),
        ]
        for (name, version) in (e.framework?.companions ?? [:]).sorted(by: { $0.key < $1.key }) {
            f.append(("companion \(name)", version))
        }
        f += [
            ("cuda", e.cuda), ("cudnn", e.cudnn ?? "-"), ("python", e.python), ("os", e.os),
            ("platforms", list(e.platforms)),
            ("driver floor", e.driver.minimum ?? "-"), ("driver full compatibility", e.driver.fullCompatibility ?? "-"),
            ("driver compatibility", e.driver.compatibility.rawValue), ("archs", e.archs.joined(separator: ",")),
            ("cuda libraries", e.cudaLibraries),
            ("image base", e.images.base.pinnedReference),
            ("image base platform digest", e.images.base.platformDigest ?? "-"),
            ("image builder", e.images.builder.pinnedReference),
            ("image builder platform digest", e.images.builder.platformDigest ?? "-"),
        ]
        for (role, image) in [("base", e.images.base), ("builder", e.images.builder)] {
            for (platform, digest) in image.platformDigests.sorted(by: { $0.key < $1.key }) {
                f.append(("image \(role) \(platform) digest", digest))
            }
        }
        f += [("image repository", e.image ?? "-"), ("apt", list(e.apt))]
        for (name, value) in e.env.sorted(by: { $0.key < $1.key }) { f.append(("env \(name)", value)) }
        f.append(("python platform", e.pythonPackages.platform))
        for p in e.pythonPackages.packages.sorted(by: { $0.name < $1.name }) {
            f.append(("package \(p.name)", p.version))
            f.append(("package \(p.name) index", p.index ?? "-"))
            f.append(("package \(p.name) hashes", list(p.hashes)))
        }
        // The other platforms' pins, each under its platform, so a change on one platform says which.
        for (platform, python) in e.platformPythonPackages.sorted(by: { $0.key < $1.key }) {
            f.append(("\(platform) python platform", python.platform))
            for p in python.packages.sorted(by: { $0.name < $1.name }) {
                f.append(("\(platform) package \(p.name)", p.version))
                f.append(("\(platform) package \(p.name) index", p.index ?? "-"))
                f.append(("\(platform) package \(p.name) hashes", list(p.hashes)))
            }
        }
        f += [
            ("pushed reference", e.pushed?.reference ?? "-"), ("pushed digest", e.pushed?.digest ?? "-"),
            ("lock hash", e.hash),
            ("pushed revision", e.pushed?.build?.revision ?? "-"), ("pushed source", e.pushed?.build?.source ?? "-"),
            ("pushed source date epoch", e.pushed?.build.map { String($0.sourceDateEpoch) } ?? "-"),
            ("reasons", e.reasons.isEmpty ? "-" : e.reasons.joined(separator: " | ")),
            ("warnings", e.warnings.isEmpty ? "-" : e.warnings.joined(separator: " | ")),
        ]
        return f
    }
}

extension Array where Element == (String, String) {
    fileprivate func diff(_ other: [(String, String)]) -> [LockDiff.Change] {
        // Both sides list fields in the same order; merge them so a field only one side has stays in place.
        let ka = map(\.0), kb = other.map(\.0)
        let inA = Set(ka), inB = Set(kb)
        var keys: [String] = []
        var seen: Set<String> = []
        var i = 0, j = 0
        while i < ka.count || j < kb.count {
            if i < ka.count, seen.contains(ka[i]) {
                i += 1
            } else if j < kb.count, seen.contains(kb[j]) {
                j += 1
            } else if i < ka.count, !inB.contains(ka[i]) {
                keys.append(ka[i])
                seen.insert(ka[i])
            } else if j < kb.count, !inA.contains(kb[j]) {
                keys.append(kb[j])
                seen.insert(kb[j])
            } else {
                let k = i < ka.count ? ka[i] : kb[j]
                keys.append(k)
                seen.insert(k)
            }
        }
        let a = Dictionary(self, uniquingKeysWith: { x, _ in x }),
            b = Dictionary(other, uniquingKeysWith: { x, _ in x })
        // A field one side lacks reads as "-", so an added package shows its version, not an empty index.
        return keys.compactMap { k in
            (a[k] ?? "-") == (b[k] ?? "-") ? nil : LockDiff.Change(field: k, a: a[k], b: b[k])
        }
    }
}

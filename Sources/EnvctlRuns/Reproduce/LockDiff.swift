package import EnvctlModel

/// What changed in the locked environments between two locks.
package struct LockDiff: Sendable, Hashable, Codable {
    package struct Change: Sendable, Hashable, Codable {
        /// `cuda`, `cudnn`, `driver floor`, `framework`, `python`, `image base`, `pushed digest`,
        /// or `package <name>` for a Python package.
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

    /// Ordered field → value pairs for one environment (empty for a missing one).
    static func fields(_ e: LockedEnvironment?) -> [(String, String)] {
        guard let e else { return [] }
        var f: [(String, String)] = [
            ("cuda", e.cuda), ("cudnn", e.cudnn ?? "-"), ("driver floor", e.driver.minimum ?? "-"),
            ("driver compatibility", e.driver.compatibility.rawValue),
            ("framework", e.framework.map { "\($0.name) \($0.version) (\($0.variant))" } ?? "-"),
            ("python", e.python), ("os", e.os), ("archs", e.archs.joined(separator: ",")),
            ("image base", e.images.base.pinnedReference), ("image builder", e.images.builder.pinnedReference),
            ("pushed digest", e.pushed?.digest ?? "-"), ("lock hash", e.hash),
        ]
        for p in e.pythonPackages.packages.sorted(by: { $0.name < $1.name }) {
            f.append(("package \(p.name)", p.version))
        }
        return f
    }
}

extension Array where Element == (String, String) {
    fileprivate func diff(_ other: [(String, String)]) -> [LockDiff.Change] {
        var keys = map(\.0)
        for (k, _) in other where !keys.contains(k) { keys.append(k) }
        let a = Dictionary(self, uniquingKeysWith: { x, _ in x }),
            b = Dictionary(other, uniquingKeysWith: { x, _ in x })
        return keys.compactMap { k in a[k] == b[k] ? nil : LockDiff.Change(field: k, a: a[k], b: b[k]) }
    }
}

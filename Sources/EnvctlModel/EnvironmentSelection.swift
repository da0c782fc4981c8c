extension Lockfile {
    /// The one rule for choosing an environment from a lock: the named one, or the only one when `name`
    /// is nil. Every command that takes `--env` uses it.
    /// - Parameter file: the lock's path, for the message (`the lock` when nil).
    /// - Throws: bad input naming the environments the lock has.
    package func selectEnvironment(_ name: String?, file: String? = nil) throws(DiagnosticsError) -> LockedEnvironment {
        let names = environments.map(\.name).joined(separator: ", ")
        let lock = file ?? "the lock"
        if let name {
            guard let env = environment(named: name) else {
                throw DiagnosticsError([.error("no environment '\(name)' in \(lock)", hint: "it has: \(names)")])
            }
            return env
        }
        guard environments.count == 1 else {
            throw DiagnosticsError([
                .error("\(lock) has \(environments.count) environments (\(names))", hint: "choose one with --env NAME")
            ])
        }
        return environments[0]
    }
}

package import EnvctlModel
import Foundation

/// The user's container settings for `envctl run`: variables, env files, volumes, published ports, GPU
/// selection, `/dev/shm` size, working directory and container name.
///
/// Every value is checked here (a bad one is bad input, exit 64) and becomes separate argv entries for the
/// runtime: nothing goes through a shell. Variable values are never written to a run record or to envctl's
/// output; ``stamp`` keeps only their names.
package struct ContainerOptions: Sendable, Hashable {
    /// One `-e` variable: `value` nil passes the runtime's inherited value (`-e NAME`, docker's form), so
    /// a secret exported in envctl's environment never appears in any process's argv.
    package struct Variable: Sendable, Hashable {
        package var name: String
        package var value: String?

        package init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// Which GPUs the container gets when the host has any.
    package enum GPUSelection: Sendable, Hashable {
        case all
        /// No GPU flags, even on a GPU host.
        case none
        /// Indices (`0`) or UUIDs (`GPU-…`, `MIG-…`) as nvidia-smi lists them.
        case devices([String])

        package var description: String {
            switch self {
            case .all: "all"
            case .none: "none"
            case .devices(let d): d.joined(separator: ",")
            }
        }
    }

    package var variables: [Variable] = []
    /// Absolute paths, read by the runtime (`--env-file`).
    package var envFiles: [String] = []
    /// Names of the variables the env files set (for the record; values are not kept).
    package var envFileNames: [String] = []
    /// `SOURCE:DEST[:OPTIONS]` with a host-path source made absolute.
    package var volumes: [String] = []
    /// `[IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, as given.
    package var publish: [String] = []
    package var gpus: GPUSelection = .all
    package var workdir: String?
    package var name: String?

    package init() {}

    /// What the run record keeps: names and settings, never variable values.
    package var stamp: RunRecord.ContainerStamp {
        RunRecord.ContainerStamp(
            name: name, workdir: workdir,
            environmentNames: Array(Set(variables.map(\.name) + envFileNames)).sorted(),
            envFiles: envFiles, volumes: volumes, publish: publish, gpus: gpus.description)
    }

    /// The runtime arguments for these options (without GPU, name and workdir, which the invocation places).
    var runtimeArguments: [String] {
        var a: [String] = []
        for f in envFiles { a += ["--env-file", f] }
        for v in variables { a += ["-e", v.value.map { "\(v.name)=\($0)" } ?? v.name] }
        for v in volumes { a += ["-v", v] }
        for p in publish { a += ["-p", p] }
        return a
    }
}

// MARK: - Parsing and validation

extension ContainerOptions {
    /// Checks and normalises the flags' values. `cwd` resolves relative host paths; `processEnvironment` is
    /// where `-e NAME` (no value) takes its value from, so a missing one is caught here, not silently dropped.
    package static func parse(
        env: [String] = [], envFiles: [String] = [], volumes: [String] = [], publish: [String] = [],
        gpus: String? = nil, workdir: String? = nil, name: String? = nil, mountPoint: String = "/workspace",
        cwd: String = FileManager.default.currentDirectoryPath,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RunsError) -> ContainerOptions {
        var o = ContainerOptions()
        var seen: [String: Int] = [:]
        for item in env {
            let v = try parseVariable(item, processEnvironment: processEnvironment)
            if let i = seen[v.name] {
                o.variables[i] = v
            } else {
                seen[v.name] = o.variables.count
                o.variables.append(v)
            }
            if let value = v.value ?? processEnvironment[v.name], looksSecret(v.name) { Secrets.register(value) }
        }
        for file in envFiles {
            let path = absolute(file, cwd: cwd)
            o.envFileNames += try envFileNames(path, shown: file)
            o.envFiles.append(path)
        }
        o.volumes = try volumes.map { v throws(RunsError) in try parseVolume(v, mountPoint: mountPoint, cwd: cwd) }
        o.publish = try publish.map { p throws(RunsError) in try parsePublish(p) }
        if let gpus { o.gpus = try parseGPUs(gpus) }
        if let workdir { o.workdir = try parseWorkdir(workdir) }
        if let name { o.name = try parseName(name) }
        return o
    }

    /// The settings of recorded run `runID` for `reproduce`. GPU selection and working directory always
    /// apply; volumes, published ports, env files and variables only with `hostSettings`, because a record
    /// can come from the repository, and those give its command host files and the user's variables.
    /// Variables are passed by name (`-e NAME`): the record has no values, so each must be set in
    /// `processEnvironment`, and a missing one is bad input naming it. Everything is checked as `run` checks it.
    package static func replaying(
        _ stamp: RunRecord.ContainerStamp, runID: String, hostSettings: Bool,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RunsError) -> ContainerOptions {
        guard hostSettings else { return try parse(gpus: stamp.gpus, workdir: workdir(of: stamp, hostSettings: false)) }
        var fromFiles = Set<String>()
        for file in stamp.envFiles {
            do { fromFiles.formUnion(try envFileNames(file, shown: file)) } catch {
                throw RunsError(.badInput, "run \(runID)'s env file is gone or unreadable: \(error.message)")
            }
        }
        let names = stamp.environmentNames.filter { !fromFiles.contains($0) }
        let missing = names.filter { processEnvironment[$0] == nil }
        guard missing.isEmpty else {
            throw RunsError(
                .badInput,
                "run \(runID) set \(missing.joined(separator: ", ")) in its container, and envctl records names, never values",
                hint:
                    "export \(missing.joined(separator: ", ")) before reproducing; each is passed from envctl's environment"
            )
        }
        return try parse(
            env: names, envFiles: stamp.envFiles, volumes: stamp.volumes, publish: stamp.publish, gpus: stamp.gpus,
            workdir: stamp.workdir, cwd: "/", processEnvironment: processEnvironment)
    }

    /// The recorded settings that `replaying` applies only with `hostSettings`, as `run` flags.
    package static func hostSettings(of stamp: RunRecord.ContainerStamp) -> [String] {
        let workdir = stamp.workdir.flatMap { self.workdir(of: stamp, hostSettings: false) == nil ? $0 : nil }
        return stamp.volumes.map { "-v \($0)" } + stamp.publish.map { "-p \($0)" }
            + stamp.envFiles.map { "--env-file \($0)" } + stamp.environmentNames.map { "-e \($0)" }
            + (workdir.map { ["--workdir \($0)"] } ?? [])
    }

    /// The working directory a replay uses: without the volumes, not one inside a volume (it would not exist).
    package static func workdir(of stamp: RunRecord.ContainerStamp, hostSettings: Bool) -> String? {
        guard let workdir = stamp.workdir, !hostSettings else { return stamp.workdir }
        let inVolume = stamp.volumes.contains { volume in
            let parts = volume.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2 else { return false }
            let destination = String(parts[1])
            return workdir == destination || workdir.hasPrefix(destination + "/")
        }
        return inVolume ? nil : workdir
    }

    nonisolated(unsafe) static let variableName = #/[A-Za-z_][A-Za-z0-9_]*/#

    static func parseVariable(_ item: String, processEnvironment: [String: String]) throws(RunsError) -> Variable {
        let name = String(item.prefix { $0 != "=" })
        guard (try? variableName.wholeMatch(in: name)) != nil else {
            throw RunsError(
                .badInput, "-e: '\(shown(name))' is not a variable name",
                hint: "use -e NAME=VALUE, or -e NAME to pass NAME's value from envctl's environment")
        }
        guard !name.hasPrefix("ENVCTL_") else {
            throw RunsError(
                .badInput, "-e \(name): ENVCTL_ variables are set by envctl (ENVCTL_RUN_ID, ENVCTL_LOCK_HASH, …)")
        }
        guard name.count < item.count else {
            guard processEnvironment[name] != nil else {
                throw RunsError(
                    .badInput, "-e \(name): \(name) is not set in envctl's environment",
                    hint: "export \(name) first, or pass -e \(name)=VALUE")
            }
            return Variable(name: name, value: nil)
        }
        let value = String(item.dropFirst(name.count + 1))
        // The value is never shown: it may be a secret.
        guard !value.contains("\0") else { throw RunsError(.badInput, "-e \(name): the value contains a NUL byte") }
        return Variable(name: name, value: value)
    }

    /// Names whose values are registered as secrets (redacted from any output), in case one slips through.
    static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH"].contains { upper.contains($0) }
    }

    /// The names an env file sets (`NAME=VALUE` or `NAME` lines; blank lines and `#` comments skipped).
    static func envFileNames(_ path: String, shown file: String) throws(RunsError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw RunsError(.badInput, "--env-file \(file): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw RunsError(.badInput, "--env-file \(file): cannot read it as UTF-8 text")
        }
        var names: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != "=" })
            guard (try? variableName.wholeMatch(in: name)) != nil, !name.hasPrefix("ENVCTL_") else {
                throw RunsError(
                    .badInput,
                    "\(file):\(n + 1): expected NAME=VALUE (a variable name, not ENVCTL_…), found '\(shown(name))'")
            }
            names.append(name)
        }
        return names
    }

    static let volumeOptions: Set<String> = [
        "ro", "rw", "z", "Z", "O", "U", "shared", "rshared", "slave", "rslave", "private", "rprivate", "nocopy",
        "noexec", "exec", "nosuid", "suid", "nodev", "dev", "delegated", "cached", "consistent",
    ]
    nonisolated(unsafe) static let volumeName = #/[A-Za-z0-9][A-Za-z0-9_.-]*/#

    static func parseVolume(_ spec: String, mountPoint: String, cwd: String) throws(RunsError) -> String {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let hint = "use -v HOST_PATH:CONTAINER_PATH[:ro] or -v VOLUME_NAME:CONTAINER_PATH"
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw RunsError(.badInput, "-v \(shown(spec)): expected SOURCE:DESTINATION[:OPTIONS]", hint: hint)
        }
        var source = parts[0]
        if source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.contains("/") {
            source = absolute(source, cwd: cwd)
            guard FileManager.default.fileExists(atPath: source) else {
                throw RunsError(
                    .badInput, "-v \(shown(spec)): \(source) does not exist",
                    hint: "create it first: envctl does not let the runtime create host directories")
            }
        } else if (try? volumeName.wholeMatch(in: source)) == nil {
            throw RunsError(.badInput, "-v \(shown(spec)): '\(shown(source))' is neither a path nor a volume name")
        }
        let destination = parts[1]
        guard destination.hasPrefix("/"), destination != "/" else {
            throw RunsError(.badInput, "-v \(shown(spec)): the container path must be absolute (and not /)", hint: hint)
        }
        guard destination != mountPoint else {
            throw RunsError(.badInput, "-v \(shown(spec)): \(mountPoint) is where envctl mounts the workspace")
        }
        var normalized = "\(source):\(destination)"
        if parts.count == 3 {
            let options = parts[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let bad = options.first(where: { !volumeOptions.contains($0) }) {
                throw RunsError(
                    .badInput, "-v \(shown(spec)): unknown mount option '\(shown(bad))'",
                    hint: "options: " + volumeOptions.sorted().joined(separator: ", "))
            }
            normalized += ":" + parts[2]
        }
        return normalized
    }

    /// `[IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp|sctp]`; ports and ranges (`8000-8010`) in 1…65535, an IPv6
    /// address in brackets.
    static func parsePublish(_ spec: String) throws(RunsError) -> String {
        let bad = { (why: String) in
            RunsError(
                .badInput, "-p \(shown(spec)): \(why)",
                hint: "use -p [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. -p 127.0.0.1:8000:8000")
        }
        var rest = Substring(spec)
        if let slash = rest.lastIndex(of: "/") {
            guard ["tcp", "udp", "sctp"].contains(rest[rest.index(after: slash)...]) else {
                throw bad("the protocol must be tcp, udp or sctp")
            }
            rest = rest[..<slash]
        }
        var ip: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw bad("an IPv6 address is written [ADDRESS]:…")
            }
            ip = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(close, offsetBy: 2)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let ports: [String]
        switch (ip, parts.count) {
        case (nil, 3):
            ip = parts[0]
            ports = [parts[1], parts[2]]
        case (_, 1), (_, 2): ports = parts
        default: throw bad("expected at most IP, host port and container port")
        }
        if let ip {
            guard isIPAddress(ip) else { throw bad("'\(shown(ip))' is not an IP address") }
        }
        for (i, p) in ports.enumerated() {
            // An empty host port (IP::PORT) lets the runtime choose one.
            if p.isEmpty && i == 0 && ports.count == 2 { continue }
            guard isPortOrRange(p) else { throw bad("'\(shown(p))' is not a port (1-65535) or a range of ports") }
        }
        return spec
    }

    static func isPortOrRange(_ s: String) -> Bool {
        let ends = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count) else { return false }
        var numbers: [Int] = []
        for e in ends {
            guard !e.isEmpty, e.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(e), (1...65535).contains(n)
            else { return false }
            numbers.append(n)
        }
        return numbers.count == 1 || numbers[0] <= numbers[1]
    }

    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }

    nonisolated(unsafe) static let gpuID = #/[0-9]+|(?:GPU|MIG)-[0-9A-Za-z/-]+/#

    /// `all`, `none`, or a comma-separated list of GPU indices or UUIDs.
    package static func parseGPUs(_ value: String) throws(RunsError) -> GPUSelection {
        switch value {
        case "all": return .all
        case "none": return .none
        default: break
        }
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for item in items where (try? gpuID.wholeMatch(in: item)) == nil {
            throw RunsError(
                .badInput, "--gpus \(shown(value)): '\(shown(item))' is not a GPU index or UUID",
                hint: "use --gpus all, --gpus none, or indices as nvidia-smi lists them: --gpus 0,1")
        }
        guard Set(items).count == items.count else {
            throw RunsError(.badInput, "--gpus \(shown(value)): a GPU is listed twice")
        }
        return .devices(items)
    }

    nonisolated(unsafe) static let shmSizePattern = #/[1-9][0-9]*(?:[kKmMgGtT][iI]?[bB]?|[bB])?/#

    /// A size such as `16g`, `512m` or `1073741824`.
    package static func parseShmSize(_ value: String) throws(RunsError) -> String {
        guard (try? shmSizePattern.wholeMatch(in: value)) != nil else {
            throw RunsError(
                .badInput, "--shm-size \(shown(value)): not a size",
                hint: "use a number with an optional unit: 16g, 512m")
        }
        return value
    }

    static func parseWorkdir(_ value: String) throws(RunsError) -> String {
        guard value.hasPrefix("/"), !value.contains(where: { $0 == "\0" || $0.isNewline }) else {
            throw RunsError(.badInput, "--workdir \(shown(value)): must be an absolute path in the container")
        }
        return value
    }

    nonisolated(unsafe) static let containerName = #/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}/#

    static func parseName(_ value: String) throws(RunsError) -> String {
        guard (try? containerName.wholeMatch(in: value)) != nil else {
            throw RunsError(
                .badInput, "--name \(shown(value)): not a container name",
                hint: "letters, digits, '_', '.' and '-', starting with a letter or digit (at most 128)")
        }
        return value
    }

    static func absolute(_ path: String, cwd: String) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") {
            p = (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + p.dropFirst()
        }
        if !p.hasPrefix("/") { p = cwd + "/" + p }
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    /// A user value cut short and stripped of control characters, for an error message.
    static func shown(_ s: String) -> String {
        let clean = String(s.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return clean.count > 80 ? String(clean.prefix(80)) + "…" : clean
    }
}

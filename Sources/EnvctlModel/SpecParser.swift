import Foundation
import Yams

/// Reads `envctl.yaml` into a ``Spec``, collecting every problem with its `file:line:col`.
///
/// The parser works on Yams' node tree rather than `Decodable` because Decodable loses source
/// positions and stops at the first error; users fix specs faster when they see all problems at once.
package struct SpecParser {
    package init() {}

    static let topLevelKeys = ["version", "fleet", "environments", "python_index", "knowledge", "network"]
    static let fleetKeys = ["driver", "gpus", "platforms"]
    static let environmentKeys = [
        "framework", "cuda", "cudnn", "python", "os", "requirements", "packages", "apt", "image",
        "cuda_libraries", "cuda_wheels", "env", "python_source", "platforms", "kind", "base", "copy", "entrypoint",
        "cmd", "workdir",
    ]
    /// Keys of a GPU environment that a plain one (`kind: plain`) refuses.
    static let gpuOnlyKeys = [
        "framework", "cuda", "cudnn", "python", "os", "requirements", "packages", "cuda_libraries", "cuda_wheels",
        "python_source",
    ]
    /// Keys only a plain environment takes.
    static let plainOnlyKeys = ["base", "copy", "entrypoint", "cmd", "workdir"]

    /// Parses the spec at `path`.
    /// - Throws: ``DiagnosticsError`` with every error found, or when the file can't be read.
    package func parse(fileAt path: String) throws(DiagnosticsError) -> Spec {
        let data: Data
        do {
            data = try BoundedFile.contents(of: path, limit: InputLimits.specBytes)
        } catch .tooLarge(let limit) {
            throw DiagnosticsError([
                .error(
                    "cannot read spec file '\(path)': \(BoundedFile.Failure.tooLarge(limit: limit).reason(what: "a spec"))"
                )
            ])
        } catch {
            throw DiagnosticsError([
                .error(
                    "cannot read spec file '\(path)'",
                    hint: "run envctl in the directory holding envctl.yaml, or pass --spec PATH")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([
                .error("'\(path)' is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
            ])
        }
        return try parse(text, path: path)
    }

    /// Parses spec text; `path` is used only in diagnostics and as the base for relative paths.
    package func parse(_ text: String, path: String) throws(DiagnosticsError) -> Spec {
        var ctx = Context(file: path)
        guard let root = try BoundedYAML.compose(text, file: path, limits: .spec) else {
            throw DiagnosticsError([
                .error(
                    "spec is empty", hint: "start with 'version: 1' and an 'environments:' mapping",
                    at: SourceLocation(file: path, line: 1, column: 1))
            ])
        }
        var spec = Spec(path: path, source: text)
        guard let mapping = ctx.mapping(root, what: "the spec") else { throw DiagnosticsError(ctx.diagnostics) }
        ctx.rejectUnknownKeys(mapping, allowed: Self.topLevelKeys, in: "the spec")

        if let node = mapping["version"] {
            if let v = ctx.scalar(node, what: "version"), v != "1" {
                ctx.error("unsupported spec version '\(v)'", hint: "this envctl reads 'version: 1'", node)
            }
        } else {
            ctx.error("missing 'version'", hint: "add 'version: 1' at the top", root)
        }
        if let fleet = mapping["fleet"] { spec.fleet = parseFleet(fleet, &ctx) }
        if let pi = mapping["python_index"] { spec.pythonIndexes = parsePythonIndex(pi, &ctx) }
        if let n = mapping["network"] { spec.network = parseNetwork(n, &ctx) }
        if let k = mapping["knowledge"], let items = ctx.sequence(k, what: "knowledge") {
            for item in items {
                if let s = ctx.scalar(item, what: "a knowledge file path") {
                    spec.knowledgeFiles.append(Located(s, at: ctx.location(item)))
                }
            }
        }
        if let envs = mapping["environments"] {
            if let envMapping = ctx.mapping(envs, what: "environments") {
                if envMapping.count == 0 {
                    ctx.error("'environments' is empty", hint: "add at least one environment, e.g. 'train:'", envs)
                }
                for (key, value) in envMapping {
                    guard let name = ctx.scalar(key, what: "an environment name") else { continue }
                    if name.range(of: #"^[a-z0-9][a-z0-9_-]{0,62}$"#, options: .regularExpression) == nil {
                        ctx.error(
                            "environment name '\(name)' is not allowed",
                            hint: "use lowercase letters, digits, '-' and '_' (it becomes part of image tags)", key)
                    }
                    spec.environments.append(parseEnvironment(name: name, key: key, value, &ctx))
                }
            }
        } else {
            ctx.error(
                "missing 'environments'", hint: "add an 'environments:' mapping with at least one environment", root)
        }
        if !ctx.diagnostics.filter({ $0.severity == .error }).isEmpty {
            // In file order, as a user fixes them top to bottom.
            let sorted = ctx.diagnostics.enumerated().sorted { a, b in
                let la = a.element.location, lb = b.element.location
                return (la?.line ?? 0, la?.column ?? 0, a.offset) < (lb?.line ?? 0, lb?.column ?? 0, b.offset)
            }.map(\.element)
            throw DiagnosticsError(sorted)
        }
        return spec
    }

    func parseFleet(_ node: Node, _ ctx: inout Context) -> Fleet {
        var fleet = Fleet()
        guard let m = ctx.mapping(node, what: "fleet") else { return fleet }
        ctx.rejectUnknownKeys(m, allowed: Self.fleetKeys, in: "fleet")
        if let d = m["driver"], let s = ctx.scalar(d, what: "fleet.driver") {
            if let v = Version(s), v.local == nil, v.components.count >= 2, v.major >= 300, v.major < 2000 {
                fleet.driver = Located(v, at: ctx.location(d))
            } else {
                ctx.error(
                    "'\(s)' is not an NVIDIA driver version",
                    hint: "write the lowest driver in the fleet as nvidia-smi prints it, e.g. \"535.104.05\"", d)
            }
        }
        if let g = m["gpus"], let items = ctx.sequence(g, what: "fleet.gpus") {
            for item in items {
                if let s = ctx.scalar(item, what: "a GPU") {
                    fleet.gpus.append(Located(s, at: ctx.location(item)))
                }
            }
        }
        if let n = m["platforms"] { fleet.platforms = parsePlatforms(n, what: "fleet.platforms", &ctx) }
        return fleet
    }

    /// `platforms: [linux/amd64, linux/arm64]`: a non-empty list of known container platforms.
    func parsePlatforms(_ node: Node, what: String, _ ctx: inout Context) -> Located<[String]>? {
        guard let items = ctx.sequence(node, what: what) else { return nil }
        var out: [String] = []
        for item in items {
            guard let s = ctx.scalar(item, what: "a platform") else { continue }
            if ContainerPlatform.known.contains(s) {
                if !out.contains(s) { out.append(s) }
            } else {
                ctx.error(
                    "'\(s)' is not a platform envctl builds for",
                    hint: "use \(ContainerPlatform.known.joined(separator: " or ")); Jetson (L4T) is not supported",
                    item)
            }
        }
        if out.isEmpty, items.isEmpty {
            ctx.error("\(what) is empty", hint: "list linux/amd64, linux/arm64 or both, or leave it out", node)
            return nil
        }
        return out.isEmpty ? nil : Located(out, at: ctx.location(node))
    }

    func parsePythonIndex(_ node: Node, _ ctx: inout Context) -> PythonIndexSettings {
        var settings = PythonIndexSettings()
        guard let m = ctx.mapping(node, what: "python_index") else { return settings }
        ctx.rejectUnknownKeys(m, allowed: ["url", "mirrors"], in: "python_index")
        if let u = m["url"], let s = ctx.scalar(u, what: "python_index.url") {
            if ctx.checkURL(s, u) { settings.defaultIndex = s }
        }
        if let mm = m["mirrors"], let mirrors = ctx.mapping(mm, what: "python_index.mirrors") {
            for (k, v) in mirrors {
                if let from = ctx.scalar(k, what: "a mirrored URL prefix"),
                    let to = ctx.scalar(v, what: "a mirror URL"),
                    ctx.checkURL(from, k), ctx.checkURL(to, v)
                {
                    settings.mirrors[from] = to
                }
            }
        }
        return settings
    }

    /// `network:`: `ca_bundle`, `proxy: {http, https, no_proxy}` and `credentials: [{url, username |
    /// username_env, password_env}]`. Secrets are named by variable, never written: a proxy URL with a
    /// password or a literal `password` key is an error.
    func parseNetwork(_ node: Node, _ ctx: inout Context) -> NetworkSettings {
        var settings = NetworkSettings()
        guard let m = ctx.mapping(node, what: "network") else { return settings }
        ctx.rejectUnknownKeys(m, allowed: ["ca_bundle", "proxy", "credentials"], in: "network")
        if let c = m["ca_bundle"], let s = ctx.scalar(c, what: "network.ca_bundle") {
            settings.caBundle = Located(s, at: ctx.location(c))
        }
        if let p = m["proxy"], let pm = ctx.mapping(p, what: "network.proxy") {
            ctx.rejectUnknownKeys(pm, allowed: ["http", "https", "no_proxy"], in: "network.proxy")
            for (k, v) in pm {
                guard let key = k.string, let name = NetworkSettings.proxyKeys[key],
                    let value = ctx.scalar(v, what: "network.proxy.\(key)")
                else { continue }
                if key != "no_proxy", let url = URL(string: value), url.user != nil || url.password != nil {
                    ctx.error(
                        "network.proxy.\(key) holds credentials",
                        hint: "keep secrets out of envctl.yaml: export \(name) and pass --proxy-from-env", v)
                    continue
                }
                if key != "no_proxy", !ctx.checkURL(value, v) { continue }
                settings.proxy[name] = value
            }
        }
        if let c = m["credentials"], let items = ctx.sequence(c, what: "network.credentials") {
            for item in items {
                guard let im = ctx.mapping(item, what: "a credential") else { continue }
                ctx.rejectUnknownKeys(
                    im, allowed: ["url", "username", "username_env", "password_env"], in: "a credential")
                guard let u = im["url"], let url = ctx.scalar(u, what: "credential url"), ctx.checkURL(url, u) else {
                    ctx.error("a credential needs 'url' (the index URL)", item)
                    continue
                }
                guard let p = im["password_env"], let passwordEnv = ctx.scalar(p, what: "password_env") else {
                    ctx.error(
                        "a credential needs 'password_env'",
                        hint:
                            "name the environment variable that holds the password; the secret never goes in envctl.yaml",
                        item)
                    continue
                }
                let username = im["username"].flatMap { ctx.scalar($0, what: "username") }
                let usernameEnv = im["username_env"].flatMap { ctx.scalar($0, what: "username_env") }
                if username == nil && usernameEnv == nil {
                    ctx.error("a credential needs 'username' or 'username_env'", item)
                    continue
                }
                settings.credentials.append(
                    IndexCredential(
                        url: Located(url, at: ctx.location(u)), username: username, usernameEnv: usernameEnv,
                        passwordEnv: passwordEnv))
            }
        }
        return settings
    }

    func parseEnvironment(name: String, key: Node, _ node: Node, _ ctx: inout Context) -> EnvironmentSpec {
        var env = EnvironmentSpec(name: name, location: ctx.location(key))
        if case .scalar(let s) = node, s.string.isEmpty || s.tag == .init(.null) {
            return env  // `train:` with nothing under it: a plain, newest CUDA environment
        }
        guard let m = ctx.mapping(node, what: "environment '\(name)'") else { return env }
        ctx.rejectUnknownKeys(m, allowed: Self.environmentKeys, in: "environment '\(name)'")

        if let f = m["framework"], let s = ctx.scalar(f, what: "framework") {
            do throws(ParseFailure) {
                env.framework = Located(try Self.parseFramework(s), at: ctx.location(f))
            } catch {
                ctx.error(error.message, hint: error.hint, f)
            }
        }
        for (field, keyPath) in [("cuda", \EnvironmentSpec.cuda), ("cudnn", \.cudnn), ("python", \.python)] {
            guard let n = m[field], let s = ctx.scalar(n, what: field) else { continue }
            do {
                env[keyPath: keyPath] = Located(try VersionSpecifier(parsing: s), at: ctx.location(n))
            } catch {
                ctx.error("\(field): \(error.message)", hint: Self.specifierHint(field), n)
            }
        }
        if let n = m["os"], let s = ctx.scalar(n, what: "os") {
            if s.range(of: #"^[a-z]+[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil {
                env.os = Located(s, at: ctx.location(n))
            } else {
                ctx.error(
                    "'\(s)' is not an OS name",
                    hint: "use the nvidia/cuda tag spelling, e.g. ubuntu22.04, ubuntu24.04, ubi9, rockylinux9", n)
            }
        }
        if let n = m["requirements"], let s = ctx.scalar(n, what: "requirements") {
            if s.contains("\n") || s.isEmpty {
                ctx.error("requirements must be a single file path", n)
            } else {
                env.requirements = Located(s, at: ctx.location(n))
            }
        }
        if let n = m["packages"], let items = ctx.sequence(n, what: "packages") {
            for item in items {
                guard let s = ctx.scalar(item, what: "a package requirement") else { continue }
                if s.contains(where: \.isNewline) || s.hasPrefix("-") || s.isEmpty {
                    ctx.error(
                        "'\(s)' is not a requirement line",
                        hint:
                            "write one PEP 508 requirement per item, e.g. \"numpy>=1.26\"; put pip options in python_index",
                        item)
                } else {
                    env.packages.append(Located(s, at: ctx.location(item)))
                }
            }
        }
        if let n = m["apt"], let items = ctx.sequence(n, what: "apt") {
            for item in items {
                guard let s = ctx.scalar(item, what: "an apt package") else { continue }
                if s.range(of: #"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$"#, options: .regularExpression) == nil {
                    ctx.error(
                        "'\(s)' is not a Debian package name",
                        hint: "apt entries are package names like 'git' or 'libgl1=1.7.0-1'", item)
                } else {
                    env.apt.append(Located(s, at: ctx.location(item)))
                }
            }
        }
        if let n = m["image"], let s = ctx.scalar(n, what: "image") {
            if let problem = Self.imageRepositoryProblem(s) {
                ctx.error(
                    problem, hint: "write the repository without tag or digest, e.g. registry.example.com/team/train", n
                )
            } else {
                env.image = Located(s, at: ctx.location(n))
            }
        }
        if let n = m["cuda_libraries"], let s = ctx.scalar(n, what: "cuda_libraries") {
            if let v = CUDALibrarySource(rawValue: s) {
                env.cudaLibraries = Located(v, at: ctx.location(n))
            } else {
                ctx.error(
                    "cuda_libraries must be 'wheels' or 'image', not '\(s)'",
                    hint:
                        "'wheels' (default) lets the framework's pip wheels bring CUDA; 'image' takes them from the CUDA image",
                    n)
            }
        }
        if let n = m["cuda_wheels"], let s = ctx.scalar(n, what: "cuda_wheels") {
            if let v = CUDAWheelPolicy(rawValue: s) {
                env.cudaWheels = Located(v, at: ctx.location(n))
            } else {
                ctx.error(
                    "cuda_wheels must be 'newest' or 'knowledge-base', not '\(s)'",
                    hint:
                        "'newest' (default) takes the newest nvidia-* wheels the framework allows; 'knowledge-base' holds them to the knowledge base's CUDA and cuDNN",
                    n)
            }
        }
        if let n = m["python_source"], let s = ctx.scalar(n, what: "python_source") {
            if let v = PythonSource(rawValue: s) {
                env.pythonSource = Located(v, at: ctx.location(n))
            } else {
                ctx.error(
                    "python_source must be 'standalone' or 'os', not '\(s)'",
                    hint:
                        "'standalone' (default) pins an exact python-build-standalone CPython build in the lock; 'os' installs the OS package",
                    n)
            }
        }
        if let n = m["platforms"] { env.platforms = parsePlatforms(n, what: "platforms", &ctx) }
        parsePlain(m, into: &env, key: key, &ctx)
        if let n = m["env"], let vars = ctx.mapping(n, what: "env") {
            for (k, v) in vars {
                guard let key = ctx.scalar(k, what: "an environment variable name"),
                    let value = ctx.scalar(v, what: "the value of \(key)")
                else { continue }
                if key.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) == nil {
                    ctx.error("'\(key)' is not a valid environment variable name", k)
                } else if value.contains(where: { $0.isNewline || $0 == "\0" }) {
                    ctx.error(
                        "the value of \(key) contains a line break", hint: "image environment values must be one line",
                        v)
                } else {
                    env.env[key] = value
                }
            }
        }
        return env
    }

    /// `kind:`, and the keys of a plain environment: `base:` (an image by tag), `copy:`, `entrypoint:`, `cmd:`.
    /// A plain environment refuses the GPU keys; a GPU one refuses the plain keys, each at its line.
    func parsePlain(_ m: Node.Mapping, into env: inout EnvironmentSpec, key: Node, _ ctx: inout Context) {
        if let n = m["kind"], let s = ctx.scalar(n, what: "kind") {
            if let k = EnvironmentKind(rawValue: s) {
                env.kind = Located(k, at: ctx.location(n))
            } else {
                ctx.error(
                    "kind must be 'gpu' or 'plain', not '\(s)'",
                    hint:
                        "'gpu' (default) solves CUDA and a framework for the fleet; 'plain' builds on an explicit base image",
                    n)
            }
        }
        let plain = env.isPlain
        for (k, _) in m {
            guard let name = k.string else { continue }
            if plain, Self.gpuOnlyKeys.contains(name) {
                ctx.error(
                    "'\(name)' does not apply to a plain environment (kind: plain)",
                    hint:
                        "a plain environment has no CUDA, framework or Python; remove '\(name)', or remove 'kind: plain'",
                    k)
            } else if !plain, Self.plainOnlyKeys.contains(name) {
                ctx.error(
                    "'\(name)' needs 'kind: plain' in environment '\(env.name)'",
                    hint:
                        "GPU environments take their base image from the resolver; add 'kind: plain' for an image on an explicit base",
                    k)
            }
        }
        guard plain else { return }
        if let n = m["base"], let s = ctx.scalar(n, what: "base") {
            if let problem = Self.baseImageProblem(s) {
                ctx.error(problem, hint: "write an image by tag, e.g. docker.io/library/debian:bookworm-slim", n)
            } else {
                env.base = Located(s, at: ctx.location(n))
            }
        } else if m["base"] == nil {
            ctx.error(
                "plain environment '\(env.name)' needs 'base'",
                hint: "name the image it builds on by tag, e.g. base: docker.io/library/debian:bookworm-slim", key)
        }
        if let n = m["copy"], let items = ctx.sequence(n, what: "copy") {
            for item in items {
                guard let im = ctx.mapping(item, what: "a copy entry") else { continue }
                ctx.rejectUnknownKeys(im, allowed: ["from", "to"], in: "a copy entry")
                guard let f = im["from"], let from = ctx.scalar(f, what: "copy 'from'"),
                    let t = im["to"], let to = ctx.scalar(t, what: "copy 'to'")
                else {
                    if im["from"] == nil || im["to"] == nil {
                        ctx.error(
                            "a copy entry needs 'from' (a path in the repository) and 'to' (a path in the image)", item)
                    }
                    continue
                }
                if from.isEmpty || from.contains(where: \.isNewline) {
                    ctx.error("copy 'from' must be a single path", f)
                } else if !to.hasPrefix("/") || to.contains(where: { $0.isNewline || $0 == "\0" })
                    || to.split(separator: "/").contains("..")
                {
                    ctx.error(
                        "copy 'to' must be an absolute path in the image without '..', not '\(to)'",
                        hint: "e.g. to: /opt/envctl", t)
                } else {
                    env.copy.append(CopyInstruction(from: Located(from, at: ctx.location(f)), to: to))
                }
            }
        }
        if let n = m["workdir"], let s = ctx.scalar(n, what: "workdir") {
            if !s.hasPrefix("/") || s.split(separator: "/").contains("..")
                || s.range(of: #"^[A-Za-z0-9._/-]+$"#, options: .regularExpression) == nil
            {
                ctx.error(
                    "workdir must be an absolute path of letters, digits, '.', '_', '-', not '\(s)'",
                    hint: "e.g. workdir: /work", n)
            } else {
                env.workdir = s
            }
        }
        for (field, keyPath) in [("entrypoint", \EnvironmentSpec.entrypoint), ("cmd", \.cmd)] {
            guard let n = m[field] else { continue }
            let items: [Node]
            if case .scalar = n {
                items = [n]
            } else if let seq = ctx.sequence(n, what: field) {
                items = Array(seq)
            } else {
                continue
            }
            var words: [String] = []
            for item in items {
                guard let s = ctx.scalar(item, what: "a \(field) word") else { continue }
                if s.contains(where: { $0.isNewline || $0 == "\0" }) {
                    ctx.error("\(field) words must be one line", item)
                } else {
                    words.append(s)
                }
            }
            if words.isEmpty {
                ctx.error("\(field) is empty", hint: "write it as a list, e.g. [/usr/local/bin/tool, --help]", n)
            } else {
                env[keyPath: keyPath] = words
            }
        }
    }

    /// Returns why `text` can't be a plain environment's `base:` (an image by tag, no digest), or nil when it can.
    package static func baseImageProblem(_ text: String) -> String? {
        if text.contains("@") {
            return "base '\(text)' has a digest; write the tag and let 'envctl lock' pin the digest"
        }
        let slash = text.lastIndex(of: "/") ?? text.startIndex
        guard let colon = text[slash...].lastIndex(of: ":") else {
            return "base '\(text)' has no tag"
        }
        let tag = text[text.index(after: colon)...]
        if tag.range(of: #"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"#, options: .regularExpression) == nil {
            return "base '\(text)' has an invalid tag '\(tag)'"
        }
        if let problem = imageRepositoryProblem(String(text[..<colon])) {
            return problem.replacingOccurrences(of: "image '", with: "base '")
        }
        return nil
    }

    struct ParseFailure: Error {
        var message: String
        var hint: String?
    }

    /// `torch==2.5.*`, `tensorflow>=2.16`, `jax`, `torch 2.5.1`.
    static func parseFramework(_ text: String) throws(ParseFailure) -> FrameworkRequirement {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let nameEnd = trimmed.firstIndex { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ?? trimmed.endIndex
        let rawName = trimmed[..<nameEnd].lowercased()
        let aliases: [String: FrameworkName] = [
            "torch": .torch, "pytorch": .torch, "tensorflow": .tensorflow, "tf": .tensorflow, "jax": .jax,
        ]
        guard let name = aliases[rawName] else {
            throw ParseFailure(
                message: "unknown framework '\(rawName)'",
                hint: "use torch, tensorflow or jax (or omit 'framework' for a plain CUDA environment)")
        }
        var rest = trimmed[nameEnd...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            throw ParseFailure(
                message: "extras are chosen by envctl",
                hint:
                    "write '\(rawName)\(rest.drop { $0 != "]" }.dropFirst())'; envctl adds the CUDA extra that matches the lock"
            )
        }
        if rest.isEmpty { return FrameworkRequirement(name: name, versions: .any) }
        if let first = rest.first, first.isNumber { rest = "==" + rest }
        do {
            return FrameworkRequirement(
                name: name, versions: try VersionSpecifier(parsing: rest, bareMeansSeries: false))
        } catch {
            throw ParseFailure(
                message: "framework: \(error.message)",
                hint: "use a PEP 440 specifier, e.g. \"torch==2.5.*\" or \"torch>=2.4,<2.7\"")
        }
    }

    static func specifierHint(_ field: String) -> String {
        switch field {
        case "cuda": return "e.g. \"12.4\" (any 12.4.x), \">=12.1\", \">=12.1,<13\""
        case "cudnn": return "e.g. \"9\" (any 9.x) or \">=8.9\""
        default: return "e.g. \"3.11\" or \">=3.10,<3.13\""
        }
    }

    /// Returns why `text` can't be an image repository, or nil when it can.
    package static func imageRepositoryProblem(_ text: String) -> String? {
        if text.contains("@") { return "image '\(text)' has a digest; envctl assigns digests" }
        let lastComponent = text.split(separator: "/").last.map(String.init) ?? text
        let hostPart = text.split(separator: "/").first.map(String.init) ?? ""
        if lastComponent.contains(":") && !(text.split(separator: "/").count == 1 && hostPart.contains(":")) {
            return "image '\(text)' has a tag; envctl tags images with the lock hash"
        }
        let pattern = #"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$"#
        if text.range(of: pattern, options: .regularExpression) == nil {
            return "'\(text)' is not an image repository"
        }
        return nil
    }
}

/// Shared node-walking helpers that record diagnostics instead of throwing.
struct Context {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    func location(_ node: Node) -> SourceLocation? {
        node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    }

    mutating func error(_ message: String, hint: String? = nil, _ node: Node) {
        diagnostics.append(.error(message, hint: hint, at: location(node)))
    }

    mutating func mapping(_ node: Node, what: String) -> Node.Mapping? {
        if case .mapping(let m) = node { return m }
        error("\(what) must be a mapping (key: value lines), not \(Self.kind(node))", node)
        return nil
    }

    mutating func sequence(_ node: Node, what: String) -> Node.Sequence? {
        if case .sequence(let s) = node { return s }
        error("\(what) must be a list, not \(Self.kind(node))", hint: "write it as [a, b] or as '- a' lines", node)
        return nil
    }

    mutating func scalar(_ node: Node, what: String) -> String? {
        if case .scalar(let s) = node {
            if s.tag == .init(.null) || (s.style == .plain && (s.string == "~" || s.string == "null")) {
                error("\(what) is empty", node)
                return nil
            }
            return s.string
        }
        error("\(what) must be a single value, not \(Self.kind(node))", node)
        return nil
    }

    mutating func checkURL(_ s: String, _ node: Node) -> Bool {
        guard let url = URL(string: s), let scheme = url.scheme, ["http", "https", "file"].contains(scheme) else {
            error("'\(s)' is not an http(s) or file URL", node)
            return false
        }
        return true
    }

    mutating func rejectUnknownKeys(_ mapping: Node.Mapping, allowed: [String], in what: String) {
        for key in mapping.keys {
            guard let name = key.string, !allowed.contains(name) else { continue }
            let suggestion = allowed.min { editDistance($0, name) < editDistance($1, name) }
            let hint: String
            if let suggestion, editDistance(suggestion, name) <= 2 {
                hint = "did you mean '\(suggestion)'?"
            } else {
                hint = "allowed keys: \(allowed.joined(separator: ", "))"
            }
            error("unknown key '\(name)' in \(what)", hint: hint, key)
        }
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar: return "a single value"
        case .alias: return "an alias"
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// Turns a Yams error into a located diagnostic.
package enum YAMLErrors {
    package static func diagnostic(for error: any Error, file: String) -> Diagnostic {
        if let y = error as? YamlError {
            switch y {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                return .error(
                    "YAML syntax: \(problem)", at: SourceLocation(file: file, line: mark.line, column: mark.column))
            case .duplicatedKeysInMapping(let duplicates, let context):
                return .error(
                    "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))",
                    hint: "each key may appear once in a mapping",
                    at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
            default:
                return .error("YAML: \(y)", at: SourceLocation(file: file, line: 1, column: 1))
            }
        }
        return .error("YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
}

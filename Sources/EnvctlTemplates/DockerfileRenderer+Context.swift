import EnvctlModel
import Foundation

extension DockerfileRenderer {
    /// The Mustache context: every variable a template can use (documented in docs/templates.md and
    /// listed in `TemplateVariables.all`). Values are already Dockerfile-safe; absent optional values
    /// are left out so `{{#name}}` sections skip them.
    static func context(for env: LockedEnvironment, inputs: RenderInputs, templateName: String)
        throws(TemplateError) -> [String: Any]
    {
        typealias S = DockerfileSafety
        if env.isPlain { return try plainContext(for: env, inputs: inputs, templateName: templateName) }
        let envName = try S.simpleName(env.name, what: "environment name")
        let lockHash = try S.hash(env.hash)
        let cuda = try S.dottedVersion(env.cuda, what: "CUDA version")
        let python = try S.dottedVersion(env.python, what: "Python version")
        let pythonParts = python.split(separator: ".")
        guard pythonParts.count >= 2 else {
            throw TemplateError(.unsafeValue, "Python version '\(python)' needs at least major.minor")
        }
        let pythonMinor = "\(pythonParts[0]).\(pythonParts[1])"
        let os = try S.simpleName(env.os, what: "OS")
        let base = try pinned(env.images.base, what: "base image")
        let builder = try pinned(env.images.builder, what: "builder image")

        var c: [String: Any] = [
            "templateName": templateName,
            "environmentName": envName,
            "lockHash": lockHash,
            "contentTag": env.contentTag,
            "cuda": cuda,
            "cudaMajorMinor": cuda.split(separator: ".").prefix(2).joined(separator: "."),
            "python": python,
            "pythonMinor": pythonMinor,
            "os": os,
            "baseImage": base.reference,
            "builderImage": builder.reference,
            "venvDir": venvDir,
            "user": ["name": user.name, "uid": String(user.uid)],
            "sourceDateEpoch": String(inputs.sourceDateEpoch),
            "cacheMounts": inputs.cacheMounts,
            "network": ["mounts": inputs.secrets.mounts, "pipEnv": inputs.secrets.pipEnvironment],
            "nvidiaRequireCuda": try S.quoted(nvidiaRequireCuda(env, cuda: cuda), what: "NVIDIA_REQUIRE_CUDA"),
        ]
        if let cudnn = env.cudnn { c["cudnn"] = try S.dottedVersion(cudnn, what: "cuDNN version") }
        if let standalone = try pythonStandaloneContext(env, pythonMinor: pythonMinor) {
            c["pythonStandalone"] = standalone
            // One Dockerfile for every platform: per-platform steps switch on TARGETARCH, and cache mounts get one
            // id per platform (buildah 1.28 hung on the arm64 half of a build sharing one cache mount).
            if standalone["archives"] != nil { c["multiPlatform"] = true }
        } else {
            c["pythonFromOS"] = true
        }
        // The runtime stage runs apt only for the OS Python or the spec's apt packages.
        if c["pythonFromOS"] != nil || !env.apt.isEmpty { c["runtimeApt"] = true }
        if let f = env.framework {
            c["framework"] = [
                "name": try S.simpleName(f.name, what: "framework name"),
                "version": try S.packageVersion(f.version),
                "variant": try S.simpleName(f.variant, what: "framework variant"),
                "package": try S.packageName(f.package),
            ]
        }

        // CUDA libraries: exactly one source ships them.
        let nvidiaWheels = env.pythonPackages.packages.map(\.name).filter(isCUDALibraryWheel)
        switch env.cudaLibraries {
        case "wheels":
            c["cudaLibrariesFrom"] = "the nvidia-* wheels in the venv"
            c["cudaFromWheels"] = true
            if isNvidiaCUDARepo(env.images.base.reference), let flavour = cudaFlavour(env.images.base.reference),
                flavour != "base"
            {
                throw TemplateError(
                    .inconsistentLock,
                    "environment '\(env.name)' takes CUDA libraries from wheels but its runtime base '\(env.images.base.reference)' is the '\(flavour)' flavour, which ships them too",
                    hint: "lock it with a '-base-' runtime image, or set cuda_libraries: image")
            }
        case "image":
            c["cudaLibrariesFrom"] = "the base image"
            c["cudaFromImage"] = true
            if !nvidiaWheels.isEmpty {
                throw TemplateError(
                    .inconsistentLock,
                    "environment '\(env.name)' takes CUDA libraries from the image but its Python packages ship them again: \(nvidiaWheels.sorted().joined(separator: ", "))",
                    hint:
                        "use the framework's 'local CUDA' extra (e.g. jax[cuda12-local]) or set cuda_libraries: wheels")
            }
        default:
            throw TemplateError(
                .unsafeValue,
                "cuda_libraries is \(DockerfileSafety.describe(env.cudaLibraries)); expected 'wheels' or 'image'")
        }

        // GPU architectures, in the spellings different build systems want.
        let archs = try env.archs.map { a throws(TemplateError) -> (major: Int, minor: Int, suffix: String) in
            try parseArch(a)
        }
        if !archs.isEmpty {
            c["archs"] =
                [
                    "any": true,
                    "list": env.archs,
                    "torch": try S.quoted(
                        archs.map { "\($0.major).\($0.minor)\($0.suffix)" }.joined(separator: " "), what: "arch list"),
                    "tensorflow": try S.quoted(
                        archs.map { "\($0.major).\($0.minor)" }.joined(separator: ","), what: "arch list"),
                    "cmake": try S.quoted(
                        archs.map { "\($0.major)\($0.minor)\($0.suffix)" }.joined(separator: ";"), what: "arch list"),
                ] as [String: Any]
        }

        c["apt"] = try env.apt.map { s throws(TemplateError) in try S.aptPackage(s) }
        c["env"] = try env.env.keys.sorted().map { k throws(TemplateError) -> [String: String] in
            ["name": try S.envName(k), "value": try S.quoted(env.env[k]!, what: "value of \(k)")]
        }
        c["packages"] = try packagesContext(env)
        if env.platforms.count > 1 { c["multiPlatform"] = true }

        var labels: [String: Any] = [
            "created": try S.quoted(inputs.createdRFC3339, what: "created"),
            "title": try S.quoted("envctl environment \(envName)", what: "title"),
            "environment": try S.quoted(envName, what: "environment"),
            "lockHash": try S.quoted(lockHash, what: "lock hash"),
            "baseName": try S.quoted(env.images.base.reference, what: "base image"),
        ]
        if let d = env.images.base.digest { labels["baseDigest"] = try S.quoted(try S.hash(d), what: "base digest") }
        if let r = inputs.revision {
            guard r.count >= 7, r.count <= 64, r.allSatisfy({ $0.isHexDigit }) else {
                throw TemplateError(.unsafeValue, "git revision \(S.describe(r)) is not a hex commit id")
            }
            labels["revision"] = try S.quoted(r, what: "revision")
        }
        if let s = inputs.source { labels["source"] = try S.quoted(try S.url(s, what: "source URL"), what: "source") }
        c["labels"] = labels
        return c
    }

    /// Where a plain environment's `copy:` sources are in the build context: `copy/<index>`, in the lock's order.
    package static func copyContextPath(_ index: Int) -> String { "copy/\(index)" }

    /// A plain environment's context (`plain` template): base, apt, env, `copy:`, entrypoint, cmd and labels.
    static func plainContext(for env: LockedEnvironment, inputs: RenderInputs, templateName: String)
        throws(TemplateError) -> [String: Any]
    {
        typealias S = DockerfileSafety
        let envName = try S.simpleName(env.name, what: "environment name")
        let lockHash = try S.hash(env.hash)
        let base = try pinned(env.images.base, what: "base image")
        func words(_ w: [String], what: String) throws(TemplateError) -> String {
            "[" + (try w.map { s throws(TemplateError) in try S.jsonWord(s, what: what) }).joined(separator: ", ") + "]"
        }
        var c: [String: Any] = [
            "templateName": templateName,
            "environmentName": envName,
            "lockHash": lockHash,
            "contentTag": env.contentTag,
            "baseImage": base.reference,
            "sourceDateEpoch": String(inputs.sourceDateEpoch),
        ]
        c["apt"] = try env.apt.map { s throws(TemplateError) in try S.aptPackage(s) }
        if !env.apt.isEmpty { c["runtimeApt"] = true }
        c["env"] = try env.env.keys.sorted().map { k throws(TemplateError) -> [String: String] in
            ["name": try S.envName(k), "value": try S.quoted(env.env[k]!, what: "value of \(k)")]
        }
        c["copy"] = try env.copy.enumerated().map { i, copy throws(TemplateError) -> [String: String] in
            guard copy.to.hasPrefix("/"), !copy.to.contains("$"), !copy.to.split(separator: "/").contains("..") else {
                throw TemplateError(
                    .unsafeValue, "copy target \(S.describe(copy.to)) is not an absolute path without '$' or '..'")
            }
            return [
                "from": try S.jsonWord(copy.from, what: "copy source").dropFirst().dropLast().description,
                "source": try S.jsonWord(copyContextPath(i), what: "copy source"),
                "target": try S.jsonWord(copy.to, what: "copy target"),
            ]
        }
        if let w = env.workdir {
            guard w.hasPrefix("/"), !w.split(separator: "/").contains(".."),
                w.allSatisfy({ S.isAlnum($0) || "._/-".contains($0) })
            else {
                throw TemplateError(
                    .unsafeValue, "workdir \(S.describe(w)) is not an absolute path of letters, digits, '.', '_', '-'")
            }
            c["workdir"] = w
        }
        if let e = env.entrypoint { c["entrypoint"] = try words(e, what: "entrypoint") }
        if let e = env.cmd { c["cmd"] = try words(e, what: "cmd") }
        var labels: [String: Any] = [
            "created": try S.quoted(inputs.createdRFC3339, what: "created"),
            "title": try S.quoted("envctl environment \(envName)", what: "title"),
            "environment": try S.quoted(envName, what: "environment"),
            "lockHash": try S.quoted(lockHash, what: "lock hash"),
            "baseName": try S.quoted(env.images.base.reference, what: "base image"),
        ]
        if let d = env.images.base.digest { labels["baseDigest"] = try S.quoted(try S.hash(d), what: "base digest") }
        if let r = inputs.revision {
            guard r.count >= 7, r.count <= 64, r.allSatisfy({ $0.isHexDigit }) else {
                throw TemplateError(.unsafeValue, "git revision \(S.describe(r)) is not a hex commit id")
            }
            labels["revision"] = try S.quoted(r, what: "revision")
        }
        if let s = inputs.source { labels["source"] = try S.quoted(try S.url(s, what: "source URL"), what: "source") }
        c["labels"] = labels
        return c
    }

    /// Where the standalone interpreter goes in both stages.
    static let pythonDir = "/opt/python"

    /// The python-build-standalone archive of a `python_source: standalone` lock, or nil for the OS package (and for
    /// locks written before `python_runtime` existed). `mirror` is everything before `<build>/<file>` of the
    /// canonical URL: the `PYTHON_MIRROR` build argument replaces it, so the Dockerfile stays the same per lock.
    static func pythonStandaloneContext(_ env: LockedEnvironment, pythonMinor: String) throws(TemplateError)
        -> [String: Any]?
    {
        typealias S = DockerfileSafety
        guard let rt = env.pythonRuntime, rt.source == "standalone" else {
            if let rt = env.pythonRuntime, rt.source != "os" {
                throw TemplateError(
                    .unsafeValue, "python_runtime.source is \(S.describe(rt.source)); expected 'standalone' or 'os'")
            }
            return nil
        }
        // A lock with archives for several platforms renders a TARGETARCH switch over all of them (`archives`);
        // one platform renders its archive directly, as before.
        if rt.platforms.count > 1 {
            var archives: [[String: Any]] = []
            for platform in rt.platforms.keys.sorted() {
                let arch = try targetArch(platform, what: "python_runtime platform")
                let one = try archiveContext(rt.platforms[platform]!)
                archives.append(["arch": arch, "path": one.path, "sha256": one.sha256, "mirror": one.mirror])
            }
            let mirrors = Set(archives.map { $0["mirror"] as! String })
            guard mirrors.count == 1 else {
                throw TemplateError(
                    .inconsistentLock,
                    "environment '\(env.name)' locks Python archives under different URL prefixes; PYTHON_MIRROR needs one",
                    hint: "run 'envctl lock' again")
            }
            return [
                "version": try checkedVersion(rt, env: env, pythonMinor: pythonMinor),
                "build": try S.simpleName(rt.build ?? "", what: "python-build-standalone build tag"),
                "platform": rt.platforms.keys.sorted().joined(separator: ", "),
                "mirror": mirrors.first!,
                "archives": archives,
                "dir": pythonDir,
            ]
        }
        let platform = rt.platforms["linux/amd64"] != nil ? "linux/amd64" : rt.platforms.keys.sorted().first
        guard let platform, let archive = rt.platforms[platform] else {
            throw TemplateError(
                .inconsistentLock, "environment '\(env.name)' pins a standalone Python but no archive for any platform",
                hint: "run 'envctl lock' again")
        }
        let version = try checkedVersion(rt, env: env, pythonMinor: pythonMinor)
        let one = try archiveContext(archive)
        return [
            "version": version,
            "build": try S.simpleName(rt.build ?? "", what: "python-build-standalone build tag"),
            "platform": platform,
            "mirror": one.mirror,
            "path": one.path,
            "sha256": one.sha256,
            "dir": pythonDir,
        ]
    }

    /// The exact CPython version of `rt`, which must be a release of the environment's `pythonMinor`.
    static func checkedVersion(_ rt: LockedPythonRuntime, env: LockedEnvironment, pythonMinor: String)
        throws(TemplateError) -> String
    {
        let version = try DockerfileSafety.dottedVersion(rt.version, what: "Python runtime version")
        guard version.hasPrefix(pythonMinor + "."), version.split(separator: ".").count == 3 else {
            throw TemplateError(
                .inconsistentLock,
                "environment '\(env.name)' locks Python \(pythonMinor) but its python_runtime is \(version)",
                hint: "run 'envctl lock' again")
        }
        return version
    }

    /// One archive's checked sha256, its URL split into the mirror prefix (quoted) and `<build>/<file>`.
    static func archiveContext(_ archive: LockedPythonArchive) throws(TemplateError) -> (
        mirror: String, path: String, sha256: String
    ) {
        typealias S = DockerfileSafety
        guard archive.sha256.count == 64, archive.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw TemplateError(
                .unsafeValue, "python_runtime sha256 \(S.describe(archive.sha256)) is not 64 lowercase hex digits")
        }
        let url = try S.url(archive.url, what: "Python archive URL")
        let parts = url.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, let file = parts.last, !file.isEmpty, !parts[parts.count - 2].isEmpty else {
            throw TemplateError(.unsafeValue, "Python archive URL \(S.describe(url)) does not end in <build>/<file>")
        }
        let mirror = parts.dropLast(2).joined(separator: "/")
        let path = parts.suffix(2).joined(separator: "/")
        guard file.hasSuffix(".tar.gz") else {
            throw TemplateError(.unsafeValue, "Python archive \(S.describe(String(file))) is not a .tar.gz")
        }
        return (try S.quoted(mirror, what: "Python mirror"), path, archive.sha256)
    }

    /// `reference@digest` for FROM; a lock without digests cannot build reproducibly, so it is refused.
    static func pinned(_ image: LockedImage, what: String) throws(TemplateError) -> (reference: String, digest: String)
    {
        guard let digest = image.digest else {
            throw TemplateError(
                .inconsistentLock, "the \(what) '\(image.reference)' has no digest in the lock",
                hint: "run 'envctl lock' with registry access so every FROM can be pinned by digest")
        }
        let ref = try DockerfileSafety.imageReference(image.reference)
        guard !ref.contains("@") else {
            throw TemplateError(
                .unsafeValue, "the \(what) reference '\(ref)' already has a digest; the lock keeps it separately")
        }
        return (try DockerfileSafety.imageReference("\(ref)@\(try DockerfileSafety.hash(digest))"), digest)
    }

    /// `cuda>=12.4`, plus ` driver>=X` (an alternative, space = OR for nvidia-container-toolkit) when the
    /// lock relies on minor-version compatibility with an older driver.
    static func nvidiaRequireCuda(_ env: LockedEnvironment, cuda: String) -> String {
        let mm = cuda.split(separator: ".").prefix(2).joined(separator: ".")
        var s = "cuda>=\(mm)"
        if env.driver.compatibility == .minorVersion, let min = env.driver.minimum { s += " driver>=\(min)" }
        return s
    }

    static func parseArch(_ a: String) throws(TemplateError) -> (major: Int, minor: Int, suffix: String) {
        var digits =
            a.hasPrefix("sm_")
            ? Substring(a.dropFirst(3)) : a.hasPrefix("compute_") ? Substring(a.dropFirst(8)) : Substring("")
        var suffix = ""
        if let last = digits.last, last == "a" || last == "f" {
            suffix = String(last)
            digits = digits.dropLast()
        }
        guard digits.count >= 2, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw TemplateError(
                .unsafeValue, "GPU architecture \(DockerfileSafety.describe(a)) is not like 'sm_80' or 'sm_90a'")
        }
        return (Int(digits.dropLast())!, Int(String(digits.last!))!, suffix)
    }

    /// nvidia-cublas-cu12, nvidia-cudnn-cu12, nvidia-nccl-cu12, ...: CUDA libraries shipped as wheels.
    static func isCUDALibraryWheel(_ name: String) -> Bool {
        let n = name.lowercased().replacingOccurrences(of: "_", with: "-")
        return n.hasPrefix("nvidia-") && n.range(of: #"-cu\d+$"#, options: .regularExpression) != nil
    }

    /// Whether a reference names the `nvidia/cuda` repository (on any registry or mirror).
    static func isNvidiaCUDARepo(_ ref: String) -> Bool { repositoryName(ref).hasSuffix("nvidia/cuda") }

    /// `host/path` without tag or digest.
    static func repositoryName(_ ref: String) -> String {
        let noDigest = ref.split(separator: "@", maxSplits: 1)[0]
        if let colon = noDigest.lastIndex(of: ":"), !noDigest[colon...].contains("/") {
            return String(noDigest[..<colon])
        }
        return String(noDigest)
    }

    /// `base`, `runtime`, `devel` (with or without `cudnn`) from an nvidia/cuda tag like `12.4.1-cudnn-runtime-ubuntu22.04`.
    static func cudaFlavour(_ ref: String) -> String? {
        guard let tag = ref.split(separator: "@")[0].split(separator: "/").last?.split(separator: ":").dropFirst().first
        else { return nil }
        let parts = tag.split(separator: "-").map(String.init)
        if parts.contains("cudnn") { return "cudnn" }
        return parts.first { ["base", "runtime", "devel"].contains($0) }
    }

    /// The `TARGETARCH` value (`amd64`, `arm64`) for a lock platform, the only two a Dockerfile switches on.
    static func targetArch(_ platform: String, what: String) throws(TemplateError) -> String {
        let arch = platform.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        guard platform.hasPrefix("linux/"), ["amd64", "arm64"].contains(arch) else {
            throw TemplateError(
                .unsafeValue, "\(what) \(DockerfileSafety.describe(platform)) is not linux/amd64 or linux/arm64")
        }
        return arch
    }

    /// The locked Python packages. An environment locked for several platforms has one list per platform (the
    /// first platform's in `python_packages`, the others' in `platform_python_packages`); the Dockerfile writes
    /// the list its build's TARGETARCH names, so one Dockerfile serves every platform.
    static func packagesContext(_ env: LockedEnvironment) throws(TemplateError) -> [String: Any] {
        guard env.platforms.count > 1 else { return try packagesContext(env.pythonPackages.packages) }
        var all: [LockedPackage] = []
        var platforms: [[String: Any]] = []
        for (i, platform) in env.platforms.enumerated() {
            let arch = try targetArch(platform, what: "environment '\(env.name)' platform")
            let packages = i == 0 ? env.pythonPackages.packages : env.platformPythonPackages[platform]?.packages
            guard let packages else {
                throw TemplateError(
                    .inconsistentLock, "environment '\(env.name)' has no Python pins for \(platform)",
                    hint: "run 'envctl lock' again")
            }
            all += packages
            let one = try packagesContext(packages)
            platforms.append(["arch": arch, "requirements": one["requirements"] as? [String] ?? []])
        }
        var ctx = try packagesContext(all)
        ctx["requirements"] = nil
        ctx["perPlatform"] = true
        ctx["platforms"] = platforms
        return ctx
    }

    static func packagesContext(_ packages: [LockedPackage]) throws(TemplateError) -> [String: Any] {
        typealias S = DockerfileSafety
        var lines: [String] = []
        var indexes: [String] = []
        for p in packages.sorted(by: { ($0.name.lowercased(), $0.version) < ($1.name.lowercased(), $1.version) }) {
            let name = try S.packageName(p.name)
            let version = try S.packageVersion(p.version)
            guard !p.hashes.isEmpty else {
                throw TemplateError(
                    .inconsistentLock, "package '\(name)' has no hashes in the lock",
                    hint: "pip --require-hashes needs at least one; run 'envctl lock' again")
            }
            let hashes = try p.hashes.map { h throws(TemplateError) in "--hash=\(try S.hash(h))" }
            lines.append((["\(name)==\(version)"] + hashes).joined(separator: " "))
            if let i = p.index, !indexes.contains(i) { indexes.append(try S.url(i, what: "package index")) }
        }
        // The default index first (PyPI when used), then the others in first-use order.
        let pypi = PythonIndexSettings.pypi
        let primary = indexes.contains(pypi) || indexes.isEmpty ? pypi : indexes[0]
        let extras = indexes.filter { $0 != primary }
        var ctx: [String: Any] = [
            "requirements": lines,
            "indexURL": try S.quoted(primary, what: "index URL"),
            "count": String(lines.count),
        ]
        if !lines.isEmpty { ctx["any"] = true }
        if !extras.isEmpty { ctx["extraIndexURLs"] = try S.quoted(extras.joined(separator: " "), what: "index URLs") }
        return ctx
    }
}

import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlWorkflows
import Foundation
import OCIRegistry

/// How an image is built and where its FROM images come from: shared by `envctl build` and
/// `envctl reproduce --rebuild`, so that a rebuild given the same flags runs the same build.
struct BuildOptions: ParsableArguments {
    @Option(name: .long, help: "buildah, podman or docker (default: the first of these on PATH).")
    var builder: String?

    @Option(
        name: .long,
        help: "Registry mirror for FROM images, REGISTRY=MIRROR (repeatable), e.g. docker.io=127.0.0.1:5000.")
    var mirror: [String] = []

    @Option(
        name: .customLong("build-arg"), help: "Extra NAME=VALUE build argument (repeatable), e.g. PIP_INDEX_URL=...")
    var buildArgs: [String] = []

    @Option(
        name: .customLong("python-mirror"),
        help: ArgumentHelp(
            "Where the builder downloads the locked CPython archive: a URL prefix that replaces everything before <build>/<file> in the lock's python-build-standalone URL (default: $ENVCTL_PYTHON_MIRROR, else upstream). The sha256 from the lock is still checked.",
            valueName: "URL"))
    var pythonMirror: String?

    @OptionGroup var registry: RegistryOptions

    @OptionGroup var network: NetworkOptions

    /// The recipe these flags describe for `env`: builder, build arguments (with mirrors) and templates.
    /// `specPath`: the spec whose `network:` section applies (nil: the flags only).
    func recipe(
        for env: LockedEnvironment, templatesDirectory: String? = nil, template: String? = nil,
        cacheMounts: Bool = true,
        specPath: String? = nil
    )
        throws -> BuildRecipe
    {
        var kind: BuilderKind?
        if let builder {
            guard let k = BuilderKind(rawValue: builder) else {
                throw ImageBuildError(
                    .badInput, step: "build", "unknown builder '\(builder)'", hint: "use buildah, podman or docker")
            }
            kind = k
        }
        return BuildRecipe(
            builder: kind, buildArgs: try buildArguments(for: env), templatesDirectory: templatesDirectory,
            template: template,
            cacheMounts: cacheMounts, network: try network.access(specPath: specPath))
    }

    /// `--build-arg`s plus `BASE_IMAGE` / `BUILDER_IMAGE` rewritten to a mirror (keeping the digest), from
    /// `--mirror` or else the first mirror the registries config lists for the FROM image's registry.
    func buildArguments(for env: LockedEnvironment) throws -> [String: String] {
        var mirrors = try RegistryMirrors(flags: mirror)
        if mirror.isEmpty {
            let config = try registry.configuration()
            for image in [env.images.base, env.images.builder] {
                guard let host = image.reference.split(separator: "/").first.map(String.init),
                    let first = config.settings(for: host).mirrors?.first
                else { continue }
                mirrors.mirrors[host] = first
            }
        }
        var args: [String: String] = [:]
        for a in buildArgs {
            let p = a.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[0].isEmpty else {
                throw ImageBuildError(.badInput, step: "build", "--build-arg '\(a)' is not NAME=VALUE")
            }
            args[p[0]] = p[1]
        }
        // The interpreter mirror: an explicit --build-arg PYTHON_MIRROR wins, then the flag, then the variable.
        if args["PYTHON_MIRROR"] == nil,
            let m = pythonMirror
                ?? ProcessInfo.processInfo.environment["ENVCTL_PYTHON_MIRROR"].flatMap({
                    $0.isEmpty ? nil : $0
                })
        {
            guard let url = URL(string: m), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                url.host != nil, url.user == nil, url.password == nil
            else {
                throw ImageBuildError(
                    .badInput, step: "build",
                    "the Python mirror (--python-mirror or ENVCTL_PYTHON_MIRROR) is not an http(s) URL without credentials",
                    hint: "pass --python-mirror https://mirror.example.com/python-build-standalone")
            }
            args["PYTHON_MIRROR"] = m.hasSuffix("/") ? String(m.dropLast()) : m
        }
        for (arg, image) in [("BASE_IMAGE", env.images.base), ("BUILDER_IMAGE", env.images.builder)]
        where args[arg] == nil && !mirrors.mirrors.isEmpty {
            let mirrored = mirrors.rewrite(image.pinnedReference)
            if mirrored != image.pinnedReference { args[arg] = mirrored }
        }
        return args
    }
}

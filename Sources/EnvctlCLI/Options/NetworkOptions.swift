import ArgumentParser
import EnvctlModel
import Foundation

/// A corporate network's flags, shared by `lock`, `build` and `reproduce --rebuild`: they add to the spec's
/// `network:` section (see docs/corporate-networks.md).
struct NetworkOptions: ParsableArguments {
    @Option(
        name: .customLong("ca-bundle"),
        help: ArgumentHelp(
            "PEM file of extra CA certificates that uv and the build's pip trust (a TLS-intercepting proxy's, a private index's).",
            valueName: "file"))
    var caBundle: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "netrc file with private-index credentials, for uv and the build's pip (mounted as a build secret).",
            valueName: "file"))
    var netrc: String?

    @Flag(
        name: .customLong("proxy-from-env"),
        help:
            "Pass HTTP_PROXY, HTTPS_PROXY and NO_PROXY from the environment to uv and the build (never into the image)."
    )
    var proxyFromEnv = false

    /// The network access for the spec at `specPath` (its `network:` section, when the file exists) and these
    /// flags; temporary files are removed by `NetworkAccess.remove()` or at exit.
    func access(specPath: String?) throws -> NetworkAccess {
        var settings = NetworkSettings()
        if let specPath, FileManager.default.fileExists(atPath: specPath) {
            settings = try SpecParser().parse(fileAt: specPath).network
        }
        return try access(settings, specPath: specPath ?? "envctl.yaml")
    }

    /// The network access the Dockerfile is rendered for, without making any file or reading any secret
    /// (`envctl dockerfile`): only whether a CA bundle and credentials are used shows in a Dockerfile.
    func renderingAccess(specPath: String?) throws -> NetworkAccess {
        var settings = NetworkSettings()
        if let specPath, FileManager.default.fileExists(atPath: specPath) {
            settings = try SpecParser().parse(fileAt: specPath).network
        }
        return NetworkAccess(
            caBundleFile: settings.caBundle != nil || caBundle != nil ? "(a CA bundle)" : nil,
            netrcFile: !settings.credentials.isEmpty || netrc != nil ? "(a netrc)" : nil)
    }

    func access(_ settings: NetworkSettings, specPath: String) throws(DiagnosticsError) -> NetworkAccess {
        try NetworkAccess.prepare(
            settings, specPath: specPath, caBundle: caBundle, netrc: netrc, proxyFromEnvironment: proxyFromEnv)
    }
}

import Foundation

/// Pushes an exported OCI layout and asks a registry what a tag holds.
///
/// This seam exists so `envctl build --push` can move to envctl's own registry client (OCIRegistry,
/// in progress on the `oci` branch) without touching the build logic. Until that client is on main,
/// `SkopeoPublisher` does the two registry calls with skopeo, which honours the same
/// containers-registries configuration (mirrors, `insecure = true`) as buildah and podman.
public protocol RegistryPublisher: Sendable {
    /// The `dev.envctl.lock-hash` label of the image at `reference`, `.some(nil)` when the tag exists
    /// without that label, nil when the tag does not exist.
    func lockHash(at reference: String) throws(ImageBuildError) -> String??
    /// Pushes the image `refName` of the layout to `reference`; returns the pushed manifest digest.
    func push(layout: String, refName: String, to reference: String) throws(ImageBuildError) -> String
}

/// Interim `RegistryPublisher` over skopeo (see the protocol's note).
public struct SkopeoPublisher: RegistryPublisher {
    public var executable: String
    public var runner: ToolRunner

    public init(runner: ToolRunner) throws(ImageBuildError) {
        guard let path = runner.which("skopeo") else {
            throw ImageBuildError(
                .missingTool, step: "push", "skopeo is not installed (needed for --push until envctl's registry client lands)",
                hint: "install skopeo (Debian/Ubuntu: apt-get install skopeo)")
        }
        self.executable = path
        self.runner = runner
    }

    /// skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF (buildah and podman honour it), so pass it on.
    var globalArguments: [String] {
        let env = ProcessInfo.processInfo.environment.merging(runner.environment) { _, new in new }
        guard let conf = env["CONTAINERS_REGISTRIES_CONF"], !conf.isEmpty else { return [] }
        return ["--registries-conf", conf]
    }

    public func lockHash(at reference: String) throws(ImageBuildError) -> String?? {
        let out: ToolRunner.Output
        do { out = try runner.capture(executable, globalArguments + ["inspect", "--config", "docker://\(reference)"]) } catch {
            throw ImageBuildError(.stepFailed, step: "check registry", "cannot run skopeo: \(error)")
        }
        if out.status != 0 {
            let e = out.stderr.lowercased()
            if e.contains("manifest unknown") || e.contains("not found") || e.contains("name_unknown") { return nil }
            throw ImageBuildError(
                .stepFailed, step: "check registry",
                "cannot ask the registry about \(reference): \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        struct Config: Decodable {
            struct Inner: Decodable { var Labels: [String: String]? }
            var config: Inner?
        }
        let config = try? JSONDecoder().decode(Config.self, from: Data(out.stdout.utf8))
        return .some(config?.config?.Labels?["dev.envctl.lock-hash"])
    }

    public func push(layout: String, refName: String, to reference: String) throws(ImageBuildError) -> String {
        let digestFile = (layout as NSString).appendingPathComponent("../push.digest")
        let out: ToolRunner.Output
        do {
            out = try runner.capture(
                executable, globalArguments + ["copy", "--quiet", "--digestfile", digestFile, "oci:\(layout):\(refName)", "docker://\(reference)"])
        } catch {
            throw ImageBuildError(.stepFailed, step: "push", "cannot run skopeo: \(error)")
        }
        guard out.status == 0 else {
            throw ImageBuildError(
                .stepFailed, step: "push", "pushing to \(reference) failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let digest = (try? String(contentsOfFile: digestFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let digest, digest.hasPrefix("sha256:") else {
            throw ImageBuildError(.stepFailed, step: "push", "skopeo did not report the pushed digest")
        }
        return digest
    }
}

import EnvctlModel
import Foundation

/// The programs envctl can build images with.
package enum BuilderKind: String, Sendable, Hashable, CaseIterable {
    case buildah, podman, docker

    /// What to tell a user who lacks it.
    var installHint: String {
        switch self {
        case .buildah:
            "install buildah (Debian/Ubuntu: apt-get install buildah; Fedora: dnf install buildah), or pass --builder podman|docker"
        case .podman: "install podman (Debian/Ubuntu: apt-get install podman runc), or pass --builder buildah|docker"
        case .docker: "install Docker with the buildx plugin (docker buildx version), or pass --builder buildah|podman"
        }
    }
}

/// One image build: a rendered Dockerfile and where its results go.
package struct BuildRequest: Sendable, Hashable {
    package var dockerfile: String
    /// Build context; envctl's Dockerfiles copy nothing from it unless a user `_app` block does.
    package var contextDirectory: String
    /// Name for the image in the builder's local storage.
    package var localTag: String
    /// `--build-arg`s, passed in name order.
    package var buildArgs: [String: String]
    package var sourceDateEpoch: Int
    /// OCI image layout directory the image is exported to, and its `org.opencontainers.image.ref.name`.
    package var ociLayout: String
    package var ociRefName: String
    /// Where the rendered Dockerfile (and the builder's digest file) are written; the context directory
    /// when nil. `reproduce --rebuild` builds in a checked-out tree it must leave as it was.
    package var dockerfileDirectory: String?
    /// Build secrets by id: the file each `RUN --mount=type=secret,id=ID` reads (`--secret id=ID,src=FILE`).
    /// The builder mounts them for that step only; they never reach a layer, the history or the config.
    package var secrets: [String: String] = [:]
    /// The platform to build for (`--platform linux/arm64`: the builder sets `TARGETARCH`/`TARGETPLATFORM` and
    /// runs foreign RUN steps under emulation); nil builds for the builder's default, the host.
    package var platform: TargetPlatform?

    package init(
        dockerfile: String, contextDirectory: String, localTag: String, buildArgs: [String: String],
        sourceDateEpoch: Int, ociLayout: String, ociRefName: String, dockerfileDirectory: String? = nil
    ) {
        self.dockerfile = dockerfile
        self.contextDirectory = contextDirectory
        self.dockerfileDirectory = dockerfileDirectory
        self.localTag = localTag
        self.buildArgs = buildArgs
        self.sourceDateEpoch = sourceDateEpoch
        self.ociLayout = ociLayout
        self.ociRefName = ociRefName
    }
}

/// What a build produced.
package struct BuildResult: Sendable, Hashable {
    /// `sha256:` of the image manifest in the OCI layout: the digest the image has in any registry.
    package var manifestDigest: String
    package var ociLayout: String
    package var ociRefName: String

    package init(manifestDigest: String, ociLayout: String, ociRefName: String) {
        self.manifestDigest = manifestDigest
        self.ociLayout = ociLayout
        self.ociRefName = ociRefName
    }
}

/// Drives buildah, podman or docker to build reproducibly and export an OCI layout.
///
/// Reproducibility: buildah/podman get `--timestamp SOURCE_DATE_EPOCH` (every file and the image
/// config carry that time) and `--identity-label=false` (no builder-version label); docker BuildKit gets
/// the `SOURCE_DATE_EPOCH` build arg and `rewrite-timestamp=true`. `--layers` keeps the framework
/// layer cached across builds whose lock did not change.
package struct ImageBuilder: Sendable {
    package var kind: BuilderKind
    package var executable: String
    package var runner: ToolRunner

    package init(kind: BuilderKind, executable: String, runner: ToolRunner) {
        self.kind = kind
        self.executable = executable
        self.runner = runner
    }

    /// Finds the builder: the one asked for, else the first of buildah, podman, docker on PATH.
    /// - Throws: `missingTool` naming what to install.
    package static func locate(_ kind: BuilderKind?, runner: ToolRunner) throws(ImageBuildError) -> ImageBuilder {
        if let kind {
            guard let path = runner.which(kind.rawValue) else {
                throw ImageBuildError(
                    .missingTool, step: "build", "\(kind.rawValue) is not installed (not found on PATH)",
                    hint: kind.installHint)
            }
            return ImageBuilder(kind: kind, executable: path, runner: runner)
        }
        for k in BuilderKind.allCases {
            if let path = runner.which(k.rawValue) { return ImageBuilder(kind: k, executable: path, runner: runner) }
        }
        throw ImageBuildError(
            .missingTool, step: "build", "no image builder found: none of buildah, podman, docker is on PATH",
            hint: BuilderKind.buildah.installHint)
    }

    /// The builder's command line for `request` (exposed for tests and `--dry-run`-style logging).
    package func buildArguments(_ request: BuildRequest, dockerfilePath: String) -> [String] {
        let args =
            request.buildArgs.keys.sorted().flatMap { ["--build-arg", "\($0)=\(request.buildArgs[$0]!)"] }
            + request.secrets.keys.sorted().flatMap { ["--secret", "id=\($0),src=\(request.secrets[$0]!)"] }
            + (request.platform.map { ["--platform", $0.description] } ?? [])
        switch kind {
        case .buildah, .podman:
            return [
                kind == .buildah ? "bud" : "build", "--layers", "--timestamp", String(request.sourceDateEpoch),
                "--identity-label=false", "-f", dockerfilePath, "-t", request.localTag,
            ]
                + args + [request.contextDirectory]
        case .docker:
            return [
                "buildx", "build", "-f", dockerfilePath, "--build-arg", "SOURCE_DATE_EPOCH=\(request.sourceDateEpoch)",
                "--output",
                "type=oci,dest=\(request.ociLayout),tar=false,rewrite-timestamp=true,name=\(request.ociRefName)",
                "-t", request.localTag,
            ]
                + args + [request.contextDirectory]
        }
    }

    /// Builds, showing the builder's output live through `log`, then exports the OCI layout.
    /// - Throws: `stepFailed` naming the builder step (`STEP 7/19: RUN ...`) that failed.
    package func build(_ request: BuildRequest, log: (String) -> Void) throws(ImageBuildError) -> BuildResult {
        let fm = FileManager.default
        let scratch = request.dockerfileDirectory ?? request.contextDirectory
        let dockerfilePath = (scratch as NSString).appendingPathComponent("Dockerfile")
        func attempt(_ what: String, _ path: String, _ body: () throws -> Void) throws(ImageBuildError) {
            do { try body() } catch {
                throw ImageBuildError(
                    .stepFailed, step: "render", "cannot \(what) \(path): \(FileSystemError.Reason(error, path: path))")
            }
        }
        try attempt("create directory", request.contextDirectory) {
            try fm.createDirectory(atPath: request.contextDirectory, withIntermediateDirectories: true)
        }
        try attempt("create directory", scratch) {
            try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        }
        try attempt("write", dockerfilePath) { try AtomicFile.write(request.dockerfile, to: dockerfilePath) }
        if fm.fileExists(atPath: request.ociLayout) {
            try attempt("remove", request.ociLayout) { try fm.removeItem(atPath: request.ociLayout) }
        }

        var currentStep: String?
        let result: (status: Int32, tail: [String])
        do {
            result = try runner.stream(executable, buildArguments(request, dockerfilePath: dockerfilePath)) { line in
                if let step = Self.stepName(in: line) { currentStep = step }
                log(line)
            }
        } catch {
            throw ImageBuildError(.stepFailed, step: "build", "cannot start \(executable): \(error)")
        }
        guard result.status == 0 else {
            let reason =
                result.tail.last { $0.lowercased().contains("error") }.map { ToolOutput.excerpt($0, maxLines: 1) }
                ?? "exit status \(result.status)"
            throw ImageBuildError(
                .stepFailed, step: "build",
                "\(kind.rawValue) failed\(currentStep.map { " at \($0)" } ?? ""): \(reason)",
                hint: "the builder output above shows the failing command; the Dockerfile is \(dockerfilePath)")
        }

        if kind != .docker {
            let digestFile = (scratch as NSString).appendingPathComponent("image.digest")
            let push = try capture(
                step: "export",
                [
                    kind == .buildah ? "push" : "push", "--digestfile", digestFile, request.localTag,
                    "oci:\(request.ociLayout):\(request.ociRefName)",
                ])
            guard push.status == 0 else {
                throw ImageBuildError(
                    .stepFailed, step: "export",
                    "writing the OCI layout failed: \(ToolOutput.excerpt(push.stderr))")
            }
        }
        let digest = try Self.manifestDigest(layout: request.ociLayout, refName: request.ociRefName)
        return BuildResult(manifestDigest: digest, ociLayout: request.ociLayout, ociRefName: request.ociRefName)
    }

    private func capture(step: String, _ args: [String]) throws(ImageBuildError) -> ToolRunner.Output {
        do { return try runner.capture(executable, args) } catch {
            throw ImageBuildError(.stepFailed, step: step, "cannot run \(executable): \(error)")
        }
    }

    /// The builder step a log line announces: `[2/2] STEP 4/10: RUN ...` / `STEP 4/10: RUN ...`
    /// (buildah, podman) or `#7 [runtime 3/9] RUN ...` (BuildKit); nil for other lines.
    package static func stepName(in line: String) -> String? {
        var rest = Substring(line)
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        if rest.hasPrefix("STEP "), rest.dropFirst(5).prefix { $0 != ":" }.allSatisfy({ $0.isNumber || $0 == "/" }),
            rest.contains(":")
        {
            return String(line.prefix(200))
        }
        if line.hasPrefix("#"), let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close,
            line[open...close].contains("/")
        {
            return String(line[open...].prefix(200))
        }
        return nil
    }

    /// Reads the manifest digest for `refName` from an OCI layout's index.json.
    package static func manifestDigest(layout: String, refName: String) throws(ImageBuildError) -> String {
        let indexPath = (layout as NSString).appendingPathComponent("index.json")
        struct Index: Decodable {
            struct Descriptor: Decodable {
                var digest: String
                var annotations: [String: String]?
            }
            var manifests: [Descriptor]
        }
        guard let data = try? BoundedFile.contents(of: indexPath, limit: InputLimits.manifestBytes),
            let index = try? JSONDecoder().decode(Index.self, from: data)
        else {
            throw ImageBuildError(.stepFailed, step: "export", "the OCI layout \(layout) has no readable index.json")
        }
        let named = index.manifests.last { $0.annotations?["org.opencontainers.image.ref.name"] == refName }
        guard let d = named ?? (index.manifests.count == 1 ? index.manifests[0] : nil) else {
            throw ImageBuildError(
                .stepFailed, step: "export", "the OCI layout \(layout) has no image named '\(refName)'")
        }
        return d.digest
    }
}

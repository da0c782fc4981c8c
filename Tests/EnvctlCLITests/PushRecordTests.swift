import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// A locked quickstart project whose base images come from `registry` (standing in for docker.io) and whose
/// `image:` repository is on the same registry, so pushes and mirrors can be checked end to end.
struct LockedProject {
    let dir: TemporaryDirectory
    let env: [String: String]
    let index: WheelIndexServer

    /// - Parameter baseLayout: an OCI layout (tag v1) to use as the base image instead of a generated one.
    init(registry: TestRegistry, baseLayout: String? = nil) throws {
        index = try WheelIndexServer()
        if let baseLayout {
            let r = try runProcess(
                "skopeo",
                [
                    "copy", "--quiet", "--dest-tls-verify=false", "oci:\(baseLayout):v1",
                    "docker://\(registry.host)/nvidia/cuda:12.4.1-base-ubuntu22.04",
                ])
            guard r.status == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: r.stderr])
            }
        } else {
            try registry.put("nvidia/cuda:12.4.1-base-ubuntu22.04", payload: "base-v1")
        }
        try registry.put("nvidia/cuda:12.4.1-devel-ubuntu22.04", payload: "devel-v1")
        env = ["ENVCTL_INDEX_MIRRORS": index.mirrors, "ENVCTL_REGISTRIES_CONFIG": try registry.mirrorConfig()]
        dir = try example("quickstart")
        let spec = try String(contentsOfFile: dir.path + "/envctl.yaml", encoding: .utf8)
        try spec.replacingOccurrences(of: "registry.example.com/team/train", with: "\(registry.host)/team/train")
            .write(toFile: dir.path + "/envctl.yaml", atomically: true, encoding: .utf8)
        let r = try envctl(["lock"], cwd: dir.path, env: env)
        guard r.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
    }

    var lock: Lockfile { get throws { try Lockfile.load(fileAt: dir.path + "/envctl.lock") } }

    /// A one-layer OCI layout (ci/make-oci-layout.sh) standing in for the built image, in `directory`;
    /// labelled with `lockHash` as envctl's templates do (nil: no `dev.envctl.lock-hash` label).
    func layout(_ tag: String = "v1", bytes: Int = 4096, lockHash: String?, directory: String = "layout") throws
        -> String
    {
        let path = dir.path + "/" + directory
        var args = [RepoPaths.path("ci/make-oci-layout.sh"), path, tag, "\(bytes)"]
        if let lockHash { args += ["gzip", lockHash] }
        let r = try runProcess("bash", args)
        guard r.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: r.stderr])
        }
        return path
    }

    func cleanup() {
        index.stop()
        dir.cleanup()
    }
}

/// `envctl push --env/--record`: the content-addressed tag, the default destination, and the lock's `pushed` entry.
@Suite(.serialized) struct PushRecordTests {
    @Test(.requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv))
    func pushTagsTheContentTagAndRecordsTheDigestInTheLock() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let project = try LockedProject(registry: registry)
        defer { project.cleanup() }
        let train = try #require(try project.lock.environment(named: "train"))
        #expect(train.contentTag.range(of: #"^envctl-[0-9a-f]{16}$"#, options: .regularExpression) != nil)
        let layout = try project.layout(lockHash: train.hash)

        // No DEST: the environment's image repository, under its content tag plus --tag.
        let r = try envctl(
            ["push", "oci:\(layout):v1", "--env", "train", "--record", "--tag", "v1", "--json"],
            cwd: project.dir.path, env: project.env)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let digest = try #require(json["digest"] as? String)
        let repo = "\(registry.host)/team/train"
        #expect(json["references"] as? [String] == ["\(repo):\(train.contentTag)", "\(repo):v1"])

        // The lock names the content-tag reference and the digest skopeo sees under that tag.
        let pushed = try #require(try project.lock.environment(named: "train")?.pushed)
        #expect(pushed.reference == "\(repo):\(train.contentTag)")
        #expect(pushed.digest == digest)
        #expect(try registry.digest("team/train:\(train.contentTag)") == digest)
        #expect(try registry.digest("team/train:v1") == digest)
        #expect(r.stderr.contains("recorded \(repo):\(train.contentTag)@\(digest)"))

        // --env attached the SBOM and provenance (docker-registry 2.8: under the sha256-<hex> tag).
        let referrersTag = "team/train:sha256-" + digest.dropFirst("sha256:".count)
        let index = try runProcess(
            "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/\(referrersTag)"])
        #expect(index.stdout.contains("application/vnd.cyclonedx+json"), "\(index.stderr)")
        #expect(index.stdout.contains("application/vnd.in-toto+json"), "\(index.stderr)")
        // An image that is not envctl-built (no lock-hash label), pushed without --env: verify says so.
        let unlabelled = try project.layout(lockHash: nil, directory: "unlabelled")
        let plain = try envctl(
            ["push", "oci:\(unlabelled):v1", "\(repo):plain", "--json"], cwd: project.dir.path, env: project.env)
        #expect(plain.status == 0, "\(plain.stderr)")
        let plainDigest = try #require(
            (try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["digest"] as? String)
        let verify = try envctl(["verify", "\(repo)@\(plainDigest)"], cwd: project.dir.path, env: project.env)
        #expect(verify.status == 1 && verify.stderr.contains("no dev.envctl.lock-hash label"), "\(verify.stderr)")

        // Recording doesn't make the lock stale, and re-locking an unchanged environment keeps the record.
        let check = try envctl(["lock", "--check"], cwd: project.dir.path, env: project.env)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(try envctl(["lock"], cwd: project.dir.path, env: project.env).status == 0)
        #expect(try project.lock.environment(named: "train")?.pushed == pushed)

        // Pushing the same image again keeps the build inputs `build --push --record` noted for it.
        let inputs = PushedImage.BuildInputs(
            revision: "abc123", source: "https://git.example/train", sourceDateEpoch: 1_700_000_000)
        try project.lock.recordingPush(environment: "train", reference: pushed.reference, digest: digest, build: inputs)
            .write(to: project.dir.path + "/envctl.lock")
        let again = try envctl(
            ["push", "oci:\(layout):v1", "--env", "train", "--record", "-q"], cwd: project.dir.path, env: project.env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try project.lock.environment(named: "train")?.pushed?.build == inputs)

        // An explicit DEST with a tag gets the content tag too; a DEST without one gets it as its tag.
        let other = try envctl(
            ["push", "oci:\(layout):v1", "\(registry.host)/other/train:rc1", "--env", "train", "--json"],
            cwd: project.dir.path, env: project.env)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stdout.contains("other/train:rc1") && other.stdout.contains("other/train:\(train.contentTag)"))
        let bare = try envctl(
            ["push", "oci:\(layout):v1", "\(registry.host)/bare/train", "--env", "train", "-q"],
            cwd: project.dir.path, env: project.env)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(try registry.digest("bare/train:\(train.contentTag)") == digest)
        #expect(try registry.digest("bare/train:latest").isEmpty, "no implicit :latest")
    }

    /// The content tag promises that this lock hash means this image (issue 11 §4): a different image is not
    /// pushed onto it, a matching label plus --force moves it, and --record refuses a mismatched label.
    @Test(.requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv))
    func theContentTagIsNotMovedToAnotherImage() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let project = try LockedProject(registry: registry)
        defer { project.cleanup() }
        let train = try #require(try project.lock.environment(named: "train"))
        let first = try project.layout(lockHash: train.hash, directory: "first")
        let pushed = try envctl(
            ["push", "oci:\(first):v1", "--env", "train", "--record", "-q"], cwd: project.dir.path, env: project.env)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let old = try registry.digest("team/train:\(train.contentTag)")
        #expect(old.hasPrefix("sha256:"))

        // Another image (another lock's, as docker-archive) onto the content tag: refused, nothing moves.
        let other = try project.layout(lockHash: "sha256:" + String(repeating: "7", count: 64), directory: "other")
        let archive = project.dir.path + "/other.tar"
        let saved = try runProcess("skopeo", ["copy", "--quiet", "oci:\(other):v1", "docker-archive:\(archive)"])
        try #require(saved.status == 0, "\(saved.stderr)")
        let contentRef = "\(registry.host)/team/train:\(train.contentTag)"
        for force in [[], ["--force"]] {
            let r = try envctl(
                ["push", "docker-archive:\(archive)", "--env", "train"] + force, cwd: project.dir.path,
                env: project.env)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(
                r.stderr.contains("refusing to move content tag \(contentRef) from \(old) to sha256:"), "\(r.stderr)")
            #expect(try registry.digest("team/train:\(train.contentTag)") == old)
        }
        // --record of that image is refused for its label, before anything is pushed.
        let record = try envctl(
            ["push", "oci:\(other):v1", "\(registry.host)/elsewhere/train", "--env", "train", "--record"],
            cwd: project.dir.path, env: project.env)
        #expect(record.status == 1, "\(record.stderr)")
        #expect(record.stderr.contains("dev.envctl.lock-hash=sha256:7777"), "\(record.stderr)")
        #expect(try registry.digest("elsewhere/train:\(train.contentTag)").isEmpty)
        #expect(try project.lock.environment(named: "train")?.pushed?.digest == old)

        // A rebuilt image of the same lock: refused without --force, moved with it.
        let rebuilt = try project.layout(lockHash: train.hash, directory: "rebuilt")
        let refused = try envctl(
            ["push", "oci:\(rebuilt):v1", "--env", "train"], cwd: project.dir.path, env: project.env)
        #expect(refused.status == 1 && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try registry.digest("team/train:\(train.contentTag)") == old)
        let forced = try envctl(
            ["push", "oci:\(rebuilt):v1", "--env", "train", "--force", "--record", "--json"], cwd: project.dir.path,
            env: project.env)
        #expect(forced.status == 0, "\(forced.stderr)")
        let moved = try registry.digest("team/train:\(train.contentTag)")
        #expect(moved != old && moved.hasPrefix("sha256:"))
        #expect(try project.lock.environment(named: "train")?.pushed?.digest == moved)
    }

    /// `push --env` from another directory (`--spec`) attests the Dockerfile `build` renders: with the
    /// project's template overrides (`.envctl/templates` next to the lock), not the working directory's.
    @Test(.requires(TestRegistry.tools + ["uv", "curl"]), .tags(.registry, .uv))
    func pushFromAnotherDirectoryAttestsTheProjectsTemplates() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let project = try LockedProject(registry: registry)
        defer { project.cleanup() }
        let train = try #require(try project.lock.environment(named: "train"))
        try project.dir.write(".envctl/templates/_app.mustache", "# the team's app stage\n")
        let elsewhere = try TemporaryDirectory(prefix: "envctl-elsewhere")
        defer { elsewhere.cleanup() }
        let spec = project.dir.path + "/envctl.yaml"
        let dockerfile = try envctl(["dockerfile", "--spec", spec], cwd: elsewhere.path, env: project.env)
        try #require(dockerfile.status == 0, "\(dockerfile.stderr)")
        #expect(dockerfile.stdout.contains("# the team's app stage"))
        let expected = try #require(
            try runProcess("sha256sum", [], stdin: dockerfile.stdout).stdout.split(separator: " ").first)

        let layout = try project.layout(lockHash: train.hash)
        let r = try envctl(
            ["push", "oci:\(layout):v1", "--spec", spec, "--env", "train", "--json"], cwd: elsewhere.path,
            env: project.env)
        try #require(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let digest = try #require(json["digest"] as? String)
        // The provenance referrer (docker-registry 2.8: under the sha256-<hex> tag) names that Dockerfile.
        let referrers = try runProcess(
            "curl",
            [
                "-sf", "http://\(registry.host)/v2/team/train/manifests/sha256-\(digest.dropFirst(7))",
                "-H", "Accept: application/vnd.oci.image.index.v1+json",
            ])
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(referrers.stdout.utf8)) as? [String: Any], "\(referrers.stdout)"
        )
        let provenance = try #require(
            (index["manifests"] as? [[String: Any]])?.first {
                $0["artifactType"] as? String == "application/vnd.in-toto+json"
            })
        let manifest = try runProcess(
            "curl",
            [
                "-sf", "http://\(registry.host)/v2/team/train/manifests/\(provenance["digest"] as! String)",
                "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
            ])
        let layers = try #require(
            (try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) as? [String: Any])?["layers"]
                as? [[String: Any]])
        let blob = try runProcess(
            "curl", ["-sf", "http://\(registry.host)/v2/team/train/blobs/\(layers[0]["digest"] as! String)"])
        #expect(blob.stdout.contains("sha256:\(expected)"), "\(blob.stdout.prefix(2000))")
    }

    @Test func badEnvironmentOrMissingLockIsBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let noLock = try envctl(["push", "oci:\(dir.path):v1", "--env", "train", "--record"], cwd: dir.path)
        #expect(noLock.status == 64, "\(noLock.stderr)")
        #expect(noLock.stderr.contains("envctl lock"))
        try FileManager.default.copyItem(
            atPath: RepoPaths.path("lockfiles/quickstart.lock"), toPath: dir.path + "/envctl.lock")
        let unknown = try envctl(["push", "oci:\(dir.path):v1", "--env", "nope"], cwd: dir.path)
        #expect(unknown.status == 64, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no environment 'nope'") && unknown.stderr.contains("train"))
    }
}

/// `envctl push` mounts blobs another repository on the same registry holds: the environment's base image
/// (found through the registries config's mirror), or `--mount-from`; and uploads when a mount isn't possible.
@Suite(.serialized, .requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv)) struct PushMountTests {
    @Test func blobsOfTheBaseImageAreMountedNotUploaded() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let base = try TemporaryDirectory(prefix: "envctl-base")
        defer { base.cleanup() }
        let made = try runProcess("bash", [RepoPaths.path("ci/make-oci-layout.sh"), base.path, "v1", "200000"])
        try #require(made.status == 0, "\(made.stderr)")
        let project = try LockedProject(registry: registry, baseLayout: base.path)
        defer { project.cleanup() }
        let image = "oci:\(base.path):v1"  // the "built" image shares every blob with the base

        func push(_ args: [String]) throws -> (ProcessResult, [String: Any]) {
            let r = try envctl(["push", image] + args + ["--json"], cwd: project.dir.path, env: project.env)
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
            return (r, json)
        }
        // Without hints, a new repository gets uploads.
        let (plain, plainJSON) = try push(["\(registry.host)/plain/x:1"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plainJSON["blobsUploaded"] as? Int == 2 && plainJSON["blobsMounted"] as? Int == 0)

        // --env: the lock's base image, read through the docker.io mirror on this registry, holds both blobs.
        let (env, envJSON) = try push(["--env", "train"])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(envJSON["blobsMounted"] as? Int == 2, "\(env.stdout)")
        #expect(envJSON["blobsUploaded"] as? Int == 0)

        // --mount-from, watched through the progress lines and the verbose request log.
        let explicit = try envctl(
            [
                "push", image, "\(registry.host)/explicit/y:1", "--verbose",
                "--mount-from", "\(registry.host)/nvidia/cuda:12.4.1-base-ubuntu22.04",
            ],
            cwd: project.dir.path, env: project.env)
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stderr.components(separatedBy: "\nmounted sha256:").count - 1 == 2, "\(explicit.stderr)")
        #expect(
            explicit.stderr.contains("POST http://\(registry.host)/v2/explicit/y/blobs/uploads/ → 201"),
            "\(explicit.stderr)")
        #expect(try registry.digest("explicit/y:1") == (try registry.digest("plain/x:1")))

        // A candidate that doesn't hold the blobs (or doesn't exist) falls back to uploading.
        let (fallback, fallbackJSON) = try push([
            "\(registry.host)/fallback/z:1", "--mount-from", "\(registry.host)/nothing/here",
        ])
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallbackJSON["blobsUploaded"] as? Int == 2 && fallbackJSON["blobsMounted"] as? Int == 0)
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl mirror`: every digest the lock pins lands in a second registry unchanged, and the lock keeps
/// working from there after the original registry is gone.
@Suite(.serialized) struct MirrorTests {
    @Test(.requires(TestRegistry.tools + ["uv"]), .tags(.registry, .uv))
    func mirrorsPinnedImagesAndTheLockSurvivesTheUpstreamGoingAway() throws {
        let upstream = try TestRegistry()
        var upstreamStopped = false
        defer { if !upstreamStopped { upstream.stop() } }
        let team = try TestRegistry()
        defer { team.stop() }
        let project = try LockedProject(registry: upstream)
        defer { project.cleanup() }
        let hash = try #require(try project.lock.environment(named: "train")?.hash)
        let push = try envctl(
            ["push", "oci:\(try project.layout(lockHash: hash)):v1", "--env", "train", "--record", "-q"],
            cwd: project.dir.path, env: project.env)
        #expect(push.status == 0, "\(push.stderr)")
        let train = try #require(try project.lock.environment(named: "train"))
        let pushed = try #require(train.pushed)

        let r = try envctl(
            ["mirror", "--to", "\(team.host)/mirror", "--json"], cwd: project.dir.path, env: project.env)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let images = try #require(json["images"] as? [[String: Any]])
        #expect(images.count == 3, "base, builder, pushed")
        #expect((json["mirrors"] as? [String: String])?["docker.io"] == "\(team.host)/mirror")
        let expected: [(String, String, String)] = [
            (
                train.images.base.reference, "mirror/nvidia/cuda:12.4.1-base-ubuntu22.04",
                try #require(train.images.base.digest)
            ),
            (
                train.images.builder.reference, "mirror/nvidia/cuda:12.4.1-devel-ubuntu22.04",
                try #require(train.images.builder.digest)
            ),
            (pushed.reference, "mirror/team/train:\(train.contentTag)", pushed.digest),
        ]
        for (source, dest, digest) in expected {
            let row = images.first { $0["source"] as? String == "\(source)@\(digest)" }
            #expect(row?["destination"] as? String == "\(team.host)/\(dest)", "\(source)")
            #expect(row?["digest"] as? String == digest)
            // skopeo, not envctl, checks the mirror: same digest under the tag and by digest.
            #expect(try team.digest(dest) == digest, "\(dest)")
            let byDigest = try runProcess(
                "skopeo",
                [
                    "inspect", "--raw", "--tls-verify=false",
                    "docker://\(team.host)/\(dest.split(separator: ":")[0])@\(digest)",
                ])
            #expect(byDigest.status == 0, "\(byDigest.stderr)")
        }

        // Mirroring again sends nothing.
        let again = try envctl(["mirror", "--to", "\(team.host)/mirror"], cwd: project.dir.path, env: project.env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stdout.contains(
                "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@\(train.images.base.digest!) -> \(team.host)/mirror/nvidia/cuda:12.4.1-base-ubuntu22.04"
            ))
        #expect(again.stderr.contains("(0 B sent)") || again.stderr.contains("(0 bytes sent)"), "\(again.stderr)")
        #expect(again.stderr.contains("docker.io:\n    mirrors: [\"\(team.host)/mirror\"]"))

        // Upstream disappears; with registries.yaml pointing docker.io at the mirror, the lock still checks out.
        upstream.stop()
        upstreamStopped = true
        let config = project.dir.path + "/registries.yaml"
        try "registries:\n  docker.io:\n    mirrors: [\"\(team.host)/mirror\"]\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        var env = project.env
        env["ENVCTL_REGISTRIES_CONFIG"] = config
        let check = try envctl(["lock", "--check", "--refresh"], cwd: project.dir.path, env: env)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("up to date"))
    }

    @Test func offlineLockIsAnErrorNamingEnvctlLock() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.copyItem(
            atPath: RepoPaths.path("lockfiles/multi.lock"), toPath: dir.path + "/envctl.lock")
        let r = try envctl(["mirror", "--to", "127.0.0.1:1/mirror"], cwd: dir.path)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("pinned by tag only"))
        #expect(r.stderr.contains("run 'envctl lock'"))
        let bad = try envctl(["mirror", "--to", "Not A Registry"], cwd: dir.path)
        #expect(bad.status == 64, "\(bad.stderr)")
    }
}

import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

/// envctl and skopeo/buildah agree on bytes and digests.
@Suite(.serialized, .requires(TestRegistry.tools), .tags(.registry)) struct InteropTests {
    @Test(.requires("skopeo")) func skopeoSeesTheSameDigestAndPullsBackIdenticalBytes() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout(bytes: 200_000)
        defer { layout.cleanup() }
        let pushed = try await makeClient().push(
            try OCILayoutSource(directory: layout.path), to: try registry.ref("interop/a:v1"))
        let inspect = try runProcess(
            "skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.host)/interop/a:v1"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect(obj?["Digest"] as? String == pushed.digest.description)
        let back = layout.path + "/back"
        let copy = try runProcess(
            "skopeo", ["copy", "--src-tls-verify=false", "docker://\(registry.host)/interop/a:v1", "oci:\(back):v1"])
        #expect(copy.status == 0, "\(copy.stderr)")
        for d in [pushed.digest]
            + (try OCILayoutSource(directory: layout.path).rootManifest().manifest.blobs.map(\.digest))
        {
            #expect(
                FileManager.default.contentsEqual(
                    atPath: "\(back)/blobs/sha256/\(d.encoded)", andPath: "\(layout.path)/blobs/sha256/\(d.encoded)"),
                "\(d)")
        }
    }

    @Test(.requires("skopeo", "buildah"), .tags(.container))
    func layoutsWrittenBySkopeoAndBuildahPushUnchanged() async throws {
        let registry = try TestRegistry("plain")
        let layout = try TestLayout(tags: ["amd64", "arm64"])
        defer { layout.cleanup() }
        _ = try layout.addIndex("multi", amd64: "amd64", arm64: "arm64")
        let client = makeClient()
        // skopeo writes an OCI layout (single image and a whole index).
        let sko = layout.path + "/skopeo"
        for tag in ["amd64", "multi"] {
            let r = try runProcess("skopeo", ["copy", "--all", "oci:\(layout.path):\(tag)", "oci:\(sko):\(tag)"])
            #expect(r.status == 0, "\(r.stderr)")
            let expected = try OCILayoutSource(directory: sko, tag: tag).rootManifest().digest
            let pushed = try await client.push(
                try OCILayoutSource(directory: sko, tag: tag), to: try registry.ref("sko/\(tag):1"))
            #expect(pushed.digest == expected)
            let seen = try runProcess(
                "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/sko/\(tag):1"])
            #expect(ContentDigest.sha256(of: Data(seen.stdout.utf8)) == expected)
        }
        // buildah builds an image from scratch and writes it as an OCI layout.
        let storage = layout.path + "/buildah"
        let s = ["--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs"]
        let from = try runProcess("buildah", s + ["from", "scratch"])
        try #require(from.status == 0, "\(from.stderr)")
        let container = from.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "hello from buildah\n".write(toFile: layout.path + "/hello.txt", atomically: true, encoding: .utf8)
        #expect(
            try runProcess("buildah", s + ["copy", container, layout.path + "/hello.txt", "/hello.txt"]).status == 0)
        #expect(
            try runProcess("buildah", s + ["commit", "--timestamp", "0", container, "localhost/envctl-interop:1"])
                .status == 0)
        let bl = layout.path + "/buildah-layout"
        let push = try runProcess("buildah", s + ["push", "localhost/envctl-interop:1", "oci:\(bl):b1"])
        try #require(push.status == 0, "\(push.stderr)")
        let expected = try OCILayoutSource(directory: bl, tag: "b1").rootManifest().digest
        let pushed = try await client.push(
            try OCILayoutSource(directory: bl, tag: "b1"), to: try registry.ref("buildah/img:1"))
        #expect(pushed.digest == expected)
        let inspect = try runProcess(
            "skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.host)/buildah/img:1"])
        #expect(inspect.stdout.contains(expected.description))
    }
    @Test(.requires("umoci", "skopeo")) func layoutWrittenByUmociPushesUnchanged() async throws {
        let registry = try TestRegistry("plain")
        let dir = try TemporaryDirectory(prefix: "envctl-umoci")
        defer { dir.cleanup() }
        // umoci builds an image without any daemon: an empty image, one inserted file (a gzip layer), a config edit.
        let layout = dir.path + "/layout"
        try "hello from umoci\n".write(toFile: dir.path + "/hello.txt", atomically: true, encoding: .utf8)
        for args in [
            ["init", "--layout", layout], ["new", "--image", "\(layout):u1"],
            ["insert", "--rootless", "--image", "\(layout):u1", dir.path + "/hello.txt", "/hello.txt"],
            ["config", "--image", "\(layout):u1", "--config.cmd", "/hello.txt"],
        ] {
            let r = try runProcess("umoci", args)
            try #require(r.status == 0, "umoci \(args[0]): \(r.stderr)")
        }
        let source = try OCILayoutSource(directory: layout, tag: "u1")
        let expected = try source.rootManifest().digest
        #expect(try source.rootManifest().manifest.blobs.count == 2, "config + the inserted layer")
        let pushed = try await makeClient().push(source, to: try registry.ref("umoci/img:1"))
        #expect(pushed.digest == expected)
        let seen = try runProcess(
            "skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/umoci/img:1"])
        #expect(seen.status == 0, "\(seen.stderr)")
        #expect(ContentDigest.sha256(of: Data(seen.stdout.utf8)) == expected)
    }
}

/// The built `envctl` binary: exit codes and no secret in any output, even with --verbose.
@Suite(.serialized) struct RegistryCLITests {
    @Test(.requires(TestRegistry.tools), .tags(.registry)) func wrongPasswordFailsCleanlyWithoutLeakingTheSecret()
        throws
    {
        let registry = try TestRegistry("htpasswd")
        let layout = try TestLayout()
        defer { layout.cleanup() }
        let secret = "cli-Secret-wrong-81"
        let r = try runProcess(
            RepoPaths.envctlBinary,
            [
                "push", "oci:\(layout.path):v1", "\(registry.host)/cli/x:1", "--username", "envctl", "--password-stdin",
                "--verbose",
            ], environment: ["ENVCTL_REGISTRIES_CONFIG": "", "ENVCTL_AUTH_FILE": layout.path + "/none.json"],
            stdin: secret + "\n")
        #expect(r.status == 1)
        #expect(r.stderr.contains("unauthorized"), "\(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains(secret))
        #expect(!(r.stdout + r.stderr).contains("Authorization: Basic"))
        // And the right password, from the environment, with --json.
        let ok = try runProcess(
            RepoPaths.envctlBinary,
            [
                "push", "oci:\(layout.path):v1", "\(registry.host)/cli/x:1", "--json", "--tag", "also", "--verbose",
            ],
            environment: [
                "ENVCTL_REGISTRY_USERNAME": "envctl", "ENVCTL_REGISTRY_PASSWORD": registry.password!,
                "ENVCTL_REGISTRIES_CONFIG": "", "ENVCTL_AUTH_FILE": layout.path + "/auth.json",
            ])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!(ok.stdout + ok.stderr).contains(registry.password!))
        let json = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        #expect(json?["blobsUploaded"] as? Int == 2)
        #expect((json?["references"] as? [String])?.count == 2)
    }

    @Test func badInputExitsWith64() throws {
        let bad = try runProcess(RepoPaths.envctlBinary, ["inspect", "Not/A/Valid:Ref:"])
        #expect(bad.status == 64, "\(bad.stderr)")
        #expect(bad.stderr.contains("invalid image reference"))
        let missing = try runProcess(RepoPaths.envctlBinary, ["push", "oci:/nonexistent/layout", "127.0.0.1:1/a/b:1"])
        #expect(missing.status == 64, "\(missing.stderr)")
    }

    @Test(.requires(TestRegistry.tools), .tags(.registry)) func loginStoresAndLogoutRemoves() throws {
        let registry = try TestRegistry("htpasswd")
        let tmp = try TemporaryDirectory()
        defer { tmp.cleanup() }
        let file = tmp.path + "/auth.json"
        let wrong = try runProcess(
            RepoPaths.envctlBinary,
            ["login", registry.host, "--username", "envctl", "--password-stdin", "--auth-file", file],
            stdin: "nope\n")
        #expect(wrong.status == 1 && !FileManager.default.fileExists(atPath: file))
        let login = try runProcess(
            RepoPaths.envctlBinary,
            ["login", registry.host, "--username", "envctl", "--password-stdin", "--auth-file", file],
            stdin: registry.password! + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        #expect(!(login.stdout + login.stderr).contains(registry.password!))
        let inspect = try runProcess(
            RepoPaths.envctlBinary, ["inspect", "\(registry.host)/none/x:1"],
            environment: ["ENVCTL_AUTH_FILE": file])
        #expect(inspect.status == 1 && inspect.stderr.contains("not found"), "\(inspect.stderr)")
        let logout = try runProcess(RepoPaths.envctlBinary, ["logout", registry.host, "--auth-file", file])
        #expect(logout.status == 0)
        #expect(!String(decoding: FileManager.default.contents(atPath: file)!, as: UTF8.self).contains(registry.host))
    }
}

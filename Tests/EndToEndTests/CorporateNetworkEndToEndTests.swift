import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// A corporate network end to end: a package index on 127.0.0.1 behind a private CA and basic auth, locked
/// with uv trusting the CA and reading the password from a netrc envctl writes, then built with buildah
/// (the CA bundle and netrc mounted as build secrets, a proxy passed as a build argument) and pushed. Every
/// layer blob of the pushed image, decompressed, and its config and history are then searched for the CA's
/// and the server's private keys, the index password, the proxy password and the CA bundle itself.
///
/// Needs what ``ImageBuildEndToEndTests`` needs, plus openssl and uv; skipped with ENVCTL_SKIP_E2E=1.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow, .uv),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(["buildah", "podman", "runc", "git", "curl", "gzip", "openssl", "uv"] + TestRegistry.tools))
struct CorporateNetworkEndToEndTests {
    typealias World = ImageBuildEndToEndTests.World
    typealias E2EError = ImageBuildEndToEndTests.E2EError

    /// The HTTPS index: one wheel under /simple/envctl-hello/, basic auth on every request.
    static let server = """
        import base64, hashlib, http.server, os, ssl, sys, zipfile
        root, cert, key, user, password = sys.argv[1:6]
        files = {"envctl_hello/__init__.py": b'def greet():\\n    return "hello from the envctl image"\\n',
                 "envctl_hello-1.0.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: envctl-hello\\nVersion: 1.0.0\\n",
                 "envctl_hello-1.0.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: envctl-e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
        rec = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}" for n, d in files.items()]
        files["envctl_hello-1.0.0.dist-info/RECORD"] = ("\\n".join(rec + ["envctl_hello-1.0.0.dist-info/RECORD,,"]) + "\\n").encode()
        d = os.path.join(root, "simple", "envctl-hello"); os.makedirs(d)
        w = os.path.join(d, "envctl_hello-1.0.0-py3-none-any.whl")
        with zipfile.ZipFile(w, "w") as z:
            for n in sorted(files):
                zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)); zi.external_attr = 0o644 << 16
                z.writestr(zi, files[n])
        h = hashlib.sha256(open(w, "rb").read()).hexdigest()
        open(os.path.join(d, "index.html"), "w").write(f'<a href="envctl_hello-1.0.0-py3-none-any.whl#sha256={h}">w</a>\\n')
        open(os.path.join(root, "simple", "index.html"), "w").write('<a href="envctl-hello/">envctl-hello</a>\\n')
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
            def authorized(self):
                if self.headers.get("Authorization") == expected: return True
                self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="envctl"')
                self.send_header("Content-Length", "0"); self.end_headers(); return False
            def do_GET(self):
                if self.authorized(): super().do_GET()
            def do_HEAD(self):
                if self.authorized(): super().do_HEAD()
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        print("PORT", srv.server_address[1], flush=True)
        srv.serve_forever()
        """

    @Test(.timeLimit(.minutes(15))) func privateCAAndBasicAuthIndexLeaksNothingIntoTheImage() throws {
        let w = try World()
        defer { w.tearDown() }
        let tls = w.dir.path + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)

        // 1. A private CA and a server certificate for 127.0.0.1 it signs.
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(
            toFile: tls + "/ext.cnf", atomically: true, encoding: .utf8)
        for args in [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=envctl test corporate CA",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "ext.cnf",
            ],
        ] {
            let r = try runProcess("openssl", args, cwd: tls)
            try #require(r.status == 0, "openssl \(args[0]): \(r.stderr)")
        }

        // 2. The index, on HTTPS with basic auth.
        let password = TestSecrets.prefix + "index-password"
        try w.dir.write("index_server.py", Self.server)
        let python = try runProcess("python3", ["-c", "import sys; print(sys.executable)"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try w.spawn(
            python,
            [
                w.dir.path + "/index_server.py", w.dir.path + "/index", tls + "/server.pem", tls + "/server.key", "ci",
                password,
            ],
            log: w.dir.path + "/index.log")
        var port = ""
        for _ in 0..<200 {
            let log = (try? String(contentsOfFile: w.dir.path + "/index.log", encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }) {
                port = String(line.dropFirst(5))
                break
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        try #require(!port.isEmpty, "the HTTPS index did not start")
        let indexURL = "https://127.0.0.1:\(port)/simple"
        let denied = try runProcess(
            "curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", tls + "/ca.pem",
                indexURL + "/",
            ])
        #expect(denied.stdout == "401", "the index asks for credentials")

        // 3. A project whose spec names the CA bundle and the variable holding the password.
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project + "/certs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tls + "/ca.pem", toPath: project + "/certs/corp-ca.pem")
        let registry = w.registry.host
        let spec = """
            version: 1
            python_index:
              url: \(indexURL)
            network:
              ca_bundle: certs/corp-ca.pem
              credentials:
                - url: \(indexURL)
                  username: ci
                  password_env: CORP_INDEX_PASSWORD
            environments:
              demo:
                python: "3.11"
                os: ubuntu22.04
                cuda_libraries: image
                packages: ["envctl-hello==1.0.0"]
                image: \(registry)/envctl/corp

            """
        try spec.write(toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)
        _ = try runProcess("git", ["init", "-q"], cwd: project)
        let uvCache = w.dir.path + "/uv-cache"
        var env = w.env
        env["CORP_INDEX_PASSWORD"] = password
        env["UV_CACHE_DIR"] = uvCache
        if let uv = uvExecutable() {
            env["PATH"] =
                (uv as NSString).deletingLastPathComponent + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        }
        let envctl = RepoPaths.envctlBinary

        // Without the password, lock says which variable to set; without the CA, it names the fix.
        var noPassword = env
        noPassword["CORP_INDEX_PASSWORD"] = nil
        let missing = try runProcess(envctl, ["lock", "--no-registry"], cwd: project, environment: noPassword)
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("$CORP_INDEX_PASSWORD, which is not set"), "\(missing.stderr)")
        try spec.replacingOccurrences(of: "  ca_bundle: certs/corp-ca.pem\n", with: "")
            .write(toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)
        let untrusted = try runProcess(envctl, ["lock", "--no-registry"], cwd: project, environment: env)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("did not trust the TLS certificate of"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("network.ca_bundle"))
        try spec.write(toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)

        // 4. lock: uv fetches from the private index (no registry: images by tag for now).
        let locked = try runProcess(envctl, ["lock", "--no-registry"], cwd: project, environment: env)
        try #require(locked.status == 0, "lock: \(locked.stderr)")
        let lockText = try String(contentsOfFile: project + "/envctl.lock", encoding: .utf8)
        #expect(!lockText.contains(password))
        #expect(!lockText.contains("BEGIN CERTIFICATE"))
        let pinned = try #require(try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "demo"))
        #expect(pinned.pythonPackages.packages.map(\.name) == ["envctl-hello"])
        #expect(pinned.pythonPackages.packages.first?.index == indexURL)

        // 5. The stand-in CUDA base under the lock's tags in the test registry; the lock then pins them (the
        //    stand-in is Debian 12 with Python 3.11, so the build lock says debian12, as ImageBuildEndToEndTests').
        var images = pinned.images
        let paths = [images.base, images.builder].map { String($0.reference.dropFirst("docker.io/".count)) }
        let digests = try w.pushStandinBase(as: paths)
        images.base.digest = digests[paths[0]]
        images.builder.digest = digests[paths[1]]
        var demo = pinned
        demo.images = images
        demo.os = "debian12"
        // The stand-in base's own Python 3.11: the locked python-build-standalone archive is on GitHub, which
        // this machine can't reach (PythonRuntimeEndToEndTests covers the standalone download through a mirror).
        demo.pythonRuntime = nil
        demo.warnings = []
        var lock = try Lockfile.load(fileAt: project + "/envctl.lock")
        lock.environments = [demo]
        try lock.write(to: project + "/envctl.lock")

        // 6. Build and push: CA bundle and netrc as secrets, an HTTPS proxy (with a password) that pip must
        //    bypass for 127.0.0.1 through NO_PROXY, all passed through with --proxy-from-env.
        let proxyPassword = TestSecrets.prefix + "proxy-password"
        env["HTTPS_PROXY"] = "http://proxyuser:\(proxyPassword)@127.0.0.1:9"
        env["NO_PROXY"] = "127.0.0.1,localhost"
        let build = try runProcess(
            envctl,
            ["build", "--builder", "buildah", "--mirror", "docker.io=\(registry)", "--push", "--proxy-from-env"],
            cwd: project, environment: env)
        try #require(build.status == 0, "build failed:\n\(build.stdout)\n\(build.stderr.suffix(6000))")
        #expect(!build.stderr.contains(password) && !build.stdout.contains(password))
        #expect(!build.stderr.contains(proxyPassword))
        let dockerfile = try String(contentsOfFile: project + "/.envctl/build/demo/context/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("--mount=type=secret,id=envctl-ca,target=/run/secrets/envctl-ca.pem,mode=0400"))
        #expect(dockerfile.contains("--mount=type=secret,id=envctl-netrc,target=/run/secrets/envctl-netrc,mode=0400"))
        #expect(!dockerfile.contains("PROXY"), "proxies are build arguments, never in the Dockerfile")
        // `envctl dockerfile` renders the same bytes for the same lock and settings.
        let rendered = try runProcess(envctl, ["dockerfile"], cwd: project, environment: env)
        #expect(rendered.stdout == dockerfile)
        // Temporary secret files are gone once envctl exits.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: env["TMPDIR"]!).filter {
            $0.hasPrefix("envctl-net")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // 7. Every layer blob of the pushed image, decompressed, and its config: none holds a secret.
        let tag = demo.contentTag
        let manifestText = try runProcess(
            "curl",
            [
                "-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                "http://\(registry)/v2/envctl/corp/manifests/\(tag)",
            ]
        ).stdout
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(manifestText.utf8)) as? [String: Any], "\(manifestText)")
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        let configDigest = try #require((manifest["config"] as? [String: Any])?["digest"] as? String)
        func pemBodyLines(_ file: String) throws -> [String] {
            try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }
                .map(String.init)
        }
        // Whole 64-character lines of base64 from each private key (and of the CA certificate, which the build
        // only mounts), the passwords, and the netrc line.
        let secrets =
            try pemBodyLines(tls + "/ca.key").prefix(4) + pemBodyLines(tls + "/server.key").prefix(4)
            + pemBodyLines(tls + "/ca.pem").prefix(2) + [password, proxyPassword, "login ci password"]
        try secrets.joined(separator: "\n").write(toFile: w.dir.path + "/patterns", atomically: true, encoding: .utf8)
        try "hello from the envctl image\n".write(toFile: w.dir.path + "/control", atomically: true, encoding: .utf8)
        var controlFound = false
        for layer in layers {
            let digest = try #require(layer["digest"] as? String)
            let mediaType = layer["mediaType"] as? String ?? ""
            let blob = w.dir.path + "/blob"
            let fetched = try runProcess(
                "curl", ["-sf", "-o", blob, "http://\(registry)/v2/envctl/corp/blobs/\(digest)"])
            try #require(fetched.status == 0)
            let decompress = mediaType.hasSuffix("+gzip") || mediaType.hasSuffix(".gzip") ? "gzip -dc" : "cat"
            let scan = try runProcess(
                "bash", ["-c", "set -o pipefail; \(decompress) blob | grep -a -F -c -f patterns"], cwd: w.dir.path)
            #expect(scan.status == 1 && scan.stdout == "0\n", "layer \(digest) holds secret material: \(scan.stdout)")
            let control = try runProcess(
                "bash", ["-c", "set -o pipefail; \(decompress) blob | grep -a -F -c -f control"], cwd: w.dir.path)
            #expect(control.status <= 1, "layer \(digest) could not be scanned: \(control.stderr)")
            if control.status == 0 { controlFound = true }
        }
        #expect(controlFound, "the scan finds what a layer does hold (the installed wheel)")
        let config = try runProcess("curl", ["-sf", "http://\(registry)/v2/envctl/corp/blobs/\(configDigest)"]).stdout
        #expect(config.contains("\"history\""))
        // buildah notes the *names* of the predefined proxy arguments in an empty `ARG` history entry
        // (`#(nop) ARG DEBIAN_FRONTEND HTTPS_PROXY NO_PROXY …`), never their values.
        for needle in secrets + ["proxyuser", "127.0.0.1,localhost", "http://proxy"] {
            #expect(!config.contains(needle), "the image config or history holds \(needle.prefix(12))…")
        }
        #expect(!manifestText.contains(password))

        // 8. `upgrade` re-locks through the same network settings as `lock`: with an empty uv cache, uv must
        //    fetch from the private index again, trusting the spec's CA and reading the netrc envctl writes.
        env["HTTPS_PROXY"] = nil
        env["NO_PROXY"] = nil
        env["UV_CACHE_DIR"] = w.dir.path + "/uv-cache-upgrade"
        let upgraded = try runProcess(envctl, ["upgrade", "envctl-hello"], cwd: project, environment: env)
        #expect(upgraded.status == 0, "upgrade: \(upgraded.stderr)")
        #expect(!upgraded.stderr.contains(password) && !upgraded.stdout.contains(password))
        let relocked = try #require(try Lockfile.load(fileAt: project + "/envctl.lock").environment(named: "demo"))
        #expect(relocked.pythonPackages.packages.map(\.name) == ["envctl-hello"])
        #expect(relocked.pythonPackages.packages.first?.hashes == pinned.pythonPackages.packages.first?.hashes)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: env["TMPDIR"]!).filter { $0.hasPrefix("envctl-net") }
                .isEmpty)
    }
}

import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl add` / `upgrade` against the real uv and the local wheel index, and `lock --check --json`.
@Suite(.serialized, .requires("uv", "python3"), .tags(.uv)) struct AddUpgradeCommandTests {
    static let spec = """
        # team spec: keep this comment
        version: 1
        environments:
          train:
            python: "3.11"   # the interpreter
            packages: [tinyreq, "numpy<2"]  # inline list
            image: registry.example.com/team/train

        """

    func read(_ dir: TemporaryDirectory, _ name: String) throws -> String {
        try String(contentsOfFile: dir.path + "/" + name, encoding: .utf8)
    }

    @Test func addReplacesASpecifierInPlaceAndUpgradeMovesOnlyThatPackage() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        try dir.write("envctl.yaml", Self.spec)
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let lock0 = try read(dir, "envctl.lock")
        #expect(lock0.contains("1.26.4"))

        // --dry-run: the diff, and no file changes.
        let dry = try envctl(["add", "numpy>=2", "--offline", "--dry-run"], cwd: dir.path, env: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("package numpy"))
        #expect(dry.stdout.contains("2.1.0"))
        #expect(dry.stderr.contains("dry run: would write envctl.yaml, envctl.lock"))
        #expect(try read(dir, "envctl.yaml") == Self.spec)
        #expect(try read(dir, "envctl.lock") == lock0)

        // add: the specifier is replaced at its place; comments, quoting and order stay.
        let add = try envctl(["add", "numpy>=2", "--offline"], cwd: dir.path, env: env)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(
            try read(dir, "envctl.yaml")
                == Self.spec.replacingOccurrences(of: "\"numpy<2\"", with: "\"numpy>=2\""))
        #expect(try read(dir, "envctl.lock").contains("version: 2.1.0"))
        #expect(try envctl(["lock", "--check"], cwd: dir.path).status == 0)

        // A new package is appended to the flow list; the other pins are kept.
        let more = try envctl(["add", "filelock", "--offline"], cwd: dir.path, env: env)
        #expect(more.status == 0, "\(more.stderr)")
        #expect(try read(dir, "envctl.yaml").contains("packages: [tinyreq, \"numpy>=2\", filelock]  # inline list"))
        #expect(try envctl(["lock", "--check"], cwd: dir.path).status == 0)
    }

    @Test func upgradeMovesOnePackageAndKeepsTheRest() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        try dir.write("envctl.yaml", Self.spec)
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        // Loosen numpy: the preferred (locked) 1.26.4 stays until upgrade asks for the newest.
        let loosen = try envctl(["add", "numpy", "--offline"], cwd: dir.path, env: env)
        #expect(loosen.status == 0, "\(loosen.stderr)")
        #expect(try read(dir, "envctl.lock").contains("version: 2.1.0"))

        try dir.write("envctl.yaml", Self.spec)
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let yaml = Self.spec.replacingOccurrences(of: "\"numpy<2\"", with: "numpy")
        try dir.write("envctl.yaml", yaml)
        // A hand edit, then a plain upgrade of an unrelated package keeps numpy at the locked 1.26.4.
        let keep = try envctl(["upgrade", "tinyreq", "--offline"], cwd: dir.path, env: env)
        #expect(keep.status == 0, "\(keep.stderr)")
        #expect(try read(dir, "envctl.lock").contains("version: 1.26.4"))
        // upgrade --all --dry-run shows numpy moving, and writes nothing.
        let lockBefore = try read(dir, "envctl.lock")
        let all = try envctl(["upgrade", "--all", "--offline", "--dry-run", "--json"], cwd: dir.path, env: env)
        #expect(all.status == 0, "\(all.stderr)")
        let diff = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any]
        let changes = ((diff?["environments"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]]) ?? []
        #expect(changes.contains { $0["field"] as? String == "package numpy" && $0["b"] as? String == "2.1.0" })
        #expect(try read(dir, "envctl.lock") == lockBefore)
        let up = try envctl(["upgrade", "numpy", "--offline"], cwd: dir.path, env: env)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("1.26.4"))
        #expect(try read(dir, "envctl.lock").contains("version: 2.1.0"))
        #expect(try read(dir, "envctl.yaml") == yaml)
    }

    @Test func invalidRequirementsAreBadInputAndAFailedLockRestoresEveryFile() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        let spec = Self.spec.replacingOccurrences(
            of: "packages: [tinyreq, \"numpy<2\"]  # inline list", with: "requirements: requirements.txt")
        try dir.write("envctl.yaml", spec)
        let req = "# pinned by the team\ntinyreq  # keep\nnumpy<2\n"
        try dir.write("requirements.txt", req)
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let lock0 = try read(dir, "envctl.lock")

        for bad in ["numpy>>2", "-e .", "numpy 2", "numpy[", "name; "] {
            let r = try envctl(["add", bad, "--offline"], cwd: dir.path, env: env)
            #expect(r.status == 64, "\(bad): \(r.stderr)")
            #expect(r.stderr.contains("PEP 508"), "\(bad)")
        }
        #expect(try envctl(["upgrade", "nosuchpkg", "--offline"], cwd: dir.path, env: env).status == 64)

        // No release satisfies it: uv fails, and the requirements file, spec and lock are byte-for-byte the same.
        let r = try envctl(["add", "numpy==9.9", "--offline"], cwd: dir.path, env: env)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(try read(dir, "requirements.txt") == req)
        #expect(try read(dir, "envctl.yaml") == spec)
        #expect(try read(dir, "envctl.lock") == lock0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)

        // The requirements file is edited at the package's line, its comment kept; new packages are appended.
        let ok = try envctl(["add", "tinyreq>=1", "filelock", "--offline"], cwd: dir.path, env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try read(dir, "requirements.txt") == "# pinned by the team\ntinyreq>=1  # keep\nnumpy<2\nfilelock\n")
        #expect(try read(dir, "envctl.yaml") == spec)
        #expect(try envctl(["lock", "--check"], cwd: dir.path).status == 0)
    }

    @Test func frameworkUpgradeMovesTheSeriesOrLeavesEveryFile() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try example("quickstart")
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let spec = try read(dir, "envctl.yaml"), lock = try read(dir, "envctl.lock")
        // The knowledge base knows torch releases newer than 2.5 for this fleet; the test index has only 2.5.1, so
        // the re-lock fails after the spec's series was rewritten in memory, and no file changes.
        let r = try envctl(["upgrade", "--framework", "--offline"], cwd: dir.path, env: env)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("you require torch=="))
        #expect(!r.stderr.contains("torch==2.5.1"))
        #expect(try read(dir, "envctl.yaml") == spec)
        #expect(try read(dir, "envctl.lock") == lock)
        // Without a framework there is nothing to upgrade.
        try dir.write("envctl.yaml", spec.replacingOccurrences(of: "    framework: \"torch==2.5.*\"\n", with: ""))
        #expect(try envctl(["upgrade", "--framework", "--offline"], cwd: dir.path, env: env).status == 64)
        #expect(try envctl(["upgrade", "--offline"], cwd: dir.path, env: env).status == 64)
    }

    @Test func checkJSONNamesTheChangedFile() throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let env = ["ENVCTL_INDEX_MIRRORS": server.mirrors]
        let spec = Self.spec.replacingOccurrences(
            of: "packages: [tinyreq, \"numpy<2\"]  # inline list", with: "requirements: requirements.txt")
        try dir.write("envctl.yaml", spec)
        try dir.write("requirements.txt", "tinyreq\n")
        #expect(try envctl(["lock", "--offline"], cwd: dir.path, env: env).status == 0)
        let fresh = try envctl(["lock", "--check", "--json"], cwd: dir.path)
        #expect(fresh.status == 0)
        #expect(fresh.stdout.contains("\"status\" : \"up-to-date\""))

        // Committed: git tells which input changed since the commit that wrote the lock.
        for args in [
            ["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "lock"],
        ] {
            #expect(try runProcess("git", args, cwd: dir.path).status == 0)
        }
        try dir.write("requirements.txt", "tinyreq\nfilelock\n")
        let r = try envctl(["lock", "--check", "--json"], cwd: dir.path)
        #expect(r.status == 2)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(report?["status"] as? String == "stale")
        let findings = report?["findings"] as? [[String: Any]] ?? []
        let req = findings.first { $0["kind"] as? String == "requirements" }
        #expect(req?["environment"] as? String == "train")
        #expect((req?["file"] as? String)?.hasSuffix("requirements.txt") == true)
        #expect(r.stderr.contains("the requirements file requirements.txt of environment 'train' changed"))
        #expect(!findings.contains { $0["kind"] as? String == "spec" })

        // A lock field edited by hand: kind lock, with the field and its line.
        try dir.write("requirements.txt", "tinyreq\n")
        let lock = try read(dir, "envctl.lock")
        try dir.write("envctl.lock", lock.replacingOccurrences(of: "python: '3.11'", with: "python: '3.12'"))
        let hand = try envctl(["lock", "--check", "--json"], cwd: dir.path)
        #expect(hand.status == 2)
        let handReport = try JSONSerialization.jsonObject(with: Data(hand.stdout.utf8)) as? [String: Any]
        let lockFinding = (handReport?["findings"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "lock" }
        #expect(lockFinding?["file"] as? String == "envctl.lock")
        #expect((lockFinding?["line"] as? Int ?? 0) > 0)
    }
}

/// Every command that reads the spec or lock takes `--spec` for a project in another directory.
@Suite struct SpecFlagCommandTests {
    @Test func lockReadingCommandsAcceptSpecElsewhere() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let project = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try LockFactory.lockfile([LockFactory.environment(pushed: nil)]).write(to: project + "/envctl.lock")
        try "version: 1\nenvironments:\n  train: {}\n".write(
            toFile: project + "/envctl.yaml", atomically: true, encoding: .utf8)
        let other = dir.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let spec = "../proj/envctl.yaml"
        let dockerfile = try envctl(["dockerfile", "--spec", spec], cwd: other)
        #expect(dockerfile.status == 0, "\(dockerfile.stderr)")
        #expect(dockerfile.stdout.contains("FROM"))
        let sbom = try envctl(["sbom", "--spec", spec], cwd: other)
        #expect(sbom.status == 0, "\(sbom.stderr)")
        // build --spec reads the same lock (it fails later, at the builder or its flags, not at the lock).
        let build = try envctl(["build", "--spec", spec, "--builder", "nosuch"], cwd: other)
        #expect(build.status == 64)
        #expect(build.stderr.contains("unknown builder"))
        let both = try envctl(["dockerfile", "--spec", spec, "--lock", "x"], cwd: other)
        #expect(both.status == 64)
        // Without --spec the lock is looked for here, and isn't.
        #expect(try envctl(["dockerfile"], cwd: other).status == 64)
        // doctor checks the environments of the lock next to --spec.
        let doctor = try envctl(["doctor", "--spec", spec], cwd: other)
        #expect(!doctor.stdout.contains("no envctl.lock here"), "\(doctor.stdout)")
        #expect(try envctl(["doctor"], cwd: other).stdout.contains("no envctl.lock here"))
    }
}

/// `.envctl/templates` is source: the recommended `.gitignore` keeps it, and the docs agree.
@Suite(.requires("git")) struct GitignoreAdviceTests {
    @Test func recommendedIgnoreKeepsTemplatesAndDocsDoNotIgnoreAllOfEnvctl() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(try runProcess("git", ["init", "-q"], cwd: dir.path).status == 0)
        try FileManager.default.copyItem(
            atPath: RepoPaths.path("examples/quickstart/.gitignore"), toPath: dir.path + "/.gitignore")
        func ignored(_ path: String) throws -> Bool {
            try runProcess("git", ["check-ignore", "-q", "--no-index", path], cwd: dir.path).status == 0
        }
        #expect(try !ignored(".envctl/templates/_app.mustache"))
        #expect(try ignored(".envctl/build/train/oci/index.json"))
        #expect(try ignored(".envctl/runs/20261204-000000-abcdef.json"))
        for doc in ["README.md", "docs/runs.md", "docs/templates.md"] {
            let text = try String(contentsOfFile: RepoPaths.path(doc), encoding: .utf8)
            #expect(!text.contains("Add `.envctl/` to"), "\(doc)")
        }
        let runs = try String(contentsOfFile: RepoPaths.path("docs/runs.md"), encoding: .utf8)
        #expect(runs.contains("/.envctl/build/\n/.envctl/runs/"))
    }
}

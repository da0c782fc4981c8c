import EnvctlCLI
import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// Every `envctl …` command line shown in README.md and docs/*.md works as written.
///
/// Convention (CONTRIBUTING.md "Documented examples"): a command is a line in a fenced code block that starts
/// with `$ envctl` (any block), or with `envctl` in a `console`, `sh`, `shell`, `bash` or unlabelled block;
/// `text`, `yaml`, `json` and other data blocks are never commands. A trailing `\` continues the line.
///
/// Each line is run by bash exactly as written, in a fresh copy of a prepared repository (examples/quickstart,
/// its golden lock, one git commit), first with a stub `envctl` that records its argv (bash does the quoting,
/// `$(…)` and comments), which must parse with envctl's own ArgumentParser tree; then, for classified
/// examples, with the real binary in a sandbox whose network goes to a dead proxy. New docs are picked up
/// automatically: their commands are parse-checked at once, and ``everyExampleIsClassified`` asks for an
/// entry in ``expectations``.
@Suite("Documented examples", .serialized, .requires("git"))
struct DocumentedExamplesTests {
    /// What running an example must do.
    enum Outcome: Sendable {
        /// Runs offline and exits 0.
        case succeeds
        /// Needs what the sandbox withholds (network, registry, GPU) or names a placeholder from the docs: it
        /// must exit with one of `exits` and say `stderr`, never anything else.
        case fails(exits: Set<Int32>, stderr: String, because: String)
        /// Parse-checked only; running it here would take minutes or change the machine.
        case notRun(because: String)
    }

    /// Every documented command line (as written, prompt and trailing comment removed) and what it does here.
    static let expectations: [String: Outcome] = [
        "envctl resolve": .succeeds,
        "envctl lock": .fails(
            exits: [1, 69], stderr: "error:", because: "resolves packages on PyPI (no network here)"),
        "envctl lock --check": .succeeds,
        "envctl build --env train --push --record": .notRun(because: "builds a CUDA image and pushes it (minutes)"),
        "envctl build --env train": .notRun(because: "builds a CUDA image (minutes)"),
        "envctl build --env train --push": .notRun(because: "builds a CUDA image and pushes it (minutes)"),
        "envctl build --push --record": .notRun(
            because: "builds a CUDA image for each locked platform and pushes the index (minutes)"),
        "envctl build --env train --platform linux/arm64": .fails(
            exits: [64], stderr: "environment 'train' is locked for linux/amd64, not linux/arm64",
            because: "the quickstart is locked for linux/amd64 only (examples/mixed-fleet is not)"),
        "envctl push oci:.envctl/build/train/oci --env train --record --tag latest": .fails(
            exits: [64], stderr: ".envctl/build/train/oci", because: "needs the OCI layout a build writes"),
        "envctl push docker-archive:img.tar 127.0.0.1:5000/team/train:rc1 --env train": .fails(
            exits: [64], stderr: "img.tar", because: "needs a docker save archive"),
        "envctl mirror --to registry.internal:5000/mirror": .fails(
            exits: [1, 69], stderr: "error:", because: "copies base images between registries"),
        "envctl run --require-gpu -- python train.py": .fails(
            exits: [1, 64], stderr: "error:",
            because: "no GPU here (exit 1); on a GPU host the lock has no pushed image (exit 64)"),
        "envctl reproduce 3f2a9c1 --run 20261125-101500-ab12 --kfp https://kubeflow.example.com/pipeline --dry-run":
            .fails(exits: [64], stderr: "3f2a9c1", because: "the commit is the docs' placeholder"),
        "envctl reproduce 3f2a9c1 --run 20261125-101500-ab12 --rebuild --mirror docker.io=mirror.example.com": .fails(
            exits: [64], stderr: "3f2a9c1", because: "the commit is the docs' placeholder"),
        "envctl verify REPO@sha256:… --commit \"$(git rev-parse HEAD)\"": .fails(
            exits: [64], stderr: "REPO@sha256:…", because: "the image is the docs' placeholder"),
        "envctl run --gpus 0,1 -e WANDB_MODE=offline --env-file .env -- python train.py": .fails(
            exits: [64, 69], stderr: "error:",
            because: "the lock has no pushed image (64), or no container runtime is installed (69)"),
        "envctl run --env serve --name serve-dev -p 127.0.0.1:8000:8000 -- python -m http.server 8000": .fails(
            exits: [64], stderr: "'serve'", because: "the quickstart has no serve environment"),
        "envctl run -v /data/imagenet:/data:ro --workdir /workspace/src --shm-size 16g -- python eval.py": .fails(
            exits: [64], stderr: "/data/imagenet does not exist", because: "the docs' dataset path"),
        "envctl --version": .succeeds,
        "envctl add \"numpy>=2\" --env train": .fails(
            exits: [1, 69], stderr: "error:", because: "re-locks against PyPI (no network here)"),
        "envctl add einops --dry-run": .fails(
            exits: [1, 69], stderr: "error:", because: "re-locks against PyPI (no network here)"),
        "envctl upgrade numpy": .fails(
            exits: [1, 69], stderr: "error:", because: "re-locks against PyPI (no network here)"),
        "envctl upgrade --all": .fails(
            exits: [1, 69], stderr: "error:", because: "re-locks against PyPI (no network here)"),
        "envctl upgrade --framework": .fails(
            exits: [1, 69], stderr: "error:", because: "re-locks against PyPI (no network here)"),
        "envctl dockerfile": .succeeds,
        "envctl dockerfile --env train -o Dockerfile": .succeeds,
        "envctl dockerfile --templates-dir my-templates --template cuda": .succeeds,
    ]

    /// Examples run against the golden lock exactly as `envctl lock --offline` wrote it (no image digests);
    /// every other one gets the lock with digests filled in, as an online `envctl lock` writes it.
    static let offlineLockExamples: Set<String> = ["envctl lock --check"]

    struct Example: Sendable, CustomStringConvertible {
        var file: String
        var line: Int
        /// As written, without the prompt and the trailing comment.
        var command: String
        var description: String { "\(file):\(line): \(command)" }
    }

    static let commandFences: Set<String> = ["", "console", "sh", "shell", "bash"]

    /// The command lines of README.md and docs/*.md, in file order.
    static func examples() throws -> [Example] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: RepoPaths.path("docs"))
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        var found: [Example] = []
        for file in ["README.md"] + docs {
            let lines = try String(contentsOfFile: RepoPaths.path(file), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var fence: String?
            // A block that shows `$ ` prompts is a transcript: its other lines are output, not commands.
            var transcript = false
            var i = 0
            while i < lines.count {
                let trimmed = lines[i].trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                    fence = fence == nil ? String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                    transcript =
                        fence != nil
                        && lines[(i + 1)...].prefix {
                            let t = $0.trimmingCharacters(in: .whitespaces)
                            return !t.hasPrefix("```") && !t.hasPrefix("~~~")
                        }.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("$ ") }
                    i += 1
                    continue
                }
                guard let language = fence else {
                    i += 1
                    continue
                }
                let start = i
                var text = trimmed
                let prompted = text.hasPrefix("$ ")
                if prompted { text = String(text.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
                while text.hasSuffix("\\"), i + 1 < lines.count {
                    i += 1
                    text = String(text.dropLast()) + " " + lines[i].trimmingCharacters(in: .whitespaces)
                }
                i += 1
                guard text == "envctl" || text.hasPrefix("envctl "),
                    prompted || (!transcript && commandFences.contains(language.lowercased()))
                else { continue }
                found.append(Example(file: file, line: start + 1, command: withoutComment(text)))
            }
        }
        return found
    }

    /// `text` without a trailing shell comment (` # …` outside quotes), spaces collapsed.
    static func withoutComment(_ text: String) -> String {
        var quote: Character?
        var previous: Character = " "
        var out = ""
        for c in text {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#" && previous.isWhitespace {
                break
            }
            out.append(c)
            previous = c
        }
        return out.split(whereSeparator: { $0 == " " }).joined(separator: " ")
    }

    /// A fresh repository: examples/quickstart and its golden lock with image digests filled in (the golden is
    /// locked offline, without them), committed.
    static func preparedRepository(offlineLock: Bool = false) throws -> GitFixture {
        var lock = try Lockfile.load(fileAt: RepoPaths.path("lockfiles/quickstart.lock"))
        for i in lock.environments.indices where !offlineLock {
            lock.environments[i].images.base.digest = "sha256:" + String(repeating: "b", count: 64)
            lock.environments[i].images.builder.digest = "sha256:" + String(repeating: "d", count: 64)
        }
        let repo = try GitFixture()
        try repo.commit(
            "quickstart",
            files: [
                "envctl.yaml": try String(
                    contentsOfFile: RepoPaths.path("examples/quickstart/envctl.yaml"), encoding: .utf8),
                "requirements.txt": try String(
                    contentsOfFile: RepoPaths.path("examples/quickstart/requirements.txt"), encoding: .utf8),
                "envctl.lock": offlineLock
                    ? try String(contentsOfFile: RepoPaths.path("lockfiles/quickstart.lock"), encoding: .utf8)
                    : try lock.yaml(),
                "my-templates/_app.mustache": "# app stage: nothing to add\n",
                "train.py": "print('train')\n", ".env": "WANDB_API_KEY=doc-example\n",
            ])
        return repo
    }

    /// The environment an example runs in: `envctl` first on PATH (a stub or the real binary), HOME and every
    /// cache private, and all network through a proxy that refuses connections, so nothing reaches the
    /// outside and nothing is slow.
    static func sandbox(bin: String, home: String) -> [String: String] {
        let dead = "http://127.0.0.1:9"
        return [
            "PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": home + "/.config",
            "XDG_CACHE_HOME": home + "/.cache", "UV_CACHE_DIR": home + "/uv-cache", "UV_OFFLINE": "1",
            "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead, "http_proxy": dead, "https_proxy": dead,
            "all_proxy": dead, "NO_PROXY": "", "no_proxy": "", "DOCKER_CONFIG": home + "/.docker",
            "REGISTRY_AUTH_FILE": home + "/auth.json",
            // podman/buildah, when an example reaches them, look only at a private, empty storage.
            "CONTAINERS_STORAGE_CONF": home + "/storage.conf",
        ]
    }

    /// The argv bash gives `envctl` for `command`, through a stub that writes it NUL-separated.
    static func argv(of command: String, in repo: String, scratch: TemporaryDirectory) throws -> [[String]] {
        let bin = scratch.path + "/stub-bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let record = scratch.path + "/argv"
        try? FileManager.default.removeItem(atPath: record)
        try "#!/bin/sh\nprintf '%s\\0' \"$@\" >> '\(record)'\nprintf '\\n\\0' >> '\(record)'\n".write(
            toFile: bin + "/envctl", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/envctl")
        let r = try runProcess(
            "/bin/bash", ["-c", command], cwd: repo, environment: sandbox(bin: bin, home: scratch.path + "/home"))
        guard r.status == 0 else { throw FixtureError(message: "bash could not run it: \(r.stderr)") }
        let data = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
        var calls: [[String]] = []
        var current: [String] = []
        for field in data.split(separator: "\0", omittingEmptySubsequences: false).dropLast() {
            if field == "\n" {
                calls.append(current)
                current = []
            } else {
                current.append(String(field))
            }
        }
        return calls
    }

    @Test func theDocsShowCommands() throws {
        let all = try Self.examples()
        #expect(all.count >= 15, "\(all)")
        #expect(all.contains { $0.file == "README.md" && $0.command == "envctl resolve" })
    }

    /// Every command line parses with envctl's own argument parser, as bash passes it.
    @Test func everyExampleParses() throws {
        let scratch = try TemporaryDirectory(prefix: "envctl-doc-parse")
        defer { scratch.cleanup() }
        let repo = try Self.preparedRepository()
        defer { repo.cleanup() }
        for example in try Self.examples() {
            let calls = try Self.argv(of: example.command, in: repo.path, scratch: scratch)
            #expect(calls.count == 1, "\(example): bash ran envctl \(calls.count) times")
            for args in calls {
                let problem = EnvctlCommand.parseError(args)
                #expect(problem == nil, "\(example): \(problem ?? "")")
            }
        }
    }

    /// Each example has an entry in ``expectations``, and each entry still appears in the docs.
    @Test func everyExampleIsClassified() throws {
        let all = try Self.examples()
        let missing = all.filter { Self.expectations[$0.command] == nil }.map { "  \($0)" }.joined(separator: "\n")
        #expect(
            missing.isEmpty,
            "add these to DocumentedExamplesTests.expectations (.succeeds, .fails(exits:stderr:because:) or .notRun(because:)):\n\(missing)"
        )
        let shown = Set(all.map(\.command))
        let stale = Self.expectations.keys.filter { !shown.contains($0) }.sorted()
        #expect(stale.isEmpty, "no longer in the docs: \(stale)")
    }

    /// Each classified example, run as written with the real binary: it does what ``expectations`` says.
    @Test func everyExampleRunsAsDocumented() throws {
        let scratch = try TemporaryDirectory(prefix: "envctl-doc-run")
        defer { scratch.cleanup() }
        let bin = scratch.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/envctl", withDestinationPath: RepoPaths.envctlBinary)
        var ran = 0
        for example in try Self.examples() {
            guard let outcome = Self.expectations[example.command] else { continue }
            if case .notRun = outcome { continue }
            let repo = try Self.preparedRepository(offlineLock: Self.offlineLockExamples.contains(example.command))
            defer { repo.cleanup() }
            let home = scratch.path + "/home-\(ran)"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try "[storage]\ndriver = \"vfs\"\ngraphroot = \"\(home)/storage\"\nrunroot = \"\(home)/storage-run\"\n"
                .write(toFile: home + "/storage.conf", atomically: true, encoding: .utf8)
            let r = try runProcess(
                "/bin/bash", ["-o", "pipefail", "-c", example.command], cwd: repo.path,
                environment: Self.sandbox(bin: bin, home: home))
            ran += 1
            switch outcome {
            case .succeeds:
                #expect(r.status == 0, "\(example): exit \(r.status)\n\(r.stderr)")
            case .fails(let exits, let stderr, let because):
                #expect(
                    exits.contains(r.status),
                    "\(example) (\(because)): exit \(r.status), expected \(exits)\n\(r.stderr)")
                #expect(r.stderr.contains(stderr), "\(example) (\(because)): stderr lacks '\(stderr)':\n\(r.stderr)")
                // Whatever the reason, never a usage error: the flags were parsed above.
                #expect(!r.stderr.contains("Usage:"), "\(example): \(r.stderr)")
            case .notRun:
                break
            }
        }
        #expect(ran > 5)
    }
}

/// Every option a synopsis in the prose of README.md and docs/*.md shows (`` `envctl push SOURCE [--tag T]` ``)
/// exists on that command: its help lists it.
@Suite("Documented synopses") struct DocumentedSynopsisTests {
    static func synopses() throws -> [(file: String, text: String)] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: RepoPaths.path("docs"))
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        var found: [(String, String)] = []
        for file in ["README.md"] + docs {
            let text = try String(contentsOfFile: RepoPaths.path(file), encoding: .utf8)
            for m in text.matches(of: #/`envctl ([^`\n]+)`/#) { found.append((file, String(m.output.1))) }
        }
        return found
    }

    @Test func everyShownOptionExists() throws {
        let all = try Self.synopses()
        #expect(all.count > 30)
        for (file, text) in all {
            let words = text.replacingOccurrences(of: "\\|", with: " \\| ").split(separator: " ").map(String.init)
            let (command, unknown) = EnvctlCommand.unknownOptions(inSynopsis: words)
            #expect(unknown.isEmpty, "\(file): `envctl \(text)`: \(command) has no \(unknown.joined(separator: ", "))")
        }
        // The check itself: a made-up option is caught, a real one is not.
        #expect(EnvctlCommand.unknownOptions(inSynopsis: ["run", "[--no-such-flag]"]).unknown == ["--no-such-flag"])
        #expect(
            EnvctlCommand.unknownOptions(inSynopsis: ["pipeline", "pin", "X", "[-o", "OUT]"]) == (
                "envctl pipeline pin", []
            ))
    }
}

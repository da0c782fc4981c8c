import Digest
import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlTestSupport
import Foundation
import Testing
import Yams

/// Recorded output of `uv pip compile --generate-hashes --emit-index-annotation` (uv 0.13).
let recordedUVOutput = """
    filelock==3.16.1 \\
        --hash=sha256:fa3544d0748d5226b883e3356985c2c4033199c6f34345e71938d08fde5bfd5a
        # from http://127.0.0.1:41125/pypi/simple
    torch==2.5.1+cu124 \\
        --hash=sha256:54e3bc254d61abbdaf2c475edb80c130497d909f01c55b55a0ec610dfe12ff5b \\
        --hash=sha256:0000000000000000000000000000000000000000000000000000000000000001
        # from http://127.0.0.1:41125/whl/cu124

    """

@Suite struct UVOutputParsingTests {
    @Test func parsesPinsHashesAndCanonicalIndex() throws {
        let unmirror = PythonIndexSettings(mirrors: [
            "http://127.0.0.1:41125/whl": "https://download.pytorch.org/whl",
            "http://127.0.0.1:41125/pypi/simple": "https://pypi.org/simple",
        ])
        let pins = try UVPinner.parse(recordedUVOutput, unmirror: unmirror)
        #expect(pins.map(\.name) == ["filelock", "torch"])
        #expect(pins[1].version == "2.5.1+cu124")
        #expect(pins[1].hashes.count == 2)
        #expect(pins[1].index == "https://download.pytorch.org/whl/cu124")
        #expect(pins[0].index == "https://pypi.org/simple")
    }

    @Test func rejectsAPinWithoutHash() {
        #expect(throws: PythonPinError.self) { try UVPinner.parse("numpy==1.0\n") }
    }

    @Test func missingUVSaysHowToInstall() {
        do {
            _ = try UVPinner(environment: ["PATH": "/nonexistent"])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .toolMissing)
            #expect(error.message.contains("pip install uv"))
        }
    }

    @Test func offlineKeepsLoopbackIndexesUsable() {
        let pinner = UVPinner(uvPath: "/usr/bin/uv")
        let local = PinRequest(
            requirements: ["x"], python: "3.11", defaultIndex: "https://pypi.org/simple",
            mirrors: ["https://pypi.org/simple": "http://127.0.0.1:9/simple"], offline: true)
        #expect(!pinner.arguments(for: local, inputFile: "in").contains("--offline"))
        let remote = PinRequest(requirements: ["x"], python: "3.11", offline: true)
        #expect(pinner.arguments(for: remote, inputFile: "in").contains("--offline"))
    }
}

/// Real `uv` against a real local index: the pins and hashes must be those of the served wheel files.
@Suite(.serialized, .requires("uv", "python3"), .tags(.uv)) struct RealUVLockTests {
    func lock(_ specText: String, server: WheelIndexServer, dir: TemporaryDirectory) async throws -> Lockfile {
        try dir.write("envctl.yaml", specText)
        var spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        spec.pythonIndexes.mirrors = PythonIndexSettings.parseMirrors(server.mirrors)!
        let uv = try #require(uvExecutable(), "uv must be installed (ci/setup.sh installs it)")
        let locker = Locker(
            knowledgeBase: fixtureKnowledge, pinner: UVPinner(uvPath: uv), images: nil, generatedBy: "envctl test")
        return try await locker.lock(spec, options: LockOptions(offline: true))
    }

    @Test func pinsFrameworkFromItsCUDAIndexWithRealHashes() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("requirements.txt", "tinyreq\n")
        let lock = try await lock(
            """
            version: 1
            environments:
              train:
                framework: "torch==2.5.*"
                cuda: "12.4"
                python: "3.11"
                requirements: requirements.txt
            """, server: server, dir: dir)
        let env = try #require(lock.environments.first)
        let pins = Dictionary(uniqueKeysWithValues: env.pythonPackages.packages.map { ($0.name, $0) })
        #expect(pins["torch"]?.version == "2.5.1+cu124")
        #expect(pins["torchvision"]?.version == "0.20.1+cu124")
        #expect(pins["torch"]?.index == "https://download.pytorch.org/whl/cu124")
        #expect(pins["tinyreq"]?.version == "1.0.0")
        #expect(pins["numpy"] != nil)
        // The recorded hash is the sha256 of the wheel the index served.
        let wheel = try SHA256.hex(fileAt: server.rootPath + "/files/torch-2.5.1+cu124-py3-none-any.whl")
        #expect(pins["torch"]?.hashes == ["sha256:" + wheel])
        #expect(env.hash.hasPrefix("sha256:"))
        #expect(env.contentTag.count == "envctl-".count + 16)
    }

    /// Issue 12 §2: each platform is pinned by uv for its own `--python-platform`; the aarch64 pins hold the
    /// aarch64 wheel's hash, and the environment hash covers both platforms.
    @Test func pinsEachPlatformWithItsOwnWheels() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let lock = try await lock(
            """
            version: 1
            fleet:
              platforms: [linux/amd64, linux/arm64]
            environments:
              train:
                python: "3.11"
                packages: [gpukern]
            """, server: server, dir: dir)
        let env = try #require(lock.environments.first)
        #expect(env.platforms == ["linux/amd64", "linux/arm64"])
        #expect(env.pythonPackages.platform == "x86_64-manylinux_2_28")
        #expect(env.pythonPackages.packages.map(\.name) == ["gpukern", "gpukern-x86"])
        let arm = try #require(env.platformPythonPackages["linux/arm64"])
        #expect(arm.platform == "aarch64-manylinux_2_28")
        #expect(arm.packages.map(\.name) == ["gpukern", "gpukern-arm"])
        let wheel = try SHA256.hex(
            fileAt: server.rootPath + "/files/gpukern_arm-1.0.0-py3-none-manylinux_2_28_aarch64.whl")
        #expect(arm.packages.first { $0.name == "gpukern-arm" }?.hashes == ["sha256:" + wheel])
        #expect(env.pythonRuntime?.platforms.keys.sorted() == ["linux/amd64", "linux/arm64"])
        // Written and read back unchanged; the hash covers the arm64 pins.
        let yaml = try lock.yaml()
        #expect(yaml.contains("platform_python_packages:"))
        #expect(try Lockfile.parse(yaml, file: "envctl.lock").yaml() == yaml)
        var edited = env
        edited.platformPythonPackages["linux/arm64"]?.packages[0].version = "9.9"
        #expect(Locker.contentHash(edited) != env.hash)
        #expect(Locker.contentHash(env) == env.hash)
    }

    /// Issue 12 §2: an amd64-only environment hashes as before `platforms` existed.
    @Test func anAmd64OnlyEnvironmentKeepsItsHash() {
        var env = LockFactory.environment()
        let before = Locker.contentHash(env)
        env.platforms = ["linux/amd64", "linux/arm64"]
        #expect(Locker.contentHash(env) != before)
        env.platforms = ["linux/amd64"]
        #expect(Locker.contentHash(env) == before)
    }

    @Test func sameInputsGiveTheSameBytes() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let spec = "version: 1\nenvironments:\n  train:\n    framework: \"torch==2.5.*\"\n    packages: [tinyreq]\n"
        let a = try await lock(spec, server: server, dir: dir).yaml()
        let b = try await lock(spec, server: server, dir: dir).yaml()
        #expect(a == b)
        // And the YAML reads back to the same lock.
        let reparsed = try Lockfile.parse(a, file: "envctl.lock")
        #expect(try reparsed.yaml() == a)
    }

    @Test func unsatisfiableRequirementNamesTheProblem() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            _ = try await lock(
                "version: 1\nenvironments:\n  train:\n    packages: [\"numpy==9.9\"]\n", server: server, dir: dir)
            Issue.record("expected a pinning failure")
        } catch let error as PythonPinError {
            #expect(error.code == .resolutionFailed)
            #expect(error.message.contains("numpy"))
        }
    }
}

@Suite struct LockfileFormatTests {
    @Test func corruptLockPointsAtTheLine() {
        let text =
            "lock_version: 1\ngenerated_by: x\nknowledge_base: {version: a, date: b}\nspec_hash: h\nenvironments:\n  train:\n    hash: h\n    cuda: [1, 2]\n"
        do {
            _ = try Lockfile.parse(text, file: "envctl.lock")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.location?.line == 8)
            #expect(error.description.contains("envctl.lock:8:"))
        }
    }

    @Test func newerLockVersionIsRefusedClearly() {
        do {
            _ = try Lockfile.parse("lock_version: 9\n", file: "envctl.lock")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("lock_version 9 is not supported"))
        }
    }
}

/// A large spec locks to the right lock (how long it takes is measured by bench/lock-scale.sh, not here).
@Suite struct LargeSpecLockTests {
    func spec(entries: Int) throws -> Spec {
        var text = "version: 1\nenvironments:\n  train:\n    cuda: \"12.4\"\n    python: \"3.11\"\n    env:\n"
        for i in 0..<entries { text += "      VAR_\(i): \"value \(i)\"\n" }
        return try SpecParser().parse(text, path: "envctl.yaml")
    }

    @Test func tenThousandEnvEntriesLockAndReadBack() async throws {
        let spec = try spec(entries: 10_000)
        let lock = try await Locker(
            knowledgeBase: fixtureKnowledge, pinner: nil, images: nil, generatedBy: "envctl test"
        )
        .lock(spec, options: LockOptions(offline: true))
        let env = try #require(lock.environments.first)
        #expect(env.env.count == 10_000)
        #expect(env.env["VAR_9999"] == "value 9999")
        let yaml = try lock.yaml()
        // Written sorted by name, one line per variable, and read back to the same lock.
        #expect(yaml.contains("    env:\n      VAR_0: value 0\n      VAR_1: value 1\n      VAR_10: value 10\n"))
        let reparsed = try Lockfile.parse(yaml, file: "envctl.lock")
        #expect(reparsed == lock)
        #expect(try reparsed.yaml() == yaml)
        #expect(reparsed.environments.first?.hash == Locker.contentHash(env))
    }

    @Test func theOnePassReadAgreesWithYamsKeyedDecoding() throws {
        let lock = LockFactory.lockfile([
            {
                var e = LockFactory.environment()
                e.env = Dictionary(uniqueKeysWithValues: (0..<300).map { ("K\($0)", "v: \($0)") })
                e.env["QUOTED"] = "'single' \"double\" # not a comment"
                e.env["NUMBER"] = "0123"
                return e
            }()
        ])
        let yaml = try lock.yaml()
        let located = try Lockfile.parse(yaml, file: "envctl.lock")
        let keyed = try YAMLDecoder().decode(Lockfile.self, from: yaml)
        #expect(located == keyed)
        #expect(located == lock)
    }
}

import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlPython
import EnvctlTestSupport
import EnvctlWorkflows
import Foundation
import Testing

/// `lock --check`'s stale outcome is a failure of kind `.stale`, with the report as its text.
@Suite("Lock check") struct LockCheckTests {
    @Test func aMissingLockIsStale() async throws {
        let spec = try SpecParser().parse("version: 1\nenvironments:\n  a:\n    python: 3.11\n", path: "envctl.yaml")
        await #expect {
            try await LockCheck.requireUpToDate(
                spec: spec, knowledgeBase: fixtureKnowledge, lockPath: "/nonexistent/envctl.lock")
        } throws: { error in
            let e = error as? StaleLockError
            return e?.failureKind == .stale && e?.failureKind.exitStatus == 2 && e?.changes == nil
                && e?.description == "stale: /nonexistent/envctl.lock does not exist; run 'envctl lock' and commit it"
        }
    }

    @Test func theReportNamesEachChange() {
        let e = StaleLockError(lockPath: "envctl.lock", changes: ["train: Python 3.11 -> 3.10", "train: OS a -> b"])
        #expect(
            e.description == """
                stale: envctl.lock no longer matches its inputs:
                  - train: Python 3.11 -> 3.10
                  - train: OS a -> b
                run 'envctl lock' and commit the result
                """)
    }
}

/// A lock edited by hand is not what `envctl lock` would have written: `lock --check` names the field and line.
@Suite("Lock check: hand edits") struct LockTamperTests {
    static let specText = """
        version: 1
        environments:
          train:
            framework: "torch==2.5.*"
            cuda: "12.4"
            python: "3.11"
            packages: [tinyreq]
            apt: [git]
          serve:
            framework: "torch==2.5.*"
            cuda: "12.4"
            python: "3.11"
        """

    /// Writes `lock` to a temporary envctl.lock and checks it; returns the findings and the lock's text.
    func check(_ edit: (inout Lockfile) -> Void) async throws -> (findings: [String], text: String) {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("envctl.yaml", Self.specText)
        let spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        var lock = try LockFactory.written(for: spec, knowledgeBase: fixtureKnowledge)
        edit(&lock)
        let path = dir.path + "/envctl.lock"
        try lock.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        switch try await LockCheck.check(spec: spec, knowledgeBase: fixtureKnowledge, lockPath: path) {
        case .upToDate: return ([], text)
        case .missing: throw CocoaError(.fileNoSuchFile)
        case .stale(let findings):
            // Relative to the temporary directory, so expectations can name `envctl.lock:LINE`.
            return (findings.map { $0.replacingOccurrences(of: dir.path + "/", with: "") }, text)
        }
    }

    /// The 1-based line of the first line of `text` containing `needle` after the line containing `after`.
    func lineNumber(of needle: String, after: String = "", in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = after.isEmpty ? 0 : (lines.firstIndex { $0.contains(after) } ?? 0)
        return lines[start...].firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    func train(_ lock: inout Lockfile, _ edit: (inout LockedEnvironment) -> Void) {
        edit(&lock.environments[lock.environments.firstIndex { $0.name == "train" }!])
    }

    @Test func anUntouchedLockPasses() async throws {
        let r = try await check { _ in }
        #expect(r.findings == [])
    }

    @Test func aChangedHashIsNamedWithItsLine() async throws {
        let forged = "sha256:" + String(repeating: "0", count: 64)
        let r = try await check { lock in train(&lock) { $0.hash = forged } }
        let line = try #require(lineNumber(of: "hash: \(forged)", in: r.text))
        #expect(r.findings.count == 1, "\(r.findings)")
        #expect(
            r.findings.first?.hasPrefix("train: hash: recorded \(forged), but the locked content hashes to") == true)
        #expect(r.findings.first?.hasSuffix("(envctl.lock:\(line))") == true, "\(r.findings)")
    }

    @Test func aForgedBaseDigestIsCaught() async throws {
        let forged = LockFactory.fakeDigest("evil")
        // Left as is, the hash no longer matches the content.
        let plain = try await check { lock in train(&lock) { $0.images.base.digest = forged } }
        #expect(plain.findings.contains { $0.hasPrefix("train: hash: recorded") }, "\(plain.findings)")
        // With the hash recomputed too, the other environment's copy of the same tag disagrees.
        let rehashed = try await check { lock in
            train(&lock) {
                $0.images.base.digest = forged
                $0.images.base.platformDigest = forged
            }
            lock = LockFactory.rehashed(lock)
        }
        #expect(!rehashed.findings.contains { $0.contains(": hash:") }, "\(rehashed.findings)")
        let base = "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04"
        let real = LockFactory.fakeDigest(base)
        let line = try #require(lineNumber(of: "digest: \(real)", after: "  serve:", in: rehashed.text))
        #expect(
            rehashed.findings == [
                "serve: images.base.digest: \(base) is pinned to \(real) here but to \(forged) in environment 'train' (envctl.lock:\(line))"
            ])
        // A digest that is not a digest is named even when it is the only copy.
        let malformed = try await check { lock in
            train(&lock) { $0.images.builder.digest = "sha256:evil" }
            lock = LockFactory.rehashed(lock)
        }
        #expect(
            malformed.findings.contains {
                $0.hasPrefix("train: images.builder.digest: 'sha256:evil' is not a sha256 digest")
            }, "\(malformed.findings)")
    }

    /// The interpreter's archive is a resolver choice: a swapped URL or sha256 is named even with the hash
    /// recomputed, and the unchanged hash no longer matches.
    @Test func aForgedPythonRuntimeIsNamed() async throws {
        let forged = String(repeating: "e", count: 64)
        let plain = try await check { lock in
            train(&lock) { $0.pythonRuntime?.platforms["linux/amd64"]?.sha256 = forged }
        }
        #expect(plain.findings.contains { $0.hasPrefix("train: hash: recorded") }, "\(plain.findings)")
        let r = try await check { lock in
            train(&lock) {
                $0.pythonRuntime?.platforms["linux/amd64"]?.sha256 = forged
                $0.pythonRuntime?.platforms["linux/amd64"]?.url = "https://evil.example/a/b/python.tar.gz"
                $0.pythonRuntime?.version = "3.11.17"
            }
            lock = LockFactory.rehashed(lock)
        }
        let real = try #require(fixtureKnowledge.pythonBuilds.first { $0.version.text == "3.11.18" })
        let line = try #require(lineNumber(of: "sha256: \(forged)", after: "  train:", in: r.text))
        #expect(
            r.findings.contains(
                "train: python_runtime linux/amd64 sha256 \(forged) -> \(real.platforms["linux/amd64"]!.sha256) (envctl.lock:\(line))"
            ), "\(r.findings)")
        #expect(r.findings.contains { $0.hasPrefix("train: python_runtime linux/amd64 url https://evil.example") })
        #expect(r.findings.contains { $0.hasPrefix("train: python_runtime version 3.11.17 -> 3.11.18") })
        // A lock written before python_runtime existed is stale: lock again to pin the interpreter.
        let old = try await check { lock in
            train(&lock) { $0.pythonRuntime = nil }
            lock = LockFactory.rehashed(lock)
        }
        #expect(old.findings.contains { $0.contains("python_runtime is missing") }, "\(old.findings)")
    }

    @Test func aPackageFromAnUnknownIndexIsNamed() async throws {
        let r = try await check { lock in
            train(&lock) {
                $0.pythonPackages.packages.append(
                    LockedPackage(
                        name: "evilpkg", version: "1.0", index: "https://evil.example/simple",
                        hashes: [LockFactory.fakeDigest("evilpkg")]))
                $0.pythonPackages.packages.sort { $0.name < $1.name }
            }
            lock = LockFactory.rehashed(lock)
        }
        let line = try #require(lineNumber(of: "index: https://evil.example/simple", in: r.text))
        #expect(r.findings.count == 1, "\(r.findings)")
        #expect(
            r.findings.first
                == "train: python package evilpkg 1.0: index https://evil.example/simple is not allowed: envctl.yaml and the framework allow https://download.pytorch.org/whl/cu124, https://pypi.org/simple (envctl.lock:\(line))"
        )
    }

    @Test func changedTopLevelRequirementsAreNamed() async throws {
        // The inline requirement is no longer pinned.
        let dropped = try await check { lock in
            train(&lock) { $0.pythonPackages.packages.removeAll { $0.name == "tinyreq" } }
            lock = LockFactory.rehashed(lock)
        }
        #expect(
            dropped.findings.count == 1
                && dropped.findings.first?.hasPrefix(
                    "train: python_packages.packages: 'tinyreq' is required by envctl.yaml or the framework but not pinned"
                ) == true, "\(dropped.findings)")
        // The framework is pinned at another version than the lock's framework.
        let swapped = try await check { lock in
            train(&lock) { env in
                let i = env.pythonPackages.packages.firstIndex { $0.name == "torch" }!
                env.pythonPackages.packages[i].version = "2.4.0+cu124"
            }
            lock = LockFactory.rehashed(lock)
        }
        let line = try #require(lineNumber(of: "version: 2.4.0+cu124", in: swapped.text))
        #expect(
            swapped.findings == [
                "train: python package torch: 2.4.0+cu124 does not satisfy 'torch==2.5.1', which envctl.yaml or the framework requires (envctl.lock:\(line))"
            ])
    }

    @Test func editedDerivedFieldsAreNamed() async throws {
        let r = try await check { lock in
            train(&lock) {
                $0.apt = ["git", "curl"]
                $0.framework?.indexURL = "https://evil.example/whl/cu124"
                $0.pushed = PushedImage(
                    reference: "registry.example.com/team/train:envctl-0000000000000000",
                    digest: LockFactory.fakeDigest("image"))
            }
            lock = LockFactory.rehashed(lock)
        }
        #expect(r.findings.contains { $0.hasPrefix("train: apt packages git curl -> git (envctl.lock:") })
        #expect(
            r.findings.contains {
                $0.hasPrefix(
                    "train: framework index_url https://evil.example/whl/cu124 -> https://download.pytorch.org/whl/cu124"
                )
            })
        #expect(
            r.findings.contains {
                $0.hasPrefix("train: pushed.reference: tag envctl-0000000000000000 is not the content tag envctl-")
            }, "\(r.findings)")
    }
}

/// `--refresh` runs real uv against a real local index and compares the pins.
@Suite(.serialized, .requires("uv", "python3"), .tags(.uv)) struct LockRefreshTests {
    @Test func refreshNamesPinsUVWouldNotWrite() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            environments:
              train:
                framework: "torch==2.5.*"
                cuda: "12.4"
                python: "3.11"
                packages: [tinyreq]
            """)
        var spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        spec.pythonIndexes.mirrors = PythonIndexSettings.parseMirrors(server.mirrors)!
        let uv = try #require(uvExecutable(), "uv must be installed (ci/setup.sh installs it)")
        let pinner = UVPinner(uvPath: uv)
        let lock = try await Locker(
            knowledgeBase: fixtureKnowledge, pinner: pinner, images: nil, generatedBy: "envctl test"
        ).lock(spec, options: LockOptions(offline: true))
        let refresh = LockCheck.Refresh(registry: nil, pinner: pinner)
        #expect(
            try await LockCheck.changes(spec: spec, knowledgeBase: fixtureKnowledge, lock: lock, refresh: refresh) == []
        )

        // numpy is a dependency from an allowed index: a downgrade with the hash recomputed passes offline,
        // and only uv, run again, shows that it is not what the requirements resolve to.
        var forged = lock
        let i = try #require(forged.environments[0].pythonPackages.packages.firstIndex { $0.name == "numpy" })
        let locked = forged.environments[0].pythonPackages.packages[i].version
        forged.environments[0].pythonPackages.packages[i].version = "1.0.0"
        forged = LockFactory.rehashed(forged)
        #expect(try await LockCheck.changes(spec: spec, knowledgeBase: fixtureKnowledge, lock: forged) == [])
        let online = try await LockCheck.changes(
            spec: spec, knowledgeBase: fixtureKnowledge, lock: forged, refresh: refresh)
        #expect(online == ["train: python package numpy: 1.0.0 -> \(locked) (uv now)"])
    }
}

/// `--refresh` on a two-platform lock runs uv again for every platform: a forged arm64 pin is named with its
/// platform (real uv, real local index).
@Suite(.serialized, .requires("uv", "python3"), .tags(.uv)) struct LockRefreshPlatformPinsTests {
    @Test func refreshComparesEveryPlatformsPins() async throws {
        let server = try WheelIndexServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "envctl.yaml",
            """
            version: 1
            fleet:
              platforms: [linux/amd64, linux/arm64]
            environments:
              train:
                python: "3.11"
                packages: [tinyreq, gpukern]
            """)
        var spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        spec.pythonIndexes.mirrors = PythonIndexSettings.parseMirrors(server.mirrors)!
        let uv = try #require(uvExecutable(), "uv must be installed (ci/setup.sh installs it)")
        let pinner = UVPinner(uvPath: uv)
        let lock = try await Locker(
            knowledgeBase: fixtureKnowledge, pinner: pinner, images: nil, generatedBy: "envctl test"
        ).lock(spec, options: LockOptions(offline: true))
        let arm = try #require(lock.environments[0].platformPythonPackages["linux/arm64"])
        #expect(arm.packages.contains { $0.name == "gpukern-arm" })
        let refresh = LockCheck.Refresh(registry: nil, pinner: pinner)
        #expect(
            try await LockCheck.changes(spec: spec, knowledgeBase: fixtureKnowledge, lock: lock, refresh: refresh) == []
        )

        // The arm64 pins alone are forged (hash recomputed): offline checks pass; uv, run again for arm64, names it.
        var forged = lock
        let i = try #require(arm.packages.firstIndex { $0.name == "numpy" })
        let locked = arm.packages[i].version
        forged.environments[0].platformPythonPackages["linux/arm64"]?.packages[i].version = "1.0.0"
        let j = try #require(arm.packages.firstIndex { $0.name == "gpukern-arm" })
        forged.environments[0].platformPythonPackages["linux/arm64"]?.packages[j].hashes = [
            "sha256:" + String(repeating: "0", count: 64)
        ]
        forged = LockFactory.rehashed(forged)
        #expect(try await LockCheck.changes(spec: spec, knowledgeBase: fixtureKnowledge, lock: forged) == [])
        let online = try await LockCheck.changes(
            spec: spec, knowledgeBase: fixtureKnowledge, lock: forged, refresh: refresh)
        #expect(
            online == [
                "train: python package gpukern-arm 1.0.0 (linux/arm64): hashes differ from what the index serves now",
                "train: python package numpy (linux/arm64): 1.0.0 -> \(locked) (uv now)",
            ], "\(online)")
    }
}

/// Issue 12 §2: a two-platform lock is checked per platform; each finding names the platform.
@Suite("Lock check: platforms") struct LockCheckPlatformTests {
    static let specText = """
        version: 1
        fleet:
          platforms: [linux/amd64, linux/arm64]
        environments:
          train:
            python: "3.11"
            packages: [tinyreq]
        """

    func check(_ edit: (inout LockedEnvironment) -> Void, rehash: Bool = true) async throws -> [String] {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("envctl.yaml", Self.specText)
        let spec = try SpecParser().parse(fileAt: dir.path + "/envctl.yaml")
        var lock = try LockFactory.written(for: spec, knowledgeBase: fixtureKnowledge)
        edit(&lock.environments[0])
        if rehash { lock = LockFactory.rehashed(lock) }
        let path = dir.path + "/envctl.lock"
        try lock.write(to: path)
        switch try await LockCheck.check(spec: spec, knowledgeBase: fixtureKnowledge, lockPath: path) {
        case .upToDate: return []
        case .missing: throw CocoaError(.fileNoSuchFile)
        case .stale(let findings): return findings.map { $0.replacingOccurrences(of: dir.path + "/", with: "") }
        }
    }

    @Test func anUntouchedTwoPlatformLockPasses() async throws {
        #expect(try await check { _ in } == [])
    }

    @Test func missingArm64PinsAreNamed() async throws {
        let findings = try await check { $0.platformPythonPackages = [:] }
        #expect(findings.contains { $0.contains("no Python pins for linux/arm64") }, "\(findings)")
    }

    @Test func wrongArm64PythonPlatformIsNamed() async throws {
        let findings = try await check { $0.platformPythonPackages["linux/arm64"]?.platform = "x86_64-manylinux_2_28" }
        #expect(
            findings.contains {
                $0.contains("platform_python_packages.linux/arm64: x86_64-manylinux_2_28 -> aarch64-manylinux_2_28")
            },
            "\(findings)")
    }

    @Test func missingArm64DigestIsNamed() async throws {
        let findings = try await check { $0.images.base.platformDigests = [:] }
        #expect(findings.contains { $0.contains("has no linux/arm64 digest") }, "\(findings)")
    }

    @Test func aDroppedPlatformIsStale() async throws {
        let findings = try await check {
            $0.platforms = ["linux/amd64"]
            $0.platformPythonPackages = [:]
        }
        #expect(findings.contains { $0.contains("platforms linux/amd64 -> linux/amd64 linux/arm64") }, "\(findings)")
    }

    @Test func theHashCoversTheArm64Pins() async throws {
        let findings = try await check(
            { $0.platformPythonPackages["linux/arm64"]?.packages[0].version = "9.9" }, rehash: false)
        #expect(findings.contains { $0.contains("hash: recorded") }, "\(findings)")
    }
}

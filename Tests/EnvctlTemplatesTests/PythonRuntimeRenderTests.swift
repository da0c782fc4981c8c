import EnvctlModel
import EnvctlTemplates
import EnvctlTestSupport
import Foundation
import Testing

/// `python_runtime` in the Dockerfile: a standalone build is downloaded (through `PYTHON_MIRROR`), checked with
/// `sha256sum -c`, unpacked into /opt/python in the builder and copied to the runtime stage; `os` (and a lock
/// without `python_runtime`) keeps the OS package.
@Suite struct PythonRuntimeRenderTests {
    static let sha = "3288c54cea3db350052019b3f8b558dd8a3da8afa6fda573f5fd2bcb37635b4a"
    static let url =
        "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"

    static func standalone(_ env: LockedEnvironment = LockFixtures.torch, apt: [String]? = nil) -> LockedEnvironment {
        var e = env
        e.pythonRuntime = LockedPythonRuntime(
            source: "standalone", version: "3.11.18", build: "20261110", flavour: "install_only_stripped",
            platforms: ["linux/amd64": LockedPythonArchive(url: url, sha256: sha)])
        if let apt { e.apt = apt }
        return e
    }

    @Test func standaloneGolden() throws {
        let text = try DockerfileRenderer().render(Self.standalone(), inputs: LockFixtures.inputs)
        if let problem = goldenMismatch(
            text, goldenPath: RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots/torch-standalone.Dockerfile"))
        {
            Issue.record("\(problem)")
        }
    }

    /// An environment locked for linux/amd64 and linux/arm64: one Dockerfile whose builder picks the Python
    /// archive and the Python pins by TARGETARCH, with a cache mount id per platform.
    static func twoPlatforms() -> LockedEnvironment {
        var e = standalone()
        e.platforms = [ContainerPlatform.amd64, ContainerPlatform.arm64]
        e.pythonRuntime?.platforms["linux/arm64"] = LockedPythonArchive(
            url: url.replacingOccurrences(of: "x86_64-unknown", with: "aarch64-unknown"),
            sha256: String(repeating: "a64", count: 21) + "0")
        // arm64 has its own wheels: another hash for each package, and one package only it needs.
        var arm = e.pythonPackages.packages.map { p in
            var p = p
            p.hashes = ["sha256:" + String(repeating: "a", count: 64)]
            return p
        }
        arm.append(
            LockedPackage(
                name: "arm-only", version: "1.0", index: nil, hashes: ["sha256:" + String(repeating: "b", count: 64)]))
        e.platformPythonPackages = [
            ContainerPlatform.arm64: LockedPython(platform: "aarch64-manylinux_2_28", packages: arm)
        ]
        return e
    }

    @Test func eachPlatformInstallsItsOwnPins() throws {
        let text = try DockerfileRenderer().render(Self.twoPlatforms(), inputs: LockFixtures.inputs)
        let amd64 = try #require(text.range(of: "amd64) printf"))
        let arm64 = try #require(text.range(of: "arm64) printf"))
        let armOnly = try #require(text.range(of: "'arm-only==1.0 --hash=sha256:"))
        #expect(amd64.upperBound < arm64.lowerBound && arm64.upperBound < armOnly.lowerBound)
        #expect(text.contains("exit 1 ;;"))
        // A platform the lock has no pins for is an inconsistent lock, not an image without packages.
        var missing = Self.twoPlatforms()
        missing.platformPythonPackages = [:]
        #expect(throws: TemplateError.self) { try DockerfileRenderer().render(missing, inputs: LockFixtures.inputs) }
    }

    @Test func standaloneTwoPlatformsGolden() throws {
        let text = try DockerfileRenderer().render(Self.twoPlatforms(), inputs: LockFixtures.inputs)
        if let problem = goldenMismatch(
            text,
            goldenPath: RepoPaths.path("Tests/EnvctlTemplatesTests/Snapshots/torch-standalone-two-platforms.Dockerfile")
        ) {
            Issue.record("\(problem)")
        }
    }

    /// The two-platform Dockerfile differs from the single-platform one only in the platform switch and the
    /// per-platform cache ids.
    @Test func twoPlatformsChangeOnlyThePlatformLines() throws {
        let one = try DockerfileRenderer().render(Self.standalone(), inputs: LockFixtures.inputs)
        let two = try DockerfileRenderer().render(Self.twoPlatforms(), inputs: LockFixtures.inputs)
        let removed = Set(one.split(separator: "\n")).subtracting(two.split(separator: "\n"))
        #expect(
            removed.allSatisfy {
                $0.contains("--mount=type=cache") || $0.contains("python.tar.gz") || $0.contains("linux/amd64")
                    || $0.contains("printf '%s\\n'") || $0.contains("/tmp/requirements.lock \\")
                    || $0.hasPrefix("      '")
            }, "\(removed)")
    }

    @Test func standaloneDownloadsChecksAndCopiesTheInterpreter() throws {
        for cacheMounts in [true, false] {
            var inputs = LockFixtures.inputs
            inputs.cacheMounts = cacheMounts
            let text = try DockerfileRenderer().render(Self.standalone(apt: []), inputs: inputs)
            #expect(
                text.contains(
                    "ARG PYTHON_MIRROR=\"https://github.com/astral-sh/python-build-standalone/releases/download\"\n"))
            #expect(
                text.contains(
                    "curl -fsSL --retry 3 -o /tmp/python.tar.gz \"${PYTHON_MIRROR}/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz\""
                ))
            #expect(text.contains("printf '%s  %s\\n' \(Self.sha) /tmp/python.tar.gz > /tmp/python.tar.gz.sha256"))
            #expect(text.contains("sha256sum -c /tmp/python.tar.gz.sha256"))
            #expect(text.contains("/opt/python/bin/python3.11 -m venv /opt/envctl/venv"))
            #expect(text.contains("COPY --from=builder /opt/python /opt/python\n"))
            // The checksum is checked before anything is unpacked.
            let check = try #require(text.range(of: "sha256sum -c"))
            let unpack = try #require(text.range(of: "tar -xzf /tmp/python.tar.gz"))
            #expect(check.lowerBound < unpack.lowerBound)
            // No OS Python anywhere, and with no apt packages the runtime stage runs no apt at all.
            #expect(!text.contains("python3.11-venv"))
            #expect(!text.contains("      python3.11 \\"))
            let runtime = try #require(text.range(of: "AS runtime"))
            #expect(!text[runtime.upperBound...].contains("apt-get"))
            #expect(text.contains("Python 3.11 (3.11.18, python-build-standalone 20261110)"))
        }
    }

    @Test func osSourceRendersExactlyLikeALockWithoutARuntime() throws {
        var os = LockFixtures.torch
        os.pythonRuntime = LockedPythonRuntime(source: "os", version: "3.11", package: "python3.11")
        let withRuntime = try DockerfileRenderer().render(os, inputs: LockFixtures.inputs)
        let without = try DockerfileRenderer().render(LockFixtures.torch, inputs: LockFixtures.inputs)
        #expect(withRuntime == without)
        #expect(withRuntime.contains("python3.11 python3.11-venv python3.11-dev"))
        #expect(!withRuntime.contains("PYTHON_MIRROR"))
    }

    @Test func byteIdenticalPerLock() throws {
        let env = Self.standalone()
        let first = try DockerfileRenderer().render(env, inputs: LockFixtures.inputs)
        let lock = Lockfile(
            generatedBy: "test", knowledgeBase: KnowledgeBaseStamp(version: "1", date: "2026-01-01"),
            specHash: "sha256:00", fleet: nil, environments: [env])
        let reparsed = try Lockfile.parse(try lock.yaml(), file: "envctl.lock").environments[0]
        #expect(reparsed.pythonRuntime == env.pythonRuntime)
        for _ in 0..<3 { #expect(try DockerfileRenderer().render(reparsed, inputs: LockFixtures.inputs) == first) }
    }

    @Test(arguments: [
        ("bad hash", "abc", url, "3.11.18"),
        ("uppercase hash", String(repeating: "AB", count: 32), url, "3.11.18"),
        ("quote in URL", sha, "https://example.invalid/a/1/x\".tar.gz", "3.11.18"),
        ("shell in URL", sha, "https://example.invalid/a/1/$(id).tar.gz", "3.11.18"),
        ("not a tarball", sha, "https://example.invalid/a/1/python.zip", "3.11.18"),
        ("other minor", sha, url, "3.12.16"),
    ])
    func refusesAnUnsafeOrInconsistentRuntime(_ label: String, _ sha: String, _ url: String, _ version: String) {
        var env = Self.standalone()
        env.pythonRuntime?.version = version
        env.pythonRuntime?.platforms["linux/amd64"] = LockedPythonArchive(url: url, sha256: sha)
        #expect(throws: TemplateError.self, "\(label)") {
            try DockerfileRenderer().render(env, inputs: LockFixtures.inputs)
        }
    }
}

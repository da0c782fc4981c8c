import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl build --all` with real buildah: two small environments build, one whose base image the registry
/// doesn't have fails, the others still build, and one summary (JSON here) names each; exit 1.
@Suite(
    .serialized, .tags(.e2e, .container, .registry, .slow),
    .disabled(if: ProcessInfo.processInfo.environment["ENVCTL_SKIP_E2E"] == "1", "ENVCTL_SKIP_E2E=1"),
    .requires(["buildah", "podman", "runc", "git", "curl"] + TestRegistry.tools))
struct BuildAllEndToEndTests {
    @Test(.timeLimit(.minutes(20))) func buildAllContinuesAfterAFailureAndSummarises() throws {
        let w = try ImageBuildEndToEndTests.World()
        defer { w.tearDown() }
        let wheelHash = try w.startIndex()
        let registry = w.registry.host
        let digests = try w.pushStandinBase(as: [
            "nvidia/cuda:12.4.1-base-ubuntu22.04", "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
        ])
        func environment(_ name: String, baseDigest: String?) -> LockedEnvironment {
            var env = LockedEnvironment(
                name: name, hash: "", framework: nil, cuda: "12.4.1", cudnn: nil, python: "3.11", os: "debian12",
                driver: LockedDriver(minimum: nil, fullCompatibility: nil, compatibility: .unchecked),
                archs: ["sm_80"], cudaLibraries: "image",
                images: LockedImages(
                    base: LockedImage(
                        reference: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", digest: baseDigest),
                    builder: LockedImage(
                        reference: "docker.io/nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04",
                        digest: digests["nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04"])),
                image: "\(registry)/envctl/\(name)", apt: [], env: ["WHO": name],
                pythonPackages: LockedPython(
                    platform: "x86_64-manylinux_2_28",
                    packages: [
                        LockedPackage(
                            name: "envctl-hello", version: "1.0.0", index: PythonIndexSettings.pypi,
                            hashes: ["sha256:\(wheelHash)"])
                    ]),
                reasons: [], warnings: [])
            env.hash = "sha256:" + String(repeating: name == "one" ? "1" : name == "two" ? "2" : "3", count: 64)
            return env
        }
        let project = w.dir.path + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let good = digests["nvidia/cuda:12.4.1-base-ubuntu22.04"]
        let lock = Lockfile(
            generatedBy: "e2e test", knowledgeBase: KnowledgeBaseStamp(version: "test", date: "2026-11-25"),
            specHash: "sha256:" + String(repeating: "0", count: 64), fleet: nil,
            environments: [
                environment("one", baseDigest: good),
                environment("missing", baseDigest: "sha256:" + String(repeating: "e", count: 64)),
                environment("two", baseDigest: good),
            ])
        try lock.write(to: project + "/envctl.lock")
        let r = try w.run(
            RepoPaths.envctlBinary,
            [
                "build", "--all", "--json", "--builder", "buildah", "--mirror", "docker.io=\(registry)",
                "--build-arg", "PIP_INDEX_URL=http://127.0.0.1:\(w.indexPort)/simple",
            ], cwd: project)
        #expect(r.status == 1, "\(r.stderr.suffix(3000))")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let rows = summary?["environments"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["environment"] as? String } == ["one", "missing", "two"])
        #expect(rows.map { $0["status"] as? String } == ["built", "failed", "built"], "\(r.stderr.suffix(3000))")
        #expect((rows.first?["digest"] as? String)?.hasPrefix("sha256:") == true)
        #expect(rows[1]["error"] as? String != nil)
        #expect(r.stderr.contains("1 of 3 environments failed to build"))
        for name in ["one", "two"] {
            #expect(FileManager.default.fileExists(atPath: project + "/.envctl/build/\(name)/oci/index.json"))
        }

        // Without --json: one table on stdout, the failure's error on stderr (the builder's cache makes it quick).
        let text = try w.run(
            RepoPaths.envctlBinary,
            [
                "build", "--all", "--builder", "buildah", "--mirror", "docker.io=\(registry)",
                "--build-arg", "PIP_INDEX_URL=http://127.0.0.1:\(w.indexPort)/simple",
            ], cwd: project)
        #expect(text.status == 1)
        let table = text.stdout.split(separator: "\n").drop { !$0.hasPrefix("environment") }.map(String.init)
        #expect(table.first?.contains("status") == true, "\(text.stdout)")
        #expect(table.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ["one", "missing", "two"])
        #expect(
            table.dropFirst().map { $0.split(separator: " ").last.map(String.init) } == ["built", "failed", "built"])
        #expect(text.stderr.contains("missing: "))
    }
}

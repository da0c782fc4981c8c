import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

/// `envctl sbom` and `envctl verify` as a user runs them: output, files, exit codes.
@Suite("sbom and verify commands")
struct SupplyChainCommandTests {
    func project() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "envctl-sbom")
        try LockFactory.lockfile([LockFactory.environment()]).write(to: dir.path + "/envctl.lock")
        return dir
    }

    @Test func sbomIsDeterministicInBothFormats() throws {
        let dir = try project()
        defer { dir.cleanup() }
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let first = try envctl(["sbom"], cwd: dir.path, env: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"specVersion\" : \"1.6\""))
        #expect(first.stdout.contains("\"timestamp\" : \"2023-11-14T22:13:20Z\""))
        #expect(first.stdout.contains("pkg:pypi/numpy@1.26.4"))
        #expect(try envctl(["sbom"], cwd: dir.path, env: env).stdout == first.stdout)
        let spdx = try envctl(["sbom", "--format", "spdx", "-o", "sbom.spdx.json"], cwd: dir.path, env: env)
        #expect(spdx.status == 0, "\(spdx.stderr)")
        let written = try String(contentsOfFile: dir.path + "/sbom.spdx.json", encoding: .utf8)
        #expect(written.contains("\"spdxVersion\" : \"SPDX-2.3\""))
    }

    @Test func badInputExits64() throws {
        let dir = try project()
        defer { dir.cleanup() }
        #expect(try envctl(["sbom", "--format", "swid"], cwd: dir.path).status == 64)
        #expect(try envctl(["sbom", "--env", "nope"], cwd: dir.path).status == 64)
        #expect(try envctl(["sbom", "--lock", "missing.lock"], cwd: dir.path).status == 64)
        #expect(try envctl(["verify", "Not A Reference"], cwd: dir.path).status == 64)
        let r = try envctl(["verify", "127.0.0.1:1/team/train:x", "--commit", "HEAD"], cwd: dir.path)
        #expect(r.status == 64, "\(r.stderr)")
    }

    @Test(.requires(TestRegistry.tools), .tags(.registry))
    func verifyReportsAMissingImageAsAFailure() throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let dir = try project()
        defer { dir.cleanup() }
        try registry.put("team/train:plain", payload: "plain")
        let r = try envctl(["verify", "\(registry.host)/team/train:plain"], cwd: dir.path)
        // An image not built by envctl carries no lock hash: a mismatch, exit 1, one clear sentence.
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("carries no dev.envctl.lock-hash label"), "\(r.stderr)")
    }
}

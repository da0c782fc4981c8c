import CurlTransport
import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Synchronization
import Testing

/// The run-side registry steps against a real registry: protective tags, and registry failures kept whole.
@Suite("Pipeline flow (real registry)", .requires(TestRegistry.tools), .tags(.registry))
struct PipelineFlowTests {
    final class Lines: Sendable {
        let seen = Mutex<[String]>([])
        func add(_ s: String) { seen.withLock { $0.append(s) } }
        var all: [String] { seen.withLock { $0 } }
    }

    func client() -> RegistryClient {
        RegistryClient.curl(
            options: .init(configuration: RegistryConfiguration(), credentials: CredentialStore()),
            userAgent: "envctl-test")
    }

    func record(images: [String]) -> RunRecord {
        RunRecord(
            id: RunRecord.newID(), kind: .kfp, startedAt: Date(), command: ["pipeline", "submit", "p.yaml"],
            workspace: "/tmp",
            git: nil, environment: "train", lockHash: "",
            images: images.map {
                .init(reference: $0, digest: ImageReference.components(of: $0).digest, source: "pipeline")
            },
            runtime: nil, host: nil)
    }

    @Test func everyPinnedDigestIsProtectedOnceAndAMissingOneIsAWarning() async throws {
        let registry = try TestRegistry()
        defer { registry.stop() }
        let digest = try registry.put("team/train:v1", payload: "one")
        let missing = "sha256:" + String(repeating: "0", count: 64)
        var rec = record(images: [
            "\(registry.host)/team/train@\(digest)", "\(registry.host)/team/train:v1@\(digest)",
            "\(registry.host)/team/gone@\(missing)",
        ])
        let lines = Lines()
        await PipelineFlow.protect(&rec, registry: client(), log: lines.add)
        #expect(rec.protectiveTags == ["\(registry.host)/team/train:\(rec.protectiveTag)"])
        #expect(try registry.digest("team/train:\(rec.protectiveTag)") == digest)
        #expect(lines.all.count == 1)
        #expect(
            lines.all.first?.hasPrefix(
                "warning: could not add protective tag to \(registry.host)/team/gone@\(missing): tagging") == true)
    }

    @Test func aRegistryFailureKeepsTheRegistryErrorAsItsCause() async throws {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        await #expect {
            _ = try await client().digestExists(repository: "127.0.0.1:1/team/train", digest: digest)
        } throws: { error in
            let e = error as? RunsError
            return e?.message == "checking 127.0.0.1:1/team/train@\(digest)" && e?.cause is RegistryError
                && e?.failureKind == .failure && e?.description.hasPrefix(e!.message + ": ") == true
        }
    }
}

@Suite("Pipeline flow") struct PipelineFlowPathTests {
    @Test func filesInsideTheWorkspaceAreRecordedRelativeToIt() throws {
        let ws = try TemporaryDirectory(prefix: "envctl-flow")
        defer { ws.cleanup() }
        #expect(PipelineFlow.workspaceRelative(ws.path + "/pipelines/p.yaml", root: ws.path) == "pipelines/p.yaml")
        #expect(PipelineFlow.workspaceRelative("/elsewhere/p.yaml", root: ws.path) == "/elsewhere/p.yaml")
    }

    @Test func aLocksDiagnosticsAreTheCauseOfABadInput() {
        let diagnostics = DiagnosticsError([.error("no environment 'x' in envctl.lock at abc", hint: "it has: train")])
        let e = RunsError(.badInput, "", cause: diagnostics)
        #expect(e.description == diagnostics.description)
        let wrapped = RunsError(.badInput, "the lock at commit abc is not valid", cause: diagnostics)
        #expect(wrapped.description == "the lock at commit abc is not valid:\n" + diagnostics.description)
    }
}

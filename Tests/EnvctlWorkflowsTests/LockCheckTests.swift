import EnvctlModel
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
                spec: spec, knowledgeBase: fixtureKnowledge, lockPath: "/nonexistent/envctl.lock", registry: nil)
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

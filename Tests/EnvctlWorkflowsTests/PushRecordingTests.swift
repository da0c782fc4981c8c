import EnvctlImageBuild
import EnvctlModel
import EnvctlTestSupport
import EnvctlWorkflows
import Foundation
import Testing

/// The one rule for recording a push, on real lock files.
@Suite("Recording a push") struct PushRecordingTests {
    let digestA = "sha256:" + String(repeating: "a", count: 64)
    let digestB = "sha256:" + String(repeating: "9", count: 64)
    let inputs = BuildInputs(revision: "abc123", source: "https://git.example/train", sourceDateEpoch: 1_700_000_000)

    func workspace(pushed: PushedImage?) throws -> (TemporaryDirectory, String, LockedEnvironment) {
        let ws = try TemporaryDirectory(prefix: "envctl-record")
        let env = LockFactory.environment(pushed: pushed)
        let path = ws.path + "/envctl.lock"
        try LockFactory.lockfile([env]).write(to: path)
        return (ws, path, env)
    }

    @Test func givenInputsAreRecorded() throws {
        let (ws, path, env) = try workspace(pushed: nil)
        defer { ws.cleanup() }
        try PushRecording.record(
            env, reference: "r.example/t:envctl-1", digest: digestA, imageLockHash: env.hash, build: inputs,
            lockPath: path)
        let pushed = try Lockfile.load(fileAt: path).environment(named: "train")?.pushed
        #expect(pushed == PushedImage(reference: "r.example/t:envctl-1", digest: digestA, build: inputs))
    }

    @Test func inputsStayOnlyForTheSameDigest() throws {
        let (ws, path, env) = try workspace(
            pushed: PushedImage(reference: "r.example/t:envctl-1", digest: digestA, build: inputs))
        defer { ws.cleanup() }
        // The same image pushed again (push --record without inputs): the inputs stay.
        try PushRecording.record(
            env, reference: "r.example/t:envctl-1", digest: digestA, imageLockHash: env.hash, build: nil, lockPath: path
        )
        #expect(try Lockfile.load(fileAt: path).environment(named: "train")?.pushed?.build == inputs)
        // Another image: inputs that belong to the old one are dropped.
        try PushRecording.record(
            env, reference: "r.example/t:envctl-1", digest: digestB, imageLockHash: env.hash, build: nil, lockPath: path
        )
        let pushed = try Lockfile.load(fileAt: path).environment(named: "train")?.pushed
        #expect(pushed?.digest == digestB)
        #expect(pushed?.build == nil)
    }

    @Test func refusesWhenTheLockChangedSinceItWasRead() throws {
        let (ws, path, env) = try workspace(pushed: nil)
        defer { ws.cleanup() }
        // Someone re-locks while the image builds: the environment's hash changes.
        let relocked = LockFactory.environment(pushed: nil, hash: "sha256:" + String(repeating: "2", count: 64))
        try LockFactory.lockfile([relocked]).write(to: path)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        #expect {
            try PushRecording.record(
                env, reference: "r.example/t:envctl-1", digest: digestA, imageLockHash: env.hash, build: inputs,
                lockPath: path)
        } throws: { error in
            let e = error as? ImageBuildError
            return e?.step == "record" && e?.message.contains("no longer has lock hash \(env.hash)") == true
                && e?.failureKind == .failure
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before, "nothing was written")
    }

    @Test func refusesAnImageWhoseLockHashLabelDiffers() throws {
        let (ws, path, env) = try workspace(pushed: nil)
        defer { ws.cleanup() }
        let before = try String(contentsOfFile: path, encoding: .utf8)
        let other = "sha256:" + String(repeating: "3", count: 64)
        for label in [other, nil] {
            #expect {
                try PushRecording.record(
                    env, reference: "r.example/t:envctl-1", digest: digestA, imageLockHash: label, build: inputs,
                    lockPath: path)
            } throws: { error in
                let e = error as? ImageBuildError
                let says = label.map { "carries dev.envctl.lock-hash=\($0)" } ?? "carries no dev.envctl.lock-hash label"
                return e?.step == "record" && e?.message.contains(says) == true
                    && e?.message.contains(env.hash) == true && e?.failureKind == .failure
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before, "nothing was written")
    }
}

/// The one environment selector.
@Suite("Choosing an environment") struct EnvironmentSelectionTests {
    let lock = LockFactory.lockfile([
        LockFactory.environment(name: "train"), LockFactory.environment(name: "eval"),
    ])

    @Test func byName() throws {
        #expect(try lock.selectEnvironment("eval").name == "eval")
    }

    @Test func unknownNameListsTheEnvironments() {
        #expect {
            try lock.selectEnvironment("nope", file: "ml/envctl.lock")
        } throws: { error in
            let d = (error as? DiagnosticsError)?.diagnostics.first
            return d?.message == "no environment 'nope' in ml/envctl.lock" && d?.hint == "it has: train, eval"
                && (error as? DiagnosticsError)?.failureKind == .badInput
        }
    }

    @Test func severalNeedANameOneDoesNot() throws {
        #expect(throws: DiagnosticsError.self) { try lock.selectEnvironment(nil) }
        let single = LockFactory.lockfile([LockFactory.environment(name: "only")])
        #expect(try single.selectEnvironment(nil).name == "only")
    }
}

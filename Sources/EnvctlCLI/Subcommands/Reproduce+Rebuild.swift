import EnvctlImageBuild
import EnvctlModel
import EnvctlRuns
import EnvctlWorkflows
import Foundation
import GitSupport

extension EnvctlCommand.Reproduce {
    /// How `ReproduceRun`'s progress reads on stderr.
    static func present(_ event: ReproduceRun.Event) {
        switch event {
        case .stillInRegistry(let reference):
            RunsPresentation.stderr("note: \(reference) is still in the registry; nothing to rebuild")
        case .goneRebuilding(let reference, let commit):
            RunsPresentation.stderr(
                "note: \(reference) no longer exists in the registry; rebuilding it from the lock at \(commit)")
        case .guessedBuildInputs(let commit):
            RunsPresentation.stderr(
                "note: the lock at \(commit) does not record the revision and SOURCE_DATE_EPOCH its image was built with "
                    + "(only `envctl build --push --record` does); using \(commit) and its commit time, so the labels, "
                    + "and with them the digest, may differ")
        case .build(let event, let environment, let commit):
            switch event {
            case .building(let builder, let inputs):
                RunsPresentation.stderr(
                    "envctl: rebuilding \(environment) from the lock at \(commit) with \(builder.rawValue) "
                        + "(revision \(inputs.revision.map { String($0.prefix(12)) } ?? "none"), SOURCE_DATE_EPOCH=\(inputs.sourceDateEpoch))"
                )
            case .output(let line): RunsPresentation.stderr(line)
            case .pushed(let reference, let digest): RunsPresentation.stderr("envctl: pushed \(reference)@\(digest)")
            default: break
            }
        case .compared(let comparison, let commit):
            RunsPresentation.stderr(Self.comparison(comparison, commit: commit))
        case .reproducing(let commit, let tree):
            RunsPresentation.stderr("envctl: reproducing \(commit.shortID) (\(commit.summary)) in \(tree)")
        case .log(let line):
            RunsPresentation.log(line)
        }
    }

    /// What the user is told about the rebuilt digest.
    static func comparison(_ comparison: ReproduceRun.DigestComparison, commit: String) -> String {
        switch comparison {
        case .nothingRecorded(let rebuilt):
            return "note: the lock at \(commit) records no digest to compare with; running the rebuilt image \(rebuilt)"
        case .matches(let rebuilt):
            return "envctl: the rebuilt digest matches the recorded one (\(rebuilt)): the image is byte-identical"
        case .differs(let rebuilt, let recorded):
            return """
                warning: the rebuilt digest \(rebuilt) differs from the recorded \(recorded).
                    The Dockerfile follows from the lock alone, and the same lock, revision and SOURCE_DATE_EPOCH build the same
                    bytes on the same day. It may differ because apt archives move (apt-get update sees today's package versions,
                    not those of the original build; pin apt versions or use a snapshot mirror), because the original build used
                    other --build-arg, --mirror or templates, or because the record predates `build --push --record`.
                    Running the rebuilt image; the run record marks it as rebuilt.
                """
        }
    }
}

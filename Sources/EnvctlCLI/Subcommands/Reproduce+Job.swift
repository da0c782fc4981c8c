import ArgumentParser
import CurlTransport
import EnvctlClusters
import EnvctlModel
import EnvctlRuns
import Foundation

/// Where `reproduce` submits a recorded `envctl job submit` run again.
struct ReproduceJobOptions: ParsableArguments {
    @Option(name: .long, help: "Kubeconfig file (default $KUBECONFIG or ~/.kube/config).") var kubeconfig: String?
    @Option(name: .long, help: "Kubeconfig context (default: the recorded one, else the current one).")
    var kubeContext: String?
    @Flag(name: .long, help: "Follow the resubmitted job to its end and print rank 0's log.") var waitJob = false
}

extension EnvctlCommand.Reproduce {
    /// Submits a recorded job run again at COMMIT's lock, as a new run that says where it came from.
    func reproduceJob(_ record: RunRecord, reproducer: Reproducer, workspaceRoot: String) async throws -> Int32 {
        let plan = try await JobFlow.reproducePlan(record, at: commit, reproducer: reproducer)
        if dryRun {
            print(try ManifestValue.yaml(JobRenderer.render(plan)), terminator: "")
            return 0
        }
        let (created, code) = try await JobFlow.submit(
            plan,
            to: .init(
                kubeconfig: jobOptions.kubeconfig ?? Kubeconfig.defaultPath(),
                context: jobOptions.kubeContext ?? record.job?.context),
            workspace: Workspace(root: workspaceRoot), git: nil, command: plan.command,
            reproducedFrom: plan.commit, wait: jobOptions.waitJob, timeout: 86_400,
            transport: CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)"),
            log: { RunsPresentation.stderr($0) }, output: { FileHandle.standardOutput.write($0) })
        RunsPresentation.stderr(
            "envctl: job run \(created.id) reproduces \(record.id) at \(plan.commit ?? commit): \(created.status)")
        return code
    }
}

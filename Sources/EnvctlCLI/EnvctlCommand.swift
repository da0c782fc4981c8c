package import ArgumentParser
import EnvctlKnowledge
import Foundation

/// The `envctl` root command. Subcommands live in `Subcommands/`, one file per verb.
///
/// Every command states its `commandName`: without it ArgumentParser derives the name from the type with
/// `String(describing:)` on every start-up, a runtime type lookup per command that showed in resolve's profile.
package struct EnvctlCommand: AsyncParsableCommand {
    package static let envctlVersion = "0.1.0"

    package static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "envctl",
            abstract: "Reproducible GPU environments: solve the CUDA stack, lock it, build and run it by digest.",
            discussion: """
                Typical flow in a repository with an envctl.yaml:
                  envctl resolve                     # solve the GPU stack (no network)
                  envctl lock                        # write envctl.lock
                  envctl lock --check                # in CI: exit 2 when stale
                  envctl build --push --record       # build, push, record digest
                  envctl run -- python train.py      # run in the locked image
                  envctl pipeline pin pipeline.yaml  # pin KFP images to digests
                  envctl reproduce <commit>          # rerun an old run

                Exit codes: 0 success, 1 failure (no solution, registry or tool error), 2 stale lock (--check), 64 bad input (spec, lock or flags), 69 a required tool is missing, 70 internal error.
                """,
            version: versionString,
            subcommands: registeredSubcommands
        )
    }

    /// `envctl 0.1.0 (knowledge base 2026.11.0, 2026-11-25)` and a second line naming the build:
    /// `revision 5f54370… built 2026-12-04T00:46:13Z` for a release (scripts/release.sh stamps both), or
    /// `revision unknown (dev build)` for a plain `swift build`.
    static var versionString: String {
        let kb = KnowledgeBase.builtinStamp
        let first = "envctl \(envctlVersion) (knowledge base \(kb.version), \(kb.date))"
        return "\(first)\n\(BuildStamp.current.description)"
    }

    package init() {}
}

/// The process entry point; keeps ArgumentParser out of the executable target.
package func envctlMain() async {
    ProcessLifecycle.install()
    await EnvctlCommand.main()
}

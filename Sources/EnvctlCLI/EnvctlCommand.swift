import ArgumentParser
import EnvctlKnowledge
import Foundation

/// The `envctl` root command. Subcommands live in `Subcommands/`, one file per verb.
public struct EnvctlCommand: AsyncParsableCommand {
    public static let envctlVersion = "0.1.0"

    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "envctl",
            abstract: "Reproducible GPU environments: solve the CUDA stack, lock it, build and run it by digest.",
            discussion: """
                Typical flow in a repository with an envctl.yaml:
                  envctl resolve              # what the GPU stack solves to (no network, no files)
                  envctl lock                 # write envctl.lock: versions, image digests, hashed Python pins
                  envctl lock --check         # in CI: fail when envctl.lock is stale
                  envctl run -- python train.py        # run in the locked image, with a run record
                  envctl pipeline pin pipeline.yaml    # rewrite a KFP pipeline's images to locked digests
                  envctl reproduce <commit>            # rerun an old run from git history

                Exit codes: 0 success, 1 failure (no solution, registry or tool error), 2 stale lock (--check), 64 bad input (spec, lock or flags), 69 a required tool is missing, 70 internal error.
                """,
            version: versionString,
            subcommands: registeredSubcommands
        )
    }

    /// `envctl 0.1.0 (knowledge base 2026.11.0, 2026-11-25)`.
    static var versionString: String {
        let kb = KnowledgeBase.builtinStamp
        return "envctl \(envctlVersion) (knowledge base \(kb.version), \(kb.date))"
    }

    public init() {}
}

/// The process entry point; keeps ArgumentParser out of the executable target.
public func envctlMain() async {
    await EnvctlCommand.main()
}

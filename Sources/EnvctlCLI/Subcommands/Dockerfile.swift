import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import Foundation

extension EnvctlCommand {
    struct Dockerfile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dockerfile",
            abstract: "Write the Dockerfile for a locked environment (stdout, or -o PATH).",
            discussion: """
                The Dockerfile follows from envctl.lock, the git revision and SOURCE_DATE_EPOCH (default: the
                commit time of HEAD) alone: the same inputs give the same bytes on any machine. With a `network:`
                section in envctl.yaml (or --ca-bundle / --netrc) the pip step mounts the CA bundle and netrc as
                build secrets, as `envctl build` does; their contents never appear.
                """)

        @OptionGroup var options: ImageOptions

        @Option(name: .shortAndLong, help: "Write here instead of stdout.")
        var output: String?

        @OptionGroup var network: NetworkOptions

        func run() async throws {
            try await ErrorPresentation.guarded {
                let env = try options.selectEnvironment()
                let text = try options.render(
                    env, inputs: SourceInfo.detect(in: FileManager.default.currentDirectoryPath),
                    network: try network.renderingAccess(specPath: options.specPath))
                if let output {
                    try AtomicFile.write(text, to: output)
                } else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            }
        }
    }
}

import ArgumentParser
import EnvctlRuns

extension EnvctlCommand.Pipeline {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pin, upload and run a pipeline on KFP or Vertex AI.")
        @Argument var file: String
        func run() async throws {
            throw RunsError(.internal, "pipeline submit is not implemented yet")
        }
    }
}

import ArgumentParser

extension EnvctlCommand {
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "TODO")
        func run() async throws {}
    }
}

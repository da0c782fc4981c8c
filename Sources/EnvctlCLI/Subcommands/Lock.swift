import ArgumentParser

extension EnvctlCommand {
    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "TODO")
        func run() async throws {}
    }
}

import ArgumentParser

extension EnvctlCommand {
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "TODO")
        func run() async throws {}
    }
}

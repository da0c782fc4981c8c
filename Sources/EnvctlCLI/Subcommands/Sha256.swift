import ArgumentParser
import Digest

extension EnvctlCommand {
    /// Hidden helper for bench/: hashes a file with envctl's streaming SHA-256 (OpenSSL EVP).
    struct Sha256: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sha256", abstract: "Print the sha256 digest of a file (benchmark helper).",
            shouldDisplay: false)

        @Argument var file: String

        func run() throws {
            print("sha256:" + (try SHA256.hex(fileAt: file)))
        }
    }
}

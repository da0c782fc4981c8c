import CurlTransport
import EnvctlLocking
import OCIRegistry

/// Connects `envctl lock` to envctl's registry client for digest pinning.
struct RegistryDigestResolver: ImageDigestResolver {
    let client: RegistryClient

    func pin(_ reference: String, platform: String) async throws -> (digest: String, platformDigest: String) {
        let pinned = try await client.pin(reference, platform: platform)
        return (pinned.digest.description, pinned.platformManifestDigest.description)
    }
}

enum RegistryPinning {
    /// A resolver using the registries config (mirrors, TLS, credentials) from `options`.
    static func resolver(_ options: RegistryOptions) throws -> any ImageDigestResolver {
        RegistryDigestResolver(client: try options.makeClient(credentialsFor: nil, reporter: nil))
    }
}

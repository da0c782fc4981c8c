import CurlTransport
import EnvctlRuns
import OCIRegistry

/// Chooses the `ImageRegistry` the run/pipeline/reproduce verbs use: the shared OCIRegistry client over
/// libcurl, configured like every other registry verb (registries config, stored credentials, loopback
/// registries over plain HTTP). Nil when the registries config cannot be read.
enum RegistryAdapter {
    static func make() -> (any ImageRegistry)? {
        guard let configuration = try? RegistryConfiguration.load(path: nil) else { return nil }
        let client = RegistryClient(
            transport: CurlTransport(userAgent: "envctl/\(EnvctlCommand.envctlVersion)"),
            options: .init(configuration: configuration, credentials: CredentialStore()))
        return OCIImageRegistry(client: client)
    }
}

/// `ImageRegistry` over the shared `RegistryClient`.
struct OCIImageRegistry: ImageRegistry {
    let client: RegistryClient

    func digestExists(repository: String, digest: String) async throws(RunsError) -> Bool {
        do {
            return try await client.exists(try ImageReference(parsing: "\(repository)@\(digest)"))
        } catch {
            throw Self.map(error, "checking \(repository)@\(digest)")
        }
    }

    func resolveDigest(reference: String) async throws(RunsError) -> String {
        do {
            guard let head = try await client.headManifest(try ImageReference(parsing: reference)) else {
                throw RunsError(.failure, "\(reference) does not exist in its registry")
            }
            return head.digest.description
        } catch let e as RunsError {
            throw e
        } catch let e as RegistryError {
            throw Self.map(e, "resolving \(reference)")
        } catch {
            throw RunsError(.failure, "resolving \(reference): \(error)")
        }
    }

    func addTag(repository: String, digest: String, tag: String) async throws(RunsError) {
        do {
            let source = try ImageReference(parsing: "\(repository)@\(digest)")
            let manifest = try await client.fetchManifest(source)
            try await client.pushManifest(manifest, to: try ImageReference(parsing: "\(repository):\(tag)"))
        } catch {
            throw Self.map(error, "tagging \(repository)@\(digest) as \(tag)")
        }
    }

    static func map(_ error: RegistryError, _ what: String) -> RunsError {
        RunsError(error.code == .invalidConfiguration ? .badInput : .failure, "\(what): \(error.message)")
    }
}

import EnvctlModel
import OCIRegistry

/// The registry questions runs, pipelines and reproduce ask, over the one registry port
/// (`OCIRegistry.ImageRegistry`), with failures as `RunsError` (the registry error kept as the cause).
extension ImageRegistry {
    /// Whether `repository@digest` can still be pulled.
    package func digestExists(repository: String, digest: String) async throws(RunsError) -> Bool {
        let what = "checking \(repository)@\(digest)"
        do {
            return try await manifestDigest(try ImageReference(parsing: "\(repository)@\(digest)")) != nil
        } catch {
            throw RunsError(registry: error, what)
        }
    }

    /// The manifest digest a tag points to now.
    package func resolveDigest(reference: String) async throws(RunsError) -> String {
        let digest: ContentDigest?
        do { digest = try await manifestDigest(try ImageReference(parsing: reference)) } catch {
            throw RunsError(registry: error, "resolving \(reference)")
        }
        guard let digest else { throw RunsError(.failure, "\(reference) does not exist in its registry") }
        return digest.description
    }

    /// Points `repository:tag` at `digest` (the protective `envctl-run-<id>` tags).
    package func addTag(repository: String, digest: String, tag: String) async throws(RunsError) {
        do {
            try await self.tag(
                try ImageReference(parsing: "\(repository)@\(digest)"),
                as: try ImageReference(parsing: "\(repository):\(tag)"))
        } catch {
            throw RunsError(registry: error, "tagging \(repository)@\(digest) as \(tag)")
        }
    }
}

extension RunsError {
    /// A registry failure while doing `what`, the registry error kept as the cause; a bad registries
    /// config or reference is bad input.
    init(registry error: RegistryError, _ what: String) {
        self.init(error.isUserInputError ? .badInput : .failure, what, cause: error)
    }
}

extension PushedImage {
    /// `repo@sha256:…`: the tag is dropped so nothing can move under it.
    package var pinnedReference: String { "\(ImageReference.components(of: reference).name)@\(digest)" }
}

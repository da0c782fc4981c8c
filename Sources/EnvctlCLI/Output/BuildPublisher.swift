import EnvctlImageBuild
import OCIRegistry

/// `envctl build --push` through envctl's registry client (the same client, registries config and
/// credentials as `envctl push`).
struct ClientPublisher: RegistryPublisher {
    let client: RegistryClient

    func existing(at reference: String) async throws(ImageBuildError) -> PublishedImage? {
        do {
            let ref = try ImageReference(parsing: reference)
            guard try await client.exists(ref) else { return nil }
            let inspection = try await client.inspect(ref)
            return PublishedImage(digest: inspection.digest.description, labels: inspection.labels)
        } catch {
            throw ImageBuildError(.stepFailed, step: "check registry", "cannot ask the registry about \(reference): [\(error.code)] \(error.description)")
        }
    }

    func push(layout: String, refName: String, to reference: String) async throws(ImageBuildError) -> String {
        do {
            let source = try OCILayoutSource(directory: layout, tag: refName)
            let result = try await client.push(source, to: try ImageReference(parsing: reference))
            return result.digest.description
        } catch {
            throw ImageBuildError(.stepFailed, step: "push", "pushing to \(reference) failed: [\(error.code)] \(error.description)")
        }
    }
}

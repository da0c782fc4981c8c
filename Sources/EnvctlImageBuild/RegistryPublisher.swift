import Foundation

/// Pushes an exported OCI layout and asks a registry what a tag holds.
///
/// The CLI implements it with envctl's registry client (OCIRegistry over libcurl); this library does
/// not import it, so the build logic stays testable with a fake.
public protocol RegistryPublisher: Sendable {
    /// The `dev.envctl.lock-hash` label of the image at `reference`, `.some(nil)` when the tag exists
    /// without that label, nil when the tag does not exist.
    func lockHash(at reference: String) async throws(ImageBuildError) -> String??
    /// Pushes the image `refName` of the layout to `reference`; returns the pushed manifest digest.
    func push(layout: String, refName: String, to reference: String) async throws(ImageBuildError) -> String
}


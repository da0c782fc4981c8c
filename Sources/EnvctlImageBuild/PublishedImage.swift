package import EnvctlModel
import Foundation

/// An image a registry holds under a tag: its manifest digest and config labels.
package struct PublishedImage: Sendable, Hashable {
    package var digest: String
    package var labels: [String: String]

    package init(digest: String, labels: [String: String]) {
        self.digest = digest
        self.labels = labels
    }

    /// The `dev.envctl.lock-hash` label envctl's templates write.
    package var lockHash: String? { labels["dev.envctl.lock-hash"] }

    /// The build inputs the labels reveal (revision, source, `created` as `SOURCE_DATE_EPOCH`), for
    /// recording an image that `build --push` skipped because the registry already had it.
    package var buildInputs: BuildInputs? {
        guard let created = labels["org.opencontainers.image.created"], let epoch = Self.epoch(created) else {
            return nil
        }
        return BuildInputs(
            revision: labels["org.opencontainers.image.revision"], source: labels["org.opencontainers.image.source"],
            sourceDateEpoch: epoch)
    }

    /// Seconds since 1970 for the `YYYY-MM-DDTHH:MM:SSZ` form the templates write.
    static func epoch(_ rfc3339: String) -> Int? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: rfc3339).map { Int($0.timeIntervalSince1970) }
    }
}

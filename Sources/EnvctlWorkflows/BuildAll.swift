package import EnvctlImageBuild
import EnvctlModel
import Foundation
package import OCIRegistry

/// `envctl build --all`: every environment of a lock through the one build pipeline, one after another, so they
/// share what a builder shares (its image store: a base or builder image is pulled once; identical stages come
/// from its layer cache) and one registry client per registry (one session, one token). A failed environment
/// does not stop the others; the summary says how each ended.
package struct BuildAll: Sendable {
    /// How one environment's build ended.
    package struct Row: Sendable, Hashable, Codable {
        package enum Status: String, Sendable, Hashable, Codable { case built, skipped, failed }
        package var environment: String
        package var status: Status
        /// The local tag (`localhost/envctl/ENV:envctl-<hash>`), or the pushed reference.
        package var image: String
        /// The manifest digest built or pushed; nil when the build failed.
        package var digest: String?
        /// Why it failed.
        package var error: String?
    }

    /// The summary of `build --all`.
    package struct Summary: Sendable, Hashable, Codable {
        package var environments: [Row]
        package var failed: Int { environments.filter { $0.status == .failed }.count }
    }

    /// Registry clients by registry host, made once each.
    package var client: @Sendable (String) throws -> any ImageRegistry
    package var runner: ToolRunner
    package var events: @Sendable (_ environment: String, BuildEvent) -> Void

    package init(
        client: @escaping @Sendable (String) throws -> any ImageRegistry, runner: ToolRunner = ToolRunner(),
        events: @escaping @Sendable (String, BuildEvent) -> Void
    ) {
        self.client = client
        self.runner = runner
        self.events = events
    }

    /// Runs `jobs` in order; each failure is caught, described with `describe`, and reported in its row.
    package func run(_ jobs: [BuildJob], describe: (any Error) -> String) async -> Summary {
        var clients: [String: any ImageRegistry] = [:]
        var rows: [Row] = []
        for job in jobs {
            let name = job.environment.name
            do {
                var registry: (any ImageRegistry)?
                if let target = job.target {
                    let host = try ImageReference(parsing: target).registry
                    if clients[host] == nil { clients[host] = try client(host) }
                    registry = clients[host]
                }
                let events = self.events
                let outcome = try await ImageBuildWorkflow(registry: registry, runner: runner) { events(name, $0) }
                    .run(job)
                rows.append(
                    Row(
                        environment: name, status: outcome.result == nil ? .skipped : .built,
                        image: job.target ?? job.localTag,
                        digest: outcome.digest ?? outcome.result?.manifestDigest))
            } catch {
                rows.append(
                    Row(
                        environment: name, status: .failed, image: job.target ?? job.localTag, digest: nil,
                        error: describe(error)))
            }
        }
        return Summary(environments: rows)
    }
}

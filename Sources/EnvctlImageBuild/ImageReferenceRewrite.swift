/// Registry mirror rewriting for FROM images: `docker.io=127.0.0.1:5000` turns
/// `docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:…` into `127.0.0.1:5000/nvidia/cuda:…@sha256:…`.
/// The digest stays, so a mirror can only serve the exact bytes the lock pinned.
package struct RegistryMirrors: Sendable, Hashable {
    /// Registry host → mirror host (optionally with a path prefix).
    package var mirrors: [String: String]

    package init(_ mirrors: [String: String] = [:]) { self.mirrors = mirrors }

    /// Parses `FROM=TO` flag values.
    package init(flags: [String]) throws(ImageBuildError) {
        var m: [String: String] = [:]
        for f in flags {
            let parts = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ImageBuildError(
                    .badInput, step: "build", "--mirror '\(f)' is not REGISTRY=MIRROR",
                    hint: "e.g. --mirror docker.io=mirror.example.com:5000")
            }
            m[parts[0]] = parts[1]
        }
        mirrors = m
    }

    package func rewrite(_ reference: String) -> String {
        guard let slash = reference.firstIndex(of: "/") else { return reference }
        let host = String(reference[..<slash])
        guard let target = mirrors[host] else { return reference }
        return target + reference[slash...]
    }
}

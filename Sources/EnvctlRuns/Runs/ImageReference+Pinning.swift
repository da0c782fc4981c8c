import EnvctlModel

/// Small, dependency-free helpers for `name[:tag][@digest]` strings. Full parsing lives in OCIRegistry;
/// these only split what envctl itself wrote.
public enum ImageRef {
    /// `sha256:` and 64 lowercase hex digits.
    public static func isDigest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// Splits `repo[:tag][@digest]` into its parts. The tag is the text after the last `:` that follows
    /// the last `/` (so `host:5000/repo` has no tag).
    public static func split(_ reference: String) -> (repository: String, tag: String?, digest: String?) {
        var rest = Substring(reference)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        let slash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[slash...].lastIndex(of: ":") {
            return (String(rest[..<colon]), String(rest[rest.index(after: colon)...]), digest)
        }
        return (String(rest), nil, digest)
    }

    /// Whether `reference` is pinned: `repo[:tag]@sha256:<64 hex>`.
    public static func isPinned(_ reference: String) -> Bool {
        split(reference).digest.map(isDigest) ?? false
    }

    /// `docker.io/library/python` and `python` name the same repository; compare in the canonical form.
    public static func canonicalRepository(_ repository: String) -> String {
        var parts = repository.split(separator: "/").map(String.init)
        guard let first = parts.first else { return repository }
        let hasHost = parts.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasHost { parts.insert("docker.io", at: 0) }
        if parts[0] == "index.docker.io" || parts[0] == "registry-1.docker.io" { parts[0] = "docker.io" }
        if parts[0] == "docker.io" && parts.count == 2 { parts.insert("library", at: 1) }
        return parts.joined(separator: "/")
    }
}

extension PushedImage {
    /// `repo@sha256:…`: the tag is dropped so nothing can move under it.
    public var pinnedReference: String { "\(ImageRef.split(reference).repository)@\(digest)" }
}

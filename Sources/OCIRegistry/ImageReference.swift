import Foundation

/// An image reference normalised the way docker does it.
///
/// - `ubuntu` → registry `docker.io`, repository `library/ubuntu`, tag `latest`
/// - `nvidia/cuda:12.4.1-base-ubuntu22.04` → `docker.io/nvidia/cuda`
/// - `ghcr.io/org/img@sha256:…` → digest reference (a tag alongside a digest is kept but the digest wins)
/// - `127.0.0.1:5000/team/img` → a registry is the first component when it has a `.` or `:` or is `localhost`
///
/// `registry` is the canonical name (`docker.io`); `apiHost` is where requests go (`registry-1.docker.io`).
package struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    package var registry: String
    package var repository: String
    package var tag: String?
    package var digest: ContentDigest?

    package static let dockerHub = "docker.io"
    static let dockerHubAPIHost = "registry-1.docker.io"

    package init(registry: String, repository: String, tag: String? = nil, digest: ContentDigest? = nil) {
        self.registry = Self.canonicalRegistry(registry)
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses and normalises `text`; a missing tag becomes `latest` unless a digest is given.
    package init(parsing text: String) throws(RegistryError) {
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("docker://") { s.removeFirst("docker://".count) }
        func fail(_ why: String, hint: String? = nil) -> RegistryError {
            RegistryError(
                .invalidReference, "invalid image reference '\(ContentDigest.excerpt(text))': \(why)", hint: hint)
        }
        guard !s.isEmpty else { throw fail("it is empty") }
        guard s.utf8.count <= 512 else {
            throw fail("it is \(s.utf8.count) characters long; a name is at most 255 and a tag at most 128")
        }
        guard !s.contains(where: { $0.isWhitespace || $0.isNewline }) else { throw fail("it contains whitespace") }

        let written = Self.components(of: s)
        var digest: ContentDigest?
        if let d = written.digest {
            do { digest = try ContentDigest(d) } catch { throw fail("bad digest: \(error.message)") }
        }
        var tag = written.tag
        s = written.name
        var registry = Self.dockerHub
        var path = s
        if let slash = s.firstIndex(of: "/") {
            let first = String(s[..<slash])
            if first.contains(".") || first.contains(":") || first == "localhost" || first.hasPrefix("[") {
                registry = first
                path = String(s[s.index(after: slash)...])
            }
        }
        guard Self.isValidHost(registry) else { throw fail("'\(registry)' is not a valid registry host") }
        registry = Self.canonicalRegistry(registry)
        guard !path.isEmpty else { throw fail("the repository name is empty") }
        // distribution's limits: 255 characters for a name, 128 for a tag.
        guard path.utf8.count <= 255 else {
            throw fail("the repository name is \(path.utf8.count) characters long; the limit is 255")
        }
        if path.contains(where: { $0.isUppercase }) {
            throw fail("repository names must be lowercase", hint: "use '\(path.lowercased())'")
        }
        guard Self.isValidRepository(path) else {
            throw fail(
                "'\(path)' is not a valid repository name ([a-z0-9] components separated by '/', '.', '_', '__' or '-')"
            )
        }
        if registry == Self.dockerHub, !path.contains("/") { path = "library/" + path }
        guard registry.utf8.count + 1 + path.utf8.count <= 255 else {
            throw fail(
                "the name '\(registry)/…' is \(registry.utf8.count + 1 + path.utf8.count) characters long; the limit is 255"
            )
        }
        if let t = tag {
            guard t.utf8.count <= 128 else {
                throw fail("the tag is \(t.utf8.count) characters long; the limit is 128")
            }
            guard Self.isValidTag(t) else {
                throw fail("'\(t)' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})")
            }
        }
        if tag == nil && digest == nil { tag = "latest" }
        self.registry = registry
        self.repository = path
        self.tag = tag
        self.digest = digest
    }

    /// The first stage of parsing: `name[:tag][@digest]` split as written, before validation and
    /// normalisation. The tag is the text after the last `:` that follows the last `/` (so
    /// `host:5000/repo` has no tag). Use it to rewrite a reference a user wrote without changing its
    /// spelling (`python:3.11` stays `python`, not `docker.io/library/python`).
    package static func components(of text: String) -> (name: String, tag: String?, digest: String?) {
        var rest = Substring(text)
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

    /// `docker.io/library/python` for `python`: the canonical repository name of `text` (registry and
    /// path), or `text` unchanged when it does not parse.
    package static func canonicalName(_ text: String) -> String {
        (try? ImageReference(parsing: components(of: text).name))?.name ?? text
    }

    /// Whether `text` is pinned: `repo[:tag]@sha256:<64 lowercase hex>`.
    package static func isPinned(_ text: String) -> Bool {
        components(of: text).digest.map(isSHA256Digest) ?? false
    }

    /// `sha256:` and 64 lowercase hex digits.
    package static func isSHA256Digest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// The host requests go to (`docker.io` → `registry-1.docker.io`).
    package var apiHost: String { registry == Self.dockerHub ? Self.dockerHubAPIHost : registry }

    /// The manifest reference used in URLs: the digest when there is one, else the tag.
    package var reference: String { digest?.description ?? tag ?? "latest" }

    /// `registry/repository` (no tag or digest).
    package var name: String { "\(registry)/\(repository)" }

    package var description: String {
        var s = name
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    package func withTag(_ tag: String?) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: nil)
    }

    package func withDigest(_ digest: ContentDigest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    // MARK: Grammar

    static func canonicalRegistry(_ host: String) -> String {
        switch host.lowercased() {
        case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": dockerHub
        default: host
        }
    }

    static func isValidHost(_ host: String) -> Bool {
        var h = Substring(host)
        if h.hasPrefix("[") {
            guard let close = h.firstIndex(of: "]") else { return false }
            let inner = h[h.index(after: h.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            h = h[h.index(after: close)...]
            if h.isEmpty { return true }
            guard h.hasPrefix(":") else { return false }
            return isValidPort(h.dropFirst())
        }
        let parts = h.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 && !isValidPort(parts[1]) { return false }
        let name = parts[0]
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { isAlnum($0) || $0 == 45 }
        }
    }

    static func isValidPort(_ p: Substring) -> Bool {
        guard !p.isEmpty, p.count <= 5, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(p) else {
            return false
        }
        return n > 0 && n < 65536
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
    }
    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
    package static func isValidRepository(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 255 else { return false }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else {
                return false
            }
            var i = 0
            while i < bytes.count {
                let c = bytes[i]
                if isLowerAlnum(c) { i += 1; continue }
                // separator run
                var j = i
                while j < bytes.count && !isLowerAlnum(bytes[j]) { j += 1 }
                let sep = bytes[i..<j]
                let ok =
                    sep.elementsEqual([46]) || sep.elementsEqual([95]) || sep.elementsEqual([95, 95])
                    || sep.allSatisfy { $0 == 45 }
                if !ok { return false }
                i = j
            }
        }
        return true
    }

    /// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`
    package static func isValidTag(_ tag: String) -> Bool {
        let b = Array(tag.utf8)
        guard let first = b.first, b.count <= 128, isAlnum(first) || first == 95 else { return false }
        return b.dropFirst().allSatisfy { isAlnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }
    }
}

extension ImageReference {
    /// Normalises a registry name given alone (`envctl login docker.io`, `https://ghcr.io/`).
    package static func canonicalHost(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespaces)
        for p in ["https://", "http://"] where t.hasPrefix(p) { t.removeFirst(p.count) }
        if let slash = t.firstIndex(of: "/") { t = String(t[..<slash]) }
        return canonicalRegistry(t)
    }
}

import Foundation

/// The result of a manifest `HEAD`.
package struct ManifestHead: Sendable, Hashable {
    package var digest: ContentDigest
    package var mediaType: String
    package var size: Int64
}

extension RegistryClient {
    static func pullScope(_ ref: ImageReference) -> String { "repository:\(ref.repository):pull" }
    static func pushScope(_ ref: ImageReference) -> String { "repository:\(ref.repository):pull,push" }

    /// References to try for a read of `ref`: configured mirrors in order, then `ref` itself.
    package func pullCandidates(_ ref: ImageReference) -> [ImageReference] {
        let mirrors = (options.configuration.settings(for: ref.registry).mirrors ?? []).compactMap { try? Mirror($0) }
        return mirrors.map { $0.rewrite(ref) } + [ref]
    }

    /// Runs `body` against each pull candidate until one succeeds (mirrors first, then the origin).
    func withMirrors<T: Sendable>(
        _ ref: ImageReference, _ body: (ImageReference) async throws(RegistryError) -> T
    ) async throws(RegistryError) -> T {
        let candidates = pullCandidates(ref)
        for candidate in candidates.dropLast() {
            do { return try await body(candidate) } catch {
                // Never fall back past corrupt or oversized data silently.
                if error.code == .digestMismatch || error.code == .oversizedResponse { throw error }
                emit(
                    .warning("mirror \(candidate) failed for \(ref): \(error.message); trying the next source")
                )
            }
        }
        return try await body(candidates.last!)
    }

    /// `HEAD` a manifest by tag or digest; nil when it does not exist. Falls back to `GET` when the registry
    /// gives no `Docker-Content-Digest`, so the digest is always computed from bytes when in doubt.
    package func headManifest(_ ref: ImageReference) async throws(RegistryError) -> ManifestHead? {
        try await withMirrors(ref) { r throws(RegistryError) in
            try await headManifestDirect(r, scopes: [Self.pullScope(r)])
        }
    }

    func headManifestDirect(_ ref: ImageReference, scopes: [String]) async throws(RegistryError) -> ManifestHead? {
        var call = Call(method: "HEAD", host: ref.apiHost, target: "/v2/\(ref.repository)/manifests/\(ref.reference)")
        call.headers.set("Accept", MediaType.manifestAccept.joined(separator: ", "))
        call.scopes = scopes
        let r = try await send(call)
        switch r.status {
        case 200:
            if let d = r.headers["Docker-Content-Digest"].flatMap({ try? ContentDigest($0) }),
                let type = r.headers["Content-Type"]?.split(separator: ";").first.map({
                    String($0).trimmingCharacters(in: .whitespaces)
                }),
                MediaType.manifestAccept.contains(type)
            {
                if let expected = ref.digest, expected != d {
                    // Trust bytes, not headers: fetch and hash.
                    let m = try await fetchManifestDirect(ref, scopes: scopes)
                    return ManifestHead(digest: m.digest, mediaType: m.mediaType, size: Int64(m.data.count))
                }
                return ManifestHead(digest: d, mediaType: type, size: Int64(r.headers["Content-Length"] ?? "") ?? 0)
            }
            let m = try await fetchManifestDirect(ref, scopes: scopes)
            return ManifestHead(digest: m.digest, mediaType: m.mediaType, size: Int64(m.data.count))
        case 404:
            return nil
        case 403, 405:
            // Some registries refuse HEAD (Artifactory 403 for missing tags; 405): ask with GET.
            do {
                let m = try await fetchManifestDirect(ref, scopes: scopes)
                return ManifestHead(digest: m.digest, mediaType: m.mediaType, size: Int64(m.data.count))
            } catch  where error.code == .notFound { return nil }
        default:
            throw await failure(r, call: call, what: "checking manifest \(ref)")
        }
    }

    /// Whether `ref` (tag or digest) exists.
    package func exists(_ ref: ImageReference) async throws(RegistryError) -> Bool {
        try await headManifest(ref) != nil
    }

    /// Fetches a manifest or index and verifies it: against the digest in `ref`, and against the
    /// registry's `Docker-Content-Digest` when present. The digest returned is computed from the bytes.
    package func fetchManifest(_ ref: ImageReference) async throws(RegistryError) -> ManifestBlob {
        try await withMirrors(ref) { r throws(RegistryError) in
            try await fetchManifestDirect(r, scopes: [Self.pullScope(r)])
        }
    }

    func fetchManifestDirect(_ ref: ImageReference, scopes: [String]) async throws(RegistryError) -> ManifestBlob {
        var call = Call(method: "GET", host: ref.apiHost, target: "/v2/\(ref.repository)/manifests/\(ref.reference)")
        call.headers.set("Accept", MediaType.manifestAccept.joined(separator: ", "))
        call.scopes = scopes
        call.sink = .memory(limit: Manifest.maxBytes)
        let r = try await send(call)
        guard r.status == 200 else {
            var e = await failure(r, call: call, what: "fetching manifest \(ref)")
            if r.status == 404 { e.message = "manifest \(ref) not found" }
            throw e
        }
        let computed = ContentDigest(sha256Hex: r.bodySHA256)
        if let expected = ref.digest, expected.algorithm == "sha256", expected != computed {
            throw RegistryError(
                .digestMismatch, "manifest \(ref) from \(ref.registry) does not match its digest (got \(computed))",
                registry: ref.registry)
        }
        if let header = r.headers["Docker-Content-Digest"] {
            let claimed = header.contains(":") ? header : "sha256:" + header  // kaniko#298: prefix missing
            if let d = try? ContentDigest(claimed), d.algorithm == "sha256", d != computed {
                throw RegistryError(
                    .digestMismatch,
                    "manifest \(ref): the registry announced \(d) but the bytes hash to \(computed)",
                    registry: ref.registry)
            }
        }
        var blob = try ManifestBlob(data: r.body, mediaType: r.headers["Content-Type"])
        blob.digest = computed
        return blob
    }

    /// Pushes manifest bytes unchanged under `ref`'s tag (or digest). Returns the digest.
    @discardableResult
    package func pushManifest(_ blob: ManifestBlob, to ref: ImageReference) async throws(RegistryError) -> ContentDigest
    {
        try await putManifest(blob, to: ref).digest
    }

    /// Pushes manifest bytes; also returns the registry's `OCI-Subject` header (a registry that sends it
    /// maintains the referrers of the manifest's `subject` itself).
    func putManifest(_ blob: ManifestBlob, to ref: ImageReference) async throws(RegistryError) -> (
        digest: ContentDigest, ociSubject: String?
    ) {
        var call = Call(method: "PUT", host: ref.apiHost, target: "/v2/\(ref.repository)/manifests/\(ref.reference)")
        call.headers.set("Content-Type", blob.mediaType)
        call.body = .bytes(blob.data)
        call.scopes = [Self.pushScope(ref)]
        let r = try await send(call)
        guard r.status == 201 || r.status == 200 else {
            var e = await failure(r, call: call, what: "pushing manifest \(ref)")
            if r.status == 413 { e.message = "manifest for \(ref) is too large for \(ref.registry)" }
            throw e
        }
        if let header = r.headers["Docker-Content-Digest"],
            let d = try? ContentDigest(header.contains(":") ? header : "sha256:" + header),
            d.algorithm == blob.digest.algorithm, d != blob.digest
        {
            throw RegistryError(
                .digestMismatch, "\(ref.registry) stored manifest \(ref) as \(d), expected \(blob.digest)",
                registry: ref.registry)
        }
        emit(.manifestPushed(reference: ref, digest: blob.digest))
        return (blob.digest, r.headers["OCI-Subject"])
    }

    /// Lists tags (follows `Link` pagination).
    package func listTags(_ ref: ImageReference) async throws(RegistryError) -> [String] {
        var tags: [String] = []
        var target = "/v2/\(ref.repository)/tags/list?n=1000"
        for _ in 0..<1000 {
            var call = Call(method: "GET", host: ref.apiHost, target: target)
            call.scopes = [Self.pullScope(ref)]
            let r = try await send(call)
            guard r.status == 200 else { throw await failure(r, call: call, what: "listing tags of \(ref.name)") }
            let obj = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
            tags += obj?["tags"] as? [String] ?? []
            guard let link = r.headers["Link"], let open = link.firstIndex(of: "<"),
                let close = link.firstIndex(of: ">"),
                open < close
            else { break }
            target = String(link[link.index(after: open)..<close])
        }
        return tags
    }
}

extension RegistryClient {
    /// The digest the tag `reference` names on its own registry (never a pull mirror), nil when absent:
    /// what `push --env` would overwrite.
    package func contentTagDigest(_ reference: ImageReference) async throws(RegistryError) -> ContentDigest? {
        try await headManifestDirect(reference, scopes: [Self.pushScope(reference)])?.digest
    }
}

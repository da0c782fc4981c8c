import Foundation

/// A blob to upload: a byte range of a local file and the digest it must hash to.
package struct BlobSource: Sendable, Hashable {
    package var path: String
    package var offset: Int64
    package var length: Int64
    package var digest: ContentDigest

    package init(path: String, offset: Int64 = 0, length: Int64, digest: ContentDigest) {
        self.path = path
        self.offset = offset
        self.length = length
        self.digest = digest
    }
}

extension RegistryClient {
    /// `HEAD` a blob; returns its size, or nil when absent.
    package func blobSize(_ repo: ImageReference, _ digest: ContentDigest, push: Bool = false)
        async throws(RegistryError) -> Int64?
    {
        var call = Call(method: "HEAD", host: repo.apiHost, target: "/v2/\(repo.repository)/blobs/\(digest)")
        call.scopes = [push ? Self.pushScope(repo) : Self.pullScope(repo)]
        let r = try await send(call)
        switch r.status {
        case 200: return Int64(r.headers["Content-Length"] ?? "") ?? 0
        case 404: return nil
        default: throw await failure(r, call: call, what: "checking blob \(digest.short) in \(repo.name)")
        }
    }

    /// Downloads a blob to `path`, verifying size and digest while it streams. A blob that fails
    /// verification is deleted and reported as `.digestMismatch`; nothing unverified is left behind.
    package func fetchBlob(_ repo: ImageReference, _ descriptor: Descriptor, to path: String)
        async throws(RegistryError)
    {
        try await withMirrors(repo) { r throws(RegistryError) in try await fetchBlobDirect(r, descriptor, to: path) }
    }

    func fetchBlobDirect(_ repo: ImageReference, _ descriptor: Descriptor, to path: String) async throws(RegistryError)
    {
        var call = Call(method: "GET", host: repo.apiHost, target: "/v2/\(repo.repository)/blobs/\(descriptor.digest)")
        call.scopes = [Self.pullScope(repo)]
        call.sink = .file(path: path, append: false)
        // A blob is never longer than its descriptor says: stop reading at that size, not at the disk's.
        call.maxResponseBytes = max(0, descriptor.size)
        let digest = descriptor.digest
        call.progress = { [weak self] p in
            self?.emit(.blobProgress(digest: digest, bytes: p.received, size: descriptor.size))
        }
        // The partial file goes on every exit path but success (error status, transport error, cancellation).
        var complete = false
        defer { if !complete { try? FileManager.default.removeItem(atPath: path) } }
        let r: HTTPResponse
        do throws(RegistryError) {
            r = try await send(call)
        } catch let e where e.code == .oversizedResponse {
            throw RegistryError(
                .oversizedResponse,
                "blob \(descriptor.digest) from \(repo.registry) is longer than its descriptor's \(descriptor.size) bytes; "
                    + "the transfer was stopped at that size",
                registry: e.registry, method: e.method, url: e.url.flatMap(URL.init(string:)))
        }
        guard r.status == 200 else {
            throw await failure(r, call: call, what: "fetching blob \(descriptor.digest.short) from \(repo.name)")
        }
        let computed = ContentDigest(sha256Hex: r.bodySHA256)
        if descriptor.digest.algorithm == "sha256", computed != descriptor.digest || r.bodyLength != descriptor.size {
            throw RegistryError(
                .digestMismatch,
                "blob \(descriptor.digest) from \(repo.registry) is corrupt: got \(r.bodyLength) of \(descriptor.size) "
                    + "bytes hashing to \(computed)",
                registry: repo.registry)
        }
        complete = true
    }

    // MARK: Upload

    /// Uploads one blob, skipping it when present and mounting it from `mountFrom` repositories on the
    /// same registry when possible.
    ///
    /// Monolithic `PUT` by default; chunked `PATCH` with `Content-Range` when the registry is configured
    /// so, above `monolithicMaxMiB`, or after a failed monolithic attempt. A chunked upload that loses its
    /// connection asks the registry for the session's `Range` and resumes from there.
    package func uploadBlob(
        _ source: BlobSource, to repo: ImageReference, mountFrom: [ImageReference] = []
    ) async throws(RegistryError) -> BlobOutcome {
        emit(.blobStarted(digest: source.digest, size: source.length))
        if try await blobSize(repo, source.digest, push: true) != nil {
            emit(.blobFinished(digest: source.digest, size: source.length, outcome: .skipped))
            return .skipped
        }
        for from in mountFrom where from.registry == repo.registry && from.repository != repo.repository {
            if try await mount(source.digest, from: from, to: repo) {
                emit(.blobFinished(digest: source.digest, size: source.length, outcome: .mounted))
                return .mounted
            }
        }
        let settings = options.configuration.settings(for: repo.registry)
        let mode = settings.uploadMode ?? .auto
        let monolithicMax = Int64(settings.monolithicMaxMiB ?? 0) * 1024 * 1024
        let chunk = Int64(max(1, settings.chunkSizeMiB ?? 64)) * 1024 * 1024
        var useChunked = mode == .chunked || (mode == .auto && monolithicMax > 0 && source.length > monolithicMax)
        var attempts = 0
        while true {
            attempts += 1
            let location = try await startUpload(repo)
            do throws(RegistryError) {
                if useChunked {
                    try await chunkedUpload(source, to: repo, location: location, chunkSize: chunk)
                } else {
                    try await monolithicUpload(source, to: repo, location: location)
                }
                emit(.blobFinished(digest: source.digest, size: source.length, outcome: .uploaded))
                return .uploaded
            } catch {
                await cancelUpload(repo, location: location)
                let retryable =
                    [.transport, .serverError, .rateLimited].contains(error.code) || error.status == 413
                    || error.status == 408
                if retryable && attempts < options.retry.maxAttempts {
                    if !useChunked && mode == .auto {
                        useChunked = true
                        emit(
                            .retrying(
                                what: "upload of \(source.digest.short)", attempt: attempts, delay: 0,
                                reason: "monolithic upload failed (\(error.message)); switching to chunked"))
                        continue
                    }
                    let d = options.retry.delay(attempt: attempts)
                    emit(
                        .retrying(
                            what: "upload of \(source.digest.short)", attempt: attempts, delay: d, reason: error.message
                        ))
                    try await sleep(d)
                    continue
                }
                throw error
            }
        }
    }

    /// `POST ?mount=&from=`: true when mounted (201); false (and the session cancelled) otherwise.
    func mount(_ digest: ContentDigest, from: ImageReference, to repo: ImageReference) async throws(RegistryError)
        -> Bool
    {
        var call = Call(
            method: "POST", host: repo.apiHost,
            target: "/v2/\(repo.repository)/blobs/uploads/?mount=\(digest)&from=\(from.repository)")
        call.scopes = [Self.pushScope(repo), Self.pullScope(from)]
        guard let r = try? await send(call) else { return false }
        if r.status == 201 { return true }
        if r.status == 202, let loc = r.headers["Location"] { await cancelUpload(repo, location: loc) }
        return false
    }

    /// `POST /v2/<name>/blobs/uploads/` → the session `Location`.
    func startUpload(_ repo: ImageReference) async throws(RegistryError) -> String {
        var call = Call(method: "POST", host: repo.apiHost, target: "/v2/\(repo.repository)/blobs/uploads/")
        call.scopes = [Self.pushScope(repo)]
        let r = try await send(call)
        guard r.status == 202, let loc = r.headers["Location"] else {
            if r.status == 202 {
                throw RegistryError(
                    .unexpectedResponse, "\(repo.registry) started an upload without a Location",
                    registry: repo.registry)
            }
            throw await failure(r, call: call, what: "starting upload to \(repo.name)")
        }
        return try await absolute(loc, host: repo.apiHost)
    }

    /// Resolves a (possibly relative) `Location` against the registry endpoint.
    func absolute(_ location: String, host: String, relativeTo base: String? = nil) async throws(RegistryError)
        -> String
    {
        let ep = try await endpoint(host)
        let baseURL = base.flatMap { URL(string: $0) } ?? ep.base
        guard let u = URL(string: location, relativeTo: baseURL)?.absoluteURL else {
            throw RegistryError(.unexpectedResponse, "\(host) sent an invalid upload Location", registry: host)
        }
        return u.absoluteString
    }

    static func appendingDigest(_ location: String, _ digest: ContentDigest) -> String {
        location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
    }

    func monolithicUpload(_ source: BlobSource, to repo: ImageReference, location: String) async throws(RegistryError) {
        var call = Call(method: "PUT", host: repo.apiHost, target: Self.appendingDigest(location, source.digest))
        call.headers.set("Content-Type", "application/octet-stream")
        call.body = .file(path: source.path, offset: source.offset, length: source.length)
        call.scopes = [Self.pushScope(repo)]
        call.retry = false
        call.followRedirects = false
        let digest = source.digest
        let size = source.length
        call.progress = { [weak self] p in self?.emit(.blobProgress(digest: digest, bytes: p.sent, size: size)) }
        let r = try await send(call)
        guard r.status == 201 || r.status == 204 || r.status == 200 else {
            if r.status == 400, DistributionError.decode(r.body).contains(where: { $0.code == "DIGEST_INVALID" }),
                let sent = r.sentBodySHA256, sent != source.digest.encoded
            {
                throw RegistryError(
                    .invalidSource,
                    "local blob \(source.digest) in \(source.path) is corrupt (hashes to sha256:\(sent))")
            }
            throw await failure(r, call: call, what: "uploading blob \(source.digest.short) to \(repo.name)")
        }
        try verifyCommitted(r, source: source, repo: repo)
    }

    func verifyCommitted(_ r: HTTPResponse, source: BlobSource, repo: ImageReference) throws(RegistryError) {
        if let sent = r.sentBodySHA256, source.digest.algorithm == "sha256", sent != source.digest.encoded {
            throw RegistryError(
                .invalidSource, "local blob \(source.digest) in \(source.path) is corrupt (hashes to sha256:\(sent))")
        }
        if let header = r.headers["Docker-Content-Digest"],
            let d = try? ContentDigest(header.contains(":") ? header : "sha256:" + header),
            d != source.digest
        {
            throw RegistryError(
                .digestMismatch, "\(repo.registry) committed blob as \(d), expected \(source.digest)",
                registry: repo.registry)
        }
    }

    func chunkedUpload(_ source: BlobSource, to repo: ImageReference, location start: String, chunkSize: Int64)
        async throws(RegistryError)
    {
        var location = start
        var offset: Int64 = 0
        var failures = 0
        var stalls = 0
        let digest = source.digest
        let size = source.length
        while offset < source.length {
            let n = min(chunkSize, source.length - offset)
            var call = Call(method: "PATCH", host: repo.apiHost, target: location)
            call.headers.set("Content-Type", "application/octet-stream")
            call.headers.set("Content-Range", "\(offset)-\(offset + n - 1)")
            call.body = .file(path: source.path, offset: source.offset + offset, length: n)
            call.scopes = [Self.pushScope(repo)]
            call.retry = false
            call.followRedirects = false
            let base = offset
            call.progress = { [weak self] p in
                self?.emit(.blobProgress(digest: digest, bytes: base + p.sent, size: size))
            }
            var problem: String?
            do throws(RegistryError) {
                let r = try await send(call)
                if [201, 202, 204].contains(r.status) {  // ECR answers 201 to PATCH
                    if let loc = r.headers["Location"] {
                        location = try await absolute(loc, host: repo.apiHost, relativeTo: location)
                    }
                    var next = offset + n
                    if let end = Self.rangeEnd(r.headers["Range"]) { next = min(next, end + 1) }
                    if next <= offset {
                        stalls += 1
                        if stalls > 3 {
                            throw RegistryError(
                                .unexpectedResponse,
                                "\(repo.registry) does not advance the upload Range (stuck at \(offset))",
                                registry: repo.registry, hint: "set uploadMode: monolithic for this registry")
                        }
                    } else {
                        stalls = 0
                    }
                    offset = next
                    continue
                }
                if r.status == 416 || RetryPolicy.isRetryable(status: r.status) {
                    problem = "HTTP \(r.status)"
                    if r.status == 429, let after = RetryPolicy.parseRetryAfter(r.headers["Retry-After"]) {
                        try await sleep(min(after, options.retry.maxDelay))
                    }
                } else {
                    throw await failure(
                        r, call: call, what: "uploading chunk of \(source.digest.short) to \(repo.name)")
                }
            } catch  where error.code == .transport {
                problem = error.message
            }
            failures += 1
            if failures >= options.retry.maxAttempts {
                throw RegistryError(
                    .transport, "upload of \(source.digest.short) kept failing: \(problem ?? "")",
                    registry: repo.registry)
            }
            let d = options.retry.delay(attempt: failures)
            emit(
                .retrying(
                    what: "chunk of \(source.digest.short) at \(offset)", attempt: failures, delay: d,
                    reason: problem ?? ""))
            try await sleep(d)
            // Ask the registry where the session stands and resume from there.
            var status = Call(method: "GET", host: repo.apiHost, target: location)
            status.scopes = [Self.pushScope(repo)]
            status.followRedirects = false
            let s = try await send(status)
            guard s.status == 204 || s.status == 202 || s.status == 200 else {
                throw await failure(s, call: status, what: "checking upload status of \(source.digest.short)")
            }
            if let loc = s.headers["Location"] {
                location = try await absolute(loc, host: repo.apiHost, relativeTo: location)
            }
            // "0-0" is what distribution reports for an empty session as well as for one byte: assume empty
            // (re-sending one byte is caught by the final digest check; skipping one would not be).
            let end = Self.rangeEnd(s.headers["Range"])
            offset = end.map { $0 == 0 ? 0 : $0 + 1 } ?? 0
        }
        var call = Call(method: "PUT", host: repo.apiHost, target: Self.appendingDigest(location, source.digest))
        call.scopes = [Self.pushScope(repo)]
        call.headers.set("Content-Type", "application/octet-stream")
        call.followRedirects = false
        let r = try await send(call)
        guard r.status == 201 || r.status == 204 || r.status == 200 else {
            throw await failure(r, call: call, what: "completing upload of \(source.digest.short) to \(repo.name)")
        }
        var unhashed = r
        unhashed.sentBodySHA256 = nil
        try verifyCommitted(unhashed, source: source, repo: repo)
    }

    /// `Range: 0-<end>` (also tolerates a `bytes=` prefix); the inclusive end.
    static func rangeEnd(_ header: String?) -> Int64? {
        guard var h = header?.trimmingCharacters(in: .whitespaces) else { return nil }
        if h.hasPrefix("bytes=") { h.removeFirst(6) }
        let parts = h.split(separator: "-")
        guard parts.count == 2, let end = Int64(parts[1]) else { return nil }
        return end
    }

    /// Best-effort `DELETE <location>` of an abandoned session.
    func cancelUpload(_ repo: ImageReference, location: String) async {
        var call = Call(method: "DELETE", host: repo.apiHost, target: location)
        call.scopes = [Self.pushScope(repo)]
        call.retry = false
        call.followRedirects = false
        _ = try? await send(call)
    }
}

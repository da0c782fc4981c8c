import Foundation
import OCIRegistry
import Synchronization
import Testing

/// A registry with the OCI 1.1 referrers API (scripted: Debian's docker-registry 2.8 has none): envctl uses
/// the API and leaves the `sha256-<hex>` tag schema alone.
@Suite("Referrers API (scripted registry)")
struct ReferrersAPITests {
    /// An in-memory registry that indexes referrers itself and says so with `OCI-Subject`.
    final class ReferrersRegistry: HTTPTransport {
        struct State {
            var blobs: [String: Data] = [:]
            var manifests: [String: (Data, String)] = [:]
            var requests: [String] = []
        }
        let state = Mutex(State())
        var requests: [String] { state.withLock { $0.requests } }

        func respond(_ status: Int, _ body: Data = Data(), _ headers: [String: String] = [:]) -> HTTPResponse {
            var h = HTTPHeaders()
            for (k, v) in headers { h.set(k, v) }
            return HTTPResponse(
                status: status, headers: h, body: body, bodySHA256: ContentDigest.sha256(of: body).encoded)
        }

        func execute(_ request: HTTPRequest, sink: HTTPResponseSink) async throws(TransportError) -> HTTPResponse {
            let path = request.url.path
            let query = request.url.query ?? ""
            state.withLock { $0.requests.append("\(request.method) \(path)") }
            let parts = path.split(separator: "/").map(String.init)
            if path == "/v2/" || path == "/v2" { return respond(200) }
            guard parts.count >= 4 else { return respond(404) }
            let last = parts[parts.count - 1]
            switch (request.method, parts[parts.count - 2]) {
            case ("POST", "blobs") where last == "uploads":
                return respond(202, Data(), ["Location": "/v2/team/train/blobs/uploads/u1"])
            case ("PUT", "uploads"):
                let digest =
                    query.split(separator: "&").first { $0.hasPrefix("digest=") }.map {
                        String($0.dropFirst(7)).removingPercentEncoding ?? ""
                    } ?? ""
                var data = Data()
                if case .file(let p, let offset, let length) = request.body,
                    let h = FileHandle(forReadingAtPath: p)
                {
                    try? h.seek(toOffset: UInt64(offset))
                    data = (try? h.read(upToCount: Int(length))) ?? Data()
                }
                state.withLock { $0.blobs[digest] = data }
                return respond(201, Data(), ["Docker-Content-Digest": digest])
            case ("HEAD", "blobs"), ("GET", "blobs"):
                guard let data = state.withLock({ $0.blobs[last] }) else { return respond(404) }
                return request.method == "HEAD"
                    ? respond(200, Data(), ["Content-Length": "\(data.count)"]) : respond(200, data)
            case ("PUT", "manifests"):
                guard case .bytes(let data) = request.body else { return respond(400) }
                let digest = ContentDigest.sha256(of: data).description
                let type = request.headers["Content-Type"] ?? ""
                state.withLock {
                    $0.manifests[digest] = (data, type)
                    $0.manifests[last] = (data, type)
                }
                var headers = ["Docker-Content-Digest": digest]
                if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let subject = object["subject"] as? [String: Any], let d = subject["digest"] as? String
                {
                    headers["OCI-Subject"] = d
                }
                return respond(201, Data(), headers)
            case ("HEAD", "manifests"), ("GET", "manifests"):
                guard let (data, type) = state.withLock({ $0.manifests[last] }) else { return respond(404) }
                let headers = [
                    "Docker-Content-Digest": ContentDigest.sha256(of: data).description, "Content-Type": type,
                    "Content-Length": "\(data.count)",
                ]
                return request.method == "HEAD" ? respond(200, Data(), headers) : respond(200, data, headers)
            case ("GET", "referrers"):
                let referrers: [[String: Any]] = state.withLock { s in
                    s.manifests.filter { $0.key.hasPrefix("sha256:") }.compactMap { key, value in
                        guard let o = try? JSONSerialization.jsonObject(with: value.0) as? [String: Any],
                            let subject = o["subject"] as? [String: Any], subject["digest"] as? String == last
                        else { return nil }
                        return [
                            "mediaType": value.1, "digest": key, "size": value.0.count,
                            "artifactType": o["artifactType"] as? String ?? "",
                        ]
                    }
                }
                let index: [String: Any] = [
                    "schemaVersion": 2, "mediaType": MediaType.ociIndex, "manifests": referrers,
                ]
                return respond(
                    200, try! JSONSerialization.data(withJSONObject: index), ["Content-Type": MediaType.ociIndex])
            default:
                return respond(404)
            }
        }
    }

    @Test func attachUsesTheReferrersAPIAndNoTagSchema() async throws {
        let registry = ReferrersRegistry()
        let client = RegistryClient(transport: registry)
        let image = Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
                .utf8)
        let repo = try ImageReference(parsing: "127.0.0.1:5999/team/train")
        let digest = try await client.pushManifest(try ManifestBlob(data: image), to: repo.withTag("v1"))
        let sbom = try await client.attach(
            ReferrerArtifact(
                artifactType: "application/vnd.cyclonedx+json", content: Data(#"{"bomFormat":"CycloneDX"}"#.utf8)),
            to: repo.withDigest(digest))
        _ = try await client.attach(
            ReferrerArtifact(artifactType: "application/vnd.in-toto+json", content: Data("{}".utf8)),
            to: repo.withDigest(digest))
        // The registry indexed them (OCI-Subject): envctl never touched the sha256-<hex> tag.
        #expect(!registry.requests.contains { $0.contains("/manifests/sha256-") })
        let found = try await client.referrers(
            of: repo.withDigest(digest), artifactType: "application/vnd.cyclonedx+json")
        #expect(found.map(\.digest) == [sbom.digest])
        #expect(registry.requests.contains("GET /v2/team/train/referrers/\(digest)"))
        #expect(try await client.referrers(of: repo.withDigest(digest), artifactType: nil).count == 2)
    }
}

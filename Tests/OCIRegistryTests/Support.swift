import CurlTransport
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

extension TestRegistry {
    func ref(_ s: String) throws(RegistryError) -> ImageReference { try ImageReference(parsing: "\(host)/\(s)") }

    var credential: RegistryCredential? {
        guard let user, let password else { return nil }
        return RegistryCredential(.basic(username: user, password: password), source: "test")
    }
}

/// The scripted fault registry (Fixtures/fault_registry.py) on loopback.
final class FaultRegistry: @unchecked Sendable {
    let process = Process()
    let log: TemporaryDirectory
    let port: Int
    let redirectPort: Int
    var host: String { "127.0.0.1:\(port)" }

    init(faults: [String] = [], user: String? = nil, password: String? = nil) throws {
        log = try TemporaryDirectory(prefix: "envctl-fault")
        var args = [
            RepoPaths.path("Tests/OCIRegistryTests/Fixtures/fault_registry.py"), "--log", log.path + "/requests.jsonl",
            "--faults", faults.joined(separator: ","),
        ]
        if let user, let password { args += ["--user", user, "--password", password] }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let text = String(decoding: line, as: UTF8.self)
        func value(_ key: String) -> Int? {
            text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix(key + "=") }
                .flatMap { Int($0.dropFirst(key.count + 1)) }
        }
        guard let p = value("PORT"), let r = value("REDIRECT_PORT") else {
            process.terminate()
            throw RegistryError(.localIO, "fault registry did not start: \(text)")
        }
        port = p
        redirectPort = r
    }

    deinit {
        // SIGKILL: the test runner's blocked-signal mask is inherited, so SIGTERM may never arrive.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        log.cleanup()
    }

    struct Entry: Decodable {
        var server: String
        var method: String
        var path: String
        var status: Status
        var auth: Bool
        var range: String?
        /// Bytes written, for `oversize-blobs` GETs.
        var sent: Int?
        /// Whether an `X-Evil` header arrived (a header injected through a token).
        var evil: Bool?
        enum Status: Decodable, Equatable {
            case code(Int), text(String)
            init(from d: any Decoder) throws {
                let c = try d.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .code(i) } else { self = .text(try c.decode(String.self)) }
            }
        }
    }

    var requests: [Entry] {
        guard let data = FileManager.default.contents(atPath: log.path + "/requests.jsonl") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(Entry.self, from: Data($0.utf8))
        }
    }

    func ref(_ s: String) throws(RegistryError) -> ImageReference { try ImageReference(parsing: "\(host)/\(s)") }
}

/// Thread-safe event recorder.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RegistryEvent] = []
    func add(_ e: RegistryEvent) { lock.withLock { items.append(e) } }
    var events: [RegistryEvent] { lock.withLock { items } }
    var warnings: [String] { events.compactMap { if case .warning(let w) = $0 { w } else { nil } } }
    var retries: [String] { events.compactMap { if case .retrying(_, _, _, let r) = $0 { r } else { nil } } }
    /// Everything a CLI could print from these events (to check no secret leaks into it).
    var text: String { events.map { "\($0)" }.joined(separator: "\n") }
}

func makeClient(
    _ config: RegistryConfiguration = RegistryConfiguration(certDirectories: []),
    credentials: [String: RegistryCredential] = [:], events: EventLog? = nil, attempts: Int = 6,
    temporaryDirectory: String? = nil, requestTimeout: Int = 120, retryBudget: Double = 300
) -> RegistryClient {
    var sink: (@Sendable (RegistryEvent) -> Void)?
    if let events { sink = { events.add($0) } }
    var options = RegistryClient.Options(
        configuration: config, credentials: CredentialStore(explicit: credentials, authFiles: []),
        retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.05, maxDelay: 2, maxElapsed: retryBudget),
        concurrency: 4, events: sink)
    options.temporaryDirectory = temporaryDirectory
    options.requestTimeout = requestTimeout
    return RegistryClient.curl(options: options)
}

/// One-image OCI layouts written by `ci/make-oci-layout.sh`.
struct TestLayout {
    let dir: TemporaryDirectory
    var path: String { dir.path }

    /// Writes an image per tag (each with `bytes` of random payload); returns the layout.
    init(tags: [String] = ["v1"], bytes: Int = 4096, compression: String = "gzip") throws {
        dir = try TemporaryDirectory(prefix: "envctl-layout")
        for t in tags {
            let r = try runProcess(
                "bash", [RepoPaths.path("ci/make-oci-layout.sh"), dir.path, t, "\(bytes)", compression])
            guard r.status == 0 else { throw RegistryError(.localIO, "make-oci-layout failed: \(r.stderr)") }
        }
    }

    func digest(_ tag: String) throws -> ContentDigest {
        try OCILayoutSource(directory: path, tag: tag).rootManifest().digest
    }

    /// Adds an OCI index tagged `tag` over the images tagged amd64 and arm64 (as linux/amd64, linux/arm64).
    func addIndex(_ tag: String, amd64: String, arm64: String) throws -> ContentDigest {
        let a = try OCILayoutSource(directory: path, tag: amd64).rootManifest()
        let b = try OCILayoutSource(directory: path, tag: arm64).rootManifest()
        var da = a.descriptor
        da.platform = .linuxAMD64
        var db = b.descriptor
        db.platform = Platform(os: "linux", architecture: "arm64")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(ImageIndex(manifests: [da, db]))
        let digest = ContentDigest.sha256(of: data)
        try data.write(to: URL(fileURLWithPath: "\(path)/blobs/sha256/\(digest.encoded)"))
        let indexURL = URL(fileURLWithPath: path + "/index.json")
        var index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: indexURL))
        index.manifests.append(
            Descriptor(
                mediaType: MediaType.ociIndex, digest: digest, size: Int64(data.count),
                annotations: [OCILayoutSource.refNameAnnotation: tag]))
        try encoder.encode(index).write(to: indexURL)
        return digest
    }

    func cleanup() { dir.cleanup() }
}

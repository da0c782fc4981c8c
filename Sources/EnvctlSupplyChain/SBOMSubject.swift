import Digest
package import EnvctlModel
import Foundation

/// What an SBOM describes: one locked environment, the inputs of its build, and (after a build) the Debian
/// packages its image actually holds. Everything in it comes from the lock or the image, so the same lock,
/// inputs and image give the same document, byte for byte.
package struct SBOMSubject: Sendable, Hashable {
    package var environment: LockedEnvironment
    /// `SOURCE_DATE_EPOCH` is the document's timestamp; the revision and source are recorded as properties.
    package var inputs: BuildInputs
    /// The packages in the built image's dpkg status database; nil when no image was read.
    package var debianPackages: [DebianPackage]?
    /// `envctl <version>`, the tool named as the document's creator.
    package var toolVersion: String

    package init(
        environment: LockedEnvironment, inputs: BuildInputs, debianPackages: [DebianPackage]? = nil,
        toolVersion: String
    ) {
        self.environment = environment
        self.inputs = inputs
        self.debianPackages = debianPackages
        self.toolVersion = toolVersion
    }

    /// The environment's lock hash without its `sha256:` prefix.
    var lockHex: String {
        environment.hash.hasPrefix("sha256:") ? String(environment.hash.dropFirst(7)) : environment.hash
    }

    /// A UUID derived from the lock hash and the installed packages (never random), shaped as a version-5
    /// UUID so CycloneDX's `serialNumber` pattern accepts it. `salt` separates the two formats.
    func derivedUUID(salt: String) -> String {
        var text = "\(salt)\n\(environment.name)\n\(environment.hash)\n"
        for p in debianPackages ?? [] { text += "\(p.name) \(p.version) \(p.architecture)\n" }
        var hex = Array(SHA256.hex(text).prefix(32))
        hex[12] = "5"
        let variant = "89ab"
        hex[16] = variant[variant.index(variant.startIndex, offsetBy: Int(String(hex[16]), radix: 16)! % 4)]
        let s = String(hex)
        func part(_ from: Int, _ to: Int) -> Substring {
            s[s.index(s.startIndex, offsetBy: from)..<s.index(s.startIndex, offsetBy: to)]
        }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }

    /// `SOURCE_DATE_EPOCH` as `2024-05-01T12:00:00Z`.
    var timestamp: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(inputs.sourceDateEpoch)))
    }

    /// The Debian packages sorted by name and architecture.
    var sortedDebianPackages: [DebianPackage]? {
        debianPackages?.sorted { ($0.name, $0.architecture, $0.version) < ($1.name, $1.architecture, $1.version) }
    }

    /// The Python packages sorted by normalised name.
    var sortedPythonPackages: [LockedPackage] {
        environment.pythonPackages.packages.sorted {
            (PythonPackageName.normalized($0.name), $0.version) < (PythonPackageName.normalized($1.name), $1.version)
        }
    }

    /// `deb` purl namespace: `ubuntu` or `debian`, from the lock's `os` (`ubuntu22.04`).
    var debianNamespace: String { environment.os.lowercased().hasPrefix("ubuntu") ? "ubuntu" : "debian" }
}

/// One installed Debian package, as the dpkg status database lists it.
package struct DebianPackage: Sendable, Hashable, Codable {
    package var name: String
    package var version: String
    package var architecture: String

    package init(name: String, version: String, architecture: String) {
        self.name = name
        self.version = version
        self.architecture = architecture
    }

    /// The installed packages in a `/var/lib/dpkg/status` file: stanzas whose `Status` ends in `installed`.
    package static func parseStatus(_ text: String) -> [DebianPackage] {
        var result: [DebianPackage] = []
        for stanza in text.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in stanza.split(separator: "\n", omittingEmptySubsequences: true) {
                guard let first = line.first, first != " ", first != "\t", let colon = line.firstIndex(of: ":") else {
                    continue
                }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let name = fields["Package"], let version = fields["Version"],
                fields["Status"]?.hasSuffix(" installed") == true
            else { continue }
            result.append(DebianPackage(name: name, version: version, architecture: fields["Architecture"] ?? "all"))
        }
        return result.sorted { ($0.name, $0.architecture) < ($1.name, $1.architecture) }
    }
}

/// Package URLs (https://github.com/package-url/purl-spec) for what an environment holds.
package enum PackageURL {
    /// Percent-encodes everything but unreserved characters (`+` in a local version becomes `%2B`).
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The default index, left out of purls (it is the `pypi` type's default repository).
    static let pypiDefaultIndexes: Set<String> = ["https://pypi.org/simple", "https://pypi.org/simple/"]

    /// `pkg:pypi/torch@2.5.1%2Bcu124?repository_url=https%3A%2F%2Fdownload.pytorch.org%2Fwhl%2Fcu124`.
    package static func pypi(_ package: LockedPackage) -> String {
        var purl = "pkg:pypi/\(encode(PythonPackageName.normalized(package.name)))@\(encode(package.version))"
        if let index = package.index, !pypiDefaultIndexes.contains(index) {
            purl += "?repository_url=\(encode(index))"
        }
        return purl
    }

    /// `pkg:oci/cuda@sha256%3A...?repository_url=docker.io%2Fnvidia%2Fcuda&tag=12.4.1-base-ubuntu22.04`.
    package static func oci(_ image: LockedImage) -> String {
        let (repository, tag) = splitReference(image.reference)
        let name = repository.split(separator: "/").last.map(String.init) ?? repository
        var purl = "pkg:oci/\(encode(name.lowercased()))"
        if let digest = image.digest { purl += "@\(encode(digest))" }
        var qualifiers = ["repository_url=\(encode(repository))"]
        if let tag { qualifiers.append("tag=\(encode(tag))") }
        return purl + "?" + qualifiers.sorted().joined(separator: "&")
    }

    /// `pkg:deb/ubuntu/libc6@2.35-0ubuntu3.8?arch=amd64`.
    package static func deb(_ package: DebianPackage, namespace: String) -> String {
        "pkg:deb/\(namespace)/\(encode(package.name))@\(encode(package.version))?arch=\(encode(package.architecture))"
    }

    /// `pkg:generic/nvidia/cuda@12.4.1`.
    package static func generic(namespace: String, name: String, version: String) -> String {
        "pkg:generic/\(encode(namespace))/\(encode(name))@\(encode(version))"
    }

    /// `docker.io/nvidia/cuda:12.4.1` → (`docker.io/nvidia/cuda`, `12.4.1`); a reference without tag gives nil.
    static func splitReference(_ reference: String) -> (repository: String, tag: String?) {
        var ref = reference
        if let at = ref.firstIndex(of: "@") { ref = String(ref[..<at]) }
        let lastSlash = ref.lastIndex(of: "/") ?? ref.startIndex
        if let colon = ref[lastSlash...].lastIndex(of: ":") {
            return (String(ref[..<colon]), String(ref[ref.index(after: colon)...]))
        }
        return (ref, nil)
    }
}

import Foundation

/// A platform an image is built for: `linux/amd64`, `linux/arm64` (OCI `os/architecture[/variant]`).
///
/// `envctl build --platform` builds one image per platform (`--platform` to the builder, so `TARGETARCH` and
/// `TARGETPLATFORM` are set in the Dockerfile) and joins them in one OCI image index.
package struct TargetPlatform: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var os: String
    package var architecture: String
    package var variant: String?

    /// The platforms envctl builds. Another architecture has no stand-in, knowledge rows or tests here.
    package static let supported: [TargetPlatform] = [.linuxAMD64, .linuxARM64]
    package static let linuxAMD64 = TargetPlatform(os: "linux", architecture: "amd64")
    package static let linuxARM64 = TargetPlatform(os: "linux", architecture: "arm64")

    package init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `linux/arm64` (also `linux/arm64/v8`).
    /// - Throws: `badInput` for anything but a supported platform.
    package init(parsing text: String) throws(ImageBuildError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let parsed: TargetPlatform? =
            switch parts.count {
            case 2: TargetPlatform(os: parts[0], architecture: parts[1])
            case 3 where parts[1] == "arm64" && parts[2] == "v8": TargetPlatform(os: parts[0], architecture: parts[1])
            default: nil
            }
        guard let parsed, Self.supported.contains(parsed) else {
            throw ImageBuildError(
                .badInput, step: "build", "unsupported platform '\(text)'",
                hint: "envctl builds \(Self.supported.map(\.description).joined(separator: ", "))")
        }
        self = parsed
    }

    /// A comma-separated list (`linux/amd64,linux/arm64`), sorted and without repeats.
    package static func list(parsing text: String) throws(ImageBuildError) -> [TargetPlatform] {
        var out: Set<TargetPlatform> = []
        for item in text.split(separator: ",") {
            out.insert(try TargetPlatform(parsing: item.trimmingCharacters(in: .whitespaces)))
        }
        guard !out.isEmpty else {
            throw ImageBuildError(.badInput, step: "build", "--platform names no platform", hint: "e.g. linux/amd64")
        }
        return out.sorted()
    }

    package var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }
    /// For file and tag names: `linux-arm64`.
    package var slug: String { description.replacingOccurrences(of: "/", with: "-") }

    package static func < (a: TargetPlatform, b: TargetPlatform) -> Bool { a.description < b.description }

    /// The machine envctl runs on, from `uname -m` (`x86_64` → amd64, `aarch64` → arm64).
    package static var host: TargetPlatform {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return TargetPlatform(os: "linux", architecture: architecture(uname: machine))
    }

    /// The OCI architecture for a `uname -m` machine name (unknown names are kept as they are).
    package static func architecture(uname machine: String) -> String {
        switch machine {
        case "x86_64", "amd64": "amd64"
        case "aarch64", "arm64", "armv8l": "arm64"
        default: machine
        }
    }

    /// Whether an image built for `platforms` (`os/architecture` keys, as a push record holds them) runs on `host`.
    /// - Throws: `badInput` naming the host and the image's platforms when it does not (a GH200 node given an
    ///   amd64-only image).
    package static func check(host: TargetPlatform, in platforms: some Collection<String>, image: String)
        throws(ImageBuildError)
    {
        guard !platforms.isEmpty, !platforms.contains(host.description) else { return }
        throw ImageBuildError(
            .badInput, step: "run",
            "\(image) has no \(host) image (it has \(platforms.sorted().joined(separator: ", "))); this machine is \(host)",
            hint:
                "build it for this platform too: envctl build --platform \((platforms.sorted() + [host.description]).joined(separator: ",")) --push --record"
        )
    }
}

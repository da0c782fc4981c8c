package import EnvctlModel

/// What a Dockerfile depends on besides the lock. All of it is explicit, so the same lock and the
/// same inputs give the same bytes on any machine.
package struct RenderInputs: Sendable, Hashable {
    /// The git revision (`org.opencontainers.image.revision`), repository URL
    /// (`org.opencontainers.image.source`, without credentials) and `SOURCE_DATE_EPOCH` (the image's
    /// `created` time and the builder's file timestamps; envctl uses the commit time, so rebuilding a
    /// commit gives the same image).
    package var build: BuildInputs
    /// Emit BuildKit/buildah cache mounts (`RUN --mount=type=cache`) for apt and pip. Turn off for
    /// builders without them (Docker's legacy builder, `DOCKER_BUILDKIT=0`).
    package var cacheMounts: Bool
    /// Build secrets the pip step mounts (`RUN --mount=type=secret`): a CA bundle and a netrc for a corporate
    /// network (see docs/corporate-networks.md). Only whether each is used shows in the Dockerfile, never its
    /// content; with neither, the Dockerfile is what it was without them.
    package var secrets = BuildSecretMounts()

    package var revision: String? {
        get { build.revision }
        set { build.revision = newValue }
    }
    package var source: String? {
        get { build.source }
        set { build.source = newValue }
    }
    package var sourceDateEpoch: Int {
        get { build.sourceDateEpoch }
        set { build.sourceDateEpoch = newValue }
    }

    package init(_ build: BuildInputs, cacheMounts: Bool = true, secrets: BuildSecretMounts = BuildSecretMounts()) {
        self.build = build
        self.cacheMounts = cacheMounts
        self.secrets = secrets
    }

    package init(revision: String? = nil, source: String? = nil, sourceDateEpoch: Int = 0, cacheMounts: Bool = true) {
        self.init(
            BuildInputs(revision: revision, source: source, sourceDateEpoch: sourceDateEpoch), cacheMounts: cacheMounts)
    }

    /// `SOURCE_DATE_EPOCH` as RFC 3339 UTC (`2024-05-01T12:00:00Z`), computed without a locale.
    package var createdRFC3339: String {
        let secs = sourceDateEpoch
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))Z"
    }
}

/// Which build secrets the pip step mounts. The ids and paths are fixed, so the Dockerfile depends only on
/// whether a CA bundle and a netrc are used.
package struct BuildSecretMounts: Sendable, Hashable {
    package var caBundle: Bool
    package var netrc: Bool

    package init(caBundle: Bool = false, netrc: Bool = false) {
        self.caBundle = caBundle
        self.netrc = netrc
    }

    package static let caID = "envctl-ca"
    package static let netrcID = "envctl-netrc"
    static let caPath = "/run/secrets/envctl-ca.pem"
    static let netrcPath = "/run/secrets/envctl-netrc"

    /// `--mount=type=secret,...` flags, in a fixed order.
    var mounts: [String] {
        (caBundle ? ["--mount=type=secret,id=\(Self.caID),target=\(Self.caPath),mode=0400"] : [])
            + (netrc ? ["--mount=type=secret,id=\(Self.netrcID),target=\(Self.netrcPath),mode=0400"] : [])
    }

    /// Variables set for the pip command only (never `ENV`): pip trusts the bundle and reads the netrc.
    var pipEnvironment: String {
        (caBundle ? "PIP_CERT=\(Self.caPath) SSL_CERT_FILE=\(Self.caPath) " : "")
            + (netrc ? "NETRC=\(Self.netrcPath) " : "")
    }
}

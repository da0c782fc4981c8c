import CBuildStamp

/// Where this binary came from. scripts/release.sh links in the git revision and the build date
/// (SOURCE_DATE_EPOCH, else the commit's date, so rebuilding a commit gives the same binary); a plain
/// `swift build` has neither and says so.
struct BuildStamp: Equatable {
    /// The full git commit id, with `-dirty` when the tree had uncommitted changes; nil in a dev build.
    let revision: String?
    /// UTC, ISO 8601 (`2026-12-04T00:46:13Z`); nil in a dev build.
    let date: String?

    static var current: BuildStamp {
        BuildStamp(
            revision: CBuildStamp_revision().map { String(cString: $0) },
            date: CBuildStamp_date().map { String(cString: $0) })
    }

    var description: String {
        guard let revision, !revision.isEmpty else { return "revision unknown (dev build)" }
        return "revision \(revision), built \(date ?? "unknown")"
    }
}

/// A commit's identity and the few facts envctl shows about it.
package struct CommitInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The full 40-hex object id.
    package var id: String
    /// First line of the message.
    package var summary: String
    package var author: String
    /// Seconds since the epoch (committer time).
    package var time: Int64

    package init(id: String, summary: String, author: String, time: Int64) {
        self.id = id
        self.summary = summary
        self.author = author
        self.time = time
    }

    /// The first 12 hex digits, enough to be unambiguous in any realistic repository.
    package var shortID: String { String(id.prefix(12)) }

    package var description: String { "\(shortID) \(summary)" }
}

/// HEAD and whether the working tree differs from it.
package struct WorkingTreeState: Sendable, Hashable, Codable {
    /// Nil in a repository with no commits yet.
    package var head: String?
    /// True when a tracked file is modified, staged, deleted or renamed. Untracked files do not count,
    /// as with `git describe --dirty`.
    package var dirty: Bool
    /// The paths that make it dirty (repository-relative), sorted.
    package var changedPaths: [String]

    package init(head: String?, dirty: Bool, changedPaths: [String]) {
        self.head = head
        self.dirty = dirty
        self.changedPaths = changedPaths
    }
}

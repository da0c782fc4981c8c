/// A commit's identity and the few facts envctl shows about it.
public struct CommitInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The full 40-hex object id.
    public var id: String
    /// First line of the message.
    public var summary: String
    public var author: String
    /// Seconds since the epoch (committer time).
    public var time: Int64

    public init(id: String, summary: String, author: String, time: Int64) {
        self.id = id
        self.summary = summary
        self.author = author
        self.time = time
    }

    /// The first 12 hex digits, enough to be unambiguous in any realistic repository.
    public var shortID: String { String(id.prefix(12)) }

    public var description: String { "\(shortID) \(summary)" }
}

/// HEAD and whether the working tree differs from it.
public struct WorkingTreeState: Sendable, Hashable, Codable {
    /// Nil in a repository with no commits yet.
    public var head: String?
    /// True when a tracked file is modified, staged, deleted or renamed. Untracked files do not count,
    /// as with `git describe --dirty`.
    public var dirty: Bool
    /// The paths that make it dirty (repository-relative), sorted.
    public var changedPaths: [String]

    public init(head: String?, dirty: Bool, changedPaths: [String]) {
        self.head = head
        self.dirty = dirty
        self.changedPaths = changedPaths
    }
}

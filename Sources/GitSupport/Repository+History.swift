internal import CLibGit2

extension Repository {
    /// Commits reachable from `start` whose version of `path` differs from their parents' (added,
    /// changed or removed), newest first. A merge is listed only when `path` differs from every parent,
    /// as `git log -- path` does.
    package func commits(changing path: String, from start: String = "HEAD", limit: Int = .max) throws(GitError)
        -> [CommitInfo]
    {
        if start == "HEAD" && git_repository_head_unborn(pointer) == 1 { return [] }
        let startCommit = try lookupCommit(start)
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue), "git_revwalk_sorting")
        let rc = git_revwalk_push(walk, git_commit_id(startCommit))
        git_commit_free(startCommit)
        try check(rc, "git_revwalk_push")

        var result: [CommitInfo] = []
        var oid = git_oid()
        while result.count < limit {
            let next = git_revwalk_next(&oid, walk)
            if next == GIT_ITEROVER.rawValue { break }
            try check(next, "git_revwalk_next")
            var commit: OpaquePointer?
            try check(git_commit_lookup(&commit, pointer, &oid), "git_commit_lookup")
            defer { git_commit_free(commit) }
            let mine = try entryID(of: path, in: commit!)
            let parentCount = git_commit_parentcount(commit)
            var changed = true
            if parentCount > 0 {
                for p in 0..<parentCount {
                    var parent: OpaquePointer?
                    try check(git_commit_parent(&parent, commit, p), "git_commit_parent")
                    defer { git_commit_free(parent) }
                    if try entryID(of: path, in: parent!) == mine { changed = false }
                }
            } else {
                changed = mine != nil
            }
            if changed { result.append(info(of: commit!)) }
        }
        return result
    }

    /// The blob id at `path` in a commit's tree, or nil when absent.
    private func entryID(of path: String, in commit: OpaquePointer) throws(GitError) -> String? {
        try withTreeEntry(path, in: commit) { entry throws(GitError) in hex(git_tree_entry_id(entry)) }
    }
}

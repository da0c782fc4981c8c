package import EnvctlModel
import Foundation

/// Where a build's inputs (`BuildInputs`: revision, source, `SOURCE_DATE_EPOCH`) come from when the
/// lock does not record them: the git repository around the project, read with the `git` CLI.
package enum SourceInfo {
    /// Reads HEAD, its commit time and `origin` from the repository containing `directory`.
    package static func detect(in directory: String, runner: ToolRunner = ToolRunner()) -> BuildInputs {
        let env = ProcessInfo.processInfo.environment.merging(runner.environment) { _, new in new }
        var info = BuildInputs(revision: nil, source: nil, sourceDateEpoch: 0)
        if let git = runner.which("git") {
            func read(_ args: [String]) -> String? {
                guard let out = try? runner.capture(git, ["-C", directory] + args), out.status == 0 else { return nil }
                let s = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                return s.isEmpty ? nil : s
            }
            info.revision = read(["rev-parse", "HEAD"])
            if let t = read(["log", "-1", "--format=%ct"]), let n = Int(t) { info.sourceDateEpoch = n }
            // `config`, not `remote get-url`: the latter applies url.*.insteadOf rewrites, which are local to a machine.
            info.source = read(["config", "--get", "remote.origin.url"]).flatMap(normalizeRemote)
        }
        if let s = env["SOURCE_DATE_EPOCH"], let n = Int(s) { info.sourceDateEpoch = n }
        return info
    }

    /// `git@github.com:org/repo.git` and `https://user:token@github.com/org/repo.git` both become
    /// `https://github.com/org/repo`: the same label whichever way the repository was cloned, and
    /// never a credential. Local paths give nil.
    package static func normalizeRemote(_ remote: String) -> String? {
        var r = remote
        if r.hasSuffix(".git") { r.removeLast(4) }
        if r.hasPrefix("git@"), let colon = r.firstIndex(of: ":") {
            let host = r[r.index(r.startIndex, offsetBy: 4)..<colon]
            return "https://\(host)/\(r[r.index(after: colon)...])"
        }
        for scheme in ["https://", "http://", "ssh://", "git://"] where r.hasPrefix(scheme) {
            var rest = Substring(r.dropFirst(scheme.count))
            if let at = rest.firstIndex(of: "@"), let slash = rest.firstIndex(of: "/"), at < slash {
                rest = rest[rest.index(after: at)...]
            }
            return "https://\(rest)"
        }
        return nil
    }
}

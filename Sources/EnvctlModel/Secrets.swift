import Foundation

/// The secrets envctl holds in this process, so that no output shows them.
///
/// Every credential source registers what it holds: registry credentials (flags, `ENVCTL_REGISTRY_PASSWORD`,
/// auth files, credential helpers) when a `RegistryCredential` is made, bearer tokens when a registry hands
/// one out, pipeline tokens when a submitter is made. ``redact(_:)`` replaces each of them, the password
/// part of a URL (`https://user:pass@host`) and well-known token shapes with `<redacted>`. Tool output is
/// redacted where it is cut (``ToolOutput/excerpt(_:maxLines:maxLineLength:)``), and everything the CLI
/// writes to stderr is redacted again as the last line of defence.
package enum Secrets {
    /// What a secret is replaced with.
    package static let placeholder = "<redacted>"
    /// Secrets shorter than this are not registered: replacing every "ab" in output would hide more than it
    /// protects, and a credential that short protects nothing anyway.
    package static let minimumLength = 4
    /// Environment variables whose values are secrets wherever they are set.
    package static let environmentVariables = [
        "ENVCTL_REGISTRY_PASSWORD", "ENVCTL_PIPELINES_TOKEN", "UV_INDEX_PASSWORD", "UV_PUBLISH_PASSWORD",
        "UV_PUBLISH_TOKEN",
    ]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var known: Set<String> = []

    /// Registers `secret` (and, for a multi-line secret, each of its lines) so that output never shows it.
    package static func register(_ secret: String) {
        let parts = [secret] + secret.split(whereSeparator: \.isNewline).map(String.init)
        let kept = parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count >= minimumLength }
        guard !kept.isEmpty else { return }
        lock.withLock { known.formUnion(kept) }
    }

    /// Registers the values of ``environmentVariables`` found in `environment`.
    package static func registerEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        for name in environmentVariables { if let v = environment[name] { register(v) } }
    }

    /// The registered secrets, longest first (a secret containing another is replaced whole).
    package static var registered: [String] {
        lock.withLock { known.sorted { $0.count > $1.count } }
    }

    /// `text` with every registered secret, URL password and well-known token replaced by `<redacted>`.
    package static func redact(_ text: String) -> String {
        var out = text
        for s in registered where out.contains(s) {
            out = out.replacingOccurrences(of: s, with: placeholder)
        }
        out = out.replacing(urlPassword) { m in "\(m.output.1)\(placeholder)@" }
        out = out.replacing(tokenShape) { _ in placeholder }
        return out
    }

    /// `https://user:password@` (and `https://token@`, http, git+https, ftp): the userinfo is replaced. Other
    /// schemes are left alone (`docker://image@sha256:…` names a digest, not a user).
    nonisolated(unsafe) static let urlPassword = #/((?:https?|git\+https?|ftp)://)[^/\s@]+@/#
    /// Tokens whose shape says what they are: GitHub, GitLab, Hugging Face, Slack, AWS access keys, PyPI.
    nonisolated(unsafe) static let tokenShape =
        #/(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}|hf_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|pypi-[A-Za-z0-9_\-]{20,})/#
}

/// Output of the tools envctl drives (uv, buildah, podman, docker, credential helpers, git), cut to what
/// explains a failure before anyone sees it.
package enum ToolOutput {
    /// The lines of `text` that explain a failure: the lines that say `error`, `cause`, `failed`,
    /// `denied` or `not found` when there are any, otherwise the last lines; at most `maxLines` lines of at
    /// most `maxLineLength` characters each, with secrets redacted. Lines left out are counted.
    package static func excerpt(_ text: String, maxLines: Int = 12, maxLineLength: Int = 240) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        let markers = ["error", "cause", "failed", "denied", "not found", "because", "hint", "no such"]
        let explaining = lines.filter { line in
            let l = line.lowercased()
            return markers.contains { l.contains($0) }
        }
        var chosen = explaining.isEmpty ? lines : explaining
        var omitted = lines.count - chosen.count
        if chosen.count > maxLines {
            omitted += chosen.count - maxLines
            chosen = Array(chosen.suffix(maxLines))
        }
        var out = chosen.map { line in
            let red = Secrets.redact(line)
            return red.count > maxLineLength ? String(red.prefix(maxLineLength)) + "…" : red
        }
        if omitted > 0 { out.append("(\(omitted) more line\(omitted == 1 ? "" : "s") of tool output not shown)") }
        return out.joined(separator: "\n")
    }
}

import Foundation

/// Compares `actual` with a committed golden file, or re-records it when `ENVCTL_RECORD_SNAPSHOTS=1`.
///
/// Recording returns a failure message on purpose, so a recorded run never passes silently.
/// Every golden path used is appended to `$ENVCTL_GOLDEN_LOG` when set: ci/test.sh fails on a committed golden
/// file that no test compared (an orphan).
/// - Returns: nil when they match; otherwise a message with a unified-ish diff.
package func goldenMismatch(_ actual: String, goldenPath: String) -> String? {
    let fm = FileManager.default
    logGoldenUse(goldenPath)
    if RepoPaths.recording {
        try? fm.createDirectory(
            atPath: (goldenPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? actual.write(toFile: goldenPath, atomically: true, encoding: .utf8)
        return "recorded \(goldenPath); rerun without ENVCTL_RECORD_SNAPSHOTS to check it"
    }
    guard let expected = fm.contents(atPath: goldenPath).flatMap({ String(data: $0, encoding: .utf8) }) else {
        return "golden file \(goldenPath) is missing; run with ENVCTL_RECORD_SNAPSHOTS=1 to create it"
    }
    if expected == actual { return nil }
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var lines: [String] = ["\(goldenPath) differs (ENVCTL_RECORD_SNAPSHOTS=1 re-records):"]
    for i in 0..<max(e.count, a.count) where (i < e.count ? e[i] : nil) != (i < a.count ? a[i] : nil) {
        if i < e.count { lines.append("-\(i + 1): \(e[i])") }
        if i < a.count { lines.append("+\(i + 1): \(a[i])") }
        if lines.count > 40 { break }
    }
    return lines.joined(separator: "\n")
}

/// Appends `path` (relative to the repository root) as one line to `$ENVCTL_GOLDEN_LOG`. One `write` to an
/// O_APPEND descriptor, so tests running in parallel don't interleave lines.
private func logGoldenUse(_ path: String) {
    guard let log = ProcessInfo.processInfo.environment["ENVCTL_GOLDEN_LOG"], !log.isEmpty else { return }
    let root = RepoPaths.root.standardizedFileURL.path + "/"
    let full = URL(fileURLWithPath: path).standardizedFileURL.path
    let line = Array(((full.hasPrefix(root) ? String(full.dropFirst(root.count)) : full) + "\n").utf8)
    let fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { return }
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

import Foundation
import Yams

/// A PEP 508 requirement as `envctl add` accepts it: a name, optional extras, an optional PEP 440 version
/// specifier and an optional environment marker (`numpy>=1.26,<3`, `jax[cuda12]==0.4.*`, `x; python_version<"3.12"`).
package struct RequirementLine: Sendable, Hashable {
    /// The line as given, trimmed.
    package var text: String
    /// The distribution name as written.
    package var name: String
    /// The name PEP 503 normalised, for matching an existing line.
    package var normalizedName: String { PythonPackageName.normalized(name) }

    /// Checks `text` against PEP 508 (names, extras, PEP 440 specifiers; markers are passed to uv as written).
    /// - Throws: ``DiagnosticsError`` (bad input, 64) saying what is wrong.
    package init(parsing raw: String) throws(DiagnosticsError) {
        func fail(_ why: String) -> DiagnosticsError {
            DiagnosticsError([
                .error(
                    "'\(raw.escapedForMessage)' is not a PEP 508 requirement: \(why)",
                    hint: "write NAME, NAME[EXTRA]SPECIFIER or NAME SPECIFIER; MARKER, e.g. \"numpy>=1.26,<3\"")
            ])
        }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        text = trimmed
        guard !trimmed.contains(where: \.isNewline) else { throw fail("it spans lines") }
        guard
            let nameRange = trimmed.range(
                of: #"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"#, options: .regularExpression)
        else { throw fail("it does not start with a package name") }
        name = String(trimmed[nameRange])
        let markerSplit = trimmed[nameRange.upperBound...].split(
            separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        var rest = (markerSplit.first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        if markerSplit.count == 2, markerSplit[1].trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("the environment marker after ';' is empty")
        }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("'[' has no closing ']'") }
            let extras = rest[rest.index(after: rest.startIndex)..<close].split(
                separator: ",", omittingEmptySubsequences: false)
            for e in extras
            where e.trimmingCharacters(in: .whitespaces).range(
                of: #"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"#, options: .regularExpression) == nil
            {
                throw fail("'\(String(e).escapedForMessage)' is not an extra name")
            }
            rest = String(rest[rest.index(after: close)...]).trimmingCharacters(in: .whitespaces)
        }
        if rest.hasPrefix("@") { throw fail("direct URL references are not pinned by envctl; name a version instead") }
        if rest.hasPrefix("("), rest.hasSuffix(")") { rest = String(rest.dropFirst().dropLast()) }
        guard !rest.isEmpty else { return }
        for clause in rest.split(separator: ",", omittingEmptySubsequences: false) {
            let c = clause.trimmingCharacters(in: .whitespaces)
            guard let first = c.first, "<>=!~".contains(first) else {
                throw fail("'\(c.escapedForMessage)' is not a version clause (expected e.g. '>=1.26' or '==2.5.*')")
            }
        }
        do {
            _ = try VersionSpecifier(parsing: rest, bareMeansSeries: false)
        } catch {
            throw fail(error.message)
        }
    }
}

/// Minimal textual edits to `envctl.yaml` and requirements files: the rest of the user's file (comments, order,
/// quoting, indentation) stays byte for byte. Positions come from the YAML node marks the parser records.
package enum SpecEdit {
    /// Why an edit can't be made textually.
    package static func failure(_ message: String, hint: String? = nil, at location: SourceLocation? = nil)
        -> DiagnosticsError
    {
        DiagnosticsError([.error(message, hint: hint, at: location)])
    }

    /// Replaces the scalar that starts at `location` (1-based line and column) with `value`, quoted as the
    /// original was when it was quoted, else plain when `value` can be plain there.
    package static func replaceScalar(in text: String, at location: SourceLocation, with value: String)
        throws(DiagnosticsError) -> String
    {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard location.line >= 1, location.line <= lines.count else {
            throw failure("cannot find line \(location.line) in \(location.file)", at: location)
        }
        let line = Array(lines[location.line - 1])
        let start = location.column - 1
        guard start >= 0, start < line.count else {
            throw failure("cannot find column \(location.column) in \(location.file)", at: location)
        }
        let inFlow = line[..<start].contains("[")
        let end = scalarEnd(line, from: start, inFlow: inFlow)
        let quote: Character? = line[start] == "\"" || line[start] == "'" ? line[start] : nil
        let replacement = render(value, quote: quote, inFlow: inFlow)
        lines[location.line - 1] = String(line[..<start]) + replacement + String(line[end...])
        return lines.joined(separator: "\n")
    }

    /// Adds `value` to environment `environment`'s `packages:` list: after its last item (flow or block style),
    /// or as a new `packages: [value]` line before the environment's first key when it has no list.
    package static func appendPackage(in text: String, environment: String, value: String, file: String)
        throws(DiagnosticsError) -> String
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw failure("cannot read \(file) as YAML: \(error)")
        }
        guard case .mapping(let top)? = root, case .mapping(let envs)? = top["environments"],
            let envNode = envs[environment]
        else { throw failure("environment '\(environment)' is not in \(file)") }
        guard case .mapping(let env) = envNode, let envMark = envNode.mark else {
            throw failure(
                "environment '\(environment)' in \(file) is not a block mapping envctl can add a line to",
                hint: "add 'packages: [\(value)]' under it by hand")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Yams' composer doesn't keep collection styles; a flow collection's mark is at its '[' or '{'.
        func opens(_ mark: Mark, with bracket: Character) -> Bool {
            guard mark.line >= 1, mark.line <= lines.count else { return false }
            let l = Array(lines[mark.line - 1])
            return mark.column >= 1 && mark.column <= l.count && l[mark.column - 1] == bracket
        }
        guard let list = env["packages"] else {
            guard !opens(envMark, with: "{") else {
                throw failure(
                    "environment '\(environment)' in \(file) is a flow mapping",
                    hint: "add 'packages: [\(value)]' to it by hand")
            }
            let indent = String(repeating: " ", count: envMark.column - 1)
            lines.insert("\(indent)packages: [\(render(value, quote: nil, inFlow: true))]", at: envMark.line - 1)
            return lines.joined(separator: "\n")
        }
        guard case .sequence(let seq) = list, let listMark = list.mark else {
            throw failure("'packages' of environment '\(environment)' in \(file) is not a list")
        }
        if opens(listMark, with: "[") {
            // Insert after the last item, or right after '[' when the list is empty.
            let (line, column): (Int, Int)
            if let last = seq.last, let m = last.mark {
                let chars = Array(lines[m.line - 1])
                (line, column) = (m.line, scalarEnd(chars, from: m.column - 1, inFlow: true))
                var l = chars
                l.insert(contentsOf: ", " + render(value, quote: nil, inFlow: true), at: column)
                lines[line - 1] = String(l)
            } else {
                var l = Array(lines[listMark.line - 1])
                guard let open = l[(listMark.column - 1)...].firstIndex(of: "[") else {
                    throw failure("cannot find '[' of 'packages' in \(file)", at: nil)
                }
                l.insert(contentsOf: render(value, quote: nil, inFlow: true), at: open + 1)
                lines[listMark.line - 1] = String(l)
            }
            return lines.joined(separator: "\n")
        }
        guard let last = seq.last, let m = last.mark else {
            throw failure("'packages' of environment '\(environment)' in \(file) is empty")
        }
        let chars = Array(lines[m.line - 1])
        let prefix = String(chars[..<(m.column - 1)])
        let dash =
            prefix.trimmingCharacters(in: .whitespaces) == "-"
            ? prefix : String(repeating: " ", count: max(0, m.column - 3)) + "- "
        lines.insert(dash + render(value, quote: nil, inFlow: false), at: m.line)
        return lines.joined(separator: "\n")
    }

    /// A requirements file with the line for `requirement`'s package replaced (its trailing comment kept), or the
    /// requirement appended when no line names that package.
    package static func setRequirement(in text: String, _ requirement: RequirementLine) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, line) in lines.enumerated() {
            let body = line.components(separatedBy: " #").first ?? line
            let trimmed = body.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("-"),
                let existing = try? RequirementLine(parsing: trimmed.hasSuffix("\\") ? "" : trimmed),
                existing.normalizedName == requirement.normalizedName
            else { continue }
            let indent = line.prefix { $0 == " " || $0 == "\t" }
            let comment = line.dropFirst(body.count)
            let gap = body.reversed().prefix { $0 == " " || $0 == "\t" }
            lines[i] = indent + requirement.text + String(gap.reversed()) + comment
            return lines.joined(separator: "\n")
        }
        if lines.last == "" { lines.removeLast() }
        lines.append(requirement.text)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The index just past the scalar starting at `start`: a quoted scalar's closing quote, else a plain scalar's
    /// end (before ` #`, and in a flow list before `,` or `]`), trailing spaces excluded.
    static func scalarEnd(_ line: [Character], from start: Int, inFlow: Bool) -> Int {
        if line[start] == "\"" {
            var i = start + 1
            while i < line.count {
                if line[i] == "\\" {
                    i += 2
                    continue
                }
                if line[i] == "\"" { return i + 1 }
                i += 1
            }
            return line.count
        }
        if line[start] == "'" {
            var i = start + 1
            while i < line.count {
                if line[i] == "'" {
                    if i + 1 < line.count, line[i + 1] == "'" {
                        i += 2
                        continue
                    }
                    return i + 1
                }
                i += 1
            }
            return line.count
        }
        var i = start
        while i < line.count {
            if line[i] == "#", i > start, line[i - 1] == " " || line[i - 1] == "\t" { break }
            if inFlow, line[i] == "," || line[i] == "]" { break }
            i += 1
        }
        while i > start, line[i - 1] == " " || line[i - 1] == "\t" { i -= 1 }
        return i
    }

    /// `value` as a YAML scalar: in the given quote style, else plain when that is safe, else double-quoted.
    static func render(_ value: String, quote: Character?, inFlow: Bool) -> String {
        if quote == "'" { return "'" + value.replacingOccurrences(of: "'", with: "''") + "'" }
        let plainSafe =
            value.range(of: #"^[A-Za-z0-9][A-Za-z0-9._=<>!~*-]*$"#, options: .regularExpression) != nil
            && !(inFlow && value.contains(","))
        if quote == nil, plainSafe { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }
}

/// Checks and quoting for every lock value that reaches a Dockerfile.
///
/// Mustache's own escaping is HTML escaping, which means nothing to a Dockerfile, so envctl renders
/// with escaping off and hands templates only values that went through here: identifiers are checked
/// against a narrow character set and rejected otherwise; free text is rejected if it holds a control
/// character (a newline would start a new instruction) and otherwise double-quoted with `\`, `"`
/// and `$` escaped, so the Dockerfile parser reads exactly the original string.
package enum DockerfileSafety {
    /// Rejects `value` unless every character is in `allowed` and it matches `first`'s rule for its
    /// first character.
    static func identifier(
        _ value: String, what: String, allowed: (Character) -> Bool, firstAllowed: ((Character) -> Bool)? = nil,
        example: String
    ) throws(TemplateError) -> String {
        guard let first = value.first, firstAllowed.map({ $0(first) }) ?? allowed(first), value.allSatisfy(allowed)
        else {
            throw TemplateError(
                .unsafeValue, "\(what) \(describe(value)) is not allowed in a Dockerfile",
                hint: "expected something like '\(example)'; fix the spec and run 'envctl lock' again")
        }
        return value
    }

    static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    /// A Python distribution name (PEP 508): letters, digits, `.`, `_`, `-`.
    package static func packageName(_ s: String) throws(TemplateError) -> String {
        try identifier(
            s, what: "Python package name", allowed: { isAlnum($0) || "._-".contains($0) },
            firstAllowed: isAlnum, example: "torch")
    }

    /// A pinned version (PEP 440 public + local): letters, digits, `.`, `+`, `!`, `_`, `-`.
    package static func packageVersion(_ s: String) throws(TemplateError) -> String {
        try identifier(
            s, what: "version", allowed: { isAlnum($0) || ".+!_-".contains($0) }, firstAllowed: isAlnum,
            example: "2.5.1+cu124")
    }

    /// `sha256:<64 hex>` (also sha384/sha512, which pip accepts).
    package static func hash(_ s: String) throws(TemplateError) -> String {
        let parts = s.split(separator: ":", maxSplits: 1)
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard parts.count == 2, let n = lengths[String(parts[0])], parts[1].count == n,
            parts[1].allSatisfy({ $0.isHexDigit && ($0.isNumber || $0.isLowercase) })
        else {
            throw TemplateError(
                .unsafeValue, "hash \(describe(s)) is not a sha256/sha384/sha512 digest",
                hint: "expected 'sha256:' followed by 64 lowercase hex digits")
        }
        return s
    }

    /// A Debian package, optionally `=version` and/or `:arch`: `libgl1`, `libgl1=1.4.0-1`.
    package static func aptPackage(_ s: String) throws(TemplateError) -> String {
        try identifier(
            s, what: "apt package", allowed: { isAlnum($0) || "+.-=:~".contains($0) },
            firstAllowed: { $0.isASCII && ($0.isLowercase || $0.isNumber) }, example: "libgl1=1.4.0-1")
    }

    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    package static func envName(_ s: String) throws(TemplateError) -> String {
        try identifier(
            s, what: "environment variable name", allowed: { isAlnum($0) || $0 == "_" },
            firstAllowed: { ($0.isASCII && $0.isLetter) || $0 == "_" }, example: "HF_HOME")
    }

    /// A name that also appears in comments and tags: `[A-Za-z0-9][A-Za-z0-9._-]*`.
    package static func simpleName(_ s: String, what: String) throws(TemplateError) -> String {
        try identifier(
            s, what: what, allowed: { isAlnum($0) || "._-".contains($0) }, firstAllowed: isAlnum,
            example: "train")
    }

    /// A dotted numeric version: `12.4.1`, `3.11`.
    package static func dottedVersion(_ s: String, what: String) throws(TemplateError) -> String {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 4,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else {
            throw TemplateError(
                .unsafeValue, "\(what) \(describe(s)) is not a dotted version", hint: "expected e.g. '12.4.1'")
        }
        return s
    }

    /// An image reference `host[:port]/path[:tag][@sha256:hex]`, per the distribution reference grammar.
    package static func imageReference(_ s: String) throws(TemplateError) -> String {
        let allowed: (Character) -> Bool = { isAlnum($0) || "._-/:@".contains($0) }
        _ = try identifier(
            s, what: "image reference", allowed: allowed, firstAllowed: isAlnum,
            example: "docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:...")
        let (name, digest) = s.split(separator: "@", maxSplits: 1).map(String.init).pair
        if let digest { _ = try hash(digest) }
        guard !name.contains("@"), !name.hasSuffix("/"), !name.contains("//") else {
            throw TemplateError(.unsafeValue, "image reference \(describe(s)) is malformed")
        }
        return s
    }

    /// An http(s) URL with no whitespace, quotes, `$`, backslash or backtick.
    package static func url(_ s: String, what: String) throws(TemplateError) -> String {
        let allowed: (Character) -> Bool = { isAlnum($0) || "-._~:/?#[]@!&()*+,;=%".contains($0) }
        guard s.hasPrefix("https://") || s.hasPrefix("http://"), s.allSatisfy(allowed) else {
            throw TemplateError(
                .unsafeValue, "\(what) \(describe(s)) is not a plain http(s) URL",
                hint: "URLs may not contain spaces, quotes, '$', '\\' or backticks")
        }
        return s
    }

    /// Free text as one double-quoted Dockerfile word (ENV and LABEL values).
    ///
    /// - Throws: `unsafeValue` for control characters: Dockerfiles have no escape for a newline
    ///   inside a value, and a raw one would start a new instruction.
    package static func quoted(_ s: String, what: String) throws(TemplateError) -> String {
        if let bad = s.unicodeScalars.first(where: {
            $0.value < 0x20 || $0.value == 0x7f || (0x80...0x9f).contains($0.value) || $0 == "\u{2028}"
                || $0 == "\u{2029}"
        }) {
            throw TemplateError(
                .unsafeValue,
                "\(what) \(describe(s)) contains the control character U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(4)), which a Dockerfile cannot hold",
                hint: "newlines, carriage returns, tabs and other control characters are rejected, not escaped")
        }
        var out = "\""
        for c in s {
            switch c {
            case "\\", "\"", "$": out.append("\\"); out.append(c)
            default: out.append(c)
            }
        }
        out.append("\"")
        return out
    }

    /// One word of a Dockerfile JSON array (exec-form ENTRYPOINT and CMD, COPY): a JSON string with `"` and `\`
    /// escaped. Control characters are rejected as in ``quoted(_:what:)``.
    package static func jsonWord(_ s: String, what: String) throws(TemplateError) -> String {
        _ = try quoted(s, what: what)
        var out = "\""
        for c in s {
            switch c {
            case "\\", "\"": out.append("\\"); out.append(c)
            default: out.append(c)
            }
        }
        out.append("\"")
        return out
    }

    /// The value as Swift would print it, so an invisible newline shows up as `\n` in the message.
    static func describe(_ s: String) -> String {
        let shown = s.count > 80 ? String(s.prefix(77)) + "..." : s
        return "\"" + shown.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}

extension Array where Element == String {
    fileprivate var pair: (String, String?) { (self[0], count > 1 ? self[1] : nil) }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: Swift.max(0, n - count)) + self }
}

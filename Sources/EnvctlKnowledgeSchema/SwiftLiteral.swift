/// Swift source text for generated code.
package enum SwiftLiteral {
    /// `text` as a raw string literal that needs no escaping: enough `#`s that no `"#…` or `\#…` inside it
    /// ends the literal or starts an escape. Multi-line text becomes a multi-line literal that keeps every byte,
    /// trailing newline included.
    package static func raw(_ text: String) -> String {
        var longest = 0
        var run = 0
        for c in text.unicodeScalars {
            run = c == "#" ? run + 1 : 0
            longest = max(longest, run)
        }
        let hashes = String(repeating: "#", count: longest + 1)
        if text.contains("\n") || text.contains("\r") {
            // The literal drops the newline right after its opening and right before its closing delimiter;
            // the extra "\n" keeps the text's own last line break.
            return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
        }
        return "\(hashes)\"\(text)\"\(hashes)"
    }
}

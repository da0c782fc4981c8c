// Build-time generator for the built-in Dockerfile templates, run by Plugins/TemplatesPlugin.
//
//   envctl-template-embedder <output.swift> <template.mustache>...
//
// Writes `let builtinTemplates: [String: String]`, name (file name without `.mustache`) -> text, byte for byte.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: envctl-template-embedder <output.swift> <template.mustache>...\n".utf8))
    exit(2)
}

/// `text` as a raw string literal that needs no escaping (see EnvctlKnowledgeSchema's SwiftLiteral; this tool
/// has no dependencies so that it builds in seconds).
func rawLiteral(_ text: String) -> String {
    var longest = 0
    var run = 0
    for c in text.unicodeScalars {
        run = c == "#" ? run + 1 : 0
        longest = max(longest, run)
    }
    let hashes = String(repeating: "#", count: longest + 1)
    // The literal drops the newline right after its opening and right before its closing delimiter.
    return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
}

var entries: [(name: String, text: String)] = []
for path in arguments.dropFirst(2) {
    let url = URL(fileURLWithPath: path)
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("\(path): error: cannot read the template as UTF-8\n".utf8))
        exit(1)
    }
    entries.append((url.deletingPathExtension().lastPathComponent, text))
}
entries.sort { $0.name < $1.name }

var source = """
    // Generated at build time by envctl-template-embedder (Plugins/TemplatesPlugin) from templates/. Do not edit;
    // not committed.

    /// envctl's own templates: name (file name without `.mustache`) -> Mustache text.
    let builtinTemplates: [String: String] = [

    """
for (name, text) in entries {
    let key = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    source += "    \"\(key)\": \(rawLiteral(text)),\n"
}
source += entries.isEmpty ? "    :]\n" : "]\n"

do {
    try source.write(toFile: arguments[1], atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("\(arguments[1]): error: \(error)\n".utf8))
    exit(1)
}

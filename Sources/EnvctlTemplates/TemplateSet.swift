import EnvctlModel
import Foundation
import Mustache

/// The templates a render uses: envctl's built-in ones, with a user's files laid over them.
///
/// A user directory may hold whole family templates (`torch.mustache`) or single blocks
/// (`_system-setup.mustache`, `_app.mustache`, ...): a file replaces the built-in of the same name
/// and everything else stays built-in, so one block can change without forking a template.
package struct TemplateSet: Sendable {
    /// Name → Mustache text.
    package private(set) var sources: [String: String]
    /// Names that came from a user directory rather than the built-ins.
    package private(set) var overridden: Set<String> = []

    /// envctl's own templates, compiled into the binary from `templates/`.
    package static var builtin: TemplateSet { TemplateSet(sources: builtinTemplates) }

    package init(sources: [String: String]) { self.sources = sources }

    /// The built-ins overlaid with every `*.mustache` file directly inside `directory`.
    /// - Throws: `TemplateError` (`.template`) when the directory cannot be read.
    package static func builtin(overlaidWith directory: String?) throws(TemplateError) -> TemplateSet {
        var set = TemplateSet.builtin
        guard let directory else { return set }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw TemplateError(
                .template, "cannot read templates directory '\(directory)'",
                hint: "pass an existing directory to --templates-dir")
        }
        // Each file follows the rule for repository paths (`SpecPath`): a regular file (a FIFO would block,
        // a device never end) whose real path stays in the repository holding the directory.
        let realDirectory = SpecPath.realPath(directory) ?? directory
        let root = SpecPath.repositoryRoot(containing: realDirectory)
        for file in names.sorted() where file.hasSuffix(".mustache") {
            let path = (directory as NSString).appendingPathComponent(file)
            let data: Data
            do {
                data = try SpecPath.resolve(Located(file), base: realDirectory, root: root, what: "template").read()
            } catch {
                throw TemplateError(
                    .template, "\(path): " + error.diagnostics.map(\.message).joined(separator: "; "))
            }
            guard let text = String(data: data, encoding: .utf8)
            else { throw TemplateError(.template, "cannot read template '\(path)': it is not UTF-8 text") }
            let name = String(file.dropLast(".mustache".count))
            set.sources[name] = text
            set.overridden.insert(name)
        }
        return set
    }

    /// Family templates: names without a leading underscore (partials/blocks start with `_`).
    package var families: [String] { sources.keys.filter { !$0.hasPrefix("_") }.sorted() }

    /// A Mustache library with HTML escaping turned off in every template (see `DockerfileSafety`).
    /// - Throws: `TemplateError` when a template does not parse or the partials include each other
    ///   (`checkPartials`): swift-mustache would recurse until the stack runs out.
    func library() throws(TemplateError) -> MustacheLibrary {
        try checkPartials()
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in sources {
            do {
                // swift-mustache resets partials to HTML escaping; the pragma in each one turns it off.
                // It renders as nothing, and it is on the template's first line so line numbers hold.
                templates[name] = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
            } catch {
                throw TemplateError(.template, "\(origin(of: name)) '\(name).mustache' does not parse: \(error)")
            }
        }
        return MustacheLibrary(templates: templates)
    }
}

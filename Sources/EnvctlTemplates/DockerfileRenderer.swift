package import EnvctlModel
import Mustache

/// Renders a Dockerfile for one locked environment.
///
/// The output follows from the lock and `RenderInputs` alone: no clock, no environment variables,
/// no dictionary iteration order. Every lock value reaches the template through `DockerfileSafety`.
package struct DockerfileRenderer: Sendable {
    package var templates: TemplateSet

    /// Where the venv lives in both stages.
    package static let venvDir = "/opt/envctl/venv"
    /// The image's non-root user.
    package static let user = (name: "envctl", uid: 1000)

    package init(templates: TemplateSet = .builtin) { self.templates = templates }

    /// The family template for an environment: `plain` for a plain environment, else its framework (`torch`,
    /// `tensorflow`, `jax`), or `cuda`.
    package static func templateName(for env: LockedEnvironment) -> String {
        env.isPlain ? "plain" : env.framework?.name ?? "cuda"
    }

    /// Renders the Dockerfile.
    /// - Parameters:
    ///   - env: The locked environment.
    ///   - inputs: Git revision/source, `SOURCE_DATE_EPOCH`, cache-mount switch.
    ///   - template: A family name to use instead of the one the lock implies.
    /// - Returns: The Dockerfile text, ending in a newline.
    /// - Throws: `TemplateError` for unsafe values, an inconsistent lock, or a broken template.
    package func render(_ env: LockedEnvironment, inputs: RenderInputs, template: String? = nil)
        throws(TemplateError) -> String
    {
        let name = template ?? Self.templateName(for: env)
        guard templates.sources[name] != nil, !name.hasPrefix("_") else {
            throw TemplateError(
                .template, "no template named '\(name)'",
                hint:
                    "available: \(templates.families.joined(separator: ", ")); add \(name).mustache to --templates-dir")
        }
        let context = try Self.context(for: env, inputs: inputs, templateName: name)
        let library = try templates.library()
        guard let text = library.render(context, withTemplate: name) else {
            throw TemplateError(.template, "template '\(name)' rendered nothing")
        }
        return Self.normalize(text)
    }

    /// Trailing spaces removed, runs of blank lines collapsed, exactly one final newline, so user
    /// block overrides with stray blank lines still give tidy, stable output.
    static func normalize(_ text: String) -> String {
        var out: [Substring] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw
            while line.last == " " || line.last == "\t" { line = line.dropLast() }
            if line.isEmpty && (out.last?.isEmpty ?? true) { continue }
            out.append(line)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }
}

import EnvctlModel
import EnvctlTemplates
import EnvctlTestSupport
import Foundation
import Testing

@Suite struct TemplateOverrideTests {
    @Test func blockOverrideChangesOnlyThatBlock() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write(
            "_system-setup.mustache", "# team setup for {{environmentName}}\nRUN echo configured > /etc/team\n")
        let set = try TemplateSet.builtin(overlaidWith: dir.path)
        #expect(set.overridden == ["_system-setup"])
        let custom = try DockerfileRenderer(templates: set).render(LockFixtures.torch, inputs: LockFixtures.inputs)
        let stock = try DockerfileRenderer().render(LockFixtures.torch, inputs: LockFixtures.inputs)
        #expect(custom.contains("# team setup for train\nRUN echo configured > /etc/team\n"))
        // Removing the two added lines gives back the stock Dockerfile: nothing else changed.
        let stripped = custom.replacingOccurrences(
            of: "# team setup for train\nRUN echo configured > /etc/team\n", with: "")
        #expect(stripped == stock)
    }

    @Test func familyOverrideAndUnknownTemplate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("cuda.mustache", "{{> _header}}\n# my own family\n")
        let set = try TemplateSet.builtin(overlaidWith: dir.path)
        let text = try DockerfileRenderer(templates: set).render(LockFixtures.plainCUDA, inputs: LockFixtures.inputs)
        #expect(text.hasSuffix("# my own family\n"))
        let error = #expect(throws: TemplateError.self) {
            try DockerfileRenderer().render(LockFixtures.torch, inputs: LockFixtures.inputs, template: "pytorch")
        }
        #expect(error?.message.contains("no template named 'pytorch'") == true)
    }

    @Test func brokenUserTemplateIsReported() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("_app.mustache", "{{#unclosed}}\n")
        let set = try TemplateSet.builtin(overlaidWith: dir.path)
        let error = #expect(throws: TemplateError.self) {
            try DockerfileRenderer(templates: set).render(LockFixtures.torch, inputs: LockFixtures.inputs)
        }
        #expect(error?.message.contains("your template '_app.mustache'") == true)
    }

    /// Mustache escaping is off: a `{{var}}` in a user template gets the Dockerfile-safe value, not HTML.
    @Test func noHTMLEscapingInPartials() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("_app.mustache", "LABEL x={{labels.title}}\n")
        let set = try TemplateSet.builtin(overlaidWith: dir.path)
        let text = try DockerfileRenderer(templates: set).render(LockFixtures.torch, inputs: LockFixtures.inputs)
        #expect(text.contains("LABEL x=\"envctl environment train\"\n"))
        #expect(!text.contains("&quot;"))
    }

    @Test func builtinsMatchTemplatesDirectory() throws {
        // The compiled-in copy (generated at build time by Plugins/TemplatesPlugin) must equal templates/.
        let files = try FileManager.default.contentsOfDirectory(atPath: RepoPaths.path("templates"))
            .filter { $0.hasSuffix(".mustache") }
        let fromDisk = try TemplateSet.builtin(overlaidWith: RepoPaths.path("templates"))
        #expect(Set(files.map { String($0.dropLast(9)) }) == Set(TemplateSet.builtin.sources.keys))
        #expect(fromDisk.sources == TemplateSet.builtin.sources, "the TemplatesPlugin output differs from templates/")
    }
}

import EnvctlModel
import EnvctlTemplates
import EnvctlTestSupport
import Foundation
import Testing

/// A template that includes itself, directly or through others, is bad input, not a stack overflow.
@Suite struct PartialCycleTests {
    func renderError(_ files: [String: String]) throws -> TemplateError? {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        for (name, text) in files { try dir.write(name, text) }
        let set = try TemplateSet.builtin(overlaidWith: dir.path)
        return #expect(throws: TemplateError.self) {
            try DockerfileRenderer(templates: set).render(LockFixtures.torch, inputs: LockFixtures.inputs)
        }
    }

    @Test func selfInclusionIsReported() throws {
        let error = try renderError(["_app.mustache": "{{#env}}{{> _app}}{{/env}}\n"])
        #expect(error?.failureKind == .badInput)
        #expect(error?.message == "your template '_app.mustache' includes itself: _app -> _app")
    }

    @Test func mutualInclusionIsReported() throws {
        let error = try renderError([
            "_app.mustache": "{{> _b}}\n", "_b.mustache": "{{#x}}{{>_c}}{{/x}}\n", "_c.mustache": "{{> _app }}\n",
        ])
        #expect(
            error?.message
                == "templates '_app.mustache', '_b.mustache', '_c.mustache' include each other: _app -> _b -> _c -> _app"
        )
    }

    @Test func cycleBehindChangedDelimitersAndParents() throws {
        let delimiters = try renderError(["_app.mustache": "{{=<% %>=}}\n<%> _app%>\n"])
        #expect(delimiters?.message.contains("_app -> _app") == true)
        let parent = try renderError(["_app.mustache": "{{<_app}}{{/_app}}\n"])
        #expect(parent?.message.contains("_app -> _app") == true)
        let dynamic = try renderError(["_app.mustache": "{{>*name}}\n"])
        #expect(dynamic?.message.contains("dynamic partial") == true)
    }

    @Test func depthIsBounded() throws {
        var files = ["_app.mustache": "{{> _n0}}\n"]
        for i in 0..<40 { files["_n\(i).mustache"] = "{{> _n\(i + 1)}}\n" }
        let error = try renderError(files)
        #expect(error?.message.contains("nest deeper than 32 levels") == true)
        // A shallow chain renders.
        var set = TemplateSet.builtin
        set = TemplateSet(
            sources: set.sources.merging(["_app": "{{> _n0}}", "_n0": "{{> _n1}}", "_n1": "# deep\n"]) {
                $1
            })
        let text = try DockerfileRenderer(templates: set).render(LockFixtures.torch, inputs: LockFixtures.inputs)
        #expect(text.contains("# deep\n"))
    }

    @Test func builtinsHaveNoCycles() throws {
        try TemplateSet.builtin.checkPartials()
        #expect(try TemplateSet.builtin.partialGraph.values.contains { !$0.isEmpty })
    }
}

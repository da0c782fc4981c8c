import EnvctlModel
import EnvctlTemplates
import EnvctlTestSupport
import Foundation
import Testing

/// Files in a templates directory follow the rule for repository paths: regular files inside the repository.
@Suite struct TemplatePathTests {
    @Test func aFIFOTemplateIsRefusedWithoutBeingOpened() throws {
        let dir = try TemporaryDirectory(prefix: "envctl-tpl")
        defer { dir.cleanup() }
        #expect(mkfifo(dir.path + "/_app.mustache", 0o600) == 0)
        do {
            _ = try TemplateSet.builtin(overlaidWith: dir.path)
            Issue.record("a FIFO template was accepted")
        } catch {
            #expect(error.failureKind == .badInput)
            #expect(error.description.contains("is a FIFO, not a regular file"))
        }
    }

    @Test func aTemplateSymlinkedOutOfTheRepositoryIsRefused() throws {
        let repo = try GitFixture()
        defer { repo.cleanup() }
        let outside = try TemporaryDirectory(prefix: "envctl-tpl-outside")
        defer { outside.cleanup() }
        try outside.write("_app.mustache", TestSecrets.requirementsToken)
        try FileManager.default.createDirectory(
            atPath: repo.path + "/.envctl/templates", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: repo.path + "/.envctl/templates/_app.mustache", withDestinationPath: outside.path + "/_app.mustache"
        )
        do {
            _ = try TemplateSet.builtin(overlaidWith: repo.path + "/.envctl/templates")
            Issue.record("a template outside the repository was read")
        } catch {
            #expect(error.description.contains("is outside the repository"))
            #expect(!error.description.contains(TestSecrets.requirementsToken))
        }
    }
}

// Runs envctl-knowledge-generator over knowledge/builtin.yaml for the target that uses this plugin
// (EnvctlKnowledge), writing BuiltinKnowledge.generated.swift into the plugin's work directory. SwiftPM
// reruns it whenever the YAML changes, so the compiled-in knowledge base can't go stale and nothing generated
// is committed. Same shape as swift-openapi-generator's OpenAPIGenerator plugin.
import Foundation
import PackagePlugin

@main
struct KnowledgeBasePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "knowledge/builtin.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltinKnowledge.generated.swift")
        return [
            .buildCommand(
                displayName: "Generating the built-in knowledge base from knowledge/builtin.yaml",
                executable: try context.tool(named: "envctl-knowledge-generator").url,
                arguments: [input.path, output.path],
                inputFiles: [input],
                outputFiles: [output])
        ]
    }
}

// Runs envctl-template-embedder over templates/*.mustache for the target that uses this plugin
// (EnvctlTemplates), writing BuiltinTemplates.generated.swift into the plugin's work directory.
//
// A build-tool plugin rather than `.embedInCode` resources: those must live inside the target's directory,
// while templates/ stays at the package's top level, where users find and copy it. The plugin is evaluated on
// every build, so an added or removed template is picked up too; each file is a declared input.
import Foundation
import PackagePlugin

@main
struct TemplatesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "templates")
        let templates = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "mustache" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltinTemplates.generated.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(templates.count) templates from templates/",
                executable: try context.tool(named: "envctl-template-embedder").url,
                arguments: [output.path] + templates.map(\.path),
                inputFiles: templates,
                outputFiles: [output])
        ]
    }
}

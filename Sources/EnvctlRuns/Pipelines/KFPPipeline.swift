import EnvctlModel
import Foundation
package import Yams

/// A KFP v2 compiled pipeline (IR YAML): the `PipelineSpec` document and, optionally, the kfp-kubernetes
/// platform spec in a second document. Only the parts envctl touches are interpreted; everything else
/// is carried through as YAML nodes.
package struct KFPPipeline: @unchecked Sendable {
    /// Comment lines before the first document (`# PIPELINE DEFINITION …`), kept on output.
    package var header: String
    package var spec: Node
    /// Documents after the first (the platform spec), unchanged.
    package var otherDocuments: [Node]

    package var name: String { spec["pipelineInfo"]?["name"]?.string ?? "pipeline" }
    package var description: String? { spec["pipelineInfo"]?["description"]?.string }
    package var schemaVersion: String? { spec["schemaVersion"]?.string }
    package var platformSpec: Node? { otherDocuments.first { $0["platforms"] != nil } }

    /// Parses and checks that this is a compiled KFP v2 pipeline.
    package static func parse(_ text: String, file: String) throws(RunsError) -> KFPPipeline {
        let documents: [Node]
        do {
            documents = try BoundedYAML.composeAll(text, file: file, limits: .pipeline)
        } catch {
            let overLimit = error.diagnostics.contains { $0.message.contains("the limit for") }
            throw RunsError(
                .badInput, "\(file.escapedForMessage): \(overLimit ? "refused" : "not valid YAML")", cause: error)
        }
        let file = file.escapedForMessage
        guard let first = documents.first, first.mapping != nil else {
            throw RunsError(.badInput, "\(file): not a KFP pipeline: expected a YAML mapping (a compiled PipelineSpec)")
        }
        if first["apiVersion"]?.string?.hasPrefix("pipelines.kubeflow.org") == true {
            throw RunsError(
                .badInput,
                "\(file): Kubernetes-manifest pipelines (kind \(first["kind"]?.string?.escapedForMessage ?? "?")) are not supported yet",
                hint: "compile without kubernetes_manifest_format=True to get the IR YAML")
        }
        let missing = ["pipelineInfo", "deploymentSpec", "root"].filter { first[$0] == nil }
        guard missing.isEmpty, first["deploymentSpec"]?["executors"]?.mapping != nil else {
            throw RunsError(
                .badInput,
                "\(file): not a KFP v2 compiled pipeline (IR YAML): missing \(missing.isEmpty ? "deploymentSpec.executors" : missing.joined(separator: ", "))",
                hint: "compile the pipeline with kfp.compiler.Compiler().compile(pipeline, 'pipeline.yaml')")
        }
        var header = ""
        var rest = Substring(text)
        while rest.hasPrefix("#") {
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            header += rest[..<end] + "\n"
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        return KFPPipeline(header: header, spec: first, otherDocuments: Array(documents.dropFirst()))
    }

    /// Container executors: label → (image, command + args).
    package var containerExecutors: [(label: String, image: String, command: [String])] {
        guard let executors = spec["deploymentSpec"]?["executors"]?.mapping else { return [] }
        return executors.compactMap { key, value in
            guard let label = key.string, let container = value["container"], let image = container["image"]?.string
            else { return nil }
            let command =
                (container["command"]?.array(of: String.self) ?? []) + (container["args"]?.array(of: String.self) ?? [])
            return (label, image, command)
        }
    }

    /// Sets executors' images (executor label → image) in one pass over the executors: a lookup and a
    /// copy per executor would make pinning quadratic in the number of executors.
    mutating func setImages(_ images: [String: String]) {
        guard !images.isEmpty, case .mapping(var deployment)? = spec["deploymentSpec"],
            case .mapping(let executors)? = deployment["executors"]
        else { return }
        var pairs: [(Node, Node)] = []
        pairs.reserveCapacity(executors.count)
        for (key, value) in executors {
            guard let label = key.string, let image = images[label], case .mapping(var executor) = value,
                case .mapping(var container)? = executor["container"]
            else {
                pairs.append((key, value))
                continue
            }
            container["image"] = Node(image)
            executor["container"] = .mapping(container)
            pairs.append((key, .mapping(executor)))
        }
        deployment["executors"] = .mapping(
            Node.Mapping(pairs, executors.tag, executors.style, executors.mark, executors.anchor))
        spec["deploymentSpec"] = .mapping(deployment)
    }

    /// The root input parameter's default value, if any.
    func rootParameterDefault(_ name: String) -> String? {
        spec["root"]?["inputDefinitions"]?["parameters"]?[name]?["defaultValue"]?.string
    }

    func hasRootParameter(_ name: String) -> Bool { spec["root"]?["inputDefinitions"]?["parameters"]?[name] != nil }

    mutating func setRootParameterDefault(_ name: String, _ value: String) {
        spec["root"]?["inputDefinitions"]?["parameters"]?[name]?["defaultValue"] = Node(value)
        spec["root"]?["inputDefinitions"]?["parameters"]?[name]?["isOptional"] = Node("true", Tag(.bool))
    }

    /// YAML text: the header comments, then every document (`---` between them).
    package func yaml() throws -> String {
        header + (try serialize(nodes: [spec] + otherDocuments, width: -1, allowUnicode: true))
    }

    /// The spec as JSON-compatible values (for REST bodies).
    package func jsonObject(_ node: Node? = nil) -> Any {
        let node = node ?? spec
        switch node {
        case .scalar(let s):
            if s.style == .plain || s.style == .any {
                switch s.string {
                case "true": return true
                case "false": return false
                case "null", "~": return NSNull()
                default: break
                }
                if let i = Int(s.string) { return i }
                if let d = Double(s.string), s.string.contains(".") || s.string.contains("e") { return d }
            }
            return s.string
        case .mapping(let m):
            var out: [String: Any] = [:]
            for (k, v) in m { out[k.string ?? ""] = jsonObject(v) }
            return out
        case .sequence(let seq):
            return seq.map { jsonObject($0) }
        case .alias:
            return NSNull()
        }
    }
}

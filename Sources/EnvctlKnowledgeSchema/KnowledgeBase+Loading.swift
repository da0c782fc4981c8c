package import EnvctlModel
import Foundation

extension KnowledgeBase {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
        date = try c.decodeIfPresent(String.self, forKey: .date) ?? ""
        sources = try c.decodeIfPresent([String: SourceEntry].self, forKey: .sources) ?? [:]
        cuda = try c.decodeIfPresent([CUDARelease].self, forKey: .cuda) ?? []
        cudnn = try c.decodeIfPresent([CuDNNRelease].self, forKey: .cudnn) ?? []
        python = try c.decodeIfPresent([PythonRelease].self, forKey: .python) ?? []
        osPython = try c.decodeIfPresent([OSPython].self, forKey: .osPython) ?? []
        pythonBuilds = try c.decodeIfPresent([PythonBuild].self, forKey: .pythonBuilds) ?? []
        architectures = try c.decodeIfPresent([GPUArchitecture].self, forKey: .architectures) ?? []
        gpus = try c.decodeIfPresent([GPUModel].self, forKey: .gpus) ?? []
        gpuDrivers = try c.decodeIfPresent([GPUDriverSupport].self, forKey: .gpuDrivers) ?? []
        frameworks = try c.decodeIfPresent([String: FrameworkFamily].self, forKey: .frameworks) ?? [:]
        platformWheels = try c.decodeIfPresent([PlatformWheels].self, forKey: .platformWheels) ?? []
        images = try c.decodeIfPresent(CUDAImages.self, forKey: .images) ?? CUDAImages(repository: "", tags: [])
    }

    /// Compact JSON with sorted keys, so it is byte-stable: what the build compiles in as the built-in knowledge base.
    package func canonicalJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Parses and validates one knowledge-base file (the built-in one or a user's addition).
    package static func load(yaml: String, file: String) throws(DiagnosticsError) -> KnowledgeBase {
        let kb = try LocatedYAMLDecoder.decode(KnowledgeBase.self, from: yaml, file: file, limits: .knowledge)
        let problems = kb.validate(file: file)
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        return kb
    }

    package static func load(fileAt path: String) throws(DiagnosticsError) -> KnowledgeBase {
        let data: Data
        do {
            data = try BoundedFile.contents(of: path, limit: InputLimits.knowledgeBytes)
        } catch {
            throw DiagnosticsError([
                .error("cannot read knowledge file '\(path)': \(error.reason(what: "a knowledge file"))")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticsError([.error("cannot read knowledge file '\(path)': it is not UTF-8 text")])
        }
        return try load(yaml: text, file: path)
    }

    /// Checks that every row names a known source; returns diagnostics (empty when fine).
    func validate(file: String) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func check(_ p: Provenance, _ what: String) {
            for s in p.source where sources[s] == nil && !s.hasPrefix("http") && !s.contains(" ") {
                problems.append(
                    .error(
                        "\(what): source '\(s)' is not defined under 'sources:'",
                        hint: "add it under sources: with a url, or write the URL itself",
                        at: SourceLocation(file: file, line: 1, column: 1)))
            }
        }
        for r in cuda { check(r.provenance, "cuda \(r.version)") }
        for r in cudnn { check(r.provenance, "cudnn \(r.version)") }
        for r in python { check(r.provenance, "python \(r.version)") }
        for r in osPython { check(r.provenance, "os_python \(r.os) \(r.python)") }
        for r in pythonBuilds {
            check(r.provenance, "python_builds \(r.version)")
            let at = SourceLocation(file: file, line: 1, column: 1)
            if r.version.isPrerelease {
                problems.append(
                    .error(
                        "python_builds \(r.version): a pre-release is never pinned", hint: "list final releases only",
                        at: at))
            }
            for (platform, archive) in r.platforms.sorted(by: { $0.key < $1.key }) {
                if archive.sha256.count != 64 || !archive.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                    problems.append(
                        .error(
                            "python_builds \(r.version) \(platform): sha256 '\(archive.sha256.escapedForMessage)' is not 64 lowercase hex digits",
                            hint: "copy it from the release's SHA256SUMS or uv's download metadata; never invent one",
                            at: at))
                }
                if !(archive.url.hasPrefix("https://") || archive.url.hasPrefix("http://"))
                    || archive.url.split(separator: "/").count < 5
                {
                    problems.append(
                        .error(
                            "python_builds \(r.version) \(platform): url '\(archive.url.escapedForMessage)' is not an http(s) URL ending in <build>/<file>",
                            at: at))
                }
            }
        }
        for r in architectures { check(r.provenance, "architecture \(r.sm)") }
        for r in gpus { check(r.provenance, "gpu \(r.name)") }
        for r in gpuDrivers { check(r.provenance, "gpu_drivers \(r.row.key)") }
        for (name, fam) in frameworks {
            for r in fam.releases { check(r.provenance, "\(name) \(r.version)") }
        }
        for r in images.tags { check(r.provenance, "image tags for CUDA \(r.cuda)") }
        for r in platformWheels {
            check(r.provenance, "platform_wheels \(r.row.key)")
            if !ContainerPlatform.known.contains(r.platform) || r.platform == ContainerPlatform.amd64 {
                problems.append(
                    .error(
                        "platform_wheels \(r.row.key): platform must be \(ContainerPlatform.arm64) (the framework rows describe \(ContainerPlatform.amd64))",
                        at: SourceLocation(file: file, line: 1, column: 1)))
            }
            for (variant, archs) in r.archs.sorted(by: { $0.key < $1.key }) {
                if !r.variants.contains(variant) {
                    problems.append(
                        .error(
                            "platform_wheels \(r.row.key): archs names variant '\(variant.escapedForMessage)', which is not in its variants",
                            at: SourceLocation(file: file, line: 1, column: 1)))
                }
                for a in archs where ArchTarget(a) == nil {
                    problems.append(
                        .error(
                            "platform_wheels \(r.row.key): '\(a.escapedForMessage)' in archs of \(variant.escapedForMessage) is not an architecture like \"9.0\" or \"12.0+PTX\"",
                            at: SourceLocation(file: file, line: 1, column: 1)))
                }
            }
        }
        for r in gpus {
            if let p = r.platform, !ContainerPlatform.known.contains(p) {
                problems.append(
                    .error(
                        "gpu \(r.name): platform '\(p.escapedForMessage)' is not one of \(ContainerPlatform.known.joined(separator: ", "))",
                        at: SourceLocation(file: file, line: 1, column: 1)))
            }
        }
        return problems
    }
}

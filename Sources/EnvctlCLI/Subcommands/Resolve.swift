import ArgumentParser
import EnvctlKnowledge
import EnvctlLocking
import EnvctlModel
import EnvctlResolver
import Foundation

extension EnvctlCommand {
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Solve the GPU stack for each environment, without network access or writing files.",
            discussion: """
                Shows the framework build, CUDA, cuDNN, Python, OS, driver floor and base images that envctl would lock, and why. When nothing fits, prints numbered reasons and what would work, and exits 1.

                Examples:
                  envctl resolve
                  envctl resolve --env train --json | jq .environments.train.cuda

                """)

        @OptionGroup var specOptions: SpecOptions

        @Option(name: .long, help: "Only this environment.")
        var env: String?

        @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
        var json = false

        func run() async throws {
            do {
                let (spec, kb) = try specOptions.load()
                let resolutions = try Resolver(knowledgeBase: kb).resolve(spec, environment: env)
                let solved = Dictionary(
                    resolutions.map { r in (r.environment, Locker.skeleton(spec.environment(named: r.environment)!, r))
                    },
                    uniquingKeysWith: { a, _ in a })
                // In spec order; a plain environment (`kind: plain`) shows its fields, having no stack to solve.
                var locked: [LockedEnvironment] = []
                for e in spec.environments where env == nil || e.name == env {
                    if e.isPlain {
                        locked.append(try Locker.plainSkeleton(e, spec: spec))
                    } else if let s = solved[e.name] {
                        locked.append(s)
                    }
                }
                if json {
                    Terminal.stdout(try ResolutionJSON.render(locked))
                } else {
                    Terminal.stdout(locked.map { ResolutionText.render($0) }.joined(separator: "\n"))
                }
            } catch {
                throw ErrorPresentation.present(error)
            }
        }
    }
}

/// The `resolve --json` shape. Keys are part of envctl's interface: add, never rename.
enum ResolutionJSON {
    static func object(_ e: LockedEnvironment) -> [String: Any] {
        if e.isPlain {
            // `kind: plain`: no stack; the base and what the spec adds.
            return [
                "kind": "plain", "base_image": e.images.base.pinnedReference, "apt": e.apt,
                "copy": e.copy.map { ["from": $0.from, "to": $0.to] }, "warnings": e.warnings,
            ]
        }
        var framework: Any = NSNull()
        if let f = e.framework {
            var fw: [String: Any] = [
                "name": f.name, "version": f.version, "variant": f.variant, "package": f.package,
                "index_url": f.indexURL.map { $0 as Any } ?? NSNull(), "companions": f.companions,
            ]
            fw["extra"] = f.extra.map { $0 as Any } ?? NSNull()
            framework = fw
        }
        var driver: [String: Any] = ["compatibility": e.driver.compatibility.rawValue]
        driver["minimum"] = e.driver.minimum.map { $0 as Any } ?? NSNull()
        driver["full_compatibility"] = e.driver.fullCompatibility.map { $0 as Any } ?? NSNull()
        func image(_ i: LockedImage) -> Any { i.pinnedReference }
        var object: [String: Any] = [
            "framework": framework, "cuda": e.cuda, "cudnn": e.cudnn.map { $0 as Any } ?? NSNull(), "python": e.python,
            "os": e.os, "driver": driver, "archs": e.archs, "base_image": image(e.images.base),
            "builder_image": image(e.images.builder), "cuda_libraries": e.cudaLibraries, "reasons": e.reasons,
            "warnings": e.warnings, "platforms": e.platforms,
        ]
        if let rt = e.pythonRuntime { object["python_runtime"] = pythonRuntime(rt) }
        return object
    }

    /// `source` and exact `version`; for standalone the build tag, the `linux/amd64` archive's `url` and `sha256`
    /// (the canonical upstream URL, before any mirror) and every platform's under `platforms`; for os the package.
    static func pythonRuntime(_ rt: LockedPythonRuntime) -> [String: Any] {
        var o: [String: Any] = ["source": rt.source, "version": rt.version]
        if let b = rt.build { o["build"] = b }
        if let f = rt.flavour { o["flavour"] = f }
        if let p = rt.package { o["package"] = p }
        let primary = rt.platforms["linux/amd64"] ?? rt.platforms.keys.sorted().first.flatMap { rt.platforms[$0] }
        if let a = primary {
            o["url"] = a.url
            o["sha256"] = a.sha256
            o["platforms"] = rt.platforms.mapValues { ["url": $0.url, "sha256": $0.sha256] }
        }
        return o
    }

    static func render(_ envs: [LockedEnvironment]) throws -> String {
        var all: [String: Any] = [:]
        for e in envs { all[e.name] = object(e) }
        let data = try JSONSerialization.data(
            withJSONObject: ["environments": all], options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Human output of a resolution.
enum ResolutionText {
    static func render(_ e: LockedEnvironment) -> String {
        if e.isPlain { return renderPlain(e) }
        var head: [String] = []
        if let f = e.framework { head.append(f.label) }
        head.append("CUDA \(e.cuda)")
        if let c = e.cudnn { head.append("cuDNN \(c)") }
        if let rt = e.pythonRuntime, rt.source == "standalone" {
            head.append("Python \(rt.version) (python-build-standalone \(rt.build ?? "?"))")
        } else {
            head.append("Python \(e.python)\(e.pythonRuntime?.package.map { " (OS package \($0))" } ?? "")")
        }
        head.append(e.os)
        var lines = ["\(Terminal.bold(e.name))  \(head.joined(separator: " · "))"]
        let driver: String
        switch e.driver.compatibility {
        case .full: driver = ">= \(e.driver.fullCompatibility ?? "?") (full compatibility)"
        case .minorVersion:
            driver =
                ">= \(e.driver.minimum ?? "?") (minor-version compatibility, no PTX JIT; \(e.driver.fullCompatibility ?? "?") for full)"
        case .unchecked:
            driver =
                ">= \(e.driver.minimum ?? "?") (\(e.driver.fullCompatibility ?? "?") for full compatibility; no fleet driver given)"
        }
        lines.append("  driver    \(driver)")
        if !e.archs.isEmpty { lines.append("  archs     \(e.archs.joined(separator: ", "))") }
        if e.platforms != [ContainerPlatform.amd64] {
            lines.append("  platforms \(e.platforms.joined(separator: ", "))")
        }
        if let f = e.framework {
            lines.append("  index     \(f.indexURL ?? "default index")")
            let comps = f.companions.keys.sorted().map { "\($0) \(f.companions[$0]!)" }
            if !comps.isEmpty { lines.append("  with      \(comps.joined(separator: ", "))") }
        }
        lines.append("  libraries CUDA from \(e.cudaLibraries)")
        lines.append("  base      \(e.images.base.pinnedReference)")
        lines.append("  builder   \(e.images.builder.pinnedReference)")
        if !e.pythonPackages.packages.isEmpty {
            lines.append("  packages  \(e.pythonPackages.packages.count) pinned with hashes")
        }
        lines.append("  why")
        lines += e.reasons.map { "    - \($0)" }
        if !e.warnings.isEmpty {
            lines.append("  \(Terminal.yellow("warnings"))")
            lines += e.warnings.map { "    - \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// A plain environment (`kind: plain`): its base, apt packages and copies; no stack.
    static func renderPlain(_ e: LockedEnvironment) -> String {
        var lines = ["\(Terminal.bold(e.name))  plain (no CUDA, no Python)"]
        lines.append("  base      \(e.images.base.pinnedReference)")
        if !e.apt.isEmpty { lines.append("  apt       \(e.apt.joined(separator: ", "))") }
        for c in e.copy { lines.append("  copy      \(c.from) -> \(c.to)") }
        if !e.warnings.isEmpty {
            lines.append("  \(Terminal.yellow("warnings"))")
            lines += e.warnings.map { "    - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

package import EnvctlModel
import Foundation
package import OCIRegistry

/// How one executor's image was pinned.
package struct ExecutorPin: Sendable, Hashable, Codable {
    package var executor: String
    package var original: String
    package var pinned: String
    /// `environment <name>`, `registry`, `already pinned`, or `parameter <name>`.
    package var source: String
}

package struct PinResult: @unchecked Sendable {
    package var pipeline: KFPPipeline
    package var pins: [ExecutorPin]
    package var warnings: [String]
    /// Environments whose digests the pipeline uses (for labels and the run record).
    package var environments: [LockedEnvironment]
}

/// Rewrites every executor image of a compiled KFP pipeline to a digest.
///
/// * an image whose repository is an environment's `image` gets that environment's pushed digest;
/// * any other image is resolved through the registry with `pinExternal`, or rejected in one list;
/// * an image taken from a pipeline parameter (`{{$.inputs.parameters['pipelinechannel--x']}}`) is pinned
///   by rewriting the parameter's default value;
/// * executors that `pip install` at start-up get a warning: the digest does not pin those packages.
package struct PipelinePinner: Sendable {
    package var lock: Lockfile
    package var registry: (any ImageRegistry)?
    package var pinExternal: Bool
    /// Digests already chosen for images of no environment (image as written → pinned reference), used
    /// before the registry: `reproduce` pins external images to what the original run used, even if
    /// their tags moved since.
    package var knownPins: [String: String]

    package init(lock: Lockfile, registry: (any ImageRegistry)?, pinExternal: Bool, knownPins: [String: String] = [:]) {
        self.lock = lock
        self.registry = registry
        self.pinExternal = pinExternal
        self.knownPins = knownPins
    }

    ///
    /// One pass over the executors: each distinct image is validated and looked up once (lock, run
    /// record, registry), and the new images are written back in one pass at the end, so the time
    /// grows with the number of executors, not its square (bench/pipeline-pin-scale.sh).
    package func pin(_ input: KFPPipeline, file: String) async throws(RunsError) -> PinResult {
        var pipeline = input
        var pins: [ExecutorPin] = []
        var rejected: [String] = []
        var warnings: [String] = []
        var used: [LockedEnvironment] = []
        var resolvedCache: [String: (String, String)?] = [:]
        var newImages: [String: String] = [:]
        var newDefaults: [String: String] = [:]
        let shown = file.escapedForMessage
        // Environment images by canonical repository name; the first environment of a name wins.
        var environmentsByName: [String: LockedEnvironment] = [:]
        for env in lock.environments {
            guard let image = env.image else { continue }
            let key = ImageReference.canonicalName(image)
            if environmentsByName[key] == nil { environmentsByName[key] = env }
        }

        func pinned(_ image: String, executor label: String) async throws(RunsError) -> (String, String)? {
            if let hit = resolvedCache[image] { return hit }
            // The one reference parser decides what an image is; anything it refuses is bad input.
            do {
                _ = try ImageReference(parsing: image)
            } catch {
                throw RunsError(
                    .badInput, "\(shown): executor \(label.escapedForMessage): the image is not a valid reference",
                    cause: error)
            }
            var result: (String, String)?
            let parts = ImageReference.components(of: image)
            if let digest = parts.digest {
                guard ImageReference.isSHA256Digest(digest) else {
                    throw RunsError(
                        .badInput,
                        "\(shown): image '\(image.escapedForMessage)' has a malformed digest (expected sha256: and 64 lowercase hex digits)"
                    )
                }
                result = (image, "already pinned")
            } else if let env = environmentsByName[ImageReference.canonicalName(parts.name)] {
                guard let pushed = env.pushed, ImageReference.isSHA256Digest(pushed.digest) else {
                    throw RunsError(
                        .badInput,
                        "\(shown): image '\(image.escapedForMessage)' belongs to environment '\(env.name)', which has no pushed digest in the lock",
                        hint:
                            "run 'envctl build --push --record' for '\(env.name)' first (it records the digest in envctl.lock)"
                    )
                }
                if !used.contains(where: { $0.name == env.name }) { used.append(env) }
                let written = ImageReference.components(of: pushed.reference)
                result = (
                    "\(written.name)\(written.tag.map { ":\($0)" } ?? "")@\(pushed.digest)", "environment \(env.name)"
                )
            } else if let known = knownPins[image] {
                result = (known, "run record")
            } else if pinExternal {
                guard let registry else {
                    throw RunsError(
                        .missingTool, "--pin-external needs a registry client, and none is available",
                        hint:
                            "the registries config ($ENVCTL_REGISTRIES_CONFIG or ~/.config/envctl/registries.yaml) could not be read"
                    )
                }
                let digest = try await registry.resolveDigest(reference: image)
                result = ("\(image)@\(digest)", "registry")
            }
            resolvedCache[image] = result
            return result
        }

        for executor in pipeline.containerExecutors {
            let label = executor.label.escapedForMessage
            if let parameter = Self.parameterName(inPlaceholder: executor.image) {
                let parameterShown = parameter.escapedForMessage
                guard pipeline.hasRootParameter(parameter) else {
                    rejected.append(
                        "\(label): image comes from '\(parameterShown)', which is not a pipeline parameter (a task output cannot be pinned ahead of time)"
                    )
                    continue
                }
                guard let value = pipeline.rootParameterDefault(parameter) else {
                    rejected.append(
                        "\(label): image comes from pipeline parameter '\(parameterShown)', which has no default to pin"
                    )
                    continue
                }
                if let (p, source) = try await pinned(value, executor: executor.label) {
                    newDefaults[parameter] = p
                    pins.append(
                        ExecutorPin(
                            executor: executor.label, original: executor.image, pinned: p,
                            source: "parameter \(parameter) (\(source))"))
                    warnings.append(
                        "\(label): image is the pipeline parameter '\(parameterShown)'; its default is now \(p.escapedForMessage), but a run that passes another value is not pinned"
                    )
                } else {
                    rejected.append(
                        "\(label): \(value.escapedForMessage) (default of parameter '\(parameterShown)')")
                }
            } else if let (p, source) = try await pinned(executor.image, executor: executor.label) {
                newImages[executor.label] = p
                pins.append(ExecutorPin(executor: executor.label, original: executor.image, pinned: p, source: source))
            } else {
                rejected.append("\(label): \(executor.image.escapedForMessage)")
            }
            let packages = Self.runtimePipInstalls(executor.command)
            if !packages.isEmpty {
                warnings.append(
                    "\(label): installs \(packages.joined(separator: " ").escapedForMessage) with pip when the step starts; the image digest does not pin them (bake them into the image, or compile with install_kfp_package=False and no packages_to_install)"
                )
            }
        }
        pipeline.setImages(newImages)
        for (parameter, value) in newDefaults { pipeline.setRootParameterDefault(parameter, value) }
        if !rejected.isEmpty {
            let envRepos = lock.environments.compactMap(\.image)
            throw RunsError(
                .badInput,
                "\(shown): \(rejected.count) executor image(s) are not from a locked environment:\n"
                    + rejected.map { "  - \($0)" }.joined(separator: "\n"),
                hint:
                    "environments' repositories: \(envRepos.isEmpty ? "(none)" : envRepos.joined(separator: ", ")); pass --pin-external to resolve other images to digests through the registry"
            )
        }
        // Keep the human header honest: defaults shown there must match the pinned spec.
        for (parameter, value) in newDefaults.sorted(by: { $0.key < $1.key }) {
            if let original = input.rootParameterDefault(parameter) {
                pipeline.header = pipeline.header.replacingOccurrences(of: original, with: value)
            }
        }
        if !pipeline.header.isEmpty { pipeline.header += "# Images pinned to digests by envctl.\n" }
        return PinResult(pipeline: pipeline, pins: pins, warnings: warnings, environments: used)
    }

    /// `x` for `{{$.inputs.parameters['pipelinechannel--x']}}`.
    static func parameterName(inPlaceholder image: String) -> String? {
        guard image.hasPrefix("{{$.inputs.parameters["), image.hasSuffix("]}}") else { return nil }
        var name = image.dropFirst("{{$.inputs.parameters[".count).dropLast(3)
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))[...]
        if name.hasPrefix("pipelinechannel--") { name = name.dropFirst("pipelinechannel--".count) }
        return String(name)
    }

    /// Quoted requirement strings after `pip install` in an executor's command, excluding flags.
    static func runtimePipInstalls(_ command: [String]) -> [String] {
        var found: [String] = []
        for part in command where part.contains("pip install") {
            for segment in part.components(separatedBy: "pip install").dropFirst() {
                let clause = segment.components(separatedBy: "&&").first ?? segment
                var inQuote = false
                var current = ""
                for ch in clause {
                    if ch == "'" {
                        if inQuote && !current.hasPrefix("-") && !current.contains(";") { found.append(current) }
                        inQuote.toggle()
                        current = ""
                    } else if inQuote {
                        current.append(ch)
                    }
                }
            }
        }
        return found
    }
}

import EnvctlKnowledge
package import EnvctlModel

/// The solved stack for one environment.
package struct Resolution: Sendable, Hashable {
    package struct Framework: Sendable, Hashable {
        package var name: FrameworkName
        package var version: Version
        package var variant: String
        package var package: String
        /// Canonical index URL for the build (nil: default index).
        package var indexURL: String?
        package var extra: String?
        package var companions: [String: Version]
    }

    package var environment: String
    package var framework: Framework?
    /// Full CUDA version of the images (e.g. 12.4.1).
    package var cuda: Version
    package var cudnn: Version?
    package var python: Version
    /// The exact interpreter: a python-build-standalone build with its archives for ``platforms``, or the OS package.
    package var pythonRuntime: LockedPythonRuntime
    package var os: String
    package var driverMinimum: Version?
    package var driverFull: Version?
    package var compatibility: LockedDriver.Compatibility
    /// Fleet GPU architectures (`sm_80`), or the build's list when no fleet GPUs were given.
    package var archs: [String]
    package var cudaLibraries: CUDALibrarySource
    package var baseImage: String
    package var builderImage: String
    package var reasons: [String]
    package var warnings: [String]
    /// The container platforms the environment is for (`linux/amd64` first); the lock pins each.
    package var platforms: [String] = Resolution.defaultPlatforms

    /// The platform of a spec that names no arm64 GPU and no `platforms:`.
    package static let defaultPlatforms = [ContainerPlatform.amd64]
}

/// The user constraints the resolver checks, in the order reports name them.
package enum ConstraintKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case framework, cuda, cudnn, python, os, driver, gpus, platforms, images

    package static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// Why no combination satisfies an environment: the rejected candidates and what relaxing one constraint would give.
package struct ResolutionFailure: Error, Sendable, Hashable {
    package var environment: String
    /// Numbered sentences, ready to print.
    package var sentences: [String]
    package var suggestions: [String]

    package init(environment: String, sentences: [String], suggestions: [String]) {
        self.environment = environment
        self.sentences = sentences
        self.suggestions = suggestions
    }

    /// The report printed on stderr.
    package var report: String {
        var lines = ["error: no combination satisfies environment '\(environment)'"]
        for (i, s) in sentences.enumerated() { lines.append("  \(i + 1). \(s)") }
        if suggestions.isEmpty {
            lines.append("  No single change to the spec fixes this; see the reasons above.")
        } else {
            lines.append("  What would work:")
            for s in suggestions { lines.append("    - \(s)") }
        }
        return lines.joined(separator: "\n")
    }
}

/// Every environment that failed, plus spec problems found while resolving (unknown GPUs...).
package struct ResolverError: Error, Sendable, Hashable, CustomStringConvertible {
    package var failures: [ResolutionFailure]
    package var diagnostics: [Diagnostic]

    package init(failures: [ResolutionFailure], diagnostics: [Diagnostic]) {
        self.failures = failures
        self.diagnostics = diagnostics
    }

    package var description: String {
        (diagnostics.map(\.description) + failures.map(\.report)).joined(separator: "\n")
    }
}

extension ResolverError: EnvctlFailure {
    /// Diagnostics alone (a spec that asks for something impossible) are bad input; a search that found
    /// no combination is a failure.
    package var failureKind: FailureKind { failures.isEmpty && !diagnostics.isEmpty ? .badInput : .failure }
}

import EnvctlKnowledge
import EnvctlModel

/// The solved stack for one environment.
public struct Resolution: Sendable, Hashable {
    public struct Framework: Sendable, Hashable {
        public var name: FrameworkName
        public var version: Version
        public var variant: String
        public var package: String
        /// Canonical index URL for the build (nil: default index).
        public var indexURL: String?
        public var extra: String?
        public var companions: [String: Version]
    }

    public var environment: String
    public var framework: Framework?
    /// Full CUDA version of the images (e.g. 12.4.1).
    public var cuda: Version
    public var cudnn: Version?
    public var python: Version
    public var os: String
    public var driverMinimum: Version?
    public var driverFull: Version?
    public var compatibility: LockedDriver.Compatibility
    /// Fleet GPU architectures (`sm_80`), or the build's list when no fleet GPUs were given.
    public var archs: [String]
    public var cudaLibraries: CUDALibrarySource
    public var baseImage: String
    public var builderImage: String
    public var reasons: [String]
    public var warnings: [String]
}

/// The user constraints the resolver checks, in the order reports name them.
public enum ConstraintKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case framework, cuda, cudnn, python, os, driver, gpus, images

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// Why no combination satisfies an environment: the rejected candidates and what relaxing one constraint would give.
public struct ResolutionFailure: Error, Sendable, Hashable {
    public var environment: String
    /// Numbered sentences, ready to print.
    public var sentences: [String]
    public var suggestions: [String]

    /// The report printed on stderr.
    public var report: String {
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
public struct ResolverError: Error, Sendable, Hashable, CustomStringConvertible {
    public var failures: [ResolutionFailure]
    public var diagnostics: [Diagnostic]

    public var description: String {
        (diagnostics.map(\.description) + failures.map(\.report)).joined(separator: "\n")
    }
}

extension ResolverError: EnvctlFailure {
    /// Diagnostics alone (a spec that asks for something impossible) are bad input; a search that found
    /// no combination is a failure.
    public var failureKind: FailureKind { failures.isEmpty && !diagnostics.isEmpty ? .badInput : .failure }
}

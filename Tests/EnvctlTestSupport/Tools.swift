import Foundation
package import Testing

/// The external tools tests drive (registry, container tools, uv, hadolint, kfp), and the gate that
/// turns a missing one into a visible skip locally but a failure under CI.
///
/// A tool is looked up on `PATH`, then in `$ENVCTL_TOOLS_VENV/bin` (the Python tools venv that
/// ci/setup.sh makes; ci/test.sh also puts it on `PATH`).
package enum Tools {
    /// Whether the tests run under CI: `CI` set to anything non-empty other than `0` or `false`.
    /// ci/test.sh sets `CI=1`.
    package static var underCI: Bool {
        let value = (ProcessInfo.processInfo.environment["CI"] ?? "").trimmingCharacters(in: .whitespaces)
        return !value.isEmpty && value != "0" && value.lowercased() != "false"
    }

    /// Directories searched for tools, in order: `PATH`, then `$ENVCTL_TOOLS_VENV/bin`.
    package static var searchPath: [String] {
        let env = ProcessInfo.processInfo.environment
        var dirs = (env["PATH"] ?? "").split(separator: ":").map(String.init)
        if let venv = env["ENVCTL_TOOLS_VENV"], !venv.isEmpty { dirs.append(venv + "/bin") }
        return dirs
    }

    /// The full path of an executable `tool`, or nil when it is on neither `PATH` nor the tools venv.
    package static func path(_ tool: String) -> String? {
        searchPath.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The tools in `tools` that ``path(_:)`` cannot find.
    package static func missing(_ tools: [String]) -> [String] { tools.filter { path($0) == nil } }

    /// The condition for `.enabled(if:)`: true when nothing is missing, and always under CI, so that a
    /// missing tool there runs the test into ``require(missing:)`` and fails instead of being skipped.
    package static func gate(_ tools: String...) -> Bool { gate(missing: missing(tools)) }

    /// ``gate(_:)`` for requirements that are not executables (a Python module, a file).
    package static func gate(missing: [String]) -> Bool { underCI || missing.isEmpty }

    /// Throws ``MissingTools`` (a recorded failure naming them) when any of `tools` is missing.
    package static func require(_ tools: String...) throws { try require(missing: missing(tools)) }

    /// Throws ``MissingTools`` when `missing` is not empty.
    package static func require(missing: [String]) throws {
        if !missing.isEmpty { throw MissingTools(names: missing) }
    }

    /// Missing tools as a test failure: what is missing, where it was looked for, and how to get it.
    package struct MissingTools: Error, CustomStringConvertible {
        package var names: [String]
        package var description: String {
            "missing \(names.joined(separator: ", ")) (looked on PATH and in $ENVCTL_TOOLS_VENV/bin);"
                + " under CI a missing tool is a failure, not a skip: run ci/setup.sh (bash ci/test.sh does)"
        }
    }
}

/// A trait that gates a test or suite on external tools: skipped (with the reason) when one is missing,
/// except under CI, where each test fails naming what is missing. Write `.requires("buildah", "podman")`.
package struct ToolRequirement: TestTrait, SuiteTrait, TestScoping {
    package let tools: [String]
    /// Requirements that are not executables; returns descriptions of the missing ones.
    package let others: @Sendable () -> [String]

    package var missing: [String] { Tools.missing(tools) + others() }

    /// Applies to every test in a suite, so each of them reports the failure under CI.
    package var isRecursive: Bool { true }

    /// Skips through the standard condition trait, so runners report it as a skip like `.enabled(if:)`.
    package func prepare(for test: Test) async throws {
        let missing = missing
        try await ConditionTrait.enabled(
            if: Tools.gate(missing: missing), "missing \(missing.joined(separator: ", ")); ci/setup.sh installs it"
        ).prepare(for: test)
    }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try Tools.require(missing: missing)
        try await function()
    }
}

extension Trait where Self == ToolRequirement {
    /// Gates on executables found by ``Tools/path(_:)``; see ``ToolRequirement``.
    package static func requires(_ tools: String...) -> Self { ToolRequirement(tools: tools, others: { [] }) }

    /// Gates on executables plus other requirements; `also` returns descriptions of the unmet ones.
    package static func requires(_ tools: [String], also others: @escaping @Sendable () -> [String] = { [] }) -> Self {
        ToolRequirement(tools: tools, others: others)
    }
}

extension Tag {
    /// Builds and runs whole images end to end (minutes).
    @Tag package static var e2e: Self
    /// Drives podman or buildah against private container storage.
    @Tag package static var container: Self
    /// Starts a real docker-registry (ci/registry.sh).
    @Tag package static var registry: Self
    /// Uses the real kfp compiler from the tools venv.
    @Tag package static var kfp: Self
    /// Runs the real uv against the test wheel index.
    @Tag package static var uv: Self
    /// Takes more than a few seconds.
    @Tag package static var slow: Self
}

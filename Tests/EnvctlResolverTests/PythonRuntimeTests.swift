import EnvctlKnowledge
import EnvctlModel
import EnvctlTestSupport
import Testing

@testable import EnvctlResolver

/// `python_source`: by default an exact python-build-standalone build pinned per platform; `os` takes the OS
/// package and refuses a pre-release or an OS the knowledge base doesn't know.
@Suite struct PythonRuntimeTests {
    func resolveBuiltin(_ text: String) throws -> Resolution {
        let parsed = try SpecParser().parse(text, path: "envctl.yaml")
        return try Resolver(knowledgeBase: .builtin).resolve(parsed)[0]
    }

    func builtinFailure(_ text: String) throws -> String {
        let parsed = try SpecParser().parse(text, path: "envctl.yaml")
        do {
            _ = try Resolver(knowledgeBase: .builtin).resolve(parsed)
            return "unexpectedly solved"
        } catch {
            return error.description
        }
    }

    @Test func standaloneIsTheDefaultAndPinsTheKnowledgeBaseArchive() throws {
        let r = try resolve(spec("framework: \"torch==2.5.*\"\npython: \"3.11\"\nos: ubuntu22.04"))
        #expect(r.python == Version("3.11")!)
        let rt = r.pythonRuntime
        #expect(rt.source == "standalone")
        #expect(rt.version == "3.11.18")
        #expect(rt.build == "20261110")
        #expect(rt.flavour == "install_only_stripped")
        #expect(rt.package == nil)
        // Only the lock's platform today; the knowledge base row has arm64 too.
        #expect(Array(rt.platforms.keys) == ["linux/amd64"])
        let row = try #require(fixtureKnowledge.pythonBuilds.first { $0.version == Version("3.11.18")! })
        #expect(rt.platforms["linux/amd64"]?.url == row.platforms["linux/amd64"]?.url)
        #expect(rt.platforms["linux/amd64"]?.sha256 == row.platforms["linux/amd64"]?.sha256)
        #expect(rt.platforms["linux/amd64"]?.sha256.count == 64)
        #expect(r.reasons.contains { $0.contains("CPython 3.11.18 from python-build-standalone 20261110") })
        // The OS's release candidate plays no part.
        #expect(!r.reasons.joined().contains("3.11.0~rc1"))
    }

    @Test func standaloneRunsAPythonTheOSDoesNotShip() throws {
        // ubuntu22.04 ships no Python 3.12; the standalone build does not care.
        let r = try resolve(spec("framework: \"torch==2.8.*\"\npython: \"3.12\"\nos: ubuntu22.04"))
        #expect(r.os == "ubuntu22.04")
        #expect(r.pythonRuntime.version == "3.12.16")
        #expect(r.warnings.allSatisfy { !$0.contains("which Python versions") })
    }

    @Test func osSourceTakesTheFinalOSPackage() throws {
        let r = try resolve(spec("framework: \"torch==2.5.*\"\npython: \"3.10\"\nos: ubuntu22.04\npython_source: os"))
        #expect(r.pythonRuntime == LockedPythonRuntime(source: "os", version: "3.10", package: "python3.10"))
        #expect(r.reasons.contains { $0.contains("that ubuntu22.04 ships (package python3.10") })
    }

    @Test func osSourceRefusesAReleaseCandidate() throws {
        let report = try failureReport(
            spec("framework: \"torch==2.5.*\"\npython: \"3.11\"\nos: ubuntu22.04\npython_source: os"))
        #expect(report.contains("error: no combination satisfies environment 'train'"), "\(report)")
        #expect(report.contains("python3.11 is 3.11.0~rc1, a pre-release"), "\(report)")
        #expect(report.contains("python_source: standalone (or leave it out) gives"), "\(report)")
        #expect(report.contains("CPython 3.11.18 pinned by sha256"), "\(report)")
    }

    @Test func osSourceWithoutAPythonPicksTheFinalOne() throws {
        // No python: asked; the release candidate is skipped, so ubuntu22.04 gives 3.10.
        let r = try resolve(spec("framework: \"torch==2.5.*\"\nos: ubuntu22.04\npython_source: os"))
        #expect(r.python == Version("3.10")!)
        #expect(r.pythonRuntime.package == "python3.10")
    }

    @Test func osSourceOnAnOSWithoutPythonRowsIsAConflict() throws {
        // The fixture knows ubuntu20.04 images but not which Pythons it ships.
        let report = try failureReport(spec("cuda: \"11.8\"\nos: ubuntu20.04\npython: \"3.10\"\npython_source: os"))
        #expect(
            report.contains("the knowledge base doesn't know which Python packages ubuntu20.04 ships"), "\(report)")
        let ok = try resolve(spec("cuda: \"11.8\"\nos: ubuntu20.04\npython: \"3.10\""))
        #expect(ok.pythonRuntime.version == "3.10.22")
        #expect(ok.warnings.allSatisfy { !$0.contains("doesn't know which Python") }, "\(ok.warnings)")
    }

    /// The case: Python 3.13 on amzn2023 with CUDA 12.6 images. Under `os` it is a conflict, not a
    /// warning; by default the pinned standalone build makes it work.
    @Test func python313OnAGuessedOS() throws {
        let text = spec("cuda: \"12.6\"\nos: amzn2023\npython: \"3.13\"")
        let report = try builtinFailure(text + "    python_source: os\n")
        #expect(report.contains("amzn2023"), "\(report)")
        #expect(report.contains("doesn't know which Python packages amzn2023 ships"), "\(report)")
        let r = try resolveBuiltin(text)
        #expect(r.os == "amzn2023")
        #expect(r.pythonRuntime.version == "3.13.18")
        #expect(
            r.pythonRuntime.platforms["linux/amd64"]?.sha256
                == "f2d2199eb25880e07863b391cf7124e7ffa1338b0d65600dfcec117c4223a7fb")
    }

    @Test func aMinorWithoutABuildIsAConflictNamingTheFix() throws {
        // The fixture knows Python 3.9 but has no standalone build of it.
        let report = try failureReport(spec("framework: \"torch==2.5.*\"\npython: \"3.9\""))
        #expect(report.contains("no python-build-standalone build of Python 3.9"), "\(report)")
        #expect(report.contains("set python_source: os"), "\(report)")
    }

    @Test func anUnknownPythonSourceIsASpecError() throws {
        #expect(throws: DiagnosticsError.self) {
            _ = try SpecParser().parse(spec("python: \"3.11\"\npython_source: conda"), path: "envctl.yaml")
        }
    }
}

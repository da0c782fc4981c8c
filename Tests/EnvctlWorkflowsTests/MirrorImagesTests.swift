import EnvctlModel
import EnvctlTestSupport
import EnvctlWorkflows
import OCIRegistry
import Testing

/// What `envctl mirror` copies (the copies themselves run against a real registry in MirrorTests).
@Suite("Mirror plan") struct MirrorImagesTests {
    @Test func everyPinnedDigestOnceUnderTheMirrorWithItsUses() throws {
        let train = LockFactory.environment(name: "train")
        let serve = LockFactory.environment(name: "serve", pushed: nil)
        let items = try MirrorImages.items(
            LockFactory.lockfile([train, serve]), to: try MirrorImages.target("m.internal:5000/mirror"))
        #expect(
            items.map(\.destination.description) == [
                "m.internal:5000/mirror/nvidia/cuda:12.4.1-base-ubuntu22.04",
                "m.internal:5000/mirror/nvidia/cuda:12.4.1-devel-ubuntu22.04",
                "m.internal:5000/mirror/team/train:envctl-0123456789abcdef",
            ])
        #expect(items[0].uses == ["train: base", "serve: base"])
        #expect(items[2].uses == ["train: pushed"])
        #expect(items.allSatisfy { $0.source.digest != nil })
    }

    @Test func anOfflineLockIsBadInputNamingEveryUnpinnedImage() throws {
        var env = LockFactory.environment(pushed: nil)
        env.images.base.digest = nil
        env.images.builder.digest = nil
        let error = #expect(throws: DiagnosticsError.self) {
            try MirrorImages.items(LockFactory.lockfile([env]), to: try MirrorImages.target("m.internal"))
        }
        #expect(error?.diagnostics.count == 2)
        #expect(error?.failureKind == .badInput)
        #expect(error?.diagnostics.last?.hint?.contains("envctl lock") == true)
    }

    @Test func aTargetThatIsNotARegistryIsBadInput() {
        let error = #expect(throws: RegistryError.self) { try MirrorImages.target("not a registry") }
        #expect(error?.failureKind == .badInput)
    }

    @Test func registriesYAMLNamesEachSourceRegistry() {
        let outcome = MirrorImages.Outcome(
            images: [], mirrors: ["docker.io": "m.internal/mirror", "ghcr.io": "m.internal/mirror"])
        #expect(
            outcome.registriesYAML == """
                registries:
                  docker.io:
                    mirrors: ["m.internal/mirror"]
                  ghcr.io:
                    mirrors: ["m.internal/mirror"]
                """)
    }
}

import EnvctlModel
import EnvctlRuns
import EnvctlTestSupport
import Testing

/// Issue 12 §2: `envctl diff` names the platform of a changed pin or digest.
@Suite struct LockDiffPlatformTests {
    func twoPlatforms(arm: String, armDigest: String) -> LockedEnvironment {
        var e = LockFactory.environment()
        e.platforms = ["linux/amd64", "linux/arm64"]
        e.platformPythonPackages["linux/arm64"] = LockedPython(
            platform: "aarch64-manylinux_2_28",
            packages: [LockedPackage(name: "torch", version: arm, index: nil, hashes: [])])
        e.images.base.platformDigests["linux/arm64"] = armDigest
        return e
    }

    @Test func aChangedArm64PinAndDigestNameTheirPlatform() {
        let a = LockFactory.lockfile([
            twoPlatforms(arm: "2.8.0", armDigest: "sha256:" + String(repeating: "1", count: 64))
        ])
        let b = LockFactory.lockfile([
            twoPlatforms(arm: "2.8.1", armDigest: "sha256:" + String(repeating: "2", count: 64))
        ])
        let diff = LockDiff.compare(a, b, labels: ("a", "b"))
        let fields = diff.environments.first?.changes.map(\.field) ?? []
        #expect(fields == ["image base linux/arm64 digest", "linux/arm64 package torch"], "\(fields)")
    }

    @Test func aSinglePlatformLockDiffsAsBefore() {
        let a = LockFactory.lockfile([LockFactory.environment()])
        var e = LockFactory.environment()
        e.platforms = ["linux/amd64", "linux/arm64"]
        let diff = LockDiff.compare(a, LockFactory.lockfile([e]), labels: ("a", "b"))
        #expect(diff.environments.first?.changes.map(\.field) == ["platforms"])
        #expect(!LockDiff.compare(a, a, labels: ("a", "a")).hasChanges)
    }
}

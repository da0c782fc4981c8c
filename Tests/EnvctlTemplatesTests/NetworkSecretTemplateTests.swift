import EnvctlModel
import EnvctlTemplates
import Foundation
import Testing

/// The pip step's build secrets (a corporate network's CA bundle and netrc): mounted only when used, with fixed
/// ids and paths, so the Dockerfile depends on whether they are used and never on their contents.
@Suite struct NetworkSecretTemplateTests {
    static let ca = "    --mount=type=secret,id=envctl-ca,target=/run/secrets/envctl-ca.pem,mode=0400 \\\n"
    static let netrc = "    --mount=type=secret,id=envctl-netrc,target=/run/secrets/envctl-netrc,mode=0400 \\\n"
    static let pipEnv =
        "PIP_CERT=/run/secrets/envctl-ca.pem SSL_CERT_FILE=/run/secrets/envctl-ca.pem NETRC=/run/secrets/envctl-netrc "

    @Test(arguments: [true, false]) func mountsAppearOnlyWhenUsed(cacheMounts: Bool) throws {
        var inputs = LockFixtures.inputs
        inputs.cacheMounts = cacheMounts
        let plain = try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs)
        #expect(!plain.contains("type=secret"))
        inputs.secrets = BuildSecretMounts(caBundle: true, netrc: true)
        let secret = try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs)
        #expect(secret.contains(cacheMounts ? Self.ca : "RUN " + Self.ca.dropFirst(4)))
        #expect(secret.contains(Self.netrc))
        #expect(secret.contains(" && \(Self.pipEnv)/opt/envctl/venv/bin/pip install --no-deps --require-hashes"))
        #expect(secret.components(separatedBy: "type=secret").count == 3, "only the pip step mounts them")
        #expect(!secret.contains("ENV PIP_CERT") && !secret.contains("ENV NETRC"))
        // Taking the secret parts out gives back the Dockerfile without them, byte for byte.
        var stripped = secret.replacingOccurrences(of: Self.pipEnv, with: "")
        if cacheMounts {
            stripped = stripped.replacingOccurrences(of: Self.ca, with: "").replacingOccurrences(
                of: Self.netrc, with: "")
        } else {
            stripped = stripped.replacingOccurrences(
                of: "RUN " + Self.ca.dropFirst(4) + Self.netrc + "    printf", with: "RUN printf")
        }
        #expect(stripped == plain)
        // The same settings render the same bytes.
        #expect(try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs) == secret)
    }

    @Test func onlyTheCABundle() throws {
        var inputs = LockFixtures.inputs
        inputs.secrets = BuildSecretMounts(caBundle: true, netrc: false)
        let text = try DockerfileRenderer().render(LockFixtures.torch, inputs: inputs)
        #expect(text.contains(Self.ca))
        #expect(!text.contains("envctl-netrc"))
        #expect(
            text.contains(
                " && PIP_CERT=/run/secrets/envctl-ca.pem SSL_CERT_FILE=/run/secrets/envctl-ca.pem /opt/envctl/venv/bin/pip install"
            ))
    }
}

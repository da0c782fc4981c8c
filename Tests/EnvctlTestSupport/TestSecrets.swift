/// The secrets the suite hands to envctl (registry passwords, tokens, index credentials). Each starts with
/// ``prefix``; ci/test.sh fails when that prefix appears anywhere in the test log, so a secret that reaches
/// any output of the suite is caught even where no test asserts on it. The registries ci/registry.sh starts
/// (htpasswd, token) use passwords with the same prefix.
package enum TestSecrets {
    /// What every test secret starts with; ci/test.sh greps the log for it.
    package static let prefix = "envctl-test-secret-"
    package static let registryPassword = prefix + "registry-7Hq2"
    package static let helperSecret = prefix + "helper-Zx81"
    package static let redirectPassword = prefix + "redirect-Pq04"
    package static let pipelineToken = prefix + "pipeline-Lm55"
    package static let indexPassword = prefix + "index-Vd93"
    package static let requirementsToken = prefix + "requirements-Ty67"

    package static let all = [
        registryPassword, helperSecret, redirectPassword, pipelineToken, indexPassword, requirementsToken,
    ]
}

#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs the Swift tests (unit, golden files,
# CLI, and integration tests against real registries, git, uv, buildah and podman), then checks
# that committed generated files have not drifted.
set -euo pipefail
cd "$(dirname "$0")/.."
# Under CI a test whose tool is missing fails instead of being skipped (Tests/EnvctlTestSupport/Tools.swift),
# and any skip fails this script. A non-empty CI from the caller is kept (CI=0 or CI=false turns this off).
export CI="${CI:-1}"

TOOLS_BIN=$(bash ci/setup.sh | tail -n 1)
export PATH="$TOOLS_BIN:$PATH" ENVCTL_TOOLS_VENV="${TOOLS_BIN%/bin}"

# Style: .swift-format (4 spaces, 120 columns); `swift format format -i -p -r Sources Tests Plugins Package.swift` fixes most.
swift format lint --strict --parallel --recursive Sources Tests Plugins Package.swift

swift build --build-tests 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]" || true
swift build --build-tests >/dev/null   # fail here, with the output above, if the build broke

# Every golden file a test compares is logged, so one that no test compares (an orphan) is found below.
golden_log="$PWD/.build/goldens-compared.txt"
rm -f "$golden_log"
set +e   # a failed run still gets the skip count and the totals below
ENVCTL_GOLDEN_LOG="$golden_log" swift test --skip-build 2>&1 | tee .build/test.log
status=${PIPESTATUS[0]}
set -e

# No secret may reach any output of the suite: every test secret starts with TestSecrets.prefix
# (Tests/EnvctlTestSupport/TestSecrets.swift), and the log holds everything the tests and envctl printed.
secret_prefix=$(sed -n 's/.*static let prefix = "\(.*\)".*/\1/p' Tests/EnvctlTestSupport/TestSecrets.swift)
if [ -z "$secret_prefix" ] || grep -qF -- "$secret_prefix" .build/test.log; then
    echo "ci/test.sh: a test secret (${secret_prefix:-prefix not found}...) appears in .build/test.log:" >&2
    grep -nF -- "${secret_prefix:-envctl-test-secret-}" .build/test.log | cut -c1-200 >&2 || true
    status=1
fi

under_ci=true
case "$CI" in "" | 0 | false | FALSE | False) under_ci=false ;; esac

# Skips: Swift Testing prints "Test name() skipped" / "Suite Name skipped" (with the reason), XCTest
# "Test Case '...' skipped". Under CI there must be none: a missing tool is a failure there, not a skip.
skips=$(grep -E '^[^ ]+ (Test|Suite) ("[^"]*"|[^ ]+) skipped|^Test Case .* skipped' .build/test.log || true)
skipped=$(printf '%s' "$skips" | grep -c . || true)
echo "ci/test.sh: $skipped tests or suites skipped"
[ "$skipped" = 0 ] || printf '%s\n' "$skips"
if [ "$status" = 0 ] && [ "$skipped" != 0 ] && [ "$under_ci" = true ]; then
    echo "ci/test.sh: under CI nothing may be skipped (run ci/setup.sh for missing tools; unset ENVCTL_SKIP_E2E)" >&2
    status=1
fi

# Orphan goldens: committed snapshot or golden lock files that no test compared in this run.
orphans=$({ find Tests/*/Snapshots -type f; find lockfiles -name '*.lock'; } | sort \
    | comm -23 - <(sort -u "$golden_log" 2>/dev/null || true))
if [ -n "$orphans" ]; then
    echo "ci/test.sh: golden files that no test compares (delete them, or add the test that writes them):" >&2
    printf '%s\n' "$orphans" >&2
    if [ "$skipped" = 0 ] || [ "$under_ci" = true ]; then
        status=1
    else
        echo "ci/test.sh: (not failing: outside CI a skipped test may be the one that compares them)" >&2
    fi
fi

# The runners' closing totals lines, unchanged, last (the CI harness reads them).
print_totals() {
    grep -E '^\s*Executed [0-9]+ tests?' .build/test.log | tail -n 1 || true
    grep -E 'Test run with [0-9]+ tests?' .build/test.log | tail -n 1 || true
}
if [ "$status" != 0 ]; then
    print_totals
    exit "$status"
fi

# Committed generated files (golden lockfiles and snapshots) must be what the code generates now.
bash ci/check-drift.sh
print_totals

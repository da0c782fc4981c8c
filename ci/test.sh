#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs the Swift tests (unit, golden files,
# CLI, and integration tests against real registries, git, uv, buildah and podman), then checks
# that committed generated files have not drifted.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_BIN=$(bash ci/setup.sh | tail -n 1)
export PATH="$TOOLS_BIN:$PATH"

swift build --build-tests 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]" || true
swift build --build-tests >/dev/null   # fail here, with the output above, if the build broke

swift test --skip-build 2>&1 | tee .build/test.log
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || exit "$status"

# Committed generated files (golden lockfiles and snapshots) must be what the code generates now.
bash ci/check-drift.sh

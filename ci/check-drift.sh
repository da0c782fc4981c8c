#!/usr/bin/env bash
# Fails when regenerating the committed generated files changes them (XcodeGen's diff-fixtures idea).
#
# Generated files that are committed, and what regenerates each (all by re-recording golden tests):
#   lockfiles/*.lock                        CLILockTests (envctl lock --offline on examples/)
#   Tests/EnvctlResolverTests/Snapshots/    ConflictReportTests
#   Tests/EnvctlModelTests/Snapshots/       SpecParserTests
#   Tests/EnvctlTemplatesTests/Snapshots/   DockerfileGoldenTests, ExampleLockGoldenTests
#   Tests/EnvctlSupplyChainTests/Snapshots/ SBOMDocumentTests (envctl sbom, CycloneDX and SPDX)
# The built-in knowledge base and templates are generated at build time by the plugins under Plugins/ and
# never committed; this script fails if a generated Swift source shows up in git again.
#
# Expects a finished `swift build --build-tests` (ci/test.sh runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."

committed=$(git ls-files '*.generated.swift')
if [ -n "$committed" ]; then
    echo "ci/check-drift.sh: build-time generated sources are committed (the plugins under Plugins/ make them):" >&2
    echo "$committed" >&2
    exit 1
fi

golden_dirs=(lockfiles Tests/EnvctlResolverTests/Snapshots Tests/EnvctlModelTests/Snapshots Tests/EnvctlTemplatesTests/Snapshots
    Tests/EnvctlSupplyChainTests/Snapshots)
# Recording reports each written file as a test issue, so this run "fails" by design; the diff decides.
ENVCTL_RECORD_SNAPSHOTS=1 swift test --skip-build \
    --filter 'CLILockTests|ConflictReportTests|SpecParserTests|DockerfileGoldenTests|ExampleLockGoldenTests|SBOMDocumentTests' \
    >/dev/null 2>&1 || true

if [ -n "$(git status --porcelain -- "${golden_dirs[@]}")" ]; then
    echo "ci/check-drift.sh: generated files differ from the committed ones (re-recorded in place):" >&2
    git status --porcelain -- "${golden_dirs[@]}" >&2
    git diff --stat -- "${golden_dirs[@]}" >&2
    exit 1
fi
echo "check-drift: committed generated files are up to date"

#!/usr/bin/env bash
# Fails when regenerating committed artifacts changes them (XcodeGen's diff-fixtures idea).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/embed-resources.sh
if [ -d .git ] && [ -n "$(git status --porcelain -- Sources/EnvctlKnowledge/BuiltinKnowledge.generated.swift Sources/EnvctlTemplates/BuiltinTemplates.generated.swift lockfiles)" ]; then
    echo "ci/check-drift.sh: generated files differ from the committed ones:" >&2
    git status --porcelain -- Sources lockfiles >&2
    git diff --stat >&2
    exit 1
fi
echo "check-drift: generated files are up to date"

#!/usr/bin/env bash
# envctl's main job on the built-in example: solve the GPU stack for examples/quickstart and lock it.
#
# Runs offline: Python packages come from a local stand-in package index (started here on 127.0.0.1,
# mapped over PyPI and the PyTorch index with ENVCTL_INDEX_MIRRORS), and base images are recorded by tag.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_BIN=$(bash ci/setup.sh | tail -n 1)
export PATH="$TOOLS_BIN:$PATH"
swift build --product envctl >/dev/null
ENVCTL="$PWD/.build/debug/envctl"

work=$(mktemp -d)
index_pid=""
cleanup() {
    [ -n "$index_pid" ] && kill "$index_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A local package index of tiny stand-in wheels; it prints "PORT <n>" when it listens.
mkfifo "$work/index.out"
python3 Tests/Fixtures/wheel_index.py "$work/index" --serve --parent $$ < /dev/null > "$work/index.out" 2>&1 &
index_pid=$!
read -r _ port < "$work/index.out"
export ENVCTL_INDEX_MIRRORS="https://pypi.org/simple=http://127.0.0.1:$port/pypi/simple,https://download.pytorch.org/whl=http://127.0.0.1:$port/whl"

cp -r examples/quickstart "$work/project"
cd "$work/project"
echo "== envctl.yaml"
cat envctl.yaml
echo
echo "== envctl lock --offline"
"$ENVCTL" lock --offline
echo
echo "== envctl.lock"
cat envctl.lock
echo
echo "== envctl lock --check"
"$ENVCTL" lock --check

#!/usr/bin/env bash
# Growth of `envctl pipeline pin` with the number of executors (issue 14): a real kfp-compiled pipeline
# (Tests/EnvctlRunsTests/Fixtures/pipelines/b_container.py) with N extra container executors. Prints the
# median wall time per size and the ratio of the largest to the smallest; linear pinning gives a time
# ratio close to the size ratio (4x for 2,000 -> 8,000 executors).
#
# Every executor uses the environment's image (registry.example.com/team/train:v1), so no registry is
# needed: the lock (lockfiles/quickstart.lock) records that image as pushed.
#
#   bench/pipeline-pin-scale.sh [RUNS=3] [SIZES="2000 8000"] [ENVCTL=.build/release/envctl]
#
# Needs python with kfp (ci/setup.sh's tools venv: set ENVCTL_TOOLS_VENV, or have kfp on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; SIZES=${2:-"2000 8000"}; ENVCTL=${3:-.build/release/envctl}
[ -x "$ENVCTL" ] || { echo "build first: swift build -c release --product envctl" >&2; exit 69; }
ENVCTL=$(realpath "$ENVCTL")
PY=python3
[ -n "${ENVCTL_TOOLS_VENV:-}" ] && PY="$ENVCTL_TOOLS_VENV/bin/python3"
"$PY" -c "import kfp" 2>/dev/null || { echo "needs python with kfp (ENVCTL_TOOLS_VENV)" >&2; exit 69; }

W=$(mktemp -d /tmp/envctl-bench-pin.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$PY" Tests/EnvctlRunsTests/Fixtures/pipelines/b_container.py "$W/base.yaml"
# The quickstart lock, with environment train recorded as pushed.
cp lockfiles/quickstart.lock "$W/envctl.lock"
printf '    pushed:\n      reference: registry.example.com/team/train:envctl-0123456789abcdef\n      digest: sha256:%s\n' \
    "$(printf 'ab%.0s' $(seq 32))" >>"$W/envctl.lock"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A MS
for n in $SIZES; do
    "$PY" - "$W/base.yaml" "$W/p$n.yaml" "$n" <<'EOF'
import sys
text = open(sys.argv[1]).read()
marker = "deploymentSpec:\n  executors:\n"
extra = "".join(
    f"    exec-extra-{i}:\n      container:\n        image: registry.example.com/team/train:v1\n"
    f"        command: [python, -m, train, --shard, '{i}']\n"
    for i in range(int(sys.argv[3])))
open(sys.argv[2], "w").write(text.replace(marker, marker + extra, 1))
EOF
    # The base pipeline's busybox executor is not from the lock: give it the environment's image too.
    sed -i 's#docker.io/library/busybox:1.36#registry.example.com/team/train:v1#' "$W/p$n.yaml"
    (cd "$W" && "$ENVCTL" pipeline pin "p$n.yaml" -o out.yaml >/dev/null 2>err) || { cat "$W/err" >&2; exit 1; }
    times=()
    for _ in $(seq "$RUNS"); do
        s=$(date +%s%N)
        (cd "$W" && "$ENVCTL" pipeline pin "p$n.yaml" -o out.yaml >/dev/null 2>&1)
        e=$(date +%s%N)
        times+=($(( (e - s) / 1000000 )))
    done
    MS[$n]=$(printf '%s\n' "${times[@]}" | median)
    echo "$n extra executors ($(wc -c <"$W/p$n.yaml") bytes): median ${MS[$n]} ms over $RUNS runs (${times[*]})"
done
set -- $SIZES
first=$1; last=${!#}
awk -v a="${MS[$first]}" -v b="${MS[$last]}" -v n="$first" -v m="$last" \
    'BEGIN { printf "growth %s -> %s executors (%.1fx input): %.2fx time\n", n, m, m / n, b / (a > 0 ? a : 1) }'

#!/usr/bin/env bash
# How `envctl lock --offline` grows with the size of the spec: one environment with N `env:` entries (no
# Python packages, so uv does not run and the figure is envctl's own work), N = 10,000 and 40,000 by default,
# with a release build. Also times `lock --check` and `resolve` on the same specs. Prints each median and the
# large/small ratio: about 4 is linear (40,000 / 10,000), about 16 quadratic.
#
# Usage: bench/lock-scale.sh [runs] [small] [large]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
small=${2:-10000}
large=${3:-40000}
[ -n "${ENVCTL_TOOLS_VENV:-}" ] && PATH=$ENVCTL_TOOLS_VENV/bin:$PATH  # envctl lock needs uv on PATH
swift build -c release --product envctl >/dev/null
bin=$PWD/.build/release/envctl
work=$(mktemp -d "${TMPDIR:-/tmp}/envctl-lock-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

make_spec() { # N DIR
    mkdir -p "$2"
    {
        printf 'version: 1\nenvironments:\n  train:\n    cuda: "12.4"\n    python: "3.11"\n    env:\n'
        seq "$1" | awk '{printf "      VAR_%06d: value-%d\n", $1, $1}'
    } >"$2/envctl.yaml"
}

# median wall time in ms of running "$@" in directory $dir, $runs times
median_ms() {
    local times=() s e
    for _ in $(seq "$runs"); do
        s=$(date +%s%N); (cd "$dir" && "$@" >/dev/null 2>&1); e=$(date +%s%N)
        times+=($(((e - s) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

declare -A result
for n in "$small" "$large"; do
    dir=$work/$n
    make_spec "$n" "$dir"
    result[lock,$n]=$(median_ms "$bin" lock --offline)
    result[check,$n]=$(median_ms "$bin" lock --check)
    result[resolve,$n]=$(median_ms "$bin" resolve)
done
for what in lock check resolve; do
    a=${result[$what,$small]} b=${result[$what,$large]}
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}')
    echo "$what: $small env entries ${a} ms, $large env entries ${b} ms, ratio ${ratio} (median of $runs)"
done

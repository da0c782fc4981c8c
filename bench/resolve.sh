#!/usr/bin/env bash
# Wall time of `envctl resolve` on the three-environment spec (examples/multi) and of `envctl --version`
# start-up, with a release build. Uses hyperfine (Debian package `hyperfine`) when present, otherwise
# a plain loop with /usr/bin/time-free nanosecond timing.
#
# Usage: bench/resolve.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
swift build -c release --product envctl >/dev/null
bin=.build/release/envctl
spec=examples/multi/envctl.yaml

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 --runs "$runs" -N \
        "$bin --version" \
        "$bin resolve --spec $spec" \
        "$bin resolve --spec $spec --json"
else
    for cmd in "$bin --version" "$bin resolve --spec $spec"; do
        times=()
        for _ in $(seq "$runs"); do
            s=$(date +%s%N); $cmd >/dev/null; e=$(date +%s%N)
            times+=($(( (e - s) / 1000 )))
        done
        median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        echo "$cmd: median $((median / 1000)).$(( (median % 1000) / 100 )) ms over $runs runs"
    done
fi

#!/usr/bin/env bash
# Registry push benchmarks (not tests). Needs docker-registry, skopeo, GNU time (/usr/bin/time).
#
#   bench/push-1g.sh [LAYER_MIB=1024] [RUNS=3] [ENVCTL=.build/release/envctl]
#
# 1. First push of a one-layer image (LAYER_MIB of random bytes, uncompressed tar) to a FRESH local
#    registry (plain HTTP, 127.0.0.1), envctl and `skopeo copy` of the same layout alternating.
# 2. Re-push of the unchanged image (every blob HEADs as present) right after envctl's first push.
# 3. Peak RSS of envctl while pushing (GNU time %M).
# 4. SHA-256 throughput: `envctl sha256` vs `openssl dgst -sha256` on the layer blob.
# Prints one line per measurement and a summary with medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-1024}; RUNS=${2:-3}; ENVCTL=${3:-.build/release/envctl}
[ -x "$ENVCTL" ] || { echo "build first: swift build -c release --product envctl" >&2; exit 69; }
for t in docker-registry skopeo openssl /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 69; }; done

W=$(mktemp -d /tmp/envctl-bench.XXXXXX)
cleanup() { for d in "$W"/reg-*; do [ -d "$d" ] && bash ci/registry.sh stop "$d"; done; rm -rf "$W"; }
trap cleanup EXIT
echo "building a ${MIB} MiB layout in $W/layout ..." >&2
bash ci/make-oci-layout.sh "$W/layout" v1 $((MIB * 1024 * 1024)) tar >/dev/null
BLOB=$(ls -S "$W/layout/blobs/sha256/" | head -1); BLOB="$W/layout/blobs/sha256/$BLOB"
cat "$BLOB" >/dev/null   # page cache: measure the push, not the disk

fresh() { local d="$W/reg-$1"; mkdir -p "$d"; bash ci/registry.sh start plain "$d" | sed -n 's/^ENVCTL_TEST_REGISTRY=//p'; }
stop() { bash ci/registry.sh stop "$W/reg-$1"; rm -rf "$W/reg-$1"; }
timed() { /usr/bin/time -f "%e %M" -o "$W/t" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }; cat "$W/t"; }

declare -a E S R M
for i in $(seq 1 "$RUNS"); do
    h=$(fresh "e$i"); read -r e m < <(timed "$ENVCTL" push -q "oci:$W/layout:v1" "$h/bench/big:run$i")
    read -r r _ < <(timed "$ENVCTL" push -q "oci:$W/layout:v1" "$h/bench/big:run$i"); stop "e$i"
    h=$(fresh "s$i"); read -r s _ < <(timed skopeo copy --quiet --dest-tls-verify=false "oci:$W/layout:v1" "docker://$h/bench/big:run$i"); stop "s$i"
    E+=("$e"); S+=("$s"); R+=("$r"); M+=("$m")
    echo "run $i: envctl ${e}s (max RSS ${m} KiB)  re-push ${r}s  skopeo ${s}s"
done
HS=(); HO=()
for i in $(seq 1 "$RUNS"); do
    read -r h _ < <(timed "$ENVCTL" sha256 "$BLOB"); read -r o _ < <(timed openssl dgst -sha256 "$BLOB")
    HS+=("$h"); HO+=("$o"); echo "sha256 run $i: envctl ${h}s  openssl ${o}s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
me=$(median "${E[@]}"); ms=$(median "${S[@]}"); mr=$(median "${R[@]}"); mm=$(median "${M[@]}")
hs=$(median "${HS[@]}"); ho=$(median "${HO[@]}")
echo "summary (${MIB} MiB layer, ${RUNS} runs, medians):"
awk -v e="$me" -v s="$ms" -v r="$mr" -v m="$mm" -v hs="$hs" -v ho="$ho" -v mib="$MIB" 'BEGIN {
  printf "  first push: envctl %.2fs, skopeo %.2fs, ratio envctl/skopeo %.2f (target <= 0.80)\n", e, s, e/s
  printf "  re-push: %.3fs = %.1f%% of first push (target <= 5%%)\n", r, 100*r/e
  printf "  envctl peak RSS: %.1f MiB (target <= 64 MiB)\n", m/1024
  printf "  sha256: envctl %.2fs (%.0f MiB/s), openssl %.2fs, throughput ratio %.2f (target >= 0.90)\n", hs, mib/hs, ho, ho/hs }'

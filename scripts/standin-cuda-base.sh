#!/usr/bin/env bash
# Builds a small stand-in for an nvidia/cuda image, for tests and the demo: no real CUDA image can be
# downloaded here. It is Debian 12 (minbase) with python3.11 + venv + dev headers (what envctl's
# templates install from the OS) and a fake /usr/local/cuda/version.json. No CUDA libraries.
#
# Usage: scripts/standin-cuda-base.sh IMAGE_NAME [CUDA_VERSION] [ARCH]
#   ARCH is amd64 (default) or arm64; the arm64 root filesystem comes from scripts/standin-rootfs-arm64.sh
#   (unpacked arm64 packages, a few commands under qemu-aarch64; no debootstrap second stage).
#   Commits IMAGE_NAME into the containers storage that buildah is configured for
#   (CONTAINERS_STORAGE_CONF etc.). Reproducible: --timestamp 0, sorted tar, fixed mtimes.
# The rootfs tarball is cached in ${ENVCTL_STANDIN_CACHE:-$HOME/.cache/envctl-ci} (debootstrap ~1 min).
# The cache only saves time: its name carries the hash of this script, so editing the script rebuilds
# it, and a missing cache is rebuilt from nothing (a cold machine runs the same steps as CI).
set -euo pipefail
IMAGE=${1:?usage: standin-cuda-base.sh IMAGE_NAME [CUDA_VERSION] [amd64|arm64]}
CUDA_VERSION=${2:-12.4.1}
ARCH=${3:-amd64}
CACHE=${ENVCTL_STANDIN_CACHE:-$HOME/.cache/envctl-ci}
SCRIPT_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
TARBALL="$CACHE/standin-bookworm-py311-$SCRIPT_HASH.tar"
mkdir -p "$CACHE"

case "$ARCH" in
    amd64) ;;
    arm64) TARBALL=$(bash "$(dirname "${BASH_SOURCE[0]}")/standin-rootfs-arm64.sh") ;;
    *) echo "standin-cuda-base.sh: unknown ARCH '$ARCH' (amd64, arm64)" >&2; exit 64 ;;
esac

if [ ! -s "$TARBALL" ]; then
    command -v debootstrap >/dev/null || { echo "standin-cuda-base.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 69; }
    ROOT=$(mktemp -d /tmp/envctl-standin-rootfs.XXXXXX)
    trap 'rm -rf "$ROOT" "$ROOT.log" "$TARBALL.tmp"' EXIT
    echo "standin-cuda-base.sh: debootstrap bookworm minbase (cached afterwards in $TARBALL)" >&2
    # The caller's TMPDIR (ci/demo.sh points it at its own work directory) does not exist inside the
    # chroot: dpkg's maintainer scripts would fail in mktemp. Everything that runs in the chroot gets /tmp.
    in_root() { env -u TMPDIR -u TMP -u TEMP "$@"; }
    if ! in_root debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >"$ROOT.log" 2>&1; then
        echo "standin-cuda-base.sh: debootstrap failed; its log:" >&2
        tail -n 30 "$ROOT.log" "$ROOT/debootstrap/debootstrap.log" 2>/dev/null >&2 || true
        rm -f "$ROOT.log"; exit 1
    fi
    rm -f "$ROOT.log"
    in_root chroot "$ROOT" apt-get install -y -qq --no-install-recommends python3.11-venv python3.11-dev >/dev/null
    in_root chroot "$ROOT" apt-get clean
    rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/* "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/tmp/*
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOT" -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
fi

CUDA_MM=$(echo "$CUDA_VERSION" | cut -d. -f1-2)
EXTRA=$(mktemp -d /tmp/envctl-standin-extra.XXXXXX)
mkdir -p "$EXTRA/usr/local/cuda"
printf '{"cuda": {"name": "CUDA stand-in (no libraries)", "version": "%s"}}\n' "$CUDA_VERSION" > "$EXTRA/usr/local/cuda/version.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$EXTRA" -cf "$EXTRA.tar" usr
rm -rf "$EXTRA"

c=$(buildah from scratch)
cleanup() { buildah rm "$c" >/dev/null 2>&1 || true; rm -f "$EXTRA.tar"; }
trap cleanup EXIT
buildah add --quiet "$c" "$TARBALL" / >/dev/null
buildah add --quiet "$c" "$EXTRA.tar" / >/dev/null
buildah config \
    --env PATH=/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env CUDA_VERSION="$CUDA_VERSION" --env NVIDIA_REQUIRE_CUDA="cuda>=$CUDA_MM" \
    --label dev.envctl.standin=true --cmd '["/bin/bash"]' --os linux --arch "$ARCH" "$c"
buildah commit --quiet --timestamp 0 --identity-label=false "$c" "$IMAGE" >/dev/null
echo "$IMAGE"

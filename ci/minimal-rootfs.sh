#!/usr/bin/env bash
# Prints the path of a tarball holding a minimal root filesystem (debootstrap --variant=minbase) of one
# distribution release, building it on first use. Used by the release end-to-end test (the release tarball
# must run there with no Swift and no extra packages).
#
#   bash ci/minimal-rootfs.sh bookworm|jammy|noble
#
# The tarball is cached under ~/.cache/envctl-ci, keyed by ROOTFS_KEY: a cache makes a run faster, never
# required (delete it and it is rebuilt). Mirrors: ENVCTL_DEBIAN_MIRROR, ENVCTL_UBUNTU_MIRROR.
set -euo pipefail
ROOTFS_KEY=v1   # bump when the package set or the way the root filesystem is made changes
suite=${1:?usage: ci/minimal-rootfs.sh bookworm|jammy|noble}
cache="${ENVCTL_CI_CACHE:-$HOME/.cache/envctl-ci}"
out="$cache/rootfs-minbase-$suite-$ROOTFS_KEY.tar"
if [ -f "$out" ]; then echo "$out"; exit 0; fi

check=()
case "$suite" in
    bookworm)
        mirror="${ENVCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
        script=/usr/share/debootstrap/scripts/bookworm
        ;;
    jammy | noble)
        mirror="${ENVCTL_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}"
        # Debian 12's debootstrap has no noble script; every Ubuntu release since gutsy uses the same one.
        script=/usr/share/debootstrap/scripts/gutsy
        # Debian 12 has no ubuntu-keyring package. This root filesystem is a throwaway test fixture that
        # only runs envctl's own binary, so without the keyring its packages are fetched unverified.
        if [ -f /usr/share/keyrings/ubuntu-archive-keyring.gpg ]; then
            check=(--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg)
        else
            check=(--no-check-gpg)
        fi
        ;;
    *) echo "ci/minimal-rootfs.sh: unknown suite '$suite' (bookworm, jammy, noble)" >&2; exit 64 ;;
esac
command -v debootstrap >/dev/null || { echo "ci/minimal-rootfs.sh: debootstrap is missing (ci/setup.sh installs it)" >&2; exit 69; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/.rootfs-$suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase "${check[@]}" "$suite" "$work/root" "$mirror" "$script" >"$work/log" 2>&1 || {
    echo "ci/minimal-rootfs.sh: debootstrap $suite from $mirror failed; last lines of its log:" >&2
    tail -n 20 "$work/log" >&2
    exit 1
}
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar -C "$work/root" --numeric-owner -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$out"
echo "$out"

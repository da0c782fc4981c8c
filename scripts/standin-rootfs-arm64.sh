#!/usr/bin/env bash
# Prints the path of a tarball holding the arm64 (aarch64) root filesystem of the stand-in CUDA base
# (scripts/standin-cuda-base.sh IMAGE CUDA_VERSION arm64): Debian 12 minbase with python3.11, venv and dev
# headers, the same package set as the amd64 stand-in. Builds it on first use.
#
# It does NOT run debootstrap's second stage under emulation (every maintainer script under qemu took about
# 40 minutes on a cold 2-core machine). Instead:
#   1. `debootstrap --foreign --arch arm64` (first stage, runs on the host): resolves and downloads the
#      package set and unpacks the essential packages;
#   2. every other downloaded .deb is unpacked with dpkg-deb on the host, and /var/lib/dpkg/status lists
#      them all as installed (so apt-get in a RUN step finds them and installs nothing new);
#   3. only the few maintainer-script effects the image needs are replayed: /etc/passwd and /etc/group from
#      base-passwd, /bin/sh, the awk alternative, then `pwconv`, `grpconv` and `ldconfig` run in the root
#      under qemu-aarch64 (three short commands; needs the binfmt registration ci/setup.sh makes).
# A few seconds of emulation instead of minutes. The root filesystem is a test fixture, not a Debian install:
# packages whose postinst does more than that (none in this set matters for the stand-in) are left as unpacked.
#
# The tarball is cached under ${ENVCTL_STANDIN_CACHE:-$HOME/.cache/envctl-ci}, its name carrying the hash of this
# script: a cache makes a run faster, never required (a missing one is rebuilt from nothing).
# Mirror: ENVCTL_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
CACHE=${ENVCTL_STANDIN_CACHE:-$HOME/.cache/envctl-ci}
SCRIPT_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
TARBALL="$CACHE/standin-bookworm-py311-arm64-$SCRIPT_HASH.tar"
MIRROR=${ENVCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -s "$TARBALL" ]; then echo "$TARBALL"; exit 0; fi

command -v debootstrap >/dev/null || { echo "standin-rootfs-arm64.sh: debootstrap is missing (ci/setup.sh installs it)" >&2; exit 69; }
if ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || ! grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    echo "standin-rootfs-arm64.sh: qemu-aarch64 is not registered with binfmt_misc (ci/setup.sh registers it)" >&2
    exit 69
fi
mkdir -p "$CACHE"
ROOT=$(mktemp -d /tmp/envctl-standin-arm64.XXXXXX)
trap 'rm -rf "$ROOT" "$ROOT.log" "$TARBALL.tmp"' EXIT
echo "standin-rootfs-arm64.sh: debootstrap --foreign --arch arm64 bookworm (cached afterwards in $TARBALL)" >&2
in_root() { env -u TMPDIR -u TMP -u TEMP "$@"; }
# python3-distutils: the first stage does not resolve virtual packages (python3.11-venv depends on the
# python3.11-distutils that it provides), so it is named here; `apt-get check` below proves the set complete.
if ! in_root debootstrap --foreign --arch arm64 --variant=minbase --include=python3.11-venv,python3.11-dev,python3-distutils \
    bookworm "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1; then
    echo "standin-rootfs-arm64.sh: debootstrap (first stage) failed; its log:" >&2
    tail -n 30 "$ROOT.log" "$ROOT/debootstrap/debootstrap.log" 2>/dev/null >&2 || true
    exit 1
fi

# 2. Unpack everything the first stage downloaded (it unpacked only the essential set) and record it as installed.
: >"$ROOT/var/lib/dpkg/status"
for deb in "$ROOT"/var/cache/apt/archives/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -C "$ROOT" --keep-directory-symlink -xf -
    dpkg-deb -f "$deb" | awk '/^Package:/ { print; print "Status: install ok installed"; next } { print }' \
        >>"$ROOT/var/lib/dpkg/status"
    echo >>"$ROOT/var/lib/dpkg/status"
done
: >"$ROOT/var/lib/dpkg/available"
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers"

# 3. The maintainer-script effects the stand-in needs. The first stage leaves /proc as a link to the host's
# /proc (for its own chroot calls below); a container runtime needs a plain directory there.
cp "$ROOT/usr/share/base-passwd/passwd.master" "$ROOT/etc/passwd"
cp "$ROOT/usr/share/base-passwd/group.master" "$ROOT/etc/group"
[ -e "$ROOT/usr/bin/sh" ] || ln -s dash "$ROOT/usr/bin/sh"
[ -e "$ROOT/usr/bin/awk" ] || ln -s mawk "$ROOT/usr/bin/awk"
printf 'deb %s bookworm main\n' "$MIRROR" >"$ROOT/etc/apt/sources.list"
for cmd in /usr/sbin/pwconv /usr/sbin/grpconv /sbin/ldconfig; do
    in_root chroot "$ROOT" "$cmd"
done
# The day of the last password change is today's date: cleared, so the tarball does not depend on the day.
sed -i -E 's/^([^:]*:[^:]*:)[0-9]*:/\1:/' "$ROOT/etc/shadow"
in_root chroot "$ROOT" /usr/bin/python3.11 -c 'import venv, ensurepip' # the stand-in's promise: a Python with venv
in_root chroot "$ROOT" /usr/bin/apt-get check -qq # every recorded package has its dependencies recorded too

rm -f "$ROOT/proc" && mkdir -m 555 "$ROOT/proc"
rm -rf "$ROOT/debootstrap" "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/* \
    "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/tmp/*
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOT" -cf "$TARBALL.tmp" .
mv "$TARBALL.tmp" "$TARBALL"
echo "$TARBALL"

#!/usr/bin/env bash
# Builds envctl's release tarball: a binary that runs on minimal Debian 12, Ubuntu 22.04 and 24.04 with no
# Swift and no extra packages (see docs/install.md for why it is built this way).
#
#   bash scripts/release.sh OUTDIR
#
# writes OUTDIR/envctl-<version>-linux-<arch>.tar.gz and OUTDIR/envctl-<version>-linux-<arch>.tar.gz.sha256
# (`sha256sum -c` format). The tarball has no top-level directory:
#   bin/envctl                                   Swift runtime and Foundation linked in (-static-stdlib)
#   lib/*.so.*                                   libgit2, libcurl, OpenSSL and what they need, found through
#                                                the binary's rpath $ORIGIN/../lib (never the system's copies)
#   share/bash-completion/completions/envctl, share/zsh/site-functions/_envctl,
#   share/fish/vendor_completions.d/envctl.fish  shell completions (ArgumentParser)
#   share/man/man1/envctl*.1                     man pages (ArgumentParser's generate-manual)
#   share/doc/envctl/                            LICENSE, third-party licenses, BUILD-INFO
#
# Deterministic for a given commit and toolchain: the build date is SOURCE_DATE_EPOCH or the commit's date, the
# tarball's entries are sorted with owner 0 and that mtime, and gzip stores no name or time.
#
# Environment: ENVCTL_RELEASE_SCRATCH (SwiftPM scratch path, default .build-release, kept apart from the
# debug .build so a release never disturbs development builds), SOURCE_DATE_EPOCH,
# ENVCTL_RELEASE_ALLOW_NO_LICENSE=1 (build without a LICENSE file at the repository root; for tests only).
set -euo pipefail
out=${1:?usage: bash scripts/release.sh OUTDIR}
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/.*static let envctlVersion = "\(.*\)".*/\1/p' Sources/EnvctlCLI/EnvctlCommand.swift)
[ -n "$version" ] || { echo "release.sh: no envctlVersion in Sources/EnvctlCLI/EnvctlCommand.swift" >&2; exit 70; }
case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
esac
name="envctl-$version-linux-$arch"

if [ ! -f LICENSE ] && [ "${ENVCTL_RELEASE_ALLOW_NO_LICENSE:-}" != 1 ]; then
    echo "release.sh: no LICENSE file at the repository root; a release must say under which license it ships" >&2
    echo "            (ENVCTL_RELEASE_ALLOW_NO_LICENSE=1 builds one anyway, for tests)" >&2
    exit 64
fi

# The stamp: git revision (+ -dirty for uncommitted changes to tracked files) and build date.
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[ "$revision" = unknown ] || [ -z "$(git status --porcelain --untracked-files=no)" ] || revision="$revision-dirty"
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
build_date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

scratch=${ENVCTL_RELEASE_SCRATCH:-.build-release}
[[ "$scratch" == /* ]] || scratch="$root/$scratch"
stamp_dir="$scratch/stamp"
mkdir -p "$stamp_dir"
# The object's name carries the stamp, so a new stamp changes the link command and relinks (nothing recompiles).
stamp_obj="$stamp_dir/stamp-${revision}-${epoch}.o"
if [ ! -f "$stamp_obj" ]; then
    printf '%s\n' \
        "const char *CBuildStamp_revision(void) { return \"$revision\"; }" \
        "const char *CBuildStamp_date(void) { return \"$build_date\"; }" >"$stamp_dir/stamp.c"
    cc -c -O2 -fPIC -o "$stamp_obj" "$stamp_dir/stamp.c"
fi
# GCC 12's static libstdc++ calls arc4random (std::random_device), new in glibc 2.36; this definition (getrandom,
# glibc 2.25) keeps the binary's glibc floor at 2.35, so it runs on Ubuntu 22.04.
compat_obj="$stamp_dir/glibc-compat.o"
printf '%s\n' '#include <stdint.h>' '#include <sys/types.h>' '#include <sys/random.h>' \
    'uint32_t arc4random(void) { uint32_t v; while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {} return v; }' \
    >"$stamp_dir/glibc-compat.c"
cc -c -O2 -fPIC -o "$compat_obj" "$stamp_dir/glibc-compat.c"
# Swift's -static-stdlib links libstdc++ with a plain -lstdc++; a directory holding only libstdc++.a, searched
# before GCC's own, makes that the static archive (libgcc likewise, through clang's -static-libgcc).
static_cxx="$scratch/static-cxx"
mkdir -p "$static_cxx"
ln -sf "$(cc -print-file-name=libstdc++.a)" "$static_cxx/libstdc++.a"

# -static-stdlib links the Swift runtime, Foundation (FoundationEssentials, FoundationInternationalization and
# its ICU data) and Dispatch into the binary. The C libraries are shipped in lib/: DT_RPATH (not RUNPATH, hence
# --disable-new-dtags) is also used for the libraries' own dependencies, so libcurl finds its libnghttp2 there.
flags=(-c release --scratch-path "$scratch"
    -Xswiftc -static-stdlib -Xswiftc "-L$static_cxx" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc
    -Xlinker '-rpath=$ORIGIN/../lib' -Xlinker --disable-new-dtags -Xlinker "$stamp_obj" -Xlinker "$compat_obj")
echo "release.sh: building envctl $version ($revision, $build_date) for linux-$arch" >&2
swift build "${flags[@]}" --product envctl 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' >&2 || true
swift build "${flags[@]}" --product envctl >/dev/null # fail here, with the output above, if the build broke
bin_path=$(swift build "${flags[@]}" --show-bin-path)

stage=$(mktemp -d "${TMPDIR:-/tmp}/envctl-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,lib,share/doc/envctl/third-party,share/man/man1} \
    "$stage"/share/{bash-completion/completions,zsh/site-functions,fish/vendor_completions.d}
install -m 0755 "$bin_path/envctl" "$stage/bin/envctl"
strip --strip-debug "$stage/bin/envctl"

# Every shared library the binary needs except glibc's own (which the host must provide and is
# backward compatible), copied under its soname, with the Debian package's copyright file.
glibc_re='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|ld-linux[-a-z0-9_]*)\.so'
ldd "$stage/bin/envctl" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u | while read -r soname path; do
    if [[ "$soname" =~ $glibc_re ]]; then continue; fi
    install -m 0644 "$(readlink -f "$path")" "$stage/lib/$soname"
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    [ -z "$pkg" ] || [ ! -f "/usr/share/doc/$pkg/copyright" ] || cp "/usr/share/doc/$pkg/copyright" \
        "$stage/share/doc/envctl/third-party/$pkg.copyright"
done
# Swift packages compiled into the binary.
for dep in "$scratch"/checkouts/*; do
    for lic in "$dep"/LICENSE "$dep"/LICENSE.txt; do
        [ -f "$lic" ] && cp "$lic" "$stage/share/doc/envctl/third-party/$(basename "$dep").LICENSE"
    done
done
if [ -f LICENSE ]; then cp LICENSE "$stage/share/doc/envctl/LICENSE"; fi

# The binary must need nothing outside glibc and lib/.
unresolved=$(ldd "$stage/bin/envctl" | awk '$2 == "=>" { print $1, $3 }' | while read -r soname path; do
    [[ "$soname" =~ $glibc_re ]] || [ "$(readlink -f "$path")" = "$stage/lib/$soname" ] || echo "$soname -> $path"
done)
if [ -n "$unresolved" ]; then
    echo "release.sh: bin/envctl resolves these libraries outside lib/:" >&2
    echo "$unresolved" >&2
    exit 1
fi
glibc_max=$(objdump -T "$stage/bin/envctl" "$stage"/lib/* | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -n 1)

"$stage/bin/envctl" --generate-completion-script bash >"$stage/share/bash-completion/completions/envctl"
"$stage/bin/envctl" --generate-completion-script zsh >"$stage/share/zsh/site-functions/_envctl"
"$stage/bin/envctl" --generate-completion-script fish >"$stage/share/fish/vendor_completions.d/envctl.fish"
bash scripts/generate-manual.sh "$scratch" "$stage/bin/envctl" "$stage/share/man/man1" "$epoch"

cat >"$stage/share/doc/envctl/BUILD-INFO" <<EOF
envctl $version
revision $revision
built $build_date
platform linux-$arch
toolchain $(swift --version 2>/dev/null | head -n 1)
requires $glibc_max or newer (glibc), nothing else
EOF

tarball="$out/$name.tar.gz"
tar -C "$stage" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf - . | gzip -n -9 >"$tarball"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "release.sh: wrote $tarball ($(du -h "$tarball" | cut -f1); needs $glibc_max)" >&2
echo "$tarball"

#!/usr/bin/env bash
# Builds envctl's own container image with envctl itself, from the repository's spec release/envctl.yaml (a
# plain environment: `kind: plain`) and a release tarball (scripts/release.sh), so CI jobs can `docker run`
# envctl (see docs/install.md, "Container image").
#
#   bash scripts/release-image.sh TARBALL REPOSITORY [TAG...]
#
#   TARBALL     envctl-<version>-linux-<arch>.tar.gz; its .sha256 file must be beside it and match
#   REPOSITORY  where to push, e.g. ghcr.io/OWNER/envctl; tagged envctl-<lock hash> (by `envctl build --push`),
#               <version> and each TAG (latest, 0.1, ...)
#
# The tarball is unpacked into the spec's context/envctl (release/context/, ignored by git), then the
# tarball's own envctl runs `lock --check` and `build --push` on the spec: the image is the spec's base pinned
# by digest in release/envctl.lock (a lock by tag only is refused), ca-certificates, the tarball under
# /opt/envctl, ENTRYPOINT envctl, and envctl's labels (created, revision, source, base name and digest,
# lock hash). Deterministic: SOURCE_DATE_EPOCH is the tarball's build date (BUILD-INFO), so two builds from
# one tarball and one lock give one digest while the Debian archive serves the same ca-certificates.
#
# Prints REPOSITORY@sha256:<digest> as its last line. Needs buildah (configured as usual: CONTAINERS_* files)
# and the Debian archive. Environment:
#   ENVCTL_RELEASE_SPEC   the spec (default: release/envctl.yaml of this checkout); its lock beside it
#   ENVCTL                the envctl that builds and pushes (default: the tarball's bin/envctl)
#   ENVCTL_BUILD_FLAGS    extra flags for `envctl build`, split on spaces (e.g. --mirror docker.io=HOST)
#   ENVCTL_IMAGE_OCI      also keep the built image as an OCI layout in this directory
set -euo pipefail
usage="usage: bash scripts/release-image.sh TARBALL REPOSITORY [TAG...]"
tarball=${1:?$usage}
repository=${2:?$usage}
shift 2
extra_tags=("$@")
repo_root=$(cd "$(dirname "$0")/.." && pwd)
spec=${ENVCTL_RELEASE_SPEC:-$repo_root/release/envctl.yaml}

if [[ "$repository" == *@* || "${repository##*/}" == *:* ]]; then
    echo "release-image.sh: REPOSITORY is a repository without tag or digest, not '$repository' (tags go after it)" >&2
    exit 64
fi
[ -f "$spec" ] || { echo "release-image.sh: no spec at $spec" >&2; exit 64; }
spec_dir=$(cd "$(dirname "$spec")" && pwd)
spec="$spec_dir/$(basename "$spec")"
lock="$spec_dir/envctl.lock"
# The base must be pinned by digest: a lock written with --no-registry or --offline is refused.
if ! grep -Eq '^ +digest: sha256:[0-9a-f]{64}$' "$lock" 2>/dev/null; then
    echo "release-image.sh: $lock does not pin the base image by digest; run 'envctl lock --spec $spec'" >&2
    echo "                  with registry access and review the digest it records" >&2
    exit 64
fi
command -v buildah >/dev/null || { echo "release-image.sh: buildah is missing (ci/setup.sh installs it)" >&2; exit 69; }

tarball_dir=$(cd "$(dirname "$tarball")" && pwd)
tarball_name=$(basename "$tarball")
(cd "$tarball_dir" && sha256sum --quiet -c "$tarball_name.sha256") || {
    echo "release-image.sh: $tarball does not match $tarball_name.sha256" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/envctl-image.XXXXXX")
context="$spec_dir/context"
cleanup() {
    rm -rf "$work" "$context"
}
trap cleanup EXIT
rm -rf "$context"
mkdir -p "$context/envctl"
tar -C "$context/envctl" -xzf "$tarball_dir/$tarball_name"

info="$context/envctl/share/doc/envctl/BUILD-INFO"
[ -f "$info" ] || { echo "release-image.sh: $tarball has no share/doc/envctl/BUILD-INFO" >&2; exit 64; }
version=$(sed -n 's/^envctl //p' "$info")
built=$(sed -n 's/^built //p' "$info")
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(date -u -d "$built" +%s)

envctl=${ENVCTL:-$context/envctl/bin/envctl}
read -r -a build_flags <<<"${ENVCTL_BUILD_FLAGS:-}"
echo "release-image.sh: building envctl $version with $spec" >&2
# Run in the spec's directory: the revision and source labels are its checkout's.
cd "$spec_dir"
"$envctl" lock --check --spec "$spec" >&2
# --force: always build (an image already under the content tag is not skipped), so the OCI layout exists for
# the version tags and a rebuild shows whether the build is still deterministic.
"$envctl" build --spec "$spec" --env envctl --builder buildah --work-dir "$work/build" \
    --push --force --repository "$repository" "${build_flags[@]}" >&2
oci="$work/build/envctl/oci"
if [ -n "${ENVCTL_IMAGE_OCI:-}" ]; then
    mkdir -p "$(dirname "$ENVCTL_IMAGE_OCI")"
    rm -rf "$ENVCTL_IMAGE_OCI"
    cp -a "$oci" "$ENVCTL_IMAGE_OCI"
fi

# The same manifest under <version> and each TAG.
tag_args=()
for t in "${extra_tags[@]}"; do tag_args+=(--tag "$t"); done
pushed=$("$envctl" push "oci:$oci" "$repository:$version" "${tag_args[@]}")
digest=$(printf '%s\n' "$pushed" | sed -n 's/.*@\(sha256:[0-9a-f]\{64\}\)$/\1/p' | head -n 1)
[ -n "$digest" ] || { echo "release-image.sh: envctl push printed no digest: $pushed" >&2; exit 1; }
echo "release-image.sh: pushed $repository:$version${extra_tags[*]:+ (also ${extra_tags[*]})}" >&2
echo "$repository@$digest"

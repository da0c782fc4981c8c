#!/usr/bin/env bash
# Builds envctl's own container image from a release tarball (scripts/release.sh) and pushes it with the
# tarball's own `envctl push`, so CI jobs can `docker run` envctl (see docs/install.md, "Container image").
#
#   bash scripts/release-image.sh TARBALL BASE REPOSITORY [TAG...]
#
#   TARBALL     envctl-<version>-linux-<arch>.tar.gz; its .sha256 file must be beside it and match
#   BASE        a Debian 12 image pinned by digest, e.g. docker.io/library/debian:bookworm-slim@sha256:<digest>
#               (the release pipeline passes the digest it resolved and reviewed; a tag alone is refused)
#   REPOSITORY  where to push, e.g. ghcr.io/OWNER/envctl; tagged <version> and each TAG (latest, 0.1, ...)
#
# The image: BASE + ca-certificates (apt) + the tarball under /opt/envctl, /usr/local/bin/envctl linking to it,
# ENTRYPOINT envctl, WORKDIR /work, and the OCI labels version, revision, created, source, licenses, title,
# base.name and base.digest. Deterministic: buildah bud with chroot isolation, --timestamp = the tarball's build
# date (BUILD-INFO), no builder identity label, apt's logs and caches removed. Two builds from one tarball and
# one BASE give one digest while the Debian archive serves the same ca-certificates and openssl.
#
# Prints REPOSITORY@sha256:<digest> as its last line. Needs buildah (configured as usual: CONTAINERS_* files,
# registries.conf for BASE's registry) and network access to the Debian archive. Environment:
#   ENVCTL_IMAGE_SOURCE    org.opencontainers.image.source (default: the checkout's remote.origin.url)
#   ENVCTL_IMAGE_LICENSES  org.opencontainers.image.licenses, an SPDX expression; required, except with
#                          ENVCTL_RELEASE_ALLOW_NO_LICENSE=1 (tests), which leaves the label out
#   ENVCTL                 the envctl that pushes (default: the tarball's bin/envctl)
#   ENVCTL_IMAGE_OCI       also keep the built image as an OCI layout in this directory
set -euo pipefail
usage="usage: bash scripts/release-image.sh TARBALL BASE REPOSITORY [TAG...]"
tarball=${1:?$usage}
base=${2:?$usage}
repository=${3:?$usage}
shift 3
extra_tags=("$@")
repo_root=$(cd "$(dirname "$0")/.." && pwd)

case "$base" in
    *@sha256:????????????????????????????????????????????????????????????????) ;;
    *)
        echo "release-image.sh: BASE must be pinned by digest (NAME[:TAG]@sha256:<64 hex>), not '$base'" >&2
        exit 64
        ;;
esac
base_name=${base%@*}
base_digest=${base#*@}
if [[ "$repository" == *@* || "${repository##*/}" == *:* ]]; then
    echo "release-image.sh: REPOSITORY is a repository without tag or digest, not '$repository' (tags go after it)" >&2
    exit 64
fi
if [ -z "${ENVCTL_IMAGE_LICENSES:-}" ] && [ "${ENVCTL_RELEASE_ALLOW_NO_LICENSE:-}" != 1 ]; then
    echo "release-image.sh: set ENVCTL_IMAGE_LICENSES to the SPDX expression of envctl's license (the image's" >&2
    echo "                  org.opencontainers.image.licenses label); ENVCTL_RELEASE_ALLOW_NO_LICENSE=1 builds without, for tests" >&2
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
local_tag="localhost/envctl-release-image:$$"
cleanup() {
    buildah rmi --force "$local_tag" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/context/rootfs/opt/envctl" "$work/context/rootfs/usr/local/bin"
tar -C "$work/context/rootfs/opt/envctl" -xzf "$tarball"
ln -s /opt/envctl/bin/envctl "$work/context/rootfs/usr/local/bin/envctl"

# Version, revision and build date: the tarball's, so the image says what its binary says.
info="$work/context/rootfs/opt/envctl/share/doc/envctl/BUILD-INFO"
[ -f "$info" ] || { echo "release-image.sh: $tarball has no share/doc/envctl/BUILD-INFO" >&2; exit 64; }
version=$(sed -n 's/^envctl //p' "$info")
revision=$(sed -n 's/^revision //p' "$info")
built=$(sed -n 's/^built //p' "$info")
epoch=$(date -u -d "$built" +%s)
source=${ENVCTL_IMAGE_SOURCE:-$(git -C "$repo_root" config --get remote.origin.url 2>/dev/null || true)}

labels=(--label "org.opencontainers.image.title=envctl"
    --label "org.opencontainers.image.description=Reproducible GPU environments and images for ML teams"
    --label "org.opencontainers.image.version=$version"
    --label "org.opencontainers.image.revision=$revision"
    --label "org.opencontainers.image.created=$built"
    --label "org.opencontainers.image.base.name=$base_name"
    --label "org.opencontainers.image.base.digest=$base_digest")
[ -z "$source" ] || labels+=(--label "org.opencontainers.image.source=$source")
[ -z "${ENVCTL_IMAGE_LICENSES:-}" ] || labels+=(--label "org.opencontainers.image.licenses=$ENVCTL_IMAGE_LICENSES")

# apt's logs, lists and caches hold build-time timestamps or change with the archive; they are removed.
cat >"$work/context/Containerfile" <<'EOF'
ARG BASE
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log \
      /var/cache/ldconfig/aux-cache /var/cache/debconf/*-old /var/lib/dpkg/*-old
COPY rootfs/ /
WORKDIR /work
ENTRYPOINT ["/opt/envctl/bin/envctl"]
CMD ["--help"]
EOF

echo "release-image.sh: building envctl $version ($revision) on $base" >&2
buildah bud --isolation chroot --pull --timestamp "$epoch" --identity-label=false \
    --build-arg "BASE=$base" "${labels[@]}" -f "$work/context/Containerfile" -t "$local_tag" \
    "$work/context" >"$work/build.log" 2>&1 || {
    echo "release-image.sh: buildah bud failed; its output:" >&2
    tail -n 40 "$work/build.log" >&2
    exit 1
}
oci=${ENVCTL_IMAGE_OCI:-$work/oci}
mkdir -p "$(dirname "$oci")"
buildah push --quiet "$local_tag" "oci:$oci:$version" >&2

envctl=${ENVCTL:-$work/context/rootfs/opt/envctl/bin/envctl}
tag_args=()
for t in "${extra_tags[@]}"; do tag_args+=(--tag "$t"); done
pushed=$("$envctl" push "oci:$oci:$version" "$repository:$version" "${tag_args[@]}")
digest=$(printf '%s\n' "$pushed" | sed -n 's/.*@\(sha256:[0-9a-f]\{64\}\)$/\1/p' | head -n 1)
[ -n "$digest" ] || { echo "release-image.sh: envctl push printed no digest: $pushed" >&2; exit 1; }
echo "release-image.sh: pushed $repository:$version${extra_tags[*]:+ (also ${extra_tags[*]})}" >&2
echo "$repository@$digest"

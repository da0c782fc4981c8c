#!/usr/bin/env bash
# envctl's main job on the built-in example (examples/quickstart), the whole chain, offline:
#   1. start a local registry on 127.0.0.1 and a local package index of stand-in wheels;
#   2. push a small stand-in CUDA base image there under a mirror of nvidia/cuda (no real CUDA image
#      can be downloaded here; scripts/standin-cuda-base.sh builds one: Debian 12 + Python 3.11), and
#      serve a stand-in python-build-standalone archive (that image's own Python, laid out like the real
#      install_only archive) from a local mirror, with a knowledge overlay row (ENVCTL_KNOWLEDGE) carrying
#      its sha256, since GitHub is unreachable; the build fetches it via --python-mirror;
#   3. envctl lock (images pinned by digest through the registry mirror), envctl dockerfile,
#      envctl build --push (buildah, chroot isolation), which attaches the SBOM and SLSA provenance as
#      OCI referrers; envctl verify checks them against the committed lock;
#   4. run a command in the pushed image with podman;
#   5. stop everything it started and delete its files.
# Storage, registries.conf and containers.conf are private to this run (nothing in /var/lib/containers).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

TOOLS_BIN=$(bash ci/setup.sh | tail -n 1)
export PATH="$TOOLS_BIN:$PATH" ENVCTL_TOOLS_VENV="${TOOLS_BIN%/bin}"
swift build --product envctl >/dev/null
ENVCTL="$REPO/.build/debug/envctl"

work=$(mktemp -d /tmp/envctl-demo.XXXXXX)
index_pid=""
pbs_pid=""
cleanup() {
    set +e
    [ -n "$index_pid" ] && kill "$index_pid" 2>/dev/null
    [ -n "$pbs_pid" ] && kill "$pbs_pid" 2>/dev/null
    bash "$REPO/ci/registry.sh" stop "$work/registry" >/dev/null 2>&1
    if [ -n "${CONTAINERS_STORAGE_CONF:-}" ]; then
        podman rm --all --force >/dev/null 2>&1
        buildah rm --all >/dev/null 2>&1
        buildah rmi --all --force >/dev/null 2>&1
        CONTAINERS_STORAGE_CONF="$work/storage2.conf" buildah rmi --all --force >/dev/null 2>&1
    fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

# Private containers configuration (see ../shared/reference/container-tooling.md: runc, explicit ulimits).
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576; [ "$nofile" -gt 1048576 ] && nofile=1048576
mkdir -p "$work/tmp"
cat >"$work/storage.conf" <<EOF2
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
EOF2
cat >"$work/containers.conf" <<EOF2
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF2
export CONTAINERS_STORAGE_CONF="$work/storage.conf" CONTAINERS_CONF="$work/containers.conf" BUILDAH_ISOLATION=chroot
export TMPDIR="$work/tmp"   # buildah keeps RUN --mount=type=cache directories under $TMPDIR/buildah-cache

step "start a registry on loopback"
mkdir -p "$work/registry"
eval "$(bash ci/registry.sh start plain "$work/registry" | grep '^ENVCTL_TEST_REGISTRY=')"
REG=$ENVCTL_TEST_REGISTRY
echo "registry: http://$REG"
cat >"$work/registries.conf" <<EOF2
unqualified-search-registries = []
[[registry]]
location = "$REG"
insecure = true
EOF2
export CONTAINERS_REGISTRIES_CONF="$work/registries.conf"
# envctl's own registries config: pulls of docker.io/* go to the local mirror first.
cat >"$work/envctl-registries.yaml" <<EOF2
registries:
  docker.io:
    mirrors: ["$REG"]
EOF2
export ENVCTL_REGISTRIES_CONFIG="$work/envctl-registries.yaml"

step "start a package index of stand-in wheels (torch, numpy, ...)"
mkfifo "$work/index.out"
python3 Tests/Fixtures/wheel_index.py "$work/index" --serve --parent $$ </dev/null >"$work/index.out" 2>&1 &
index_pid=$!
read -r _ port <"$work/index.out"
INDEX="http://127.0.0.1:$port"
export ENVCTL_INDEX_MIRRORS="https://pypi.org/simple=$INDEX/pypi/simple,https://download.pytorch.org/whl=$INDEX/whl"
echo "index: $INDEX"

step "stand-in CUDA base under the nvidia/cuda mirror"
bash scripts/standin-cuda-base.sh localhost/standin-cuda:12.4.1 12.4.1 >/dev/null
for tag in 12.4.1-base-ubuntu22.04 12.4.1-devel-ubuntu22.04; do
    buildah push --quiet localhost/standin-cuda:12.4.1 "docker://$REG/nvidia/cuda:$tag"
    echo "$REG/nvidia/cuda:$tag"
done

step "stand-in python-build-standalone archive on a local mirror (the lock keeps the upstream URL)"
# The quickstart locks CPython 3.11.18 from python-build-standalone 20261110. The stand-in is the base image's
# Python 3.11 at the same path; the overlay row replaces the built-in one with the stand-in's sha256.
pbs_file="cpython-3.11.18+20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
pbs_url="https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
mkdir -p "$work/pbs/20261110"
c=$(buildah from --quiet localhost/standin-cuda:12.4.1)
buildah run --volume "$work/pbs/20261110:/out" "$c" -- sh -c \
    "tar -C / --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --transform 's,^usr/,python/,' -cf - usr/bin/python3.11 usr/lib/python3.11 | gzip -n > '/out/$pbs_file'"
buildah rm "$c" >/dev/null
pbs_sha=$(sha256sum "$work/pbs/20261110/$pbs_file" | cut -c1-64)
cat >"$work/pbs-standin.yaml" <<EOF2
schema_version: 1
version: "standin"
date: "2026-12-04"
sources:
  standin: {url: "https://example.invalid/standin", what: "ci/demo.sh stand-in archive (Debian 12's python3.11)"}
python_builds:
  - version: "3.11.18"
    build: "20261110"
    flavour: install_only_stripped
    platforms:
      linux/amd64: {url: "$pbs_url", sha256: "$pbs_sha"}
    source: standin
    confidence: low
EOF2
export ENVCTL_KNOWLEDGE="$work/pbs-standin.yaml"
mkfifo "$work/pbs.out"
python3 -u -c 'import http.server, functools, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print("port", s.server_address[1], flush=True)
s.serve_forever()' "$work/pbs" </dev/null >"$work/pbs.out" 2>"$work/pbs.log" &
pbs_pid=$!
read -r _ pbs_port <"$work/pbs.out"
PYTHON_MIRROR="http://127.0.0.1:$pbs_port"
echo "python mirror: $PYTHON_MIRROR (stand-in sha256 $pbs_sha)"

cp -r examples/quickstart "$work/project"
cd "$work/project"
git init -q && git add -A
git -c user.name=envctl-demo -c user.email=demo@example.com commit -q -m "quickstart"

step "envctl.yaml"
cat envctl.yaml

step "envctl lock"
"$ENVCTL" lock
cat envctl.lock
"$ENVCTL" lock --check
git add envctl.lock
git -c user.name=envctl-demo -c user.email=demo@example.com commit -q -m "lock"

step "envctl dockerfile"
"$ENVCTL" dockerfile -o Dockerfile
cat Dockerfile

step "envctl build --push"
"$ENVCTL" build --push --repository "$REG/team/train" --python-mirror "$PYTHON_MIRROR" \
    --build-arg "PIP_INDEX_URL=$INDEX/pypi/simple" --build-arg "PIP_EXTRA_INDEX_URL=$INDEX/whl/cu124" | tee "$work/build.out"
ref=$(grep '^pushed ' "$work/build.out" | cut -d' ' -f2)
image="${ref%%:envctl-*}@${ref##*@}"
grep -q '^attached sbom ' "$work/build.out" && grep -q '^attached provenance ' "$work/build.out" \
    || { echo "demo: build --push attached no SBOM or provenance" >&2; exit 1; }

step "envctl verify $image --commit HEAD (lock hash, SBOM + provenance attached, packages match the lock)"
"$ENVCTL" verify "$image" --commit HEAD

step "envctl sbom (CycloneDX 1.6; the Debian packages come from the built image's dpkg status)"
"$ENVCTL" sbom -o "$work/sbom.cdx.json"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); c=b["components"]; print(len(c), "components:", sum(x["purl"].startswith("pkg:pypi/") for x in c if "purl" in x), "Python,", sum(x["purl"].startswith("pkg:deb/") for x in c if "purl" in x), "Debian packages")' "$work/sbom.cdx.json"

step "rebuild from scratch (fresh storage, --force): the same digest"
sed "s#$work/storage#$work/storage2#; s#$work/run#$work/run2#" "$work/storage.conf" >"$work/storage2.conf"
CONTAINERS_STORAGE_CONF="$work/storage2.conf" "$ENVCTL" build --force --work-dir .envctl/build2 \
    --python-mirror "$PYTHON_MIRROR" --build-arg "PIP_INDEX_URL=$INDEX/pypi/simple" --build-arg "PIP_EXTRA_INDEX_URL=$INDEX/whl/cu124" 2>/dev/null | tee "$work/build2.out"
[ "$(grep '^built ' "$work/build.out" | cut -d' ' -f3)" = "$(grep '^built ' "$work/build2.out" | cut -d' ' -f3)" ] \
    || { echo "demo: the rebuild gave a different image digest" >&2; exit 1; }
echo "same digest: ${ref##*@}"

step "envctl build --push again (the registry has this lock's image: skipped)"
"$ENVCTL" build --push --repository "$REG/team/train" | tee "$work/build3.out"
grep -q '^attached sbom ' "$work/build3.out" && grep -q '^attached provenance ' "$work/build3.out" \
    || { echo "demo: the skipped build --push shows no SBOM or provenance" >&2; exit 1; }
"$ENVCTL" verify "$image" --commit HEAD

step "podman run $image"
podman run --rm --network none "$image" \
    python -c 'import torch, os, sys; print("torch", torch.__version__, "as uid", os.getuid(), "NVIDIA_REQUIRE_CUDA", os.environ["NVIDIA_REQUIRE_CUDA"], "python", sys.base_prefix)'

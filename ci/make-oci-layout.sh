#!/usr/bin/env bash
# Writes a one-layer OCI image layout by hand (tar, sha256sum; no daemon, no network).
#   ci/make-oci-layout.sh DIR TAG [PAYLOAD_BYTES] [gzip|tar] [LOCK_HASH] [ARCH]
# The layer is a deterministic tar of PAYLOAD_BYTES random bytes (default 4096), gzip -n -1 unless "tar".
# ARCH (default amd64) is the config's architecture (os is linux). With LOCK_HASH, the config carries envctl's dev.envctl.lock-hash label with it (as envctl's templates write).
# Prints the manifest digest.
set -euo pipefail
DIR=${1:?dir}; TAG=${2:?tag}; BYTES=${3:-4096}; COMP=${4:-gzip}; LOCK_HASH=${5:-}; ARCH=${6:-amd64}
mkdir -p "$DIR/blobs/sha256"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/root"
head -c "$BYTES" /dev/urandom >"$WORK/root/payload.bin"
echo "envctl test image $TAG" >"$WORK/root/hello.txt"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$WORK/root" -cf "$WORK/layer.tar" .
DIFF=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
if [ "$COMP" = gzip ]; then
    gzip -n -1 -c "$WORK/layer.tar" >"$WORK/layer"; LTYPE=application/vnd.oci.image.layer.v1.tar+gzip
else
    mv "$WORK/layer.tar" "$WORK/layer"; LTYPE=application/vnd.oci.image.layer.v1.tar
fi
put() { local h; h=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$DIR/blobs/sha256/$h"; echo "$h"; }
LSIZE=$(stat -c %s "$WORK/layer"); LHEX=$(put "$WORK/layer")
EXTRA_LABEL=""; [ -n "$LOCK_HASH" ] && EXTRA_LABEL=",\"dev.envctl.lock-hash\":\"$LOCK_HASH\""
printf '{"architecture":"%s","config":{"Cmd":["/hello.txt"],"Labels":{"org.envctl.test":"%s"%s}},"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"make-oci-layout"}],"os":"linux","rootfs":{"diff_ids":["sha256:%s"],"type":"layers"}}' "$ARCH" "$TAG" "$EXTRA_LABEL" "$DIFF" >"$WORK/config"
CSIZE=$(stat -c %s "$WORK/config"); CHEX=$(put "$WORK/config")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \
    "$CHEX" "$CSIZE" "$LTYPE" "$LHEX" "$LSIZE" >"$WORK/manifest"
MSIZE=$(stat -c %s "$WORK/manifest"); MHEX=$(put "$WORK/manifest")
echo '{"imageLayoutVersion":"1.0.0"}' >"$DIR/oci-layout"
python3 - "$DIR/index.json" "$MHEX" "$MSIZE" "$TAG" <<'PY'
import json, os, sys
path, hexd, size, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
idx = {"schemaVersion": 2, "manifests": []}
if os.path.exists(path):
    idx = json.load(open(path))
idx["manifests"] = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + hexd,
                         "size": size, "annotations": {"org.opencontainers.image.ref.name": tag}})
json.dump(idx, open(path, "w"))
PY
echo "sha256:$MHEX"

#!/bin/bash
# bench/pull-vs-skopeo.sh [N]: N pulls of a 4-layer image (busybox plus
# three layers of a few MB each) from a docker-registry on 127.0.0.1 with
# `ccompose image pull` into an empty store, against N `skopeo copy
# docker://... dir:...` of the same image into an empty directory, in one
# run, printed as milliseconds per pull and as a ratio. Root only.
#
# ccompose does more than skopeo here: besides fetching and checking every
# blob it unpacks the layers (gzip, tar, whiteouts, diff-ids) and records
# the image in its store; skopeo's dir: destination only writes the blobs.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (the images cache of tests/system/make-images.sh), BENCH_DIR (scratch
# directory, default a fresh one under /tmp).
set -euo pipefail

N=${1:-10}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}

[ "$(id -u)" = 0 ] || { echo "pull-vs-skopeo.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "pull-vs-skopeo.sh: $CCOMPOSE not built" >&2; exit 1; }
for tool in docker-registry skopeo python3 curl; do
        command -v "$tool" >/dev/null || { echo "pull-vs-skopeo.sh: $tool is not installed" >&2; exit 1; }
done

W=${BENCH_DIR:-$(mktemp -d /tmp/ccompose-bench.XXXXXX)}
mkdir -p "$W"
REG_PID=
cleanup() {
        if [ -n "$REG_PID" ]; then
                kill "$REG_PID" 2>/dev/null || true
                wait "$REG_PID" 2>/dev/null || true
        fi
        rm -rf "$W"
}
trap cleanup EXIT

"$SRCDIR/tests/system/make-images.sh" "$IMAGES"

# The image: busybox, then three layers of 1.5 MB random data and 3 MB of
# compressible text each.
for i in 1 2 3; do
        mkdir -p "$W/l$i/data$i"
        head -c 1500000 /dev/urandom >"$W/l$i/data$i/random.bin"
        python3 -c "
import random
random.seed($i)
words = ['alpha', 'beta', 'gamma', 'delta', 'layer', 'image', 'registry', 'pull']
with open('$W/l$i/data$i/text.txt', 'w') as f:
    f.write(' '.join(random.choice(words) for _ in range(500000)))"
        tar -C "$W/l$i" -cf "$W/l$i.tar" "data$i"
done
python3 "$SRCDIR/tests/system/registry-tool.py" image "$W/layout" "$IMAGES/rootfs.tar" "$W/l1.tar" "$W/l2.tar" \
        "$W/l3.tar"

# The registry, on a free loopback port.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
cat >"$W/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/storage
http:
  addr: $REG
  secret: bench
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
for ((i = 0; i < 200; i++)); do curl -s -o /dev/null "http://$REG/v2/" && break; sleep 0.05; done
python3 "$SRCDIR/tests/system/registry-tool.py" push "$W/layout" "$REG" bench/multi:latest
REF=$REG/bench/multi:latest
size=$(du -sb "$W/storage/docker/registry/v2/blobs" | cut -f1)

now_ns() { date +%s%N; }
export NO_COLOR=1 CCOMPOSE_REGISTRY_LOOPBACK_ONLY=1 DOCKER_CONFIG=$W/docker
cc_pull() {
        rm -rf "$W/root"
        CCOMPOSE_ROOT=$W/root "$CCOMPOSE" image pull -q "$REF" >/dev/null
}
skopeo_pull() {
        rm -rf "$W/dir"
        skopeo copy -q --src-tls-verify=false "docker://$REF" "dir:$W/dir" >/dev/null
}

# One warm-up each, then N timed pulls of each, alternating.
cc_pull
skopeo_pull
cc_ns=0 sk_ns=0
for ((i = 0; i < N; i++)); do
        t0=$(now_ns)
        cc_pull
        t1=$(now_ns)
        skopeo_pull
        t2=$(now_ns)
        cc_ns=$((cc_ns + t1 - t0))
        sk_ns=$((sk_ns + t2 - t1))
done
[ "$(ls "$W/root/layers" | wc -l)" = 4 ] || { echo "pull-vs-skopeo.sh: ccompose did not unpack 4 layers" >&2; exit 1; }

cc_us=$((cc_ns / N / 1000))
sk_us=$((sk_ns / N / 1000))
printf 'image: 4 layers, %d.%d MB of blobs\n' $((size / 1000000)) $((size / 100000 % 10))
printf 'ccompose image pull: %d.%03d ms/pull\n' $((cc_us / 1000)) $((cc_us % 1000))
printf 'skopeo copy dir:     %d.%03d ms/pull\n' $((sk_us / 1000)) $((sk_us % 1000))
awk -v a="$cc_us" -v b="$sk_us" 'BEGIN { printf "ratio ccompose/skopeo: %.2f (N=%d)\n", a / b, '"$N"' }'

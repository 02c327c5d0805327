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
# directory for the registry and the image, default a fresh one under
# /var/tmp), BENCH_PULL_DIR (where the stores and skopeo's directories go,
# default a fresh top-level directory of the root filesystem: a real disk,
# where /tmp is a tmpfs on many systems; and a new top-level directory is
# placed by ext4 in a block group of its own choosing, not in the one
# /var/tmp shares with whatever earlier runs and tests deleted, which on an
# ext4 without a journal makes every new inode skip the recently freed
# ones. The script prints the filesystem it measured on).
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

W=${BENCH_DIR:-$(mktemp -d /var/tmp/ccompose-bench.XXXXXX)}
mkdir -p "$W"
D=${BENCH_PULL_DIR:-$(mktemp -d /ccompose-bench-pulls.XXXXXX)}
mkdir -p "$D"
fs=$(df --output=fstype,source "$D" | tail -n 1 | awk '{ print $1 " on " $2 }')
# ext4 without a journal (as on some VMs) behaves differently: syncs are
# cheap, but creating a file skips over every inode freed in the last
# minutes in its block group, so figures depend on what was deleted there
# lately (a previous run's cleanup included).
case $fs in
ext4*) ls /proc/fs/jbd2 2>/dev/null | grep -q "^$(basename "${fs##* on }")-" || fs="$fs, no journal" ;;
esac
REG_PID=
cleanup() {
        if [ -n "$REG_PID" ]; then
                kill "$REG_PID" 2>/dev/null || true
                wait "$REG_PID" 2>/dev/null || true
        fi
        rm -rf "$W" "$D"
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
# Each pull starts from nothing: a new empty store, a new empty directory
# (all removed at the end: deleting between pulls would make ext4 skip the
# just-freed inodes, at a cost, when the next pull creates its files).
cc_pull() { CCOMPOSE_ROOT=$D/root-$1 "$CCOMPOSE" image pull -q "$REF" >/dev/null; }
skopeo_pull() { skopeo copy -q --src-tls-verify=false "docker://$REF" "dir:$D/dir-$1" >/dev/null; }

# One warm-up each, then N timed pulls of each, alternating. The machine
# may be shared: the ratio is of the medians.
cc_pull warm
skopeo_pull warm
sync
cc_t=() sk_t=()
for ((i = 0; i < N; i++)); do
        t0=$(now_ns)
        cc_pull "$i"
        t1=$(now_ns)
        skopeo_pull "$i"
        t2=$(now_ns)
        cc_t+=($(((t1 - t0) / 1000)))
        sk_t+=($(((t2 - t1) / 1000)))
done
[ "$(ls "$D/root-0/layers" | wc -l)" = 4 ] || { echo "pull-vs-skopeo.sh: ccompose did not unpack 4 layers" >&2; exit 1; }

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { print int(s / NR) }'; }
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
cc_med=$(median "${cc_t[@]}") sk_med=$(median "${sk_t[@]}")
printf 'image: 4 layers, %d.%d MB of blobs; store and dir: on %s (%s)\n' $((size / 1000000)) $((size / 100000 % 10)) \
        "$fs" "$D"
printf 'ccompose image pull: %s ms/pull median (mean %s)\n' "$(ms "$cc_med")" "$(ms "$(mean "${cc_t[@]}")")"
printf 'skopeo copy dir:     %s ms/pull median (mean %s)\n' "$(ms "$sk_med")" "$(ms "$(mean "${sk_t[@]}")")"
awk -v a="$cc_med" -v b="$sk_med" 'BEGIN { printf "ratio ccompose/skopeo: %.2f (medians, N=%d)\n", a / b, '"$N"' }'

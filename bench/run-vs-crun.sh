#!/bin/bash
# bench/run-vs-crun.sh [N]: N sequential `ccompose run --rm` of `true`
# against N `crun run` of the same busybox rootfs, in one run, printed as
# milliseconds per container and as a ratio. Root only.
#
# Both sides get new pid, mount, uts, ipc and network namespaces and a
# cgroup; ccompose also does what a compose container needs (overlay over
# the image layers, Docker's default capabilities and seccomp filter,
# masked paths, /etc/hosts, loopback up, removal of the container).
#
# crun 1.8.1 refuses this machine's hybrid cgroups while
# /sys/fs/cgroup/unified/cgroup.controllers lists a controller: it runs in
# a private mount namespace with an empty file bound over that file.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (the images cache of tests/system/make-images.sh), BENCH_DIR (scratch
# directory, default a fresh one under /tmp; its filesystem matters: the
# container's writable layer lives there).
set -euo pipefail

N=${1:-50}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}

[ "$(id -u)" = 0 ] || { echo "run-vs-crun.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "run-vs-crun.sh: $CCOMPOSE not built" >&2; exit 1; }
if ! command -v crun >/dev/null; then
        echo "run-vs-crun.sh: installing crun" >&2
        apt-get install -y crun >/dev/null
fi

W=${BENCH_DIR:-$(mktemp -d /tmp/ccompose-bench.XXXXXX)}
mkdir -p "$W"
cleanup() {
        local c
        for c in $(crun list -q 2>/dev/null | grep '^ccbench-' || true); do crun delete -f "$c" >/dev/null 2>&1 || true; done
        grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
        rm -rf "$W"
}
trap cleanup EXIT

"$SRCDIR/tests/system/make-images.sh" "$IMAGES"
export CCOMPOSE_ROOT=$W/root CCOMPOSE_RUNTIME_DIR=$W/run NO_COLOR=1
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null

mkdir -p "$W/proj"
cat >"$W/proj/compose.yaml" <<'EOF'
services:
  bench:
    image: busybox:test
    command: ["true"]
EOF

# The crun bundle: the same rootfs, crun's default spec running /bin/true.
mkdir -p "$W/bundle"
cp -a "$IMAGES/rootfs" "$W/bundle/rootfs"
(cd "$W/bundle" && crun spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"\/bin\/true"/' "$W/bundle/config.json"
touch "$W/empty"

now_ns() { date +%s%N; }

# One warm-up each (page cache, seccomp cache), then N timed runs.
"$CCOMPOSE" -f "$W/proj/compose.yaml" -p ccbench run --rm -T bench </dev/null
t0=$(now_ns)
for ((i = 0; i < N; i++)); do
        "$CCOMPOSE" -f "$W/proj/compose.yaml" -p ccbench run --rm -T bench </dev/null
done
t1=$(now_ns)

crun_ns=$(unshare -m bash -c '
        set -e
        mount --bind "$1/empty" /sys/fs/cgroup/unified/cgroup.controllers
        cd "$1/bundle"
        crun run ccbench-warm </dev/null
        t0=$(date +%s%N)
        for ((i = 0; i < $2; i++)); do crun run "ccbench-$i" </dev/null; done
        t1=$(date +%s%N)
        echo $((t1 - t0))' bench "$W" "$N")

cc_us=$(((t1 - t0) / N / 1000))
crun_us=$((crun_ns / N / 1000))
printf 'ccompose run --rm: %d.%03d ms/container\n' $((cc_us / 1000)) $((cc_us % 1000))
printf 'crun run:          %d.%03d ms/container\n' $((crun_us / 1000)) $((crun_us % 1000))
awk -v a="$cc_us" -v b="$crun_us" 'BEGIN { printf "ratio ccompose/crun: %.2f (N=%d)\n", a / b, '"$N"' }'

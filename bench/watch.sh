#!/usr/bin/env bash
# bench/watch.sh: ccompose watch (issue 15). From the write() of a file on
# the host to its new content being readable in the container (polled
# through the container's root, /proc/PID/root), median of RUNS saves;
# the time to set up the watches of a 50,000-file tree (500 directories),
# the CPU the idle watch takes over it for IDLE seconds and its memory
# (the entries of every directory as last seen are kept, for the rescan
# after an event queue overflow).
#
#   bench/watch.sh          # as root; CCOMPOSE=build/ccompose by default
#   RUNS=50 FILES=50000 IDLE=20 bench/watch.sh
#
# The busybox test image (tests/system/make-images.sh). Everything happens
# in a temporary CCOMPOSE_ROOT and CCOMPOSE_RUNTIME_DIR removed at the end.
# Target (issue 15): <= 50 ms median for sync (docker compose batches for
# 500 ms before it acts); CPU of an idle watch over 50,000 files ~ 0.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=$(readlink -f "${CCOMPOSE:-$REPO/build/ccompose}")
RUNS=${RUNS:-20}
FILES=${FILES:-50000}
IDLE=${IDLE:-10}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
[ "$(id -u)" = 0 ] || { echo "watch.sh: run as root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "watch.sh: $CCOMPOSE not built" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ccompose-bench.XXXXXX)
export CCOMPOSE_ROOT=$TMP/root CCOMPOSE_RUNTIME_DIR=$TMP/run NO_COLOR=1
mkdir -p "$CCOMPOSE_ROOT" "$CCOMPOSE_RUNTIME_DIR" "$TMP/proj/src"
P=ccwatch$$
WPID=
cc() { "$CCOMPOSE" -f "$TMP/proj/compose.yaml" -p "$P" "$@"; }
cleanup() {
        [ -z "$WPID" ] || { kill -INT "$WPID"; wait "$WPID"; } 2>/dev/null
        cc down -v -t 0 >/dev/null 2>&1
        rm -rf "$TMP"
}
trap cleanup EXIT
"$REPO/tests/system/make-images.sh" "$IMAGES" >/dev/null || exit 1
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null || exit 1
cat >"$TMP/proj/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    network_mode: none
    init: true
    command: ["sh", "-c", "mkdir -p /tmp/app; exec sleep 3600"]
    develop:
      watch:
        - {path: ./src, action: sync, target: /tmp/app}
EOF
python3 - "$TMP/proj/src" "$FILES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i % 500))
    os.makedirs(sub, exist_ok=True)
    open(os.path.join(sub, "f%05d" % i), "w").write("x")
EOF
cc up -d >/dev/null 2>&1 || { echo "watch.sh: up failed" >&2; exit 1; }
start=$(date +%s%N)
: >"$TMP/watch.log"
# ccompose itself in the background (not a subshell running the cc
# function): the Ctrl-C of the cleanup and the CPU figure are its own
"$CCOMPOSE" -f "$TMP/proj/compose.yaml" -p "$P" watch --no-up >"$TMP/watch.log" 2>&1 &
WPID=$!
until grep -q "Watch enabled" "$TMP/watch.log"; do sleep 0.01; done
echo "watch set up over $FILES files: $(( ($(date +%s%N) - start) / 1000000 )) ms (ccompose process start included)"
ticks() { awk '{print $14 + $15}' "/proc/$WPID/stat"; }
t0=$(ticks); sleep "$IDLE"; t1=$(ticks)
echo "idle watch CPU over ${IDLE} s: $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms"
echo "watch process memory (VmRSS) over $FILES files: $(awk '/^VmRSS/ {print $2, $3}' "/proc/$WPID/status")"
pid=$(jq -r '.containers[0].pid' "$CCOMPOSE_RUNTIME_DIR/$P/state.json")
python3 - "$TMP/proj/src" "/proc/$pid/root/tmp/app" "$RUNS" <<'EOF'
import os, sys, time, statistics
src, dst, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
lat = []
for i in range(runs):
    want = "v%d\n" % i
    t0 = time.monotonic()
    with open(os.path.join(src, "lat.txt"), "w") as f:
        f.write(want)
    while True:
        try:
            if open(os.path.join(dst, "lat.txt")).read() == want:
                break
        except OSError:
            pass
        time.sleep(0.0005)
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(0.3)
p90 = statistics.quantiles(lat, n=10)[8] if runs >= 2 else lat[0]
print("write -> readable in the container (sync): median %.1f ms, p90 %.1f, min %.1f, max %.1f (%d saves)" %
      (statistics.median(lat), p90, min(lat), max(lat), runs))
EOF

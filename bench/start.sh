#!/usr/bin/env bash
# bench/start.sh [N]: how soon a container's process runs after ccompose is
# asked to start it, and how soon an exited container is gone after it is
# asked to remove it (issue 16's `docker run --rm IMAGE true`, runtime side).
# One service, `network_mode: none`, from the busybox test image
# (tests/system/make-images.sh). The container runs busybox `adjtimex`,
# which prints the wall clock (ns) at its start: the exec time, read
# from the container's output. Medians of N (default 15) runs, in ms:
#   up->exec     `up -d` invoked → the container's process runs
#   up           `up -d` invoked → returned
#   start->exec  `start` of the stopped container (its supervisor runs:
#                the control request) → the process runs
#   down         the container has exited → `down -t 0 -v` returned
#                (container, cgroups, overlay, supervisor, state gone)
#   run->exec    `run --rm` invoked → the process runs
#   run          `run --rm` invoked → returned (container removed)
#   cli          `ps -a` (the CLI's own floor: load, parse, connect)
# Not a timed test. Root only; everything in a temporary CCOMPOSE_ROOT and
# CCOMPOSE_RUNTIME_DIR removed at the end.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=$(readlink -f "${CCOMPOSE:-$REPO/build/ccompose}")
N=${1:-15}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
[ "$(id -u)" = 0 ] || { echo "start.sh: run as root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "start.sh: $CCOMPOSE not built" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ccompose-bench-start.XXXXXX)
export CCOMPOSE_ROOT=$TMP/root CCOMPOSE_RUNTIME_DIR=$TMP/run NO_COLOR=1
mkdir -p "$CCOMPOSE_ROOT" "$CCOMPOSE_RUNTIME_DIR" "$TMP/p"
P=ccbenchstart$$
F=$TMP/p/compose.yaml
cc() { "$CCOMPOSE" -f "$F" -p "$P" "$@"; }
cleanup() {
        cc down -v -t 0 >/dev/null 2>&1
        grep -F " $TMP/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$TMP"
}
trap cleanup EXIT

"$REPO/tests/system/make-images.sh" "$IMAGES" >/dev/null || exit 1
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null || exit 1
cat >"$F" <<'EOF'
services:
  t:
    image: busybox:test
    network_mode: none
    command: ["adjtimex"]
EOF

now_ns() { date +%s%N; }
# exec_ns: the start time the last adjtimex in the given output printed
# (its tv_usec is in ns: the kernel's STA_NANO)
exec_ns() { awk '/time.tv_sec:/ { s = $2 } /time.tv_usec:/ { u = $2 } END { printf "%d%09d\n", s, u }'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
declare -A R
add() { R[$1]+="$2 "; }

cc down -v -t 0 >/dev/null 2>&1
for ((i = 0; i <= N; i++)); do
        a=$(now_ns)
        cc up -d >/dev/null 2>&1 || { echo "start.sh: up failed" >&2; exit 1; }
        b=$(now_ns)
        cc wait t >/dev/null 2>&1
        x=$(cc logs --no-log-prefix t 2>/dev/null | exec_ns)
        a2=$(now_ns)
        cc start t >/dev/null 2>&1 || { echo "start.sh: start failed" >&2; exit 1; }
        cc wait t >/dev/null 2>&1
        x2=$(cc logs --no-log-prefix t 2>/dev/null | exec_ns)
        c=$(now_ns)
        cc down -v -t 0 >/dev/null 2>&1 || { echo "start.sh: down failed" >&2; exit 1; }
        d=$(now_ns)
        e=$(now_ns)
        x3=$(cc run --rm t 2>/dev/null | exec_ns)
        f=$(now_ns)
        g=$(now_ns)
        cc ps -a >/dev/null 2>&1
        h=$(now_ns)
        [ "$i" = 0 ] && continue # warm-up
        add up_exec "$(ms "$a" "$x")"
        add up "$(ms "$a" "$b")"
        add start_exec "$(ms "$a2" "$x2")"
        add down "$(ms "$c" "$d")"
        add run_exec "$(ms "$e" "$x3")"
        add run "$(ms "$e" "$f")"
        add cli "$(ms "$g" "$h")"
done
cc down -v -t 0 >/dev/null 2>&1
printf '%-12s %8s   (median of %d, ms; load %s)\n' what median "$N" "$(cut -d' ' -f1-3 /proc/loadavg)"
for k in up_exec up start_exec down run_exec run cli; do
        printf '%-12s %8s\n' "${k/_/->}" "$(tr ' ' '\n' <<<"${R[$k]}" | grep . | median)"
done

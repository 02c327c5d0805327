#!/bin/bash
# bench/api-exec.sh A B [N]: `docker exec CTR true` through the API service
# (`ccompose system service`) of two ccompose builds A and B (binaries,
# each with its ccompose-init beside it or in runtime/init/), each with a
# service and a running container of its own, N times each (default 21),
# alternating A and B so that both see the same minutes of the machine;
# the median and p90 of each, in ms, of the docker CLI's whole exec
# (Debian's /usr/bin/docker 20.10) and of the exec's own requests (create,
# then start until its end) with curl. Not a timed test: figures for the
# README and the issue. Root only. Subnets: 10.213.138.0/24 (A's --bip),
# 10.213.139.0/24 (B's); the containers use --network none.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: api-exec.sh BINARY-A BINARY-B [N]" >&2; exit 1; }
A=$(realpath "$1")
B=$(realpath "$2")
N=${3:-21}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
DOCKER=/usr/bin/docker
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "api-exec.sh: needs root" >&2; exit 1; }
[ -x "$DOCKER" ] || { echo "api-exec.sh: $DOCKER missing (scripts/install-deps.sh installs docker.io)" >&2; exit 1; }
if ip -4 route show | grep -qE "^10\.213\.13[89]\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        echo "api-exec.sh: 10.213.138.0/24 or 10.213.139.0/24 overlaps a route of this host" >&2
        exit 1
fi
[ -f "$IMAGES/busybox-docker.tar" ] || "$SRCDIR/tests/system/make-images.sh" "$IMAGES" >/dev/null

W=$(mktemp -d /tmp/ccompose-bench-exec.XXXXXX)
PIDS=()
cleanup() {
        local i p
        for i in "${!PIDS[@]}"; do
                kill "${PIDS[i]}" 2>/dev/null && wait "${PIDS[i]}" 2>/dev/null || true
        done
        for i in a b; do
                [ -d "$W/$i/run" ] || continue
                for p in $(ls "$W/$i/run" | grep '^api-' || true); do
                        CCOMPOSE_ROOT=$W/$i/root CCOMPOSE_RUNTIME_DIR=$W/$i/run "$W/$i/ccompose" -p "$p" down -t 0 -v \
                                >/dev/null 2>&1 || true
                done
        done
        rm -rf "$W"
}
trap cleanup EXIT

# start SIDE BINARY BIP: its service (from a copy of the binary) and a container
start() {
        local d=$W/$1 init
        init=$(dirname "$2")/runtime/init/ccompose-init
        [ -x "$init" ] || init=$(dirname "$2")/ccompose-init
        mkdir -p "$d/root" "$d/run"
        cp "$2" "$d/ccompose" && cp "$init" "$d/ccompose-init"
        export CCOMPOSE_ROOT=$d/root CCOMPOSE_RUNTIME_DIR=$d/run
        "$d/ccompose" image load -i "$IMAGES/busybox-docker.tar" >/dev/null
        "$d/ccompose" system service --host "unix://$d/sock" --time 0 --bip "$3" >"$d/log" 2>&1 &
        PIDS+=($!)
        for _ in $(seq 1 300); do [ -S "$d/sock" ] && break; sleep 0.05; done
        DOCKER_HOST=unix://$d/sock "$DOCKER" run -d --network none --name bench-exec busybox:test sleep 3600 >/dev/null
        unset CCOMPOSE_ROOT CCOMPOSE_RUNTIME_DIR
}
start a "$A" 10.213.138.0/24
start b "$B" 10.213.139.0/24

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
# one exec through the docker CLI, then one through curl, on side $1
once() {
        local sock=$W/$1/sock t id
        t=$(date +%s%N)
        DOCKER_HOST=unix://$sock "$DOCKER" exec bench-exec true
        echo "$(ms "$t")" >>"$W/$1.cli"
        t=$(date +%s%N)
        id=$(curl -sf --unix-socket "$sock" -H 'Content-Type: application/json' -d '{"Cmd": ["true"]}' \
                http://d/containers/bench-exec/exec | jq -r .Id)
        curl -sf --unix-socket "$sock" -H 'Content-Type: application/json' -d '{}' "http://d/exec/$id/start" >/dev/null
        echo "$(ms "$t")" >>"$W/$1.raw"
}
once a && once b # warm-up, not counted
rm -f "$W"/*.cli "$W"/*.raw
for _ in $(seq 1 "$N"); do once a; once b; done
stat() { sort -n "$1" | awk '{v[NR] = $1} END {printf "median %d ms, p90 %d ms", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)]}'; }
echo "docker exec CTR true, $N each, alternating:"
echo "  A $A: docker CLI $(stat "$W/a.cli"); API requests $(stat "$W/a.raw")"
echo "  B $B: docker CLI $(stat "$W/b.cli"); API requests $(stat "$W/b.raw")"

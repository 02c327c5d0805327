#!/bin/bash
# bench/api.sh [N]: the Docker Engine API service (`ccompose system
# service`, issue 16) against dockerd 20.10 itself, in one run, with the
# same docker CLI (Debian's /usr/bin/docker 20.10):
#   - `docker run --rm IMAGE true`, N times each, with --network none and
#     on the default (bridge) network: through our socket and through a
#     private dockerd (bench/lib-dockerd.sh, its default bridge on a bridge
#     of its own at 10.213.108.1/24, without iptables rules, forwarding or
#     masquerading, which only spares dockerd work); the median and p90 of
#     each, and the ratios;
#   - `docker ps` with 50 running containers on our socket (median of N),
#     the same request by curl, and `docker version` (the CLI's floor).
# Not a timed test: figures for the README and the issue. Root only.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (the images cache of tests/system/make-images.sh), BENCH_NO_DOCKERD=1 to
# skip dockerd. The bridge network of our containers: 10.213.107.0/24,
# dockerd's: 10.213.108.0/24.
set -euo pipefail

N=${1:-15}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
DOCKER=/usr/bin/docker
BIP=10.213.107.0/24
export CCOMPOSE

[ "$(id -u)" = 0 ] || { echo "api.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "api.sh: $CCOMPOSE not built" >&2; exit 1; }
[ -x "$DOCKER" ] || { echo "api.sh: $DOCKER missing (scripts/install-deps.sh installs docker.io)" >&2; exit 1; }
if ip -4 route show | grep -qE "^10\.213\.10[78]\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        echo "api.sh: $BIP or 10.213.108.0/24 overlaps a route of this host" >&2
        exit 1
fi
source "$SRCDIR/bench/lib-dockerd.sh"

# As in production: CCOMPOSE_ROOT on disk, the runtime directory on a
# tmpfs (/run/ccompose is one on a usual host; here it is mounted for the
# run, since /tmp and even /run may be on the disk).
W=$(mktemp -d /tmp/ccompose-bench-api.XXXXXX)
export CCOMPOSE_ROOT=$W/root CCOMPOSE_RUNTIME_DIR=$W/run NO_COLOR=1
mkdir -m 0700 "$CCOMPOSE_RUNTIME_DIR"
mount -t tmpfs -o mode=0700 ccompose-bench "$CCOMPOSE_RUNTIME_DIR"
SOCK=$W/docker.sock
SVC_PID=
cleanup() {
        local p
        [ -n "$SVC_PID" ] && kill "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null
        for p in $(ls "$CCOMPOSE_RUNTIME_DIR" 2>/dev/null | grep '^api-' || true); do
                "$CCOMPOSE" -p "$p" down -t 0 -v >/dev/null 2>&1 || true
        done
        dockerd_stop || true
        # a project down could not remove keeps its state (its supervisor
        # and container run on): said, and the directory left for a down
        if ls "$CCOMPOSE_RUNTIME_DIR" 2>/dev/null | grep -q '^api-'; then
                echo "api.sh: projects left in $CCOMPOSE_RUNTIME_DIR: $W kept; ccompose -p PROJECT down them" >&2
                return
        fi
        grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
        rm -rf "$W"
}
trap cleanup EXIT

"$SRCDIR/tests/system/make-images.sh" "$IMAGES" >/dev/null
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null
"$CCOMPOSE" system service --host "unix://$SOCK" --time 0 --bip "$BIP" >"$W/service.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 1 300); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { echo "api.sh: the service did not start: $(cat "$W/service.log")" >&2; exit 1; }
ours() { DOCKER_CONFIG=$W/cli DOCKER_HOST=unix://$SOCK "$DOCKER" "$@"; }

now_ns() { date +%s%N; }
# times_us CMD...: N timings after one warm-up, in microseconds, one a line
times_us() {
        local i a b
        "$@" >/dev/null
        for ((i = 0; i < N; i++)); do
                a=$(now_ns)
                "$@" >/dev/null
                b=$(now_ns)
                echo $(((b - a) / 1000))
        done
}
# median and p90 of microsecond figures on stdin: "M.M ms (p90 P.P ms)"
stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                p = v[int(NR * 0.9 + 0.999)]
                printf "%.1f %.1f\n", m / 1000, p / 1000 }'
}
report() { printf '%-48s median %6.1f ms  p90 %6.1f ms\n' "$1" $2; }

none=$(times_us ours run --rm --network none busybox:test true | stats)
report "ours:    docker run --rm --network none" "$none"
bridge=$(times_us ours run --rm busybox:test true | stats)
report "ours:    docker run --rm (bridge)" "$bridge"

if [ -z "${BENCH_NO_DOCKERD:-}" ]; then
        DOCKERD_BRIDGE_CIDR=10.213.108.1/24 dockerd_start
        dockerd_load_image busybox:test
        theirs=$(times_us dk run --rm --network none busybox:test true | stats)
        report "dockerd: docker run --rm --network none" "$theirs"
        theirs_br=$(times_us dk run --rm busybox:test true | stats)
        report "dockerd: docker run --rm (bridge)" "$theirs_br"
        dockerd_stop
        awk -v a="${none%% *}" -v b="${theirs%% *}" 'BEGIN { printf "dockerd / ours (--network none, medians): %.1fx\n", b / a }'
        awk -v a="${bridge%% *}" -v b="${theirs_br%% *}" 'BEGIN { printf "dockerd / ours (bridge, medians): %.1fx\n", b / a }'
fi

for i in $(seq 1 50); do ours run -d --network none --name "bench$i" busybox:test sleep 600 >/dev/null; done
[ "$(ours ps -q | wc -l)" -ge 50 ] || { echo "api.sh: fewer than 50 containers run" >&2; exit 1; }
ps50=$(times_us ours ps | stats)
report "ours:    docker ps (50 running)" "$ps50"
# what of that is the server's: the same request by curl; and the docker
# CLI's own floor (docker version: one request, nothing to list)
# (curl's own time_total: its start is not the server's)
curl_us() {
        local i
        for ((i = 0; i <= N; i++)); do
                curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$SOCK" http://docker/v1.41/containers/json
        done | tail -n +2 | awk '{ printf "%d\n", $1 * 1000000 }'
}
report "ours:    GET /containers/json by curl (50)" "$(curl_us | stats)"
report "ours:    docker version (the CLI's floor)" "$(times_us ours version | stats)"

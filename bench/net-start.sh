#!/bin/bash
# bench/net-start.sh [N] [ROUNDS]: what networking adds to starting and
# removing containers, in one run: the same 1-service project of busybox
# `sleep` containers brought up (`up -d --scale bench=K`) and down (`down
# -t 0`), once on a compose network (a bridge, per container a veth pair,
# an address, a DNS server, a published port) and once with `network_mode:
# none`. Root only.
#
# Each side is timed at K=1 and K=N (ROUNDS times each, medians). Then
#   per container:  ((net(N) - net(1)) - (none(N) - none(1))) / (N - 1)
#   per project:    net(1) - none(1) - the per-container figure
# the first is what every container pays (target: < 5 ms), the second
# what a project pays once (its bridge, the nftables table).
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (the images cache of tests/system/make-images.sh), BENCH_DIR.
set -euo pipefail

N=${1:-20}
ROUNDS=${2:-5}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}

[ "$(id -u)" = 0 ] || { echo "net-start.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "net-start.sh: $CCOMPOSE not built" >&2; exit 1; }
[ "$N" -ge 2 ] || { echo "net-start.sh: N must be at least 2" >&2; exit 1; }

W=${BENCH_DIR:-$(mktemp -d /tmp/ccompose-bench.XXXXXX)}
mkdir -p "$W"
W=$(cd "$W" && pwd)
TAG=$(basename "$W" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9' | tail -c 8)
export CCOMPOSE_ROOT=$W/root CCOMPOSE_RUNTIME_DIR=$W/run NO_COLOR=1
cleanup() {
        set +e
        local m
        for m in net none; do
                [ -f "$W/$m/compose.yaml" ] && "$CCOMPOSE" -f "$W/$m/compose.yaml" -p "ccbench$m$TAG" down -t 0 >/dev/null 2>&1
        done
        grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT

"$SRCDIR/tests/system/make-images.sh" "$IMAGES"
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null

mkdir -p "$W/net" "$W/none"
cat >"$W/net/compose.yaml" <<'EOF'
services:
  bench:
    image: busybox:test
    command: ["sleep", "3600"]
    ports: ["127.0.0.1::80"]
EOF
cat >"$W/none/compose.yaml" <<'EOF'
services:
  bench:
    image: busybox:test
    command: ["sleep", "3600"]
    network_mode: none
EOF

now_ns() { date +%s%N; }
# cycle MODE K: prints "up_ns down_ns" of one up -d / down of K containers
cycle() {
        local f="$W/$1/compose.yaml" p="ccbench$1$TAG" t0 t1 t2
        t0=$(now_ns)
        "$CCOMPOSE" -f "$f" -p "$p" up -d --scale "bench=$2" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; return 1; }
        t1=$(now_ns)
        "$CCOMPOSE" -f "$f" -p "$p" down -t 0 >/dev/null 2>"$W/err" || { cat "$W/err" >&2; return 1; }
        t2=$(now_ns)
        echo "$((t1 - t0)) $((t2 - t1))"
}

cycle net 1 >/dev/null # warm-up: page cache, image store
cycle none 1 >/dev/null
: >"$W/times"
for ((r = 0; r < ROUNDS; r++)); do
        for m in net none; do
                for k in 1 "$N"; do echo "$m $k $(cycle $m "$k")" >>"$W/times"; done
        done
done

awk -v n="$N" -v rounds="$ROUNDS" '
function median(key,   i, j, t, m, a) {
        m = cnt[key]
        for (i = 1; i <= m; i++) a[i] = v[key, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
{
        k = $1 " " $2 " up";   v[k, ++cnt[k]] = $3 / 1e6
        k = $1 " " $2 " down"; v[k, ++cnt[k]] = $4 / 1e6
}
END {
        for (ph = 0; ph < 3; ph++) {
                what = ph == 0 ? "up" : ph == 1 ? "down" : "up+down"
                for (mi = 0; mi < 2; mi++) {
                        m = mi ? "none" : "net"
                        if (what == "up+down") {
                                one[m] = median(m " 1 up") + median(m " 1 down")
                                many[m] = median(m " " n " up") + median(m " " n " down")
                        } else {
                                one[m] = median(m " 1 " what)
                                many[m] = median(m " " n " " what)
                        }
                }
                per = ((many["net"] - one["net"]) - (many["none"] - one["none"])) / (n - 1)
                proj = one["net"] - one["none"] - per
                printf "%-8s network: 1 ctr %7.1f ms, %d ctrs %7.1f ms | none: 1 ctr %7.1f ms, %d ctrs %7.1f ms\n",
                       what, one["net"], n, many["net"], one["none"], n, many["none"]
                printf "%-8s networking adds %.2f ms per container, %.1f ms per project\n", "", per, proj
        }
        printf "(medians of %d rounds; target: under 5 ms per container for up+down)\n", rounds
}' "$W/times"

#!/bin/bash
# bench/net-throughput.sh [MB] [ROUNDS]: TCP throughput of one stream through
# a published port (127.0.0.1:P: DNAT in the project's nftables table, the
# supervisor's proxy holding the port) against the same
# stream sent directly to the container's address over its bridge, in one
# run, both directions, printed as MB/s and as a ratio. Root only.
#
# The container is a busybox `sleep`; the peer inside it is a small Python
# server run in the container's network namespace (nsenter -n), so both
# paths end in the same socket code and only the path differs. Each
# transfer is MB megabytes (default 1024), timed from connect until the
# receiver has everything (the sender waits for the receiver's close).
# A round is one direct and one proxied transfer back to back (in
# alternating order); the ratio printed is the median of the rounds'
# ratios (ROUNDS, default 7), with its range. Traffic goes only to 127.0.0.1 and to the
# container this script makes; everything is removed at the end, also on
# failure.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (the images cache of tests/system/make-images.sh), BENCH_DIR.
set -euo pipefail

MB=${1:-1024}
ROUNDS=${2:-7}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}

[ "$(id -u)" = 0 ] || { echo "net-throughput.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "net-throughput.sh: $CCOMPOSE not built" >&2; exit 1; }

W=${BENCH_DIR:-$(mktemp -d /tmp/ccompose-bench.XXXXXX)}
mkdir -p "$W"
W=$(cd "$W" && pwd)
PROJ=ccbenchtp$(basename "$W" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9' | tail -c 8)
export CCOMPOSE_ROOT=$W/root CCOMPOSE_RUNTIME_DIR=$W/run NO_COLOR=1
SERVER_PID=
cleanup() {
        set +e
        [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
        [ -f "$W/proj/compose.yaml" ] && "$CCOMPOSE" -f "$W/proj/compose.yaml" -p "$PROJ" down -t 0 >/dev/null 2>&1
        grep -F " $W/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT

"$SRCDIR/tests/system/make-images.sh" "$IMAGES"
"$CCOMPOSE" image load -i "$IMAGES/busybox-docker.tar" >/dev/null

mkdir -p "$W/proj"
cat >"$W/proj/compose.yaml" <<'EOF'
services:
  sink:
    image: busybox:test
    command: ["sleep", "3600"]
    ports: ["127.0.0.1::5000"]
EOF
cc() { "$CCOMPOSE" -f "$W/proj/compose.yaml" -p "$PROJ" "$@"; }
cc up -d 2>/dev/null
PUB=$(cc port sink 5000 | cut -d: -f2)
PID=$(jq -r '.containers[] | select(.service=="sink") | .pid' "$CCOMPOSE_RUNTIME_DIR/$PROJ/state.json")
CIP=$(jq -r '.[] | to_entries[0].value' "$CCOMPOSE_RUNTIME_DIR/$PROJ/network.json")
[ "$PID" -gt 0 ] && [ -n "$CIP" ] && [ -n "$PUB" ] || { echo "net-throughput.sh: no container pid/address/port" >&2; exit 1; }

# The peer in the container's netns. A connection starts with "U" (the
# client sends until EOF; the server closes once it has read it all) or
# "D" and 8 bytes of length (the server sends that much, then closes).
cat >"$W/server.py" <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5000))
s.listen(8)
buf = bytearray(1 << 20)
out = bytes(1 << 20)
while True:
    c, _ = s.accept()
    with c:
        mode = c.recv(1)
        if mode == b"U":
            while c.recv_into(buf):
                pass
        elif mode == b"D":
            hdr = b""
            while len(hdr) < 8:
                hdr += c.recv(8 - len(hdr))
            left = int.from_bytes(hdr, "big")
            while left > 0:
                left -= c.send(memoryview(out)[: min(left, len(out))])
            c.shutdown(socket.SHUT_WR)
            while c.recv_into(buf):
                pass
EOF
nsenter -t "$PID" -n python3 "$W/server.py" &
SERVER_PID=$!
for i in $(seq 50); do
        python3 -c "import socket,sys; socket.create_connection(('$CIP', 5000), 1).close()" 2>/dev/null && break
        sleep 0.1
done

python3 - "$CIP" "$PUB" "$MB" "$ROUNDS" <<'EOF'
import socket, statistics, sys, time
cip, pub, mb, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
size = mb << 20
buf = bytearray(1 << 20)

def upload(addr):
    t0 = time.perf_counter()
    c = socket.create_connection(addr)
    c.sendall(b"U")
    mv = memoryview(bytes(1 << 20))
    left = size
    while left > 0:
        left -= c.send(mv[: min(left, len(mv))])
    c.shutdown(socket.SHUT_WR)
    while c.recv_into(buf):     # the server closes once it has it all
        pass
    c.close()
    return size / (time.perf_counter() - t0)

def download(addr):
    t0 = time.perf_counter()
    c = socket.create_connection(addr)
    c.sendall(b"D" + size.to_bytes(8, "big"))
    got = 0
    while True:
        n = c.recv_into(buf)
        if not n:
            break
        got += n
    c.close()
    if got != size:
        sys.exit("download: got %d of %d bytes" % (got, size))
    return size / (time.perf_counter() - t0)

direct, proxied = (cip, 5000), ("127.0.0.1", pub)
upload(direct); upload(proxied)           # warm-up
# a round is a direct and a proxied transfer back to back, their ratio
# the round's figure: what the rest of the machine does drifts less
# within a round than across the run
print("one TCP stream, %d MB per transfer, %d rounds (medians):" % (mb, rounds))
for name, fn in (("upload", upload), ("download", download)):
    d, p, q = [], [], []
    for r in range(rounds):
        pair = (fn(direct), fn(proxied)) if r % 2 == 0 else tuple(reversed((fn(proxied), fn(direct))))
        d.append(pair[0])
        p.append(pair[1])
        q.append(pair[1] / pair[0])
    print("  %-8s direct %s:5000 %6.0f MB/s   published 127.0.0.1:%d %6.0f MB/s   ratio %.2f (%.2f-%.2f)"
          % (name, cip, statistics.median(d) / 1e6, pub, statistics.median(p) / 1e6, statistics.median(q),
             min(q), max(q)))
EOF

# Shared by the system tests of the Docker Engine API service
# (test-api*.sh); sourced after lib.sh. Debian's docker CLI
# against a service this file starts (start_service CIDR: its --bip) and
# stops by its PID (api_cleanup [PROJECT...], registered by the caller with
# on_exit), which also takes down every project the API made.
DOCKER=/usr/bin/docker # Debian's docker.io (API 1.41), not another docker on PATH
[ -x "$DOCKER" ] || bail_out "missing $DOCKER: run scripts/install-deps.sh (it installs docker.io)"
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
SOCK=$TMP/api/docker.sock
export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker-cli
SVC_PID=

start_service() {
        "$CCOMPOSE" system service --host "unix://$SOCK" --time 0 --bip "$1" >"$TMP/service.log" 2>&1 &
        SVC_PID=$!
        for _ in $(seq 1 300); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
        bail_out "the service did not make $SOCK: $(cat "$TMP/service.log")"
}
# A second service, from a copy of the binary (and ccompose-init) in
# $TMP/bin, on $TMP/api2/docker.sock (SOCK2), with --bip $1; a case may
# delete the copy then (rm "$TMP/bin/ccompose"). t runs a case in a
# subshell: its PID is kept in a file for stop_service2 (on_exit).
SOCK2=$TMP/api2/docker.sock
start_service2() {
        local bin=$TMP/bin init
        init=$(dirname "$CCOMPOSE")/runtime/init/ccompose-init
        [ -x "$init" ] || init=$(dirname "$CCOMPOSE")/ccompose-init
        mkdir -p "$bin" && cp "$CCOMPOSE" "$bin/ccompose" && cp "$init" "$bin/ccompose-init" || return 1
        "$bin/ccompose" system service --host "unix://$SOCK2" --time 0 --bip "$1" >"$TMP/service2.log" 2>&1 &
        echo $! >"$TMP/service2.pid"
        for _ in $(seq 1 300); do [ -S "$SOCK2" ] && break; sleep 0.05; done
        [ -S "$SOCK2" ] || fail "no second service: $(cat "$TMP/service2.log")"
}
stop_service2() {
        local pid
        pid=$(cat "$TMP/service2.pid" 2>/dev/null) || return 0
        grep -q "api2/docker.sock" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rm -f "$TMP/service2.pid"
}
# api_prelude N ROUTE_RE RANGE NAME: all N cases skipped when the file's
# subnets (ROUTE_RE, the start of a route; RANGE as said) or 10.213/16 or
# 10/8 are routes of this host; else the test image made and loaded.
api_prelude() {
        local i
        if ip -4 route show | grep -qE "^$2|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
                for i in $(seq 1 "$1"); do skip "$4 $i" "$3 overlaps a route of this host"; done
                done_testing
        fi
        setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
        setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"
}
api_projects() { ls "$CCOMPOSE_RUNTIME_DIR" 2>/dev/null | grep '^api-'; }
# the one-container project the API made for container NAME
project_of() {
        local f
        for f in "$CCOMPOSE_RUNTIME_DIR"/api-*/state.json; do
                [ -e "$f" ] && jq -r --arg n "$1" 'select(any(.containers[]?; .name == $n)) | .project' "$f"
        done
}
# stop_service: SIGTERM to the service started here; waits for its end
# (it removes docker's bridge network last, when no container is on it)
stop_service() {
        [ -n "$SVC_PID" ] && grep -q "system" "/proc/$SVC_PID/cmdline" 2>/dev/null || return 0
        kill "$SVC_PID"
        for _ in $(seq 1 200); do kill -0 "$SVC_PID" 2>/dev/null || return 0; sleep 0.05; done
        fail "the service (pid $SVC_PID) did not exit on SIGTERM"
}
api_cleanup() {
        local p l
        stop_service
        for p in $(api_projects) "$@"; do cc -p "$p" down -t 0 -v; done
        for p in $(api_projects) "$@"; do for l in $(links_of "$p"); do ip link del "$l"; done; done
        for l in $(api_bridge); do ip link del "$l"; done
}
dk() { "$DOCKER" "$@"; }
# net_hash A [B]: network/netlink.c's hash (FNV-1a of A, a NUL, B), 8 hex
net_hash() {
        python3 -c 'import sys
h = 2166136261
for c in sys.argv[1].encode() + b"\0" + sys.argv[2].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$1" "${2:-}"
}
# the links of this file's API containers (not another test's): their
# alias names an api- project with the hash of our runtime directory
# (as sup-net.c's owner)
api_links() {
        all_links | grep -E "alias ccompose api-[0-9a-f]+@$(net_hash "$CCOMPOSE_RUNTIME_DIR") "
}
# docker's bridge network of this runtime directory, when it exists: the
# bridge ccb-<hash of the runtime dir and "bridge"> (sup-net-bridge.c)
api_bridge_name() { echo "ccb-$(net_hash "$CCOMPOSE_RUNTIME_DIR" bridge)"; }
api_bridge() { all_links | grep -oE "^[0-9]+: $(api_bridge_name):" | awk '{print $2}' | tr -d :; }

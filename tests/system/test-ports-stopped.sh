#!/bin/bash
# A stopped service's published port: the supervisor's proxy still holds
# it, but while no container backs it every connection is refused at once
# (no hang) and no descriptor is left behind; start again and it answers.
# Traffic goes only to 127.0.0.1.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands curl ss

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
P=ccps$ID
SUB=10.213.52
mkdir -p "$TMP/p"

plan 5

if ! ip -4 route show | awk '{print $1}' | python3 -c '
import ipaddress, sys
mine = ipaddress.ip_network("10.213.52.0/24")
for line in sys.stdin:
    r = line.strip()
    if r != "default" and ipaddress.ip_network(r if "/" in r else r + "/32", strict=False).overlaps(mine):
        sys.exit(1)
'; then
        for i in $(seq 1 5); do skip "ports-stopped $i" "10.213.52.0/24 overlaps a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

cleanup() {
        cc -p $P down -t 0
        for l in $(links_of $P); do ip link del "$l"; done
}
on_exit cleanup

cat >"$TMP/p/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80"]
    networks: [front]
networks:
  front:
    ipam:
      config:
        - subnet: $SUB.0/24
EOF
cs() { cc -p $P -f "$TMP/p/compose.yaml" "$@"; }
sup_pid() { jq -r '.supervisor_pid // 0' "$CCOMPOSE_RUNTIME_DIR/$P/state.json"; }
nfds() { ls "/proc/$1/fd" | wc -l; }
# answers PORT: the web page, polled for up to 10 s
answers() {
        local i
        for i in $(seq 50); do
                [ "$(timeout 3 curl -s "http://127.0.0.1:$1/")" = hello ] && return 0
                sleep 0.2
        done
        fail "127.0.0.1:$1 does not answer"
}
# refused PORT: a connection is refused, or closed at once (within 2 s)
refused() {
        python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = s.recv(100)
    if data:
        sys.exit("got an answer from a stopped service: %r" % data)
except socket.timeout:
    sys.exit("no answer and not closed within 2 s (a hang)")
except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
    pass
PY
}

setup_or_bail cs up -d
PORT=$(cs port web 80 | cut -d: -f2)

t "the published port answers while the service runs" answers "$PORT"

test_stopped_refuses() {
        cs stop -t 1 web || return 1
        local sup before after i
        sup=$(sup_pid)
        [ "$sup" -gt 0 ] 2>/dev/null || fail "no supervisor pid: '$sup'" || return 1
        before=$(nfds "$sup")
        for i in $(seq 10); do
                refused "$PORT" || return 1
        done
        # the supervisor may close them a loop turn later: poll
        for i in $(seq 50); do
                after=$(nfds "$sup")
                [ "$after" -le "$before" ] && break
                sleep 0.1
        done
        [ "$after" -le "$before" ] || fail "supervisor descriptors: $before before, $after after 10 connections"
}
t "a stopped service's port refuses at once and leaks no descriptor" test_stopped_refuses

# ps: as docker's, no PORTS for the exited container, its ports when it runs
ports_column() { cs ps -a web | awk 'NR == 2 { print ($NF ~ /->80\/tcp$/) ? $NF : "none" }'; }
test_ps_ports() {
        assert_eq "$(ports_column)" none "(ps -a: $(cs ps -a web))" || return 1
        cs start web || return 1
        assert_eq "$(ports_column)" "127.0.0.1:$PORT->80/tcp" "(ps: $(cs ps web))" || return 1
        cs stop -t 1 web
}
t "ps shows no ports for the stopped service, its ports once it runs again" test_ps_ports

test_no_close_wait() {
        local sup
        sup=$(sup_pid)
        ! ss -tanp state close-wait 2>/dev/null | grep -q "pid=$sup," || fail "CLOSE-WAIT: $(ss -tanp state close-wait)"
}
t "no CLOSE-WAIT socket is left in the supervisor" test_no_close_wait

test_start_answers() {
        cs start web || return 1
        answers "$PORT"
}
t "start again: the port answers" test_start_answers

done_testing

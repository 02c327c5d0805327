#!/bin/bash
# A default container (Docker's capabilities, so CAP_NET_RAW) must not reach
# the host's 127.0.0.1: our bridges have route_localnet (DNAT from 127.0.0.1
# needs it), so a frame sent by hand to the gateway's MAC with destination
# 127.0.0.1 would be routed to the host's loopback services and to ports
# other projects published on 127.0.0.1 (Kubernetes' CVE-2020-8558). A
# static raw-socket program (rawsend.c) in a busybox container sends such
# frames; listeners on 127.0.0.1 must not see them, while the same program
# reaches the gateway's own address (it works) and published ports on
# 127.0.0.1 keep working from the host. Traffic goes only to 127.0.0.1, to
# the test's bridge address and to the test's containers.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands gcc nft

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
P=ccesc$ID
Q=ccescq$ID
SUB=10.213.46
SUBQ=10.213.51
mkdir -p "$TMP/p" "$TMP/q" "$TMP/bin" "$TMP/qout"

plan 5

if ip -4 route show | grep -qE "^($SUB|$SUBQ)\."; then
        for i in $(seq 1 5); do skip "net-escape $i" "$SUB.0/24 or $SUBQ.0/24 overlaps a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"
setup_or_bail gcc -static -O2 -o "$TMP/bin/rawsend" "$SRCDIR/tests/system/rawsend.c"

LISTENER=
cleanup() {
        [ -n "$LISTENER" ] && kill "$LISTENER"
        for p in $P $Q; do cc -p $p down -t 0; done
        for p in $P $Q; do for l in $(links_of $p); do ip link del "$l"; done; done
}
on_exit cleanup

# a free UDP port of 127.0.0.1 (and of the gateway address once it exists)
free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
LPORT=$(free_port)
QPORT=$(free_port)

cat >"$TMP/p/compose.yaml" <<EOF
services:
  attacker:
    image: busybox:test
    command: ["sleep", "3600"]
    volumes: ["$TMP/bin:/x:ro"]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB.0/24
EOF
# another project with a UDP port published on 127.0.0.1 only
cat >"$TMP/q/compose.yaml" <<EOF
services:
  victim:
    image: busybox:test
    command: ["/x/rawsend", "listen", "9999", "/out/got"]
    ports: ["127.0.0.1:$QPORT:9999/udp"]
    volumes: ["$TMP/qout:/out", "$TMP/bin:/x:ro"]
networks:
  default:
    ipam:
      config:
        - subnet: $SUBQ.0/24
EOF

# Records every datagram to 127.0.0.1:LPORT (file lo) and to the gateway's
# address GW:LPORT (file gw), one payload a line.
listen() {
        python3 "$SRCDIR/tests/system/udp-listen.py" "$1" "$LPORT" "$TMP" &
        LISTENER=$!
}

bridge_of() { links_of "$1" | grep ccb-; }
rawsend() { cc -f "$TMP/p/compose.yaml" -p "$P" exec -T attacker /x/rawsend eth0 "$@"; }

t_sender_works() {
        # the gateway's own address, through the same frame path
        rawsend "$MAC" "$SUB.1" "$LPORT" reached-gateway || return 1
        wait_grep "$TMP/gw" reached-gateway || { fail "the raw frame to the gateway never arrived"; return 1; }
}

t_loopback_unreachable() {
        rawsend "$MAC" 127.0.0.1 "$LPORT" escaped-to-loopback || return 1
        rawsend "$MAC" "$SUB.1" "$LPORT" after-escape || return 1
        # frames leave in order: once the one after it is in, the first one
        # would be too
        wait_grep "$TMP/gw" after-escape || { fail "the control frame never arrived"; return 1; }
        ! grep -q escaped "$TMP/lo" 2>/dev/null || fail "a listener on 127.0.0.1 received: $(cat "$TMP/lo")"
}

t_other_projects_loopback_port() {
        rawsend "$MAC" 127.0.0.1 "$QPORT" escaped-to-published || return 1
        sleep 0.5 # a negative: give a forwarded frame the time to land
        ! grep -q escaped "$TMP/qout/got" || { fail "the other project's container received: $(cat "$TMP/qout/got")"; return 1; }
        # published on 127.0.0.1, it still works from the host
        python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'from-host\\n', ('127.0.0.1', $QPORT))"
        wait_grep "$TMP/qout/got" from-host || fail "the published port on 127.0.0.1 does not work from the host"
}

t_rule_present() {
        local rules; rules=$(nft list table ip ccompose 2>&1)
        grep -qE 'iifname "ccb-\*" ip daddr 127\.0\.0\.0/8 drop' <<<"$rules" || fail "no loopback drop rule: $rules"
}

t_down_clean() {
        cc -f "$TMP/p/compose.yaml" -p "$P" down -t 0 >/dev/null 2>&1 || return 1
        cc -f "$TMP/q/compose.yaml" -p "$Q" down -t 0 >/dev/null 2>&1 || return 1
        [ -z "$(links_of "$P")$(links_of "$Q")" ] || fail "links left: $(links_of "$P") $(links_of "$Q")"
}

wait_file() { local i; for i in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; fail "no $1: $(cat "$TMP/listener.err")"; }
wait_grep() { local i; for i in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# in this shell: the cases read MAC, the cleanup ends the listener
setup_or_bail cc -f "$TMP/p/compose.yaml" -p "$P" up -d
setup_or_bail cc -f "$TMP/q/compose.yaml" -p "$Q" up -d
BR=$(bridge_of "$P")
[ -n "$BR" ] || bail_out "no bridge of project $P: $(all_links | grep -F "$P@")"
MAC=$(cat "/sys/class/net/$BR/address")
[ "$(cat "/proc/sys/net/ipv4/conf/$BR/route_localnet")" = 1 ] ||
        bail_out "route_localnet is off on $BR: the test has nothing to check"
listen "$SUB.1" >/dev/null 2>"$TMP/listener.err"
setup_or_bail wait_file "$TMP/listening"
t "a raw frame reaches the gateway's address (the sender works)" t_sender_works
t "a raw frame to 127.0.0.1 does not reach the host's loopback" t_loopback_unreachable
t "nor a port another project published on 127.0.0.1 (which works from the host)" t_other_projects_loopback_port
t "the drop rule is in the ccompose table" t_rule_present
t "down leaves no link" t_down_clean
done_testing

#!/bin/bash
# nftables transactions of a project's networks (issue 16): a transaction
# that changes the ruleset costs 10-20 ms (an RCU grace period), so the
# shared table `ip ccompose` is rewritten only when it is not what the
# bridges need (missing, deleted by hand, a bridge made or removed), and a
# project's table of published ports only when it has or had ports (one
# left by a killed supervisor is still removed). Everything runs in a
# network namespace of this test's own (nsenter --net), so its tables and
# the transactions `nft monitor` reports are this test's alone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands nft nsenter

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
NS=ccnft$ID
K=nftk$ID   # keeps the shared network's bridge
P=nftp$ID   # on the same network, no published port
R=nftr$ID   # a published port
SUB=10.213.128
SUBR=10.213.129
mkdir -p "$TMP/k" "$TMP/p" "$TMP/r"

plan 7

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"
setup_or_bail ip netns add "$NS"
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
c() { local d=$1; shift; (cd "$TMP/$d" && in_ns "$CCOMPOSE" -p "$(proj "$d")" "$@"); }
proj() { case $1 in k) echo $K;; p) echo $P;; r) echo $R;; esac; }
cleanup() {
        local d
        for d in p r k; do c $d down -t 0; done
        ip netns del "$NS"
}
on_exit cleanup
setup_or_bail in_ns ip link set lo up

# compose_yaml SUBNET [PORTS-LINE] [NETWORK-NAME-LINE]: one sleeping service
compose_yaml() {
        cat <<EOF
services:
  s:
    image: busybox:test
    command: ["sleep", "3600"]
${2:-}
networks:
  default:
${3:-}
    ipam:
      config:
        - subnet: $1.0/24
EOF
}
for d in k p; do compose_yaml $SUB "" "    name: nftshared$ID" >"$TMP/$d/compose.yaml"; done
ports_yaml() { compose_yaml $SUBR "$1"; }
ports_yaml '    ports: ["127.0.0.1::80"]' >"$TMP/r/compose.yaml"

# the ports tables in the namespace (only R publishes a port)
ports_table() { in_ns nft list tables | grep -oE 'ccompose_p[0-9a-f]{8}' | sort -u; }
# the table is written in the supervisor's loop turn after the start
wait_ports_table() {
        for _ in $(seq 200); do [ -n "$(ports_table)" ] && return 0; sleep 0.05; done
        fail "no ports table after up with a published port"
}
has_drop() { in_ns nft list table ip ccompose 2>/dev/null | grep -qF 'iifname "ccb-*" ip daddr 127.0.0.0/8 drop'; }

# nft monitor in the namespace; mark NAME makes a transaction of its own
# and waits until the monitor has shown it, so what is between two marks
# in its output is what happened between them
MON=$TMP/monitor
# (nsenter execs nft: $! is the monitor itself, stopped at the end)
nsenter --net="/run/netns/$NS" nft monitor >"$MON" 2>&1 &
bg_record $!
mark() {
        in_ns nft "add table ip $1; delete table ip $1" || return 1
        for _ in $(seq 200); do grep -q "delete table ip $1" "$MON" && return 0; sleep 0.05; done
        fail "nft monitor did not show the transaction $1"
}
between() { sed -n "/delete table ip $1\$/,/add table ip $2\$/p" "$MON" | grep -vE "table ip ($1|$2)\$|^# new generation"; }

test_first_up() {
        c k up -d 2>/dev/null || return 1
        has_drop || fail "no drop rule: $(in_ns nft list ruleset)" || return 1
        # the comment naming its rules: how later steps know it is right
        in_ns nft list table ip ccompose | grep -qE 'comment "ccompose [0-9a-f]{16}"' ||
                fail "no comment: $(in_ns nft list table ip ccompose)"
}
t "up makes table ip ccompose with the drop of 127.0.0.0/8 from our bridges" test_first_up

test_no_transaction() {
        mark ccnftmarka || return 1
        c p up -d 2>/dev/null || return 1
        c p down -t 0 2>/dev/null || return 1
        mark ccnftmarkb || return 1
        local seen
        seen=$(between ccnftmarka ccnftmarkb)
        [ -z "$seen" ] || fail "nft changes at up/down of a project without ports on an existing bridge: $seen" || return 1
        has_drop || fail "the drop rule went"
}
t "up and down of a project without published ports on an existing bridge: no nftables transaction" test_no_transaction

test_rebuilt() {
        in_ns nft delete table ip ccompose || return 1
        c p up -d 2>/dev/null || return 1
        has_drop || fail "table ip ccompose not rebuilt: $(in_ns nft list ruleset)" || return 1
        in_ns nft list table ip ccompose | grep -qF "ip saddr $SUB.0/24" || fail "no masquerade of $SUB.0/24" || return 1
        c p down -t 0 2>/dev/null
}
t "table ip ccompose deleted by hand is rebuilt, with its drop rule, by the next up" test_rebuilt

# the supervisor and every container of project R killed with SIGKILL: its
# ports table stays behind
kill_project() {
        local st=$CCOMPOSE_RUNTIME_DIR/$R/state.json sp p
        sp=$(jq -r .supervisor_pid "$st")
        [ "$sp" -gt 0 ] 2>/dev/null || fail "no supervisor pid: '$sp'" || return 1
        kill -9 "$sp"
        for p in $(jq -r '.containers[]?.pid // empty' "$st"); do kill -9 "$p"; done
        for _ in $(seq 100); do
                kill -0 "$sp" 2>/dev/null && [ "$(awk '{print $3}' /proc/$sp/stat 2>/dev/null)" != Z ] || return 0
                sleep 0.05
        done
        fail "supervisor $sp still there"
}

test_left_by_kill_up() {
        c r up -d 2>/dev/null || return 1
        wait_ports_table || return 1
        kill_project || return 1
        [ -n "$(ports_table)" ] || fail "the ports table went with the supervisor" || return 1
        ports_yaml "" >"$TMP/r/compose.yaml"
        c r up -d 2>/dev/null || return 1
        [ -z "$(ports_table)" ] || fail "left by the killed supervisor, still there after up: $(ports_table)"
}
t "a ports table left by a killed supervisor goes with the next up (no ports any more)" test_left_by_kill_up

test_left_by_kill_down() {
        ports_yaml '    ports: ["127.0.0.1::80"]' >"$TMP/r/compose.yaml"
        c r up -d 2>/dev/null || return 1
        wait_ports_table || return 1
        kill_project || return 1
        c r down -t 0 2>/dev/null || return 1
        [ -z "$(ports_table)" ] || fail "left by the killed supervisor, still there after down: $(ports_table)"
}
t "a ports table left by a killed supervisor goes with down" test_left_by_kill_down

test_ports_transaction() {
        # a project with ports and a network of its own: at down, its ports
        # table and the shared table (its bridge went) in one transaction
        c r up -d 2>/dev/null || return 1
        wait_ports_table || return 1
        mark ccnftmarkc || return 1
        c r down -t 0 2>/dev/null || return 1
        mark ccnftmarkd || return 1
        local seen gens
        seen=$(between ccnftmarkc ccnftmarkd)
        assert_contains "$seen" "delete table ip ccompose_p" || return 1
        assert_contains "$seen" "add table ip ccompose" || return 1
        gens=$(sed -n '/delete table ip ccnftmarkc$/,/add table ip ccnftmarkd$/p' "$MON" | grep '^# new generation')
        # the first is the mark's own
        assert_eq "$(wc -l <<<"$gens")" 2 "(generations: the mark's and one of down: $gens)" || return 1
        has_drop || fail "the drop rule went while K's bridge is there"
}
t "down of a project with ports: its table and the shared one in one transaction" test_ports_transaction

test_all_gone() {
        c k down -t 0 2>/dev/null || return 1
        local left
        left=$(in_ns nft list tables | grep -E 'ccompose')
        [ -z "$left" ] || fail "tables left: $left" || return 1
        left=$(in_ns ip -o link show | grep -oE 'cc[bv]-[0-9a-f]{8}')
        [ -z "$left" ] || fail "links left: $left" || return 1
        for d in k p r; do
                [ ! -e "$CCOMPOSE_RUNTIME_DIR/$(proj $d)" ] || fail "state of $(proj $d) left" || return 1
        done
}
t "down of the last project: no table, bridge, veth or state left" test_all_gone

done_testing

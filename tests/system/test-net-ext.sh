#!/bin/bash
# External networks: one made by another project (addresses allocated
# across both projects, the bridge kept while the other project is on it and
# removed by the last down), one made by hand (a Linux bridge named as the
# network, used and left as it is), and an unknown one (a clear error,
# nothing made). Traffic goes only to the containers this test makes and
# to the address of the bridge this test makes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands nft

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
X=ccextx$ID
Y=ccexty$ID
Z=ccextz$ID
W=ccextw$ID
V=ccextv$ID
SHARED=ccsh$ID
HAND=cch${ID: -8}
SUB_S=10.213.47 SUB_H=10.213.48
mkdir -p "$TMP/x" "$TMP/y" "$TMP/z" "$TMP/w" "$TMP/v"

plan 7

if ip -4 route show | grep -qE "^10\.213\.4[78]\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        for i in $(seq 1 7); do skip "net-ext $i" "10.213.47-48.0/24 overlap a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

cleanup() {
        for p in $Y $X $Z $W $V; do (cd "$TMP/${p:5:1}" && cc -p $p down -t 0); done
        for p in $X $Y $Z $W $V; do for l in $(links_of $p); do ip link del "$l"; done; done
        ip link del "$HAND" 2>/dev/null
}
on_exit cleanup

cat >"$TMP/x/compose.yaml" <<EOF
services:
  srv:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello-x > /www/index.html && exec httpd -f -p 80 -h /www"]
    networks: [shared]
networks:
  shared:
    name: $SHARED
    ipam:
      config:
        - subnet: $SUB_S.0/24
EOF
cat >"$TMP/y/compose.yaml" <<EOF
services:
  cli:
    image: busybox:test
    command: ["sleep", "3600"]
    networks: [outside]
networks:
  outside:
    external: true
    name: $SHARED
EOF
cat >"$TMP/z/compose.yaml" <<EOF
services:
  box:
    image: busybox:test
    command: ["sleep", "3600"]
    networks: [hand]
networks:
  hand:
    external: true
    name: $HAND
EOF
cat >"$TMP/w/compose.yaml" <<EOF
services:
  box:
    image: busybox:test
    command: ["sleep", "3600"]
    networks: [nowhere]
networks:
  nowhere:
    external: true
    name: ccnowhere$ID
EOF
cat >"$TMP/v/compose.yaml" <<EOF
services:
  named:
    image: busybox:test
    command: ["sleep", "3600"]
    networks:
      default:
        interface_name: front0
  peer6:
    image: busybox:test
    command: ["sleep", "3600"]
    networks:
      default:
        ipv6_address: fd00:cc:47::99
  toolong:
    image: busybox:test
    command: ["sleep", "3600"]
    networks:
      default:
        interface_name: averyveryverylongname
networks:
  default:
    enable_ipv6: true
    ipam:
      config:
        - subnet: fd00:cc:47::/64
        - subnet: $SUB_S.0/24
EOF
cv() { (cd "$TMP/v" && cc -p $V "$@"); }
cx() { (cd "$TMP/x" && cc -p $X "$@"); }
cy() { (cd "$TMP/y" && cc -p $Y "$@"); }
cz() { (cd "$TMP/z" && cc -p $Z "$@"); }
cw() { (cd "$TMP/w" && cc -p $W "$@"); }
addr_of() { "$@" sh -c "ip -4 -o addr show eth0 | awk '{print \$4}' | cut -d/ -f1"; }

test_shared() {
        local ax ay out
        cx up -d 2>/dev/null || return 1
        cy up -d 2>/dev/null || return 1
        ax=$(addr_of cx exec srv) && ay=$(addr_of cy exec cli) || return 1
        [[ "$ax" == $SUB_S.* && "$ay" == $SUB_S.* ]] || fail "addresses $ax and $ay not in $SUB_S.0/24" || return 1
        [ "$ax" != "$ay" ] || fail "both projects' containers got $ax" || return 1
        out=$(cy exec cli wget -q -O- "http://$ax/") && assert_eq "$out" "hello-x" || return 1
        # names across the projects on the shared network, both ways
        out=$(cy exec cli wget -q -O- "http://srv/") && assert_eq "$out" "hello-x" "(by service name)" || return 1
        out=$(cy exec cli nslookup $X-srv-1 2>&1) && assert_contains "$out" "Address: $ax" || return 1
        out=$(cx exec srv nslookup cli 2>&1) && assert_contains "$out" "Address: $ay"
}
t "a network of another project (external): its subnet, distinct addresses, names, reachable" test_shared

test_owner_down_first() {
        local br out ax
        br=$(links_of $X | grep ccb-)
        [ -n "$br" ] || fail "no bridge of X" || return 1
        cx down -t 0 2>/dev/null || return 1
        ip link show "$br" >/dev/null 2>&1 || fail "X's down removed the bridge project Y is on" || return 1
        # X gave it up: the last project on it removes it, also while X's
        # state is still there (both downs at once: X's not ended yet)
        out=$(ip -d link show "$br" | grep -o 'alias .*')
        [[ $out == "alias ccompose -@"*" "* ]] || fail "the bridge still names its owner: $out" || return 1
        # Y keeps working on it, and a restart of X's service is not needed
        out=$(cy exec cli ip -4 -o addr show eth0) && assert_contains "$out" "inet $SUB_S." || return 1
        mkdir "$CCOMPOSE_RUNTIME_DIR/$X" || return 1
        cy down -t 0 2>/dev/null
        rmdir "$CCOMPOSE_RUNTIME_DIR/$X"
        ! ip link show "$br" >/dev/null 2>&1 || fail "the bridge outlived the last project on it"
}
t "the owner's down keeps the bridge while another project is on it; the last down removes it" test_owner_down_first

test_by_hand() {
        local out
        ip link add "$HAND" type bridge || return 1
        ip addr add $SUB_H.1/24 dev "$HAND" && ip link set "$HAND" up || return 1
        cz up -d 2>/dev/null || return 1
        out=$(cz exec box ip -4 -o addr show eth0) && assert_contains "$out" "inet $SUB_H." || return 1
        cz exec box ping -c1 -W2 $SUB_H.1 >/dev/null || fail "the bridge's address is not reachable"
}
t "a bridge made by hand, named as the external network, is used" test_by_hand

test_by_hand_left() {
        cz down -t 0 2>/dev/null || return 1
        ip link show "$HAND" >/dev/null 2>&1 || fail "down removed a bridge it did not make" || return 1
        [ -z "$(ip -o link show master "$HAND")" ] || fail "a veth is left on it: $(ip -o link show master "$HAND")"
}
t "down leaves a bridge made by hand, without our veths" test_by_hand_left

test_unknown() {
        local out
        out=$(cw up -d 2>&1) && fail "up succeeded: $out"
        assert_contains "$out" "network ccnowhere$ID declared as external, but could not be found" || return 1
        [ -z "$(links_of $W)" ] || fail "left: $(links_of $W)"
}
t "an unknown external network: a clear error, nothing made" test_unknown

test_interface_name() {
        local out
        out=$(cv up -d named peer6 2>&1) || fail "up failed: $out" || return 1
        # IPv4 from the second ipam entry, IPv6 from the first
        out=$(cv exec named ip -o addr show front0) && assert_contains "$out" "inet $SUB_S." || return 1
        assert_contains "$out" "inet6 fd00:cc:47::" || return 1
        out=$(cv exec named ip -6 route) && assert_contains "$out" "default via fd00:cc:47::1" || return 1
        # ipv6_address, AAAA from the embedded DNS server, and traffic over IPv6
        out=$(cv exec named nslookup -type=aaaa peer6 2>&1) && assert_contains "$out" "Address: fd00:cc:47::99" || return 1
        cv exec named ping6 -c1 -W2 fd00:cc:47::99 >/dev/null || fail "no IPv6 path to peer6" || return 1
        out=$(cv exec named ip -o link) && assert_contains "$out" " front0@" || return 1
        out=$(cv up -d toolong 2>&1) && fail "up succeeded: $out"
        assert_contains "$out" 'interface_name "averyveryverylongname" is not a valid interface name' || return 1
        cv down -t 0 2>/dev/null || return 1
        [ -z "$(links_of $V)" ] || fail "left: $(links_of $V)"
}
t "interface_name; enable_ipv6: addresses, ipv6_address, AAAA, IPv6 traffic; a name over 15 characters is a clear error" test_interface_name

test_nothing_left() {
        local l=""
        for p in $X $Y $Z $W $V; do l="$l$(links_of $p)"; done
        assert_eq "$l" "" "(links of the test's projects)" || return 1
        ! nft list ruleset 2>/dev/null | grep -q "10\.213\.4[78]\." || fail "a rule of the test is left" || return 1
        ! ip -6 addr show | grep -q "fd00:cc:47:" || fail "an IPv6 address of the test is left"
}
t "nothing of the projects is left" test_nothing_left

done_testing

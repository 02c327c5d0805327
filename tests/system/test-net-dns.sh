#!/bin/bash
# The embedded DNS server (127.0.0.11 in every container on a network):
# resolv.conf, every replica of a scaled service in turn, NXDOMAIN for the
# names of a network the asker is not on and for unknown single labels,
# other names forwarded to the service's dns: server, one-off containers.
# The upstream server is a small one this test runs on 127.0.0.53: no query
# leaves the machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
P=ccdns$ID
SUB=10.213.49 SUB2=10.213.50
UPSTREAM=127.0.0.53

plan 9

if ip -4 route show | grep -qE "^10\.213\.(49|50)\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        for i in $(seq 1 9); do skip "net-dns $i" "10.213.49-50.0/24 overlap a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

UP_PID=
cleanup() {
        cc -f "$TMP/compose.yaml" -p $P down -t 0
        for l in $(links_of $P); do ip link del "$l"; done
        [ -n "$UP_PID" ] && kill "$UP_PID"
}
on_exit cleanup

# The upstream: *.example.test has the address 10.213.49.200, anything
# else is NXDOMAIN; every question is logged.
cat >"$TMP/upstream.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
log = open(sys.argv[2], "a", buffering=1)
print("ready", file=log)
while True:
    d, a = s.recvfrom(4096)
    i, name = 12, []
    while d[i]:
        name.append(d[i + 1:i + 1 + d[i]].decode())
        i += 1 + d[i]
    qtype = struct.unpack(">H", d[i + 1:i + 3])[0]
    q = d[12:i + 5]
    name = ".".join(name).lower()
    print(name, qtype, file=log)
    if name.endswith(".example.test") and qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("10.213.49.200")
        s.sendto(d[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + q + ans, a)
    else:
        s.sendto(d[:2] + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + q, a)
EOF
python3 "$TMP/upstream.py" $UPSTREAM "$TMP/upstream.log" 2>"$TMP/upstream.err" &
UP_PID=$!
for i in $(seq 50); do grep -q ready "$TMP/upstream.log" 2>/dev/null && break; sleep 0.05; done

cat >"$TMP/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    deploy:
      replicas: 3
  client:
    image: busybox:test
    command: ["sleep", "3600"]
    dns: [$UPSTREAM]
  lonely:
    image: busybox:test
    command: ["sleep", "3600"]
    dns: [$UPSTREAM]
    networks: [side]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB.0/24
  side:
    internal: true
    ipam:
      config:
        - subnet: $SUB2.0/24
EOF
c() { cc -f "$TMP/compose.yaml" -p $P "$@"; }
pid_of() { jq -r ".containers[] | select(.name==\"$P-$1\") | .pid" "$CCOMPOSE_RUNTIME_DIR/$P/state.json"; }
# ask 127.0.0.11 inside a container: "rcode count first-address"
ask() {
        nsenter -t "$(pid_of "$1")" -n python3 - "$2" "${3:-1}" <<'EOF'
import socket, struct, sys
name, qtype = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
qn = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
s.sendto(struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + qn + struct.pack(">HH", qtype, 1), ("127.0.0.11", 53))
d = s.recv(4096)
_, fl, _, an, _, _ = struct.unpack(">HHHHHH", d[:12])
first = socket.inet_ntoa(d[-4:]) if an else "-"
print(fl & 15, an, first)
EOF
}

test_up() {
        local out
        c up -d 2>/dev/null || return 1
        out=$(c exec client cat /etc/resolv.conf) || return 1
        assert_contains "$out" "nameserver 127.0.0.11" || return 1
        assert_contains "$out" "options ndots:0" || return 1
        assert_eq "$(grep -c nameserver <<<"$out")" 1 "(only the embedded server)"
}
t "resolv.conf names the embedded DNS server" test_up

test_replicas() {
        local out firsts=""
        for i in 1 2 3; do
                out=$(ask client-1 web) || return 1
                assert_eq "$(cut -d' ' -f1,2 <<<"$out")" "0 3" "(web: NOERROR with the 3 replicas)" || return 1
                firsts="$firsts $(cut -d' ' -f3 <<<"$out")"
        done
        assert_eq "$(tr ' ' '\n' <<<"$firsts" | grep -c "^$SUB\.")" 3 || return 1
        assert_eq "$(tr ' ' '\n' <<<"$firsts" | grep . | sort -u | wc -l)" 3 "(each answer starts with the next replica: $firsts)" || return 1
        # and a program finds one of them by name
        out=$(c exec client wget -q -O- http://web/) || return 1
        [ -n "$out" ] || fail "empty page"
}
t "a scaled service's name answers every replica, in turn" test_replicas

test_aaaa() {
        local out
        out=$(ask client-1 web 28) || return 1
        assert_eq "$out" "0 0 -" "(AAAA of a known name: no address, no error)"
}
t "AAAA of a container name: NOERROR without an answer" test_aaaa

test_nxdomain() {
        local out
        out=$(ask client-1 lonely) || return 1
        assert_eq "$out" "3 0 -" "(a service of a network client is not on)" || return 1
        out=$(ask client-1 $P-lonely-1) || return 1
        assert_eq "$out" "3 0 -" "(its container name)" || return 1
        out=$(ask lonely-1 web) || return 1
        assert_eq "$out" "3 0 -" "(and the other way)" || return 1
        out=$(ask client-1 nosuchname) || return 1
        assert_eq "$out" "3 0 -" "(an unknown single label)" || return 1
        ! grep -qE "^(lonely|nosuchname|$P-lonely-1) " "$TMP/upstream.log" || fail "a local name was forwarded"
}
t "NXDOMAIN for names of another network and unknown single labels, not forwarded" test_nxdomain

test_forward() {
        local out
        out=$(ask client-1 host1.example.test) || return 1
        assert_eq "$out" "0 1 10.213.49.200" "(forwarded to the service's dns: server)" || return 1
        grep -q "^host1.example.test 1$" "$TMP/upstream.log" || fail "the upstream was not asked" || return 1
        out=$(ask client-1 nothing.invalid.test) || return 1
        assert_eq "$out" "3 0 -" "(the upstream's NXDOMAIN relayed)"
}
t "other names are forwarded to the service's dns: server" test_forward

test_internal_no_forward() {
        local out
        out=$(ask lonely-1 host3.example.test) || return 1
        assert_eq "$out" "2 0 -" "(SERVFAIL on an internal network)" || return 1
        ! grep -q "^host3.example.test " "$TMP/upstream.log" || fail "forwarded from an internal network"
}
t "a container on internal networks only: names outside are not forwarded" test_internal_no_forward

test_oneoff() {
        local out
        out=$(c run --rm -T --no-deps client sh -c 'cat /etc/resolv.conf; nslookup web; nslookup lonely' 2>&1)
        assert_contains "$out" "nameserver 127.0.0.11" || return 1
        assert_contains "$out" "Address: $SUB." || return 1
        assert_contains "$out" "can't find lonely"
}
t "a one-off (run) asks the same server: peers on its networks only" test_oneoff

test_after_crash() {
        local sp out
        sp=$(jq -r .supervisor_pid "$CCOMPOSE_RUNTIME_DIR/$P/state.json")
        [ "$sp" -gt 0 ] 2>/dev/null || fail "no supervisor pid: '$sp'" || return 1
        kill -9 "$sp"
        for i in $(seq 50); do kill -0 "$sp" 2>/dev/null && [ "$(awk '{print $3}' /proc/$sp/stat 2>/dev/null)" != Z ] || break; sleep 0.05; done
        # the containers run on; up adopts them and serves their names again
        c up -d 2>/dev/null || return 1
        out=$(ask client-1 web) || return 1
        assert_eq "$(cut -d' ' -f1,2 <<<"$out")" "0 3" "(after up adopted the containers)" || return 1
        out=$(ask client-1 host2.example.test) || return 1
        assert_eq "$out" "0 1 10.213.49.200" "(forwarding again)"
}
t "after kill -9 of the supervisor, up adopts the containers and their DNS servers answer again" test_after_crash

test_down() {
        c down -t 0 2>/dev/null || return 1
        [ -z "$(links_of $P)" ] || fail "left: $(links_of $P)" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$P" ] || fail "state left"
}
t "down removes everything" test_down

done_testing

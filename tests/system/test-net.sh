#!/bin/bash
# Networks: bridges and veths, IPAM, names in /etc/hosts, isolation between
# networks and projects, internal networks, TCP and UDP published ports,
# restarts, down (also after kill -9 of the supervisor). Traffic goes only
# to 127.0.0.1 and to the containers this test makes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands nft curl ps

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
A=ccneta$ID
B=ccnetb$ID
C=ccnetc$ID
mkdir -p "$TMP/a" "$TMP/b" "$TMP/cdeps"
SUB_AF=10.213.41 SUB_AB=10.213.42 SUB_BF=10.213.43

plan 25

# the test's subnets must overlap no route of the host
if ! ip -4 route show | awk '{print $1}' | python3 -c '
import ipaddress, sys
mine = [ipaddress.ip_network("10.213.%d.0/24" % i) for i in range(41, 45)]
for line in sys.stdin:
    r = line.strip()
    if r == "default":
        continue
    if any(ipaddress.ip_network(r if "/" in r else r + "/32", strict=False).overlaps(m) for m in mine):
        sys.exit(1)
'; then
        for i in $(seq 1 25); do skip "net $i" "10.213.41-44.0/24 overlap a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

cleanup() {
        for p in $A $B $C; do cc -p $p down -t 0; done
        for p in $A $B $C; do for l in $(links_of $p); do ip link del "$l"; done; done
        for p in $(jobs -p); do kill "$p"; done
}
on_exit cleanup

cat >"$TMP/a/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello-\$\${PROJ} > /www/index.html && dd if=/dev/urandom of=/www/big bs=1024 count=1024 2>/dev/null && exec httpd -f -p 80 -h /www"]
    environment: [PROJ=a]
    restart: always
    ports: ["127.0.0.1::80", "127.0.0.1::7000", "127.0.0.1::9000/udp", "80", "[::1]::80", "[::1]::9000/udp"]
    networks:
      front:
        aliases: [www]
        ipv4_address: $SUB_AF.10
      back: {}
  api:
    image: busybox:test
    command: ["sleep", "3600"]
    hostname: apihost
    networks: [back]
  other:
    image: busybox:test
    command: ["sleep", "3600"]
    links: ["web:webby"]
    networks: [front]
networks:
  front:
    ipam:
      config:
        - subnet: $SUB_AF.0/24
  back:
    internal: true
    ipam:
      config:
        - subnet: $SUB_AB.0/24
EOF
cat >"$TMP/b/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello-b > /www/index.html && exec httpd -f -p 80 -h /www"]
  other:
    image: busybox:test
    command: ["sleep", "3600"]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB_BF.0/24
EOF
cat >"$TMP/cdeps/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello-c > /www/index.html && exec httpd -f -p 80 -h /www"]
  client:
    image: busybox:test
    depends_on: [web]
    command: ["true"]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.44.0/24
EOF
cx() { (cd "$TMP/cdeps" && cc -p $C "$@"); }
ca() { (cd "$TMP/a" && cc -p $A "$@"); }
cb() { (cd "$TMP/b" && cc -p $B "$@"); }
pid_of() { jq -r ".containers[] | select(.service==\"$2\") | .pid" "$CCOMPOSE_RUNTIME_DIR/$1/state.json"; }

test_up() {
        ca up -d || return 1
        cb up -d || return 1
        [ "$(links_of $A | grep -c ccb-)" = 2 ] || fail "project A bridges: $(links_of $A)"
        [ "$(links_of $B | grep -c ccb-)" = 1 ] || fail "project B bridges: $(links_of $B)"
}
t "up creates one bridge per network" test_up

test_ipam() {
        local out
        out=$(ca exec web ip -4 addr show eth0) || return 1
        assert_contains "$out" "inet $SUB_AF.10/24"
        out=$(ca exec web ip -4 addr show eth1) || return 1
        assert_contains "$out" "inet $SUB_AB."
        out=$(cb exec web ip -4 addr show eth0) || return 1
        assert_contains "$out" "inet $SUB_BF."
        ip -4 addr | grep -q "inet $SUB_AF.1/24" || fail "no gateway $SUB_AF.1 on a bridge"
}
t "IPAM: explicit subnet, ipv4_address, gateway on the bridge" test_ipam

test_names() {
        local out
        out=$(ca exec other wget -q -O- http://www/) && assert_eq "$out" "hello-a" || return 1
        out=$(ca exec other wget -q -O- http://web/) && assert_eq "$out" "hello-a" || return 1
        out=$(ca exec other wget -q -O- http://$A-web-1/) && assert_eq "$out" "hello-a" || return 1
        out=$(ca exec web ping -c1 -W2 apihost) || fail "web cannot reach apihost: $out" || return 1
        # links: an alias only the linking container sees
        out=$(ca exec other wget -q -O- http://webby/) && assert_eq "$out" "hello-a" || return 1
        ! ca exec api ping -c1 -W1 webby >/dev/null 2>&1 || fail "api resolved other's link alias"
}
t "service names, aliases, links, container names and hostnames resolve" test_names

test_isolation_networks() {
        local h
        h=$(ca exec other cat /etc/hosts)
        assert_not_contains "$h" "api" || return 1
        local ip_api
        ip_api=$(ca exec api ip -4 addr show eth0 | awk '/inet /{print $2}' | cut -d/ -f1)
        [ -n "$ip_api" ] || fail "no address for api"
        if ca exec other ping -c1 -W1 "$ip_api" >/dev/null 2>&1; then fail "other reached api on the internal network"; fi
}
t "isolation between networks of one project" test_isolation_networks

test_internal() {
        local r
        r=$(ca exec api ip route) || return 1
        assert_not_contains "$r" "default" || return 1
        r=$(ca exec other ip route)
        assert_contains "$r" "default via $SUB_AF.1"
        r=$(nft list table ip ccompose)
        assert_contains "$r" "ip saddr $SUB_AF.0/24" || return 1
        assert_not_contains "$r" "ip saddr $SUB_AB.0/24"
}
t "internal network: no default route, no masquerade" test_internal

test_projects() {
        local out
        out=$(cb exec other wget -q -O- http://web/) && assert_eq "$out" "hello-b" || return 1
        if cb exec other ping -c1 -W1 $SUB_AF.10 >/dev/null 2>&1; then fail "project B reached project A's web"; fi
        out=$(cb exec other cat /etc/hosts)
        assert_not_contains "$out" "$A-" || return 1
        out=$(cb exec other ping -c1 -W1 www 2>&1) && fail "B resolved A's alias: $out"
        assert_contains "$out" "bad address"
}
t "two projects with the same service names are isolated" test_projects

test_ps_port() {
        local p80 out
        p80=$(ca port web 80) || return 1
        [[ "$p80" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "port: $p80"
        out=$(ca ps)
        assert_contains "$out" "$p80->80/tcp" || return 1
        out=$(jq -r '.containers[] | select(.service=="web") | .ports' "$CCOMPOSE_RUNTIME_DIR/$A/state.json")
        assert_contains "$out" "$p80->80/tcp"
}
t "ephemeral published ports: ccompose port and the ps PORTS column" test_ps_port

# the state's PORTS text, one mapping a line: "0.0.0.0:41234->80/tcp"
ports_of() { jq -r ".containers[] | select(.service==\"$2\") | .ports" "$CCOMPOSE_RUNTIME_DIR/$1/state.json" | tr -d ' ' | tr , '\n'; }

test_dnat() {
        local p80 all r
        p80=$(ca port web 80 | cut -d: -f2)
        all=$(ports_of $A web | grep '^0\.0\.0\.0:' | grep -- '->80/tcp' | cut -d: -f2 | cut -d- -f1)
        [ -n "$all" ] || fail "no 0.0.0.0 mapping of port 80: $(ports_of $A web)" || return 1
        r=$(nft list ruleset)
        assert_contains "$r" "ip daddr 127.0.0.1 tcp dport $p80 dnat to $SUB_AF.10:80" || return 1
        assert_contains "$r" "fib daddr type local tcp dport $all dnat to $SUB_AF.10:80" || return 1
        assert_contains "$r" "udp dport $(ca port web 9000/udp | cut -d: -f2) dnat to $SUB_AF.10:9000" || return 1
        # on A's front bridge, not on its internal one
        local on
        on=$(for b in $(links_of $A | grep ccb-); do cat /proc/sys/net/ipv4/conf/$b/route_localnet; done | grep -c 1)
        assert_eq "$on" 1 "(A's bridges with route_localnet on)" || return 1
        # a port published on every address is reached from 127.0.0.1 too
        assert_eq "$(curl -s --max-time 5 "http://127.0.0.1:$all/")" "hello-a"
}
t "published ports are forwarded in the kernel (DNAT rules of the project's table)" test_dnat

test_host_address() {
        local all gw out
        all=$(ports_of $A web | grep '^0\.0\.0\.0:' | grep -- '->80/tcp' | cut -d: -f2 | cut -d- -f1)
        # from project B's container through the host's address on B's
        # network (its gateway): another network, another project
        out=$(cb exec other wget -q -O- "http://$SUB_BF.1:$all/") || fail "wget failed" || return 1
        assert_eq "$out" "hello-a" "(B -> host $SUB_BF.1:$all -> A's web)" || return 1
        # and from a container of A's own network (hairpin through the host)
        out=$(ca exec other wget -q -O- "http://$SUB_AF.1:$all/") || fail "wget failed (hairpin)" || return 1
        assert_eq "$out" "hello-a" "(A's other -> host $SUB_AF.1:$all -> A's web)"
}
t "published ports are reachable from other containers through the host's address" test_host_address

test_ipv6_ports() {
        local p6 pall out
        p6=$(ports_of $A web | grep '^\[::1\]:.*->80/tcp' | cut -d: -f4 | cut -d- -f1)
        [ -n "$p6" ] || fail "no [::1] mapping: $(ports_of $A web)" || return 1
        out=$(curl -s --max-time 5 "http://[::1]:$p6/")
        assert_eq "$out" "hello-a" "(through [::1]:$p6)" || return 1
        # no host_ip: IPv4 and IPv6, on the same port, as Docker lists them
        pall=$(ports_of $A web | grep '^0\.0\.0\.0:' | grep -- '->80/tcp' | cut -d: -f2 | cut -d- -f1)
        assert_contains "$(ports_of $A web)" "[::]:$pall->80/tcp" || return 1
        out=$(curl -s --max-time 5 "http://[::1]:$pall/")
        assert_eq "$out" "hello-a" "(through [::1]:$pall, the [::] listener)"
}
if grep -q . /proc/net/if_inet6 2>/dev/null; then
        t "IPv6: host_ip [::1] and the [::] twin of a port published on every address" test_ipv6_ports
else
        skip "IPv6: host_ip [::1] and the [::] twin of a port published on every address" "the host has no IPv6"
fi

test_tcp_download() {
        local p want got
        p=$(ca port web 80 | cut -d: -f2)
        want=$(ca exec web sha256sum /www/big | cut -d' ' -f1)
        got=$(curl -s --max-time 10 "http://127.0.0.1:$p/big" | sha256sum | cut -d' ' -f1)
        assert_eq "$got" "$want" "(1 MB through 127.0.0.1:$p)"
}
t "TCP: 1 MB download through the published port arrives intact" test_tcp_download

test_tcp_upload() {
        local p want got
        p=$(ca port web 7000 | cut -d: -f2)
        head -c 1048576 /dev/urandom >"$TMP/up.bin"
        want=$(sha256sum <"$TMP/up.bin" | cut -d' ' -f1)
        ca exec -d web sh -c 'nc -l -p 7000 > /tmp/up.bin' || return 1
        for i in $(seq 50); do ca exec web sh -c 'netstat -ltn | grep -q :7000' && break; sleep 0.1; done
        python3 - "$p" "$TMP/up.bin" <<'EOF' || return 1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
EOF
        for i in $(seq 50); do
                got=$(ca exec web sha256sum /tmp/up.bin | cut -d' ' -f1)
                [ "$got" = "$want" ] && return 0
                sleep 0.1
        done
        assert_eq "$got" "$want" "(1 MB upload)"
}
t "TCP: 1 MB upload through the published port arrives intact" test_tcp_upload

UDP_SERVER='
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9000))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
'
# udp_echo HOST PORT: 1 MB in 1 KB datagrams to HOST:PORT, every echo checked
udp_echo() {
        python3 - "$1" "$2" <<'EOF'
import hashlib, os, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
data = os.urandom(1 << 20)
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
got = bytearray()
# each datagram carries its offset: a late echo of a datagram sent again
# after a timeout is told apart from the answer to the next one
for off in range(0, len(data), 1024):
    chunk = off.to_bytes(8, "big") + data[off:off + 1024]
    r = None
    for attempt in range(10):
        s.sendto(chunk, (host, port))
        try:
            while r is None:
                d, _ = s.recvfrom(65536)
                if d[:8] == chunk[:8]:
                    r = d
        except socket.timeout:
            continue
        break
    else:
        sys.exit("no echo at offset %d (%s)" % (off, host))
    if r != chunk:
        sys.exit("UDP datagram at offset %d differs (%s)" % (off, host))
    got += r[8:]
if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
    sys.exit("UDP data differs (%s)" % host)
EOF
}
test_udp() {
        local p p6 pid rc
        p=$(ca port web 9000/udp | cut -d: -f2) || return 1
        pid=$(pid_of $A web)
        [ "$pid" -gt 0 ] 2>/dev/null || fail "no pid for web: '$pid'" || return 1
        nsenter -t "$pid" -n python3 -c "$UDP_SERVER" &
        sleep 0.3
        # IPv4: forwarded by the kernel (DNAT); IPv6: by the supervisor's proxy
        udp_echo 127.0.0.1 "$p"
        rc=$?
        if [ $rc = 0 ] && grep -q . /proc/net/if_inet6 2>/dev/null; then
                p6=$(ports_of $A web | grep '^\[::1\]:.*->9000/udp' | cut -d: -f4 | cut -d- -f1)
                [ -n "$p6" ] || { echo "FAIL: no [::1] UDP mapping: $(ports_of $A web)"; rc=1; }
                [ $rc = 0 ] && { udp_echo ::1 "$p6"; rc=$?; }
        fi
        kill %1 2>/dev/null; wait 2>/dev/null
        return $rc
}
t "UDP: 1 MB echoed through the published port arrives intact (IPv4 kernel, IPv6 proxy)" test_udp

test_restart() {
        local old new out p
        old=$(pid_of $A web)
        p=$(ca port web 80 | cut -d: -f2)
        # never "kill -9 0": that would be this test's own process group
        [ "$old" -gt 0 ] 2>/dev/null || fail "no pid for web: '$old'" || return 1
        kill -9 "$old"
        for i in $(seq 100); do
                new=$(pid_of $A web)
                [ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$new" != null ] && break
                sleep 0.05
        done
        [ "$new" != "$old" ] || fail "web was not restarted"
        for i in $(seq 50); do
                out=$(ca exec other wget -q -O- http://www/ 2>/dev/null) && [ "$out" = hello-a ] && break
                sleep 0.1
        done
        assert_eq "$out" "hello-a" "(by name after the restart)" || return 1
        out=$(curl -s --max-time 5 "http://127.0.0.1:$p/")
        assert_eq "$out" "hello-a" "(published port after the restart)" || return 1
        # the address is stable across the restart (interfaces follow the
        # networks in name order, as docker compose attaches them)
        out=$(ca exec web ip -4 addr)
        assert_contains "$out" "inet $SUB_AF.10/24"
}
t "names and ports still work after a restart (restart: always + kill)" test_restart

test_run_foreground() {
        local out
        # a one-off in the foreground is on the service's networks, finds
        # its peers by name, and gives its address back when it ends
        out=$(ca run --rm -T --no-deps other sh -c 'wget -q -O- http://www/ && ip -4 addr show eth0') || return 1
        assert_contains "$out" "hello-a" || return 1
        assert_contains "$out" "inet $SUB_AF." || return 1
        ! grep -q -- "-run-" "$CCOMPOSE_RUNTIME_DIR/$A/network.json" ||
                fail "address kept: $(cat "$CCOMPOSE_RUNTIME_DIR/$A/network.json")" || return 1
        ! all_links | grep -q "alias ccompose $A@[0-9a-f]* $A-other-run-" || fail "a veth of the one-off is left"
}
t "run in the foreground: on the service's networks, peers by name, address released" test_run_foreground

test_run_starts_deps() {
        local out
        # nothing of project C runs: run starts web (a dependency) and the network
        out=$(cx run --rm -T client wget -q -O- http://web/ 2>"$TMP/c.err") ||
                fail "run failed: $(cat "$TMP/c.err")" || return 1
        assert_eq "$out" "hello-c" || return 1
        assert_contains "$(cx ps)" "$C-web-1" || return 1
        cx down -t 0 >/dev/null 2>&1 || return 1
        [ -z "$(links_of $C)" ] || fail "left behind by C: $(links_of $C)"
}
t "run starts the service's dependencies and networks when the project is not up" test_run_starts_deps

test_names_follow() {
        local out
        ca stop other >/dev/null 2>&1 || return 1
        if out=$(ca exec web nslookup $A-other-1 2>&1); then
                fail "a stopped peer still resolves: $out"
                return 1
        fi
        assert_contains "$out" "NXDOMAIN" || return 1
        ca start other >/dev/null 2>&1 || return 1
        out=$(ca exec web nslookup $A-other-1 2>&1) || fail "no answer after the start: $out" || return 1
        assert_contains "$out" "Address: $SUB_AF."
}
t "names follow a peer that stops and starts (embedded DNS)" test_names_follow

test_port_in_use() {
        local busy out
        busy=$(ca port web 80)
        mkdir -p "$TMP/c"
        cat >"$TMP/c/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sleep", "3600"]
    ports: ["$busy:80"]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.44.0/24
EOF
        out=$(cd "$TMP/c" && cc -p ${A}c up -d 2>&1)
        local rc=$?
        (cd "$TMP/c" && cc -p ${A}c down -t 0 >/dev/null 2>&1)
        [ $rc -ne 0 ] || fail "up succeeded on a port in use"
        assert_contains "$out" "$busy" || return 1
        assert_contains "$out" "held by project $A (its supervisor, pid" || return 1
        # a port another program listens on: named with its process
        local port pypid
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        python3 -c "import socket, time; s=socket.socket(); s.bind(('127.0.0.1', $port)); s.listen(); time.sleep(60)" &
        pypid=$!
        for i in $(seq 50); do grep -q ":$(printf %04X $port) .* 0A " /proc/net/tcp && break; sleep 0.05; done
        sed -i "s/$busy:80/127.0.0.1:$port:80/" "$TMP/c/compose.yaml"
        out=$(cd "$TMP/c" && cc -p ${A}c up -d 2>&1)
        rc=$?
        (cd "$TMP/c" && cc -p ${A}c down -t 0 >/dev/null 2>&1)
        kill $pypid; wait $pypid 2>/dev/null
        [ $rc -ne 0 ] || fail "up succeeded on a port in use" || return 1
        assert_contains "$out" "127.0.0.1:$port" || return 1
        assert_contains "$out" "held by process $pypid (python3)"
}
t "a published port in use fails with an error naming it and what holds it" test_port_in_use

test_overlap() {
        mkdir -p "$TMP/d"
        cat >"$TMP/d/compose.yaml" <<EOF
services:
  x:
    image: busybox:test
    command: ["sleep", "3600"]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB_AF.0/25
EOF
        local out
        out=$(cd "$TMP/d" && cc -p ${A}d up -d 2>&1)
        local rc=$?
        (cd "$TMP/d" && cc -p ${A}d down -t 0 >/dev/null 2>&1)
        [ $rc -ne 0 ] || fail "an overlapping subnet was accepted"
        assert_contains "$out" "overlaps"
}
t "a subnet overlapping a host route is refused" test_overlap

test_default_pool() {
        mkdir -p "$TMP/e"
        printf 'services:\n  x:\n    image: busybox:test\n    command: ["sleep", "3600"]\n' >"$TMP/e/compose.yaml"
        (cd "$TMP/e" && cc -p ${A}e up -d) || return 1
        local br sub routes
        br=$(links_of ${A}e | grep ccb-)
        sub=$(ip -4 -o addr show dev "$br" | awk '{print $4}')
        # while the bridge exists: once it is gone, another project may
        # take the same subnet from the pool
        routes=$(ip -4 route show | grep -v " dev $br ")
        (cd "$TMP/e" && cc -p ${A}e down -t 0 >/dev/null 2>&1)
        [ -n "$sub" ] || fail "no address on $br" || return 1
        # the pool subnet overlaps no other route of the host
        awk '{print $1}' <<<"$routes" | python3 -c '
import ipaddress, sys
mine = ipaddress.ip_network(sys.argv[1], strict=False)
for r in sys.stdin.read().split():
    if r != "default" and ipaddress.ip_network(r if "/" in r else r + "/32", strict=False).overlaps(mine):
        sys.exit("pool subnet %s overlaps the route %s" % (mine, r))
' "$sub" || fail "routes: $routes"
}
t "the default pool picks a subnet that overlaps no host route" test_default_pool

test_down_after_kill9() {
        local sup
        sup=$(jq -r .supervisor_pid "$CCOMPOSE_RUNTIME_DIR/$A/state.json")
        [ "$sup" -gt 0 ] 2>/dev/null || fail "no supervisor pid: '$sup'" || return 1
        [ -n "$(links_of $A | grep ccv-)" ] || fail "no veth of project A found by its alias" || return 1
        kill -9 "$sup"
        ca down -t 0 || return 1
        [ -z "$(links_of $A)" ] || fail "left behind: $(links_of $A)" || return 1
        [ -n "$(links_of $B)" ] || fail "project B's bridge went too" || return 1
        ! nft list table ip ccompose | grep -q "$SUB_AF.0/24" || fail "project A's rule is left" || return 1
        ! nft list ruleset | grep -q "dnat to $SUB_AF\." || fail "project A's DNAT rule is left" || return 1
        # nothing comes back later (no process of A is left to make it)
        sleep 1
        [ -z "$(links_of $A)" ] || fail "back after down: $(links_of $A)"
}
t "down after kill -9 of the supervisor removes bridges, veths and rules" test_down_after_kill9

test_down_all() {
        local sup
        sup=$(jq -r .supervisor_pid "$CCOMPOSE_RUNTIME_DIR/$B/state.json")
        [ "$sup" -gt 0 ] || fail "no supervisor pid for project B" || return 1
        cb down -t 0 || return 1
        [ -z "$(links_of $B)" ] || fail "left behind: $(links_of $B)" || return 1
        # no rule for any of the test's subnets; no table when no bridge is left
        ! nft list ruleset 2>/dev/null | grep -q "10\.213\.4[1-4]\." ||
                fail "a rule of the test is left: $(nft list ruleset)" || return 1
        # (under ccompose's host-wide lock: other tests' projects make and
        # remove bridges and the table at the same time)
        flock /run/ccompose-net.lock bash -c "$(declare -f all_links)"'
                all_links | grep -q ": ccb-" || ! nft list table ip ccompose >/dev/null 2>&1' ||
                fail "nft table ccompose left with no bridge" || return 1
        ! kill -0 "$sup" 2>/dev/null || [ "$(awk '{print $3}' /proc/$sup/stat 2>/dev/null)" = Z ] ||
                fail "project B's supervisor $sup is still running" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$B" ] || fail "state dir left"
}
t "nothing is left after down: no link, rule, netns or process" test_down_all

test_no_procs() {
        local n=0
        for d in /sys/fs/cgroup/ccompose/$A /sys/fs/cgroup/ccompose/$B; do
                [ -d "$d" ] && n=$((n + $(find "$d" -name cgroup.procs -exec cat {} + | wc -l)))
        done
        assert_eq "$n" 0 "(processes left in the projects' cgroups)"
}
t "no container process is left" test_no_procs

test_nsfs() {
        local left
        left=$(all_links | grep "alias ccompose ccnet[ab]$ID")
        [ -z "$left" ] || ps -eo pid,ppid,stat,lstart,args | grep "[c]compose" | grep -v "ccupt"
        assert_eq "$(echo "$left" | grep -oE 'alias .*' )" ""
}
t "no veth or bridge alias of the test remains" test_nsfs

test_no_supervisor() {
        local left
        left=$(ps -eo pid,stat,args | awk '$2 !~ /^Z/' | grep -E -- "-p ccnet[ab]$ID[a-z]* " | grep -v grep)
        assert_eq "$left" "" "(supervisors of the test's projects still running)"
}
t "no supervisor of the test's projects is left" test_no_supervisor

done_testing

#!/bin/bash
# Docker's default `bridge` network through the API service (issue 16):
# one shared bridge per runtime directory, as docker0, that every
# container made on the default network joins; it lives while a service
# runs, whether containers are on it or not. Containers on it reach each
# other by address; network inspect lists them with their addresses;
# inspect gives docker's legacy NetworkSettings.IPAddress fields; --bip is
# the bridge's address and prefix; published ports work on it; network
# connect/disconnect bridge. When the last service exits it removes the
# bridge unless a container is on it, which the down of that container's
# project then does; a service killed with SIGKILL leaves nothing for good.
# Every step checks what is left: veths, the bridge, nft tables.
# Subnets: 10.213.125.0/24 (--bip), 10.213.126.0/24 (--bip of a restart),
# 10.213.127.0/24 (a network made through the API).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"

plan 12

api_prelude 12 "10\.213\.12[5-7]\." 10.213.125.0/24-10.213.127.0/24 "api-bridge"
require_commands curl nft gcc
setup_or_bail mkdir -p "$TMP/bin"
setup_or_bail gcc -static -O2 -o "$TMP/bin/rawsend" "$SRCDIR/tests/system/rawsend.c"
on_exit api_cleanup
# the cases run in subshells: the service's PID, and our projects, in files
on_exit 'SVC_PID=$(cat "$TMP/svc.pid" 2>/dev/null); stop_service'
BR=$(api_bridge_name)
start_service 10.213.125.1/24
echo "$SVC_PID" >"$TMP/svc.pid"
svc() { SVC_PID=$(cat "$TMP/svc.pid"); }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ifindex() { cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
ports_of() { ls "/sys/class/net/$1/brif" 2>/dev/null | xargs; }
# the MAC address of an interface with IPv4 address $1: 02:42 and the address
mac() { printf '02:42:%02x:%02x:%02x:%02x' ${1//./ }; }
ip_of() { dk inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' "$1"; }
# the nft tables of this file's projects (ccompose_p<hash of the owner>),
# and whether the shared table still names our bridge
our_tables() {
        local p t tables
        tables=$(nft list tables 2>/dev/null)
        for p in $(cat "$TMP/projects" 2>/dev/null); do
                t="ccompose_p$(net_hash "$p@$(net_hash "$CCOMPOSE_RUNTIME_DIR")")"
                grep -qw "$t" <<<"$tables" && echo "$t"
        done
        nft list table ip ccompose 2>/dev/null | grep -q "$BR" && echo "ip ccompose names $BR"
        return 0
}
# kill_service: SIGKILL, and its end
kill_service() {
        kill -KILL "$SVC_PID" || return 1
        for _ in $(seq 1 200); do kill -0 "$SVC_PID" 2>/dev/null || return 0; sleep 0.05; done
        fail "the service (pid $SVC_PID) is still there after SIGKILL"
}
# start_again [BIP]: a new service on the same runtime directory
start_again() {
        "$CCOMPOSE" system service --host "unix://$SOCK" --time 0 --bip "${1:-10.213.125.1/24}" >>"$TMP/service.log" 2>&1 &
        SVC_PID=$!
        echo "$SVC_PID" >"$TMP/svc.pid"
        for _ in $(seq 1 300); do curl -s --unix-socket "$SOCK" http://d/_ping >/dev/null && return 0; sleep 0.05; done
        fail "the service did not answer again: $(tail -5 "$TMP/service.log")"
}
record() { echo "$@" >>"$TMP/projects"; }
# ccompose start of an API container's project, without the service
cstart() { cc -p "$1" -f "$CCOMPOSE_RUNTIME_DIR/$1/compose.json" start; }

# two containers: one serves, the other fetches from its address; network
# inspect lists both; docker inspect's legacy fields are the bridge's
t_two() {
        local a b out
        dk run -d --name "srv$ID" busybox:test sh -c 'echo served >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        dk run -d --name "cli$ID" busybox:test sleep 600 >/dev/null || return 1
        a=$(ip_of "srv$ID") b=$(ip_of "cli$ID")
        [[ $a == 10.213.125.* && $b == 10.213.125.* && $a != "$b" ]] || fail "addresses '$a' '$b'" || return 1
        out=$(dk exec "cli$ID" timeout 5 wget -q -O- "http://$a/i" 2>&1) || fail "cli -> srv ($a): $out" || return 1
        assert_eq "$out" served "(fetched by address across the shared bridge)" || return 1
        out=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' bridge)
        assert_eq "$out" "10.213.125.0/24 10.213.125.1" "(IPAM: --bip in Docker's form)" || return 1
        out=$(dk network inspect -f '{{range .Containers}}{{.Name}}={{.IPv4Address}},{{.MacAddress}} {{end}}' bridge | tr ' ' '\n' | sort | xargs)
        assert_eq "$out" "$(printf '%s\n' "cli$ID=$b/24,$(mac "$b")" "srv$ID=$a/24,$(mac "$a")" | sort | xargs)" "(network inspect bridge)" || return 1
        out=$(dk inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.MacAddress}}' "srv$ID")
        assert_eq "$out" "$a 10.213.125.1 24 $(mac "$a")" "(legacy fields)" || return 1
        out=$(dk inspect -f '{{with .NetworkSettings.Networks.bridge}}{{.Gateway}} {{.IPPrefixLen}}{{end}}' "srv$ID")
        assert_eq "$out" "10.213.125.1 24" || return 1
        assert_eq "$(ports_of "$BR" | wc -w)" 2 "(two veths on $BR)" || return 1
        assert_eq "$(ip -4 -o addr show dev "$BR" | awk '{print $4}')" 10.213.125.1/24 "(the bridge's address)"
}

# 20 more containers: 20 distinct addresses of the /24; removed, their
# veths go and the bridge stays
t_twenty() {
        local i id ids=() ips
        for i in $(seq 1 20); do
                id=$(dk run -d busybox:test sleep 600) || { fail "docker run #$i: $id"; break; }
                ids+=("$id")
        done
        ips=$(for i in "${ids[@]}"; do ip_of "$i"; done)
        dk rm -f "${ids[@]}" >/dev/null || return 1
        assert_eq "$(grep -c '^10\.213\.125\.' <<<"$ips")" 20 "(addresses: $(echo $ips))" || return 1
        assert_eq "$(sort -u <<<"$ips" | wc -l)" 20 "(distinct)" || return 1
        assert_eq "$(ports_of "$BR" | wc -w)" 2 "(their veths gone, the first two left)" || return 1
        assert_eq "$(api_projects | wc -l)" 2 "(their projects gone)"
}

# docker run --rm: the same bridge before and after, no port of them left
t_persists() {
        local before out i
        before=$(ifindex "$BR")
        [ -n "$before" ] || fail "no bridge $BR" || return 1
        for i in 1 2 3; do
                out=$(dk run --rm busybox:test sh -c 'ip -4 -o addr show eth0' 2>&1) || fail "run --rm: $out" || return 1
                assert_contains "$out" "inet 10.213.125." || return 1
        done
        assert_eq "$(ifindex "$BR")" "$before" "(the same bridge)" || return 1
        assert_eq "$(ports_of "$BR" | wc -w)" 2 "(no port of the --rm runs left)"
}

# a published port on the shared bridge, from 127.0.0.1
t_published() {
        local port out
        port=$(free_port)
        dk run -d --name "pub$ID" -p "127.0.0.1:$port:80" busybox:test sh -c 'echo published >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        for _ in $(seq 1 100); do out=$(curl -s -m 2 "http://127.0.0.1:$port/i") && [ "$out" = published ] && break; sleep 0.1; done
        assert_eq "$out" published "(127.0.0.1:$port)" || return 1
        dk rm -f "pub$ID" >/dev/null || return 1
        curl -s -m 2 "http://127.0.0.1:$port/i" >/dev/null && fail "port $port still answers" || return 0
}

# network connect bridge / disconnect of a running container made on none
t_connect() {
        local out a
        dk run -d --name "hot$ID" --network none busybox:test sh -c 'echo hot >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        out=$(dk network connect --alias x bridge "hot$ID" 2>&1) && fail "an alias on bridge: $out" && return 1
        assert_contains "$out" "network-scoped alias is supported only for containers in user defined networks" || return 1
        dk network connect bridge "hot$ID" || return 1
        a=$(ip_of "hot$ID")
        [[ $a == 10.213.125.* ]] || fail "address after connect: '$a'" || return 1
        assert_contains "$(dk exec "hot$ID" ip -4 -o addr show)" "inet $a/24" || return 1
        out=$(dk exec "cli$ID" timeout 5 wget -q -O- "http://$a/i" 2>&1) || fail "cli -> hot ($a): $out" || return 1
        assert_eq "$out" hot || return 1
        dk network disconnect bridge "hot$ID" || return 1
        assert_not_contains "$(dk exec "hot$ID" ip -4 -o addr show)" "10.213.125." "(disconnected)" || return 1
        assert_eq "$(dk inspect -f '{{len .NetworkSettings.Networks}}' "hot$ID")" 0 || return 1
        dk rm -f "hot$ID" >/dev/null || return 1
        assert_eq "$(ports_of "$BR" | wc -w)" 2 "(its veth gone)"
}

# containers on the shared bridge do not reach a container of another
# network (docker network create), nor the other way round
t_isolated() {
        local a b out
        dk network create --subnet 10.213.127.0/24 "iso$ID" >/dev/null || return 1
        dk run -d --name "other$ID" --network "iso$ID" busybox:test sh -c 'echo other >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        a=$(dk inspect -f "{{(index .NetworkSettings.Networks \"iso$ID\").IPAddress}}" "other$ID") b=$(ip_of "srv$ID")
        [[ $a == 10.213.127.* ]] || fail "address on iso: '$a'" || return 1
        out=$(dk exec "cli$ID" timeout 5 wget -q -O- "http://$a/i" 2>&1) && fail "bridge -> iso reached: $out" && return 1
        out=$(dk exec "other$ID" timeout 5 wget -q -O- "http://$b/i" 2>&1) && fail "iso -> bridge reached: $out" && return 1
        out=$(dk exec "cli$ID" timeout 5 wget -q -O- "http://$b/i" 2>&1) || fail "bridge -> bridge: $out" || return 1
        dk rm -f "other$ID" >/dev/null && dk network rm "iso$ID" >/dev/null
}

# issue 8 on the shared bridge (as test-net-escape.sh): it has
# route_localnet (published ports on 127.0.0.1 need it), yet a frame sent
# by hand to its MAC with destination 127.0.0.1 reaches no listener of the
# host's loopback, while the same frame to the gateway's address arrives
t_loopback() {
        local port mac pid i
        [ "$(cat "/proc/sys/net/ipv4/conf/$BR/route_localnet")" = 1 ] || fail "route_localnet is off on $BR" || return 1
        nft list table ip ccompose | grep -qE 'iifname "ccb-\*" ip daddr 127\.0\.0\.0/8 drop' || fail "no drop rule" || return 1
        dk run -d --name "raw$ID" -v "$TMP/bin:/x:ro" busybox:test sleep 600 >/dev/null || return 1
        port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        mac=$(cat "/sys/class/net/$BR/address")
        python3 "$SRCDIR/tests/system/udp-listen.py" 10.213.125.1 "$port" "$TMP" >/dev/null 2>&1 &
        pid=$!
        bg_record "$pid"
        for i in $(seq 100); do [ -e "$TMP/listening" ] && break; sleep 0.1; done
        dk exec "raw$ID" /x/rawsend eth0 "$mac" 127.0.0.1 "$port" escaped-to-loopback || { kill "$pid"; return 1; }
        dk exec "raw$ID" /x/rawsend eth0 "$mac" 10.213.125.1 "$port" after-escape || { kill "$pid"; return 1; }
        for i in $(seq 100); do grep -q after-escape "$TMP/gw" 2>/dev/null && break; sleep 0.1; done
        kill "$pid"
        grep -q after-escape "$TMP/gw" 2>/dev/null || fail "the frame to the gateway never arrived" || return 1
        ! grep -q escaped "$TMP/lo" 2>/dev/null || fail "a listener on 127.0.0.1 received: $(cat "$TMP/lo")" || return 1
        dk rm -f "raw$ID" >/dev/null
}

# the service stops with containers on the bridge: it stays (ports and
# all) until the down of the last container's project, which removes it
t_stop_with_containers() {
        local before p1 p2
        svc
        before=$(ifindex "$BR")
        p1=$(project_of "srv$ID") p2=$(project_of "cli$ID")
        record "$p1" "$p2"
        stop_service || return 1
        assert_eq "$(ifindex "$BR")" "$before" "(kept: containers are on it)" || return 1
        cc -p "$p1" down -t 0 >/dev/null 2>&1 || return 1
        assert_eq "$(ifindex "$BR")" "$before" "(kept: one container is still on it)" || return 1
        cc -p "$p2" down -t 0 >/dev/null 2>&1 || return 1
        assert_eq "$(api_bridge)" "" "(removed by the last down)" || return 1
        assert_eq "$(api_links)" "" "(veths)" || return 1
        assert_eq "$(our_tables)" "" "(nft tables)"
}

# started again: no bridge until a container needs it; stopped with no
# container, nothing is left
t_stop_idle() {
        local p out
        start_again || return 1
        assert_eq "$(api_bridge)" "" "(no bridge yet)" || return 1
        dk run --rm busybox:test true || return 1
        [ -n "$(api_bridge)" ] || fail "no bridge after a run" || return 1
        dk create --name "made$ID" busybox:test true >/dev/null || return 1
        p=$(project_of "made$ID")
        record "$p"
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(removed by the service: no container on it)" || return 1
        assert_eq "$(api_links)" "" "(veths)" || return 1
        assert_eq "$(our_tables)" "" "(nft tables)" || return 1
        # its project, started without a service, makes the bridge again
        # (the model names it, with its subnet)
        out=$(cstart "$p" 2>&1) || fail "start: $out" || return 1
        [ -n "$(api_bridge)" ] || fail "no bridge made by the project's start" || return 1
        cc -p "$p" down -t 0 >/dev/null 2>&1 || return 1
        assert_eq "$(api_bridge)" "" "(removed by its down)"
}

# a container's supervisor that outlives the bridge (the last service
# removed it while the container was stopped) makes it again at its start
t_remade() {
        local p out
        start_again || return 1
        dk run -d --name "rs$ID" busybox:test sleep 600 >/dev/null || return 1
        p=$(project_of "rs$ID")
        record "$p"
        dk stop -t 0 "rs$ID" >/dev/null || return 1
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(removed: the container is stopped)" || return 1
        out=$(cstart "$p" 2>&1) || fail "start: $out" || return 1
        [ -n "$(api_bridge)" ] || fail "no bridge made again" || return 1
        start_again || return 1
        out=$(dk exec "rs$ID" ip -4 -o addr show eth0) || return 1
        assert_contains "$out" "inet 10.213.125." "(on it again)" || return 1
        # down of a project on it never removes it while a service runs
        dk run -d --name "rs2$ID" busybox:test sleep 600 >/dev/null || return 1
        dk rm -f "rs$ID" "rs2$ID" >/dev/null || return 1
        [ -n "$(api_bridge)" ] || fail "removed by a down while the service runs" || return 1
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(removed by the service)"
}

# SIGKILL: the bridge stays with a container on it; a service started
# again joins it; the down of the container's project then removes it.
# Killed with no container on it: the next service to start alone
# removes it (and its own --bip then applies)
t_killed() {
        local before p out
        start_again || return 1
        dk run -d --name "k$ID" busybox:test sleep 600 >/dev/null || return 1
        p=$(project_of "k$ID")
        record "$p"
        before=$(ifindex "$BR")
        kill_service || return 1
        assert_eq "$(ifindex "$BR")" "$before" "(kept after SIGKILL)" || return 1
        start_again 10.213.126.1/24 || return 1
        out=$(dk run --rm busybox:test ip -4 -o addr show eth0) || return 1
        assert_contains "$out" "inet 10.213.125." "(joined: the bridge's subnet, not the new --bip)" || return 1
        assert_eq "$(ifindex "$BR")" "$before" "(the same bridge)" || return 1
        kill_service || return 1
        cc -p "$p" down -t 0 >/dev/null 2>&1 || return 1
        assert_eq "$(api_bridge)" "" "(removed by the down: no service runs)" || return 1
        # killed with none on it
        start_again || return 1
        dk run --rm busybox:test true || return 1
        [ -n "$(api_bridge)" ] || fail "no bridge" || return 1
        kill_service || return 1
        [ -n "$(api_bridge)" ] || fail "no bridge after SIGKILL" || return 1
        start_again 10.213.126.1/24 || return 1
        assert_eq "$(api_bridge)" "" "(the idle one removed by the next service)" || return 1
        out=$(dk run --rm busybox:test ip -4 -o addr show eth0) || return 1
        assert_contains "$out" "inet 10.213.126." "(the new --bip)" || return 1
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(removed)"
}

t_nothing_left() {
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(api_links)" "" "(veths)" || return 1
        assert_eq "$(api_bridge)" "" "(the bridge)" || return 1
        assert_eq "$(our_tables)" "" "(nft tables)" || return 1
        ! pgrep -f "$SOCK" >/dev/null || fail "a process still names $SOCK" || return 1
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service.log" || fail "service log: $(cat "$TMP/service.log")"
}

t "two containers on the default network: one reaches the other by address; inspect, network inspect" t_two
t "20 containers: distinct addresses of the /24; removed, the bridge stays" t_twenty
t "docker run --rm: the same bridge before and after, no port left" t_persists
t "a published port on the shared bridge from 127.0.0.1" t_published
t "network connect/disconnect bridge of a running container" t_connect
t "isolated from a network made through the API, both ways" t_isolated
t "a raw frame to 127.0.0.1 from the shared bridge reaches no loopback listener (issue 8)" t_loopback
t "service stopped with containers on it: the bridge stays until the last down" t_stop_with_containers
t "service stopped with no container on it: nothing left; a project's start makes it again" t_stop_idle
t "a stopped container's supervisor makes the removed bridge again; no down removes it while a service runs" t_remade
t "SIGKILL: joined by the next service, removed by a down or by the next service alone" t_killed
t "nothing left: projects, veths, bridge, nft tables, processes" t_nothing_left
done_testing

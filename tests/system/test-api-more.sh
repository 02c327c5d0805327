#!/bin/bash
# More of the Docker Engine API service (issue 16) with Debian's docker
# CLI and python3-docker: names of containers created without one, the
# events of images, networks and volumes, ExecIDs and an exec's Pid,
# prune filters, --add-host with --network none, aliases given to
# network connect. The service is started here and stopped by its PID;
# its containers, veths, bridges and temporary files are gone at the end.
# Subnets: 10.213.123.0/24 (--bip), 10.213.124.0/24 (networks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"
require_commands curl docker-registry
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
mkdir -p "$DOCKER_CONFIG"
/usr/bin/python3 -c 'import docker' 2>/dev/null || bail_out "missing the Python docker SDK: run scripts/install-deps.sh (python3-docker)"
N=8
plan $N

api_prelude $N "10\.213\.12[34]\." 10.213.123-124.0/24 "api more"

on_exit api_cleanup "alc$ID"
start_service 10.213.123.0/24
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "$@"; }

# 200 containers created without a name: all created, names distinct,
# docker's adjective_surname form (a digit after it on a retry)
t_names() {
        local ids=() id i out bad
        for i in $(seq 1 200); do
                id=$(dk create --network none busybox:test true 2>&1) || { fail "create $i: $id"; dk rm "${ids[@]}" >/dev/null 2>&1; return 1; }
                ids+=("$id")
        done
        out=$(dk inspect --format '{{.Name}}' "${ids[@]}" | sort)
        assert_eq "$(wc -l <<<"$out")" 200 "(names)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        assert_eq "$(uniq <<<"$out" | wc -l)" 200 "(distinct names)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        bad=$(grep -vE '^/[a-z]+_[a-z]+[0-9]?$' <<<"$out")
        assert_eq "$bad" "" "(names not adjective_surname)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        out=$(dk rm "${ids[@]}" 2>&1) || { fail "rm: $out"; return 1; }
        assert_eq "$(api_projects)" "" "(API projects after rm)"
}

# docker events --since --until of images (pull, push, tag, untag, delete,
# save, load, build's tag), networks (create, connect, disconnect,
# destroy) and volumes (create, destroy), with docker's Type, Action and
# Actor; --filter type=, event=, network=, volume=, image=
t_events() {
        local t0 t1 out id nid fmt
        reg_start apim || return 1
        t0=$(date +%s.%N)
        id=$(dk image inspect -f '{{.Id}}' busybox:test) || return 1
        dk tag busybox:test "$REG/evm/bb:e1" || return 1
        dk push "$REG/evm/bb:e1" >/dev/null 2>&1 || { fail "push"; return 1; }
        dk rmi "$REG/evm/bb:e1" >/dev/null || return 1
        dk pull "$REG/evm/bb:e1" >/dev/null 2>&1 || { fail "pull"; return 1; }
        dk tag busybox:test evimg:one || return 1
        dk rmi evimg:one >/dev/null || return 1
        dk save busybox:test >"$TMP/ev.tar" || return 1
        dk load -i "$TMP/ev.tar" >/dev/null || return 1
        mkdir -p "$TMP/evctx" && printf 'FROM busybox:test\nLABEL ev=1\n' >"$TMP/evctx/Dockerfile"
        dk build -q -t evbuilt:b1 "$TMP/evctx" >/dev/null 2>&1 || { fail "build"; return 1; }
        nid=$(dk network create --subnet 10.213.124.0/24 "evnet$ID") || return 1
        dk volume create "evvol$ID" >/dev/null || return 1
        dk create --name "evc$ID" busybox:test true >/dev/null || return 1
        dk network connect "evnet$ID" "evc$ID" || return 1
        dk network disconnect "evnet$ID" "evc$ID" || return 1
        cid=$(dk inspect -f '{{.Id}}' "evc$ID") || return 1
        dk rm "evc$ID" >/dev/null || return 1
        dk network rm "evnet$ID" >/dev/null || return 1
        dk volume rm "evvol$ID" >/dev/null || return 1
        dk rmi evbuilt:b1 "$REG/evm/bb:e1" >/dev/null || return 1
        t1=$(date +%s.%N)
        fmt='{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}}'
        out=$(dk events --since "$t0" --until "$t1" --filter type=image --format "$fmt") || return 1
        local want
        want="image push $REG/evm/bb:e1 $REG/evm/bb
image pull $REG/evm/bb:e1 $REG/evm/bb
image tag $id evimg:one
image untag $id $id
image save $id $id
image load $id $id"
        while read -r l; do
                grep -qxF "$l" <<<"$out" || { fail "no event \"$l\" in: $out"; return 1; }
        done <<<"$want"
        assert_contains "$out" "image tag $id $REG/evm/bb:e1" || return 1
        grep -qE "^image tag sha256:[0-9a-f]{64} evbuilt:b1$" <<<"$out" || { fail "no tag event of the build: $out"; return 1; }
        grep -qE "^image delete sha256:[0-9a-f]{64} sha256:" <<<"$out" || { fail "no delete event: $out"; return 1; }
        out=$(dk events --since "$t0" --until "$t1" --filter type=network --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "type"}} {{index .Actor.Attributes "container"}}') || return 1
        assert_eq "$out" "network create $nid evnet$ID bridge 
network connect $nid evnet$ID bridge $cid
network disconnect $nid evnet$ID bridge $cid
network destroy $nid evnet$ID bridge " "(network events)" || return 1
        out=$(dk events --since "$t0" --until "$t1" --filter "volume=evvol$ID" --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "driver"}}') || return 1
        assert_eq "$out" "volume create evvol$ID local
volume destroy evvol$ID local" "(volume events)" || return 1
        out=$(dk events --since "$t0" --until "$t1" --filter type=image --filter event=untag --filter image=evimg --format '{{.Action}}') || return 1
        assert_eq "$out" "" "(image=evimg matches no untag: docker names it by ID)" || return 1
        out=$(dk events --since "$t0" --until "$t1" --filter event=destroy --format '{{.Type}} {{.Action}}') || return 1
        assert_eq "$out" "$(printf 'container destroy\nnetwork destroy\nvolume destroy')" "(event=destroy of every type)" || return 1
        # the raw message of a network event: no status/id/from (as docker)
        out=$(curl -s --unix-socket "$SOCK" -G "http://d/events" --data-urlencode "since=$t0" --data-urlencode "until=$t1" \
                --data-urlencode 'filters={"type":["network"],"event":["create"]}') || return 1
        assert_eq "$(jq -c '[has("status"), has("id"), has("from"), .scope]' <<<"$out")" '[false,false,false,"local"]' || return 1
        # a line of the log with neither labels nor attributes (hand-written,
        # an older ccompose's): sent, the service still serves
        printf '{"type":"container","time":"%s","action":"start","id":"bare%s"}\n' \
                "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" "$ID" >>"$CCOMPOSE_RUNTIME_DIR/events.jsonl"
        out=$(dk events --since "${t1%.*}" --until "$(date +%s.%N)" --filter "container=bare$ID" --format '{{.Action}} {{.Actor.ID}}') || return 1
        assert_eq "$out" "start bare$ID" "(a bare line of the log)" || return 1
        out=$(curl -s --unix-socket "$SOCK" -G "http://d/events" --data-urlencode "until=$t1" \
                --data-urlencode 'filters={"bogus":["x"]}')
        assert_contains "$out" "invalid filter 'bogus'"
}

# container inspect's ExecIDs (null without execs; a live exec's ID); exec
# inspect's Pid: the exec'd process on the host, in the container's PID
# namespace; once it ended, ExecIDs is null again
t_exec_ids() {
        local out eid pid cpid
        dk run -d --network none --name "xi$ID" busybox:test sleep 600 >/dev/null || return 1
        assert_eq "$(dk inspect -f '{{json .ExecIDs}}' "xi$ID")" null "(ExecIDs without an exec)" || return 1
        eid=$(curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Cmd":["sleep","301"]}' \
                "http://d/containers/xi$ID/exec" | jq -r .Id) || return 1
        assert_eq "$(dk inspect -f '{{json .ExecIDs}}' "xi$ID")" "[\"$eid\"]" "(ExecIDs of a created exec)" || return 1
        curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Detach":true}' "http://d/exec/$eid/start" >/dev/null || return 1
        for _ in $(seq 1 100); do
                pid=$(curl -s --unix-socket "$SOCK" "http://d/exec/$eid/json" | jq -r .Pid)
                [ "$pid" != 0 ] && break; sleep 0.1
        done
        assert_eq "$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)" "sleep 301 " "(the exec's Pid $pid runs its command)" || return 1
        cpid=$(dk inspect -f '{{.State.Pid}}' "xi$ID") || return 1
        assert_eq "$(readlink /proc/"$pid"/ns/pid)" "$(readlink /proc/"$cpid"/ns/pid)" "(its PID namespace)" || return 1
        assert_eq "$(dk inspect -f '{{json .ExecIDs}}' "xi$ID")" "[\"$eid\"]" "(ExecIDs of a running exec)" || return 1
        kill "$pid" || return 1
        for _ in $(seq 1 100); do
                out=$(dk inspect -f '{{json .ExecIDs}}' "xi$ID"); [ "$out" = null ] && break; sleep 0.1
        done
        assert_eq "$out" null "(ExecIDs after the exec ended)" || return 1
        assert_eq "$(curl -s --unix-socket "$SOCK" "http://d/exec/$eid/json" | jq -c '[.Running, .ExitCode, .Pid]')" "[false,143,$pid]" "(exec inspect after it ended)" || return 1
        dk rm -f "xi$ID" >/dev/null
}

# docker image prune -a --filter label/label!/until, container prune
# --filter label/until: only what they select goes; an unknown filter and
# a bad dangling value refused with docker's message
t_prune_filters() {
        local t out
        mkdir -p "$TMP/pr"
        for l in a b; do
                printf 'FROM busybox:test\nLABEL purpose=%s\n' "$l" >"$TMP/pr/Dockerfile"
                dk build -q -t "pr$l$ID:1" "$TMP/pr" >/dev/null 2>&1 || { fail "build $l"; return 1; }
        done
        dk create --network none --label p=1 --name "pc1$ID" busybox:test true >/dev/null || return 1
        dk create --network none --label p=2 --name "pc2$ID" busybox:test true >/dev/null || return 1
        # the next ones are made in a later second than until
        t=$(date +%s)
        while [ "$(date +%s)" = "$t" ]; do sleep 0.1; done
        printf 'FROM busybox:test\nLABEL purpose=c\n' >"$TMP/pr/Dockerfile"
        dk build -q -t "prc$ID:1" "$TMP/pr" >/dev/null 2>&1 || { fail "build c"; return 1; }
        dk create --network none --label p=3 --name "pc3$ID" busybox:test true >/dev/null || return 1
        dk run -d --network none --name "pkeep$ID" busybox:test sleep 600 >/dev/null || return 1
        out=$(dk image prune -a -f --filter label=purpose=a) || return 1
        assert_contains "$out" "untagged: pra$ID:1" || return 1
        assert_eq "$(dk images -q "pra$ID" | wc -l) $(dk images -q "prb$ID" | wc -l)" "0 1" "(label=purpose=a: only a)" || return 1
        out=$(dk image prune -a -f --filter "until=$t" --filter label=purpose --filter 'label!=purpose=x') || return 1
        assert_contains "$out" "untagged: prb$ID:1" || return 1
        assert_eq "$(dk images -q "prb$ID" | wc -l) $(dk images -q "prc$ID" | wc -l)" "0 1" "(until: b, not c)" || return 1
        assert_eq "$(dk images -q busybox:test | wc -l)" 1 "(busybox:test, in use and unlabelled, kept)" || return 1
        out=$(dk image prune -f --filter foo=bar 2>&1) && { fail "unknown filter taken: $out"; return 1; }
        assert_contains "$out" "Invalid filter 'foo'" || return 1
        out=$(dk image prune -f --filter dangling=maybe 2>&1) && { fail "dangling=maybe taken: $out"; return 1; }
        assert_contains "$out" "invalid filter 'dangling=[maybe]'" || return 1
        out=$(dk container prune -f --filter label=p=1) || return 1
        assert_eq "$(dk ps -a --format '{{.Names}}' | grep -E "^pc[123]$ID\$" | sort | tr '\n' ' ')" "pc2$ID pc3$ID " "(container prune label=p=1)" || return 1
        out=$(dk container prune -f --filter "until=$t" --filter label=p) || return 1
        assert_eq "$(dk ps -a --format '{{.Names}}' | grep -xE -e "pc[123]$ID" -e "pkeep$ID" | sort | tr '\n' ' ')" "pc3$ID pkeep$ID " "(container prune until, label=p)" || return 1
        out=$(dk container prune -f --filter foo=bar 2>&1) && { fail "unknown filter taken: $out"; return 1; }
        assert_contains "$out" "Invalid filter 'foo'" || return 1
        dk rm -f "pc3$ID" "pkeep$ID" >/dev/null || return 1
        dk rmi "prc$ID:1" >/dev/null
}

# --add-host with --network none (and host): in /etc/hosts, resolved
t_add_host_none() {
        local out
        out=$(dk run --rm --network none --add-host foo:192.0.2.7 --add-host bar.example:198.51.100.9 busybox:test \
                sh -c 'cat /etc/hosts; ping -c 1 -W 1 bar.example 2>&1 | head -1') || return 1
        assert_contains "$out" "$(printf '192.0.2.7\tfoo')" || return 1
        assert_contains "$out" "$(printf '198.51.100.9\tbar.example')" || return 1
        assert_contains "$out" "127.0.0.1	localhost" || return 1
        assert_contains "$out" "PING bar.example (198.51.100.9)" "(resolved from /etc/hosts)" || return 1
        out=$(dk run --rm --network host --add-host foo:192.0.2.7 busybox:test cat /etc/hosts) || return 1
        assert_contains "$out" "$(printf '192.0.2.7\tfoo')" "(--network host)" || return 1
}

# docker network connect --alias of a running and of a created container:
# the aliases resolve (embedded DNS) from another API container on the
# network and from a compose project's container on it (external)
t_connect_alias() {
        local out ip1 ip3 net="aln$ID" proj="alc$ID"
        dk network create --subnet 10.213.124.0/24 "$net" >/dev/null || return 1
        dk run -d --name "al1$ID" busybox:test sleep 600 >/dev/null || return 1
        dk run -d --network "$net" --name "al2$ID" busybox:test sleep 600 >/dev/null || return 1
        dk network connect --alias web-one --alias web-uno "$net" "al1$ID" || return 1
        dk create --name "al4$ID" busybox:test sleep 600 >/dev/null || return 1
        dk network connect --alias db-four "$net" "al4$ID" || return 1
        dk start "al4$ID" >/dev/null || return 1
        ip1=$(dk inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "al1$ID") || return 1
        ip3=$(dk inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "al4$ID") || return 1
        [ -n "$ip1" ] && [ -n "$ip3" ] || { fail "no addresses on $net: '$ip1' '$ip3'"; return 1; }
        for n in web-one web-uno; do
                out=$(dk exec "al2$ID" ping -c 1 -W 2 "$n" 2>&1 | head -1)
                assert_contains "$out" "($ip1)" "(alias $n of a running container, from another API container)" || return 1
        done
        out=$(dk exec "al2$ID" ping -c 1 -W 2 db-four 2>&1 | head -1)
        assert_contains "$out" "($ip3)" "(alias of a created container connected, then started)" || return 1
        mkdir -p "$TMP/alc"
        cat >"$TMP/alc/compose.yaml" <<YAML
services:
  c:
    image: busybox:test
    command: sleep 600
    networks: [shared]
networks:
  shared:
    external: true
    name: $net
YAML
        cc -p "$proj" -f "$TMP/alc/compose.yaml" up -d >/dev/null 2>&1 || { fail "compose up"; return 1; }
        out=$(cc -p "$proj" -f "$TMP/alc/compose.yaml" exec -T c ping -c 1 -W 2 web-one 2>&1 | head -1)
        assert_contains "$out" "($ip1)" "(alias from a compose project's container)" || { cc -p "$proj" down -t 0 >/dev/null 2>&1; return 1; }
        out=$(dk exec "al2$ID" ping -c 1 -W 2 web-none 2>&1 | head -1)
        assert_contains "$out" "bad address" "(a name that is no one's)" || { cc -p "$proj" down -t 0 >/dev/null 2>&1; return 1; }
        cc -p "$proj" down -t 0 >/dev/null 2>&1 || return 1
        dk rm -f "al1$ID" "al2$ID" "al4$ID" >/dev/null || return 1
        dk network rm "$net" >/dev/null
}

# a container created on two networks at once (python3-docker: two
# EndpointsConfig, as API 1.44 takes them): an address on each, reached by
# name and by each network's alias from a container on either
t_two_networks() {
        local out ip1 ip2
        dk network create --subnet 10.213.124.0/25 "mn1$ID" >/dev/null || return 1
        dk network create --subnet 10.213.124.128/25 "mn2$ID" >/dev/null || return 1
        /usr/bin/python3 - "$SOCK" "$ID" <<'PY' || { fail "python3-docker create on two networks"; return 1; }
import sys, docker
c = docker.APIClient(base_url="unix://" + sys.argv[1], version="1.41")
i = sys.argv[2]
ctr = c.create_container("busybox:test", "sleep 600", name="mm" + i,
                         host_config=c.create_host_config(network_mode="mn1" + i),
                         networking_config=c.create_networking_config({
                             "mn1" + i: c.create_endpoint_config(aliases=["m-one"]),
                             "mn2" + i: c.create_endpoint_config(aliases=["m-two"])}))
c.start(ctr["Id"])
PY
        ip1=$(dk inspect -f "{{(index .NetworkSettings.Networks \"mn1$ID\").IPAddress}}" "mm$ID") || return 1
        ip2=$(dk inspect -f "{{(index .NetworkSettings.Networks \"mn2$ID\").IPAddress}}" "mm$ID") || return 1
        [[ $ip1 == 10.213.124.* && $ip2 == 10.213.124.* && $ip1 != "$ip2" ]] || { fail "addresses '$ip1' '$ip2'"; return 1; }
        dk run -d --network "mn1$ID" --name "mp1$ID" busybox:test sleep 600 >/dev/null || return 1
        dk run -d --network "mn2$ID" --name "mp2$ID" busybox:test sleep 600 >/dev/null || return 1
        assert_contains "$(dk exec "mp1$ID" ping -c 1 -W 2 "mm$ID" 2>&1 | head -1)" "($ip1)" "(by name on mn1)" || return 1
        assert_contains "$(dk exec "mp1$ID" ping -c 1 -W 2 m-one 2>&1 | head -1)" "($ip1)" "(alias on mn1)" || return 1
        assert_contains "$(dk exec "mp2$ID" ping -c 1 -W 2 "mm$ID" 2>&1 | head -1)" "($ip2)" "(by name on mn2)" || return 1
        assert_contains "$(dk exec "mp2$ID" ping -c 1 -W 2 m-two 2>&1 | head -1)" "($ip2)" "(alias on mn2)" || return 1
        out=$(dk exec "mm$ID" ping -c 1 -W 2 "mp2$ID" 2>&1)
        assert_contains "$out" "1 packets received" "(it reaches a container on mn2)" || return 1
        dk rm -f "mm$ID" "mp1$ID" "mp2$ID" >/dev/null || return 1
        dk network rm "mn1$ID" "mn2$ID" >/dev/null
}

t_nothing_left() {
        assert_eq "$(curl -s --unix-socket "$SOCK" http://d/_ping)" OK "(the service serves)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(api_links)" "" "(bridges, veths)" || return 1
        stop_service || return 1
        [ ! -e "$SOCK" ] || fail "the socket is left" || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)"
}

t "200 docker create without --name: all made, distinct docker-style names; rm" t_names
t "docker events of images, networks, volumes (--since/--until, --filter type/event/volume/image); raw shape" t_events
t "container inspect ExecIDs (null, a made and a running exec); exec inspect Pid is the process's on the host" t_exec_ids
t "image prune -a --filter label/label!/until; container prune --filter label/until; unknown filters refused" t_prune_filters
t "docker run --network none/host --add-host: /etc/hosts has the entries, names resolve" t_add_host_none
t "docker network connect --alias (running, created): resolved from API and compose containers on the network" t_connect_alias
t "a container created on two networks (python3-docker): reached by name and alias on each" t_two_networks
t "nothing left behind; SIGTERM ends the service" t_nothing_left
done_testing

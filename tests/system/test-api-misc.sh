#!/bin/bash
# Docker Engine API service (issue 16), more against Debian's docker CLI:
# aliases per network, image commands without the ccompose binary,
# --add-host in the order given, volume mount/unmount events. The service
# is started here and stopped by its PID; its containers, veths, bridges
# and temporary files are gone at the end.
# Subnets: 10.213.134.0/24 (--bip), 10.213.135.0/24 and 10.213.136.0/24
# (networks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"
require_commands curl docker-registry
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
mkdir -p "$DOCKER_CONFIG"
N=8
plan $N

api_prelude $N "10\.213\.13[456]\." 10.213.134-136.0/24 "api misc"

on_exit api_cleanup "amh$ID" "amv$ID"
start_service 10.213.134.0/24

# what ping in container $1 says it reaches for name $2 ("bad address" when none)
reach() { dk exec "$1" ping -c 1 -W 2 "$2" 2>&1 | head -1; }

# --network-alias at run and network connect --alias on two networks: each
# alias on its network only (as docker); the name and the short ID on both;
# inspect's Aliases per network (given ones, then the short ID)
t_aliases() {
        local a="ma$ID" b="mb$ID" c="mc$ID" n1="mn1$ID" n2="mn2$ID" ip1 ip2 sid out
        dk network create --subnet 10.213.135.0/24 "$n1" >/dev/null || return 1
        dk network create --subnet 10.213.136.0/24 "$n2" >/dev/null || return 1
        dk run -d --name "$a" --network "$n1" busybox:test sleep 600 >/dev/null || return 1
        dk run -d --name "$b" --network "$n2" busybox:test sleep 600 >/dev/null || return 1
        dk run -d --name "$c" --network "$n1" --network-alias x-one busybox:test sleep 600 >/dev/null || return 1
        dk network connect --alias x-two "$n2" "$c" || return 1
        sid=$(dk inspect -f '{{.Id}}' "$c" | cut -c1-12)
        out=$(dk inspect -f "{{json (index .NetworkSettings.Networks \"$n1\").Aliases}} {{json (index .NetworkSettings.Networks \"$n2\").Aliases}}" "$c")
        assert_eq "$out" "[\"x-one\",\"$sid\"] [\"x-two\",\"$sid\"]" "(inspect's Aliases per network)" || return 1
        ip1=$(dk inspect -f "{{(index .NetworkSettings.Networks \"$n1\").IPAddress}}" "$c")
        ip2=$(dk inspect -f "{{(index .NetworkSettings.Networks \"$n2\").IPAddress}}" "$c")
        [ -n "$ip1" ] && [ -n "$ip2" ] || { fail "addresses '$ip1' '$ip2'"; return 1; }
        assert_contains "$(reach "$a" x-one)" "($ip1)" "(x-one from $n1)" || return 1
        assert_contains "$(reach "$a" x-two)" "bad address" "(x-two from $n1)" || return 1
        assert_contains "$(reach "$b" x-two)" "($ip2)" "(x-two from $n2)" || return 1
        assert_contains "$(reach "$b" x-one)" "bad address" "(x-one from $n2)" || return 1
        for w in "$c" "$sid"; do
                assert_contains "$(reach "$a" "$w")" "($ip1)" "($w from $n1)" || return 1
                assert_contains "$(reach "$b" "$w")" "($ip2)" "($w from $n2)" || return 1
        done
        # no name of its compose model's: its service
        assert_contains "$(reach "$a" container)" "bad address" "(container from $n1)" || return 1
        assert_contains "$(reach "$c" container)" "bad address" "(container from itself)" || return 1
        out=$(dk exec "$c" cat /etc/hosts | grep "^$ip2")
        assert_eq "$out" "$(printf '%s\t%s %s x-two' "$ip2" "$sid" "$c")" "(its /etc/hosts' line of $n2)" || return 1
        dk rm -f "$a" "$b" "$c" >/dev/null || return 1
        dk network rm "$n1" "$n2" >/dev/null
}

# --add-host and compose's extra_hosts (a list, a map) in /etc/hosts in
# the order given, not sorted
t_add_host_order() {
        local out want proj="amh$ID"
        out=$(dk run --rm --network none --add-host zz-host:10.9.9.3 --add-host aa-host:10.9.9.1 \
                --add-host mm-host:10.9.9.2 busybox:test cat /etc/hosts | grep -- -host) || return 1
        want=$(printf '10.9.9.3\tzz-host\n10.9.9.1\taa-host\n10.9.9.2\tmm-host')
        assert_eq "$out" "$want" "(docker run --add-host)" || return 1
        mkdir -p "$TMP/amh"
        cat >"$TMP/amh/compose.yaml" <<'YAML'
services:
  list:
    image: busybox:test
    command: sleep 600
    network_mode: none
    extra_hosts: ["zz-host:10.9.9.3", "aa-host=10.9.9.1", "mm-host:10.9.9.2"]
  map:
    image: busybox:test
    command: sleep 600
    network_mode: none
    extra_hosts:
      zz-host: 10.9.9.3
      aa-host: 10.9.9.1
      mm-host: 10.9.9.2
YAML
        cc -p "$proj" -f "$TMP/amh/compose.yaml" up -d >/dev/null 2>&1 || { fail "compose up"; cc -p "$proj" down -t 0 >/dev/null 2>&1; return 1; }
        for s in list map; do
                out=$(cc -p "$proj" -f "$TMP/amh/compose.yaml" exec -T "$s" cat /etc/hosts | grep -- -host)
                assert_eq "$out" "$want" "(compose extra_hosts as a $s)" || { cc -p "$proj" down -t 0 >/dev/null 2>&1; return 1; }
        done
        cc -p "$proj" -f "$TMP/amh/compose.yaml" down -t 0 >/dev/null 2>&1
}

# inspect's and the list's Mounts of an API container as dockerd 20.10
# shows them: named (mode z, or the options given), anonymous and bind
t_mounts() {
        local vol="amm$ID" c="ammc$ID" out want anon id
        dk volume create "$vol" >/dev/null || return 1
        dk create --name "$c" --network none -v "$vol:/data" -v "$vol:/data2:ro" -v "$TMP:/h:ro" -v /anon \
                busybox:test true >/dev/null || return 1
        id=$(dk inspect -f '{{.Id}}' "$c") || return 1
        out=$(dk inspect -f '{{range .Mounts}}{{.Destination}} {{.Type}} "{{.Name}}" {{.Source}} "{{.Driver}}" "{{.Mode}}" {{.RW}} "{{.Propagation}}"
{{end}}' "$c" | grep . | sort) || return 1
        anon=$(awk '$1 == "/anon" {print $3}' <<<"$out" | tr -d '"')
        assert_eq "${#anon}" 64 "(an anonymous volume's name: $anon)" || return 1
        assert_eq "${anon:0:52}" "${id:0:52}" "(anonymous volume's name)" || return 1
        want="/anon volume \"$anon\" $CCOMPOSE_ROOT/volumes/$anon/_data \"local\" \"\" true \"\"
/data volume \"$vol\" $CCOMPOSE_ROOT/volumes/$vol/_data \"local\" \"z\" true \"\"
/data2 volume \"$vol\" $CCOMPOSE_ROOT/volumes/$vol/_data \"local\" \"ro\" false \"\"
/h bind \"\" $TMP \"\" \"ro\" false \"rprivate\""
        assert_eq "$out" "$want" "(inspect's Mounts)" || return 1
        out=$(dk ps -a --no-trunc --filter name="$c" --format '{{.Mounts}}' | tr ',' '\n' | sort | tr '\n' ' ')
        assert_eq "$out" "$(printf '%s\n' "$anon" "$vol" "$vol" "$TMP" | sort | tr '\n' ' ')" "(ps's Mounts)" || return 1
        dk rm -v "$c" >/dev/null || return 1
        assert_eq "$(dk volume ls -q | grep -c "$anon")" 0 "(the anonymous volume after rm -v)" || return 1
        dk volume rm "$vol" >/dev/null
}

# docker's volume mount (before the container's start) and unmount (after
# its die) events, with docker's attributes, of an API container's named,
# anonymous and read-only volumes and of a compose stack's; the volume=
# filter sees them
t_volume_events() {
        local t0 t1 out want id id2 anon proj="amv$ID" fmt vol="amvol$ID"
        fmt='{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}'
        t0=$(date +%s.%N)
        dk volume create "$vol" >/dev/null || return 1
        dk run --name "amv1$ID" --network none -v "$vol:/data" -v /anon busybox:test true || return 1
        dk run -d --name "amv2$ID" --network none -v "$vol:/data:ro" busybox:test sleep 600 >/dev/null || return 1
        dk stop -t 1 "amv2$ID" >/dev/null || return 1
        id=$(dk inspect -f '{{.Id}}' "amv1$ID") && id2=$(dk inspect -f '{{.Id}}' "amv2$ID") || return 1
        anon=$(dk inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' "amv1$ID")
        [ -n "$anon" ] || { fail "no anonymous volume in inspect's Mounts"; return 1; }
        mkdir -p "$TMP/amv"
        printf 'services:\n  s:\n    image: busybox:test\n    command: sleep 600\n    network_mode: none\n    volumes: [data:/d]\nvolumes:\n  data: {}\n' >"$TMP/amv/compose.yaml"
        cc -p "$proj" -f "$TMP/amv/compose.yaml" up -d >/dev/null 2>&1 || { fail "compose up"; return 1; }
        local cid
        cid=$(cc -p "$proj" -f "$TMP/amv/compose.yaml" ps -q s)
        cc -p "$proj" -f "$TMP/amv/compose.yaml" down -t 1 -v >/dev/null 2>&1 || { fail "compose down"; return 1; }
        dk rm -v "amv1$ID" "amv2$ID" >/dev/null || return 1
        dk volume rm "$vol" >/dev/null || return 1
        t1=$(date +%s.%N)
        out=$(dk events --since "$t0" --until "$t1" --filter type=volume --filter event=mount --filter event=unmount --format "$fmt") || return 1
        want="volume mount $vol {\"container\":\"$id\",\"destination\":\"/data\",\"driver\":\"local\",\"propagation\":\"\",\"read/write\":\"true\"}
volume mount $anon {\"container\":\"$id\",\"destination\":\"/anon\",\"driver\":\"local\",\"propagation\":\"\",\"read/write\":\"true\"}
volume unmount $vol {\"container\":\"$id\",\"driver\":\"local\"}
volume unmount $anon {\"container\":\"$id\",\"driver\":\"local\"}
volume mount $vol {\"container\":\"$id2\",\"destination\":\"/data\",\"driver\":\"local\",\"propagation\":\"\",\"read/write\":\"false\"}
volume unmount $vol {\"container\":\"$id2\",\"driver\":\"local\"}
volume mount ${proj}_data {\"container\":\"$cid\",\"destination\":\"/d\",\"driver\":\"local\",\"propagation\":\"\",\"read/write\":\"true\"}
volume unmount ${proj}_data {\"container\":\"$cid\",\"driver\":\"local\"}"
        assert_eq "$out" "$want" "(volume events)" || return 1
        # mount before the container's start, unmount after its die
        out=$(dk events --since "$t0" --until "$t1" --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "container"}}' |
                grep -F "$id" | grep -E "^(volume (mount|unmount) $vol |container (start|die) )" | cut -d' ' -f1,2)
        assert_eq "$out" "$(printf 'volume mount\ncontainer start\ncontainer die\nvolume unmount')" "(order)" || return 1
        out=$(dk events --since "$t0" --until "$t1" --filter volume="$vol" --format '{{.Action}}' | tr '\n' ' ')
        assert_eq "$out" "create mount unmount mount unmount destroy " "(--filter volume=$vol)"
}

# What dockerd 20.10 answers, compared by hand (bench/lib-dockerd.sh):
# exec's failures (exit 126, runc's words on the standard output), a
# command run cannot start, rename's checks and conflict, disconnect of a
# container not on the network, exec in a paused container, the list's
# order of containers made in one second, system df's active volumes
t_docker_answers() {
        local c="ama$ID" d="amb$ID" vol="amdv$ID" net="amn$ID" out rc id names want
        dk run -d --name "$c" --network none -v "$vol:/data" busybox:test sleep 600 >/dev/null || return 1
        id=$(dk inspect -f '{{.Id}}' "$c") || return 1
        out=$(dk exec "$c" no-such-cmd 2>/dev/null); rc=$?
        assert_eq "$rc" 126 "(exec of a missing command)" || return 1
        assert_eq "$out" "$(printf 'OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-cmd": executable file not found in $PATH: unknown\r')" "(its message, on stdout)" || return 1
        out=$(dk exec "$c" /etc/hosts 2>&1); rc=$?
        assert_eq "$rc" 126 "(exec of a file that is not executable)" || return 1
        assert_contains "$out" 'exec: "/etc/hosts": permission denied: unknown' || return 1
        out=$(dk exec "$c" /no/such 2>&1)
        assert_contains "$out" 'exec: "/no/such": stat /no/such: no such file or directory: unknown' || return 1
        out=$(dk run --network none busybox:test no-such-cmd 2>&1); rc=$?
        assert_eq "$rc" 127 "(run of a missing command)" || return 1
        assert_contains "$out" 'docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-cmd": executable file not found in $PATH: unknown.' || return 1
        dk container prune -f >/dev/null || return 1
        # with --rm: removed before the start's error is answered (as
        # dockerd), so the client's wait for the removal ends first: the
        # error alone, not "error waiting for container: context canceled"
        local i
        for i in 1 2 3; do
                out=$(dk run --rm --network none busybox:test no-such-cmd 2>&1); rc=$?
                assert_eq "$rc" 127 "(run --rm of a missing command)" || return 1
                assert_eq "$out" 'docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-cmd": executable file not found in $PATH: unknown.' "(run --rm's output, $i)" || return 1
        done
        assert_eq "$(dk ps -a -q --filter ancestor=busybox:test --filter status=created)" "" "(removed)" || return 1
        out=$(dk rename "nosuch$ID" x 2>&1)
        assert_eq "$(head -1 <<<"$out")" "Error response from daemon: No such container: nosuch$ID" "(rename of no container)" || return 1
        dk create --name "$d" --network none busybox:test true >/dev/null || return 1
        out=$(dk rename "$c" "$d" 2>&1)
        assert_contains "$out" "Error response from daemon: Error when allocating new name: Conflict. The container name \"/$d\" is already in use" || return 1
        dk network create --subnet 10.213.135.0/24 "$net" >/dev/null || return 1
        out=$(dk network disconnect "$net" "$c" 2>&1)
        assert_eq "$out" "Error response from daemon: container $id is not connected to network $net" "(disconnect)" || return 1
        dk network rm "$net" >/dev/null || return 1
        out=$(dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}' | grep Volumes)
        assert_eq "$out" "Local Volumes 1 1" "(system df: the volume a container mounts is active)" || return 1
        dk pause "$c" >/dev/null || return 1
        out=$(dk exec "$c" true 2>&1)
        assert_eq "$out" "Error response from daemon: Container $c is paused, unpause the container before exec" "(exec paused)" || return 1
        dk unpause "$c" >/dev/null || return 1
        dk rm -f "$c" "$d" >/dev/null || return 1
        dk volume rm "$vol" >/dev/null || return 1
        # made one after the other, most in one second: newest first
        want=
        for i in 1 2 3 4 5 6; do
                dk create --name "amo$i$ID" --network none busybox:test true >/dev/null || return 1
                want="amo$i$ID${want:+ }$want"
        done
        names=$(dk ps -a --format '{{.Names}}' | grep "^amo" | tr '\n' ' ')
        dk rm amo{1,2,3,4,5,6}"$ID" >/dev/null || return 1
        assert_eq "$names" "$want " "(ps -a: newest first)"
}

# prune's filters as dockerd 20.10: network prune takes until, label and
# label!; an unknown key and a bad time are refused in docker's words
t_prune_filters() {
        local out t
        dk network create --subnet 10.213.136.0/28 --label keep=1 "pk$ID" >/dev/null || return 1
        dk network create --subnet 10.213.136.16/28 --label drop=1 "pd$ID" >/dev/null || return 1
        sleep 1.1 # until compares creation times: one second apart
        t=$(date +%s)
        dk network create --subnet 10.213.136.32/28 --label drop=1 "pn$ID" >/dev/null || return 1
        out=$(dk network prune -f --filter label=drop=1 --filter "until=$t") || return 1
        assert_eq "$(dk network ls --format '{{.Name}}' | grep -xE "p[kdn]$ID" | sort | tr '\n' ' ')" "pk$ID pn$ID " "(network prune label, until)" || return 1
        out=$(dk network prune -f --filter 'label!=keep') || return 1
        assert_eq "$(dk network ls --format '{{.Name}}' | grep -xE "p[kdn]$ID" | sort | tr '\n' ' ')" "pk$ID " "(network prune label!)" || return 1
        dk network rm "pk$ID" >/dev/null || return 1
        for what in network volume container image; do
                out=$(dk "$what" prune -f --filter foo=bar 2>&1) && { fail "$what prune took foo: $out"; return 1; }
                assert_eq "$out" "Error response from daemon: Invalid filter 'foo'" "($what prune)" || return 1
        done
        out=$(dk volume prune -f --filter until=1h 2>&1)
        assert_eq "$out" "Error response from daemon: Invalid filter 'until'" "(volume prune until)" || return 1
        out=$(dk image prune -f --filter until=bad 2>&1)
        assert_eq "$out" "Error response from daemon: failed to parse value as time or duration: \"bad\"" "(until=bad)"
}

# A second service, started from a copy of the binary that is then
# deleted: image commands (pull, push, tag, rmi, save, load, build,
# image prune) still work, as ccompose's commands are forked children of
# its fork server, not the program started again.
on_exit stop_service2
t_image_binary_gone() {
        local bin=$TMP/bin sock2=$SOCK2 out id
        reg_start amig || return 1
        start_service2 10.213.134.240/28 || return 1
        rm "$bin/ccompose"
        d2() { DOCKER_HOST=unix://$sock2 dk "$@"; }
        out=$(d2 tag busybox:test "$REG/amig/bb:1" 2>&1) || { fail "tag: $out"; return 1; }
        out=$(d2 push "$REG/amig/bb:1" 2>&1) || { fail "push: $out"; return 1; }
        out=$(d2 rmi "$REG/amig/bb:1" 2>&1) || { fail "rmi: $out"; return 1; }
        out=$(d2 pull "$REG/amig/bb:1" 2>&1) || { fail "pull: $out"; return 1; }
        assert_contains "$out" "Status: Downloaded newer image for $REG/amig/bb:1" "(pull)" || return 1
        out=$(d2 save -o "$TMP/amig.tar" "$REG/amig/bb:1" 2>&1) || { fail "save: $out"; return 1; }
        d2 rmi "$REG/amig/bb:1" >/dev/null || return 1
        out=$(d2 load -i "$TMP/amig.tar" 2>&1) || { fail "load: $out"; return 1; }
        assert_contains "$out" "Loaded image: $REG/amig/bb:1" "(load)" || return 1
        mkdir -p "$TMP/amigctx" && printf 'FROM busybox:test\nCOPY f /f\n' >"$TMP/amigctx/Dockerfile" && echo built >"$TMP/amigctx/f"
        id=$(d2 build -q -t amig-built:1 "$TMP/amigctx" 2>&1) || { fail "build: $id"; return 1; }
        out=$(d2 run --rm --network none amig-built:1 cat /f 2>&1)
        assert_eq "$out" built "(the built image runs)" || return 1
        d2 rmi amig-built:1 "$REG/amig/bb:1" >/dev/null || return 1
        out=$(d2 image prune -f 2>&1) || { fail "image prune: $out"; return 1; }
        assert_eq "$(d2 images -q "$REG/amig/bb")" "" "(images left)" || return 1
        stop_service2
        for _ in $(seq 1 100); do pgrep -f "$sock2" >/dev/null || break; sleep 0.05; done
        [ -z "$(pgrep -f "$sock2")" ] || fail "left running: $(ps -o pid,cmd -p "$(pgrep -d, -f "$sock2")")" || return 1
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service2.log" || fail "service log: $(cat "$TMP/service2.log")"
}

t_nothing_left() {
        assert_eq "$(curl -s --unix-socket "$SOCK" http://d/_ping)" OK "(the service serves)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(api_links)" "" "(bridges, veths)" || return 1
        assert_eq "$(dk network ls -q -f name="$ID")" "" "(networks)" || return 1
        assert_eq "$(dk volume ls -q)" "" "(volumes)" || return 1
        stop_service || return 1
        [ ! -e "$SOCK" ] || fail "the socket is left" || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)"
}

t "--network-alias and network connect --alias on two networks: each alias on its own network only" t_aliases
t "docker run --add-host, compose extra_hosts (list, map): /etc/hosts in the order given" t_add_host_order
t "inspect's and ps's Mounts: named, anonymous and bind, as dockerd shows them" t_mounts
t "volume mount/unmount events (API containers, a compose stack), docker's attributes and order; --filter volume=" t_volume_events
t "as dockerd answers: exec failures (126), run of a missing command, rename, disconnect, exec paused, ps order, system df" t_docker_answers
t "network prune --filter until/label/label!; unknown filters and bad times refused in dockerd's words" t_prune_filters
t "the service's binary deleted: pull, push, tag, rmi, save, load, build, image prune still work" t_image_binary_gone
t "nothing left behind; SIGTERM ends the service" t_nothing_left
done_testing

#!/bin/bash
# The API service's exec, archive, top, stats, rename, prune, df and
# events endpoints (issue 16) with real clients: Debian's docker CLI
# (exec with and without -t, -i, -d; cp both ways; top; stats
# --no-stream; rename; container prune; system df; events), raw HTTP
# (api-exec.py: status codes, framing, headers) and python3-docker.
# After each case the service still serves; at the end nothing of it is
# left (projects, veths, bridges, processes).
# Subnets: 10.213.119.0/25 (--bip), 10.213.119.128/25 (a compose project).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands curl
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
PY=/usr/bin/python3 # Debian's, with python3-docker (not another python3 on PATH)
"$PY" -c 'import docker' 2>/dev/null || bail_out "missing the Python docker SDK: run scripts/install-deps.sh (python3-docker)"
P=apix$ID
EX="$SRCDIR/tests/system/api-exec.py"
N=11

plan $N

api_prelude $N "10\.213\.119\." 10.213.119.0/24 "api-exec"

on_exit api_cleanup "$P"
start_service 10.213.119.0/25
# the PIDs of the processes below PID $1
descendants() {
        ps -eo pid=,ppid= | awk -v root="$1" '{ up[$1] = $2 }
                END { for (p in up) { q = up[p]; while (q in up && q != root) q = up[q]; if (q == root) print p } }'
}
serving() { [ "$(curl -s --unix-socket "$SOCK" http://d/_ping)" = OK ] || fail "the service does not answer"; }

# docker exec: output, stderr, exit code; -i with stdin; -d; -u -w -e;
# a missing command; a stopped container: 409
t_docker_exec() {
        local out rc
        dk run -d --name "ex$ID" busybox:test sleep 600 >/dev/null || return 1
        [ -n "$(api_links)" ] || fail "no links of the API container found" || return 1
        out=$(dk exec "ex$ID" sh -c 'echo out; echo err >&2; exit 3' 2>"$TMP/err"); rc=$?
        assert_eq "$rc" 3 "(exit code of docker exec)" || return 1
        assert_eq "$out" out || return 1
        assert_eq "$(cat "$TMP/err")" err "(stderr of docker exec)" || return 1
        out=$(printf 'one\ntwo\n' | dk exec -i "ex$ID" sh -c 'wc -l; cat >/tmp/in') || return 1
        assert_eq "$(tr -d ' ' <<<"$out")" 2 "(stdin of docker exec -i)" || return 1
        out=$(dk exec -u nobody -w /tmp -e A=b "ex$ID" sh -c 'id -un; pwd; echo $A') || return 1
        assert_eq "$out" "$(printf 'nobody\n/tmp\nb')" "(-u -w -e)" || return 1
        dk exec -d "ex$ID" sh -c 'sleep 1; echo later >/tmp/detached' || return 1
        for _ in $(seq 1 100); do out=$(dk exec "ex$ID" cat /tmp/detached 2>/dev/null) && break; sleep 0.1; done
        assert_eq "$out" later "(docker exec -d)" || return 1
        out=$(dk exec "ex$ID" no-such-command 2>&1); rc=$?
        assert_eq "$rc" 126 "(a missing command: 126, as dockerd)" || return 1
        assert_contains "$out" "executable file not found" || return 1
        dk run -d --name "exs$ID" busybox:test true >/dev/null || return 1
        dk wait "exs$ID" >/dev/null || return 1
        out=$(dk exec "exs$ID" true 2>&1) && { fail "exec in a stopped container worked: $out"; return 1; }
        assert_contains "$out" "is not running" || return 1
        "$PY" "$EX" "$SOCK" exec-stopped "exs$ID" || return 1
        dk rm "exs$ID" >/dev/null || return 1
        serving
}
t_exec_raw() { "$PY" "$EX" "$SOCK" exec "ex$ID" && serving; }
t_exec_tty() {
        local out rc
        "$PY" "$EX" "$SOCK" exec-tty "$DOCKER" "ex$ID" || return 1
        out=$(dk exec -t "ex$ID" sh -c 'tty; exit 4' </dev/null); rc=$?
        assert_eq "$rc" 4 "(exit code of docker exec -t)" || return 1
        assert_contains "$out" /dev/pts/ || return 1
        serving
}
t_sdk_exec() { "$PY" "$EX" "$SOCK" sdk-exec "ex$ID" && serving; }

# docker cp both ways: a directory, a file under another name, contents
# with dir/., to stdout as a tar; missing paths; a stopped container
t_docker_cp() {
        local out
        mkdir -p "$TMP/cp/src/sub" "$TMP/cp/back"
        echo one >"$TMP/cp/src/a.txt"
        echo two >"$TMP/cp/src/sub/b.txt"
        dk cp "$TMP/cp/src" "ex$ID:/tmp/" || return 1
        out=$(dk exec "ex$ID" sh -c 'cat /tmp/src/a.txt /tmp/src/sub/b.txt') || return 1
        assert_eq "$out" "$(printf 'one\ntwo')" "(a directory into the container)" || return 1
        dk cp "$TMP/cp/src/a.txt" "ex$ID:/tmp/renamed.txt" || return 1
        assert_eq "$(dk exec "ex$ID" cat /tmp/renamed.txt)" one "(a file under another name)" || return 1
        dk cp "ex$ID:/tmp/src" "$TMP/cp/back/" || return 1
        assert_eq "$(cat "$TMP/cp/back/src/sub/b.txt")" two "(a directory out of the container)" || return 1
        dk cp "ex$ID:/tmp/src/." "$TMP/cp/dot" || return 1
        assert_eq "$(cd "$TMP/cp/dot" && find . -type f | sort | tr '\n' ' ')" "./a.txt ./sub/b.txt " "(dir/.)" || return 1
        dk cp "ex$ID:/etc/passwd" "$TMP/cp/pw" || return 1
        assert_contains "$(cat "$TMP/cp/pw")" "root:x:0:0" || return 1
        out=$(dk cp "ex$ID:/tmp/src" - | tar -tf - | sort | tr '\n' ' ') || return 1
        assert_eq "$out" "src/ src/a.txt src/sub/ src/sub/b.txt " "(docker cp to stdout)" || return 1
        out=$(dk cp "ex$ID:/no/such" "$TMP/cp/x" 2>&1) && { fail "cp of a missing path worked"; return 1; }
        assert_contains "$out" "No such container:path" || return 1
        out=$(dk cp "$TMP/cp/src" "ex$ID:/no/such/dir" 2>&1) && { fail "cp into a missing directory worked"; return 1; }
        # 24 MB both ways (beyond the 4 MB bound of request bodies held in memory)
        head -c 24000000 /dev/urandom >"$TMP/cp/big"
        dk cp "$TMP/cp/big" "ex$ID:/tmp/big" || return 1
        assert_eq "$(dk exec "ex$ID" sha256sum /tmp/big | cut -d' ' -f1)" "$(sha256sum <"$TMP/cp/big" | cut -d' ' -f1)" "(24 MB in)" || return 1
        dk cp "ex$ID:/tmp/big" "$TMP/cp/big.back" || return 1
        cmp -s "$TMP/cp/big" "$TMP/cp/big.back" || fail "24 MB out: not the same bytes" || return 1
        # noOverwriteDirNonDir (docker cp sends it): a file over a directory is refused, the directory stays
        mkdir -p "$TMP/cp/clash" && echo f >"$TMP/cp/clash/src"
        out=$(dk cp "$TMP/cp/clash/src" "ex$ID:/tmp/" 2>&1) && { fail "a file replaced the directory /tmp/src"; return 1; }
        assert_contains "$out" 'cannot overwrite directory "/tmp/src" with non-directory' || return 1
        assert_eq "$(dk exec "ex$ID" cat /tmp/src/a.txt)" one "(the directory stays)" || return 1
        "$PY" "$EX" "$SOCK" archive "ex$ID" || return 1
        dk run -d --name "cps$ID" busybox:test sh -c 'echo kept >/tmp/f' >/dev/null || return 1
        dk wait "cps$ID" >/dev/null || return 1
        dk cp "cps$ID:/tmp/f" "$TMP/cp/f" || return 1
        assert_eq "$(cat "$TMP/cp/f")" kept "(cp out of a stopped container)" || return 1
        dk rm "cps$ID" >/dev/null || return 1
        # docker create; docker cp; docker start: a container that never ran gets the file
        dk create --name "cpc$ID" busybox:test cat /tmp/given >/dev/null || return 1
        dk cp "$TMP/cp/src/a.txt" "cpc$ID:/tmp/given" || return 1
        assert_eq "$(dk start -a "cpc$ID")" one "(cp into a created container)" || return 1
        dk rm "cpc$ID" >/dev/null || return 1
        serving
}

# docker top (ps_args), stats --no-stream of a busy container (its CPU %),
# raw stats: stream, stream=false, one-shot, a stopped container
t_top_stats() {
        local out cpu
        out=$(dk top "ex$ID") || return 1
        assert_contains "$out" "sleep 600" || return 1
        # (an exec of an earlier case may still run there: its processes are the container's too)
        out=$(dk top "ex$ID" -o pid,comm) || return 1
        assert_eq "$(head -1 <<<"$out" | tr -s ' ')" "PID COMMAND" || return 1
        awk 'NR > 1 {print $2}' <<<"$out" | grep -qx sleep || fail "top -o pid,comm: $out" || return 1
        dk run -d --name "stp$ID" busybox:test true >/dev/null && dk wait "stp$ID" >/dev/null || return 1
        out=$(dk top "stp$ID" 2>&1) && { fail "top of a stopped container worked: $out"; return 1; }
        assert_contains "$out" "is not running" || return 1
        "$PY" "$EX" "$SOCK" top "ex$ID" "stp$ID" || return 1
        dk run -d --name "busy$ID" busybox:test sh -c 'while :; do :; done' >/dev/null || return 1
        out=$(dk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.PIDs}} {{.MemUsage}}' "busy$ID") || return 1
        cpu=$(awk '{print int($2)}' <<<"$out")
        [ "$cpu" -ge 5 ] || fail "CPU % of a busy loop: $out" || return 1
        assert_eq "$(awk '{print $1, $3}' <<<"$out")" "busy$ID 1" || return 1
        assert_not_contains "$out" " 0B /" || return 1
        "$PY" "$EX" "$SOCK" stats "busy$ID" "stp$ID" || return 1
        dk rm -f "busy$ID" "stp$ID" >/dev/null || return 1
        serving
}

# docker events: a container's create, start, die (its exit code) and
# destroy, as they happen, filtered by container; the past ones with
# --since/--until; a compose project's by its compose label
t_docker_events() {
        local since pid out
        since=$(date +%s)
        dk events --filter "container=ev$ID" --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}' >"$TMP/events" 2>&1 &
        pid=$!
        bg_record "$pid"
        sleep 0.5
        dk run --name "ev$ID" -l "evlabel=$ID" busybox:test sh -c 'exit 2'
        dk rm "ev$ID" >/dev/null || { kill "$pid"; return 1; }
        for _ in $(seq 1 100); do grep -q destroy "$TMP/events" && break; sleep 0.1; done
        kill "$pid"
        wait "$pid" 2>/dev/null
        out=$(sed 's/ <no value>$//' "$TMP/events")
        assert_eq "$out" "$(printf 'create ev%s\nstart ev%s\ndie ev%s 2\ndestroy ev%s' "$ID" "$ID" "$ID" "$ID")" || return 1
        out=$(dk events --since "$since" --until "$(date +%s.%N)" --filter "label=evlabel=$ID" --filter event=die \
                --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}') || return 1
        assert_eq "$out" "container die ev$ID" "(--since/--until, label and event filters)" || return 1
        "$PY" "$EX" "$SOCK" events "$since" || return 1
        # an exec's events: exec_create/exec_start with its command, exec_die with its exit code
        dk exec "ex$ID" sh -c 'exit 3'
        out=$(dk events --since "$since" --until "$(date +%s.%N)" --filter "container=ex$ID" --filter event=exec_start \
                --filter event=exec_die --format '{{.Action}} {{.Actor.Attributes.exitCode}}') || return 1
        assert_eq "$(sed 's/ <no value>$//' <<<"$out")" "$(printf 'exec_start: sh -c exit 3\nexec_die 3')" "(exec events)" || return 1
        # a compose project's containers, seen with docker compose's labels
        mkdir -p "$TMP/proj"
        cat >"$TMP/proj/compose.yaml" <<EOF2
services:
  app:
    image: busybox:test
    command: ["sleep", "300"]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.119.128/25
EOF2
        dk events --filter "label=com.docker.compose.project=$P" --format '{{.Action}} {{index .Actor.Attributes "com.docker.compose.service"}}' >"$TMP/cevents" 2>&1 &
        pid=$!
        bg_record "$pid"
        sleep 0.5
        (cd "$TMP/proj" && cc -p "$P" up -d >/dev/null 2>&1) || { kill "$pid"; fail "up -d of the compose project"; return 1; }
        for _ in $(seq 1 100); do grep -q start "$TMP/cevents" && break; sleep 0.1; done
        kill "$pid"
        wait "$pid" 2>/dev/null
        assert_contains "$(cat "$TMP/cevents")" "start app" "(a compose container's start)" || return 1
        assert_contains "$(dk top "$P-app-1")" "sleep 300" "(top of a compose container)" || return 1
        (cd "$TMP/proj" && cc -p "$P" down -t 0 >/dev/null 2>&1) || return 1
        serving
}

# docker rename of a running and of a stopped container (exec, start,
# inspect under the new name; its rename event), a name in use refused;
# container prune with a label filter, then all (running ones stay);
# system df (counts, a container's own layer size)
t_rename_prune_df() {
        local out since id
        since=$(date +%s)
        dk run -d --name "rn$ID" busybox:test sleep 600 >/dev/null || return 1
        dk rename "rn$ID" "rn2$ID" || return 1
        assert_eq "$(dk inspect -f '{{.Name}}' "rn2$ID")" "/rn2$ID" || return 1
        assert_eq "$(dk exec "rn2$ID" echo hi)" hi "(exec under the new name)" || return 1
        out=$(dk rename "rn2$ID" "ex$ID" 2>&1) && { fail "rename to a name in use worked"; return 1; }
        assert_contains "$out" "is already in use" || return 1
        dk stop -t 0 "rn2$ID" >/dev/null || return 1
        dk rename "rn2$ID" "rn3$ID" || return 1
        dk start "rn3$ID" >/dev/null || return 1
        assert_eq "$(dk ps --filter "name=rn" --format '{{.Names}} {{.State}}')" "rn3$ID running" "(started after a rename)" || return 1
        out=$(dk events --since "$since" --until "$(date +%s.%N)" --filter event=rename --format '{{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}') || return 1
        assert_eq "$out" "$(printf 'rn%s rn2%s\nrn2%s rn3%s' "$ID" "$ID" "$ID" "$ID")" "(rename events)" || return 1
        dk rm -f "rn3$ID" >/dev/null || return 1
        # prune
        dk run --name "pk$ID" -l "keep$ID=1" busybox:test true || return 1
        dk run --name "pd$ID" busybox:test sh -c 'dd if=/dev/zero of=/big bs=1k count=200 2>/dev/null' || return 1
        out=$(curl -s --unix-socket "$SOCK" http://d/system/df | jq --arg n "/pd$ID" '.Containers[] | select(.Names[0] == $n) | .SizeRw')
        [ "${out:-0}" -ge 204800 ] || fail "system df: SizeRw of a container that wrote 200 KiB: '$out'" || return 1
        out=$(dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}') || return 1
        assert_contains "$out" "Images 1 1" || return 1
        assert_contains "$out" "Containers $(dk ps -aq | wc -l) $(dk ps -q | wc -l)" || return 1
        id=$(dk inspect -f '{{.Id}}' "pd$ID")
        out=$(dk container prune -f --filter "label!=keep$ID") || return 1
        assert_contains "$out" "$id" || return 1
        assert_contains "$out" "Total reclaimed space: 2" "(about 200 kB)" || return 1
        assert_eq "$(dk ps -a --format '{{.Names}}' | grep -E "^p[dk]$ID" | sort | tr '\n' ' ')" "pk$ID " "(after a filtered prune)" || return 1
        dk container prune -f >/dev/null || return 1
        assert_eq "$(dk ps -a --filter status=exited -q)" "" "(after prune)" || return 1
        assert_contains "$(dk ps --format '{{.Names}}')" "ex$ID" "(a running container stays)" || return 1
        serving
}

# nothing of the API's containers is left: no project, veth, bridge or process
t_nothing_left() {
        dk rm -f "ex$ID" >/dev/null || return 1
        assert_eq "$(dk ps -a -q)" "" "(containers)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(links_of "$P")" "" "(links of $P)" || return 1
        assert_eq "$(api_links)" "" "(links of API containers)" || return 1
        # an exec's __nsexec is a child of the service's fork server (with its name)
        for _ in $(seq 1 100); do [ "$(descendants "$SVC_PID" | wc -l)" -le 1 ] && break; sleep 0.05; done
        [ "$(descendants "$SVC_PID" | wc -l)" -le 1 ] ||
                fail "under the service, besides its fork server: $(ps -o pid,ppid,cmd -p "$(descendants "$SVC_PID" | paste -sd,)")" || return 1
        serving || return 1
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)"
}

t "docker exec: output, exit code, -i, -u -w -e, -d, missing command, stopped container (409)" t_docker_exec
t "exec over raw HTTP: 101, framing, stdin, inspect, 404/409/400, detached, a client leaving" t_exec_raw
t "docker exec -it on a terminal (size, exit code); exec -t" t_exec_tty
t "python3-docker: exec_run (demux, user, workdir, environment), put/get_archive, stats, top, rename, events" t_sdk_exec
t "docker cp both ways, dir/., to stdout, missing paths; archive HEAD/GET/PUT; a stopped container" t_docker_cp
t "docker top, stats --no-stream (CPU % of a busy loop); raw top and stats (stream, stream=false, one-shot)" t_top_stats
t "docker events: create/start/die/destroy live, --since/--until with filters, exec events, compose labels; raw events" t_docker_events
t "docker rename (running, stopped; event; name in use), container prune (label!=, all), system df" t_rename_prune_df
t "nothing left behind" t_nothing_left
t "SIGTERM stops the service" bash -c "kill $SVC_PID; for _ in \$(seq 1 200); do kill -0 $SVC_PID 2>/dev/null || exit 0; sleep 0.05; done; exit 1"
t "service log has no crash" bash -c "! grep -qiE 'sanitizer|segmentation|abort' '$TMP/service.log'"
done_testing

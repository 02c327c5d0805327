#!/bin/bash
# System tests of who owns a project's containers (issue 12, item 2).
#
# A later `up -d` (with --scale, or after the compose file was edited)
# must leave the running supervisor their owner: it re-executes itself in
# place (same pid), so the containers stay its children and their exit
# codes are read, not guessed. Before, the supervisor was replaced, the
# containers were re-parented away from it, and every later exit was
# recorded as 255 (`Exited (255)`, and `restart: on-failure` restarted a
# job that had exited 0).
#
# After `kill -9` of the supervisor, its keeper (the parent of a detached
# supervisor and the subreaper of its containers) records how they exit:
# `ps -a`, `events` and the supervisor a later `up -d` starts show the real
# codes (0, 3, 137 for SIGKILL, 143 for SIGTERM through ccompose-init).
#
# Containers exit when the test writes their code into a file of a shared
# volume (never on a timer). The worker (sleep as PID 1 ignores SIGTERM)
# is stopped with -t 1 when a later up removes or recreates it: what is
# checked is who owns it, not the stop timeout. Every case ends with `down`, which must leave
# no process (containers, supervisor, keeper), mount, cgroup, veth, bridge
# or nftables rule of the project.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=owner
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands jq nft ip

SUBNET=10.213.61
# the published port of pub (a free one: other tests run at the same time)
PUBPORT=$(free_port)

# svc NAME [EXTRA-YAML-LINES]: a service that exits with the code the test
# writes to /ctl/NAME (the file is removed first, so a restart waits again).
svc() {
        cat <<EOF
  $1:
    image: busybox:test
    command: ["sh", "-c", "while [ ! -f /ctl/$1 ]; do sleep 0.05; done; c=\$\$(cat /ctl/$1); rm /ctl/$1; exit \$\$c"]
    volumes: [ctl:/ctl]
${2:-}
EOF
}
# stack SERVICES-YAML: the project's file, with its network and volume.
stack() {
        compose <<EOF
services:
$1
networks:
  default:
    ipam:
      config: [{subnet: $SUBNET.0/24}]
volumes:
  ctl:
EOF
}
worker() {
        cat <<EOF
  worker:
    image: busybox:test
    command: ["sleep", "${1:-1000}"]
EOF
}
# a service with a published port (its nftables rules must go with down)
pub() {
        cat <<EOF
  pub:
    image: busybox:test
    command: ["sleep", "1000"]
    ports: ["127.0.0.1:$PUBPORT:8080"]
EOF
}
ctl() { echo "$2" >"$CCOMPOSE_ROOT/volumes/${P}_ctl/_data/$1"; }
ppid_of() { awk '{print $4}' "/proc/$1/stat" 2>/dev/null; }
# owned_by SUP SERVICE [N]: the container's process is a child of SUP.
owned_by() {
        local pid; pid=$(ctr "$2" "${3:-1}" pid)
        [ -n "$pid" ] && [ "$pid" != 0 ] || { fail "$2-${3:-1} has no process"; return 1; }
        assert_eq "$(ppid_of "$pid")" "$1" "(parent of $2-${3:-1}, pid $pid)"
}
# ps_status SERVICE [N]: the STATUS column of `ps -a` for the container.
ps_status() {
        ccp ps -a --format json | jq -r --arg n "$P-$1-${2:-1}" 'select(.Name == $n) | .Status'
}
# die_codes SERVICE: the exitCode of each die event of the service, in order.
die_codes() {
        jq -r --arg s "$1" 'select(.action == "die" and .service == $s) | .attributes.exitCode' \
                "$CCOMPOSE_RUNTIME_DIR/$P/events.jsonl" | tr '\n' ' '
}
starts() {
        jq -r --arg s "$1" 'select(.action == "start" and .service == $s) | .action' \
                "$CCOMPOSE_RUNTIME_DIR/$P/events.jsonl" | wc -l
}
status_is() { [[ "$(ps_status "$1")" == "$2"* ]]; }
# settled: a request the supervisor answers after any restart it had
# scheduled at once (its zero-delay timers run before new requests)
settled() { ccp pause worker >/dev/null 2>&1 && ccp unpause worker >/dev/null 2>&1; }
# exits_right SERVICE CODE: the container exited with CODE, was not
# restarted, and its die event says so.
exits_right() {
        wait_for 60 status_is "$1" "Exited ($2)" || { fail "$1: $(ps_status "$1")"; return 1; }
        settled || { fail "the supervisor does not answer"; return 1; }
        assert_eq "$(ps_status "$1" | cut -d' ' -f1-2)" "Exited ($2)" "($1 after a while)" || return 1
        assert_eq "$(ctr "$1" restart_count)" 0 "($1: restarts)" || return 1
        assert_eq "$(die_codes "$1")" "$2 " "($1: die events)"
}
# restarted SERVICE CODE: the container exited with CODE and its on-failure
# policy started it again.
restarted() {
        wait_for 60 restarts_at_least "$1" 1 || { fail "$1 not restarted: $(ps_status "$1")"; return 1; }
        wait_for 60 status_is "$1" "Up" || { fail "$1: $(ps_status "$1")"; return 1; }
        assert_eq "$(die_codes "$1")" "$2 " "($1: die events)"
}
no_rules_left() {
        ! nft list ruleset 2>/dev/null | grep -qE -e "$SUBNET\." -e "dport $PUBPORT\b" ||
                fail "nftables rules left: $(nft list ruleset | grep -E -e "$SUBNET\." -e "dport $PUBPORT\b")"
}

# ---- a later up -d keeps the supervisor ----

t_scale() {
        stack "$(svc job '    restart: on-failure')
$(worker)
$(pub)"
        ccp up -d >/dev/null 2>&1 || return 1
        local sp job; sp=$(sup_pid) job=$(ctr job pid)
        local out; out=$(ccp up -d --scale worker=2 2>&1) || { fail "up --scale: $out"; return 1; }
        grep -q "Container $P-worker-2  Started" <<<"$out" || { fail "up --scale said: $out"; return 1; }
        assert_eq "$(sup_pid)" "$sp" "(the supervisor after up --scale)" || return 1
        alive "$sp" || { fail "the supervisor $sp is gone"; return 1; }
        assert_eq "$(ctr job pid)" "$job" "(job kept running)" || return 1
        owned_by "$sp" job && owned_by "$sp" worker 1 && owned_by "$sp" worker 2 || return 1
        ctl job 0
        exits_right job 0 || return 1
        # a second job container: one exiting 3 is restarted
        ccp up -d -t 1 --scale worker=1 >/dev/null 2>&1 || return 1
        assert_eq "$(sup_pid)" "$sp" "(the supervisor after scaling down)" || return 1
        [ -z "$(ctr worker 2 id)" ] || { fail "worker-2 not removed"; return 1; }
        owned_by "$sp" job || return 1
        ctl job 3
        restarted job "0 3" || return 1
        owned_by "$sp" job
}

t_edit() {
        stack "$(svc job '    restart: on-failure')
$(worker)
$(pub)"
        ccp up -d >/dev/null 2>&1 || return 1
        local sp job wk; sp=$(sup_pid) job=$(ctr job pid) wk=$(ctr worker pid)
        # the worker's command changes and a service is added
        stack "$(svc job '    restart: on-failure')
$(worker 1001)
$(svc extra)
$(pub)"
        local out; out=$(ccp up -d -t 1 2>&1) || { fail "up after the edit: $out"; return 1; }
        grep -q "Container $P-worker-1  Recreate" <<<"$out" || { fail "up after the edit said: $out"; return 1; }
        assert_eq "$(sup_pid)" "$sp" "(the supervisor after the edit)" || return 1
        assert_eq "$(ctr job pid)" "$job" "(job kept running)" || return 1
        [ "$(ctr worker pid)" != "$wk" ] || { fail "worker not recreated"; return 1; }
        owned_by "$sp" job && owned_by "$sp" worker && owned_by "$sp" extra || return 1
        ctl job 3
        restarted job 3 || return 1
        ctl job 0
        wait_for 60 status_is job "Exited (0)" || { fail "job: $(ps_status job)"; return 1; }
        settled && assert_eq "$(ps_status job | cut -d' ' -f1-2)" "Exited (0)" "(job after a while)" || return 1
        assert_eq "$(die_codes job)" "3 0 " "(job: die events)" || return 1
        ctl extra 5
        exits_right extra 5
}

_up_scale2() {
        ccp up -d --scale worker=2 >"$TMP/up.out" 2>&1 && return 0
        grep -q "is busy" "$TMP/up.out" && return 1
        return 2
}
# an attached up stays the owner too, and keeps showing the output
t_attached() {
        stack "$(svc job '    restart: on-failure')
$(worker)"
        ccp_bg up >"$TMP/attached.out" 2>&1 &
        local up=$!
        wait_for 60 is_status worker running || { kill "$up"; fail "attached up did not start: $(cat "$TMP/attached.out")"; return 1; }
        # (the attached up holds the project's lock until its services started)
        wait_for 60 _up_scale2 || { kill "$up"; fail "up -d --scale: $(cat "$TMP/up.out")"; return 1; }
        assert_eq "$(sup_pid)" "$up" "(the supervisor: the attached up)" || { kill "$up"; return 1; }
        owned_by "$up" job && owned_by "$up" worker 2 || { kill "$up"; return 1; }
        ctl job 0
        exits_right job 0 || { kill "$up"; return 1; }
        wait_for 30 file_has "$TMP/attached.out" "job-1 exited with code 0" || { kill "$up"; fail "attached view: $(cat "$TMP/attached.out")"; return 1; }
        ccp down -t 0 >/dev/null 2>&1
        wait_exit "$up" 60 || { fail "the attached up did not end with down"; return 1; }
}

# ---- kill -9 of the supervisor ----

t_kill9() {
        stack "$(svc zero)
$(svc three)
  killed:
    image: busybox:test
    command: [\"sleep\", \"1000\"]
  termed:
    image: busybox:test
    init: true
    command: [\"sleep\", \"1000\"]
$(svc later0 '    restart: on-failure')
$(svc later3 '    restart: on-failure')
$(worker)"
        ccp up -d >/dev/null 2>&1 || return 1
        local sp keeper; sp=$(sup_pid)
        keeper=$(ppid_of "$sp")
        local pids; pids="$(ctr zero pid) $(ctr three pid) $(ctr killed pid) $(ctr termed pid)"
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp" || return 1
        # meanwhile, with no supervisor: two exit, two are killed
        ctl zero 0
        ctl three 3
        kill -KILL "$(ctr killed pid)"
        kill -TERM "$(ctr termed pid)"
        local p
        for p in $pids; do wait_for 60 _not_alive "$p" || return 1; done
        # ps reads what the keeper recorded
        assert_eq "$(ps_status zero | cut -d' ' -f1-2)" "Exited (0)" "(ps -a, no supervisor)" || return 1
        assert_eq "$(ps_status three | cut -d' ' -f1-2)" "Exited (3)" "(ps -a, no supervisor)" || return 1
        assert_eq "$(ps_status killed | cut -d' ' -f1-2)" "Exited (137)" "(ps -a, no supervisor)" || return 1
        assert_eq "$(ps_status termed | cut -d' ' -f1-2)" "Exited (143)" "(ps -a, no supervisor)" || return 1
        # a new supervisor: it adopts the two that run, and records the others
        local l0 l3; l0=$(ctr later0 pid) l3=$(ctr later3 pid)
        local out; out=$(ccp up -d later0 later3 2>&1) || { fail "up after the crash: $out"; return 1; }
        assert_eq "$(ctr later0 pid) $(ctr later3 pid)" "$l0 $l3" "(adopted)" || return 1
        local s c
        for s in zero:0 three:3 killed:137 termed:143; do
                c=${s#*:} s=${s%:*}
                assert_eq "$(ps_status "$s" | cut -d' ' -f1-2)" "Exited ($c)" "($s, ps -a after up)" || return 1
                assert_eq "$(die_codes "$s")" "$c " "($s: die events)" || return 1
        done
        # the adopted ones exit later: their codes are right, and so is
        # what their restart policy does
        ctl later3 3
        restarted later3 3 || return 1
        ctl later0 0
        exits_right later0 0 || return 1
        # the keeper of the killed supervisor (its parent) ends with its last child
        grep -q -- "--reap" "/proc/$keeper/cmdline" 2>/dev/null || { fail "the supervisor's parent was not its keeper"; return 1; }
        ccp kill worker >/dev/null 2>&1 || return 1
        wait_for 60 status_is worker "Exited (137)" || { fail "worker: $(ps_status worker)"; return 1; }
        wait_for 60 _not_alive "$keeper"
}

# down with no supervisor: the keeper, left with the containers, goes too
t_kill9_down() {
        stack "$(svc job)
$(worker)
$(pub)"
        ccp up -d >/dev/null 2>&1 || return 1
        local sp keeper; sp=$(sup_pid)
        keeper=$(ppid_of "$sp")
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp" || return 1
        grep -q -- "--reap" "/proc/$keeper/cmdline" 2>/dev/null || { fail "no keeper for the containers"; return 1; }
        local out; out=$(ccp down -t 0 2>&1) || { fail "down: $out"; return 1; }
        ! alive "$keeper" || fail "the keeper outlived down"
}

# the supervisor's memory stays small across re-executions
t_memory() {
        stack "$(svc job)
$(worker)"
        ccp up -d >/dev/null 2>&1 || return 1
        local sp i; sp=$(sup_pid)
        local rss0; rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$sp/status")
        for i in 2 3 1; do ccp up -d -t 1 --scale worker=$i >/dev/null 2>&1 || return 1; done
        assert_eq "$(sup_pid)" "$sp" || return 1
        # (the first one, forked from the CLI, maps none of the pages its
        # libraries' loading touched; a re-executed one must not keep them)
        local rss; rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$sp/status")
        [ "$rss" -le $((rss0 + 2048)) ] || fail "supervisor RSS ${rss} kB after re-executing, ${rss0} kB before"
        # and no descriptor left over from the requests
        local socks; socks=$(find "/proc/$sp/fd" -lname 'socket:*' | wc -l)
        ccp up -d -t 1 --scale worker=2 >/dev/null 2>&1 || return 1
        ccp up -d -t 1 --scale worker=1 >/dev/null 2>&1 || return 1
        assert_eq "$(find "/proc/$sp/fd" -lname 'socket:*' | wc -l)" "$socks" "(sockets of the supervisor)"
}

# after each case's down: no nftables rule of the project either
eval "_clean_no_rules() $(declare -f assert_clean | tail -n +2)"
assert_clean() { _clean_no_rules && no_rules_left; }
run_cases \
        "up -d --scale keeps the supervisor (same pid) as the parent of the running containers; a job exiting 0 is Exited (0), not restarted (on-failure); exiting 3, restarted:t_scale" \
        "up -d after editing the file keeps the supervisor; the kept job exits 3 (restarted), then 0 (Exited (0)):t_edit" \
        "up -d while an attached up runs: the attached one re-executes in place, stays the owner and shows the exit (0, not restarted):t_attached" \
        "kill -9 of the supervisor: exits meanwhile (0, 3, SIGKILL 137, SIGTERM 143) right in ps -a before and after up -d, and in events; adopted ones exit with their codes:t_kill9" \
        "down after kill -9 of the supervisor removes its keeper with the containers:t_kill9_down" \
        "the supervisor re-executed five times keeps its pid, its memory (RSS within 2 MB of the first) and no leftover socket:t_memory"

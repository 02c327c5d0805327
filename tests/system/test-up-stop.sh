#!/bin/bash
# System tests of stopping (issue 11): down and stop take whole dependency
# levels at once, with a supervisor and without one; exit codes of
# containers an earlier supervisor started; the oom event; a down whose
# supervisor was killed leaves no container listed and is finished by the
# CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# Ten independent services whose main process ignores SIGTERM (busybox
# sleep as PID 1 of its namespace, no handler, no init), 2 s of grace each:
# one after another that is 20 s and more, all at once 2 s and a bit.
ten_stubborn() {
        local i
        {
                echo "services:"
                for i in 0 1 2 3 4 5 6 7 8 9; do
                        printf '  s%d:\n    image: busybox:test\n    command: ["sleep", "1000"]\n' "$i"
                        printf '    stop_grace_period: 2s\n'
                done
        } | compose
}
all_running() { [ "$(jq '[.containers[] | select(.status == "running")] | length' "$STATE" 2>/dev/null)" = "$1" ]; }
up_ten() {
        ten_stubborn
        ccp up -d >/dev/null 2>&1 || { echo "up -d failed"; return 1; }
        wait_for 60 all_running 10
}
# timed VAR CMD...: run CMD, its output in $OUT, its status in $RC, the
# seconds it took in VAR.
timed() {
        local var=$1; shift
        local t0 t1
        t0=$(date +%s%N)
        OUT=$("$@" 2>&1); RC=$?
        t1=$(date +%s%N)
        printf -v "$var" '%d.%03d' $(((t1 - t0) / 1000000000)) $((((t1 - t0) / 1000000) % 1000))
}
# under SECONDS LIMIT
under() { [ "${1%.*}" -lt "$2" ] || fail "took $1 s, want under $2 s (one level stops at once)"; }
kill_supervisor() {
        local sp; sp=$(sup_pid)
        [ "$sp" -gt 0 ] || { echo "no supervisor pid in the state"; return 1; }
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp"
}

t_down_parallel() {
        up_ten || return 1
        local secs
        timed secs ccp down -t 2
        assert_eq "$RC" 0 "(down: $OUT)" || return 1
        under "$secs" 12 || return 1
        # docker compose's progress lines, for every container
        local i
        for i in 0 1 2 3 4 5 6 7 8 9; do
                local n="$P-s$i-1"
                assert_contains "$OUT" " Container $n  Stopping" || return 1
                assert_contains "$OUT" " Container $n  Stopped" || return 1
                assert_contains "$OUT" " Container $n  Removed" || return 1
        done
        echo "# down of 10 SIGTERM-ignoring containers: ${secs} s" >&2
}

t_stop_parallel() {
        up_ten || return 1
        local secs
        timed secs ccp stop
        assert_eq "$RC" 0 "(stop: $OUT)" || return 1
        under "$secs" 12 || return 1
        assert_contains "$OUT" " Container $P-s7-1  Stopped" || return 1
        # SIGKILL after the grace period: 137, as docker reports it
        assert_eq "$(jq -r '[.containers[] | "\(.status) \(.exit_code)"] | unique | join(",")' "$STATE")" "exited 137"
}

t_stop_offline_parallel() {
        up_ten || return 1
        kill_supervisor || return 1
        local secs
        timed secs ccp stop
        assert_eq "$RC" 0 "(stop: $OUT)" || return 1
        under "$secs" 12 || return 1
        assert_contains "$OUT" " Container $P-s3-1  Stopped" || return 1
        # the stop escalated to SIGKILL: that much is known without the status
        assert_eq "$(jq -r '[.containers[] | "\(.status) \(.exit_code)"] | unique | join(",")' "$STATE")" "exited 137"
}

# Dependency order between levels: front depends on back. On SIGTERM front
# takes a second before it writes front-done and exits; back writes whether
# front-done was there when back got its SIGTERM ("late": front was gone).
levels_stack() {
        mkdir -p "$D/ctl"
        compose <<EOF
services:
  front:
    image: busybox:test
    command: ["sh", "-c", "trap 'sleep 1; touch /ctl/front-done; exit 0' TERM; touch /ctl/front-up; while :; do sleep 0.1; done"]
    volumes: ["$D/ctl:/ctl"]
    depends_on: [back]
  back:
    image: busybox:test
    command: ["sh", "-c", "trap 'if [ -e /ctl/front-done ]; then echo late; else echo early; fi > /ctl/back-term; exit 0' TERM; while :; do sleep 0.1; done"]
    volumes: ["$D/ctl:/ctl"]
  other:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_grace_period: 1s
EOF
}
t_down_levels_graceful_offline() {
        # no supervisor: down still stops gracefully (the stop signal, then
        # the grace period) and dependents before their dependencies
        levels_stack
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 all_running 3 || return 1
        wait_for 30 test -e "$D/ctl/front-up" || return 1
        kill_supervisor || return 1
        local secs
        timed secs ccp down -t 5
        assert_eq "$RC" 0 "(down: $OUT)" || return 1
        assert_eq "$(cat "$D/ctl/back-term" 2>/dev/null)" late "(back got SIGTERM: after front was gone)" || return 1
        assert_contains "$OUT" " Container $P-back-1  Stopped"
}
t_down_levels_supervised() {
        levels_stack
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 all_running 3 || return 1
        wait_for 30 test -e "$D/ctl/front-up" || return 1
        ccp down -t 5 >/dev/null 2>&1 || return 1
        assert_eq "$(cat "$D/ctl/back-term" 2>/dev/null)" late "(back got SIGTERM: after front was gone)"
}

t_ctrl_c_twice_levels() {
        # two levels ignoring SIGTERM, 60 s of grace each: the second Ctrl-C
        # kills the level being stopped and the levels after it at once
        compose <<'EOF'
services:
  front:
    image: busybox:test
    stop_grace_period: 60s
    command: ["sh", "-c", "trap '' TERM INT; echo front-ignoring; while :; do sleep 0.1; done"]
    depends_on: [back]
  back:
    image: busybox:test
    stop_grace_period: 60s
    command: ["sh", "-c", "trap '' TERM INT; echo back-ignoring; while :; do sleep 0.1; done"]
EOF
        local out=$TMP/ctrlc2.out
        ccp_bg up >"$out" 2>&1 &
        local pid=$!
        wait_for 60 file_has "$out" "front-ignoring" || { kill -9 "$pid"; cat "$out"; return 1; }
        kill -INT "$pid"
        wait_for 30 file_has "$out" "Container $P-front-1  Stopping" || { kill -9 "$pid"; cat "$out"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 40 || { kill -9 "$pid"; fail "back was given its grace period after a second Ctrl-C: $(cat "$out")"; return 1; }
        [ -z "$(cgroup_pids)" ] || fail "processes still running after the second Ctrl-C"
}

# ---- exit codes ----

one_stubborn() {
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_grace_period: 1s
EOF
}
t_adopted_after_kill() {
        # the supervisor dies, a new one adopts the container; stopping it
        # takes SIGKILL: 137 (was 255, "unknown")
        one_stubborn
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 is_status app running || return 1
        local pid; pid=$(ctr app pid)
        kill_supervisor || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ctr app pid)" "$pid" "(adopted, not recreated)" || return 1
        ccp stop >/dev/null 2>&1 || return 1
        assert_eq "$(ctr app exit_code)" 137 || return 1
        assert_contains "$(ccp ps -a 2>&1)" "Exited (137)"
}
t_adopted_after_handover() {
        # a second up -d hands the containers over to a new supervisor
        one_stubborn
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 is_status app running || return 1
        local sp; sp=$(sup_pid)
        ccp up -d >/dev/null 2>&1 || return 1
        [ "$(sup_pid)" != "$sp" ] || echo "# (the same supervisor kept the project)" >&2
        ccp stop >/dev/null 2>&1 || return 1
        assert_eq "$(ctr app exit_code)" 137
}

pause_seen() {
        ccp pause hog >/dev/null 2>&1 && ccp unpause hog >/dev/null 2>&1
        sleep 0.2
        file_has "$1" '"action":"unpause"'
}
t_oom_event() {
        mkdir -p "$D/ctl"
        compose <<EOF
services:
  hog:
    image: busybox:test
    mem_limit: 8m
    command: ["sh", "-c", "while [ ! -e /ctl/go ]; do sleep 0.1; done; head -c 200m /dev/zero | tail"]
    volumes: ["$D/ctl:/ctl"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 is_status hog running || return 1
        local ev=$TMP/events.out pid
        ( exec timeout 120 "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" events --json >"$ev" 2>&1 ) &
        pid=$!
        # events follows from when it started: make events until it shows one
        wait_for 60 pause_seen "$ev" || { kill "$pid"; return 1; }
        touch "$D/ctl/go"
        wait_for 60 file_has "$ev" '"action":"die"'
        local rc=$?
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        [ "$rc" -eq 0 ] || { cat "$ev"; return 1; }
        assert_eq "$(ctr hog exit_code)" 137 "(OOM-killed)" || return 1
        local actions; actions=$(jq -r .action "$ev" | grep -E '^(oom|die)$' | tr '\n' ' ')
        assert_eq "$actions" "oom die " "(docker emits oom, then die)"
}

# ---- a down interrupted ----

t_down_supervisor_killed() {
        # front stops at once, back ignores SIGTERM for its 20 s of grace;
        # the supervisor is killed while it waits for back
        compose <<'EOF'
services:
  front:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on: [back]
  back:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_grace_period: 20s
  side:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 all_running 3 || return 1
        local out=$TMP/down.out pid
        ( exec timeout 120 "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" down >"$out" 2>&1 ) &
        pid=$!
        # front is stopped (the state says so) while back's grace runs
        wait_for 60 is_status front exited || { wait "$pid"; return 1; }
        is_status back running || { wait "$pid"; fail "back stopped before the supervisor was killed"; return 1; }
        kill_supervisor || { wait "$pid"; return 1; }
        wait_exit "$pid" 90 || return 1
        # whatever down said, nothing it removed is listed
        local ps; ps=$(ccp ps -a 2>&1)
        assert_not_contains "$ps" "$P-" "(ps -a after down: $ps; down said: $(cat "$out"))" || return 1
        # and the job is done: a second down has nothing left to do
        assert_eq "$WAIT_RC" 0 "(down: $(cat "$out"))" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$P" ] || fail "state left: $(cat "$STATE" 2>/dev/null)"
}

run_cases \
        "down stops 10 independent containers at once:t_down_parallel" \
        "stop stops 10 independent containers at once:t_stop_parallel" \
        "stop with no supervisor stops them at once:t_stop_offline_parallel" \
        "down with no supervisor: graceful, dependents first:t_down_levels_graceful_offline" \
        "down: dependents stopped before their dependencies:t_down_levels_supervised" \
        "a second Ctrl-C kills every level at once:t_ctrl_c_twice_levels" \
        "an adopted container stopped after a supervisor crash: 137:t_adopted_after_kill" \
        "an adopted container stopped after a handover: 137:t_adopted_after_handover" \
        "an OOM kill: an oom event, then die:t_oom_event" \
        "down whose supervisor is killed: the CLI finishes it, ps lists nothing:t_down_supervisor_killed"

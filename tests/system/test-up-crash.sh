#!/bin/bash
# System tests of crash safety: `kill -9` of the supervisor leaves the
# containers running, ps still shows them, a later `up -d` adopts them
# (same processes, logs go on, nothing written meanwhile lost), `down`
# without a supervisor removes everything; a container's processes die
# with it; two commands on one project are serialised by a lock.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

stack() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo web up; sleep 1000 & sleep 1001 & wait"]
    depends_on: [db]
  db:
    image: busybox:test
    init: true
    restart: always
    command: ["sh", "-c", "n=0; while :; do if [ -f /ctl/say ]; then rm /ctl/say; n=$$((n+1)); echo said $$n; fi; sleep 0.05; done"]
    volumes: [ctl:/ctl]
volumes:
  ctl:
EOF
}
pids_of() { jq -r '[.containers[] | "\(.name)=\(.pid)"] | sort | join(" ")' "$STATE"; }
kill_supervisor() {
        local sp; sp=$(sup_pid)
        [ "$sp" -gt 0 ] 2>/dev/null || { fail "no supervisor pid in the state"; return 1; }
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp"
}
ctl_dir() { echo "$CCOMPOSE_ROOT/volumes/${P}_ctl/_data"; }

t_containers_survive() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local before; before=$(pids_of)
        kill_supervisor || return 1
        local p
        for p in $(jq -r '.containers[].pid' "$STATE"); do
                alive "$p" || { fail "container process $p died with the supervisor"; return 1; }
        done
        # ps works from the state alone
        local ps; ps=$(ccp ps) || { fail "ps failed"; return 1; }
        grep -E "^$P-web-1 .* Up " <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        grep -E "^$P-db-1 .* Up " <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        assert_eq "$(pids_of)" "$before"
}
t_adopt() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local before; before=$(pids_of)
        local ids; ids=$(jq -r '[.containers[].id] | sort | join(" ")' "$STATE")
        kill_supervisor || return 1
        local out; out=$(ccp up -d 2>&1) || { fail "up after the crash: $out"; return 1; }
        assert_eq "$(pids_of)" "$before" "(adopted, not duplicated)" || return 1
        assert_eq "$(jq -r '[.containers[].id] | sort | join(" ")' "$STATE")" "$ids" || return 1
        assert_eq "$(jq '.containers | length' "$STATE")" 2 || return 1
        alive "$(sup_pid)" || { fail "no new supervisor"; return 1; }
        # exactly the processes of two containers: no duplicate started
        assert_eq "$(ccp ps -q | wc -l)" 2
}
t_adopted_logs() {
        # output written while no supervisor reads is kept (the FIFO holds
        # it) and arrives in the logs after adoption; later output too
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        touch "$(ctl_dir)/say"
        wait_for 30 eval 'ccp logs --no-log-prefix db | grep -qx "said 1"' || return 1
        kill_supervisor || return 1
        touch "$(ctl_dir)/say"
        wait_for 30 eval '[ ! -e "$(ctl_dir)/say" ]' || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 eval 'ccp logs --no-log-prefix db | grep -qx "said 2"' || { ccp logs; return 1; }
        touch "$(ctl_dir)/say"
        wait_for 30 eval 'ccp logs --no-log-prefix db | grep -qx "said 3"' || { ccp logs; return 1; }
        assert_eq "$(ccp logs --no-log-prefix db | grep -c '^said')" 3
}
t_adopted_supervised() {
        # the new supervisor watches adopted containers: a crash is
        # restarted (restart: always), stop works
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        kill_supervisor || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        local pid; pid=$(ctr db pid)
        kill -9 "$pid"
        wait_for 30 restarts_at_least db 1 || return 1
        wait_for 30 is_status db running || return 1
        [ "$(ctr db pid)" != "$pid" ] || { fail "db not restarted"; return 1; }
        ccp stop -t 1 web >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web status)" exited || return 1
        [ -z "$(grep -l "/ccompose/$P/$(ctr web id)" /proc/[0-9]*/cgroup 2>/dev/null)" ] || fail "web's processes still run"
}
t_down_no_supervisor() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        kill_supervisor || return 1
        local out; out=$(ccp down -t 1 2>&1) || { fail "down: $out"; return 1; }
        assert_contains "$out" "Removed" || return 1
        assert_clean
}
t_died_meanwhile() {
        # a container that died while no supervisor ran: restart: always
        # brings it back on the next up; ps shows the truth before that
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        kill_supervisor || return 1
        local pid; pid=$(ctr db pid)
        kill -9 "$pid"
        wait_for 30 _not_alive "$pid" || return 1
        local ps; ps=$(ccp ps -a db)
        assert_not_contains "$ps" " Up " "(ps shows a dead container as up)" || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status db running || return 1
        [ "$(ctr db pid)" != "$pid" ] || fail "same pid"
}
t_stop_no_supervisor() {
        # stop works without a supervisor too (from the state)
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        kill_supervisor || return 1
        local web; web=$(ctr web pid)
        local out; out=$(ccp stop -t 1 2>&1) || { fail "stop: $out"; return 1; }
        wait_for 30 _not_alive "$web" || return 1
        [ -z "$(cgroup_pids)" ] || fail "processes left after stop"
}
t_whole_cgroup() {
        # web's background `sleep` dies with web
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local id; id=$(ctr web id)
        wait_for 30 eval '[ "$(grep -l "/ccompose/$P/$id" /proc/[0-9]*/cgroup 2>/dev/null | wc -l)" -ge 4 ]' || {
                fail "web should have init, sh and two sleeps"; return 1; }
        ccp stop -t 1 web >/dev/null 2>&1 || return 1
        local left; left=$(grep -l "/ccompose/$P/$id" /proc/[0-9]*/cgroup 2>/dev/null)
        [ -z "$left" ] || fail "processes of web left: $left"
}
t_lock() {
        # up --wait holds the project until healthy: meanwhile another
        # up and a down are refused with a message
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    volumes: [ctl:/ctl]
    healthcheck:
      test: ["CMD", "test", "-f", "/ctl/ready"]
      interval: 100ms
      retries: 100000
volumes:
  ctl:
EOF
        local out=$TMP/lock.out
        ccp_bg up -d --wait >"$out" 2>&1 &
        local pid=$!
        wait_for 30 is_status db running || { kill "$pid"; return 1; }
        local o2 rc
        o2=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "a second up ran meanwhile: $o2"; kill "$pid"; return 1; }
        assert_contains "$o2" "busy" || { kill "$pid"; return 1; }
        # the message names the holder: a process that exists
        local holder; holder=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' <<<"$o2")
        alive "$holder" || { fail "the lock message names pid '$holder', which does not run: $o2"; kill "$pid"; return 1; }
        o2=$(ccp down 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "down ran meanwhile: $o2"; kill "$pid"; return 1; }
        assert_contains "$o2" "busy" || { kill "$pid"; return 1; }
        touch "$(ctl_dir)/ready"
        wait_exit "$pid" 30 || return 1
        assert_eq "$WAIT_RC" 0 "($(cat "$out"))" || return 1
        assert_eq "$(ctr db health)" healthy
}
t_supervisor_pid() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local sp; sp=$(sup_pid)
        alive "$sp" || { fail "supervisor $sp not alive"; return 1; }
        assert_eq "$(readlink "/proc/$sp/exe")" "$CCOMPOSE_REAL" || return 1
        # a daemon: own session, not a child of this shell
        [ "$(ps -o sid= -p "$sp" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] || { fail "the supervisor is in the test's session"; return 1; }
        [ "$(ps -o ppid= -p "$sp" | tr -d ' ')" != "$$" ] || fail "the supervisor is a child of the test"
}
t_state_atomic() {
        # state.json is always whole JSON, also while it changes quickly
        compose <<'EOF'
services:
  flap:
    image: busybox:test
    restart: always
    command: ["true"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local i
        for i in $(seq 200); do
                jq -e . "$STATE" >/dev/null 2>&1 || { fail "state.json not valid JSON at read $i"; return 1; }
        done
        # once quiet, no temporary file (NAME.tmp.PID) is left
        ccp stop -t 1 >/dev/null 2>&1 || return 1
        local tmps; tmps=$(ls -A "$CCOMPOSE_RUNTIME_DIR/$P" | grep -F '.tmp')
        [ -z "$tmps" ] || fail "temporary files left in the state directory: $tmps"
}

run_cases \
        "kill -9 of the supervisor: containers keep running:t_containers_survive" \
        "up -d adopts the containers (same pids):t_adopt" \
        "output while unsupervised reaches the logs:t_adopted_logs" \
        "adopted containers are supervised:t_adopted_supervised" \
        "down with no supervisor leaves nothing:t_down_no_supervisor" \
        "a container that died while unsupervised:t_died_meanwhile" \
        "stop with no supervisor:t_stop_no_supervisor" \
        "a container's processes die with it:t_whole_cgroup" \
        "two commands at once: busy:t_lock" \
        "the supervisor is a daemon:t_supervisor_pid" \
        "state.json is written atomically:t_state_atomic"

#!/bin/bash
# System tests of the commands that act on a running project: exec (exit
# code, -e, -u, -w, -T, --index), stop / start / restart / kill -s /
# pause / unpause, and ps (table, -a, -q, --services, --status, --format
# json with docker compose's fields).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

stack() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    environment:
      FROM_SERVICE: service-env
    depends_on: [db]
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    volumes: [ctl:/ctl]
  job:
    image: busybox:test
    command: ["sh", "-c", "exit 3"]
volumes:
  ctl:
EOF
}
up_stack() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status job exited
}

# ---- exec ----
t_exec_output_code() {
        up_stack || return 1
        local out rc
        out=$(ccp exec -T web echo hello); rc=$?
        assert_eq "$rc" 0 || return 1
        assert_eq "$out" hello || return 1
        ccp exec -T web sh -c 'exit 5'; rc=$?
        assert_eq "$rc" 5 "(exit code)" || return 1
        # as docker compose exec against dockerd: 126 and runc's words
        out=$(ccp exec -T web no-such-command 2>&1); rc=$?
        assert_eq "$rc" 126 "(missing command; $out)" || return 1
        assert_contains "$out" 'exec: "no-such-command": executable file not found in $PATH'
}
t_exec_inside() {
        # the container's namespaces: its pid 1, its filesystem, its env
        up_stack || return 1
        local out
        out=$(ccp exec -T web cat /proc/1/cmdline | tr '\0' ' ') || return 1
        assert_contains "$out" "sleep 1000" || return 1
        out=$(ccp exec -T web sh -c 'echo $FROM_SERVICE') || return 1
        assert_eq "$out" service-env || return 1
        out=$(ccp exec -T web hostname) || return 1
        assert_eq "$out" "$(ctr web id | cut -c1-12)" || return 1
        # and its cgroup: an exec'd process is counted with web's (init
        # and sleep, plus the exec'd sleep)
        ccp exec -d web sleep 31 || return 1
        local id; id=$(ctr web id)
        wait_for 30 eval '[ "$(grep -l "/ccompose/$P/$id" /proc/[0-9]*/cgroup 2>/dev/null | wc -l)" -ge 3 ]' ||
                fail "the exec'd process is not in web's cgroup"
}
t_exec_env() {
        up_stack || return 1
        local out; out=$(ccp exec -T -e FOO=bar -e FROM_SERVICE=override web sh -c 'echo $FOO $FROM_SERVICE') || return 1
        assert_eq "$out" "bar override"
}
t_exec_user() {
        up_stack || return 1
        local out
        out=$(ccp exec -T -u app web id -u) || return 1
        assert_eq "$out" 1000 || return 1
        out=$(ccp exec -T -u 1000:29 web sh -c 'echo $(id -u):$(id -g)') || return 1
        assert_eq "$out" 1000:29 || return 1
        out=$(ccp exec -T web id -u) || return 1
        assert_eq "$out" 0
}
t_exec_workdir() {
        up_stack || return 1
        local out; out=$(ccp exec -T -w /tmp web pwd) || return 1
        assert_eq "$out" /tmp || return 1
        out=$(ccp exec -T web pwd) || return 1
        assert_eq "$out" /
}
t_exec_stdin() {
        up_stack || return 1
        local out; out=$(printf 'piped\n' | ccp exec -T web cat) || return 1
        assert_eq "$out" piped
}
t_exec_index() {
        stack
        ccp up -d --scale web=2 >/dev/null 2>&1 || return 1
        local out
        out=$(ccp exec -T --index 2 web hostname) || return 1
        assert_eq "$out" "$(ctr web 2 id | cut -c1-12)" || return 1
        out=$(ccp exec -T --index 1 web hostname) || return 1
        assert_eq "$out" "$(ctr web 1 id | cut -c1-12)"
}
t_exec_not_running() {
        up_stack || return 1
        local out rc; out=$(ccp exec -T job true 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exec into an exited container succeeded"; return 1; }
        assert_contains "$out" "is not running"
}
t_exec_detach() {
        up_stack || return 1
        ccp exec -d db sh -c 'sleep 0.5; echo detached > /ctl/d' || return 1
        wait_for 30 eval '[ "$(ccp exec -T db cat /ctl/d 2>/dev/null)" = detached ]'
}

# ---- stop, start, restart, kill ----
t_stop_start() {
        up_stack || return 1
        local pid; pid=$(ctr web pid)
        local out; out=$(ccp stop -t 1 web 2>&1) || { fail "stop: $out"; return 1; }
        assert_contains "$out" "Container $P-web-1  Stopped" || return 1
        assert_eq "$(ctr web status)" exited || return 1
        _not_alive "$pid" || { fail "web's process alive"; return 1; }
        assert_eq "$(ctr db status)" running "(db untouched)" || return 1
        assert_not_contains "$(ccp ps)" "$P-web-1" || return 1
        assert_contains "$(ccp ps -a)" "$P-web-1" || return 1
        out=$(ccp start web 2>&1) || { fail "start: $out"; return 1; }
        assert_contains "$out" "Container $P-web-1  Started" || return 1
        assert_eq "$(ctr web status)" running || return 1
        [ "$(ctr web pid)" != "$pid" ] || fail "same pid after start"
}
t_stop_all() {
        up_stack || return 1
        ccp stop -t 1 >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web status)" exited || return 1
        assert_eq "$(ctr db status)" exited || return 1
        [ -z "$(cgroup_pids)" ] || { fail "processes still running: $(cgroup_pids)"; return 1; }
        assert_eq "$(ccp ps -q)" ""
}
t_restart() {
        up_stack || return 1
        local pid id sup; pid=$(ctr web pid); id=$(ctr web id); sup=$(sup_pid)
        local out; out=$(ccp restart -t 1 web 2>&1) || { fail "restart: $out"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr web id)" "$id" "(same container)" || return 1
        [ "$(ctr web pid)" != "$pid" ] || { fail "same pid after restart"; return 1; }
        _not_alive "$pid" || { fail "old process alive"; return 1; }
        out=$(ccp restart -t 1 web 2>&1) || { fail "second restart: $out"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        # the same supervisor survived both and is still there a moment later
        sleep 0.5
        assert_eq "$(sup_pid)" "$sup" "(supervisor pid)" || return 1
        alive "$sup" || fail "the supervisor died after restart: $(tail -3 "$CCOMPOSE_RUNTIME_DIR/$P/supervisor.log")"
}
t_restart_stopped() {
        up_stack || return 1
        ccp stop -t 1 web >/dev/null 2>&1 || return 1
        ccp restart -t 1 web >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web status)" running
}
t_kill_default() {
        up_stack || return 1
        local out; out=$(ccp kill web 2>&1) || { fail "kill: $out"; return 1; }
        wait_for 30 is_status web exited || return 1
        assert_eq "$(ctr web exit_code)" 137 || return 1
        assert_contains "$(ccp ps -a web)" "Exited (137)"
}
t_kill_signal() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 3' HUP; trap 'exit 4' TERM; sleep 1000 & wait"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        ccp kill -s SIGHUP web >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        assert_eq "$(ctr web exit_code)" 3 || return 1
        ccp start web >/dev/null 2>&1 || return 1
        ccp kill -s TERM web >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        assert_eq "$(ctr web exit_code)" 4 "(kill -s TERM, without the SIG prefix)"
}
t_kill_bad_signal() {
        up_stack || return 1
        local out rc; out=$(ccp kill -s NOSUCHSIG web 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "accepted a bad signal"; return 1; }
        assert_eq "$(ctr web status)" running
}

# ---- pause ----
t_pause() {
        compose <<'EOF'
services:
  counter:
    image: busybox:test
    init: true
    command: ["sh", "-c", "n=0; while :; do n=$$((n+1)); echo $$n > /ctl/n; sleep 0.05; done"]
    volumes: [ctl:/ctl]
volumes:
  ctl:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local f=$CCOMPOSE_ROOT/volumes/${P}_ctl/_data/n
        wait_for 30 eval '[ "$(cat '"$f"' 2>/dev/null)" -gt 2 ]' || return 1
        local out; out=$(ccp pause counter 2>&1) || { fail "pause: $out"; return 1; }
        assert_eq "$(ctr counter status)" paused || return 1
        local ps; ps=$(ccp ps)
        grep -E "^$P-counter-1 .*\(Paused\)" <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        assert_eq "$(ccp ps --format json | jq -r .State)" paused || return 1
        assert_eq "$(ccp ps --status paused -q)" "$(ctr counter id)" || return 1
        # frozen: no progress
        local a b; a=$(cat "$f"); sleep 1; b=$(cat "$f")
        assert_eq "$b" "$a" "(the counter moved while paused)" || return 1
        out=$(ccp unpause counter 2>&1) || { fail "unpause: $out"; return 1; }
        assert_eq "$(ctr counter status)" running || return 1
        wait_for 30 eval '[ "$(cat '"$f"')" -gt '"$b"' ]' || { fail "no progress after unpause"; return 1; }
}
t_pause_down() {
        # down of a paused container
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        ccp pause >/dev/null 2>&1 || return 1
        local out; out=$(CCP_TIMEOUT=30 ccp down -t 1 2>&1) || { fail "down: $out"; return 1; }
        assert_clean
}

# ---- ps ----
t_ps_table() {
        up_stack || return 1
        local ps; ps=$(ccp ps) || return 1
        assert_eq "$(head -1 <<<"$ps" | tr -s ' ')" "NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS" || return 1
        assert_eq "$(tail -n +2 <<<"$ps" | awk '{print $1}' | tr '\n' ' ')" "$P-db-1 $P-web-1 " "(running only, by name)" || return 1
        grep -E "^$P-web-1 +busybox:test +\"sleep 1000\" +web +.* ago +Up " <<<"$ps" >/dev/null || fail "web row: $ps"
}
t_ps_all() {
        up_stack || return 1
        local ps; ps=$(ccp ps -a) || return 1
        grep -E "^$P-job-1 .* Exited \(3\) " <<<"$ps" >/dev/null || fail "job row: $ps"
}
t_ps_quiet() {
        up_stack || return 1
        local ids; ids=$(ccp ps -q | sort) || return 1
        assert_eq "$ids" "$(printf '%s\n' "$(ctr db id)" "$(ctr web id)" | sort)" || return 1
        assert_eq "$(ccp ps -a -q | wc -l)" 3
}
t_ps_services() {
        up_stack || return 1
        assert_eq "$(ccp ps --services | sort | tr '\n' ' ')" "db web " || return 1
        assert_eq "$(ccp ps -a --services | sort | tr '\n' ' ')" "db job web "
}
t_ps_status() {
        up_stack || return 1
        assert_eq "$(ccp ps --status exited --format json | jq -r .Name)" "$P-job-1" || return 1
        assert_eq "$(ccp ps --status running --services | sort | tr '\n' ' ')" "db web " || return 1
        local out rc; out=$(ccp ps --status bogus 2>&1); rc=$?
        [ "$rc" -ne 0 ] || fail "accepted --status bogus"
}
t_ps_service_arg() {
        up_stack || return 1
        assert_eq "$(ccp ps -q web)" "$(ctr web id)"
}
t_ps_json() {
        up_stack || return 1
        local j; j=$(ccp ps -a --format json) || return 1
        # one JSON object per line (docker compose v2.21+)
        assert_eq "$(wc -l <<<"$j")" 3 || return 1
        local web; web=$(jq -c "select(.Service == \"web\")" <<<"$j")
        local k
        for k in ID Name Image Command Project Service Created State Status Health ExitCode Publishers; do
                jq -e "has(\"$k\")" <<<"$web" >/dev/null || { fail "no $k in $web"; return 1; }
        done
        assert_eq "$(jq -r .ID <<<"$web")" "$(ctr web id)" || return 1
        assert_eq "$(jq -r .Name <<<"$web")" "$P-web-1" || return 1
        assert_eq "$(jq -r .Image <<<"$web")" busybox:test || return 1
        assert_eq "$(jq -r .Project <<<"$web")" "$P" || return 1
        assert_eq "$(jq -r .Service <<<"$web")" web || return 1
        assert_eq "$(jq -r .State <<<"$web")" running || return 1
        assert_eq "$(jq -r .ExitCode <<<"$web")" 0 || return 1
        assert_eq "$(jq -r '.Publishers | type' <<<"$web")" array || return 1
        assert_contains "$(jq -r .Status <<<"$web")" "Up " || return 1
        assert_contains "$(jq -r .Command <<<"$web")" "sleep 1000" || return 1
        [ "$(jq -r .Created <<<"$web")" -gt 1600000000 ] || { fail "Created: $(jq -r .Created <<<"$web")"; return 1; }
        local job; job=$(jq -c "select(.Service == \"job\")" <<<"$j")
        assert_eq "$(jq -r .State <<<"$job")" exited || return 1
        assert_eq "$(jq -r .ExitCode <<<"$job")" 3 || return 1
        assert_contains "$(jq -r .Status <<<"$job")" "Exited (3)"
}
t_ps_json_publishers() {
        local port; port=$(free_port)
        compose <<EOF2
services:
  web:
    image: busybox:test
    command: ["httpd", "-f", "-p", "80"]
    ports: ["127.0.0.1:$port:80", "8080/udp"]
EOF2
        ccp up -d >/dev/null 2>&1 || return 1
        local j; j=$(ccp ps --format json web) || return 1
        # docker: one entry a binding, with the address it listens on
        assert_eq "$(jq -c '[.Publishers[] | select(.URL == "127.0.0.1")]' <<<"$j")" \
                "[{\"URL\":\"127.0.0.1\",\"TargetPort\":80,\"PublishedPort\":$port,\"Protocol\":\"tcp\"}]" || return 1
        assert_eq "$(jq -c '[.Publishers[] | select(.TargetPort == 8080) | .Protocol] | unique' <<<"$j")" '["udp"]' || return 1
        ccp stop -t 1 web >/dev/null 2>&1 || return 1
        assert_eq "$(ccp ps -a --format json web | jq -c .Publishers)" "[]" "(a stopped container has none)"
}
t_ps_no_project() {
        # nothing up: ps prints the header only
        stack
        local ps; ps=$(ccp ps) || return 1
        assert_eq "$(wc -l <<<"$ps")" 1 "($ps)" || return 1
        assert_eq "$(ccp ps -q)" ""
}

run_cases \
        "exec: output and exit code:t_exec_output_code" \
        "exec runs in the container:t_exec_inside" \
        "exec -e:t_exec_env" \
        "exec -u:t_exec_user" \
        "exec -w:t_exec_workdir" \
        "exec -T with stdin:t_exec_stdin" \
        "exec --index:t_exec_index" \
        "exec into a stopped service:t_exec_not_running" \
        "exec -d:t_exec_detach" \
        "stop and start one service:t_stop_start" \
        "stop everything:t_stop_all" \
        "restart:t_restart" \
        "restart a stopped service:t_restart_stopped" \
        "kill is SIGKILL (137):t_kill_default" \
        "kill -s:t_kill_signal" \
        "kill -s with a bad signal:t_kill_bad_signal" \
        "pause freezes, unpause thaws:t_pause" \
        "down of a paused project:t_pause_down" \
        "ps table:t_ps_table" \
        "ps -a:t_ps_all" \
        "ps -q:t_ps_quiet" \
        "ps --services:t_ps_services" \
        "ps --status:t_ps_status" \
        "ps SERVICE:t_ps_service_arg" \
        "ps --format json:t_ps_json" \
        "ps --format json lists published ports:t_ps_json_publishers" \
        "ps of a project that is not up:t_ps_no_project"

#!/bin/bash
# System tests of `ccompose up` as a user sees it: the attached view
# (Attaching to, aligned prefixes, colours), progress lines, exit codes of
# --abort-on-container-exit / --abort-on-container-failure /
# --exit-code-from, Ctrl-C, `up -d` and `up -d --wait`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# ---- attached output ----
two_services() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo hello from web; echo to stderr >&2"]
  worker:
    image: busybox:test
    command: ["sh", "-c", "echo hi from worker"]
EOF
}
t_attached() {
        two_services
        local out rc
        out=$(ccp up 2>&1); rc=$?
        assert_eq "$rc" 0 "(exit code; output: $out)" || return 1
        local attach; attach=$(grep '^Attaching to ' <<<"$out")
        assert_contains "$attach" "web-1" || return 1
        assert_contains "$attach" "worker-1" || return 1
        # docker compose pads every name to the longest name plus one,
        # then " | ": fmt.Sprintf("%-*s |", width, name) + " " + line
        grep -qxF 'web-1     | hello from web' <<<"$out" || { fail "no aligned web line in: $out"; return 1; }
        grep -qxF 'web-1     | to stderr' <<<"$out" || { fail "no stderr line in: $out"; return 1; }
        grep -qxF 'worker-1  | hi from worker' <<<"$out" || { fail "no aligned worker line in: $out"; return 1; }
        grep -qxF 'web-1 exited with code 0' <<<"$out" || { fail "no exit line in: $out"; return 1; }
        # stopped containers stay until down, like docker compose
        assert_eq "$(ctr web status)" exited || return 1
        assert_eq "$(ctr worker status)" exited
}
t_attached_single_prefix() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["echo", "only web"]
EOF
        local out; out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        grep -qxF 'web-1  | only web' <<<"$out" || fail "want 'web-1  | only web' in: $out"
}
t_progress_lines() {
        two_services
        local out; out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        local s
        for s in web worker; do
                grep -qxF " Container $P-$s-1  Created" <<<"$out" || { fail "no Created line for $s in: $out"; return 1; }
                grep -qxF " Container $P-$s-1  Started" <<<"$out" || { fail "no Started line for $s in: $out"; return 1; }
        done
}
t_no_log_prefix() {
        two_services
        local out; out=$(ccp up --no-log-prefix 2>&1) || { fail "up failed: $out"; return 1; }
        grep -qxF 'hello from web' <<<"$out" || { fail "no bare line in: $out"; return 1; }
        assert_not_contains "$out" "web-1     | "
}
t_attached_partial_line() {
        # docker compose prints whole lines: a line written in two pieces is
        # one line in the attached view
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "printf 'first half '; sleep 0.5; echo 'second half'; printf 'no newline at exit'"]
EOF
        local out; out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        grep -qxF 'web-1  | first half second half' <<<"$out" || { fail "line split in: $out"; return 1; }
        grep -qxF 'web-1  | no newline at exit' <<<"$out" || fail "last partial line lost in: $out"
}

# Colours: under a terminal the prefixes are coloured; NO_COLOR, --no-color
# and --ansi never turn every escape sequence off.
in_tty() { script -qec "$1" /dev/null </dev/null; }
t_color_tty() {
        two_services
        local out
        out=$(env -u NO_COLOR bash -c "$(declare -f in_tty); in_tty '$CCOMPOSE -f $D/compose.yaml -p $P up'") || { fail "up failed: $out"; return 1; }
        assert_contains "$out" $'\033[' "(a terminal gets colours)" || return 1
        assert_contains "$out" "hello from web"
}
no_escapes() {
        local out
        out=$(env $1 bash -c "$(declare -f in_tty); in_tty '$CCOMPOSE $2 -f $D/compose.yaml -p $P up $3'") || { fail "up failed: $out"; return 1; }
        assert_contains "$out" "hello from web" || return 1
        assert_not_contains "$out" $'\033'
}
t_no_color_env() { two_services; no_escapes NO_COLOR=1 "" ""; }
t_no_color_flag() { two_services; no_escapes "-u NO_COLOR" "" --no-color; }
t_ansi_never() { two_services; no_escapes "-u NO_COLOR" "--ansi never" ""; }

# ---- exit codes ----
t_exit_zero_when_all_exit() {
        compose <<'EOF'
services:
  a:
    image: busybox:test
    command: ["sh", "-c", "exit 3"]
  b:
    image: busybox:test
    command: ["true"]
EOF
        # without an abort flag, up ends when everything has exited, with 0
        local out rc; out=$(ccp up 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        grep -qxF 'a-1 exited with code 3' <<<"$out" || { fail "no exit line in: $out"; return 1; }
        # nobody pressed Ctrl-C
        assert_not_contains "$out" "Gracefully stopping"
}
t_abort_on_exit() {
        compose <<'EOF'
services:
  quick:
    image: busybox:test
    command: ["sh", "-c", "echo quick done; exit 3"]
  long:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        # docker compose's own e2e test (Feature: Stop, Cascade stop): the
        # code of the container that exited, and this message
        local out rc; out=$(ccp up --abort-on-container-exit 2>&1); rc=$?
        assert_eq "$rc" 3 "($out)" || return 1
        grep -qxF 'quick-1 exited with code 3' <<<"$out" || { fail "no exit line: $out"; return 1; }
        assert_contains "$out" "Aborting on container exit..." || return 1
        # that is not a Ctrl-C: no "Gracefully stopping..." message
        assert_not_contains "$out" "Gracefully stopping" || return 1
        assert_eq "$(ctr long status)" exited "(long stopped)" || return 1
        assert_eq "$(sup_pid)" 0 "(no supervisor left)"
}
t_abort_on_exit_zero() {
        compose <<'EOF'
services:
  quick:
    image: busybox:test
    command: ["true"]
  long:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
EOF
        local out rc; out=$(ccp up --abort-on-container-exit 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        assert_eq "$(ctr long status)" exited
}
t_abort_on_failure() {
        # ok exits 0 first: no abort; bad then fails: abort, its exit code.
        # bad starts once the supervisor has seen ok's exit (a file ok
        # leaves could be seen before ok's own exit is, and then the
        # abort stops ok)
        compose <<'EOF'
services:
  ok:
    image: busybox:test
    command: ["sh", "-c", "exit 0"]
  bad:
    image: busybox:test
    command: ["sh", "-c", "echo bad fails; exit 4"]
    depends_on:
      ok: {condition: service_completed_successfully}
  long:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
EOF
        local out rc; out=$(ccp up --abort-on-container-failure 2>&1); rc=$?
        assert_eq "$rc" 4 "($out)" || return 1
        grep -qxF 'ok-1 exited with code 0' <<<"$out" || { fail "no exit line of ok: $out"; return 1; }
        grep -qF 'bad fails' <<<"$out" || { fail "bad did not run after ok exited: $out"; return 1; }
        assert_eq "$(ctr long status)" exited
}
t_exit_code_from() {
        compose <<'EOF'
services:
  tests:
    image: busybox:test
    command: ["sh", "-c", "echo running tests; exit 7"]
  db:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
EOF
        local out rc; out=$(ccp up --exit-code-from tests 2>&1); rc=$?
        assert_eq "$rc" 7 "($out)" || return 1
        assert_eq "$(ctr db status)" exited
}
t_exit_code_from_zero() {
        compose <<'EOF'
services:
  tests:
    image: busybox:test
    command: ["sh", "-c", "exit 0"]
  db:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 9' TERM; sleep 1000 & wait"]
EOF
        local out rc; out=$(ccp up --exit-code-from tests 2>&1); rc=$?
        assert_eq "$rc" 0 "(the code of tests, not of db; $out)"
}
t_exit_code_from_stopped() {
        # docker compose e2e (Feature: Stop, Exit code from): another
        # container exits first; the selected one is stopped by the abort,
        # here killed after its grace period: 137
        compose <<'EOF'
services:
  should_fail:
    image: busybox:test
    command: ["sh", "-c", "exit 1"]
  sleep:
    image: busybox:test
    stop_grace_period: 1s
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]
EOF
        local out rc; out=$(ccp up --exit-code-from sleep 2>&1); rc=$?
        assert_eq "$rc" 137 "($out)" || return 1
        grep -qxF 'should_fail-1 exited with code 1' <<<"$out" || fail "no exit line: $out"
}
t_exit_code_from_past_init() {
        # with --exit-code-from, docker compose aborts on the named service
        # only: a one-shot init container that completes does not stop the
        # stack before the job even ran
        compose <<'EOF'
services:
  seed:
    image: busybox:test
    command: ["sh", "-c", "echo seeded > /work/seed"]
    volumes: [work:/work]
  job:
    image: busybox:test
    command: ["sh", "-c", "cat /work/seed; exit 6"]
    volumes: [work:/work]
    depends_on:
      seed:
        condition: service_completed_successfully
volumes:
  work:
EOF
        local out rc; out=$(ccp up --exit-code-from job 2>&1); rc=$?
        grep -qE '^job-1 +\| seeded$' <<<"$out" || { fail "the job did not run: $out"; return 1; }
        assert_eq "$rc" 6 "($out)"
}
t_exit_code_from_unknown() {
        two_services
        local out rc; out=$(ccp up --exit-code-from nosuch 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "no such service: nosuch"
}
t_abort_with_detach() {
        two_services
        local out rc; out=$(ccp up -d --abort-on-container-exit 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "accepted -d with --abort-on-container-exit"; return 1; }
        assert_contains "$out" "incompatible"
}

# ---- Ctrl-C ----
long_running() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo web up; sleep 1000 & wait"]
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
}
t_ctrl_c() {
        long_running
        local out=$TMP/ctrlc.out
        ccp_bg up >"$out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$out" "web-1  | web up" || { cat "$out"; return 1; }
        wait_for 30 is_status db running || return 1
        kill -INT "$pid"
        wait_exit "$pid" 30 || return 1
        assert_eq "$WAIT_RC" 130 "(exit code after Ctrl-C; $(cat "$out"))" || return 1
        assert_contains "$(cat "$out")" "Gracefully stopping..." || return 1
        # the TERM reached the container and its last words were shown
        grep -qxF 'web-1  | got TERM' "$out" || { fail "no 'got TERM' line: $(cat "$out")"; return 1; }
        # stopped, not removed (down removes)
        assert_eq "$(ctr web status)" exited || return 1
        assert_eq "$(ctr db status)" exited || return 1
        [ -z "$(cgroup_pids)" ] || fail "processes still running after Ctrl-C"
}
t_ctrl_c_twice() {
        # a container that ignores SIGTERM with a long grace period: the
        # second Ctrl-C kills it at once instead of waiting 60 s
        compose <<'EOF'
services:
  stubborn:
    image: busybox:test
    stop_grace_period: 60s
    command: ["sh", "-c", "trap '' TERM INT; echo ignoring; while :; do sleep 0.1; done"]
EOF
        local out=$TMP/ctrlc2.out
        ccp_bg up >"$out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$out" "ignoring" || { cat "$out"; return 1; }
        kill -INT "$pid"
        wait_for 30 file_has "$out" "Gracefully stopping" || { cat "$out"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 30 || { fail "the second Ctrl-C did not kill: $(cat "$out")"; return 1; }
        [ "$WAIT_RC" -ne 0 ] || fail "exit 0 after Ctrl-C"
        [ -z "$(cgroup_pids)" ] || fail "processes still running after the second Ctrl-C"
}

t_attached_restart() {
        # `restart` from another terminal: the attached view goes on and
        # shows the restarted container's output
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo web start; exec sleep 1000"]
EOF
        local out=$TMP/restart.out
        ccp_bg up >"$out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$out" "web-1  | web start" || { cat "$out"; return 1; }
        ccp restart -t 1 web >/dev/null 2>&1 || { kill "$pid"; return 1; }
        wait_for 30 file_lines_at_least "$out" "web-1  | web start" 2 || { kill "$pid"; fail "$(cat "$out")"; return 1; }
        alive "$pid" || { fail "up ended at the restart: $(cat "$out")"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 30
}

# ---- detached ----
t_up_detached() {
        long_running
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        grep -qxF " Container $P-web-1  Started" <<<"$out" || { fail "no Started line for web: $out"; return 1; }
        grep -qxF " Container $P-db-1  Started" <<<"$out" || { fail "no Started line for db: $out"; return 1; }
        # returned once started: both run now, no waiting needed
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr db status)" running || return 1
        alive "$(ctr web pid)" || { fail "web's pid is not alive"; return 1; }
        alive "$(sup_pid)" || { fail "no supervisor"; return 1; }
        local ps; ps=$(ccp ps) || return 1
        grep -E "^$P-web-1 +busybox:test +.*web +.* Up " <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        grep -E "^$P-db-1 +busybox:test +.*db +.* Up " <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        # the prompt is back although the containers run: nothing attached
        assert_not_contains "$out" "Attaching to"
}
t_up_detached_output_logged() {
        long_running
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 eval 'ccp logs web | grep -qxF "web-1  | web up"' || { ccp logs; return 1; }
}
t_wait_healthy() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 100
EOF
        local out rc; out=$(ccp up -d --wait 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        # --wait returned: healthy already, no polling
        assert_eq "$(ctr db health)" healthy || return 1
        assert_contains "$(ccp ps)" "(healthy)"
}
t_wait_unhealthy() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 2
EOF
        local out rc; out=$(CCP_TIMEOUT=30 ccp up -d --wait 2>&1); rc=$?
        [ "$rc" -ne 124 ] || { fail "up -d --wait still waits 30 s after the service became unhealthy: $out"; return 1; }
        [ "$rc" -ne 0 ] || { fail "--wait returned 0 for an unhealthy service: $out"; return 1; }
        assert_contains "$out" "$P-db-1 is unhealthy" || return 1
        assert_eq "$(ctr db health)" unhealthy "($out)"
}
t_wait_timeout() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 1000000
EOF
        local out rc; out=$(ccp up -d --wait --wait-timeout 1 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "--wait-timeout returned 0: $out"; return 1; }
        # the stack keeps running (docker compose only stops waiting)
        assert_eq "$(ctr db status)" running
}
t_wait_completed() {
        # --wait covers the whole chain: web waits for the job to complete
        compose <<'EOF'
services:
  job:
    image: busybox:test
    command: ["sh", "-c", "sleep 1; echo done"]
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      job:
        condition: service_completed_successfully
EOF
        local out rc; out=$(ccp up -d --wait 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        assert_eq "$(ctr job status)" exited || return 1
        assert_eq "$(ctr job exit_code)" 0 || return 1
        assert_eq "$(ctr web status)" running
}

run_cases \
        "attached: Attaching to, aligned prefixes, exit lines:t_attached" \
        "attached: one service gets 'web-1  | ':t_attached_single_prefix" \
        "progress lines Created and Started:t_progress_lines" \
        "--no-log-prefix:t_no_log_prefix" \
        "attached view prints whole lines:t_attached_partial_line" \
        "a terminal gets coloured prefixes:t_color_tty" \
        "NO_COLOR: no escape codes:t_no_color_env" \
        "--no-color: no escape codes:t_no_color_flag" \
        "--ansi never: no escape codes:t_ansi_never" \
        "up ends with 0 when every container exited:t_exit_zero_when_all_exit" \
        "--abort-on-container-exit stops the rest, non-zero:t_abort_on_exit" \
        "--abort-on-container-exit after a clean exit is 0:t_abort_on_exit_zero" \
        "--abort-on-container-failure ignores exit 0, returns the failure:t_abort_on_failure" \
        "--exit-code-from returns that service's code:t_exit_code_from" \
        "--exit-code-from ignores the others' codes:t_exit_code_from_zero" \
        "--exit-code-from a service stopped by the abort:t_exit_code_from_stopped" \
        "--exit-code-from: a completed init container does not abort:t_exit_code_from_past_init" \
        "--exit-code-from an unknown service:t_exit_code_from_unknown" \
        "--abort-on-container-exit with -d is refused:t_abort_with_detach" \
        "Ctrl-C stops gracefully, exit 130:t_ctrl_c" \
        "second Ctrl-C kills:t_ctrl_c_twice" \
        "attached up survives a restart:t_attached_restart" \
        "up -d returns with everything running:t_up_detached" \
        "up -d: output goes to the logs:t_up_detached_output_logged" \
        "up -d --wait returns once healthy:t_wait_healthy" \
        "up -d --wait fails on unhealthy:t_wait_unhealthy" \
        "--wait-timeout:t_wait_timeout" \
        "up -d --wait waits for jobs to complete:t_wait_completed"

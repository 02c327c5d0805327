#!/bin/bash
# System tests of `start` and `stop` with dependencies, and of options
# given after service names:
# - start waits, as up does, for each dependency's condition
#   (service_healthy, service_completed_successfully) before it starts a
#   dependent, and fails with docker compose's message when a dependency
#   fails its condition;
# - stop stops dependents before their dependencies;
# - options may come after service names (logs app --tail 5, ps web -a,
#   stop web -t 1, up -d web --no-deps), except after the command of exec
#   and run, which keeps its own flags.
# Order is observed from inside: containers append to a file in a shared
# volume when they start or get their stop signal.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccss
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# db turns healthy a second after it starts; migrate needs it healthy and
# writes the schema; app needs the schema written. Each start of app
# records what it found.
chain_stack() {
        compose <<'EOF'
services:
  app:
    image: busybox:test
    init: true
    command: ["sh", "-c", "if [ -f /shared/migrated ]; then echo app-saw-schema >> /shared/log; else echo app-too-early >> /shared/log; fi; exec sleep 1000"]
    volumes: [shared:/shared]
    depends_on:
      migrate:
        condition: service_completed_successfully
      db:
        condition: service_healthy
  migrate:
    image: busybox:test
    command: ["sh", "-c", "rm -f /shared/migrated; if [ -f /shared/db-ready ]; then echo migrate-saw-db >> /shared/log; else echo migrate-too-early >> /shared/log; fi; sleep 1; touch /shared/migrated"]
    volumes: [shared:/shared]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "rm -f /shared/db-ready /shared/migrated; sleep 1; touch /shared/db-ready; exec sleep 1000"]
    volumes: [shared:/shared]
    healthcheck:
      test: ["CMD", "test", "-f", "/shared/db-ready"]
      interval: 100ms
      retries: 1000
volumes:
  shared:
EOF
}
shared_log() { ccp exec -T db cat /shared/log; }

# app waits for db to be healthy; db runs COMMAND with a shared volume
# and runs HEALTH_TEST every 100 ms (RETRIES times, default 3)
app_on_healthy_db() {
        compose <<EOF
services:
  app:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: $1
    volumes: [shared:/shared]
    healthcheck:
      test: $2
      interval: 100ms
      retries: ${3:-3}
volumes:
  shared:
EOF
}

# up, stop, then start: start fails with MESSAGE and app stays exited
start_fails_with() {
        local out rc; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        out=$(ccp start 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "start exited 0: $out"; return 1; }
        assert_contains "$out" "$1" || return 1
        assert_eq "$(ctr app status)" exited
}

t_start_waits_for_conditions() {
        chain_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        assert_eq "$(shared_log | tr '\n' ' ')" "migrate-saw-db app-saw-schema " || return 1
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        out=$(ccp start 2>&1) || { fail "start: $out"; return 1; }
        # start returns once everything is started, in order
        assert_eq "$(ctr app status)" running "(start: $out)" || return 1
        assert_eq "$(ctr db health)" healthy || return 1
        assert_eq "$(ctr migrate status)" exited || return 1
        assert_eq "$(ctr migrate exit_code)" 0 || return 1
        assert_eq "$(shared_log | tr '\n' ' ')" "migrate-saw-db app-saw-schema migrate-saw-db app-saw-schema " "(start: $out)"
}

t_start_one_service_waits() {
        # start app: its dependencies are started and waited for first
        chain_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        out=$(ccp start app 2>&1) || { fail "start app: $out"; return 1; }
        assert_eq "$(ctr app status)" running "(start: $out)" || return 1
        assert_eq "$(ctr db health)" healthy || return 1
        assert_eq "$(shared_log | tail -2 | tr '\n' ' ')" "migrate-saw-db app-saw-schema " "(start: $out)"
}

t_create_then_start() {
        chain_stack
        local out; out=$(ccp create 2>&1) || { fail "create: $out"; return 1; }
        assert_eq "$(ctr app status)" created || return 1
        out=$(ccp start 2>&1) || { fail "start: $out"; return 1; }
        assert_eq "$(ctr app status)" running "(start: $out)" || return 1
        assert_eq "$(shared_log | tr '\n' ' ')" "migrate-saw-db app-saw-schema " "(start: $out)"
}

t_start_dep_unhealthy() {
        # db is healthy the first time, unhealthy from its second start on
        app_on_healthy_db '["sh", "-c", "if [ -f /shared/second ]; then rm -f /shared/ok; else touch /shared/second /shared/ok; fi; exec sleep 1000"]' '["CMD", "test", "-f", "/shared/ok"]' 2
        start_fails_with "dependency failed to start: container $P-db-1 is unhealthy"
}

t_start_dep_exited() {
        # db is healthy the first time; from its second start on it exits
        # before its healthcheck passes
        app_on_healthy_db '["sh", "-c", "if [ -f /shared/second ]; then exit 1; fi; touch /shared/second; exec sleep 1000"]' '["CMD", "true"]'
        local out rc; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        out=$(CCP_TIMEOUT=30 ccp start 2>&1); rc=$?
        [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { fail "start exited $rc: $out"; return 1; }
        assert_contains "$out" "dependency failed to start: container $P-db-1 exited (1)" || return 1
        assert_eq "$(ctr app status)" exited
}

t_start_leaves_run_containers() {
        # a one-off container of db (run -d) that exited is neither started
        # again by start nor a dependency app waits for
        compose <<'EOF'
services:
  app:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 100ms
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        out=$(ccp run -d db sh -c 'exit 3' 2>&1) || { fail "run -d: $out"; return 1; }
        wait_for 30 eval '[ "$(jstate ".containers[] | select(.one_off == 1) | .status")" = exited ]' || return 1
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        out=$(ccp start 2>&1) || { fail "start: $out"; return 1; }
        assert_not_contains "$out" "-run-" || return 1
        assert_eq "$(ctr app status)" running || return 1
        assert_eq "$(jstate '.containers[] | select(.one_off == 1) | .exit_code')" 3
}

t_start_dep_failed_job() {
        # the job succeeds the first time, fails from its second run on
        compose <<'EOF'
services:
  app:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      job:
        condition: service_completed_successfully
  job:
    image: busybox:test
    command: ["sh", "-c", "if [ -f /shared/second ]; then exit 1; fi; touch /shared/second"]
    volumes: [shared:/shared]
volumes:
  shared:
EOF
        start_fails_with "service \"job\" didn't complete successfully: exit 1"
}

t_stop_cancels_waiting_start() {
        # the second start of db takes 4 s to turn healthy; app, waiting
        # for it, is stopped meanwhile: start returns and app stays stopped
        app_on_healthy_db '["sh", "-c", "rm -f /shared/ready; if [ -f /shared/second ]; then sleep 4; fi; touch /shared/second /shared/ready; exec sleep 1000"]' '["CMD", "test", "-f", "/shared/ready"]' 1000
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status app running || { fail "app never started: $out"; return 1; }
        out=$(ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        ccp start >"$TMP/start.out" 2>&1 &
        local pid=$!
        wait_for 30 is_status db running || return 1
        out=$(ccp stop app 2>&1) || { fail "stop app: $out"; return 1; }
        wait_exit "$pid" 30 || { fail "start still waits after stop app"; return 1; }
        wait_for 30 is_health db healthy || return 1
        sleep 1 # app must not start now: a negative condition, a fixed wait
        assert_eq "$(ctr app status)" exited "(start: $(cat "$TMP/start.out"))"
}

# Each service records its stop signal in /shared/stops; the dependents
# take half a second to do so and db none, so that a db stopped together
# with them (not after them) writes first.
stop_stack() {
        compose <<'EOF'
services:
  front:
    image: busybox:test
    command: ["sh", "-c", "trap 'sleep 0.5; echo front >> /shared/stops; exit 0' TERM; while :; do sleep 0.1; done"]
    volumes: [shared:/shared]
    depends_on: [app]
  app:
    image: busybox:test
    command: ["sh", "-c", "trap 'sleep 0.5; echo app >> /shared/stops; exit 0' TERM; while :; do sleep 0.1; done"]
    volumes: [shared:/shared]
    depends_on: [db]
  db:
    image: busybox:test
    command: ["sh", "-c", "trap 'echo db >> /shared/stops; exit 0' TERM; while :; do sleep 0.1; done"]
    volumes: [shared:/shared]
volumes:
  shared:
EOF
}
t_stop_dependents_first() {
        stop_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status front running || { fail "front never started: $out"; return 1; }
        out=$(ccp stop -t 10 2>&1) || { fail "stop: $out"; return 1; }
        assert_eq "$(ctr db exit_code)" 0 "(db killed, not stopped: $out)" || return 1
        ccp start >/dev/null 2>&1 || return 1
        assert_eq "$(ccp exec -T db cat /shared/stops | tr '\n' ' ')" "front app db " "(stop: $out)"
}

# ---- options after service names ----

flags_stack() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line$$i; done; exec sleep 1000"]
    depends_on: [db]
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
}
t_logs_tail_after_service() {
        flags_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 eval 'ccp logs web | grep -q line8' || return 1
        out=$(ccp logs --no-log-prefix web --tail 2 2>&1) || { fail "logs web --tail 2: $out"; return 1; }
        assert_eq "$(echo "$out" | tr '\n' ' ')" "line7 line8 "
}
t_ps_stop_after_service() {
        flags_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status web running || return 1
        out=$(ccp stop web -t 1 2>&1) || { fail "stop web -t 1: $out"; return 1; }
        assert_eq "$(ctr web status)" exited || return 1
        assert_eq "$(ctr db status)" running || return 1
        out=$(ccp ps web -a 2>&1) || { fail "ps web -a: $out"; return 1; }
        assert_contains "$out" "$P-web-1" || return 1
        assert_not_contains "$out" "$P-db-1" || return 1
        out=$(ccp ps -a web 2>&1) || { fail "ps -a web: $out"; return 1; }
        assert_contains "$out" "$P-web-1"
}
t_up_no_deps_after_service() {
        flags_stack
        local out; out=$(ccp up -d web --no-deps 2>&1) || { fail "up -d web --no-deps: $out"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr db status)" ""
}
t_exec_run_keep_command_flags() {
        flags_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        out=$(ccp exec -T web sh -c 'echo -n x' 2>&1) || { fail "exec: $out"; return 1; }
        assert_eq "$out" "x" || return 1
        out=$(ccp run --rm -T web echo -t 2>/dev/null) || { fail "run: $out"; return 1; }
        assert_eq "$out" "-t" || return 1
        out=$(ccp logs --no-log-prefix -- web 2>&1) || { fail "logs -- web: $out"; return 1; }
        assert_contains "$out" "line8"
}

t_engine_stays_in_its_cgroups() {
        # Each start first moves nothing in the kernel (cgroup.h,
        # cc_cgroup_prime_move: "0" into its own cgroup.procs) so that the
        # move of the container waits less: the supervisor stays where
        # it was born, the cgroups of this test's shell.
        flags_stack
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        out=$(ccp restart -t 0 web 2>&1) || { fail "restart: $out"; return 1; }
        local sp; sp=$(sup_pid)
        [ "$sp" -gt 0 ] || { fail "no supervisor"; return 1; }
        assert_eq "$(cat "/proc/$sp/cgroup")" "$(cat /proc/$$/cgroup)"
}

run_cases \
        "the supervisor stays in its cgroups:t_engine_stays_in_its_cgroups" \
        "start waits for service_healthy and service_completed_successfully:t_start_waits_for_conditions" \
        "start SERVICE starts and waits for its dependencies:t_start_one_service_waits" \
        "create, then start waits for the conditions:t_create_then_start" \
        "start fails on an unhealthy dependency:t_start_dep_unhealthy" \
        "start fails on a dependency that exits before it is healthy:t_start_dep_exited" \
        "start fails on a failed job:t_start_dep_failed_job" \
        "start leaves run's containers alone:t_start_leaves_run_containers" \
        "stop of a service a start waits to start:t_stop_cancels_waiting_start" \
        "stop stops dependents first:t_stop_dependents_first" \
        "logs SERVICE --tail N:t_logs_tail_after_service" \
        "stop SERVICE -t N, ps SERVICE -a:t_ps_stop_after_service" \
        "up -d SERVICE --no-deps:t_up_no_deps_after_service" \
        "exec and run keep the command's flags, -- ends options:t_exec_run_keep_command_flags"

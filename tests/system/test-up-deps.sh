#!/bin/bash
# System tests of start order: depends_on conditions service_started,
# service_healthy, service_completed_successfully, failed dependencies,
# required: false, `up SERVICE` (with its dependencies) and --no-deps.
# Order is observed from inside: a dependent checks, when it starts, for a
# file its dependency writes into a shared volume.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# line N of the up output matching a pattern (for order checks)
line_of() { grep -nxF -- "$2" <<<"$1" | head -1 | cut -d: -f1; }

t_service_started() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_started
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        local db_started web_starting
        db_started=$(line_of "$out" " Container $P-db-1  Started")
        web_starting=$(line_of "$out" " Container $P-web-1  Starting")
        [ -n "$db_started" ] && [ -n "$web_starting" ] || { fail "progress lines missing: $out"; return 1; }
        [ "$db_started" -lt "$web_starting" ] || { fail "web started before db was: $out"; return 1; }
        assert_eq "$(ctr web status)" running
}
t_short_syntax_order() {
        # the list form is service_started too; a chain of three
        compose <<'EOF'
services:
  c:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on: [b]
  b:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on: [a]
  a:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        local a b c
        a=$(line_of "$out" " Container $P-a-1  Started")
        b=$(line_of "$out" " Container $P-b-1  Starting")
        local b2; b2=$(line_of "$out" " Container $P-b-1  Started")
        c=$(line_of "$out" " Container $P-c-1  Starting")
        [ -n "$a" ] && [ -n "$b" ] && [ -n "$b2" ] && [ -n "$c" ] || { fail "progress lines missing: $out"; return 1; }
        [ "$a" -lt "$b" ] && [ "$b2" -lt "$c" ] || fail "wrong order: $out"
}
t_service_healthy() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "if [ -f /shared/db-ready ]; then echo saw db ready; else echo too early; fi; exec sleep 1000"]
    volumes: [shared:/shared]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "rm -f /shared/db-ready; sleep 1; touch /shared/db-ready; exec sleep 1000"]
    volumes: [shared:/shared]
    healthcheck:
      test: ["CMD", "test", "-f", "/shared/db-ready"]
      interval: 100ms
      retries: 1000
volumes:
  shared:
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status web running || { fail "web never started: $out"; return 1; }
        wait_for 30 eval 'ccp logs web | grep -q "db ready\|too early"' || return 1
        local logs; logs=$(ccp logs web)
        assert_contains "$logs" "saw db ready" || return 1
        assert_eq "$(ctr db health)" healthy
}
t_completed_successfully() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "cat /shared/migrated; exec sleep 1000"]
    volumes: [shared:/shared]
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    image: busybox:test
    command: ["sh", "-c", "rm -f /shared/migrated; sleep 1; echo schema v3 > /shared/migrated"]
    volumes: [shared:/shared]
volumes:
  shared:
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 is_status web running || { fail "web never started: $out"; return 1; }
        assert_eq "$(ctr migrate status)" exited || return 1
        assert_eq "$(ctr migrate exit_code)" 0 || return 1
        wait_for 30 eval 'ccp logs web | grep -q "schema v3"' || { ccp logs; return 1; }
}
t_completed_failed() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo web started; exec sleep 1000"]
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    image: busybox:test
    command: ["sh", "-c", "exit 3"]
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up -d returned 0: $out"; return 1; }
        assert_contains "$out" 'service "migrate" didn'"'"'t complete successfully: exit 3' || return 1
        [ "$(ctr web status)" != running ] || { fail "web runs"; return 1; }
        [ -z "$(ctr web pid | grep -v '^0$')" ] || fail "web has a pid"
        assert_not_contains "$(ccp logs)" "web started"
}
t_completed_failed_attached() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo web started"]
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    image: busybox:test
    command: ["sh", "-c", "echo migrating; exit 2"]
EOF
        local out rc; out=$(ccp up 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up returned 0: $out"; return 1; }
        assert_contains "$out" 'service "migrate" didn'"'"'t complete successfully: exit 2' || return 1
        assert_not_contains "$out" "web started"
}
t_unhealthy_dep() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo web started; exec sleep 1000"]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD-SHELL", "exit 1"]
      interval: 100ms
      retries: 2
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up -d returned 0: $out"; return 1; }
        assert_contains "$out" "dependency failed to start: container $P-db-1 is unhealthy" || return 1
        [ "$(ctr web status)" != running ] || { fail "web runs"; return 1; }
        assert_not_contains "$(ccp logs)" "web started"
}
t_healthy_without_healthcheck() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["true"]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up -d returned 0: $out"; return 1; }
        assert_contains "$out" "$P-db-1 has no healthcheck configured"
}
t_dep_start_error() {
        # a dependency whose container cannot start at all
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo web started"]
    depends_on: [broken]
  broken:
    image: busybox:test
    command: ["/no/such/binary"]
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up -d returned 0: $out"; return 1; }
        assert_contains "$out" "/no/such/binary" || return 1
        [ "$(ctr web status)" != running ] || fail "web runs"
}
t_required_false_failed() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      migrate:
        condition: service_completed_successfully
        required: false
  migrate:
    image: busybox:test
    command: ["sh", "-c", "exit 1"]
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        wait_for 30 is_status web running || { fail "web did not start: $out"; return 1; }
}
t_required_false_absent() {
        # the optional dependency's profile is not enabled
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      extra:
        condition: service_started
        required: false
  extra:
    image: busybox:test
    profiles: [extras]
    command: ["sleep", "1000"]
EOF
        local out rc; out=$(ccp up -d 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr extra status)" "" "(extra must not be created)"
}
three_services() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on: [db]
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
  other:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
}
t_up_service() {
        three_services
        local out; out=$(ccp up -d web 2>&1) || { fail "up web: $out"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr db status)" running "(the dependency)" || return 1
        assert_eq "$(ctr other status)" "" "(other must not be created)" || return 1
        assert_eq "$(ccp ps --services | sort | tr '\n' ' ')" "db web "
}
t_no_deps() {
        three_services
        local out; out=$(ccp up -d --no-deps web 2>&1) || { fail "up --no-deps web: $out"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr db status)" "" "(db must not be created)" || return 1
        assert_eq "$(ctr other status)" ""
}
t_up_service_keeps_others() {
        # up SERVICE later adds to what runs, leaving the rest alone
        three_services
        ccp up -d other >/dev/null 2>&1 || return 1
        local pid; pid=$(ctr other pid)
        ccp up -d web >/dev/null 2>&1 || return 1
        assert_eq "$(ctr other pid)" "$pid" || return 1
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr other status)" running
}
t_unknown_service() {
        three_services
        local out rc; out=$(ccp up -d nosuch 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
        assert_contains "$out" "no such service: nosuch"
}

run_cases \
        "service_started: dependency started first:t_service_started" \
        "list syntax, a chain of three:t_short_syntax_order" \
        "service_healthy: dependent starts after healthy:t_service_healthy" \
        "service_completed_successfully:t_completed_successfully" \
        "failed job stops the dependent (up -d):t_completed_failed" \
        "failed job stops the dependent (attached):t_completed_failed_attached" \
        "unhealthy dependency stops the dependent:t_unhealthy_dep" \
        "service_healthy without healthcheck:t_healthy_without_healthcheck" \
        "dependency that cannot start:t_dep_start_error" \
        "required: false and a failed dependency:t_required_false_failed" \
        "required: false and a disabled dependency:t_required_false_absent" \
        "up SERVICE starts its dependencies only:t_up_service" \
        "--no-deps:t_no_deps" \
        "up SERVICE leaves running services alone:t_up_service_keeps_others" \
        "up of an unknown service:t_unknown_service"

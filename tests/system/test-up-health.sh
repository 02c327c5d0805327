#!/bin/bash
# System tests of healthchecks: CMD, CMD-SHELL, NONE and disable, retries
# -> unhealthy (shown by ps), recovery, timeout, start_period, the image's
# HEALTHCHECK, and that the check runs inside the container.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

ps_json() { ccp ps -a --format json | jq -r --arg s "$1" "select(.Service == \$s) | $2"; }

t_cmd() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 100ms
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy || return 1
        local ps; ps=$(ccp ps)
        grep -E "^$P-db-1 .* Up .*\(healthy\)" <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        assert_eq "$(ps_json db .Health)" healthy
}
t_starting() {
        # before the first check ps says "health: starting"
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1h
      start_period: 1h
      start_interval: 1h
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ctr db health)" starting || return 1
        assert_contains "$(ccp ps)" "(health: starting)" || return 1
        assert_eq "$(ps_json db .Health)" starting
}
t_cmd_shell() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 1000"]
    healthcheck:
      test: test -f /tmp/ok && exit 0 || exit 1
      interval: 100ms
      retries: 1000
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy
}
t_cmd_shell_list() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD-SHELL", "[ \"$$(cat /proc/1/cmdline | tr '\\0' ' ')\" != '' ]"]
      interval: 100ms
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy
}
t_inside() {
        # the check sees the container's filesystem, not the host's
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo inside > /only-in-container; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/only-in-container"]
      interval: 100ms
      retries: 1000
EOF
        [ ! -e /only-in-container ] || { fail "the host has /only-in-container"; return 1; }
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy
}
t_none() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["NONE"]
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 100ms
      disable: true
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ctr db health)" "" || return 1
        assert_eq "$(ctr web health)" "" || return 1
        assert_eq "$(ps_json db .Health)" "" || return 1
        local ps; ps=$(ccp ps)
        assert_not_contains "$ps" "health" || return 1
        assert_not_contains "$ps" "(healthy)"
}
t_unhealthy() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 3
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db unhealthy || return 1
        local ps; ps=$(ccp ps)
        grep -E "^$P-db-1 .* Up .*\(unhealthy\)" <<<"$ps" >/dev/null || { fail "ps: $ps"; return 1; }
        assert_eq "$(ps_json db .Health)" unhealthy || return 1
        # unhealthy is not a reason to stop it (no restart, as in docker)
        assert_eq "$(ctr db status)" running
}
t_retries_count() {
        # a check failing twice, then passing: with retries 3 it never
        # becomes unhealthy; the container counts its own runs
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD-SHELL", "n=$$(cat /tmp/n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /tmp/n; echo $$n >> /tmp/seen; [ $$n -gt 2 ]"]
      interval: 100ms
      retries: 3
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local seen=$TMP/health-seen
        : >"$seen"
        local end=$((SECONDS + 30))
        while [ "$SECONDS" -lt "$end" ]; do
                local h; h=$(ctr db health)
                echo "$h" >>"$seen"
                [ "$h" = healthy ] && break
                sleep 0.05
        done
        assert_eq "$(ctr db health)" healthy || return 1
        ! grep -qx unhealthy "$seen" || fail "was unhealthy after 2 failures with retries 3"
}
t_recovers() {
        # unhealthy, then healthy again once the check passes
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    volumes: [ctl:/ctl]
    healthcheck:
      test: ["CMD", "test", "-f", "/ctl/ok"]
      interval: 100ms
      retries: 1
volumes:
  ctl:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db unhealthy || return 1
        ccp exec -T db touch /ctl/ok || return 1
        wait_for 30 is_health db healthy
}
t_timeout() {
        # a check that hangs counts as failed after `timeout`
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "sleep", "1000"]
      interval: 100ms
      timeout: 200ms
      retries: 1
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db unhealthy
}
t_start_period() {
        # failures inside start_period do not count: never unhealthy,
        # healthy once the check passes
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 100ms
      retries: 1
      start_period: 60s
      start_interval: 100ms
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local seen=$TMP/health-seen2
        : >"$seen"
        local end=$((SECONDS + 30))
        while [ "$SECONDS" -lt "$end" ]; do
                local h; h=$(ctr db health)
                echo "$h" >>"$seen"
                [ "$h" = healthy ] && break
                sleep 0.05
        done
        assert_eq "$(ctr db health)" healthy || return 1
        ! grep -qx unhealthy "$seen" || fail "unhealthy during start_period"
}
t_no_start_period() {
        # the counterpart: the same check without start_period goes
        # unhealthy before the container is ready
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sh", "-c", "sleep 3; touch /tmp/ok; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 100ms
      retries: 1
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db unhealthy || return 1
        wait_for 30 is_health db healthy
}
t_image_healthcheck() {
        # the image's HEALTHCHECK applies when the service has none
        cc image import -c 'HEALTHCHECK --interval=1s --retries=30 CMD test -f /tmp/img-ok' \
                "$IMAGES/rootfs.tar" busybox:hc >/dev/null || return 1
        compose <<'EOF'
services:
  db:
    image: busybox:hc
    init: true
    command: ["sh", "-c", "touch /tmp/img-ok; exec sleep 1000"]
  nohc:
    image: busybox:hc
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      disable: true
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy || return 1
        assert_eq "$(ctr nohc health)" ""
}
t_health_after_restart() {
        # a restarted container starts over at "starting", then healthy
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_health db healthy || return 1
        local pid; pid=$(ctr db pid)
        ccp restart -t 1 db >/dev/null 2>&1 || return 1
        [ "$(ctr db pid)" != "$pid" ] || { fail "not restarted"; return 1; }
        wait_for 30 is_health db healthy
}

# up -d of one healthchecked service says Started: the health status its
# start sets made the supervisor report up done before that line
t_started_line() {
        compose <<EOF
services:
  db:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
EOF
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        grep -qx " Container $P-db-1  Started" <<<"$out" || fail "no Started line: $out" || return 1
        ccp stop db >/dev/null 2>&1 || return 1
        out=$(ccp start db 2>&1) || { fail "start: $out"; return 1; }
        grep -qx " Container $P-db-1  Started" <<<"$out" || fail "start: no Started line: $out"
}

run_cases \
        "up -d and start of a healthchecked service print Started:t_started_line" \
        "CMD healthcheck, ps shows (healthy):t_cmd" \
        "health: starting before the first check:t_starting" \
        "CMD-SHELL as a string:t_cmd_shell" \
        "CMD-SHELL list, \$\$ escapes:t_cmd_shell_list" \
        "the check runs inside the container:t_inside" \
        "NONE and disable: no health:t_none" \
        "retries failures -> (unhealthy):t_unhealthy" \
        "fewer failures than retries stay healthy:t_retries_count" \
        "unhealthy recovers to healthy:t_recovers" \
        "a hanging check times out:t_timeout" \
        "start_period: early failures do not count:t_start_period" \
        "without start_period the same check goes unhealthy:t_no_start_period" \
        "the image's HEALTHCHECK:t_image_healthcheck" \
        "health starts over after a restart:t_health_after_restart"

#!/bin/bash
# System tests of `up --wait` (its progress lines and its failure, said
# once) and of the kill and restart events of `events --json`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccwe
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# line_no OUT TEXT: the number of the first line of OUT that is TEXT
line_no() { grep -nxF -- "$2" <<<"$1" | head -1 | cut -d: -f1; }

t_wait_progress() {
        compose <<'EOF'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 100ms
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        local out; out=$(ccp up --wait 2>&1) || { fail "up --wait failed: $out"; return 1; }
        local s w h
        for s in db web; do
                w=$(line_no "$out" " Container $P-$s-1  Waiting")
                h=$(line_no "$out" " Container $P-$s-1  Healthy")
                [ -n "$w" ] && [ -n "$h" ] && [ "$w" -lt "$h" ] || { fail "$s: no Waiting then Healthy: $out"; return 1; }
        done
        # every Started line comes before the first Waiting
        w=$(grep -n "  Waiting$" <<<"$out" | head -1 | cut -d: -f1)
        h=$(grep -n "  Started$" <<<"$out" | tail -1 | cut -d: -f1)
        [ "$h" -lt "$w" ] || { fail "Waiting before a Started: $out"; return 1; }
        assert_eq "$(grep -c "  Healthy$" <<<"$out")" 2
}
t_wait_failure_once() {
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
  app:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db: {condition: service_healthy}
EOF
        local out rc=0; out=$(ccp up --wait 2>&1) || rc=$?
        [ "$rc" -ne 0 ] || { fail "up --wait succeeded: $out"; return 1; }
        assert_eq "$(grep -c "is unhealthy" <<<"$out")" 1 "(the failure, once: $out)"
}
t_kill_restart_events() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local out=$TMP/events.out
        ccp_bg events --json >"$out" 2>&1 &
        local ev=$!
        # events follows from when it started: pause until its unpause shows
        wait_for 30 _pause_seen "$out" || { kill "$ev"; return 1; }
        ccp kill -s SIGKILL web >/dev/null 2>&1 || { kill "$ev"; return 1; }
        wait_for 30 file_has "$out" '"action":"kill"'
        local rc=$?
        if [ $rc -eq 0 ]; then
                wait_for 30 is_status web exited && ccp start web >/dev/null 2>&1 &&
                        ccp restart -t 1 web >/dev/null 2>&1 && wait_for 30 file_has "$out" '"action":"restart"'
                rc=$?
        fi
        kill "$ev"; wait "$ev" 2>/dev/null
        [ $rc -eq 0 ] || { fail "events: $(cat "$out")"; return 1; }
        assert_eq "$(jq -r 'select(.action=="kill") | .attributes.signal' "$out" | head -1)" 9 || return 1
        assert_eq "$(jq -r 'select(.action=="restart") | .service' "$out")" web || return 1
        # restart: the container is stopped (kill with SIGTERM, die, stop), started, then restart
        local actions; actions=$(jq -r .action "$out" | tr '\n' ' ')
        assert_contains "$actions" "kill die stop start restart"
}
_pause_seen() {
        ccp pause web >/dev/null 2>&1; ccp unpause web >/dev/null 2>&1
        file_has "$1" '"action":"unpause"'
}

run_cases \
        "up --wait: Waiting, then Healthy or Exited, per container:t_wait_progress" \
        "up --wait: an unhealthy dependency is said once:t_wait_failure_once" \
        "events: kill and restart:t_kill_restart_events"

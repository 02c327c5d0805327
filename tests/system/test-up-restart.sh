#!/bin/bash
# System tests of restart policies: no, always, on-failure[:N],
# unless-stopped, deploy.restart_policy; restart counts; a container the
# user stopped or killed is not restarted; the backoff bounds the rate.
# Each container appends a line to a shared volume when it starts, so the
# number of starts is counted from the inside too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

starts() { ccp exec -T keeper sh -c "grep -c '^$1\$' /runs/log 2>/dev/null || true"; }
# a compose file with `keeper` (reads the shared volume) and `svc` with
# the given restart lines and exit code
stack() {
        local restart=$1 code=$2 extra=${3:-}
        compose <<EOF
services:
  keeper:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    volumes: [runs:/runs]
  svc:
    image: busybox:test
    $restart
    command: ["sh", "-c", "echo svc >> /runs/log; $extra exit $code"]
    volumes: [runs:/runs]
volumes:
  runs:
EOF
}
# the restart count stays at N (and the container exited) for a second
settled_at() {
        wait_for 30 is_status svc exited || return 1
        local n; n=$(ctr svc restart_count)
        assert_eq "$n" "$1" "(restart_count)" || return 1
        sleep 1
        assert_eq "$(ctr svc restart_count)" "$1" "(restart_count a second later)" || return 1
        assert_eq "$(ctr svc status)" exited
}

t_no() {
        stack 'restart: "no"' 1
        ccp up -d >/dev/null 2>&1 || return 1
        settled_at 0 || return 1
        assert_eq "$(starts svc)" 1 || return 1
        assert_eq "$(ctr svc exit_code)" 1
}
t_default_is_no() {
        stack '' 1
        ccp up -d >/dev/null 2>&1 || return 1
        settled_at 0
}
t_always() {
        stack 'restart: always' 0
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 restarts_at_least svc 3 || return 1
        [ "$(starts svc)" -ge 3 ] || fail "fewer than 3 starts seen inside"
}
t_on_failure_max() {
        stack 'restart: on-failure:2' 1
        ccp up -d >/dev/null 2>&1 || return 1
        settled_at 2 || return 1
        assert_eq "$(starts svc)" 3 "(1 start + 2 restarts)" || return 1
        assert_eq "$(ctr svc exit_code)" 1 || return 1
        local ps; ps=$(ccp ps -a svc)
        assert_contains "$ps" "Exited (1)"
}
t_on_failure_success() {
        stack 'restart: on-failure' 0
        ccp up -d >/dev/null 2>&1 || return 1
        settled_at 0 || return 1
        assert_eq "$(starts svc)" 1
}
t_on_failure_unlimited() {
        stack 'restart: on-failure' 3
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 restarts_at_least svc 3
}
t_unless_stopped() {
        stack 'restart: unless-stopped' 0
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 restarts_at_least svc 2
}
t_deploy_policy() {
        compose <<'EOF'
services:
  keeper:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    volumes: [runs:/runs]
  svc:
    image: busybox:test
    deploy:
      restart_policy:
        condition: on-failure
        max_attempts: 1
    command: ["sh", "-c", "echo svc >> /runs/log; exit 5"]
    volumes: [runs:/runs]
volumes:
  runs:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        settled_at 1 || return 1
        assert_eq "$(starts svc)" 2
}
t_restart_count_in_state() {
        # every restart is a new process of the same container
        stack 'restart: always' 0 'sleep 0.2;'
        ccp up -d >/dev/null 2>&1 || return 1
        local id; id=$(ctr svc id)
        wait_for 30 restarts_at_least svc 2 || return 1
        assert_eq "$(ctr svc id)" "$id" "(same container)" || return 1
        assert_eq "$(jq '[.containers[] | select(.service == "svc")] | length' "$STATE")" 1
}
long_always() {
        compose <<'EOF'
services:
  svc:
    image: busybox:test
    restart: always
    init: true
    command: ["sleep", "1000"]
EOF
}
t_user_stop() {
        long_always
        ccp up -d >/dev/null 2>&1 || return 1
        ccp stop -t 1 svc >/dev/null 2>&1 || return 1
        assert_eq "$(ctr svc status)" exited || return 1
        sleep 1
        assert_eq "$(ctr svc status)" exited "(restarted after stop)" || return 1
        assert_eq "$(ctr svc restart_count)" 0 || return 1
        ccp start svc >/dev/null 2>&1 || return 1
        assert_eq "$(ctr svc status)" running
}
t_user_kill() {
        long_always
        ccp up -d >/dev/null 2>&1 || return 1
        ccp kill svc >/dev/null 2>&1 || return 1
        wait_for 30 is_status svc exited || return 1
        sleep 1
        assert_eq "$(ctr svc status)" exited "(restarted after kill)" || return 1
        assert_eq "$(ctr svc exit_code)" 137
}
t_crash_is_restarted() {
        # killed from outside (not through ccompose): always restarts it
        long_always
        ccp up -d >/dev/null 2>&1 || return 1
        local pid; pid=$(ctr svc pid)
        kill -9 "$pid"
        wait_for 30 restarts_at_least svc 1 || return 1
        wait_for 30 is_status svc running || return 1
        [ "$(ctr svc pid)" != "$pid" ] || fail "same pid"
}
t_backoff() {
        # a container that exits at once: restarted, but not in a tight
        # loop (first restart at once, then a doubling delay): at most ~8
        # restarts in 3 s, whatever the speed of the machine
        stack 'restart: always' 1
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 restarts_at_least svc 2 || return 1
        sleep 3
        local n; n=$(ctr svc restart_count)
        [ "$n" -le 8 ] || fail "$n restarts in about 3 s: no backoff"
}
t_restarting_down() {
        # down while a container waits for its next restart
        stack 'restart: always' 1
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 restarts_at_least svc 3 || return 1
        local out; out=$(ccp down -t 1 2>&1) || { fail "down: $out"; return 1; }
        assert_clean
}

run_cases \
        "restart: no:t_no" \
        "no restart policy:t_default_is_no" \
        "restart: always:t_always" \
        "on-failure:2 gives up after 2 restarts:t_on_failure_max" \
        "on-failure: exit 0 is not restarted:t_on_failure_success" \
        "on-failure without a maximum:t_on_failure_unlimited" \
        "unless-stopped:t_unless_stopped" \
        "deploy.restart_policy:t_deploy_policy" \
        "restarts keep the container, count in state:t_restart_count_in_state" \
        "a user stop is not restarted:t_user_stop" \
        "a user kill is not restarted:t_user_kill" \
        "a crash is restarted:t_crash_is_restarted" \
        "backoff bounds the restart rate:t_backoff" \
        "down of a restarting container:t_restarting_down"

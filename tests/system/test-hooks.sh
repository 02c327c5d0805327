#!/bin/bash
# Lifecycle hooks, as docker compose runs them: post_start and pre_stop
# commands run inside the container as `exec` does (the container's
# configured environment plus the hook's, its user unless the hook names
# one, the hook's working_dir). post_start has run when the container is
# reported Started; a failing one fails the start with docker compose's
# message. pre_stop runs before the stop signal on stop, restart and down,
# and not when the container exits on its own. Busybox images, no network.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=cchk
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

DATA=$TMP/data
mkdir -p "$DATA"
chmod 777 "$DATA"

# app runs as user app (1000) and waits for the file its post_start writes
t_post_start() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    user: "1000"
    environment:
      SVC_VAR: from-service
    command: ["sh", "-c", "while [ ! -f /tmp/hook/ready ]; do sleep 0.1; done; echo app saw: \$\$(cat /tmp/hook/ready); exec sleep 1000"]
    post_start:
      - command: ["sh", "-c", "mkdir -p /tmp/hook && chmod 777 /tmp/hook && cd /tmp/hook && echo \"uid=\$\$(id -u) var=\$\$HOOK_VAR svc=\$\$SVC_VAR\" > ready && chmod 644 ready"]
        user: root
      - command: ["sh", "-c", "echo \"uid=\$\$(id -u) pwd=\$\$(pwd) var=\$\$HOOK_VAR svc=\$\$SVC_VAR\" > /tmp/hook/second"]
        working_dir: /tmp/hook
        environment:
          HOOK_VAR: from-hook
          SVC_VAR: overridden
EOF
        local out rc
        out=$(ccp up -d 2>&1); rc=$?
        assert_eq "$rc" 0 "(up -d: $out)" || return 1
        assert_contains "$out" "Started" || return 1
        # both hooks have run when up returns (Started comes after them)
        out=$(ccp exec -T app cat /tmp/hook/ready /tmp/hook/second 2>&1) || { fail "hook files: $out"; return 1; }
        assert_eq "$out" "uid=0 var= svc=from-service
uid=1000 pwd=/tmp/hook var=from-hook svc=overridden" || return 1
        # the app saw the file its hook wrote
        wait_for 30 eval 'ccp logs --no-log-prefix app | grep -qx "app saw: uid=0 var= svc=from-service"' || return 1
        # and the hook's environment is not the container's
        assert_eq "$(ccp exec -T app sh -c 'echo "$SVC_VAR ${HOOK_VAR:-unset}"')" "from-service unset"
}

t_post_start_fails() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    post_start:
      - command: ["sh", "-c", "echo first > /tmp/first"]
      - command: ["sh", "-c", "exit 3"]
      - command: ["sh", "-c", "echo never > /tmp/third"]
  web:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    depends_on: [app]
EOF
        local out rc
        out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || fail "up -d succeeded: $out" || return 1
        assert_contains "$out" "app hook exited with status 3" || return 1
        ! grep -q "Container $P-app-1  Started" <<<"$out" || fail "app reported Started: $out" || return 1
        assert_contains "$out" "Container $P-app-1  Error" || return 1
        # the hooks after the failing one do not run; its dependent does not start
        assert_eq "$(ccp exec -T app cat /tmp/first 2>&1)" first || return 1
        ! ccp exec -T app test -e /tmp/third || fail "a hook after the failing one ran" || return 1
        [ "$(ctr web status)" != running ] || fail "web started after its dependency failed: $out"
}

# with a healthcheck too (its first status is set while the container
# starts): up -d and start return once post_start is over, after Started
t_post_start_healthchecked() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
    post_start:
      - command: ["sh", "-c", "sleep 1; echo done >> /tmp/hooked"]
EOF
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        grep -qx " Container $P-app-1  Started" <<<"$out" || fail "no Started line: $out" || return 1
        assert_eq "$(ccp exec -T app cat /tmp/hooked 2>&1)" done "(up -d returned before the hook ended)" || return 1
        ccp stop app >/dev/null 2>&1 || return 1
        out=$(ccp start app 2>&1) || { fail "start: $out"; return 1; }
        grep -qx " Container $P-app-1  Started" <<<"$out" || fail "start: no Started line: $out" || return 1
        assert_eq "$(ccp exec -T app cat /tmp/hooked 2>&1)" "done
done" "(start returned before the hook ended)"
}

# a container that is gone before its post_start ends fails the start as
# docker's exec into a stopped container does
t_post_start_gone() {
        compose <<EOF
services:
  quick:
    image: busybox:test
    network_mode: none
    command: ["true"]
    post_start:
      - command: ["sleep", "5"]
EOF
        local out rc
        out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || fail "up -d succeeded: $out" || return 1
        assert_contains "$out" "Error response from daemon: container $(ctr quick id) is not running"
}

# the service writes "term" when SIGTERM comes; pre_stop writes before it
stopper() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    environment:
      SVC_VAR: from-service
    volumes: ["$DATA:/data"]
    command: ["sh", "-c", "trap 'echo term >> /data/log; exit 0' TERM; while :; do sleep 0.1; done"]
    pre_stop:
      - command: ["sh", "-c", "echo \"pre_stop \$\$SVC_VAR \$\$(id -u)\" >> /data/log"]
        user: "1000"
  once:
    image: busybox:test
    network_mode: none
    volumes: ["$DATA:/data"]
    command: ["true"]
    pre_stop:
      - command: ["sh", "-c", "echo once-pre_stop >> /data/log"]
EOF
}

t_pre_stop_down() {
        stopper
        rm -f "$DATA/log"
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 is_status once exited || return 1
        out=$(ccp down 2>&1) || { fail "down: $out"; return 1; }
        # pre_stop before SIGTERM; nothing for the container that had exited
        assert_eq "$(cat "$DATA/log" 2>&1)" "pre_stop from-service 1000
term"
}

t_pre_stop_stop_restart() {
        stopper
        rm -f "$DATA/log"
        local out
        out=$(ccp up -d app 2>&1) || { fail "up -d: $out"; return 1; }
        out=$(ccp restart app 2>&1) || { fail "restart: $out"; return 1; }
        out=$(ccp stop app 2>&1) || { fail "stop: $out"; return 1; }
        assert_eq "$(cat "$DATA/log" 2>&1)" "pre_stop from-service 1000
term
pre_stop from-service 1000
term" || return 1
        # stopped: down has nothing to stop, and no hook runs
        out=$(ccp down 2>&1) || { fail "down: $out"; return 1; }
        assert_eq "$(grep -c . "$DATA/log")" 4
}

# a failing pre_stop is reported; the container is stopped all the same
t_pre_stop_fails() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    pre_stop:
      - command: ["sh", "-c", "exit 4"]
EOF
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        out=$(ccp stop app 2>&1)
        assert_contains "$out" "app hook exited with status 4" || return 1
        assert_eq "$(ctr app status)" exited
}

# attached up shows the hooks' output under "NAME ->", as docker compose
t_hook_output_attached() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; echo app running; while :; do sleep 0.1; done"]
    post_start:
      - command: ["sh", "-c", "echo hook says hi; echo and to stderr >&2"]
    pre_stop:
      - command: ["echo", "hook says bye"]
EOF
        local log=$TMP/attached.log
        ccp_bg up >"$log" 2>&1 &
        local up=$!
        wait_for 30 file_has "$log" "app running" || { cat "$log"; return 1; }
        kill -INT "$up"
        wait_exit "$up" 60 || return 1
        local out; out=$(cat "$log")
        grep -qE '^app-1 -> *\| hook says hi$' <<<"$out" || fail "no post_start output: $out" || return 1
        grep -qE '^app-1 -> *\| and to stderr$' <<<"$out" || fail "no post_start stderr: $out" || return 1
        grep -qE '^app-1 -> *\| hook says bye$' <<<"$out" || fail "no pre_stop output: $out" || return 1
        # up -d shows none of it
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        assert_not_contains "$out" "hook says"
}

run_cases \
        "post_start: before Started, as its user (root) or the container's, its environment and working_dir:t_post_start" \
        "post_start of a healthchecked service: up -d and start return after it:t_post_start_healthchecked" \
        "a failing post_start fails up with docker compose's message; later hooks and dependents do not run:t_post_start_fails" \
        "post_start in a container that is gone: docker's message:t_post_start_gone" \
        "pre_stop runs before SIGTERM on down, not for a container that exited on its own:t_pre_stop_down" \
        "pre_stop runs on restart and stop:t_pre_stop_stop_restart" \
        "a failing pre_stop is reported, the container still stops:t_pre_stop_fails" \
        "attached up shows the hooks' output under NAME ->:t_hook_output_attached"

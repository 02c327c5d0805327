#!/bin/bash
# exec and healthchecks run with the container's configured environment
# (image Env, environment, env_file), as Docker takes it from the
# container's configuration, never from /proc/PID/environ: redis and nginx
# write their process title over that memory (setproctitle). A static
# program (proctitle.c) does the same here, as the container's process.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccenv
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands gcc

mkdir -p "$TMP/bin"
setup_or_bail gcc -static -O2 -o "$TMP/bin/proctitle" "$SRCDIR/tests/system/proctitle.c"

# a service whose process wrote "redis-server *:6379" over its environ
titled() {
        compose <<EOF
services:
  cache:
    image: busybox:test
    command: ["/x/proctitle", "redis-server *:6379"]
    environment:
      FOO: bar
      EMPTY: ""
    volumes: ["$TMP/bin:/x:ro"]
    healthcheck:
      test: ["CMD-SHELL", "test \"\$\$FOO\" = bar && test -n \"\$\$PATH\""]
      interval: 200ms
      retries: 3
EOF
}

# the title really is over the environment (else the test proves nothing)
environ_overwritten() {
        local pid; pid=$(ctr cache pid)
        [ -n "$pid" ] || { fail "no pid of cache"; return 1; }
        wait_for 10 grep -qa redis-server "/proc/$pid/cmdline" || { fail "no title in /proc/$pid/cmdline"; return 1; }
        ! tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^FOO=' || fail "FOO still in /proc/$pid/environ"
}

t_exec_env() {
        titled
        ccp up -d >/dev/null 2>&1 || return 1
        environ_overwritten || return 1
        local out rc
        out=$(ccp exec -T cache sh -c 'echo "FOO=$FOO PATH=$PATH"' 2>&1); rc=$?
        assert_eq "$rc" 0 "(exec: $out)" || return 1
        assert_eq "$out" "FOO=bar PATH=/usr/sbin:/usr/bin:/sbin:/bin" || return 1
        # -e still wins over the configured value
        out=$(ccp exec -T -e FOO=baz cache sh -c 'echo "$FOO"' 2>&1)
        assert_eq "$out" baz
}

t_health_env() {
        titled
        local out
        out=$(ccp up -d --wait 2>&1) || { fail "up --wait: $out"; return 1; }
        environ_overwritten || return 1
        assert_eq "$(ctr cache health)" healthy
}

# The entrypoint drops from root to app (as the postgres, redis and nginx
# images' entrypoints do): exec runs as the configured user (root), not as
# the uid the main process changed to; HOME is the home of whom exec runs
# as, unless the service sets it.
t_exec_user() {
        compose <<EOF
services:
  db:
    image: busybox:test
    network_mode: none
    command: ["su", "-s", "/bin/sh", "app", "-c", "exec sleep 1000"]
  app:
    image: busybox:test
    network_mode: none
    user: "1000"
    command: ["sleep", "1000"]
  homed:
    image: busybox:test
    network_mode: none
    environment:
      HOME: /data
    command: ["sleep", "1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 10 eval 'grep -q "^Uid:[[:space:]]*1000[[:space:]]" /proc/$(ctr db pid)/status' || return 1
        local q='echo "$(id -u) $HOME"'
        assert_eq "$(ccp exec -T db sh -c "$q" 2>&1)" "0 /root" "(exec into db)" || return 1
        assert_eq "$(ccp exec -T -u app db sh -c "$q" 2>&1)" "1000 /home/app" "(exec -u app)" || return 1
        assert_eq "$(ccp exec -T app sh -c "$q" 2>&1)" "1000 /home/app" "(exec into app, user 1000)" || return 1
        assert_eq "$(ccp exec -T -u root app sh -c "$q" 2>&1)" "0 /root" "(exec -u root into app)" || return 1
        assert_eq "$(ccp exec -T -u app homed sh -c "$q" 2>&1)" "1000 /data" "(a configured HOME stays)"
}

# exec with a terminal (script gives it one) has TERM=xterm, as Docker's
# daemon sets it, unless -e sets it; without a terminal, no TERM
t_exec_tty_term() {
        compose <<EOF
services:
  app:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local cmd="$CCOMPOSE -f $D/compose.yaml -p $P exec"
        local out
        out=$(timeout 30 script -qec "$cmd app sh -c 'echo TERM=\$TERM'" /dev/null </dev/null | tr -d '\r')
        assert_contains "$out" "TERM=xterm" || return 1
        out=$(timeout 30 script -qec "$cmd -e TERM=vt100 app sh -c 'echo TERM=\$TERM'" /dev/null </dev/null | tr -d '\r')
        assert_contains "$out" "TERM=vt100" || return 1
        assert_eq "$(ccp exec -T app sh -c 'echo "TERM=$TERM"')" "TERM="
}

run_cases \
        "exec runs with the configured environment, not the process's:t_exec_env" \
        "a CMD-SHELL healthcheck sees it too (up --wait: healthy):t_health_env" \
        "exec runs as the configured user, not the uid the process dropped to; HOME follows the user:t_exec_user" \
        "exec with a terminal has TERM=xterm unless -e sets it:t_exec_tty_term"

#!/bin/bash
# System tests of the environment variables docker compose reads (issue 17)
# that act on running projects: COMPOSE_IGNORE_ORPHANS and
# COMPOSE_REMOVE_ORPHANS (up), COMPOSE_ANSI (colours of logs),
# COMPOSE_STATUS_STDOUT (where progress lines go). The ones the
# loader and the global options read are config cases (tests/config/cases/
# compose_*_env*).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccshipenv
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
# (the services' sh and sleep as PID 1 ignore SIGTERM: what stops or
# removes them says -t 1, since no case is about the stop timeout)

one() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    network_mode: none
    command: ["sh", "-c", "echo web says hi; sleep 300"]
YAML
}
two() {
        one
        cat >>"$D/compose.yaml" <<'YAML'
  worker:
    image: busybox:test
    network_mode: none
    command: ["sleep", "300"]
YAML
}
t_orphans() {
        two
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 is_status worker running || return 1
        one
        # the default: a warning, the orphan stays
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        assert_contains "$out" "Found orphan containers ([${P}-worker-1])" || return 1
        # COMPOSE_IGNORE_ORPHANS: no warning, the orphan still stays
        out=$(COMPOSE_IGNORE_ORPHANS=true ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        assert_not_contains "$out" "orphan" || return 1
        assert_eq "$(ctr worker status)" running || return 1
        # COMPOSE_REMOVE_ORPHANS=false is no --remove-orphans
        out=$(COMPOSE_REMOVE_ORPHANS=false ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        assert_contains "$out" "Found orphan containers" || return 1
        # COMPOSE_REMOVE_ORPHANS: as --remove-orphans
        out=$(COMPOSE_REMOVE_ORPHANS=1 ccp up -d -t 1 2>&1) || { fail "up -d: $out"; return 1; }
        assert_not_contains "$out" "Found orphan containers" || return 1
        wait_for 30 bash -c "[ -z \"\$(jq -r '.containers[] | select(.service == \"worker\") | .name' '$STATE')\" ]" || return 1
        assert_eq "$(ctr web status)" running
}
t_ansi() {
        one
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 bash -c "'$CCOMPOSE' -f '$D/compose.yaml' -p '$P' logs web | grep -q 'web says hi'" || return 1
        # (NO_COLOR=1 in every test: COMPOSE_ANSI=always wins over it, as --ansi always)
        out=$(COMPOSE_ANSI=always ccp logs web 2>&1) || return 1
        assert_contains "$out" $'\e[' || return 1
        out=$(COMPOSE_ANSI=always ccp --ansi never logs web 2>&1) || return 1
        assert_not_contains "$out" $'\e[' || return 1
        assert_contains "$out" "web says hi"
}

# COMPOSE_STATUS_STDOUT: the progress lines on stdout, stderr without them;
# false (or unset) leaves them on stderr
t_status_stdout() {
        two
        local out err
        out=$(COMPOSE_STATUS_STDOUT=1 ccp up -d 2>"$TMP/err") || { fail "up -d: $(cat "$TMP/err")"; return 1; }
        err=$(cat "$TMP/err")
        assert_contains "$out" " Container $P-web-1  Started" || return 1
        assert_contains "$out" " Container $P-worker-1  Started" || return 1
        assert_not_contains "$err" "Container" || return 1
        out=$(COMPOSE_STATUS_STDOUT=true ccp stop -t 1 worker 2>"$TMP/err") || { fail "stop: $(cat "$TMP/err")"; return 1; }
        assert_contains "$out" " Container $P-worker-1  Stopped" || return 1
        assert_not_contains "$(cat "$TMP/err")" "Container" || return 1
        out=$(COMPOSE_STATUS_STDOUT=false ccp start worker 2>"$TMP/err") || { fail "start: $(cat "$TMP/err")"; return 1; }
        assert_not_contains "$out" "Container" || return 1
        assert_contains "$(cat "$TMP/err")" " Container $P-worker-1  Started" || return 1
        out=$(COMPOSE_STATUS_STDOUT=1 ccp down -t 1 2>"$TMP/err") || { fail "down: $(cat "$TMP/err")"; return 1; }
        assert_contains "$out" " Container $P-web-1  Removed" || return 1
        assert_not_contains "$(cat "$TMP/err")" "Container"
}

run_cases \
        "COMPOSE_IGNORE_ORPHANS and COMPOSE_REMOVE_ORPHANS on up -d:t_orphans" \
        "COMPOSE_ANSI=always colours logs, --ansi wins:t_ansi" \
        "COMPOSE_STATUS_STDOUT: progress on stdout:t_status_stdout"

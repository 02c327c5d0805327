#!/bin/bash
# The examples in examples/ run as their READMEs say: the local image from
# scripts/make-example-images.sh, webapp with `up -d --wait`, restart-demo's
# restart counts, oneshot-job's exit codes with --exit-code-from. Each under
# this test's own project name, leaving nothing behind (no network link of
# the project either: the case wrapper checks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccex
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands ss

EX=$SRCDIR/examples
# the example's compose file instead of $D/compose.yaml
exp() { local ex=$1; shift; timeout -k 5 90 "$CCOMPOSE" -f "$EX/$ex/compose.yaml" -p "$P" "$@"; }

setup_example_image() {
        setup_images || return 1
        local out
        out=$(CCOMPOSE=$CCOMPOSE CCOMPOSE_EXAMPLE_IMAGES=$IMAGES "$SRCDIR/scripts/make-example-images.sh" 2>&1) || { fail "$out"; return 1; }
        cc image inspect ccompose-examples/busybox:latest >/dev/null || return 1
        # idempotent: a second run changes nothing
        local id; id=$(cc image inspect ccompose-examples/busybox:latest | jq -r '.[0].Id')
        out=$(CCOMPOSE=$CCOMPOSE CCOMPOSE_EXAMPLE_IMAGES=$IMAGES "$SRCDIR/scripts/make-example-images.sh" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(cc image inspect ccompose-examples/busybox:latest | jq -r '.[0].Id')" "$id"
}
# Each example case also writes $D/compose.yaml as a copy, so that the
# case wrapper's `down` finds the project.
use() { cp "$EX/$1/compose.yaml" "$D/compose.yaml"; [ ! -d "$EX/$1/html" ] || cp -r "$EX/$1/html" "$D/"; }

t_webapp() {
        use webapp
        local port; port=$(free_port)
        local out rc; out=$(WEB_PORT=$port exp webapp up -d --wait 2>&1); rc=$?
        assert_eq "$rc" 0 "(up -d --wait: $out)" || return 1
        local s
        for s in store web; do
                assert_eq "$(ctr $s status)" running "($s)" || return 1
                assert_eq "$(ctr $s health)" healthy "($s)" || return 1
        done
        assert_eq "$(ctr worker status)" running || return 1
        assert_eq "$(ctr migrate status)" exited || return 1
        assert_eq "$(ctr migrate exit_code)" 0 || return 1
        local ps; ps=$(WEB_PORT=$port exp webapp ps)
        assert_eq "$(tail -n +2 <<<"$ps" | wc -l)" 3 "(ps: $ps)" || return 1
        local logs; logs=$(WEB_PORT=$port exp webapp logs --no-log-prefix)
        assert_contains "$logs" "store ready" || return 1
        assert_contains "$logs" "schema v3 ready" || return 1
        wait_for 30 eval 'WEB_PORT='"$port"' exp webapp logs worker | grep -q "processed job"' || return 1
        out=$(WEB_PORT=$port exp webapp down -v 2>&1) || { fail "down: $out"; return 1; }
        assert_clean
}
t_restart_demo() {
        use restart-demo
        local out; out=$(exp restart-demo up -d 2>&1) || { fail "up: $out"; return 1; }
        wait_for 30 eval 'exp restart-demo logs --no-log-prefix flaky | grep -qx "attempt 3: up and serving"' || { exp restart-demo logs; return 1; }
        assert_eq "$(ctr flaky restart_count)" 2 || return 1
        assert_eq "$(ctr flaky status)" running || return 1
        wait_for 30 is_status crasher exited || return 1
        wait_for 30 eval '[ "$(ctr crasher restart_count)" = 2 ]' || return 1
        sleep 1
        assert_eq "$(ctr crasher restart_count)" 2 "(given up after 2)" || return 1
        assert_eq "$(ctr crasher status)" exited || return 1
        assert_eq "$(ctr crasher exit_code)" 3 || return 1
        # steady: a crash is restarted, a stop is not
        local pid; pid=$(ctr steady pid)
        kill -9 "$pid"
        wait_for 30 restarts_at_least steady 1 || return 1
        wait_for 30 is_status steady running || return 1
        exp restart-demo stop steady >/dev/null 2>&1 || return 1
        sleep 1
        assert_eq "$(ctr steady status)" exited || return 1
        out=$(exp restart-demo down 2>&1) || { fail "down: $out"; return 1; }
        assert_clean
}
t_oneshot_job() {
        use oneshot-job
        local out rc
        out=$(exp oneshot-job up --exit-code-from job 2>&1); rc=$?
        assert_eq "$rc" 0 "(PASS run: $out)" || return 1
        grep -qxF 'job-1  | job: PASS' <<<"$out" || { fail "no PASS line: $out"; return 1; }
        out=$(EXPECTED=1 exp oneshot-job up --exit-code-from job 2>&1); rc=$?
        assert_eq "$rc" 1 "(FAIL run: $out)" || return 1
        grep -qxF 'job-1  | job: FAIL' <<<"$out" || { fail "no FAIL line: $out"; return 1; }
        assert_eq "$(ctr db status)" exited "(db stopped by the abort)" || return 1
        out=$(exp oneshot-job down -v 2>&1) || { fail "down: $out"; return 1; }
        assert_clean
}

plan 4
t "example image (scripts/make-example-images.sh)" setup_example_image
[ "$_T_FAILED" -eq 0 ] || bail_out "the example image could not be made (see the case above)"
c "examples/webapp: up -d --wait, ps, logs, down -v" t_webapp
c "examples/restart-demo: restart counts" t_restart_demo
c "examples/oneshot-job: --exit-code-from" t_oneshot_job
done_testing

#!/bin/bash
# System tests of stopping (issue 11): down and stop take whole dependency
# levels at once, with a supervisor and without one; exit codes of
# containers an earlier supervisor started; the oom event; a down whose
# supervisor was killed leaves no container listed and is finished by the
# CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

pause_seen() {
        ccp pause hog >/dev/null 2>&1 && ccp unpause hog >/dev/null 2>&1
        sleep 0.2
        file_has "$1" '"action":"unpause"'
}
t_oom_event() {
        mkdir -p "$D/ctl"
        compose <<EOF
services:
  hog:
    image: busybox:test
    mem_limit: 8m
    command: ["sh", "-c", "while [ ! -e /ctl/go ]; do sleep 0.1; done; head -c 200m /dev/zero | tail"]
    volumes: ["$D/ctl:/ctl"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 is_status hog running || return 1
        local ev=$TMP/events.out pid
        ( exec timeout 120 "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" events --json >"$ev" 2>&1 ) &
        pid=$!
        # events follows from when it started: make events until it shows one
        wait_for 60 pause_seen "$ev" || { kill "$pid"; return 1; }
        touch "$D/ctl/go"
        wait_for 60 file_has "$ev" '"action":"die"'
        local rc=$?
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        [ "$rc" -eq 0 ] || { cat "$ev"; return 1; }
        assert_eq "$(ctr hog exit_code)" 137 "(OOM-killed)" || return 1
        local actions; actions=$(jq -r .action "$ev" | grep -E '^(oom|die)$' | tr '\n' ' ')
        assert_eq "$actions" "oom die " "(docker emits oom, then die)"
}

run_cases \
        "an OOM kill: an oom event, then die:t_oom_event"

#!/bin/bash
# System tests of `ccompose logs` over the json-file logs the supervisor
# writes: prefixes, --tail, -t, --since/--until, --no-log-prefix, -f
# (new lines, across a restart, ending with the project), partial lines,
# binary output, rotation, and 200000 lines with none lost or reordered.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

log_file() { echo "$CCOMPOSE_ROOT/containers/$(ctr "$1" id)/$(ctr "$1" id)-json.log"; }
logs_have() { ccp logs "$@" 2>/dev/null | grep -q -- "${!#}"; }
# logs_have_line SERVICE TEXT
logs_line() { ccp logs --no-log-prefix "$1" 2>/dev/null | grep -qxF -- "$2"; }

t_basic() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo out line; echo err line >&2"]
  worker:
    image: busybox:test
    command: ["sh", "-c", "echo worker line"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        wait_for 30 is_status worker exited || return 1
        local out; out=$(ccp logs) || return 1
        grep -qxF 'web-1     | out line' <<<"$out" || { fail "logs: $out"; return 1; }
        grep -qxF 'web-1     | err line' <<<"$out" || { fail "logs: $out"; return 1; }
        grep -qxF 'worker-1  | worker line' <<<"$out" || { fail "logs: $out"; return 1; }
        # one service
        out=$(ccp logs worker) || return 1
        assert_eq "$out" "worker-1  | worker line"
}
t_json_file() {
        # Docker's json-file format: log, stream, time
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo out line; echo err line >&2"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        local f; f=$(log_file web)
        [ -f "$f" ] || { fail "no log file $f"; return 1; }
        assert_eq "$(jq -c 'select(.log == "out line\n") | .stream' "$f")" '"stdout"' || return 1
        assert_eq "$(jq -c 'select(.log == "err line\n") | .stream' "$f")" '"stderr"' || return 1
        jq -r .time "$f" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z$' ||
                fail "time field: $(jq -r .time "$f")"
}
numbered() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo web $$i; done"]
  db:
    image: busybox:test
    command: ["sh", "-c", "for i in 1 2 3; do echo db $$i; done"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        wait_for 30 is_status db exited
}
t_tail() {
        numbered || return 1
        local out; out=$(ccp logs --tail 2 --no-log-prefix web) || return 1
        assert_eq "$out" $'web 4\nweb 5' || return 1
        # per container
        out=$(ccp logs --tail=1 --no-log-prefix) || return 1
        assert_eq "$(sort <<<"$out" | tr '\n' ' ')" "db 3 web 5 " || return 1
        out=$(ccp logs -n 0 web) || return 1
        assert_eq "$out" "" || return 1
        out=$(ccp logs --tail all --no-log-prefix web | wc -l) || return 1
        assert_eq "$out" 5
}
t_timestamps() {
        numbered || return 1
        local out; out=$(ccp logs -t web) || return 1
        assert_eq "$(wc -l <<<"$out")" 5 || return 1
        local bad; bad=$(grep -vE '^web-1  \| [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z web [1-5]$' <<<"$out")
        [ -z "$bad" ] || fail "lines without an RFC 3339 nano timestamp: $bad"
}
t_timestamps_per_line() {
        # each line carries the time it was written, not its batch's: also
        # while the supervisor waits for another service to stop
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "while [ ! -e /tmp/go ]; do usleep 20000; done; for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $$i; usleep 100000; done; exec sleep 1000"]
  slow:
    image: busybox:test
    command: ["sh", "-c", "trap '' TERM; while true; do usleep 50000; done"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status slow running || return 1
        ccp exec -T web touch /tmp/go || return 1
        ccp stop -t 2 slow >/dev/null 2>&1 || return 1
        wait_for 30 logs_line web "tick 10" || return 1
        local out; out=$(ccp logs -t --no-log-prefix web) || return 1
        assert_eq "$(grep -c ' tick ' <<<"$out")" 10 || return 1
        # 100 ms apart when written: no two within 50 ms of each other
        awk '{print $1}' <<<"$out" | python3 -c '
import datetime, sys
t = [datetime.datetime.strptime(x[:26], "%Y-%m-%dT%H:%M:%S.%f") for x in sys.stdin.read().split()]
gaps = [(b - a).total_seconds() for a, b in zip(t, t[1:])]
sys.exit(0 if len(set(t)) >= 5 and all(g > 0.05 for g in gaps) else "gaps: %s" % gaps)
' || fail "lines stamped in batches: $out"
}
t_no_log_prefix() {
        numbered || return 1
        local out; out=$(ccp logs --no-log-prefix web) || return 1
        assert_eq "$out" $'web 1\nweb 2\nweb 3\nweb 4\nweb 5'
}
t_since_until() {
        # "early", then (after a mark taken on the host) "late"
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo early; while [ ! -f /ctl/go ]; do sleep 0.05; done; echo late; exec sleep 1000"]
    volumes: [ctl:/ctl]
volumes:
  ctl:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 logs_line web early || return 1
        sleep 0.1
        local mark; mark=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
        sleep 0.1
        ccp exec -T web touch /ctl/go || return 1
        wait_for 30 logs_line web late || return 1
        local out
        out=$(ccp logs --no-log-prefix --since "$mark" web) || return 1
        assert_eq "$out" "late" "(--since $mark)" || return 1
        out=$(ccp logs --no-log-prefix --until "$mark" web) || return 1
        assert_eq "$out" "early" "(--until $mark)" || return 1
        out=$(ccp logs --no-log-prefix --since 1h web) || return 1
        assert_eq "$out" $'early\nlate' "(--since 1h)" || return 1
        out=$(ccp logs --no-log-prefix --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" web) || return 1
        assert_eq "$out" "" "(--since in the future)"
}
t_follow() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo first; while [ ! -f /ctl/go ]; do sleep 0.05; done; echo second; exec sleep 1000"]
    volumes: [ctl:/ctl]
volumes:
  ctl:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 logs_line web first || return 1
        local out=$TMP/follow.out
        ccp_bg logs -f web >"$out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$out" "web-1  | first" || { kill "$pid"; return 1; }
        ccp exec -T web touch /ctl/go || { kill "$pid"; return 1; }
        wait_for 30 file_has "$out" "web-1  | second" || { kill "$pid"; cat "$out"; return 1; }
        alive "$pid" || { fail "logs -f ended while web runs"; return 1; }
        # it ends with the project
        ccp down -t 1 >/dev/null 2>&1 || { kill "$pid"; return 1; }
        wait_exit "$pid" 30 || { kill "$pid"; fail "logs -f still runs after down"; return 1; }
        assert_eq "$(grep -c . "$out")" 2 "($(cat "$out"))"
}
t_follow_restart() {
        # -f keeps following the container across a policy restart
        compose <<'EOF'
services:
  web:
    image: busybox:test
    restart: always
    command: ["sh", "-c", "echo started; while [ ! -f /ctl/crash ]; do sleep 0.05; done; rm /ctl/crash; echo crashing; exit 1"]
    volumes: [ctl:/ctl]
volumes:
  ctl:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 logs_line web started || return 1
        local out=$TMP/follow2.out
        ccp_bg logs -f --no-log-prefix web >"$out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$out" started || { kill "$pid"; return 1; }
        ccp exec -T web touch /ctl/crash || { kill "$pid"; return 1; }
        wait_for 30 file_lines_at_least "$out" '^started$' 2 || { kill "$pid"; cat "$out"; return 1; }
        assert_contains "$(cat "$out")" "crashing" || { kill "$pid"; return 1; }
        alive "$pid" || { fail "logs -f ended at the restart"; return 1; }
        kill "$pid"
        wait "$pid" 2>/dev/null
        return 0
}
t_follow_all_exited() {
        # -f on a project whose containers all exited returns at once
        numbered || return 1
        local out; out=$(ccp logs -f --no-log-prefix web) || return 1
        assert_eq "$(wc -l <<<"$out")" 5
}
t_partial() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "printf 'first half '; sleep 0.5; echo 'second half'; printf 'no newline at exit'"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        local out; out=$(ccp logs --no-log-prefix web) || return 1
        assert_eq "$out" $'first half second half\nno newline at exit'
}
t_binary() {
        # every byte value: the logs stay readable JSON lines, the lines
        # around survive, nothing is cut
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo before; i=0; while [ $$i -lt 256 ]; do [ $$i -ne 10 ] && printf \"\\\\$$(printf %o $$i)\"; i=$$((i+1)); done; echo; echo after"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        local f; f=$(log_file web)
        jq -e . "$f" >/dev/null || { fail "log file is not JSON lines: $(head -c 600 "$f" | od -c | head)"; return 1; }
        assert_eq "$(wc -l <"$f")" 3 "(log entries)" || return 1
        local out; out=$(ccp logs --no-log-prefix web | od -An -c | tr -s ' \n' ' ') || return 1
        assert_contains "$out" "b e f o r e \n" || return 1
        assert_contains "$out" "a f t e r \n" || return 1
        # printable ASCII of the binary line arrives unchanged
        assert_contains "$(ccp logs --no-log-prefix web)" 'ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abc'
}
t_long_line() {
        # a 100 000-byte line is not lost (Docker splits lines over 16 KiB
        # into partial entries that logs joins again)
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' z; echo; echo next"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        local out; out=$(ccp logs --no-log-prefix web) || return 1
        assert_eq "$(printf '%s\n' "$out" | tr -d z | tr '\n' ' ')" " next " "(one line of z's, then next)" || return 1
        assert_eq "$(printf '%s' "$out" | tr -cd z | wc -c)" 100000
}
t_many_lines() {
        # 200000 lines of 64 bytes as fast as the container can write:
        # none lost, none reordered
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["awk", "BEGIN { for (i = 1; i <= 200000; i++) printf \"%063d\\n\", i }"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 is_status web exited || return 1
        local want got
        want=$(awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "%063d\n", i }' | md5sum)
        got=$(ccp logs --no-log-prefix web | md5sum) || return 1
        assert_eq "$(ccp logs --no-log-prefix web | wc -l)" 200000 "(lines)" || return 1
        assert_eq "$got" "$want" "(content)"
}
t_many_lines_attached() {
        # the same through the attached view
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["awk", "BEGIN { for (i = 1; i <= 200000; i++) printf \"%063d\\n\", i }"]
EOF
        local want got
        want=$(awk 'BEGIN { for (i = 1; i <= 200000; i++) printf "%063d\n", i }' | md5sum)
        got=$(ccp up --no-log-prefix 2>/dev/null | grep -E '^[0-9]{63}$' | md5sum)
        assert_eq "$got" "$want"
}
t_rotation() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    logging:
      driver: json-file
      options:
        max-size: 10k
        max-file: "2"
    command: ["awk", "BEGIN { for (i = 1; i <= 2000; i++) printf \"%063d\\n\", i }"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status web exited || return 1
        local f; f=$(log_file web)
        local n; n=$(ls "$f"* | wc -l)
        [ "$n" -le 2 ] || { fail "$n log files: $(ls "$f"*)"; return 1; }
        local sz; sz=$(stat -c %s "$f")
        [ "$sz" -le 20480 ] || { fail "log file of $sz bytes with max-size 10k"; return 1; }
        local out; out=$(ccp logs --no-log-prefix web) || return 1
        # the newest lines are there, in order; the oldest were rotated away
        assert_eq "$(tail -1 <<<"$out")" "$(printf '%063d' 2000)" || return 1
        assert_not_contains "$out" "$(printf '%063d' 1)" || return 1
        local nums; nums=$(sed 's/^0*//' <<<"$out")
        assert_eq "$nums" "$(seq "$(head -1 <<<"$nums")" 2000)" "(a contiguous run up to 2000)"
}
t_logs_after_restart_cmd() {
        # the log of a container survives `restart`
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "echo hello; exec sleep 1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 logs_line web hello || return 1
        ccp restart -t 1 web >/dev/null 2>&1 || return 1
        wait_for 30 eval '[ "$(ccp logs --no-log-prefix web | grep -c "^hello$")" -eq 2 ]'
}

run_cases \
        "logs of every service, prefixed:t_basic" \
        "json-file entries (log, stream, time):t_json_file" \
        "--tail:t_tail" \
        "-t timestamps:t_timestamps" \
        "-t stamps each line when it is read:t_timestamps_per_line" \
        "--no-log-prefix:t_no_log_prefix" \
        "--since and --until:t_since_until" \
        "-f follows new lines, ends with down:t_follow" \
        "-f follows across a restart:t_follow_restart" \
        "-f returns when every container exited:t_follow_all_exited" \
        "partial lines are joined:t_partial" \
        "binary output:t_binary" \
        "a 100000-byte line:t_long_line" \
        "200000 lines, none lost:t_many_lines" \
        "200000 lines attached, none lost:t_many_lines_attached" \
        "rotation by max-size and max-file:t_rotation" \
        "logs survive restart:t_logs_after_restart_cmd"

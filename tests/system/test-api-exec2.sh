#!/bin/bash
# The API service's docker exec runs `__nsexec` in a child of its fork
# server (api-fork.c), not by starting the binary again: a service started
# from a copy of the binary that is then deleted (as by a package upgrade)
# serves docker exec with output, stderr, -i stdin, -t and -it (its
# terminal's size), exit codes (126, 127, 137), the container's seccomp
# filter and capabilities, inspect's Pid and ExitCode. A SIGTERM to the service while execs run (attached, detached,
# just asked for) ends it in bounded time, and no process of those execs
# is left. Debian's docker CLI and raw HTTP (api-exec.py) against it.
# Subnets: 10.213.137.0/24 (--bip); the containers use --network none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands curl
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
EX="$SRCDIR/tests/system/api-exec.py"
export DOCKER_HOST=unix://$SOCK2
C=x2$ID
N=9

plan $N

api_prelude $N "10\.213\.137\." 10.213.137.0/24 "api-exec2"

on_exit api_cleanup
on_exit stop_service2
start_service2 10.213.137.0/24 || bail_out "no service from a copy of the binary"
SVC2=$(cat "$TMP/service2.pid")
rm "$TMP/bin/ccompose"
setup_or_bail "$DOCKER" run -d --network none --name "$C" busybox:test sleep 600

get() { curl -s --unix-socket "$SOCK2" "http://d$1"; }
# a process's start time (field 22 of its stat): with its PID, it names
# that process and no later one of the same PID
started() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }
ppid_of() { awk '{print $4}' "/proc/$1/stat" 2>/dev/null; }
# the container's running execs of `sleep 100`: "EXEC-ID PID" a line
running_sleeps() {
        local e
        for e in $(get "/containers/$C/json" | jq -r '.ExecIDs[]?'); do
                get "/exec/$e/json" | jq -r 'select(.Running and .ProcessConfig.entrypoint == "sleep" and
                        .ProcessConfig.arguments == ["100"]) | "\(.ID) \(.Pid)"'
        done
}

t_binary_gone() {
        local out rc
        [ ! -e "$TMP/bin/ccompose" ] || fail "the copy of the binary is still there" || return 1
        out=$(dk exec "$C" sh -c 'echo out; echo err >&2; exit 3' 2>"$TMP/err"); rc=$?
        assert_eq "$rc" 3 "(exit code of docker exec)" || return 1
        assert_eq "$out" out || return 1
        assert_eq "$(cat "$TMP/err")" err "(stderr of docker exec)" || return 1
        out=$(dk exec -u nobody -w /tmp -e A=b "$C" sh -c 'id -un; pwd; echo $A') || return 1
        assert_eq "$out" "$(printf 'nobody\n/tmp\nb')" "(-u -w -e)"
}

t_stdin() {
        local out
        out=$(printf 'one\ntwo\n' | dk exec -i "$C" sh -c 'wc -l') || return 1
        assert_eq "$(tr -d ' ' <<<"$out")" 2 "(stdin of docker exec -i)" || return 1
        head -c 1000000 /dev/urandom >"$TMP/in"
        out=$(dk exec -i "$C" sha256sum <"$TMP/in") || return 1
        assert_eq "${out%% *}" "$(sha256sum <"$TMP/in" | cut -d' ' -f1)" "(1 MB through stdin)"
}

t_tty() {
        local out rc
        out=$(dk exec -t "$C" sh -c 'tty; exit 4' </dev/null); rc=$?
        assert_eq "$rc" 4 "(exit code of docker exec -t)" || return 1
        assert_contains "$out" /dev/pts/ || return 1
        # -it on a terminal: the typed commands, the terminal's size (resize), exit 5
        /usr/bin/python3 "$EX" "$SOCK2" exec-tty "$DOCKER" "$C"
}

t_exit_codes() {
        local out rc
        out=$(dk exec "$C" no-such-command 2>&1); rc=$?
        assert_eq "$rc" 126 "(a missing command)" || return 1
        assert_contains "$out" "executable file not found" || return 1
        dk exec "$C" /etc 2>/dev/null; rc=$?
        assert_eq "$rc" 126 "(a directory as the command)" || return 1
        dk exec "$C" sh -c 'no-such-command' 2>/dev/null; rc=$?
        assert_eq "$rc" 127 "(sh's command not found)" || return 1
        dk exec "$C" sh -c 'kill -9 $$'; rc=$?
        assert_eq "$rc" 137 "(killed by SIGKILL)"
}

# the exec'd process is confined as its container (docker's default
# seccomp filter, from the cache the container's start filled; its
# capabilities), not with --privileged
t_confined() {
        local s
        s=$(dk exec "$C" cat /proc/self/status) || return 1
        assert_eq "$(awk '$1 == "Seccomp:" {print $2}' <<<"$s")" 2 "(seccomp)" || return 1
        assert_eq "$(awk '$1 == "CapEff:" {print $2}' <<<"$s")" 00000000a80425fb "(capabilities)" || return 1
        assert_contains "$(dk exec "$C" unshare -m true 2>&1)" "Operation not permitted" || return 1
        s=$(dk exec --privileged "$C" cat /proc/self/status) || return 1
        assert_eq "$(awk '$1 == "Seccomp:" {print $2}' <<<"$s")" 0 "(seccomp with --privileged)"
}

# raw HTTP (api-exec.py: framing, stdin, inspect, 404/409/400, detached,
# a client leaving); a detached exec's Pid is the host PID of its
# process, whose __nsexec is a child of the fork server (a child of the
# service), not of the service
t_inspect() {
        local eid pid nsexec out
        /usr/bin/python3 "$EX" "$SOCK2" exec "$C" || return 1
        eid=$(curl -s --unix-socket "$SOCK2" -H 'Content-Type: application/json' -d '{"Cmd": ["sleep", "100"]}' \
                "http://d/containers/$C/exec" | jq -r .Id)
        out=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK2" -H 'Content-Type: application/json' \
                -d '{"Detach": true}' "http://d/exec/$eid/start")
        assert_eq "$out" 200 "(detached start)" || return 1
        for _ in $(seq 1 300); do
                pid=$(get "/exec/$eid/json" | jq -r .Pid)
                [ "${pid:-0}" -gt 0 ] && break
                sleep 0.1
        done
        assert_eq "$(get "/exec/$eid/json" | jq -c '[.Running, .ExitCode]')" "[true,null]" "(inspect of a running exec)" || return 1
        assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 100 " "(the process of inspect's Pid)" || return 1
        nsexec=$(ppid_of "$(ppid_of "$pid")")
        [ "$(ppid_of "$(ppid_of "$nsexec")")" = "$SVC2" ] ||
                fail "__nsexec ($nsexec) is not a child of the fork server: $(ps -o pid,ppid,cmd -p "$nsexec")" || return 1
        echo "$eid $pid" >"$TMP/detached"
}

# SIGTERM to the service while execs run: the detached one of t_inspect,
# an attached one, and some asked for at the same time (marked by their
# environment). The service exits within 30 s; the execs' processes
# (each from its PID up to the fork server, recorded with their start
# times), the fork server and the docker clients are gone, and no
# process of a marked exec is left.
t_stop_during_exec() {
        local pid eid n chain=() p clients=() i left
        dk exec "$C" sleep 100 >/dev/null 2>&1 &
        clients+=($!)
        bg_record "$!"
        for _ in $(seq 1 300); do
                n=$(running_sleeps | awk '$2 > 0' | wc -l)
                [ "$n" -ge 2 ] && break
                sleep 0.1
        done
        assert_eq "$n" 2 "(running execs: the detached one and docker exec's)" || return 1
        while read -r eid pid; do
                [ "$pid" -gt 0 ] || fail "exec $eid has no Pid" || return 1
                # the process, its joiner, __nsexec, the fork server
                for p in "$pid" "$(ppid_of "$pid")" "$(ppid_of "$(ppid_of "$pid")")"; do
                        chain+=("$p:$(started "$p")")
                done
                p=$(ppid_of "$(ppid_of "$(ppid_of "$pid")")")
                chain+=("$p:$(started "$p")")
        done < <(running_sleeps)
        grep -q "$(cut -d' ' -f2 "$TMP/detached"):" <<<"${chain[*]}" || fail "the detached exec is not running: ${chain[*]}" || return 1
        for i in 1 2 3; do
                dk exec -e "EXECMARK=$ID" "$C" sh -c 'sleep 100; :' >/dev/null 2>&1 &
                clients+=($!)
                bg_record "$!"
        done
        kill "$SVC2"
        for _ in $(seq 1 300); do kill -0 "$SVC2" 2>/dev/null || break; sleep 0.1; done
        ! kill -0 "$SVC2" 2>/dev/null || fail "the service did not exit within 30 s of SIGTERM" || return 1
        rm -f "$TMP/service2.pid"
        for _ in $(seq 1 300); do
                left=()
                for p in "${chain[@]}"; do
                        [ -n "${p#*:}" ] && [ "$(started "${p%%:*}")" = "${p#*:}" ] && left+=("${p%%:*}")
                done
                for p in "${clients[@]}"; do kill -0 "$p" 2>/dev/null && left+=("docker-client:$p"); done
                for p in $(grep -l "EXECMARK=$ID" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
                        left+=("marked:$p")
                done
                [ ${#left[@]} -eq 0 ] && break
                sleep 0.1
        done
        [ ${#left[@]} -eq 0 ] || fail "left running after the service stopped: ${left[*]}: $(ps -o pid,ppid,cmd -p "$(tr ' ' '\n' <<<"${left[*]}" | grep -oE '[0-9]+$' | paste -sd,)")"
}

t_nothing_left() {
        local p
        for p in $(api_projects); do cc -p "$p" down -t 0 -v >/dev/null 2>&1 || fail "down of $p" || return 1; done
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(api_links)" "" "(links of API containers)" || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network)" || return 1
        [ -z "$(pgrep -f "$SOCK2")" ] || fail "left running: $(ps -o pid,cmd -p "$(pgrep -d, -f "$SOCK2")")"
}

t "docker exec once the service's binary is deleted: output, stderr, exit code, -u -w -e" t_binary_gone
t "docker exec -i: stdin (lines; 1 MB)" t_stdin
t "docker exec -t; -it on a terminal (its size, exit code)" t_tty
t "exit codes: 126 (missing, not executable), 127 (sh), 137 (SIGKILL)" t_exit_codes
t "confinement: seccomp filter and capabilities; none with --privileged" t_confined
t "raw exec (framing, stdin, inspect, errors, detached); inspect's Pid; __nsexec under the fork server" t_inspect
t "SIGTERM during execs: the service exits, none of their processes is left" t_stop_during_exec
t "nothing left behind (projects, links, bridge, processes)" t_nothing_left
t "service log has no crash" bash -c "! grep -qiE 'sanitizer|segmentation|abort' '$TMP/service2.log'"
done_testing

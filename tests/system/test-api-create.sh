#!/bin/bash
# The API's create answered before the container's supervisor is up
# (issue 16's docker run --rm speed): docker create's container is in
# docker ps -a and inspect at once, and runs with docker start later (also
# after a service restart); docker run --rm keeps its output and exit
# code on both kinds of network; a create whose supervisor cannot come up
# (a pids cgroup with no room for its process) makes the start fail with
# that message, and nothing of it is left (docker ps -a, the project, its
# processes). Subnet: 10.213.133.0/24 (--bip).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"

plan 8

api_prelude 7 "10\.213\.133\." 10.213.133.0/24 "api-create"
on_exit api_cleanup
start_service 10.213.133.0/24

# a second service with no room for another process (t_no_supervisor)
CG=/sys/fs/cgroup/pids/ccompose-test-$ID
SOCK2=$TMP/api2/docker.sock
stop_service2() {
        local pid
        pid=$(cat "$TMP/service2.pid" 2>/dev/null) || return 0
        grep -q "system" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid"
        for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
        rm -f "$TMP/service2.pid"
}
cleanup2() {
        local p
        stop_service2
        [ -d "$CG" ] && echo max >"$CG/pids.max"
        for p in $(cat "$TMP/projects2" 2>/dev/null); do cc -p "$p" down -t 0 -v; done
        [ -d "$CG" ] && rmdir "$CG"
}
on_exit cleanup2

t_create_then_start() {
        local id st out
        id=$(dk create --network none --name made$ID busybox:test sh -c 'echo started; exit 4') || return 1
        # in the list and inspect as soon as create answered
        st=$(dk inspect -f '{{.State.Status}} {{.Id}}' made$ID) || return 1
        assert_eq "$st" "created $id" "(inspect after create)" || return 1
        assert_eq "$(dk ps -a -q --no-trunc --filter name=made$ID)" "$id" "(ps -a)" || return 1
        # its supervisor came up: its command is known
        for _ in $(seq 1 100); do
                out=$(dk ps -a --no-trunc --format '{{.Command}}' --filter name=made$ID)
                [ "$out" = '"sh -c echo started; exit 4"' ] && break
                sleep 0.05
        done
        assert_eq "$out" '"sh -c echo started; exit 4"' "(command)" || return 1
        dk start made$ID >/dev/null || return 1
        assert_eq "$(dk wait made$ID)" 4 "(exit code)" || return 1
        assert_eq "$(dk logs made$ID)" started "(output)"
}

t_start_after_restart() {
        local out
        dk create --network none --name later$ID busybox:test echo later >/dev/null || return 1
        kill "$SVC_PID" || return 1
        for _ in $(seq 1 100); do [ -e "/proc/$SVC_PID" ] || break; sleep 0.05; done
        rm -f "$SOCK"
        start_service 10.213.133.0/24
        bg_record "$SVC_PID" # started in this case's subshell: stopped at the end
        out=$(dk start -a later$ID) || return 1
        assert_eq "$out" later "(output)"
}

# a rename as soon as create answered: the supervisor coming up keeps it
t_rename_at_once() {
        local id
        id=$(dk create --network none --name old$ID busybox:test true) || return 1
        dk rename old$ID new$ID || return 1
        dk start new$ID >/dev/null || return 1
        assert_eq "$(dk wait new$ID)" 0 "(exit code)" || return 1
        assert_eq "$(dk inspect -f '{{.Name}} {{.Id}}' new$ID)" "/new$ID $id" "(inspect)" || return 1
        assert_eq "$(dk ps -a -q --filter name=old$ID)" "" "(the old name is free)"
}

t_run_rm() {
        local out rc net
        for net in none bridge; do
                for _ in 1 2 3; do
                        out=$(dk run --rm --network $net busybox:test sh -c 'echo out; echo err >&2; exit 7' 2>&1); rc=$?
                        assert_eq "$rc" 7 "(exit code, --network $net)" || return 1
                        assert_eq "$(sort <<<"$out" | tr '\n' ' ')" "err out " "(output, --network $net)" || return 1
                done
        done
        assert_eq "$(dk ps -a -q)" "" "(removed)" || return 1
        # its anonymous volume is gone when run returns (down says the
        # removal before it waits for the veths); the rest follows at once
        local before after
        before=$(dk volume ls -q | sort | tr '\n' ' ')
        dk run --rm -v /data busybox:test sh -c 'echo x >/data/f' || return 1
        after=$(dk volume ls -q | sort | tr '\n' ' ')
        assert_eq "$after" "$before" "(the anonymous volume removed)" || return 1
        assert_eq "$(dk ps -a -q)" "" "(removed at once)" || return 1
        for _ in $(seq 1 100); do
                ! ls "$CCOMPOSE_RUNTIME_DIR" | grep -q '^api-' && break
                sleep 0.1
        done
        assert_eq "$(ls "$CCOMPOSE_RUNTIME_DIR" | grep '^api-')" "" "(no project's state left)"
}

# started again as soon as it exited, many times (docker start -a waits
# for the next exit, several in one second): its rootfs overlay is
# unmounted by a thread of the supervisor after its exit (the sync of its
# upper directory waits for the disk), and a start waits for that (an
# overlay refuses an upper directory still in use)
t_start_again() {
        local out i
        out=$(dk run --network none --name again$ID busybox:test sh -c 'echo run >>/count; cat /count | wc -l') || return 1
        assert_eq "$out" 1 "(first run)" || return 1
        for i in 2 3 4 5 6; do
                # (a wait for the next exit that missed it hung here: two
                # runs in one second had one finished_at)
                out=$(timeout -s KILL 60 "$DOCKER" start -a again$ID 2>&1) || { fail "start $i: $out"; return 1; }
                assert_eq "$out" "$i" "(run $i: the writable layer kept)" || return 1
        done
        dk rm again$ID >/dev/null || return 1
}

t_no_supervisor() {
        local out rc cur
        mkdir "$CG" || return 1
        mkdir -p "$TMP/api2"
        # (an ASan build's leak check at the end of the failed create needs
        # a process of its own: none is left there)
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" system service --host "unix://$3" --time 0 --bip 10.213.133.240/28' \
                _ "$CG" "$CCOMPOSE" "$SOCK2" >"$TMP/service2.log" 2>&1 &
        echo $! >"$TMP/service2.pid"
        for _ in $(seq 1 300); do [ -S "$SOCK2" ] && break; sleep 0.05; done
        [ -S "$SOCK2" ] || fail "no second service: $(cat "$TMP/service2.log")" || return 1
        # once through a create (what the service starts on its first one)
        DOCKER_HOST=unix://$SOCK2 dk run --rm --network none busybox:test true || return 1
        # room for one more process: the forked create, not the supervisor
        # it forks (counted once only the service and its fork server are
        # left there: the first create's removal has ended)
        for _ in $(seq 1 200); do [ "$(wc -l <"$CG/cgroup.procs")" = 2 ] && break; sleep 0.05; done
        cur=$(cat "$CG/pids.current")
        echo $((cur + 1)) >"$CG/pids.max"
        # docker create answers; a start a second later fails with why (its
        # container is there until a client was told, or for 5 s)
        DOCKER_HOST=unix://$SOCK2 dk create --network none --name nosuplater$ID busybox:test true >/dev/null || return 1
        sleep 1
        out=$(DOCKER_HOST=unix://$SOCK2 dk start nosuplater$ID 2>&1)
        # (where the limit bites varies with the service's threads, which
        # pids.current counts too: the create's fork of the supervisor, or
        # the supervisor's own start; either way the create's message)
        assert_contains "$out" "nosuplater$ID: creating the container failed: " || return 1
        # its removal over (and its process gone) before the next
        for _ in $(seq 1 200); do
                [ -z "$(api_projects)" ] && [ "$(wc -l <"$CG/cgroup.procs")" = 2 ] && break
                sleep 0.05
        done
        out=$(DOCKER_HOST=unix://$SOCK2 dk run --rm --network none --name nosup$ID busybox:test echo never 2>&1); rc=$?
        ls "$CCOMPOSE_RUNTIME_DIR" | grep '^api-' >"$TMP/projects2"
        echo max >"$CG/pids.max"
        assert_eq "$rc" 125 "(docker run's exit code: $out)" || return 1
        assert_contains "$out" "nosup$ID: creating the container failed: " || return 1
        # nothing left: the container, its project, its processes
        for _ in $(seq 1 200); do
                [ -z "$(DOCKER_HOST=unix://$SOCK2 dk ps -a -q)" ] && [ -z "$(api_projects)" ] && break
                sleep 0.05
        done
        assert_eq "$(DOCKER_HOST=unix://$SOCK2 dk ps -a -q)" "" "(docker ps -a)" || return 1
        assert_eq "$(api_projects)" "" "(projects)" || return 1
        assert_eq "$(cat "$CG/cgroup.procs" | wc -l)" 2 "(processes: the service and its fork server)" || return 1
        stop_service2
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service2.log" || fail "service log: $(cat "$TMP/service2.log")"
}

# the project's keeper (ccompose-init) held up before its exec (here:
# its exits file locked by another process): the project's lock is free
# once create returned, so that a down (or the API's remove) goes on
t_keeper_slow() {
        local dir=$TMP/kp out rc
        mkdir -p "$dir" "$CCOMPOSE_RUNTIME_DIR/fpkeeper$ID"
        printf 'services:\n  a:\n    image: busybox:test\n    network_mode: none\n    command: ["true"]\n' >"$dir/compose.yaml"
        : >"$CCOMPOSE_RUNTIME_DIR/fpkeeper$ID/exits"
        flock -x "$CCOMPOSE_RUNTIME_DIR/fpkeeper$ID/exits" sleep 3 &
        for _ in $(seq 1 100); do [ -e "/proc/$!" ] && break; sleep 0.02; done
        sleep 0.2 # the lock taken
        (cd "$dir" && cc -p fpkeeper$ID create) >/dev/null 2>&1 || return 1
        out=$(cd "$dir" && cc -p fpkeeper$ID down -t 0 2>&1); rc=$?
        wait
        assert_not_contains "$out" "busy" || return 1
        assert_eq "$rc" 0 "(down: $out)" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/fpkeeper$ID" ] || fail "project left: $(ls "$CCOMPOSE_RUNTIME_DIR/fpkeeper$ID")"
}

t_nothing_left() {
        assert_eq "$(dk ps -a -q)" "" "(containers)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        [ -z "$(api_links)" ] || fail "links left: $(api_links)" || return 1
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service.log" || fail "service log: $(cat "$TMP/service.log")"
}

t "docker create: listed and inspected at once, runs with docker start" t_create_then_start
dk rm -f made$ID >/dev/null 2>&1
t "docker create, the service restarted, docker start -a" t_start_after_restart
dk rm -f later$ID >/dev/null 2>&1
t "docker rename just after docker create: the new name kept" t_rename_at_once
dk rm -f old$ID new$ID >/dev/null 2>&1
t "docker run --rm: output and exit code, --network none and bridge" t_run_rm
t "docker start -a at once after each exit: the writable layer kept, no overlay in use" t_start_again
if [ -d /sys/fs/cgroup/pids ] && [ ! -e /sys/fs/cgroup/pids/cgroup.controllers ]; then
        t "a create whose supervisor cannot start: docker run fails with its message, nothing left" t_no_supervisor
else
        skip "a create whose supervisor cannot start" "no cgroup v1 pids hierarchy here"
fi
t "a create's keeper held up: the project's lock is free once create returned" t_keeper_slow
cc -p fpkeeper$ID down -t 0 >/dev/null 2>&1
t "nothing left: containers, projects, links; no crash in the service's log" t_nothing_left
done_testing

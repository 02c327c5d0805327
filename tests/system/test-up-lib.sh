#!/bin/bash
# Shared helpers of the issue-4 system tests (test-up-*.sh): `up`, `down`,
# supervision, logs and the lifecycle commands. Not a test itself: each
# test-up-*.sh file sources lib.sh and then this file.
#
# Every file gets one project ($P) with its compose file in $D. Cases are
# run with `c NAME FUNC`: after FUNC (pass or fail) the project is taken
# down, and the case passes only if FUNC passed AND nothing of the project
# is left: no process in its cgroups, no cgroup, no supervisor, no mount,
# no state directory, no container directory, no FIFO, no network link.
# Whatever a failing case leaves is removed by force (by PID, only
# processes of this test), so that the next case starts clean.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
        echo "1..0 # SKIP test-up-lib.sh is a library for the test-up-*.sh files"
        exit 0
fi

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
# A short project name unique to this run (cgroup paths, container names).
P=${UP_PREFIX:-ccup}$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9' | tail -c 7)
D=$TMP/proj
mkdir -p "$D"
CCOMPOSE_REAL=$(readlink -f "$CCOMPOSE")
# the keeper of a detached supervisor runs ccompose-init, installed beside
# ccompose or in the build tree
KEEPER_REAL=$(dirname "$CCOMPOSE_REAL")/runtime/init/ccompose-init

# The project's ccompose, bounded so that a hang fails the case instead of
# the whole file.
ccp() { timeout -k 5 "${CCP_TIMEOUT:-90}" "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" "$@"; }
# Same, unbounded: for background processes whose PID the case needs.
ccp_bg() { exec "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" "$@"; }

# compose FILE-CONTENT: write the project's compose file from stdin.
compose() { cat >"$D/compose.yaml"; }

STATE=$CCOMPOSE_RUNTIME_DIR/$P/state.json

# ---- polling (never fixed sleeps for a positive condition) ----

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
        local secs=$1; shift
        local end=$((SECONDS + secs))
        while ! "$@" >/dev/null 2>&1; do
                if [ "$SECONDS" -ge "$end" ]; then
                        echo "timed out after ${secs}s waiting for: $*"
                        return 1
                fi
                sleep 0.1
        done
}
# wait_exit PID SECONDS: wait for a background process to end; its exit
# status in $WAIT_RC.
wait_exit() {
        local pid=$1 secs=$2
        wait_for "$secs" _not_alive "$pid" || return 1
        wait "$pid" 2>/dev/null
        WAIT_RC=$?
}
_not_alive() { ! alive "$1"; }

# a TCP port on 127.0.0.1 nobody listens on (the file requires ss)
free_port() {
        local p
        while :; do
                p=$((20000 + RANDOM % 20000))
                ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
        done
}

# ---- state ----

# jstate JQ-FILTER: query state.json.
jstate() { jq -r "$1" "$STATE" 2>/dev/null; }
# ctr SERVICE [N] FIELD: a field of container N (default 1) of SERVICE.
ctr() {
        local svc=$1 n=1 field
        if [ $# -eq 3 ]; then n=$2; field=$3; else field=$2; fi
        jq -r --arg s "$svc" --argjson n "$n" --arg f "$field" \
                '.containers[] | select(.service == $s and .number == $n) | .[$f] // empty' "$STATE" 2>/dev/null
}
sup_pid() { jstate '.supervisor_pid // 0'; }
is_status() { [ "$(ctr "$1" status)" = "$2" ]; }
is_status_n() { [ "$(ctr "$1" "$2" status)" = "$3" ]; }
is_health() { [ "$(ctr "$1" health)" = "$2" ]; }
restarts_at_least() { [ "$(ctr "$1" restart_count)" -ge "$2" ] 2>/dev/null; }
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
file_lines_at_least() { [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
# alive PID: exists and is not a zombie (a dead daemon may wait a while
# for its reaper)
alive() {
        local st
        st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        st=${st##*) }
        [ "${st%% *}" != Z ]
}

# ---- images ----

setup_images() {
        "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || return 1
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || return 1
}

# ---- leftovers ----

# PIDs of ccompose processes of this test (supervisors and their keepers,
# attached `up`s, `logs -f`, health probes): the ccompose binary (or the
# keeper's ccompose-init) with this test's runtime dir in its environment.
our_ccompose_pids() {
        local f p
        # (a binary rebuilt meanwhile shows as "PATH (deleted)")
        for f in $(find /proc/[0-9]*/exe -maxdepth 0 \( -lname "$CCOMPOSE_REAL*" -o -lname "$KEEPER_REAL*" \) 2>/dev/null); do
                p=${f#/proc/}
                p=${p%/exe}
                grep -qzxF "CCOMPOSE_RUNTIME_DIR=$CCOMPOSE_RUNTIME_DIR" "/proc/$p/environ" 2>/dev/null && echo "$p"
        done
        return 0
}
# PIDs in the project's cgroups (any hierarchy).
cgroup_pids() {
        grep -l "/ccompose/$P/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
        return 0
}

# Host network links of the project (bridges, veths): ccompose sets their
# alias to "ccompose <project>@<hash> <name>".
project_links() {
        ip -o link show 2>/dev/null | grep -F "alias ccompose $P@" | awk -F': ' '{print $2}' | sed 's/@.*//'
        return 0
}

assert_clean() {
        local m
        m=$(grep -F " $TMP/" /proc/self/mountinfo | awk '{print $5}') && [ -n "$m" ] && { fail "mounts left: $m"; return 1; }
        m=$(ls -d /sys/fs/cgroup/*/ccompose/"$P" 2>/dev/null) && [ -n "$m" ] && { fail "cgroups left: $m"; return 1; }
        m=$(cgroup_pids) && [ -n "$m" ] && { fail "processes left in the project's cgroups: $m"; return 1; }
        m=$(our_ccompose_pids) && [ -n "$m" ] && { fail "ccompose processes left: $(for x in $m; do tr '\0' ' ' </proc/$x/cmdline; echo; done)"; return 1; }
        [ -e "$CCOMPOSE_RUNTIME_DIR/$P" ] && { fail "state directory left: $(ls -A "$CCOMPOSE_RUNTIME_DIR/$P")"; return 1; }
        if [ -d "$CCOMPOSE_ROOT/containers" ] && [ -n "$(ls -A "$CCOMPOSE_ROOT/containers")" ]; then
                fail "container directories left: $(ls "$CCOMPOSE_ROOT/containers")"; return 1
        fi
        m=$(find "$TMP" -type p 2>/dev/null) && [ -n "$m" ] && { fail "FIFOs left: $m"; return 1; }
        # down -v: the anonymous volumes of the containers go too (named ones
        # only when the compose file down read declares them)
        m=$(ls "$CCOMPOSE_ROOT/volumes" 2>/dev/null | grep -E '^[0-9a-f]{64}$') && [ -n "$m" ] &&
                { fail "anonymous volumes left after down -v: $m"; return 1; }
        m=$(project_links) && [ -n "$m" ] && { fail "network links left: $m"; return 1; }
        return 0
}

# Remove by force whatever a failed case left (only this test's things).
force_clean() {
        local pids d
        [ -f "$D/compose.yaml" ] && timeout -k 5 60 "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" down -v -t 0 >/dev/null 2>&1
        pids=$(our_ccompose_pids)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null
        pids=$(cgroup_pids)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null
        for d in /sys/fs/cgroup/*/ccompose/"$P"; do
                [ -d "$d" ] || continue
                for _ in 1 2 3 4 5 6 7 8 9 10; do
                        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
                        [ -d "$d" ] || break
                        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
                        sleep 0.2
                done
        done
        rmdir /sys/fs/cgroup/*/ccompose 2>/dev/null
        local l
        for l in $(project_links); do ip link del "$l" 2>/dev/null; done
        grep -F " $TMP/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "${CCOMPOSE_RUNTIME_DIR:?}/$P" "${CCOMPOSE_ROOT:?}/containers" "${CCOMPOSE_ROOT:?}/volumes"
        find "$TMP" -type p -delete 2>/dev/null
        return 0
}
on_exit force_clean

# WPID: a case's background watch (ccompose watch, up --watch), ended
# with Ctrl-C (SIGKILL when that does not end it; continued first, if a
# case stopped it) after the case, also one that failed half-way, before
# the down and the leftovers check.
WPID=
end_watch() {
        [ -n "$WPID" ] || return 0
        kill -CONT "$WPID" 2>/dev/null
        kill -INT "$WPID" 2>/dev/null
        wait_exit "$WPID" 30 >/dev/null || kill -9 "$WPID" 2>/dev/null
        WPID=
}

# c NAME FUNC: a case; afterwards `down -v` must leave nothing behind.
c() { local name=$1; shift; t "$name" _case "$@"; }
_case() {
        local rc=0 out
        "$@" || rc=1
        end_watch
        out=$(ccp down -v -t 1 2>&1) || { echo "down after the case failed: $out"; rc=1; }
        assert_clean || rc=1
        [ "$rc" -eq 0 ] || force_clean
        return "$rc"
}

# run_cases "NAME:FUNC"...: the plan, the image setup, every case.
# UP_ONLY=REGEX runs only the cases whose function matches (debugging).
run_cases() {
        if [ -n "${UP_ONLY:-}" ]; then
                local e keep=()
                for e in "$@"; do [[ ${e##*:} =~ $UP_ONLY ]] && keep+=("$e"); done
                set -- "${keep[@]}"
        fi
        plan $(($# + 1))
        t "image setup" setup_images
        [ "$_T_FAILED" -eq 0 ] || bail_out "images could not be set up (see the case above)"
        local entry
        for entry in "$@"; do
                c "${entry%:*}" "${entry##*:}"
        done
        done_testing
}

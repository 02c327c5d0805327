#!/bin/bash
# System test of adoption after a crash in the middle of `up -d` (issue 11):
# the supervisor is killed (-9) while it starts the replicas of a stack,
# with the start of a different container held each time (frozen cgroup,
# below), then `up -d` runs again. Each container must then run exactly
# once: one init process (PID 1 of a pid namespace) in its cgroup, one
# mount namespace, one overlay mount. Before the fix, a container whose
# process had started but whose pid was not yet recorded was started a
# second time, into the same cgroup and over the same upper directory (4
# runs of 9 by hand; every case here).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands jq awk

REPLICAS=6
stack() {
        compose <<EOF
services:
  many:
    image: busybox:test
    init: true
    command: ["sh", "-c", "sleep 1000 & wait"]
    deploy:
      replicas: $REPLICAS
  one:
    image: busybox:test
    command: ["sleep", "1001"]
EOF
}

# Per process of the project's cgroups: "ID NSPID-IN-ITS-NS MNTNS OVERLAY"
# (the device of the overlay at its root, one per overlay mount; "-" when
# none is seen).
ctr_procs() {
        local p id nspid mnt upper
        for p in $(cgroup_pids); do
                id=$(grep -o "/ccompose/$P/[0-9a-f]*" "/proc/$p/cgroup" 2>/dev/null | head -1) || continue
                nspid=$(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null) || continue
                mnt=$(readlink "/proc/$p/ns/mnt" 2>/dev/null) || continue
                upper=$(awk '$5 == "/" && / - overlay / {print $3}' "/proc/$p/mountinfo" 2>/dev/null | head -1)
                echo "${id##*/} $nspid $mnt ${upper:--}"
        done
}

# Every container of the state runs once, and nothing else runs.
check_single() {
        local procs ids id inits mnts uppers n
        procs=$(ctr_procs)
        ids=$(jq -r '.containers[] | select((.one_off // 0) == 0) | .id' "$STATE")
        n=$(wc -w <<<"$ids")
        assert_eq "$n" "$((REPLICAS + 1))" "(containers in the state)" || return 1
        for id in $ids; do
                inits=$(awk -v id="$id" '$1 == id && $2 == 1' <<<"$procs" | wc -l)
                mnts=$(awk -v id="$id" '$1 == id {print $3}' <<<"$procs" | sort -u | wc -l)
                [ "$inits" -eq 1 ] && [ "$mnts" -eq 1 ] ||
                        { fail "container $id: $inits init processes, $mnts mount namespaces: $(grep "^$id" <<<"$procs")"; return 1; }
        done
        # no process outside the containers of the state
        local stray; stray=$(awk '{print $1}' <<<"$procs" | sort -u | grep -vxF "$ids")
        [ -z "$stray" ] || { fail "processes of containers not in the state: $stray"; return 1; }
        # one overlay mount per container, seen by its processes only
        uppers=$(awk '$4 != "-" {print $1, $4}' <<<"$procs" | sort -u | awk '{print $1}' | uniq -d)
        [ -z "$uppers" ] || { fail "containers with two overlay mounts: $uppers"; return 1; }
        uppers=$(awk '$4 != "-" {print $4, $1}' <<<"$procs" | sort -u | awk '{print $1}' | uniq -d)
        [ -z "$uppers" ] || { fail "overlay mounts shared by two containers: $uppers"; return 1; }
        # and every container is up
        assert_eq "$(ccp ps -q | wc -l)" "$((REPLICAS + 1))" "(ps -q)"
}

# ---- holding a start between "process running" and "pid recorded" ----
# A process moved into a frozen cgroup stops before its exec; the
# supervisor waits for that exec, so the start stays in the window where
# the process runs but the state has no pid for it. The cgroups are made
# beforehand (ccompose reuses an existing one), frozen, so a start is held
# every time, at a point the case chooses.

# The hierarchy of ccompose's cgroups with a freezer, as cgroup.h chooses
# it: "DIR v2" when the unified hierarchy offers memory, pids and cpu, else
# "DIR v1" (the freezer hierarchy).
freezer_root() {
        local u c
        if [ "${CCOMPOSE_CGROUP_BACKEND:-}" != v1 ]; then
                for u in /sys/fs/cgroup /sys/fs/cgroup/unified; do
                        c=$(cat "$u/cgroup.controllers" 2>/dev/null) || continue
                        [[ " $c " == *" memory "* && " $c " == *" pids "* && " $c " == *" cpu "* ]] &&
                                { echo "$u v2"; return 0; }
                done
        fi
        [ -d /sys/fs/cgroup/freezer ] && { echo "/sys/fs/cgroup/freezer v1"; return 0; }
        return 1
}
# fz DIR 1|0: freeze or thaw a cgroup (made first when missing).
fz() {
        local dir=$FZ_ROOT/ccompose/$P${1:+/$1}
        mkdir -p "$dir" || return 1
        if [ "$FZ_VER" = v1 ]; then
                echo "$([ "$2" = 1 ] && echo FROZEN || echo THAWED)" >"$dir/freezer.state"
        else
                echo "$2" >"$dir/cgroup.freeze"
        fi
}
# Thaw every cgroup of the project (also when a case fails: a frozen
# process cannot die, and down would wait for it).
thaw_all() {
        local d
        [ -d "$FZ_ROOT/ccompose/$P" ] || return 0
        for d in "$FZ_ROOT/ccompose/$P" "$FZ_ROOT/ccompose/$P"/*/; do
                [ -d "$d" ] || continue
                if [ "$FZ_VER" = v1 ]; then echo THAWED >"$d/freezer.state"; else echo 0 >"$d/cgroup.freeze"; fi
        done 2>/dev/null
        return 0
}
read -r FZ_ROOT FZ_VER < <(freezer_root) || bail_out "no cgroup freezer (v1 freezer hierarchy or v2 with memory, pids, cpu)"
on_exit thaw_all

# ID of a container whose process runs while the state has no pid for it.
unrecorded_start() {
        local id
        for id in $(ctr_procs | awk '{print $1}' | sort -u); do
                [ "$(jq -r --arg id "$id" '.containers[] | select(.id == $id) | .pid // 0' "$STATE" 2>/dev/null)" = 0 ] &&
                        { echo "$id"; return 0; }
        done
        return 1
}
is_unrecorded() { [ "$(unrecorded_start)" = "$1" ]; }

# crash_at K: hold the start of the K-th container of the state (the
# first one the supervisor starts when K is 1; the others run by then),
# kill -9 the supervisor while it waits for that start, thaw, then `up -d`
# again: every container must run exactly once.
crash_at() {
        local k=$1 rc=0
        stack
        fz "" 1 || return 1
        ccp_bg up -d >"$TMP/up.out" 2>&1 &
        _crash_at "$k" $! || rc=1
        thaw_all
        wait_exit "$UP" 60 || { kill -9 "$UP" 2>/dev/null; rc=1; }
        [ "$rc" -eq 0 ] || { sed 's/^/  up: /' "$TMP/up.out"; return 1; }
        local out; out=$(ccp up -d 2>&1) || { fail "up after the crash: $out"; return 1; }
        check_single
}
_crash_at() {
        local k=$1 held target sp
        UP=$2
        # the first start is held by the frozen project
        wait_for 60 unrecorded_start || return 1
        held=$(unrecorded_start)
        target=$held
        if [ "$k" -gt 1 ]; then
                # hold the K-th container of the state instead, let the rest go
                target=$(jq -r --arg h "$held" '[.containers[] | select(.id != $h) | .id][$k - 2]' \
                        --argjson k "$k" "$STATE")
                fz "$target" 1 || return 1
                fz "" 0 || return 1
                wait_for 60 is_unrecorded "$target" || return 1
        fi
        sp=$(sup_pid)
        [ "$sp" -gt 0 ] 2>/dev/null || { fail "no supervisor pid in the state"; return 1; }
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp"
}

cases=()
for k in 1 2 3 4 5 6 7; do
        eval "t_crash_$k() { crash_at $k; }"
        cases+=("kill -9 of the supervisor while the start of container $k of $((REPLICAS + 1)) is held, then up -d, each runs once:t_crash_$k")
done
run_cases "${cases[@]}"

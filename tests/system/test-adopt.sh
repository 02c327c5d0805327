#!/bin/bash
# System test of adoption after a crash in the middle of `up -d` (issue 11):
# the supervisor is killed (-9) while it starts the replicas of a stack,
# at a different point each time, then `up -d` runs again. Each container
# must then run exactly once: one init process (PID 1 of a pid namespace)
# in its cgroup, one mount namespace, its overlay upper directory mounted
# once. Before the fix, a container whose process had started but whose
# pid was not yet recorded was started a second time, into the same cgroup
# and over the same upper directory (4 runs of 9 by hand).
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

# Container directories (ids) whose cgroup holds a process.
started_ids() {
        local p
        for p in $(cgroup_pids); do
                grep -o "/ccompose/$P/[0-9a-f]*" "/proc/$p/cgroup" 2>/dev/null | head -1
        done | sort -u | wc -l
}
at_least_started() { [ "$(started_ids)" -ge "$1" ]; }

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

# The project's cgroup with a freezer: v1 freezer hierarchy or v2.
project_cgroup() {
        local d
        for d in /sys/fs/cgroup/freezer/ccompose/$P /sys/fs/cgroup/ccompose/$P /sys/fs/cgroup/unified/ccompose/$P; do
                [ -f "$d/freezer.state" ] || [ -f "$d/cgroup.freeze" ] || continue
                echo "$d"
                return 0
        done
        return 1
}
# freeze_project 1|0: freeze or thaw the project's cgroup, and with it the
# containers' (new ones too): a process moved into it stops before its
# exec, so its start stays between "process running" and "pid recorded".
freeze_project() {
        local d; d=$(project_cgroup) || { fail "no freezer for the cgroup of project $P"; return 1; }
        if [ -f "$d/freezer.state" ]; then
                echo "$([ "$1" = 1 ] && echo FROZEN || echo THAWED)" >"$d/freezer.state"
        else
                echo "$1" >"$d/cgroup.freeze"
        fi
}
# freeze_at N: freeze the project's cgroup as soon as N containers have a
# cgroup. A tight loop of builtins (no fork, no sleep): starts are quick.
freeze_at() {
        local n=$1 end=$((SECONDS + 60)) d base=""
        local -a dirs
        while [ "$SECONDS" -lt "$end" ]; do
                if [ -z "$base" ]; then
                        for d in /sys/fs/cgroup/freezer/ccompose/$P /sys/fs/cgroup/ccompose/$P /sys/fs/cgroup/unified/ccompose/$P; do
                                [ -f "$d/freezer.state" ] || [ -f "$d/cgroup.freeze" ] && base=$d
                        done
                        continue
                fi
                dirs=("$base"/*/)
                [ -d "${dirs[0]}" ] || dirs=()
                if [ "${#dirs[@]}" -ge "$n" ]; then
                        if [ -f "$base/freezer.state" ]; then echo FROZEN >"$base/freezer.state"; else echo 1 >"$base/cgroup.freeze"; fi
                        return 0
                fi
        done
        fail "the project's cgroup never had $n containers"
}
# A container has a process but the state has no pid for it (yet).
unrecorded_start() {
        local id
        for id in $(ctr_procs | awk '{print $1}' | sort -u); do
                [ "$(jq -r --arg id "$id" '.containers[] | select(.id == $id) | .pid // 0' "$STATE" 2>/dev/null)" = 0 ] &&
                        return 0
        done
        return 1
}

# crash_at K: once K containers have a process, freeze the project's
# cgroup, so that the next start hangs before its exec; kill -9 the
# supervisor while it waits for that start, thaw, then `up -d` again.
crash_at() {
        local k=$1 up sp
        stack
        ccp_bg up -d >"$TMP/up.out" 2>&1 &
        up=$!
        freeze_at "$((k + 1))" || { kill -9 "$up"; cat "$TMP/up.out"; return 1; }
        wait_for 10 unrecorded_start
        local seen=$?
        sp=$(sup_pid)
        [ "$sp" -gt 0 ] 2>/dev/null || { fail "no supervisor pid in the state"; kill -9 "$up"; return 1; }
        kill -9 "$sp"
        wait_for 30 _not_alive "$sp" || return 1
        freeze_project 0 || return 1
        wait_exit "$up" 60 || { kill -9 "$up" 2>/dev/null; return 1; }
        [ "$seen" -eq 0 ] || { fail "no container start was caught before its pid was recorded"; return 1; }
        local out; out=$(ccp up -d 2>&1) || { fail "up after the crash: $out"; return 1; }
        check_single
}

cases=()
for k in 0 1 2 3 4 5 6; do
        eval "t_crash_${#cases[@]}() { crash_at $k; }"
        cases+=("kill -9 of the supervisor while container $((k + 1)) starts, then up -d, each runs once:t_crash_${#cases[@]}")
done
run_cases "${cases[@]}"

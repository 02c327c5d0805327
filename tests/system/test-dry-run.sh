#!/bin/bash
# --dry-run (issue 17): the commands that change state print what they
# would do, in docker compose's dry-run style (" DRY-RUN MODE -  Container
# x-web-1  Created"), and change nothing: the files under the state
# directories, the containers' processes, cgroups, mounts, network links
# and nft tables are the same before and after. The commands that cannot
# say beforehand what they would do refuse the flag.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands nft
UP_PREFIX=ccshipdry
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

DRY=" DRY-RUN MODE - "

stack() {
        compose <<'YAML'
services:
  db:
    image: busybox:test
    command: ["sleep", "300"]
    networks: [back]
  web:
    image: busybox:test
    command: ["sleep", "301"]
    depends_on: [db]
    networks: [back]
networks:
  back:
    ipam:
      config:
        - subnet: 10.213.121.0/24
YAML
}

# network/netlink.c's net_hash(A, ""): FNV-1a over A and a 0 byte
fnv() {
        python3 -c 'import sys
h = 2166136261
for c in sys.argv[1].encode() + b"\0":
    h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$1"
}
# the project's own nft table (sup-net.c: ccompose_p<hash of its owner>)
TABLE=ccompose_p$(fnv "$P@$(fnv "$CCOMPOSE_RUNTIME_DIR")")
# The project's nft rules: its table, and the lines of the others (the
# shared masquerade table) that name its bridges or its subnet; other
# projects' tables come and go meanwhile.
project_nft() {
        local rules
        rules=$(nft list ruleset 2>/dev/null)
        nft list tables 2>/dev/null | grep -w -- "$TABLE"
        grep -F -e 10.213.121. $(project_links | sed 's/^/-e /') <<<"$rules"
        return 0
}

# Everything a command could change: the files under the state dirs (type,
# path, size; state.json's content), the project's cgroups, processes,
# mounts, network links and nft rules.
snapshot() {
        find "$CCOMPOSE_ROOT" "$CCOMPOSE_RUNTIME_DIR" -printf '%y %p %s\n' 2>/dev/null | sort
        sha256sum "$STATE" 2>/dev/null
        ls -d /sys/fs/cgroup/*/ccompose/"$P" /sys/fs/cgroup/*/ccompose/"$P"/* 2>/dev/null
        { cgroup_pids; our_ccompose_pids; } | sort -n
        grep -F " $TMP/" /proc/self/mountinfo | awk '{print $5}' | sort
        project_links | sort
        project_nft
}

# dry OUT-VAR ARGS...: run ccompose ARGS (with --dry-run in them), check
# that it succeeded and that the snapshot did not change.
dry() {
        local -n _out=$1
        shift
        local before after
        before=$(snapshot)
        _out=$(ccp "$@" 2>&1) || { fail "ccompose $*: exit $?: $_out"; return 1; }
        after=$(snapshot)
        [ "$before" = "$after" ] || { fail "ccompose $* changed: $(diff <(echo "$before") <(echo "$after"))"; return 1; }
}

# in_order TEXT LINE...: each line is in TEXT, in this order.
in_order() {
        local text=$1 line rest
        shift
        rest=$text
        for line in "$@"; do
                case "$rest" in
                *"$line"*) rest=${rest#*"$line"} ;;
                *) fail "'$line' not in order in: $text"; return 1 ;;
                esac
        done
}

t_fresh() {
        stack
        local out
        dry out --dry-run up -d || return 1
        in_order "$out" "${DRY} Network ${P}_back  Created" "${DRY} Container $P-db-1  Created" \
                "${DRY} Container $P-web-1  Created" "${DRY} Container $P-db-1  Started" \
                "${DRY} Container $P-web-1  Started" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$P" ] || { fail "a state directory was made"; return 1; }
        # create: the containers only; the flag also after the command, as docker compose takes it
        dry out create --dry-run web || return 1
        in_order "$out" "${DRY} Container $P-db-1  Created" "${DRY} Container $P-web-1  Created" || return 1
        assert_not_contains "$out" "Started" || return 1
        # run: its dependencies as up starts them, its network, the one-off container
        dry out --dry-run run --rm web touch /tmp/ran || return 1
        in_order "$out" "${DRY} Network ${P}_back  Created" "${DRY} Container $P-db-1  Created" \
                "${DRY} Container $P-db-1  Started" "${DRY} Container $P-web-run-" "  Created" || return 1
        assert_not_contains "$out" "web-1" || return 1
        dry out run --dry-run --no-deps --name ${P}-one web true || return 1
        assert_eq "$out" "${DRY} Network ${P}_back  Creating
${DRY} Network ${P}_back  Created
${DRY} Container ${P}-one  Creating
${DRY} Container ${P}-one  Created" || return 1
        # nothing to stop, remove or kill
        dry out --dry-run down -v || return 1
        assert_not_contains "$out" "Container" || return 1
        # a missing image would be pulled first
        sed -i 's/image: busybox:test/image: ccshipdry\/missing:1/' "$D/compose.yaml"
        dry out --dry-run pull || return 1
        in_order "$out" "${DRY}db Pulling" "${DRY}db Pulled" || return 1
        dry out --dry-run up -d db || return 1
        in_order "$out" "${DRY}db Pulling" "${DRY}db Pulled" "${DRY} Container $P-db-1  Created" || return 1
}

t_running() {
        stack
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 is_status web running || return 1
        # (the snapshot sees the project's nft rules)
        [ -n "$(project_nft)" ] || { fail "no nft rules of the project in: $(nft list ruleset)"; return 1; }
        dry out --dry-run up -d || return 1
        in_order "$out" "${DRY} Container $P-db-1  Running" "${DRY} Container $P-web-1  Running" || return 1
        assert_not_contains "$out" "Network" || return 1
        dry out --dry-run up -d --force-recreate web || return 1
        in_order "$out" "${DRY} Container $P-db-1  Recreate" "${DRY} Container $P-db-1  Stopping" \
                "${DRY} Container $P-db-1  Removed" "${DRY} Container $P-db-1  Created" \
                "${DRY} Container $P-web-1  Recreate" "${DRY} Container $P-web-1  Started" || return 1
        # stop: dependents first
        dry out --dry-run stop || return 1
        in_order "$out" "${DRY} Container $P-web-1  Stopping" "${DRY} Container $P-web-1  Stopped" \
                "${DRY} Container $P-db-1  Stopping" "${DRY} Container $P-db-1  Stopped" || return 1
        dry out --dry-run restart web || return 1
        in_order "$out" "${DRY} Container $P-web-1  Stopped" "${DRY} Container $P-web-1  Started" || return 1
        dry out --dry-run kill db || return 1
        in_order "$out" "${DRY} Container $P-db-1  Killing" "${DRY} Container $P-db-1  Killed" || return 1
        assert_not_contains "$out" "web-1" || return 1
        dry out --dry-run pause || return 1
        in_order "$out" "${DRY} Container $P-db-1  Paused" "${DRY} Container $P-web-1  Paused" || return 1
        dry out --dry-run unpause || return 1
        assert_not_contains "$out" "Unpaus" || return 1
        dry out --dry-run rm -f || return 1
        assert_not_contains "$out" "Container" || return 1
        dry out --dry-run rm -s -f web || return 1
        in_order "$out" "${DRY} Container $P-web-1  Stopped" "${DRY} Container $P-web-1  Removed" || return 1
        dry out --dry-run down -v || return 1
        in_order "$out" "${DRY} Container $P-web-1  Stopped" "${DRY} Container $P-db-1  Stopped" \
                "${DRY} Container $P-db-1  Removed" "${DRY} Container $P-web-1  Removed" \
                "${DRY} Network ${P}_back  Removed" || return 1
        # all of it still runs, untouched
        assert_eq "$(ctr db status) $(ctr web status)" "running running" || return 1
        out=$(ccp exec -T web sh -c 'kill -0 1 && echo alive' 2>&1)
        assert_contains "$out" alive
}

t_changed() {
        stack
        local out
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 is_status web running || return 1
        # the web service's configuration changes: only it is recreated
        sed -i 's/"301"/"302"/' "$D/compose.yaml"
        dry out --dry-run up -d || return 1
        in_order "$out" "${DRY} Container $P-db-1  Running" "${DRY} Container $P-web-1  Recreate" \
                "${DRY} Container $P-web-1  Removed" "${DRY} Container $P-web-1  Created" \
                "${DRY} Container $P-web-1  Started" || return 1
        assert_not_contains "$out" "db-1  Recreate" || return 1
        # scaled up and down
        dry out --dry-run up -d --scale web=2 || return 1
        in_order "$out" "${DRY} Container $P-web-2  Creating" "${DRY} Container $P-web-2  Started" || return 1
        dry out --dry-run up -d --scale web=0 || return 1
        in_order "$out" "${DRY} Container $P-web-1  Stopping" "${DRY} Container $P-web-1  Removed" || return 1
        # cp: said, not copied
        echo data >"$TMP/cp-src"
        dry out --dry-run cp "$TMP/cp-src" web:/tmp/cp-dst || return 1
        in_order "$out" "${DRY} Container $P-web-1  Copying" "${DRY} Container $P-web-1  Copied" || return 1
        out=$(ccp exec -T web sh -c 'ls /tmp/cp-dst 2>&1; true')
        assert_contains "$out" "No such file" || return 1
        # on stdout with COMPOSE_STATUS_STDOUT
        out=$(COMPOSE_STATUS_STDOUT=1 ccp --dry-run stop db 2>/dev/null)
        assert_contains "$out" "${DRY} Container $P-db-1  Stopped"
}

t_refused() {
        stack
        local out before after cmd
        out=$(ccp up -d 2>&1) || { fail "up -d: $out"; return 1; }
        wait_for 30 is_status web running || return 1
        before=$(snapshot)
        for cmd in "exec -T web touch /tmp/ran" "image load -i /nonexistent.tar" \
                "image rm busybox:test" "watch" "attach web"; do
                # shellcheck disable=SC2086
                if out=$(ccp --dry-run $cmd 2>&1 </dev/null); then
                        fail "--dry-run $cmd succeeded: $out"
                        return 1
                fi
                assert_contains "$out" "--dry-run is not supported by this command" || return 1
        done
        # after the command too, but not in the command that run and exec run
        out=$(ccp exec --dry-run -T web touch /tmp/ran 2>&1) && { fail "exec --dry-run ran: $out"; return 1; }
        after=$(snapshot)
        [ "$before" = "$after" ] || { fail "refused commands changed: $(diff <(echo "$before") <(echo "$after"))"; return 1; }
        # run: said, not run; its dependency runs already
        dry out --dry-run run --rm web touch /tmp/ran || return 1
        in_order "$out" "${DRY} Container $P-db-1  Running" "${DRY} Container $P-web-run-" || return 1
        out=$(ccp exec -T web sh -c 'ls /tmp/ran 2>&1; true')
        assert_contains "$out" "No such file" || return 1
        out=$(ccp exec -T web echo --dry-run 2>&1) || { fail "exec echo --dry-run: $out"; return 1; }
        assert_eq "$out" "--dry-run" || return 1
        # reading commands take it and read
        out=$(ccp --dry-run ps --format '{{.Name}}' 2>&1) || { fail "ps: $out"; return 1; }
        assert_contains "$out" "$P-web-1" || return 1
        out=$(ccp --dry-run image ls 2>&1) || { fail "image ls: $out"; return 1; }
        assert_contains "$out" "busybox"
}

run_cases \
        "a new project: up, create, down, pull say what they would do, nothing is made:t_fresh" \
        "a running project: up, stop, restart, kill, pause, unpause, rm, down change nothing:t_running" \
        "a changed service, scale, cp, COMPOSE_STATUS_STDOUT:t_changed" \
        "exec, image load/rm, watch, attach refuse --dry-run; run says; ps and image ls read:t_refused"

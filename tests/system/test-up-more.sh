#!/bin/bash
# System tests of the remaining issue-4 commands: run -d handed to the
# supervisor, depends_on restart: true, events --json, ls, top, wait, rm,
# create. Same harness as the other test-up-*.sh files: after each case
# `down -v` must leave nothing behind.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

two_sleepers() {
        compose <<'EOF2'
services:
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_started
        restart: true
  other:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    depends_on: [db]
EOF2
}

t_run_detached() {
        two_sleepers
        ccp up -d db >/dev/null 2>&1 || return 1
        local sup; sup=$(sup_pid)
        local name; name=$(ccp run -d --no-deps db sh -c 'echo one-off; sleep 1000' 2>/dev/null) || return 1
        [[ $name == "$P-db-run-"* ]] || { fail "printed name: '$name'"; return 1; }
        assert_eq "$(sup_pid)" "$sup" "(the same supervisor owns it)" || return 1
        wait_for 30 eval "[ \"\$(jstate '.containers[] | select(.name==\"$name\") | .status')\" = running ]" || return 1
        assert_eq "$(jstate ".containers[] | select(.name==\"$name\") | .one_off")" 1 || return 1
        wait_for 30 eval "ccp logs db | grep -q one-off"
}

t_run_detached_without_supervisor() {
        two_sleepers
        local name; name=$(ccp run -d --no-deps db sh -c 'sleep 1000' 2>/dev/null) || return 1
        [ "$(sup_pid)" -gt 0 ] || { fail "no supervisor"; return 1; }
        assert_eq "$(jstate '[.containers[] | select(.one_off == 0)] | length')" 0 "(nothing but the one-off runs)" || return 1
        assert_eq "$(jstate ".containers[] | select(.name==\"$name\") | .status")" running
}

t_depends_on_restart_true() {
        two_sleepers
        ccp up -d >/dev/null 2>&1 || return 1
        local web other; web=$(ctr web pid); other=$(ctr other pid)
        ccp restart -t 1 db >/dev/null 2>&1 || return 1
        [ "$(ctr web pid)" != "$web" ] || { fail "web (restart: true) was not restarted"; return 1; }
        assert_eq "$(ctr other pid)" "$other" "(other has no restart: true)"
}

t_events_json() {
        two_sleepers
        ccp_bg events --json >"$TMP/events.out" 2>&1 &
        local ev=$!
        sleep 0.3
        ccp up -d db >/dev/null 2>&1 || { kill "$ev"; return 1; }
        ccp stop -t 1 db >/dev/null 2>&1
        wait_for 30 file_has "$TMP/events.out" '"action":"die"'
        local rc=$?
        kill "$ev"; wait "$ev" 2>/dev/null
        [ $rc -eq 0 ] || { fail "$(cat "$TMP/events.out")"; return 1; }
        local actions; actions=$(jq -r .action "$TMP/events.out" | tr '\n' ' ')
        assert_contains "$actions" "create start" || return 1
        assert_contains "$actions" "die" || return 1
        assert_eq "$(jq -r 'select(.action=="start") | .service' "$TMP/events.out" | head -1)" db || return 1
        assert_eq "$(jq -r 'select(.action=="die") | .attributes.exitCode' "$TMP/events.out" | head -1)" 143
}

t_ls() {
        two_sleepers
        ccp up -d db >/dev/null 2>&1 || return 1
        local out; out=$(ccp ls) || return 1
        assert_contains "$out" "NAME" || return 1
        grep -E "^$P +running\\(1\\)" <<<"$out" >/dev/null || { fail "no running(1) row for $P: $out"; return 1; }
        assert_contains "$(ccp ls --format json)" "\"Name\":\"$P\""
}

t_top() {
        two_sleepers
        ccp up -d db >/dev/null 2>&1 || return 1
        local out; out=$(ccp top db) || return 1
        assert_contains "$out" "$P-db-1" || return 1
        assert_contains "$out" "sleep 1000" || return 1
        assert_contains "$out" "$(ctr db pid)"
}

t_wait() {
        compose <<'EOF2'
services:
  job:
    image: busybox:test
    command: ["sh", "-c", "sleep 0.5; exit 5"]
EOF2
        ccp up -d >/dev/null 2>&1 || return 1
        local out rc; out=$(ccp wait job); rc=$?
        assert_eq "$rc" 5 || return 1
        assert_eq "$out" 5
}

t_rm_stopped_only() {
        two_sleepers
        ccp up -d >/dev/null 2>&1 || return 1
        ccp stop -t 1 other >/dev/null 2>&1 || return 1
        ccp rm -f >/dev/null 2>&1 || return 1
        assert_eq "$(jstate '[.containers[].service] | sort | join(",")')" "db,web" "(only the stopped one went)" || return 1
        ccp rm -f -s web >/dev/null 2>&1 || return 1
        assert_eq "$(jstate '[.containers[].service] | join(",")')" "db"
}

t_create_then_start() {
        two_sleepers
        local out
        out=$(ccp create 2>&1) || { fail "create: $out"; return 1; }
        # one Created line a container, as docker compose prints (it was twice)
        assert_eq "$(grep -c ' Container .*  Created$' <<<"$out")" 3 "Created lines in: $out" || return 1
        assert_eq "$(jstate '[.containers[].status] | unique | join(",")')" created || return 1
        out=$(ccp create 2>&1) || { fail "second create: $out"; return 1; }
        assert_eq "$(grep -c ' Container .*  Created$' <<<"$out")" 3 "second create's Created lines in: $out" || return 1
        ccp start >/dev/null 2>&1 || return 1
        wait_for 30 is_status web running || return 1
        wait_for 30 is_status db running
}

t_anon_volume_lives_with_its_container() {
        compose <<'EOF2'
services:
  counter:
    image: busybox:test
    command: ["sh", "-c", "echo x >> /data/starts; wc -l < /data/starts; sleep 1000"]
    volumes: ["/data"]
EOF2
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status counter running || return 1
        local id; id=$(jstate '.containers[0].id')
        local vols; vols=$(ls "$CCOMPOSE_ROOT/volumes")
        assert_eq "$(wc -l <<<"$vols")" 1 "(one anonymous volume: $vols)" || return 1
        [[ $vols == "${id:0:52}"* ]] || { fail "volume $vols is not named after container $id"; return 1; }
        # a restart of the same container keeps it (its data with it)
        ccp restart counter >/dev/null 2>&1 || return 1
        wait_for 30 is_status counter running || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/volumes")" "$vols" "(the same volume after the restart)" || return 1
        assert_eq "$(wc -l <"$CCOMPOSE_ROOT/volumes/$vols/_data/starts")" 2 "(both starts wrote into it)" || return 1
        # rm -v takes it with the container
        ccp rm -s -v counter >/dev/null 2>&1 || return 1
        [ -z "$(ls -A "$CCOMPOSE_ROOT/volumes")" ] || fail "left after rm -v: $(ls "$CCOMPOSE_ROOT/volumes")"
}

t_image_rm_refuses_an_image_in_use() {
        two_sleepers
        ccp create db >/dev/null 2>&1 || return 1
        local out
        out=$(cc image rm busybox:test 2>&1) && { fail "image rm succeeded: $out"; return 1; }
        assert_contains "$out" "container $P-db-1 is using its referenced image" || return 1
        cc image inspect busybox:test >/dev/null 2>&1 || fail "the image is gone"
}

run_cases \
        "run -d: the one-off is handed to the supervisor:t_run_detached" \
        "run -d with no supervisor starts one:t_run_detached_without_supervisor" \
        "depends_on restart: true restarts the dependent:t_depends_on_restart_true" \
        "events --json:t_events_json" \
        "ls:t_ls" \
        "top:t_top" \
        "wait returns the exit code:t_wait" \
        "rm removes stopped containers, -s stops first:t_rm_stopped_only" \
        "create, then start:t_create_then_start" \
        "an anonymous volume lives with its container; rm -v removes it:t_anon_volume_lives_with_its_container" \
        "image rm refuses an image a container uses:t_image_rm_refuses_an_image_in_use"

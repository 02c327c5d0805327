#!/bin/bash
# System tests of `up` as a declarative, idempotent command and of `down`:
# unchanged services left alone, changed ones recreated (named volumes
# survive), --force-recreate, --no-recreate, --scale and deploy.replicas,
# orphans, down in reverse order, down -v, down -t.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# web and db, web's command as given
stack() {
        compose <<EOF
services:
  web:
    image: busybox:test
    init: true
    command: ["sh", "-c", "${1:-echo v1}; cat /data/seen 2>/dev/null; date >> /data/seen; exec sleep 1000"]
    volumes: [data:/data]
    depends_on: [db]
  db:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
volumes:
  data:
EOF
}
ids() { jq -r '[.containers[] | "\(.name)=\(.id)/\(.pid)"] | sort | join(" ")' "$STATE"; }

t_idempotent() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local before; before=$(ids)
        local out; out=$(ccp up -d 2>&1) || { fail "second up: $out"; return 1; }
        assert_eq "$(ids)" "$before" "(same containers, same processes)" || return 1
        grep -qxF " Container $P-web-1  Running" <<<"$out" || { fail "no Running line: $out"; return 1; }
        assert_not_contains "$out" "Recreate" || return 1
        alive "$(ctr web pid)" || fail "web's process is gone"
}
t_idempotent_attached_then_detached() {
        # the supervisor stays (re-executed in place), and so do the containers
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local before sup; before=$(ids); sup=$(sup_pid)
        ccp up -d >/dev/null 2>&1 || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ids)" "$before" || return 1
        alive "$(sup_pid)" || { fail "no supervisor"; return 1; }
        assert_eq "$(sup_pid)" "$sup" "(the supervisor)" || return 1
        # exactly one supervisor of the project runs, with its keeper
        local n; n=$(our_ccompose_pids | wc -l)
        assert_eq "$n" 2 "(supervisor and keeper running: $(our_ccompose_pids | tr '\n' ' '))"
}
t_changed_recreated() {
        stack "echo v1"
        ccp up -d >/dev/null 2>&1 || return 1
        local web db; web=$(ctr web id); db=$(ctr db id)
        local dbpid; dbpid=$(ctr db pid)
        wait_for 30 eval 'ccp logs web | grep -q v1' || return 1
        stack "echo v2"
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        grep -qxF " Container $P-web-1  Recreate" <<<"$out" || { fail "no Recreate line: $out"; return 1; }
        [ "$(ctr web id)" != "$web" ] || { fail "web not recreated"; return 1; }
        assert_eq "$(ctr db id)" "$db" "(db unchanged)" || return 1
        assert_eq "$(ctr db pid)" "$dbpid" "(db's process untouched)" || return 1
        assert_eq "$(ctr web status)" running || return 1
        # the old container is gone, the named volume kept its data
        assert_eq "$(ls "$CCOMPOSE_ROOT/containers" | grep -c "$web")" 0 "(old container directory)" || return 1
        # (moved aside at once, its files deleted by a thread of the
        # supervisor meanwhile)
        wait_for 30 eval '[ "$(ls -A "$CCOMPOSE_ROOT/containers" | grep -c "$web")" = 0 ]' || return 1
        wait_for 30 eval 'ccp logs web | grep -q v2' || return 1
        assert_eq "$(ccp exec -T web sh -c 'wc -l < /data/seen')" 2 "(volume data survived)"
}
t_force_recreate() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local web db; web=$(ctr web id); db=$(ctr db id)
        ccp up -d --force-recreate >/dev/null 2>&1 || return 1
        [ "$(ctr web id)" != "$web" ] || { fail "web not recreated"; return 1; }
        [ "$(ctr db id)" != "$db" ] || { fail "db not recreated"; return 1; }
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(jq '.containers | length' "$STATE")" 2 "(containers)"
}
t_no_recreate() {
        stack "echo v1"
        ccp up -d >/dev/null 2>&1 || return 1
        local web; web=$(ctr web id)
        stack "echo v2"
        ccp up -d --no-recreate >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web id)" "$web" || return 1
        assert_eq "$(ctr web status)" running
}
t_restarts_stopped() {
        # up starts an unchanged container that was stopped
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local web; web=$(ctr web id)
        ccp stop -t 1 web >/dev/null 2>&1 || return 1
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web id)" "$web" "(same container)" || return 1
        assert_eq "$(ctr web status)" running
}
t_scale() {
        stack
        ccp up -d --scale web=3 >/dev/null 2>&1 || return 1
        local names; names=$(ccp ps --format json | jq -r .Name | sort | tr '\n' ' ')
        assert_eq "$names" "$P-db-1 $P-web-1 $P-web-2 $P-web-3 " || return 1
        local n
        for n in 1 2 3; do
                assert_eq "$(ctr web $n status)" running "(web-$n)" || return 1
        done
        # scale down removes the highest numbers
        ccp up -d --scale web=1 >/dev/null 2>&1 || return 1
        names=$(ccp ps -a --format json | jq -r .Name | sort | tr '\n' ' ')
        assert_eq "$names" "$P-db-1 $P-web-1 "
}
t_replicas() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
    deploy:
      replicas: 3
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        local n
        for n in 1 2 3; do
                grep -qxF " Container $P-web-$n  Started" <<<"$out" || { fail "web-$n not started: $out"; return 1; }
                assert_eq "$(ctr web $n status)" running || return 1
        done
        assert_eq "$(jq '.containers | length' "$STATE")" 3 || return 1
        # each its own process
        assert_eq "$(jq -r '.containers[].pid' "$STATE" | sort -u | wc -l)" 3
}
t_scale_attached_prefixes() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["echo", "replica"]
    deploy:
      replicas: 2
EOF
        local out; out=$(ccp up 2>&1) || { fail "up: $out"; return 1; }
        grep -qxF 'web-1  | replica' <<<"$out" || { fail "$out"; return 1; }
        grep -qxF 'web-2  | replica' <<<"$out" || fail "$out"
}
t_orphans() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
        local out; out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        assert_contains "$out" "Found orphan containers" || return 1
        assert_contains "$out" "$P-db-1" || return 1
        assert_eq "$(ctr db status)" running "(an orphan is left alone)" || return 1
        out=$(ccp up -d --remove-orphans 2>&1) || { fail "up --remove-orphans: $out"; return 1; }
        assert_eq "$(ctr db status)" "" "(removed)" || return 1
        assert_eq "$(ctr web status)" running
}
t_down_order() {
        # dependents stop first: each service appends its name when it
        # gets SIGTERM
        compose <<'EOF'
x-svc: &svc
  image: busybox:test
  volumes: [shared:/shared]
services:
  front:
    <<: *svc
    command: ["sh", "-c", "trap 'echo front >> /shared/stopped; exit 0' TERM; sleep 1000 & wait"]
    depends_on: [app]
  app:
    <<: *svc
    command: ["sh", "-c", "trap 'echo app >> /shared/stopped; exit 0' TERM; sleep 1000 & wait"]
    depends_on: [db]
  db:
    <<: *svc
    command: ["sh", "-c", "rm -f /shared/stopped; trap 'echo db >> /shared/stopped; exit 0' TERM; sleep 1000 & wait"]
volumes:
  shared:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local vol=$CCOMPOSE_ROOT/volumes/${P}_shared/_data
        [ -d "$vol" ] || { fail "no volume at $vol"; return 1; }
        local out; out=$(ccp down 2>&1) || { fail "down: $out"; return 1; }
        assert_eq "$(tr '\n' ' ' <"$vol/stopped")" "front app db " || return 1
        # progress in the same order
        local f a d
        f=$(grep -nxF " Container $P-front-1  Stopped" <<<"$out" | cut -d: -f1)
        a=$(grep -nxF " Container $P-app-1  Stopping" <<<"$out" | cut -d: -f1)
        d=$(grep -nxF " Container $P-db-1  Stopping" <<<"$out" | cut -d: -f1)
        [ -n "$f" ] && [ -n "$a" ] && [ -n "$d" ] && [ "$f" -lt "$a" ] && [ "$a" -lt "$d" ] || fail "down output order: $out"
}
t_down_removes() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        local out; out=$(ccp down 2>&1) || { fail "down: $out"; return 1; }
        grep -qxF " Container $P-web-1  Removed" <<<"$out" || { fail "no Removed line: $out"; return 1; }
        assert_clean || return 1
        # down again: nothing to do, still fine
        out=$(ccp down 2>&1) || fail "second down: $out"
}
t_volumes_survive_down() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        ccp exec -T web sh -c 'echo keep > /data/kept' || return 1
        ccp down -t 1 >/dev/null 2>&1 || return 1
        [ -f "$CCOMPOSE_ROOT/volumes/${P}_data/_data/kept" ] || { fail "volume removed by down"; return 1; }
        ccp up -d >/dev/null 2>&1 || return 1
        assert_eq "$(ccp exec -T web cat /data/kept)" keep
}
t_down_v() {
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        ccp exec -T web sh -c 'echo keep > /data/kept' || return 1
        local out; out=$(ccp down -v -t 1 2>&1) || { fail "down -v: $out"; return 1; }
        [ ! -e "$CCOMPOSE_ROOT/volumes/${P}_data" ] || { fail "volume left after down -v"; return 1; }
        assert_contains "$out" "Volume ${P}_data  Removed"
}
t_down_timeout() {
        # a container that ignores SIGTERM: down -t 1 kills it after 1 s,
        # not after its 60 s stop_grace_period
        compose <<'EOF'
services:
  stubborn:
    image: busybox:test
    stop_grace_period: 60s
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local out; out=$(CCP_TIMEOUT=30 ccp down -t 1 2>&1) || { fail "down -t 1 did not finish within 30 s: $out"; return 1; }
}
t_stop_grace_period() {
        compose <<'EOF'
services:
  stubborn:
    image: busybox:test
    stop_grace_period: 1s
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local out; out=$(CCP_TIMEOUT=30 ccp stop 2>&1) || { fail "stop: $out"; return 1; }
        assert_eq "$(ctr stubborn exit_code)" 137 "(killed after the grace period)"
}
t_stop_signal() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    stop_signal: SIGUSR1
    command: ["sh", "-c", "trap 'exit 42' USR1; trap 'exit 1' TERM; sleep 1000 & wait"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        ccp stop web >/dev/null 2>&1 || return 1
        assert_eq "$(ctr web exit_code)" 42 "(stop_signal SIGUSR1 was sent)"
}
t_down_without_files() {
        # down -p NAME works from the state when the compose file is gone
        stack
        ccp up -d >/dev/null 2>&1 || return 1
        mv "$D/compose.yaml" "$D/compose.yaml.away"
        local out rc
        out=$(cd "$TMP" && timeout 60 "$CCOMPOSE" -p "$P" down -t 1 2>&1); rc=$?
        mv "$D/compose.yaml.away" "$D/compose.yaml"
        assert_eq "$rc" 0 "($out)" || return 1
        assert_clean
}

run_cases \
        "second up -d leaves running containers alone:t_idempotent" \
        "repeated up -d: one supervisor, same containers:t_idempotent_attached_then_detached" \
        "a changed service alone is recreated, volume kept:t_changed_recreated" \
        "--force-recreate:t_force_recreate" \
        "--no-recreate:t_no_recreate" \
        "up starts a stopped container again:t_restarts_stopped" \
        "--scale web=3 and back to 1:t_scale" \
        "deploy.replicas:t_replicas" \
        "replicas get their own prefixes:t_scale_attached_prefixes" \
        "orphans warned, --remove-orphans:t_orphans" \
        "down stops in reverse dependency order:t_down_order" \
        "down removes everything, twice is fine:t_down_removes" \
        "named volumes survive down/up:t_volumes_survive_down" \
        "down -v removes named volumes:t_down_v" \
        "down -t overrides stop_grace_period:t_down_timeout" \
        "stop_grace_period, then kill (137):t_stop_grace_period" \
        "stop_signal:t_stop_signal" \
        "down -p NAME without the compose file:t_down_without_files"

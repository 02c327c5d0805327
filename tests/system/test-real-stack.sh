#!/bin/bash
# The real stack of issue 12, examples/flask-stack, as a user runs it:
# PostgreSQL 15 (named volume, pg_isready healthcheck), Redis (redis-cli
# ping), a one-shot migration (service_completed_successfully), a Flask app
# (restart: on-failure) and nginx proxying to it by name through the
# container's DNS server on a published port; all from Debian packages
# (scripts/make-stack-image.sh: mmdebstrap, cached in
# /var/cache/ccompose-tests). Skipped when the image cannot be built (no
# cached root filesystem and the Debian mirror out of reach).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccstk
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands curl nft ss
CASES=8
SUB=10.213.70
MIRROR=${CCOMPOSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CCP_TIMEOUT=180

skip_all() {
        plan $CASES
        local i
        for i in $(seq 1 $CASES); do skip "real stack $i" "$1"; done
        exit 0
}
if ip -4 route show | grep -qE "^$SUB\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        skip_all "$SUB.0/24 overlaps a route of this host"
fi
# the root filesystem: cached, else built now (a minute or two) when the
# mirror answers
rootfs=$("$SRCDIR/scripts/make-stack-image.sh" --rootfs-path)
if [ ! -s "$rootfs" ]; then
        curl -sf -m 20 -o /dev/null "$MIRROR/dists/bookworm/InRelease" ||
                skip_all "the Debian mirror $MIRROR is out of reach and no root filesystem is cached"
        out=$("$SRCDIR/scripts/make-stack-image.sh" --rootfs 2>&1) ||
                { plan $CASES; bail_out "mmdebstrap could not build the stack's image: $out"; }
fi

# The example as it is, in the project directory (where the clean-up's
# down finds it), on this test's subnet.
cp -r "$SRCDIR/examples/flask-stack/." "$D/"
cat >>"$D/compose.yaml" <<EOF

networks:
  default:
    ipam:
      config:
        - subnet: $SUB.0/24
EOF
PORT=$(free_port)
export PROXY_PORT=$PORT
VOLUME=${P}_db-data
page() { curl -sf -m 20 "http://127.0.0.1:$PORT/"; }
psql_app() { ccp exec -T db psql -U app -d app -tA -c "$1"; }

t_image() {
        local out
        out=$(CCOMPOSE=$CCOMPOSE "$SRCDIR/scripts/make-stack-image.sh" 2>&1) || { fail "$out"; return 1; }
        cc image inspect ccompose-examples/flask-stack:bookworm >/dev/null
}

t_up() {
        local out rc start=$SECONDS
        out=$(ccp up -d --wait 2>&1); rc=$?
        echo "# up -d --wait: $((SECONDS - start)) s" >&3
        assert_eq "$rc" 0 "(up -d --wait: $out)" || return 1
        local s
        for s in db cache app; do
                assert_eq "$(ctr $s status)/$(ctr $s health)" running/healthy "($s)" || return 1
        done
        assert_eq "$(ctr proxy status)" running || return 1
        assert_eq "$(ctr migrate status)/$(ctr migrate exit_code)" exited/0 "(migrate)" || return 1
        # the volume was initialised on this start
        ccp logs db | grep -q "postgres init done" || fail "no initdb in db's logs"
}

t_page() {
        local one two
        one=$(page) || { fail "no page from nginx on 127.0.0.1:$PORT"; return 1; }
        assert_contains "$one" "items: apples, bread, cheese" || return 1
        two=$(page) || return 1
        local n1 n2
        n1=$(sed -n 's/.*visits: \([0-9]*\);.*/\1/p' <<<"$one")
        n2=$(sed -n 's/.*visits: \([0-9]*\);.*/\1/p' <<<"$two")
        [ -n "$n1" ] && [ "$n2" = $((n1 + 1)) ] || fail "the redis counter did not count: '$one' then '$two'" || return 1
        # nginx logged the request, the app answered it
        ccp logs proxy | grep -q '"GET / HTTP/1.1" 200' || fail "nginx did not log the request"
}

t_exec_psql() {
        local out
        out=$(psql_app "SELECT count(*) FROM items") || { fail "psql: $out"; return 1; }
        assert_eq "$out" 3 || return 1
        out=$(psql_app "INSERT INTO items (name) VALUES ('dates') RETURNING id") || { fail "insert: $out"; return 1; }
        assert_eq "$(head -1 <<<"$out")" 4 || return 1
        assert_contains "$(page)" "items: apples, bread, cheese, dates" || return 1
        # as the configured user (root), not the postgres the entrypoint
        # dropped to; -u postgres with postgres's home
        assert_eq "$(ccp exec -T db sh -c 'echo "$(id -un) $HOME"')" "root /root" || return 1
        assert_eq "$(ccp exec -T -u postgres db sh -c 'echo "$(id -un) $HOME"')" "postgres /var/lib/postgresql"
}

t_restart_on_failure() {
        local pid new
        pid=$(ctr app pid)
        [ -n "$pid" ] && [ "$pid" != 0 ] || { fail "no pid of app"; return 1; }
        kill -9 "$pid"
        wait_for 60 restarts_at_least app 1 || return 1
        wait_for 60 is_status app running || return 1
        new=$(ctr app pid)
        [ "$new" != "$pid" ] || fail "app's pid did not change" || return 1
        # nginx finds the restarted app (by name, through 127.0.0.11)
        wait_for 60 page || return 1
        assert_contains "$(page)" "items: apples, bread, cheese, dates"
}

# postgres' fast shutdown (stop_signal SIGINT) is a clean exit: Exited (0),
# also after a second up -d; start waits for it to be healthy again and the
# app reaches it
t_stop_start_db() {
        local out pid
        # a second up -d leaves the running stack as it is, still its owner's
        pid=$(ctr db pid)
        out=$(ccp up -d --wait 2>&1) || { fail "second up -d --wait: $out"; return 1; }
        assert_eq "$(ctr db pid)" "$pid" "(db after a second up -d)" || return 1
        out=$(ccp stop db 2>&1) || { fail "stop db: $out"; return 1; }
        assert_eq "$(ctr db status)/$(ctr db exit_code)" exited/0 "(db after stop)" || return 1
        ccp logs db | grep -q "database system is shut down" || fail "no clean shutdown in db's logs" || return 1
        out=$(ccp start db 2>&1) || { fail "start db: $out"; return 1; }
        wait_for 60 is_health db healthy || return 1
        wait_for 60 page || return 1
        assert_contains "$(page)" "items: apples, bread, cheese, dates"
}

# down: nothing of the project is left but the named volume
down_leaves_nothing() {
        local out
        out=$(ccp down "$@" 2>&1) || { fail "down $*: $out"; return 1; }
        assert_clean || return 1
        local rules
        rules=$(nft list ruleset 2>/dev/null | grep -E -e "$SUB\." -e "dport $PORT ")
        [ -z "$rules" ] || fail "rules of the project are left: $rules" || return 1
        ! ss -Hltn "sport = :$PORT" | grep -q . || fail "something still listens on $PORT"
}

t_down_up_keeps_data() {
        down_leaves_nothing || return 1
        [ -d "$CCOMPOSE_ROOT/volumes/$VOLUME" ] || fail "the named volume $VOLUME is gone after down" || return 1
        local out
        out=$(ccp up -d --wait 2>&1) || { fail "up -d --wait again: $out"; return 1; }
        ! ccp logs db | grep -q "postgres init done" || fail "initdb ran again on the kept volume" || return 1
        assert_eq "$(psql_app "SELECT name FROM items WHERE id = 4")" dates || return 1
        assert_contains "$(page)" "items: apples, bread, cheese, dates"
}

t_down_v() {
        down_leaves_nothing || return 1
        [ -d "$CCOMPOSE_ROOT/volumes/$VOLUME" ] || fail "the named volume $VOLUME is gone after down" || return 1
        local out
        out=$(ccp up -d --wait 2>&1) || { fail "up -d --wait: $out"; return 1; }
        down_leaves_nothing -v || return 1
        [ ! -e "$CCOMPOSE_ROOT/volumes/$VOLUME" ] || fail "the named volume $VOLUME is left after down -v"
}

exec 3>&1
plan $CASES
t "image (scripts/make-stack-image.sh, import of the cached root filesystem)" t_image
[ "$_T_FAILED" -eq 0 ] || bail_out "the stack's image could not be made (see the case above)"
t "up -d --wait: db, cache and app healthy, migrate exited 0, proxy running" t_up
t "nginx on 127.0.0.1:PORT serves the Flask page from postgres rows and a redis counter" t_page
t "exec db psql reads and writes the database; exec runs as root, -u postgres" t_exec_psql
t "killing the app restarts it (on-failure); nginx finds it again" t_restart_on_failure
t "second up -d, stop db: a clean postgres shutdown is Exited (0); start: healthy again, the app reaches it" t_stop_start_db
t "down, up: the named volume keeps the data, no initdb again" t_down_up_keeps_data
t "down leaves nothing (processes, links, mounts, rules) but the volume; down -v removes it" t_down_v
done_testing

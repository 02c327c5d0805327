#!/bin/bash
# ccompose watch and up --watch (develop.watch): files changed on the host
# are written into the running container (as the service's user, deletions
# included) after a short quiet period, one batch per burst; sync+exec runs
# its command as exec does, restart and sync+restart restart the service;
# ignore/include and editors' temporary files are left out; a restarted
# container keeps being watched; Ctrl-C of watch leaves the stack running,
# of up --watch stops it. Busybox images, no network.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=watch
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands ss curl

SRC=$D/src
WLOG=$TMP/watch.log
WPID=
exec 3>&1 # t_latency's figure, a TAP comment beside the results

# in_ctr SERVICE PATH: the file as the container sees it (through its root)
in_ctr() { cat "/proc/$(ctr "$1" pid)/root$2" 2>/dev/null; }
ctr_has() { [ "$(in_ctr "$1" "$2")" = "$3" ]; }
ctr_lacks() { ! [ -e "/proc/$(ctr "$1" pid)/root$2" ]; }
sync_lines() { grep -c '^Syncing service' "$WLOG"; }

start_watch() {
        : >"$WLOG"
        ccp_bg watch "$@" >"$WLOG" 2>&1 &
        WPID=$!
        wait_for 60 file_has "$WLOG" "Watch enabled" || { cat "$WLOG"; return 1; }
}
stop_watch() {
        [ -n "$WPID" ] || return 0
        kill -INT "$WPID"
        wait_exit "$WPID" 30 || return 1
        WPID=
}

web() { # web ACTION [EXTRA-YAML]: one service watching ./src
        rm -rf "$SRC"; mkdir -p "$SRC"
        compose <<EOF
services:
  web:
    image: busybox:test
    network_mode: none
    user: "1000:1000"
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /tmp/app; while :; do sleep 0.1; done"]
    develop:
      watch:
        - path: ./src
          action: $1
          target: /tmp/app
${2:-}
EOF
}

t_sync() {
        web sync "          ignore: [\"*.tmp\", \"cache/\"]"
        start_watch || return 1
        echo hello >"$SRC/a.txt"
        wait_for 30 ctr_has web /tmp/app/a.txt hello || return 1
        # owned by the service's user
        assert_eq "$(stat -c %u:%g "/proc/$(ctr web pid)/root/tmp/app/a.txt")" "1000:1000" || return 1
        # a new directory, its files, ignored files
        mkdir -p "$SRC/sub/deeper" "$SRC/cache"
        echo x >"$SRC/skip.tmp"; echo c >"$SRC/cache/c.txt"
        echo deep >"$SRC/sub/deeper/d.txt"
        wait_for 30 ctr_has web /tmp/app/sub/deeper/d.txt deep || return 1
        echo more >"$SRC/sub/e.txt"
        wait_for 30 ctr_has web /tmp/app/sub/e.txt more || return 1
        ctr_lacks web /tmp/app/skip.tmp || fail "ignored *.tmp synced" || return 1
        ctr_lacks web /tmp/app/cache || fail "ignored cache/ synced" || return 1
        # deletion of a file and of a directory
        rm "$SRC/a.txt"; rm -r "$SRC/sub"
        wait_for 30 ctr_lacks web /tmp/app/a.txt || return 1
        wait_for 30 ctr_lacks web /tmp/app/sub || return 1
        grep -q '^Syncing service "web" after 1 changes were detected$' "$WLOG" || fail "$(cat "$WLOG")" || return 1
        # a directory moved out of the tree leaves the container and is no
        # longer watched: a write in it is no change of the tree
        mkdir -p "$SRC/moved"; echo m >"$SRC/moved/m.txt"
        wait_for 30 ctr_has web /tmp/app/moved/m.txt m || return 1
        mv "$SRC/moved" "$TMP/moved-away"
        wait_for 30 ctr_lacks web /tmp/app/moved || return 1
        local before; before=$(sync_lines)
        echo elsewhere >"$TMP/moved-away/m.txt"
        echo mark >"$SRC/mark.txt"
        wait_for 30 ctr_has web /tmp/app/mark.txt mark || return 1
        assert_eq "$(sync_lines)" $((before + 1)) "$(cat "$WLOG")" || return 1
        tail -n 1 "$WLOG" | grep -qx 'Syncing service "web" after 1 changes were detected' ||
                fail "the moved-away directory is still watched: $(cat "$WLOG")" || return 1
        stop_watch || return 1
        # Ctrl-C of watch leaves the stack running
        is_status web running || fail "web stopped with watch"
}

t_include_editor() {
        web sync "          include: [\"*.html\"]"
        start_watch || return 1
        echo skip >"$SRC/notes.md"
        # an editor's save: temporary file renamed over the real one, vim's files
        echo v1 >"$SRC/page.html"
        wait_for 30 ctr_has web /tmp/app/page.html v1 || return 1
        local before; before=$(sync_lines)
        python3 - "$SRC" <<'EOF'
import os, sys
d = sys.argv[1]
open(os.path.join(d, ".page.html.swp"), "w").write("swap")
open(os.path.join(d, "page.html~"), "w").write("backup")
with open(os.path.join(d, "page.html.tmp123.html"), "w") as f:
    f.write("v2\n")
os.rename(os.path.join(d, "page.html.tmp123.html"), os.path.join(d, "page.html"))
os.unlink(os.path.join(d, ".page.html.swp"))
EOF
        wait_for 30 ctr_has web /tmp/app/page.html v2 || return 1
        wait_for 10 eval '[ "$(sync_lines)" -gt '"$before"' ]' || return 1
        tail -n 1 "$WLOG" | grep -qx 'Syncing service "web" after 1 changes were detected' ||
                fail "the save was not one change: $(cat "$WLOG")" || return 1
        ctr_lacks web /tmp/app/notes.md || fail "notes.md is not included" || return 1
        ctr_lacks web "/tmp/app/page.html~" || fail "vim backup synced" || return 1
        ctr_lacks web /tmp/app/page.html.tmp123.html || fail "editor temporary synced" || return 1
        stop_watch
}

t_burst() {
        web sync
        start_watch || return 1
        # one process writing as fast as it can, as a checkout does; at a
        # raised priority, so that a busy machine (other tests, builds)
        # does not stop it for longer than the watch's burst quiet period
        # midway, which would make two bursts of it
        nice -n -15 python3 - "$SRC" <<'EOF'
import os, sys
d = sys.argv[1]
for i in range(1000):
    with open(os.path.join(d, "f%04d.txt" % i), "w") as f:
        f.write("%d\n" % i)
EOF
        wait_for 60 ctr_has web /tmp/app/f0999.txt 999 || return 1
        wait_for 10 file_has "$WLOG" "Syncing service" || return 1
        assert_eq "$(sync_lines)" 1 "$(cat "$WLOG")" || return 1
        grep -qx 'Syncing service "web" after 1000 changes were detected' "$WLOG" || fail "$(cat "$WLOG")" || return 1
        assert_eq "$(ls "/proc/$(ctr web pid)/root/tmp/app" | wc -l)" 1000 || return 1
        stop_watch
}

# A file written, held open 50 ms (an editor's fsync) and written again
# before its close is one change, synced complete; so is vim's save
# (the file renamed to its backup, written anew with an fsync, the backup
# removed). The writer at a raised priority, as in t_burst.
t_held_open_write() {
        web sync
        start_watch || return 1
        echo v0 >"$SRC/page.html"
        wait_for 30 ctr_has web /tmp/app/page.html v0 || return 1
        wait_for 10 eval '[ "$(sync_lines)" = 1 ]' || return 1
        nice -n -15 python3 - "$SRC/page.html" <<'EOF'
import sys, time
with open(sys.argv[1], "w") as f:
    f.write("part one,"); f.flush()
    time.sleep(0.05)
    f.write(" part two\n")
EOF
        wait_for 30 ctr_has web /tmp/app/page.html "part one, part two" || return 1
        wait_for 10 eval '[ "$(sync_lines)" -ge 2 ]' || return 1
        nice -n -15 python3 - "$SRC/page.html" <<'EOF'
import os, sys, time
p = sys.argv[1]
os.rename(p, p + "~")
with open(p, "w") as f:
    f.write("saved by vim\n"); f.flush()
    time.sleep(0.05)
    os.fsync(f.fileno())
os.unlink(p + "~")
EOF
        wait_for 30 ctr_has web /tmp/app/page.html "saved by vim" || return 1
        wait_for 10 eval '[ "$(sync_lines)" -ge 3 ]' || return 1
        stop_watch || return 1
        assert_eq "$(sync_lines)" 3 "(each save one sync: $(cat "$WLOG"))"
}

t_initial_sync_restart_survives() {
        web sync "          initial_sync: true"
        echo before >"$SRC/early.txt"
        start_watch || return 1
        wait_for 30 ctr_has web /tmp/app/early.txt before || return 1
        local pid; pid=$(ctr web pid)
        ccp restart web >/dev/null 2>&1 || fail "restart" || return 1
        wait_for 30 eval '[ "$(ctr web pid)" != "'"$pid"'" ] && is_status web running' || return 1
        echo after >"$SRC/late.txt"
        wait_for 30 ctr_has web /tmp/app/late.txt after || return 1
        stop_watch
}

t_sync_exec() {
        web sync+exec "          exec:
            command: sh -c 'echo \"ran as \$\$(id -u) in \$\$(pwd) with \$\$HOW\" >> /tmp/exec.log'
            user: root
            working_dir: /tmp
            environment:
              HOW: watch"
        start_watch || return 1
        echo one >"$SRC/x.txt"
        wait_for 30 ctr_has web /tmp/exec.log "ran as 0 in /tmp with watch" || { cat "$WLOG"; return 1; }
        assert_eq "$(in_ctr web /tmp/app/x.txt)" one || return 1
        stop_watch
}

t_restart_actions() {
        rm -rf "$SRC" "$D/conf"; mkdir -p "$SRC" "$D/conf"
        compose <<EOF
services:
  web:
    image: busybox:test
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    develop:
      watch:
        - path: ./src
          action: sync+restart
          target: /tmp/app
        - path: ./conf
          action: restart
EOF
        start_watch || return 1
        local pid; pid=$(ctr web pid)
        echo cfg >"$D/conf/app.conf"
        wait_for 60 file_has "$WLOG" 'service(s) \["web"\] restarted' || { cat "$WLOG"; return 1; }
        wait_for 30 eval '[ "$(ctr web pid)" != "'"$pid"'" ] && is_status web running' || return 1
        pid=$(ctr web pid)
        : >"$WLOG.before"; cp "$WLOG" "$WLOG.before"
        echo s >"$SRC/s.txt"
        wait_for 60 eval '[ "$(grep -c restarted "$WLOG")" -ge 2 ]' || { cat "$WLOG"; return 1; }
        wait_for 30 eval '[ "$(ctr web pid)" != "'"$pid"'" ] && is_status web running' || return 1
        # synced before the restart; the restarted container has it (same container)
        assert_eq "$(in_ctr web /tmp/app/s.txt)" s || return 1
        stop_watch
}

t_up_watch() {
        web sync
        local log=$TMP/upw.log
        ccp_bg up --watch >"$log" 2>&1 &
        local up=$!
        wait_for 60 file_has "$log" "Watch enabled" || { cat "$log"; return 1; }
        echo live >"$SRC/live.txt"
        wait_for 30 ctr_has web /tmp/app/live.txt live || { cat "$log"; return 1; }
        wait_for 10 file_has "$log" 'Syncing service "web" after 1 changes were detected' || return 1
        kill -INT "$up"
        wait_exit "$up" 60 || return 1
        # up --watch stopped the stack
        wait_for 30 eval '! is_status web running' || return 1
}

# the build context's .dockerignore applies to rules under the context
t_dockerignore() {
        rm -rf "$SRC"; mkdir -p "$SRC/app"
        printf '# comment\n*.log\n**/*.log\napp/secret*\n!app/secret-ok.txt\n' >"$SRC/.dockerignore"
        compose <<EOF
services:
  web:
    image: busybox:test
    build: ./src
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    develop:
      watch:
        - path: ./src/app
          action: sync
          target: /tmp/app
EOF
        start_watch || return 1
        echo l >"$SRC/app/x.log"; echo s >"$SRC/app/secret.txt"; echo ok >"$SRC/app/secret-ok.txt"
        echo last >"$SRC/app/z.txt"
        wait_for 30 ctr_has web /tmp/app/z.txt last || { cat "$WLOG"; return 1; }
        wait_for 30 ctr_has web /tmp/app/secret-ok.txt ok || return 1
        ctr_lacks web /tmp/app/x.log || fail "*.log of .dockerignore synced" || return 1
        ctr_lacks web /tmp/app/secret.txt || fail "app/secret* of .dockerignore synced" || return 1
        stop_watch
}

# (rebuild rules: test-compose-build.sh)
t_no_develop_refused() {
        local out rc
        compose <<EOF
services:
  web:
    image: busybox:test
EOF
        out=$(ccp watch --no-up 2>&1); rc=$?
        [ "$rc" -ne 0 ] && assert_contains "$out" "none of the selected services is configured for watch"
}

# --no-up starts nothing; the services started later are synced (the
# state is read for every batch); --quiet and --prune take docker's
# boolean forms, a bad value is refused as docker's CLI refuses it
t_no_up_flags() {
        web sync
        start_watch --no-up --quiet --prune=false || return 1
        [ -z "$(ctr web pid)" ] || fail "watch --no-up started web" || return 1
        ccp up -d >/dev/null 2>&1 || fail "up -d" || return 1
        wait_for 30 is_status web running || return 1
        echo later >"$SRC/later.txt"
        wait_for 30 ctr_has web /tmp/app/later.txt later || { cat "$WLOG"; return 1; }
        stop_watch || return 1
        local out rc
        out=$(ccp watch --no-up --prune=maybe 2>&1); rc=$?
        [ "$rc" -ne 0 ] || fail "--prune=maybe accepted" || return 1
        assert_contains "$out" 'invalid argument "maybe" for "--prune" flag'
}

# --quiet: no build output (up's first build, the rebuilds); --prune
# (the default): the image a rebuild replaced is gone from the store once
# dangling; --prune=false keeps it, and without --quiet the builder's
# lines show.
image_id() { cc image inspect "$1" 2>/dev/null | jq -r '.[0].Id // empty'; }
rebuilt_from() { local id; id=$(image_id "$P-app"); [ -n "$id" ] && [ "$id" != "$1" ] &&
        [ "$(ctr app image_id)" = "$id" ] && is_status app running; }
build_lines() { grep -c '^#[0-9]' "$WLOG"; }
t_rebuild_quiet_prune() {
        rm -rf "$D/app"; mkdir -p "$D/app"
        echo one >"$D/app/msg.txt"
        printf 'FROM busybox:test\nCOPY msg.txt /msg.txt\nCMD ["sh", "-c", "trap \x27exit 0\x27 TERM; while :; do sleep 0.1; done"]\n' >"$D/app/Dockerfile"
        compose <<EOF
services:
  app:
    build: ./app
    network_mode: none
    develop:
      watch:
        - path: ./app
          action: rebuild
EOF
        start_watch --quiet || return 1
        wait_for 60 is_status app running || { cat "$WLOG"; return 1; }
        local img1; img1=$(image_id "$P-app")
        [ -n "$img1" ] || fail "no image $P-app: $(cat "$WLOG")" || return 1
        echo two >"$D/app/msg.txt"
        wait_for 120 rebuilt_from "$img1" || { cat "$WLOG"; return 1; }
        wait_for 30 eval '[ -z "$(image_id "'"$img1"'")" ]' || fail "the replaced image stayed: $(cat "$WLOG")" || return 1
        # with what only it used: its config blob
        [ ! -e "$CCOMPOSE_ROOT/images/blobs/sha256/${img1#sha256:}" ] || fail "the replaced image's blobs stayed" || return 1
        assert_eq "$(in_ctr app /msg.txt)" two || return 1
        assert_eq "$(build_lines)" 0 "(--quiet: $(cat "$WLOG"))" || return 1
        stop_watch || return 1
        local img2; img2=$(image_id "$P-app")
        start_watch --no-up --prune=false || return 1
        echo three >"$D/app/msg.txt"
        wait_for 120 rebuilt_from "$img2" || { cat "$WLOG"; return 1; }
        [ -n "$(image_id "$img2")" ] || fail "--prune=false removed the replaced image" || return 1
        [ "$(build_lines)" -gt 0 ] || fail "no build output without --quiet: $(cat "$WLOG")" || return 1
        stop_watch || return 1
        cc image rm "$img2" >/dev/null
}

# The kernel's event queue overflows (IN_Q_OVERFLOW) while the watch is
# stopped: the rescan syncs every file, in one batch, and removes from the
# container what was deleted on the host meanwhile (deletions whose events
# were lost): a file there when the watch started, a file and a directory
# tree made while it watched; a file only the container has (not from the
# host) stays. The queue's size is taken when the watch starts: lowered
# for that moment, restored at once (and at exit, whatever happens).
QUEUED=/proc/sys/fs/inotify/max_queued_events
QUEUED_WAS=
restore_queued() { [ -z "$QUEUED_WAS" ] || echo "$QUEUED_WAS" >"$QUEUED"; QUEUED_WAS=; }
on_exit restore_queued
stopped() { local st; st=$(cat "/proc/$1/stat") && st=${st##*) } && [ "${st%% *}" = T ]; }
t_overflow() {
        web sync
        echo old >"$SRC/old.txt"
        echo pre >"$SRC/pre.txt"
        QUEUED_WAS=$(cat "$QUEUED")
        echo 64 >"$QUEUED"
        start_watch; local rc=$?
        restore_queued
        [ "$rc" = 0 ] || return 1
        # synced by their events: pre.txt touched, the others made now
        touch "$SRC/pre.txt"
        echo del >"$SRC/del.txt"
        mkdir -p "$SRC/gone/deep"; echo g >"$SRC/gone/deep/g.txt"
        wait_for 30 ctr_has web /tmp/app/pre.txt pre || { cat "$WLOG"; return 1; }
        wait_for 30 ctr_has web /tmp/app/del.txt del || return 1
        wait_for 30 ctr_has web /tmp/app/gone/deep/g.txt g || return 1
        echo mine >"/proc/$(ctr web pid)/root/tmp/app/ctr-only.txt"
        local before; before=$(sync_lines)
        kill -STOP "$WPID"
        wait_for 10 stopped "$WPID" || { kill -CONT "$WPID"; return 1; }
        # 300 files, 3 events each, into a queue of 64; then deletions,
        # whose events are lost too
        python3 - "$SRC" <<'EOF'
import os, shutil, sys
d = sys.argv[1]
for i in range(300):
    with open(os.path.join(d, "o%03d.txt" % i), "w") as f:
        f.write("%d\n" % i)
os.unlink(os.path.join(d, "pre.txt"))
os.unlink(os.path.join(d, "del.txt"))
shutil.rmtree(os.path.join(d, "gone"))
EOF
        kill -CONT "$WPID"
        wait_for 60 ctr_has web /tmp/app/o299.txt 299 || { cat "$WLOG"; return 1; }
        wait_for 30 ctr_has web /tmp/app/o000.txt 0 || return 1
        wait_for 30 ctr_has web /tmp/app/old.txt old || return 1 # the rescan takes the whole tree
        wait_for 30 ctr_lacks web /tmp/app/pre.txt || fail "pre.txt, deleted on the host, stayed: $(cat "$WLOG")" || return 1
        wait_for 30 ctr_lacks web /tmp/app/del.txt || fail "del.txt, deleted on the host, stayed" || return 1
        wait_for 30 ctr_lacks web /tmp/app/gone || fail "gone/, deleted on the host, stayed" || return 1
        assert_eq "$(in_ctr web /tmp/app/ctr-only.txt)" mine "(the container's own file)" || return 1
        assert_eq "$(ls "/proc/$(ctr web pid)/root/tmp/app" | wc -l)" 302 || return 1
        assert_eq "$(sync_lines)" $((before + 1)) "$(cat "$WLOG")" || return 1
        stop_watch
}

# save_poll FILE SOURCE RUNS: write FILE anew RUNS times, each time until
# SOURCE (a path, or an http:// URL) reads the new content: the median,
# min and max time from the write (a figure to report, never asserted).
save_poll() {
        python3 - "$@" <<'EOF'
import statistics, sys, time, urllib.request
page, src, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def read():
    if src.startswith("http://"):
        return urllib.request.urlopen(src, timeout=5).read().decode()
    return open(src).read()
lat = []
for i in range(runs):
    want = "saved %d\n" % i
    t0 = time.monotonic()
    with open(page, "w") as f:
        f.write(want)
    while True:
        try:
            if read() == want:
                break
        except OSError:
            pass
        if time.monotonic() - t0 > 30:
            sys.exit("%s did not read %r within 30 s" % (src, want))
        time.sleep(0.001)
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(0.3)
print("median %.0f ms, min %.0f, max %.0f" % (statistics.median(lat), min(lat), max(lat)))
EOF
}

# examples/watch-web as its README runs it, on a copy: the page edited on
# the host is served changed through the published port on 127.0.0.1 (the
# time it took is reported); a draft is not served; a change of conf/
# restarts the service, which serves the new greeting; a change to the
# Dockerfile, then to a CGI script the image bakes in, rebuilds the image
# and recreates web alone (new container, new image, the new release
# served), api not recreated nor restarted; the watch goes on syncing
# into the new container; Ctrl-C leaves the site up.
setup_example_image() {
        CCOMPOSE=$CCOMPOSE CCOMPOSE_EXAMPLE_IMAGES=$IMAGES "$SRCDIR/scripts/make-example-images.sh" >/dev/null
}
served() { curl -fsS --max-time 5 "http://127.0.0.1:$PORT/$1" 2>/dev/null; }
served_has() { served "$1" | grep -qF -- "$2"; }
rebuilds() { grep -c '^Rebuilding service(s) \["web"\] after changes were detected\.\.\.$' "$WLOG"; }
# rebuilt_web FROM-CONTAINER-ID FROM-IMAGE-ID: web runs a new container of
# a new image
rebuilt_web() {
        local img; img=$(image_id "$P-web")
        [ "$(ctr web id)" != "$1" ] && is_status web running && [ -n "$img" ] && [ "$img" != "$2" ] &&
                [ "$(ctr web image_id)" = "$img" ]
}
t_example() {
        setup_example_image || return 1
        cp -r "$SRCDIR/examples/watch-web/." "$D/"
        # the project's network on this test's subnet
        cat >>"$D/compose.yaml" <<EOF
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.115.0/24
EOF
        PORT=$(free_port)
        WEB_PORT=$PORT start_watch || return 1
        wait_for 60 served_has "" "Hello from ccompose watch" || { cat "$WLOG"; return 1; }
        assert_eq "$(served greeting.txt)" "Greetings from the watch-web example" || return 1
        wait_for 30 served_has cgi-bin/release "api: api up since" || { served cgi-bin/release; return 1; }
        served_has cgi-bin/release "release 1" || fail "$(served cgi-bin/release)" || return 1
        local api_id api_pid api_says
        api_id=$(ctr api id) api_pid=$(ctr api pid) api_says=$(served cgi-bin/release | grep '^api:')
        # sync: the page
        local took; took=$(save_poll "$D/web/html/index.html" "http://127.0.0.1:$PORT/" 1) || return 1
        echo "# examples/watch-web: page saved -> served changed on 127.0.0.1: $took" >&3
        echo secret >"$D/web/html/notes.draft"
        echo "<p>second</p>" >"$D/web/html/second.html"
        wait_for 30 served_has second.html "<p>second</p>" || return 1
        ! served notes.draft >/dev/null || fail "a *.draft file (.dockerignore) is served" || return 1
        # restart: conf/
        local pid; pid=$(ctr web pid)
        echo "Greetings, restarted" >"$D/conf/greeting"
        wait_for 60 served_has greeting.txt "Greetings, restarted" || { cat "$WLOG"; return 1; }
        [ "$(ctr web pid)" != "$pid" ] || fail "web was not restarted" || return 1
        file_has "$WLOG" 'service(s) \["web"\] restarted' || fail "$(cat "$WLOG")" || return 1
        # rebuild: the Dockerfile
        local web_id img; web_id=$(ctr web id) img=$(image_id "$P-web")
        [ -n "$img" ] || fail "no image $P-web: $(cat "$WLOG")" || return 1
        sed -i 's/^ENV SITE_RELEASE=1$/ENV SITE_RELEASE=2/' "$D/web/Dockerfile"
        wait_for 180 rebuilt_web "$web_id" "$img" || { cat "$WLOG"; return 1; }
        wait_for 30 served_has cgi-bin/release "release 2" || fail "$(served cgi-bin/release)" || return 1
        assert_eq "$(rebuilds)" 1 "$(cat "$WLOG")" || return 1
        file_has "$WLOG" '^service(s) \["web"\] successfully built$' || fail "$(cat "$WLOG")" || return 1
        # the new image has the page as edited, the draft left out
        served_has "" "saved 0" && served_has second.html "<p>second</p>" || fail "$(served)" || return 1
        ! served notes.draft >/dev/null || fail "the draft went into the image" || return 1
        # ...and the watch syncs into the new container
        echo "<p>after the rebuild</p>" >"$D/web/html/index.html"
        wait_for 30 served_has "" "after the rebuild" || { cat "$WLOG"; return 1; }
        # rebuild: what the image bakes in (cgi-bin/)
        web_id=$(ctr web id) img=$(image_id "$P-web")
        # (written in place: sed -i's temporary file, taken by the rule,
        # could be a change of its own on a busy machine)
        local cgi; cgi=$(sed 's/^echo "release \$SITE_RELEASE"$/echo "release $SITE_RELEASE, edited"/' "$D/web/cgi-bin/release")
        printf '%s\n' "$cgi" >"$D/web/cgi-bin/release"
        wait_for 180 rebuilt_web "$web_id" "$img" || { cat "$WLOG"; return 1; }
        wait_for 30 served_has cgi-bin/release "release 2, edited" || fail "$(served cgi-bin/release)" || return 1
        assert_eq "$(rebuilds)" 2 "$(cat "$WLOG")" || return 1
        # api: neither recreated nor restarted
        assert_eq "$(ctr api id)" "$api_id" "(api recreated: $(cat "$WLOG"))" || return 1
        assert_eq "$(ctr api pid)" "$api_pid" "(api restarted)" || return 1
        served_has cgi-bin/release "$api_says" || fail "api says: $(served cgi-bin/release)" || return 1
        stop_watch || return 1
        # Ctrl-C leaves the stack up
        served_has "" "after the rebuild" || fail "the site stopped with watch" || return 1
        is_status api running || fail "api stopped with watch"
}

# Latency (reported, not asserted): write on the host -> content readable
# in the container, polled through the container's root.
t_latency() {
        web sync
        start_watch || return 1
        local took; took=$(save_poll "$SRC/lat.txt" "/proc/$(ctr web pid)/root/tmp/app/lat.txt" 10) || return 1
        echo "# write -> visible in container: $took" >&3
        stop_watch
}

run_cases \
        "sync: files, new directories, ignore, owner, deletions, a directory moved away; Ctrl-C leaves the stack:t_sync" \
        "include; an editor's rename-over save is one change; vim files ignored:t_include_editor" \
        "a burst of 1000 writes is one sync:t_burst" \
        "a write held open (an editor's fsync), vim's rename-away save: one sync each:t_held_open_write" \
        "initial_sync; a restarted container keeps being watched:t_initial_sync_restart_survives" \
        "sync+exec runs exec.command with its user, working_dir, environment:t_sync_exec" \
        "restart and sync+restart restart the service:t_restart_actions" \
        "up --watch syncs; its Ctrl-C stops the stack:t_up_watch" \
        "the build context's .dockerignore applies:t_dockerignore" \
        "a project without develop is refused:t_no_develop_refused" \
        "--no-up starts nothing, later containers are synced; --quiet, --prune=false; a bad value refused:t_no_up_flags" \
        "an event queue overflow: a rescan syncs every file and the deletions whose events were lost:t_overflow" \
        "rebuild: --quiet hides the build output, --prune removes the replaced image, --prune=false keeps it:t_rebuild_quiet_prune" \
        "examples/watch-web: a page edit is served, conf/ restarts, Dockerfile and cgi-bin/ rebuild web alone; Ctrl-C leaves it up:t_example" \
        "latency from write to container (reported):t_latency"

#!/bin/bash
# System tests of the supervisor's and the CLI's untrusted inputs and
# failure paths (issue 11): a project name that is a path (-p ../x) touches
# nothing; malformed or huge control requests are refused and the
# supervisor keeps serving; a full log filesystem does not make the
# supervisor's memory grow (output is dropped and counted); a state file
# that cannot be written is an error the user sees; files in the runtime
# dir are never written through a symlink, and a runtime dir others can
# write to is refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

# Small file systems the cases mount (outside $TMP: the leftover check of
# test-up-lib.sh counts every mount under $TMP as a container's).
SMALL=$(mktemp -d /tmp/ccompose-small.XXXXXX)
on_exit 'grep -F " '"$SMALL"'/" /proc/self/mountinfo | awk "{print \$5}" | sort -r | xargs -r -n1 umount -l; rm -rf '"$SMALL"

sleeper() {
        compose <<'EOF'
services:
  web:
    image: busybox:test
    init: true
    command: ["sleep", "1000"]
EOF
}

# A snapshot of a tree: every path with its type, mode and content hash.
tree_sum() { find "$1" -xdev -printf '%p %y %m %s %T@\n' | sort; }

# ---- 1. project names ----

t_bad_names() {
        local outside=$TMP/outside before after out rc name
        mkdir -p "$outside/victim" "$CCOMPOSE_RUNTIME_DIR"
        echo precious >"$outside/victim/lock"
        echo precious >"$outside/lock"
        sleeper
        before=$(tree_sum "$TMP")
        for name in ../outside/victim .. ../outside "a/b" "../outside/../outside" "." "-x" "Web"; do
                for cmd in down ps stop "kill" "logs" "rm -f" "events" "pause" "top" "up -d"; do
                        # no compose file here: down works from -p alone
                        out=$(cd "$outside" && timeout -k 5 60 "$CCOMPOSE" -p "$name" $cmd 2>&1)
                        rc=$?
                        [ "$rc" -eq 1 ] || { fail "-p '$name' $cmd: exit $rc, want 1: $out"; return 1; }
                        assert_contains "$out" "invalid project name \"$name\"" || return 1
                done
                out=$(cd "$outside" && COMPOSE_PROJECT_NAME=$name timeout -k 5 60 "$CCOMPOSE" down 2>&1)
                rc=$?
                [ "$rc" -eq 1 ] || { fail "COMPOSE_PROJECT_NAME='$name' down: exit $rc, want 1: $out"; return 1; }
                assert_contains "$out" "invalid project name \"$name\"" || return 1
        done
        # with a compose file too
        out=$(timeout -k 5 60 "$CCOMPOSE" -f "$D/compose.yaml" -p ../outside/victim down 2>&1) &&
                { fail "down -p ../outside/victim with a compose file passed: $out"; return 1; }
        after=$(tree_sum "$TMP")
        [ "$before" = "$after" ] || { fail "the file system changed: $(diff <(echo "$before") <(echo "$after"))"; return 1; }
        assert_eq "$(cat "$outside/victim/lock")" precious
}

# ---- 2, 3. control requests ----

# ctl REQUEST-LINE...: send each line on its own connection to the
# project's control socket; print each reply (all its lines, joined) on one
# line. Fails when a connection gets no complete reply.
ctl() {
        python3 - "$CCOMPOSE_RUNTIME_DIR/$P/control.sock" "$@" <<'EOF'
import socket, sys
path = sys.argv[1]
for req in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(req.encode("utf-8", "surrogateescape") + b"\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    if b'"done"' not in data:
        print("no reply to %r: %r" % (req, data))
        sys.exit(1)
    print(data.decode("utf-8", "replace").replace("\n", " "))
EOF
}
sup_serves() {
        local sp; sp=$(sup_pid)
        alive "$sp" || { fail "the supervisor (pid $sp) is gone: $(tail -5 "$CCOMPOSE_RUNTIME_DIR/$P/supervisor.log" 2>/dev/null)"; return 1; }
        local out; out=$(ctl '{"op":"ping"}') || { fail "$out"; return 1; }
        assert_contains "$out" '"exit":0' || return 1
        out=$(ccp ps 2>&1) || { fail "ps: $out"; return 1; }
        grep -qE "^$P-web-1 .* Up " <<<"$out" || { fail "ps: $out"; return 1; }
}
t_bad_requests() {
        sleeper
        ccp up -d >/dev/null 2>&1 || return 1
        local req out
        local bad=(
                '{"op":null}' '{"op":"stop","services":"x"}' '{"op":"stop","services":[null]}'
                '{"op":"stop","services":[1,{"a":2}]}' '{"op":"kill","signal":9}' '{"op":"kill","signal":null,"services":{}}'
                '{"op":"stop","timeout":"soon"}' '{"op":"stop","timeout":1e300}' '{"op":"down","timeout":[]}'
                '{"op":"rm","stop":"yes"}' '{"op":"run"}' '{"op":"run","service":"web","command":"sh"}'
                '{"op":"run","service":"web","env":[null]}' '{"op":"run","service":["web"]}'
                '{"op":"netattach","service":"web","id":"x","name":"y","pid":"1"}' '{"op":"netattach"}'
                '{"op":"netdetach","service":1,"id":2,"name":3}' '{"op":42}' '{"op":{}}' '[]' 'null' '"stop"' '{' 'garbage'
                '{"op":"stop"} trailing' ''
        )
        for req in "${bad[@]}"; do
                out=$(ctl "$req") || { fail "$req: $out"; sup_serves; return 1; }
                assert_contains "$out" '"exit":1' "(request $req)" || return 1
                alive "$(sup_pid)" || { fail "the supervisor died on $req"; return 1; }
        done
        out=$(ctl '{"op":"stop","services":"x"}')
        assert_contains "$out" '"services\" must be an array of strings' || return 1
        sup_serves || return 1
        # nothing of the bad requests was acted on
        assert_eq "$(ctr web status)" running || return 1
        # a good request still works
        out=$(ccp stop web 2>&1) || { fail "stop: $out"; return 1; }
        wait_for 30 is_status web exited
}

t_huge_request() {
        sleeper
        ccp up -d >/dev/null 2>&1 || return 1
        local sp; sp=$(sup_pid)
        local out
        # 64 MiB without a newline: refused after the first MiB or so, with
        # an error, the connection closed; the supervisor stays small
        out=$(python3 - "$CCOMPOSE_RUNTIME_DIR/$P/control.sock" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
block = b'{"op":"stop","services":["' + b"x" * (1 << 20)
sent = 0
try:
    while sent < (64 << 20):
        s.sendall(block)
        sent += len(block)
except (BrokenPipeError, ConnectionResetError):
    pass
except socket.timeout:
    print("timed out sending after %d bytes: the request was not refused" % sent)
    sys.exit(1)
data = b""
try:
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
except (ConnectionResetError, socket.timeout):
    pass
print("sent=%d reply=%s" % (sent, data.decode("utf-8", "replace").replace("\n", " ")))
sys.exit(0 if sent < (64 << 20) else 1)
EOF
) || { fail "$out"; return 1; }
        assert_contains "$out" "longer than" || return 1
        local rss; rss=$(awk '/^VmRSS/ {print $2}' "/proc/$sp/status")
        [ "${rss:-0}" -lt 65536 ] || { fail "supervisor VmRSS ${rss} kB after the huge request"; return 1; }
        sup_serves
}

# ---- 4. a full log file system ----

# with_tmpfs VAR SIZE FUNC: run FUNC with CCOMPOSE_ROOT or
# CCOMPOSE_RUNTIME_DIR (VAR) on a tmpfs of SIZE of its own, unmounted after.
with_tmpfs() {
        local var=$1 size=$2 fn=$3 mnt rc=0
        mnt=$(mktemp -d "$SMALL/fs.XXXXXX")
        mount -t tmpfs -o "size=$size,mode=0700" tmpfs "$mnt" || { fail "mount tmpfs"; return 1; }
        export "$var=$mnt"
        STATE=$CCOMPOSE_RUNTIME_DIR/$P/state.json
        if [ "$var" = CCOMPOSE_ROOT ]; then
                cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || rc=1
        fi
        [ "$rc" -eq 0 ] && { _case "$fn" || rc=1; }
        local m
        m=$(grep -F " $mnt/" /proc/self/mountinfo | awk '{print $5}') && [ -n "$m" ] && { fail "mounts left: $m"; rc=1; }
        umount "$mnt" || { umount -l "$mnt"; fail "the tmpfs was busy"; rc=1; }
        rmdir "$mnt"
        return "$rc"
}
fill() { dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null; [ "$(df --output=avail "$1" | tail -1)" -lt 64 ]; }

t_log_full() {
        # 400 MB of output into a log file system that holds a few MB:
        # short lines, then 300 MB without a newline (the writer splits
        # such output into 16 KiB entries)
        compose <<'EOF'
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "yes 01234567890123456789012345678901234567890123456789 | head -c 100000000; head -c 300000000 /dev/zero | tr '\\0' x; echo done"]
EOF
        ccp up -d >/dev/null 2>&1 || { ccp up -d; return 1; }
        local sp max=0 rss end=$((SECONDS + 240))
        sp=$(sup_pid)
        while ! is_status web exited; do
                rss=$(awk '/^VmRSS/ {print $2}' "/proc/$sp/status" 2>/dev/null)
                [ "${rss:-0}" -gt "$max" ] && max=$rss
                [ "$max" -lt 65536 ] || { fail "supervisor VmRSS ${max} kB while the log fs is full"; return 1; }
                [ "$SECONDS" -lt "$end" ] || { fail "web did not finish (VmRSS max ${max} kB)"; return 1; }
                sleep 0.2
        done
        echo "supervisor VmRSS max ${max} kB"
        assert_eq "$(ctr web exit_code)" 0 || return 1
        local log=$CCOMPOSE_RUNTIME_DIR/$P/supervisor.log
        grep -q "container $P-web-1: [0-9]* bytes of output dropped: the log file could not be written: No space left on device" "$log" ||
                { fail "no drop warning in the supervisor's log: $(tail -5 "$log")"; return 1; }
        alive "$sp" || fail "the supervisor died"
}

# ---- 5. a state file that cannot be written ----

t_state_full() {
        _t_state_full && _t_state_full_up
        local rc=$?
        rm -f "$CCOMPOSE_RUNTIME_DIR/filler"
        return "$rc"
}
_t_state_full() {
        sleeper
        ccp up -d >/dev/null 2>&1 || return 1
        fill "$CCOMPOSE_RUNTIME_DIR" || { fail "could not fill $CCOMPOSE_RUNTIME_DIR"; return 1; }
        local out rc
        out=$(ccp stop -t 1 web 2>&1)
        rc=$?
        [ "$rc" -ne 0 ] || { fail "stop with a full runtime dir passed: $out"; return 1; }
        assert_contains "$out" "$CCOMPOSE_RUNTIME_DIR/$P/state.json" || return 1
        assert_contains "$out" "No space left on device" || return 1
        # ps does not show it up
        out=$(ccp ps -a 2>&1) || { fail "ps: $out"; return 1; }
        grep -qE "^$P-web-1 .* Exited " <<<"$out" || { fail "ps after the stop: $out"; return 1; }
}

# up -d with the runtime dir full from the start: fails, naming the file
_t_state_full_up() {
        ccp down -t 1 >/dev/null 2>&1 || { fail "down"; return 1; }
        local out
        out=$(ccp up -d 2>&1) && { fail "up -d with a full runtime dir passed: $out"; return 1; }
        assert_contains "$out" "$CCOMPOSE_RUNTIME_DIR/$P/state.json" || return 1
        assert_contains "$out" "No space left on device"
}

# ---- 6. symlinks and permissions in the runtime dir ----

t_symlinks() {
        sleeper
        local target=$TMP/target
        echo untouched >"$target"
        mkdir -p "$CCOMPOSE_RUNTIME_DIR/$P"
        chmod 700 "$CCOMPOSE_RUNTIME_DIR/$P"
        ln -s "$target" "$CCOMPOSE_RUNTIME_DIR/$P/events.jsonl"
        ln -s "$target" "$CCOMPOSE_RUNTIME_DIR/$P/supervisor.log"
        ccp up -d >/dev/null 2>&1
        ccp stop -t 1 web >/dev/null 2>&1
        ccp start web >/dev/null 2>&1
        assert_eq "$(cat "$target")" untouched "(written through a symlink)" || return 1
        # the lock: refused, nothing written
        ccp down -t 1 >/dev/null 2>&1
        mkdir -p "$CCOMPOSE_RUNTIME_DIR/$P"
        ln -s "$target" "$CCOMPOSE_RUNTIME_DIR/$P/lock"
        local out
        out=$(ccp up -d 2>&1) && { fail "up with lock a symlink passed: $out"; return 1; }
        assert_contains "$out" "$CCOMPOSE_RUNTIME_DIR/$P/lock" || return 1
        assert_eq "$(cat "$target")" untouched "(written through a symlink)" || return 1
        rm -f "$CCOMPOSE_RUNTIME_DIR/$P/lock"
}

t_writable_dirs() {
        sleeper
        local out
        chmod 777 "$CCOMPOSE_RUNTIME_DIR"
        out=$(ccp up -d 2>&1) && { chmod 755 "$CCOMPOSE_RUNTIME_DIR"; fail "up with a world-writable runtime dir passed: $out"; return 1; }
        chmod 755 "$CCOMPOSE_RUNTIME_DIR"
        assert_contains "$out" "refusing to use $CCOMPOSE_RUNTIME_DIR: it is writable by other users" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$P/state.json" ] || { fail "state written"; return 1; }
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$P" ] || { fail "project dir created in a world-writable runtime dir"; return 1; }
        mkdir -p "$CCOMPOSE_RUNTIME_DIR/$P"
        chgrp 65534 "$CCOMPOSE_RUNTIME_DIR/$P"
        chmod 770 "$CCOMPOSE_RUNTIME_DIR/$P"
        out=$(ccp up -d 2>&1) && { fail "up with a project dir writable by another group passed: $out"; return 1; }
        assert_contains "$out" "refusing to use $CCOMPOSE_RUNTIME_DIR/$P: it is writable by other users" || return 1
        chmod 700 "$CCOMPOSE_RUNTIME_DIR/$P"
        chgrp 0 "$CCOMPOSE_RUNTIME_DIR/$P"
        out=$(ccp up -d 2>&1) || { fail "up after chmod: $out"; return 1; }
}

t_log_full_tmpfs() { with_tmpfs CCOMPOSE_ROOT 24m t_log_full; }
t_state_full_tmpfs() { with_tmpfs CCOMPOSE_RUNTIME_DIR 1m t_state_full; }

# HARD_ONLY=REGEX runs only the cases whose function matches (debugging).
cases=(
        "t:invalid project names (-p, COMPOSE_PROJECT_NAME) touch no file, exit 1:t_bad_names"
        "c:malformed control requests get an error; the supervisor keeps serving:t_bad_requests"
        "c:a control request over 1 MiB is refused; the supervisor stays up and small:t_huge_request"
        "t:log file system full: output dropped with a warning, memory bounded, the container finishes:t_log_full_tmpfs"
        "t:state file not writable: stop fails naming it, ps shows the truth:t_state_full_tmpfs"
        "c:events.jsonl, supervisor.log and lock are never written through a symlink:t_symlinks"
        "c:a runtime dir or project dir writable by others is refused:t_writable_dirs"
)
keep=()
for e in "${cases[@]}"; do [[ ${e##*:} =~ ${HARD_ONLY:-.} ]] && keep+=("$e"); done
plan $((${#keep[@]} + 2))
t "image setup" setup_images
[ "$_T_FAILED" -eq 0 ] || bail_out "images could not be set up (see the case above)"
for e in "${keep[@]}"; do
        name=${e#*:}
        "${e%%:*}" "${name%:*}" "${e##*:}"
done
t "nothing left behind" assert_clean
done_testing

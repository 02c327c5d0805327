#!/bin/bash
# cp, images, stats and attach, driven through the real binary against
# running busybox containers, with what a user would observe: files and
# their owners on both sides, tar streams, symlinks that point out of the
# container (never followed out of it), the images table, stats numbers
# that move with the traffic sent to the container, attach and detach.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=cccmd
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands tar

H=$TMP/host
sleeper() {
        compose <<EOF
services:
  web:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
EOF
}
up_sleeper() {
        sleeper
        local out
        out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
}
in_web() { ccp exec -T web sh -c "$1"; }
# a host tree: a file owned by 1234:5678, a subdirectory, a relative symlink
host_tree() {
        rm -rf "$H"; mkdir -p "$H/src/sub"
        echo hello >"$H/src/a.txt"; echo deep >"$H/src/sub/b"
        ln -s a.txt "$H/src/link"
        chown 1234:5678 "$H/src/a.txt"; chmod 640 "$H/src/a.txt"
}

t_cp_to_container() {
        up_sleeper || return 1
        host_tree
        # into an existing directory: the directory itself goes in
        ccp cp "$H/src" web:/tmp >/dev/null 2>&1 || { fail "cp dir to /tmp"; return 1; }
        assert_eq "$(in_web 'cat /tmp/src/a.txt /tmp/src/sub/b; readlink /tmp/src/link')" "hello
deep
a.txt" || return 1
        # to a new name: created with the contents; "dir/." into an existing directory: the contents
        ccp cp "$H/src" web:/tmp/new >/dev/null 2>&1 || { fail "cp dir to a new name"; return 1; }
        in_web 'mkdir /tmp/have' || return 1
        ccp cp "$H/src/." web:/tmp/have >/dev/null 2>&1 || { fail "cp dir/. to a directory"; return 1; }
        assert_eq "$(in_web 'cat /tmp/new/a.txt /tmp/have/sub/b; ls /tmp/have | tr "\n" " "')" "hello
deep
a.txt link sub " || return 1
        # without -a the files are root's (as docker: the container's root), modes kept
        assert_eq "$(in_web 'stat -c "%u:%g %a" /tmp/src/a.txt')" "0:0 640" || return 1
        # with -a the source's owner comes along; a file onto a new file name
        ccp cp -a "$H/src/a.txt" web:/tmp/owned >/dev/null 2>&1 || { fail "cp -a"; return 1; }
        assert_eq "$(in_web 'stat -c "%u:%g %a" /tmp/owned; cat /tmp/owned')" "1234:5678 640
hello" || return 1
        # a file into a directory that does not exist, named as a directory: refused
        local out rc
        out=$(ccp cp "$H/src/a.txt" web:/tmp/nodir/ 2>&1); rc=$?
        assert_eq "$rc" 1 "($out)" || return 1
        assert_contains "$out" "no such directory" || return 1
        # a directory onto a file: refused
        out=$(ccp cp "$H/src" web:/tmp/owned 2>&1); rc=$?
        assert_eq "$rc" 1 "($out)" || return 1
        assert_contains "$out" "cannot copy a directory to a file"
}

t_cp_from_container() {
        up_sleeper || return 1
        in_web 'mkdir -p /data/d && echo one >/data/d/f && ln -s f /data/d/l && chown 1000:1000 /data/d/f && ln /data/d/f /data/d/hard' || return 1
        # a device node the container made (a host disk's, say) is not made on the host
        in_web 'mknod /data/d/disk b 8 0 && chmod 666 /data/d/disk' || return 1
        rm -rf "$H"; mkdir -p "$H"
        ccp cp web:/data/d "$H" >/dev/null 2>&1 || { fail "cp to an existing directory"; return 1; }
        [ ! -e "$H/d/disk" ] || { fail "a device node reached the host: $(ls -l "$H/d/disk")"; return 1; }
        assert_eq "$(cat "$H/d/f"; readlink "$H/d/l"; stat -c %u:%g "$H/d/f")" "one
f
0:0" || return 1
        # a hard link stays one
        assert_eq "$(stat -c %i "$H/d/f")" "$(stat -c %i "$H/d/hard")" || return 1
        ccp cp -a web:/data/d "$H/kept" >/dev/null 2>&1 || { fail "cp -a to a new name"; return 1; }
        assert_eq "$(stat -c %u:%g "$H/kept/f")" "1000:1000" || return 1
        # a symlink is copied as a link; -L copies what it points to
        ccp cp web:/data/d/l "$H/asis" >/dev/null 2>&1 || return 1
        ccp cp -L web:/data/d/l "$H/followed" >/dev/null 2>&1 || return 1
        assert_eq "$(readlink "$H/asis"); $(cat "$H/followed")" "f; one" || return 1
        # a missing file: docker's message, exit 1
        local out rc
        out=$(ccp cp web:/nope "$H/x" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "Could not find the file /nope in container $P-web-1"
}

t_cp_tar_streams() {
        up_sleeper || return 1
        in_web 'mkdir -p /data/d && echo one >/data/d/f' || return 1
        local list
        list=$(ccp cp web:/data/d - 2>/dev/null | tar tf - | sort | tr '\n' ' ')
        assert_eq "$list" "d/ d/f " || return 1
        host_tree
        in_web 'mkdir /tmp/x' || return 1
        tar cf - -C "$H/src" . | ccp cp - web:/tmp/x >/dev/null 2>&1 || { fail "tar stream in"; return 1; }
        assert_eq "$(in_web 'cat /tmp/x/a.txt /tmp/x/sub/b')" "hello
deep" || return 1
        # a stream wants an existing directory
        local out rc
        out=$(tar cf - -C "$H/src" . | ccp cp - web:/tmp/x/a.txt 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "must be a directory"
}

# Symlinks in the container that point at / or climb with "..": what they
# name is resolved inside the container, never on the host.
t_cp_symlink_escapes() {
        up_sleeper || return 1
        local marker=$TMP/host-only-marker
        echo host-secret >"$marker"
        in_web "ln -s / /tmp/root; ln -s ../../../../../.. /tmp/up; ln -s $TMP /tmp/abs" || return 1
        rm -rf "$H"; mkdir -p "$H"
        # reading through them gives the container's files
        ccp cp web:/tmp/up/etc/passwd "$H/p1" >/dev/null 2>&1 || return 1
        cmp -s "$H/p1" /etc/passwd && { fail "read the host's /etc/passwd"; return 1; }
        grep -q '^app:' "$H/p1" || { fail "not the container's passwd: $(cat "$H/p1")"; return 1; }
        local out rc
        out=$(ccp cp "web:/tmp/abs/$(basename "$marker")" "$H/p2" 2>&1); rc=$?
        assert_eq "$rc" 1 "(read the host's file through an absolute link: $out)" || return 1
        [ ! -e "$H/p2" ] || { fail "copied the host's file"; return 1; }
        # writing through them stays in the container
        host_tree
        ccp cp "$H/src/a.txt" web:/tmp/root/escaped >/dev/null 2>&1 || return 1
        ccp cp "$H/src/a.txt" web:/tmp/up/tmp/escaped2 >/dev/null 2>&1 || return 1
        [ ! -e /escaped ] && [ ! -e /tmp/escaped2 ] || { fail "wrote on the host"; return 1; }
        assert_eq "$(in_web 'cat /escaped /tmp/escaped2')" "hello
hello" || return 1
        # a tar stream with a link out of the destination, then a file under it: refused
        mkdir -p "$H/t1" "$H/t2/link" "$TMP/target"
        ln -s "$TMP/target" "$H/t1/link"
        echo pwned >"$H/t2/link/x"
        tar cf "$H/evil.tar" -C "$H/t1" link && tar rf "$H/evil.tar" -C "$H/t2" link/x
        out=$(ccp cp - web:/tmp <"$H/evil.tar" 2>&1); rc=$?
        assert_eq "$rc" 1 "($out)" || return 1
        assert_contains "$out" "refusing to write through symlink" || return 1
        [ -z "$(ls -A "$TMP/target")" ] || { fail "wrote on the host: $(ls "$TMP/target")"; return 1; }
        # ".." in a name: refused
        python3 - "$H/dots.tar" <<'EOF' || return 1
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("../../../../dots-escaped"); data = b"x\n"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
EOF
        out=$(ccp cp - web:/tmp <"$H/dots.tar" 2>&1); rc=$?
        assert_eq "$rc" 1 "($out)" || return 1
        [ ! -e /dots-escaped ] && [ ! -e "$TMP/dots-escaped" ] || { fail "wrote on the host"; return 1; }
}

t_cp_replicas() {
        sleeper
        ccp up -d --scale web=2 >/dev/null 2>&1 || return 1
        host_tree
        # without --index: every replica gets the file
        ccp cp "$H/src/a.txt" web:/tmp/all >/dev/null 2>&1 || return 1
        ccp cp "$H/src/sub/b" web:/tmp/two --index 2 >/dev/null 2>&1 || return 1
        assert_eq "$(ccp exec -T --index 2 web cat /tmp/all /tmp/two)" "hello
deep" || return 1
        assert_eq "$(ccp exec -T --index 1 web cat /tmp/all)" "hello" || return 1
        ccp exec -T --index 1 web test ! -e /tmp/two || { fail "--index 2 wrote into replica 1"; return 1; }
        # a tar stream on stdin, read once, reaches every replica too
        tar cf - -C "$H/src" a.txt | ccp cp - web:/home >/dev/null 2>&1 || { fail "tar stream to replicas"; return 1; }
        assert_eq "$(ccp exec -T --index 1 web cat /home/a.txt) $(ccp exec -T --index 2 web cat /home/a.txt)" "hello hello" || return 1
        local out rc
        out=$(ccp cp web:/tmp/all web:/tmp/b 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "copying between services is not supported"
}

t_images() {
        compose <<EOF
services:
  web:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
  job:
    image: docker.io/library/busybox:test
    command: ["true"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status job exited || return 1
        local out id
        out=$(ccp images 2>&1) || { fail "images: $out"; return 1; }
        # docker compose's columns; a stopped container is listed too, by name
        assert_eq "$(head -1 <<<"$out" | tr -s ' ')" "CONTAINER REPOSITORY TAG PLATFORM IMAGE ID SIZE CREATED" || return 1
        id=$(cc image inspect busybox:test | jq -r '.[0].Id') || return 1
        [[ $id == sha256:* ]] || { fail "no image id: $id"; return 1; }
        assert_eq "$(sed -n 2p <<<"$out" | awk '{print $1, $2, $3, $4, $5}')" "$P-job-1 busybox test linux/amd64 ${id:7:12}" || return 1
        assert_eq "$(sed -n 3p <<<"$out" | awk '{print $1, $2, $3}')" "$P-web-1 busybox test" || return 1
        assert_eq "$(wc -l <<<"$out")" 3 || return 1
        # json: one object per container, the full ID and the size in bytes
        out=$(ccp images --format json web) || return 1
        assert_eq "$(jq -r '.[] | "\(.ContainerName) \(.Repository):\(.Tag) \(.ID) \(.Size > 100000)"' <<<"$out")" \
                "$P-web-1 busybox:test $id true" || return 1
        # -q: the IDs, once each
        assert_eq "$(ccp images -q)" "${id:7}" || return 1
        out=$(ccp images nosuch 2>&1) && { fail "images of an unknown service succeeded"; return 1; }
        assert_contains "$out" "no such service: nosuch"
}

# stats: docker's JSON lines, numbers read back as bytes
SUB=10.213.65
size_bytes() { python3 -c '
import re, sys
m = re.fullmatch(r"([0-9.]+)([KMGTP]?i?B|[kMGTP]?B)", sys.argv[1])
units = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
print(int(float(m.group(1)) * units[m.group(2)]))' "$1"; }
stats_json() { ccp stats --no-stream --format json "$@"; }
# field SERVICE-JSON KEY [PART 1|2]: a value, or one side of "a / b", in bytes when a size
jfield() { jq -r --arg k "$2" '.[$k]' <<<"$1"; }
side() { local v; v=$(jfield "$1" "$2"); if [ "$3" = 1 ]; then v=${v%% / *}; else v=${v##* / }; fi; size_bytes "$v"; }
net_rx() { side "$(stats_json web)" NetIO 1; }
rx_above() { [ "$(net_rx)" -gt "$1" ]; }
cpu_above() { local v; v=$(jfield "$(stats_json web)" CPUPerc); v=${v%\%}; python3 -c "import sys; sys.exit(0 if float('$v') > $1 else 1)"; }
pids_at_least() { [ "$(jfield "$(stats_json web)" PIDs)" -ge "$1" ]; }

stats_stack() {
        compose <<EOF
services:
  web:
    image: busybox:test
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
    mem_limit: 64m
    networks:
      default:
        ipv4_address: $SUB.10
  job:
    image: busybox:test
    command: ["true"]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB.0/24
EOF
}

t_stats() {
        if ip -4 route show | grep -q "^$SUB\."; then echo "# $SUB.0/24 overlaps a route of this host"; return 0; fi
        stats_stack
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status job exited || return 1
        local out j
        out=$(stats_json) || return 1
        # running containers only: one line, docker's keys
        assert_eq "$(jq -r .Name <<<"$out")" "$P-web-1" || return 1
        assert_eq "$(jq -r 'keys | join(",")' <<<"$out")" "BlockIO,CPUPerc,Container,ID,MemPerc,MemUsage,Name,NetIO,PIDs" || return 1
        assert_eq "$(jq -r .ID <<<"$out")" "$(ctr web id | cut -c1-12)" || return 1
        [ "$(side "$out" MemUsage 1)" -gt 0 ] || { fail "memory usage 0: $out"; return 1; }
        # the limit is mem_limit
        assert_eq "$(jfield "$out" MemUsage | sed 's/.* \/ //')" "64MiB" || return 1
        [ "$(jfield "$out" PIDs)" -ge 1 ] || { fail "pids: $out"; return 1; }
        [[ $(jfield "$out" CPUPerc) =~ ^[0-9]+\.[0-9]{2}%$ ]] || { fail "cpu: $out"; return 1; }
        [[ $(jfield "$out" BlockIO) =~ ^[0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B$ ]] || { fail "block I/O: $out"; return 1; }
        # traffic sent to the container's address shows as received bytes
        local rx0; rx0=$(net_rx) || return 1
        python3 - "$SUB.10" <<'EOF' || return 1
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(300):
    s.sendto(b"x" * 1000, (sys.argv[1], 9))
EOF
        wait_for 30 rx_above $((rx0 + 200000)) || { fail "rx stayed near $rx0: $(stats_json web)"; return 1; }
        # a busy process: CPU % and PIDs move
        ccp exec -d web sh -c 'while :; do :; done' || return 1
        wait_for 60 cpu_above 10 || { fail "cpu: $(stats_json web)"; return 1; }
        wait_for 30 pids_at_least 2 || { fail "pids: $(stats_json web)"; return 1; }
        # -a adds the stopped job, with zeros
        out=$(ccp stats --no-stream --format json -a job) || return 1
        assert_eq "$(jq -r '"\(.Name) \(.CPUPerc) \(.MemUsage) \(.PIDs)"' <<<"$out")" "$P-job-1 0.00% 0B / 0B 0" || return 1
        # the table: docker's columns
        out=$(ccp stats --no-stream) || return 1
        assert_eq "$(head -1 <<<"$out" | tr -s ' ')" "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" || return 1
        assert_eq "$(wc -l <<<"$out")" 2 || return 1
        out=$(ccp stats --no-stream nosuch 2>&1) && { fail "stats of an unknown service: $out"; return 1; }
        assert_contains "$out" "no such service: nosuch"
}

# Without --no-stream the table comes again and again (no ANSI when not a terminal).
t_stats_stream() {
        up_sleeper || return 1
        "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" stats >"$TMP/stream.out" 2>&1 &
        local pid=$!
        wait_for 60 file_lines_at_least "$TMP/stream.out" "^CONTAINER ID" 3
        local rc=$?
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        [ "$rc" -eq 0 ] || { fail "no refresh: $(cat "$TMP/stream.out")"; return 1; }
        ! grep -q $'\033' "$TMP/stream.out" || { fail "ANSI sequences without a terminal"; return 1; }
        grep -q "$P-web-1" "$TMP/stream.out"
}

# attach: a service reading its stdin (stdin_open) and one that only writes
attach_stack() {
        compose <<'EOF'
services:
  echo:
    image: busybox:test
    stdin_open: true
    command: ["sh", "-c", "while read line; do echo \"got $$line\"; echo \"err $$line\" >&2; done"]
  tick:
    image: busybox:test
    command: ["sh", "-c", "trap 'echo got INT; exit 3' INT; i=0; while :; do i=$$((i+1)); echo tick $$i; sleep 0.2; done"]
    stop_signal: SIGKILL
EOF
        ccp up -d >/dev/null 2>&1
}
attach_ended() { ! alive "$1"; }

t_attach_detach() {
        attach_stack || return 1
        mkfifo "$TMP/in.fifo" || return 1
        "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" attach echo <"$TMP/in.fifo" >"$TMP/a.out" 2>"$TMP/a.err" &
        local pid=$! rc
        exec 3>"$TMP/in.fifo"
        rm -f "$TMP/in.fifo"
        echo hello >&3
        # stdin reaches the container; its stdout and stderr come back on ours
        wait_for 30 file_has "$TMP/a.out" "got hello" || { fail "no output: $(cat "$TMP/a.out" "$TMP/a.err")"; exec 3>&-; return 1; }
        wait_for 30 file_has "$TMP/a.err" "err hello" || { exec 3>&-; return 1; }
        # ctrl-p ctrl-q: attach ends (docker: "read escape sequence", status 1), the container runs on
        printf '\020\021' >&3
        wait_exit "$pid" 30 || { exec 3>&-; fail "attach did not detach"; return 1; }
        rc=$WAIT_RC
        exec 3>&-
        assert_eq "$rc" 1 || return 1
        assert_contains "$(cat "$TMP/a.err")" "read escape sequence" || return 1
        is_status echo running || { fail "echo is $(ctr echo status) after detaching"; return 1; }
        # a key of the sequence alone is passed on; --detach-keys changes it
        mkfifo "$TMP/in2.fifo" || return 1
        "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" attach --detach-keys ctrl-x echo <"$TMP/in2.fifo" >"$TMP/b.out" 2>&1 &
        pid=$!
        exec 3>"$TMP/in2.fifo"
        rm -f "$TMP/in2.fifo"
        printf 'a\020b\n' >&3
        wait_for 30 file_has "$TMP/b.out" $'got a\020b' || { exec 3>&-; fail "$(cat -v "$TMP/b.out")"; return 1; }
        printf '\030' >&3
        wait_exit "$pid" 30 || { exec 3>&-; fail "attach did not detach with ctrl-x"; return 1; }
        exec 3>&-
        is_status echo running
}

t_attach_output_signals() {
        attach_stack || return 1
        # --sig-proxy=false: a signal ends attach only
        "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" attach --no-stdin --sig-proxy=false tick >"$TMP/t1.out" 2>&1 &
        local pid=$!
        wait_for 30 file_has "$TMP/t1.out" "^tick" || { fail "no output: $(cat "$TMP/t1.out")"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 30 || return 1
        is_status tick running || { fail "tick is $(ctr tick status)"; return 1; }
        # the proxy (default): SIGINT reaches the container, attach ends with its exit code
        "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" attach --no-stdin tick >"$TMP/t2.out" 2>&1 &
        pid=$!
        wait_for 30 file_has "$TMP/t2.out" "^tick" || { fail "no output: $(cat "$TMP/t2.out")"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 30 || { fail "attach did not end"; return 1; }
        assert_eq "$WAIT_RC" 3 "($(tail -3 "$TMP/t2.out"))" || return 1
        file_has "$TMP/t2.out" "got INT" || { fail "the trap's output is missing: $(tail -3 "$TMP/t2.out")"; return 1; }
        assert_eq "$(ctr tick exit_code)" 3 || return 1
        # nothing to attach to
        local out
        out=$(ccp attach tick 2>&1) && { fail "attach to an exited service: $out"; return 1; }
        assert_contains "$out" 'service "tick" is not running'
}

# A stopped container: its files are still there to copy, both ways.
t_cp_stopped() {
        compose <<'EOF'
services:
  job:
    image: busybox:test
    command: ["sh", "-c", "cat /in.txt 2>/dev/null || echo no-input; echo made >/out.txt"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status job exited || return 1
        rm -rf "$H"; mkdir -p "$H"
        ccp cp job:/out.txt "$H/out.txt" >/dev/null 2>&1 || { fail "cp from a stopped container"; return 1; }
        assert_eq "$(cat "$H/out.txt")" made || return 1
        echo from-host >"$H/in.txt"
        ccp cp "$H/in.txt" job:/in.txt >/dev/null 2>&1 || { fail "cp to a stopped container"; return 1; }
        ccp start job >/dev/null 2>&1 || return 1
        wait_for 30 file_lines_at_least "$CCOMPOSE_ROOT/containers/$(ctr job id)/$(ctr job id)-json.log" from-host 1 ||
                { fail "the restarted job did not read the file: $(ccp logs job)"; return 1; }
}

# From a terminal: attach takes keys as typed (no line mode, no XON/XOFF,
# which would swallow ctrl-q) and gives the terminal back as it was.
t_attach_terminal() {
        attach_stack || return 1
        python3 - "$CCOMPOSE" "$D/compose.yaml" "$P" <<'EOF'
import os, pty, select, sys, termios, time
exe, f, p = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "-f", f, "-p", p, "attach", "echo"])
def read_until(want, secs=30):
    out, end = b"", time.time() + secs
    while want not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out
end = time.time() + 30
while termios.tcgetattr(fd)[3] & termios.ICANON and time.time() < end:
    time.sleep(0.1)
assert not termios.tcgetattr(fd)[3] & termios.ICANON, "the terminal is still in line mode"
os.write(fd, b"typed\n")
out = read_until(b"got typed")
assert b"got typed" in out, out
os.write(fd, b"\x10\x11")
out = read_until(b"read escape sequence")
assert b"read escape sequence" in out, out
_, st = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(st) == 1, st
assert termios.tcgetattr(fd)[3] & termios.ICANON, "line mode not given back"
EOF
        is_status echo running
}

run_cases \
        "cp host -> container: directories, dir/., -a owners, docker's destination rules:t_cp_to_container" \
        "cp container -> host: directories, hard links, -a, -L, a missing file:t_cp_from_container" \
        "cp with - : tar streams out and in:t_cp_tar_streams" \
        "cp never follows a container's symlink out of the container:t_cp_symlink_escapes" \
        "cp to every replica, or one with --index:t_cp_replicas" \
        "cp to and from a stopped container:t_cp_stopped" \
        "images: docker compose's table, json and -q:t_images" \
        "stats --no-stream: memory, limit, pids, cpu and rx that follow the container; -a; table:t_stats" \
        "stats streams a table per refresh:t_stats_stream" \
        "attach: stdin in, stdout and stderr out, ctrl-p ctrl-q detaches, the container runs on:t_attach_detach" \
        "attach: output, --sig-proxy, the container's exit code:t_attach_output_signals" \
        "attach from a terminal: keys as typed, ctrl-p ctrl-q detaches:t_attach_terminal"

#!/bin/bash
# tty: true services under `up`: the container's stdin, stdout and stderr
# are a pseudo-terminal (its controlling terminal) whose master the
# supervisor holds: the output goes to the log (with the terminal's \r\n,
# as docker's), attach gets the local terminal in raw mode, its window size
# (stty size in the container follows it), ctrl-c as a character that the
# container's line discipline makes a SIGINT, and the detach keys. Restarts
# get a new terminal without leaking descriptors; a re-executing
# supervisor (a later up -d) keeps the terminals of running containers, and
# after a kill -9 of the supervisor the next one takes them from the keeper.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=tty
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands python3

log_of() { local id; id=$(ctr "$1" id); cat "$CCOMPOSE_ROOT/containers/$id/$id-json.log" 2>/dev/null; }
log_has() { log_of "$1" | grep -q -- "$2"; }

# drive PYTHON-BODY: run attach SERVICE under a pseudo-terminal of 33 rows
# and 111 columns; the body has fd (the terminal's master), pid (attach),
# read_until(bytes), wait_raw(), winsize(rows, cols) and done(code).
drive() {
        local svc=$1 body=$2
        python3 - "$CCOMPOSE" "$D/compose.yaml" "$P" "$svc" <<EOF
import fcntl, os, pty, select, struct, sys, termios, time
exe, f, p, svc = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    os.execv(exe, [exe, "-f", f, "-p", p, "attach", svc])
seen = b""
def read_until(want, secs=30):
    global seen
    end = time.time() + secs
    while want not in seen and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return want in seen
def wait_raw():
    end = time.time() + 30
    while termios.tcgetattr(fd)[3] & termios.ISIG and time.time() < end:
        time.sleep(0.1)
    assert not termios.tcgetattr(fd)[3] & termios.ISIG, "attach did not put the terminal in raw mode"
def winsize(rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
def done(code):
    end = time.time() + 30
    while time.time() < end:
        read_until(b"\0", 0.1)
        r, st = os.waitpid(pid, os.WNOHANG)
        if r:
            c = os.waitstatus_to_exitcode(st)
            assert c == code, "attach ended with %d, want %d: %r" % (c, code, seen[-300:])
            return
    assert False, "attach did not end: %r" % seen[-300:]
try:
$(sed 's/^/    /' <<<"$body")
except AssertionError as e:
    print("FAIL:", e, repr(seen[-400:]))
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    sys.exit(1)
EOF
}

t_tty_terminal() {
        compose <<'EOF'
services:
  term:
    image: busybox:test
    network_mode: none
    tty: true
    command: ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is-a-tty; tty; echo to-stderr >&2; exec sleep 1000"]
    stop_signal: SIGKILL
  plain:
    image: busybox:test
    network_mode: none
    command: ["sh", "-c", "[ -t 1 ] || echo no-tty; exec sleep 1000"]
    stop_signal: SIGKILL
EOF
        local out
        out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        assert_not_contains "$out" "not supported" || return 1
        wait_for 30 log_has term to-stderr || { fail "log: $(log_of term)"; return 1; }
        wait_for 30 log_has plain no-tty || { fail "plain log: $(log_of plain)"; return 1; }
        # one stream (stdout) with the terminal's line ends, as docker logs it
        assert_eq "$(log_of term | jq -r .stream | sort -u)" stdout || return 1
        assert_eq "$(log_of term | jq -c .log | head -2)" '"is-a-tty\r\n"
"/dev/pts/0\r\n"' || return 1
        out=$(ccp logs --no-log-prefix term 2>&1) || { fail "logs: $out"; return 1; }
        assert_eq "$out" $'is-a-tty\r\n/dev/pts/0\r\nto-stderr\r' || return 1
        is_status term running
}

# attach_echo SERVICE TEXT WANT WHEN: attach, type "echo TEXT" (the
# container's shell expands it), read WANT, detach.
attach_echo() {
        drive "$1" "
wait_raw()
os.write(fd, b\"echo $2\\r\")
assert read_until(b\"$3\"), \"no answer $4\"
os.write(fd, b\"\\x10\\x11\")
done(1)
"
}

# an interactive shell on a terminal, running
up_shell() {
        compose <<'EOF'
services:
  shell:
    image: busybox:test
    network_mode: none
    tty: true
    stdin_open: true
    command: ["sh"]
    stop_signal: SIGKILL
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status shell running
}

t_tty_attach_size_detach() {
        up_shell || return 1
        drive shell '
wait_raw()
os.write(fd, b"stty size; echo is-$((6*7))\r")
assert read_until(b"is-42"), "no answer to the typed command"
assert read_until(b"33 111"), "stty size did not show the attach terminal size"
winsize(40, 120)
end = time.time() + 30
while b"40 120" not in seen and time.time() < end:
    os.write(fd, b"stty size\r")
    read_until(b"40 120", 1)
assert b"40 120" in seen, "the new size did not reach the container"
os.write(fd, b"\x10\x11")
assert read_until(b"read escape sequence"), "no detach"
done(1)
assert termios.tcgetattr(fd)[3] & termios.ICANON, "the terminal was not given back"
' || return 1
        is_status shell running || { fail "shell is $(ctr shell status) after detaching"; return 1; }
        # what was typed and answered is in the log too
        log_has shell "is-42" || { fail "log: $(log_of shell)"; return 1; }
        # a second attach works as the first
        attach_echo shell 'again-$((1+1))' again-2 "on the second attach"
}

t_tty_ctrl_c() {
        compose <<'EOF'
services:
  fg:
    image: busybox:test
    network_mode: none
    tty: true
    stdin_open: true
    command: ["sh", "-c", "trap 'echo got-SIGINT' INT; echo ready; while :; do sleep 1; done"]
    stop_signal: SIGKILL
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 log_has fg ready || return 1
        # ctrl-c is a character through attach (raw): the container's
        # terminal makes it the SIGINT of its foreground process group
        drive fg '
wait_raw()
os.write(fd, b"\x03")
assert read_until(b"got-SIGINT"), "ctrl-c did not reach the container as SIGINT"
os.write(fd, b"\x10\x11")
done(1)
' || return 1
        is_status fg running || { fail "fg is $(ctr fg status)"; return 1; }
        # a signal to attach itself is not proxied with a tty: attach ends, the container runs on
        ccp_bg attach --no-stdin fg >/dev/null 2>&1 &
        local pid=$!
        # its signals are handled once it has its signalfd
        wait_for 30 has_signalfd "$pid" || { fail "attach did not start"; return 1; }
        kill -INT "$pid"
        wait_exit "$pid" 30 || { fail "attach did not end on SIGINT"; return 1; }
        is_status fg running || { fail "fg is $(ctr fg status) after attach's SIGINT"; return 1; }
        [ "$(log_of fg | grep -c got-SIGINT)" -eq 1 ] || { fail "SIGINT proxied: $(log_of fg)"; return 1; }
}

has_signalfd() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q signalfd; }
fds_of() { ls "/proc/$1/fd" | wc -l; }
# fewest_fds PID: the fewest descriptors PID had in 20 looks over 2 s: a
# start in progress holds a few for a moment (its pipes, an eventfd), more
# of them when a busy machine makes the start slow; a leak stays
fewest_fds() {
        local n min=1000000 i
        for i in $(seq 20); do
                n=$(fds_of "$1") && [ "$n" -lt "$min" ] && min=$n
                sleep 0.1
        done
        echo "$min"
}
running_after() { is_status "$1" running && restarts_at_least "$1" "$2"; }

t_tty_restarts() {
        compose <<'EOF'
services:
  flap:
    image: busybox:test
    network_mode: none
    tty: true
    stdin_open: true
    restart: always
    command: ["sh", "-c", "tty; sleep 0.3; exit 1"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 60 running_after flap 2 || { fail "no restarts: $(ctr flap status)"; return 1; }
        local before after keeper kbefore kafter
        keeper=$(awk '/^PPid:/ {print $2}' "/proc/$(sup_pid)/status")
        before=$(fewest_fds "$(sup_pid)") kbefore=$(fewest_fds "$keeper")
        wait_for 120 running_after flap 7 || { fail "restarts stopped at $(ctr flap restart_count)"; return 1; }
        after=$(fewest_fds "$(sup_pid)") kafter=$(fewest_fds "$keeper")
        # each run had its terminal
        [ "$(log_of flap | grep -c /dev/pts/0)" -ge 7 ] || { fail "log: $(log_of flap)"; return 1; }
        [ "$after" -le "$before" ] || { fail "supervisor descriptors grew from $before to $after over 5 restarts:
$(ls -l "/proc/$(sup_pid)/fd")"; return 1; }
        # the keeper holds each run's terminal only while it lives
        [ "$kafter" -le "$kbefore" ] || { fail "keeper descriptors grew from $kbefore to $kafter:
$(ls -l "/proc/$keeper/fd")"; return 1; }
}

t_tty_survives_reexec() {
        up_shell || return 1
        local pid sup
        pid=$(ctr shell pid) sup=$(sup_pid)
        # a later up -d (another service): the supervisor re-executes in place
        cat >>"$D/compose.yaml" <<'EOF'
  other:
    image: busybox:test
    network_mode: none
    command: ["sleep", "1000"]
    stop_signal: SIGKILL
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status other running || return 1
        assert_eq "$(sup_pid)" "$sup" "(the supervisor was replaced)" || return 1
        assert_eq "$(ctr shell pid)" "$pid" "(the tty container was restarted)" || return 1
        is_status shell running || return 1
        # its terminal is still there: attach, type, read
        attach_echo shell 'still-$((2*3))' still-6 "after the re-exec"
}

# The keeper holds a copy of each terminal: a supervisor killed with -9
# takes its own along, the container keeps its terminal (no SIGHUP) and
# the next supervisor takes the keeper's.
t_tty_survives_kill9() {
        up_shell || return 1
        local pid sup
        pid=$(ctr shell pid) sup=$(sup_pid)
        kill -9 "$sup"
        wait_for 30 _not_alive "$sup" || return 1
        local out
        out=$(ccp up -d 2>&1) || { fail "up after kill -9: $out"; return 1; }
        assert_eq "$(ctr shell pid)" "$pid" "(the tty container was restarted: $(ctr shell status) $(ctr shell exit_code))" ||
                return 1
        is_status shell running || return 1
        attach_echo shell 'kept-$((3*3))' kept-9 "after the supervisor was killed" || return 1
        log_has shell "kept-9" || { fail "not logged: $(log_of shell)"; return 1; }
}

# A compose file on stdin cannot be re-read by a re-executed supervisor:
# the running one hands the project over and exits; the next one takes
# the terminals from the keeper.
t_tty_survives_handover() {
        up_shell || return 1
        local pid sup out
        pid=$(ctr shell pid) sup=$(sup_pid)
        out=$(timeout -k 5 90 "$CCOMPOSE" -f - -p "$P" up -d <"$D/compose.yaml" 2>&1) || { fail "up: $out"; return 1; }
        [ "$(sup_pid)" != "$sup" ] || { fail "no handover: the supervisor is the same"; return 1; }
        assert_eq "$(ctr shell pid)" "$pid" "(the tty container was restarted)" || return 1
        attach_echo shell 'handed-$((4*4))' handed-16 "after the handover"
}

run_cases \
        "tty: true: the container's stdio is a terminal; logs with \\r\\n, one stream:t_tty_terminal" \
        "attach to a tty: raw input, stty size follows the attach terminal, detach keys, runs on:t_tty_attach_size_detach" \
        "attach to a tty: ctrl-c is the foreground process's SIGINT; attach's own signals are not proxied:t_tty_ctrl_c" \
        "tty with restart: always: a new terminal per run, no descriptor leak in the supervisor or its keeper:t_tty_restarts" \
        "a re-executing supervisor keeps the terminals of running containers:t_tty_survives_reexec" \
        "after kill -9 of the supervisor the next one takes the terminals from the keeper:t_tty_survives_kill9" \
        "after a handover (compose file on stdin) the next supervisor takes the terminals from the keeper:t_tty_survives_handover"

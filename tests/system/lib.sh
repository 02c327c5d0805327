# Helpers for system tests (bash, TAP). Each test file sources this, calls
# `plan`, runs `t NAME CMD...` cases, and ends with `done_testing`.
# Every test file gets its own CCOMPOSE_ROOT / CCOMPOSE_RUNTIME_DIR under a
# fresh temporary directory that is removed (with whatever it still holds)
# when the file ends, also on failure.
set -u
CCOMPOSE=${CCOMPOSE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/ccompose}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /tmp/ccompose-test.XXXXXX)
export CCOMPOSE_ROOT=$TMP/root CCOMPOSE_RUNTIME_DIR=$TMP/run
export NO_COLOR=1
# tests never reach a registry off this machine: pulls of anything but a
# loopback registry are refused (the missing image is reported instead)
export CCOMPOSE_REGISTRY_LOOPBACK_ONLY=1
mkdir -p "$CCOMPOSE_ROOT" "$CCOMPOSE_RUNTIME_DIR"
_T_N=0
_T_FAILED=0
_CLEANUPS=()

# Register a cleanup command (run in reverse order at exit).
on_exit() { _CLEANUPS+=("$*"); }
# bg_record PID: stop PID when this file exits, also when recorded in a
# subshell (a case run by t). The PID's start time is kept with it, so a
# PID reused by another process after ours ended is left alone.
bg_record() {
        local st
        st=$(awk '{print $22}' "/proc/$1/stat" 2>/dev/null) && echo "$1 $st" >>"$TMP/.bg-pids"
}
_stop_recorded() {
        local pid st now
        [ -f "$TMP/.bg-pids" ] || return 0
        while read -r pid st; do
                now=$(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null) || continue
                [ "$now" = "$st" ] && kill "$pid" 2>/dev/null
        done <"$TMP/.bg-pids"
}
_run_cleanups() {
        local rc=$? last=$BASH_COMMAND i
        # a file that ends early (a set-up step, an unset variable, a
        # signal) says so: a runner sees why, never a bare exit status
        if [ "$rc" -ne 0 ] && [ "$_T_N" -lt "$_T_PLAN" ] && [ -z "${_T_BAILED:-}" ]; then
                echo "Bail out! $(basename "$0") ended with status $rc after $_T_N of $_T_PLAN cases (last command: $last)"
        fi
        for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${_CLEANUPS[i]}" >/dev/null 2>&1 || true; done
        _stop_recorded
        # never leave mounts of this test behind
        grep -F " $TMP/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "$TMP"
}
trap _run_cleanups EXIT

_T_PLAN=0
plan() { _T_PLAN=$1; echo "1..$1"; }
# bail_out WHY: stop the file here, saying why (TAP "Bail out!").
bail_out() { _T_BAILED=1; echo "Bail out! $*"; exit 1; }
# require_commands CMD...: the commands this file calls that are not part of
# Debian's base system; a missing one stops the file, naming its package
# (scripts/commands.txt) and what to do about it.
require_commands() {
        local c pkg why=()
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 && continue
                pkg=$(awk -v c="$c" '$1 == c { print $2 }' "$SRCDIR/scripts/commands.txt")
                if [ -n "$pkg" ] && grep -qw -- "$pkg" "$SRCDIR/scripts/install-deps.sh"; then
                        why+=("missing $c: run scripts/install-deps.sh (it installs $pkg)")
                else
                        why+=("missing $c: add ${pkg:-its package} to scripts/install-deps.sh")
                fi
        done
        [ ${#why[@]} -eq 0 ] || bail_out "$(IFS=';'; echo "${why[*]}")"
}
# setup_or_bail CMD...: a set-up step; when it fails, the file stops with
# the command and the end of its output.
setup_or_bail() {
        local out
        out=$("$@" 2>&1) || bail_out "set-up failed: $*: $(tail -20 <<<"$out" | tr '\n' ' ')"
}
# t NAME CMD... : run CMD in a subshell; pass when it exits 0.
t() {
        local name=$1; shift
        _T_N=$((_T_N + 1))
        local out
        if out=$("$@" 2>&1); then
                echo "ok $_T_N - $name"
        else
                echo "not ok $_T_N - $name"
                printf '%s\n' "$out" | sed 's/^/# /' | head -40
                _T_FAILED=$((_T_FAILED + 1))
        fi
}
skip() { _T_N=$((_T_N + 1)); echo "ok $_T_N - $1 # SKIP $2"; }
done_testing() { exit $((_T_FAILED > 0)); }

# Assertions for use inside test functions (print why, return 1).
fail() { echo "FAIL: $*"; return 1; }
assert_eq() { [ "$1" = "$2" ] || fail "got '$1', want '$2' ${3:-}"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "'$2' not in: $1";; esac; }
assert_not_contains() { case "$1" in *"$2"*) fail "'$2' unexpectedly in: $1";; *) ;; esac; }
cc() { "$CCOMPOSE" "$@"; }

# what every system test file uses (the test images: umoci, skopeo)
require_commands ip jq python3 umoci skopeo

# ---- networks ----
# every link with its alias, one a line; a dump the kernel interrupted
# (other tests adding or removing links meanwhile) is taken again
all_links() {
        local out i
        for i in $(seq 20); do
                out=$(ip -o -d link show 2>&1) && ! grep -q "Dump was interrupted" <<<"$out" && break
                sleep 0.05
        done
        printf '%s\n' "$out"
}
# the project's kernel objects, by the alias ccompose gives them
links_of() { all_links | grep "alias ccompose $1@" | grep -oE '^[0-9]+: cc[bv]-[0-9a-f]{8}' | awk '{print $2}' | sort -u; }

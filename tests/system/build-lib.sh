# Helpers of the builder's system tests (test-build.sh, test-build-graph.sh),
# sourced after lib.sh: a work directory W, the busybox test images
# (build_setup, after `plan`), and nothing_left.
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
W=$TMP/work
mkdir -p "$W"
MARK=$W/.start
touch "$MARK"

# root, and busybox:test in the store (make-images.sh: busybox-static, offline)
build_setup() {
        [ "$(id -u)" = 0 ] || bail_out "needs root (RUN steps are containers)"
        setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
        setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"
}

# The RUN-step cgroups (ccompose/build/<id>, made since the file began)
# of this file that are left. Other test files build at the same time, so
# a cgroup there is this file's when a process in it has its mounts under
# this file's CCOMPOSE_ROOT (the overlay's directories name it), and one
# with no process is a leftover when it is still there after 10 s (a
# running step's cgroup is entered at once and removed when it ends).
build_cgroups_left() {
        local i d p pids empty
        for i in $(seq 100); do
                empty=()
                for d in $(find /sys/fs/cgroup -path '*/ccompose/build/*' -type d -newer "$MARK" 2>/dev/null); do
                        pids=$(cat "$d/cgroup.procs" 2>/dev/null) || continue
                        [ -n "$pids" ] || { empty+=("$d"); continue; }
                        for p in $pids; do
                                grep -qF "$CCOMPOSE_ROOT/" "/proc/$p/mountinfo" 2>/dev/null && { echo "$d (pid $p)"; return; }
                        done
                done
                [ ${#empty[@]} -gt 0 ] || return 0
                [ "$i" -lt 100 ] && sleep 0.1
        done
        echo "${empty[*]}"
}

# nothing of a build is left: containers, cgroups of RUN steps, mounts,
# scratch directories
nothing_left() {
        local left
        left=$(ls -A "$CCOMPOSE_ROOT/containers" 2>/dev/null) && [ -n "$left" ] && { fail "containers left: $left"; return 1; }
        left=$(ls -A "$CCOMPOSE_ROOT/build-tmp" 2>/dev/null) && [ -n "$left" ] && { fail "build-tmp left: $left"; return 1; }
        left=$(build_cgroups_left)
        [ -z "$left" ] || { fail "cgroups left: $left"; return 1; }
        left=$(grep -F " $CCOMPOSE_ROOT/" /proc/self/mountinfo)
        [ -z "$left" ] || { fail "mounts left: $left"; return 1; }
}

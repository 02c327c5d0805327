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

# nothing of a build is left: containers, cgroups of RUN steps, mounts,
# scratch directories
nothing_left() {
        local left
        left=$(ls -A "$CCOMPOSE_ROOT/containers" 2>/dev/null) && [ -n "$left" ] && { fail "containers left: $left"; return 1; }
        left=$(ls -A "$CCOMPOSE_ROOT/build-tmp" 2>/dev/null) && [ -n "$left" ] && { fail "build-tmp left: $left"; return 1; }
        left=$(find /sys/fs/cgroup -path '*/ccompose/build/*' -type d -newer "$MARK" 2>/dev/null)
        [ -z "$left" ] || { fail "cgroups left: $left"; return 1; }
        left=$(grep -F " $CCOMPOSE_ROOT/" /proc/self/mountinfo)
        [ -z "$left" ] || { fail "mounts left: $left"; return 1; }
}

#!/bin/bash
# System test of the modes under CCOMPOSE_ROOT (issue 11, Docker's
# CVE-2021-41091): no host user but root reaches the files of a container
# or of a layer by their path under the root, even when the root was made
# beforehand with mode 0755 (lib.sh makes it so), so a setuid-root binary
# a container writes cannot be run from the host. Loose modes left by an
# older ccompose are tightened at start; a root or a top directory that
# another user owns, or that is a symbolic link, is refused. Containers
# still work as a non-root user, with init and a named volume.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands jq setpriv stat
# The test's directory is 0700 (mktemp): open it, so that only the modes
# ccompose sets keep other users out of the root (as under /var/lib).
chmod 0755 "$TMP"

# as_nobody CMD...: run CMD as an unprivileged host user.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
mode_of() { stat -c %a "$1"; }

# Nothing of the root but traversal is open to others; the top
# directories and a container's own directory are root's alone.
check_modes() {
        local m d
        m=$(mode_of "$CCOMPOSE_ROOT")
        [ $((8#$m & 8#066)) -eq 0 ] || { fail "CCOMPOSE_ROOT has mode $m"; return 1; }
        for d in containers layers images volumes "$@"; do
                assert_eq "$(mode_of "$CCOMPOSE_ROOT/$d")" 700 "(mode of $d)" || return 1
        done
}

t_setuid_unreachable() {
        compose <<'EOF'
services:
  w:
    image: busybox:test
    command: ["sh", "-c", "cp /bin/busybox /id && chmod 4755 /id && echo secret >/secret && touch /done && sleep 1000"]
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        local id; id=$(ctr w id)
        local dir=$CCOMPOSE_ROOT/containers/$id
        wait_for 30 test -e "$dir/upper/done" || return 1
        # the exploit: the container's setuid-root copy of busybox, run by
        # path from the host by a user who is not root
        local out
        # (busybox runs the applet of its name; exec'd by a shell that runs
        # as the user: setpriv itself reaches its program as root)
        if out=$(as_nobody sh -c 'exec "$0" -u' "$dir/upper/id" 2>&1); then
                fail "a host user ran the container's setuid binary (euid $out)"; return 1
        fi
        assert_contains "$out" "Permission denied" || return 1
        if out=$(as_nobody cat "$dir/upper/secret" 2>&1); then fail "a host user read the container's file: $out"; return 1; fi
        if out=$(as_nobody ls "$CCOMPOSE_ROOT/layers" 2>&1); then fail "a host user listed the layers: $out"; return 1; fi
        if out=$(as_nobody ls "$CCOMPOSE_ROOT/containers" 2>&1); then fail "a host user listed the containers: $out"; return 1; fi
        # what the container wrote is still there for it
        assert_eq "$(ccp exec -T w cat /secret)" secret || return 1
        check_modes "containers/$id"
}

t_user_init_volume() {
        # a non-root user inside: its root directory, ccompose-init and a
        # named volume all come through mounts, not the host path
        compose <<'EOF'
services:
  u:
    image: busybox:test
    user: "1000"
    init: true
    command: ["sh", "-c", "id -u && ls / >/dev/null && echo hi >/tmp/x && cat /tmp/x && ls -d /data && echo ok"]
    volumes: [data:/data]
volumes:
  data:
EOF
        ccp up -d >/dev/null 2>&1 || return 1
        wait_for 30 is_status u exited || { ccp logs; return 1; }
        assert_eq "$(ctr u exit_code)" 0 "(exit code; logs: $(ccp logs --no-log-prefix u 2>&1 | tr '\n' ' '))" || return 1
        assert_eq "$(ccp logs --no-log-prefix u | tr '\n' ' ')" "1000 hi /data ok " || return 1
        check_modes
}

# A fresh root for a case of its own (the project's is left alone).
other_root() { OTHER=$TMP/other-$1; rm -rf "$OTHER"; mkdir -p "$OTHER"; chmod 0755 "$OTHER"; }
store() { CCOMPOSE_ROOT=$OTHER "$CCOMPOSE" image ls 2>&1; }

t_loose_modes_tightened() {
        # as an older ccompose left them
        other_root loose
        mkdir -p "$OTHER/containers/abc/upper" "$OTHER/layers" "$OTHER/volumes" "$OTHER/images"
        chmod 0777 "$OTHER"
        chmod 0711 "$OTHER/containers" "$OTHER/layers" "$OTHER/containers/abc"
        chmod 0755 "$OTHER/volumes" "$OTHER/images"
        local out; out=$(store) || { fail "image ls: $out"; return 1; }
        assert_eq "$(mode_of "$OTHER")" 711 "(root)" || return 1
        local d
        for d in containers layers volumes images; do
                assert_eq "$(mode_of "$OTHER/$d")" 700 "(mode of $d)" || return 1
        done
}

t_foreign_root_refused() {
        other_root foreign
        chown 65534:65534 "$OTHER"
        local out
        if out=$(store); then fail "a root owned by uid 65534 was used: $out"; return 1; fi
        assert_contains "$out" "owned by uid 65534" || return 1
        # the same for a top directory another user made, or a link
        other_root foreign2
        mkdir "$OTHER/containers" && chown 65534 "$OTHER/containers"
        if out=$(store); then fail "a containers/ owned by uid 65534 was used: $out"; return 1; fi
        assert_contains "$out" "owned by uid 65534" || return 1
        other_root link
        mkdir "$TMP/elsewhere" && ln -s "$TMP/elsewhere" "$OTHER/layers"
        if out=$(store); then fail "a symbolic link layers/ was used: $out"; return 1; fi
        assert_contains "$out" "symbolic link" || return 1
        # a world-writable shared directory (sticky, like /tmp) is no root
        other_root sticky
        chmod 1777 "$OTHER"
        if out=$(store); then fail "a sticky world-writable root was used: $out"; return 1; fi
        assert_eq "$(mode_of "$OTHER")" 1777 "(left alone)"
}

run_cases \
        "a setuid binary a container wrote cannot be run or read from the host by its path:t_setuid_unreachable" \
        "a container as user 1000 with init and a named volume still works:t_user_init_volume" \
        "loose modes of an older root are tightened at start:t_loose_modes_tightened" \
        "a root or top directory owned by another user, a link, or a sticky root is refused:t_foreign_root_refused"

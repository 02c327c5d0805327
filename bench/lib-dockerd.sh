# bench/lib-dockerd.sh: a private Docker daemon (Debian's docker.io 20.10)
# for benchmarks that measure ccompose against Docker itself. Source it,
# then:
#   dockerd_start            start dockerd and a containerd of its own
#   dk ARGS...               /usr/bin/docker (Debian's 20.10 CLI) against it
#   dockerd_load_image REF   copy an image from ccompose's store into it
#                            (ccompose image save -o + docker load; uses
#                            $CCOMPOSE, default ccompose on PATH)
#   dockerd_stop             stop both, remove everything they made
# After dockerd_start: DOCKERD_DIR (its temporary directory), DOCKERD_HOST
# (unix://.../docker.sock, for clients that take DOCKER_HOST), DOCKERD_PID.
# DOCKERD_FLAGS (set before dockerd_start): more dockerd options.
# DOCKERD_BRIDGE_CIDR (set before dockerd_start, e.g. 10.213.108.1/24): give
# dockerd a default bridge network on that address, a bridge of our own
# (ccdkbr-<pid>) made here and removed by dockerd_stop, still without
# iptables rules, forwarding or masquerading: containers on it reach the
# bridge and each other only.
#
# What it keeps off the host: state, images and sockets live in one
# temporary directory (--data-root, --exec-root, its containerd's root,
# state and sockets); no docker0 bridge (unless DOCKERD_BRIDGE_CIDR), no iptables/ip6tables rules, no IP
# forwarding or masquerading (--bridge=none, --iptables=false ...); the
# host's /etc/docker/daemon.json and key.json are neither read nor written;
# no systemd unit. Both daemons run in a private mount namespace (their
# overlay and network-namespace mounts die with them) and in a pids cgroup
# of their own, which their containers, shims and build steps also land
# under (--cgroup-parent); dockerd_stop stops dockerd and containerd by
# the PIDs they were started with, checks that nothing is left in that
# cgroup (what is, is ended by PID, said on stderr), removes the cgroups
# in every hierarchy, unmounts whatever is still mounted under the
# directory and removes it. Three directories are hard-wired in the
# daemons: /run/docker/plugins (dockerd), /run/containerd/s (the shims'
# sockets in containerd 1.6) and /run/runc (runc's state for BuildKit's
# RUN steps): removed again if dockerd_start made them and they are empty
# (a daemon of another bench running at the same time may use them too).
#
# Root only. Needs dockerd, containerd, runc (docker.io) and curl.

DOCKERD_DOCKER=/usr/bin/docker

# _dockerd_cgroups: every cgroup directory of this daemon, deepest first
_dockerd_cgroups() {
        [ -n "${DOCKERD_CGROUP:-}" ] || return 0
        local h
        for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
                [ -d "$h$DOCKERD_CGROUP" ] && find "$h$DOCKERD_CGROUP" -depth -type d
        done
        return 0
}

# _dockerd_procs: PIDs in the daemon's pids cgroup subtree
_dockerd_procs() {
        [ -n "${DOCKERD_CGROUP:-}" ] || return 0
        local d=/sys/fs/cgroup/pids/$DOCKERD_CGROUP
        [ -d "$d" ] || return 0
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

# _dockerd_wait_gone PID SECONDS: 0 once PID has exited
_dockerd_wait_gone() {
        local i
        for ((i = 0; i < $2 * 10; i++)); do
                kill -0 "$1" 2>/dev/null || return 0
                sleep 0.1
        done
        return 1
}

dk() { DOCKER_CONFIG=$DOCKERD_DIR/cli DOCKER_HOST=$DOCKERD_HOST "$DOCKERD_DOCKER" "$@"; }

dockerd_start() {
        local c cmd
        for cmd in dockerd containerd runc curl; do
                command -v "$cmd" >/dev/null || { echo "lib-dockerd.sh: $cmd is not installed (scripts/install-deps.sh installs docker.io and curl)" >&2; return 1; }
        done
        [ -x "$DOCKERD_DOCKER" ] || { echo "lib-dockerd.sh: $DOCKERD_DOCKER is not installed (docker.io)" >&2; return 1; }
        [ -d /sys/fs/cgroup/pids ] || { echo "lib-dockerd.sh: needs the cgroup v1 pids hierarchy (/sys/fs/cgroup/pids)" >&2; return 1; }
        DOCKERD_DIR=$(mktemp -d /tmp/ccompose-dockerd.XXXXXX)
        DOCKERD_CGROUP=${DOCKERD_DIR##*/}
        DOCKERD_HOST=unix://$DOCKERD_DIR/docker.sock
        # made by the daemons outside the directory (hard-wired paths)
        DOCKERD_HOST_DIRS=
        [ -e /run/containerd ] || DOCKERD_HOST_DIRS+=" /run/containerd/s /run/containerd"
        [ -e /run/docker ] || DOCKERD_HOST_DIRS+=" /run/docker/plugins /run/docker"
        [ -e /run/runc ] || DOCKERD_HOST_DIRS+=" /run/runc"
        mkdir -p "$DOCKERD_DIR/data" "$DOCKERD_DIR/exec" "$DOCKERD_DIR/cli" "$DOCKERD_DIR/containerd/root" "$DOCKERD_DIR/containerd/state" "$DOCKERD_DIR/containerd/opt"
        mkdir -p "/sys/fs/cgroup/pids/$DOCKERD_CGROUP/daemons"
        DOCKERD_BRIDGE=none
        if [ -n "${DOCKERD_BRIDGE_CIDR:-}" ]; then
                DOCKERD_BRIDGE=ccdkbr-$$
                ip link add "$DOCKERD_BRIDGE" type bridge &&
                        ip addr add "$DOCKERD_BRIDGE_CIDR" dev "$DOCKERD_BRIDGE" &&
                        ip link set "$DOCKERD_BRIDGE" up || {
                        echo "lib-dockerd.sh: cannot make the bridge $DOCKERD_BRIDGE ($DOCKERD_BRIDGE_CIDR)" >&2
                        dockerd_stop
                        return 1
                }
        fi
        printf '{"deprecated-key-path": "%s/key.json"}\n' "$DOCKERD_DIR" >"$DOCKERD_DIR/daemon.json"
        c=$DOCKERD_DIR/containerd
        cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
EOF
        # The launcher joins the cgroup, starts containerd, waits for its
        # socket and becomes dockerd (same PID), all in one new mount
        # namespace and session.
        setsid unshare -m --propagation private bash -c '
                d=$1 cg=$2 extra=$3 bridge=$4
                echo $$ >"/sys/fs/cgroup/pids/$cg/daemons/cgroup.procs" || exit 1
                containerd --config "$d/containerd/config.toml" </dev/null >"$d/containerd.log" 2>&1 &
                echo $! >"$d/containerd.pid"
                for ((i = 0; i < 600; i++)); do
                        [ -S "$d/containerd/containerd.sock" ] && break
                        kill -0 "$(cat "$d/containerd.pid")" 2>/dev/null || { echo "containerd exited" >&2; exit 1; }
                        sleep 0.1
                done
                exec dockerd --data-root "$d/data" --exec-root "$d/exec" -H "unix://$d/docker.sock" \
                        --pidfile "$d/dockerd.pid" --config-file "$d/daemon.json" \
                        --containerd "$d/containerd/containerd.sock" --cgroup-parent "/$cg" \
                        --bridge="$bridge" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
                        --userland-proxy=false --log-level=warn $extra
        ' dockerd-launch "$DOCKERD_DIR" "$DOCKERD_CGROUP" "${DOCKERD_FLAGS:-}" "$DOCKERD_BRIDGE" </dev/null >"$DOCKERD_DIR/dockerd.log" 2>&1 &
        DOCKERD_PID=$!
        local i
        for ((i = 0; i < 600; i++)); do
                [ "$(curl -s --max-time 2 --unix-socket "$DOCKERD_DIR/docker.sock" http://d/_ping 2>/dev/null)" = OK ] && break
                if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
                        echo "lib-dockerd.sh: dockerd exited while starting; its log:" >&2
                        tail -n 20 "$DOCKERD_DIR/dockerd.log" "$DOCKERD_DIR/containerd.log" >&2 2>/dev/null
                        dockerd_stop
                        return 1
                fi
                sleep 0.1
        done
        if [ "$i" = 600 ]; then
                echo "lib-dockerd.sh: dockerd did not answer /_ping within 60 s" >&2
                dockerd_stop
                return 1
        fi
        if [ "$(cat "$DOCKERD_DIR/dockerd.pid" 2>/dev/null)" != "$DOCKERD_PID" ]; then
                echo "lib-dockerd.sh: dockerd's pidfile does not name the process started ($DOCKERD_PID)" >&2
                dockerd_stop
                return 1
        fi
}

dockerd_load_image() {
        local ref=$1 tar
        tar=$DOCKERD_DIR/load-$$.tar
        "${CCOMPOSE:-ccompose}" image save -o "$tar" "$ref" || { rm -f "$tar"; return 1; }
        dk load -q -i "$tar" >/dev/null || { rm -f "$tar"; return 1; }
        rm -f "$tar"
}

# _dockerd_term PID NAME SECONDS: SIGTERM, then SIGKILL (and status 1) when
# PID is still there after SECONDS; nothing when PID is empty or gone.
_dockerd_term() {
        local pid=$1 name=$2 secs=$3
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
        kill -TERM "$pid"
        _dockerd_wait_gone "$pid" "$secs" && return 0
        echo "lib-dockerd.sh: $name ($pid) did not stop within $secs s: killed" >&2
        kill -KILL "$pid" 2>/dev/null
        _dockerd_wait_gone "$pid" 10
        return 1
}

dockerd_stop() {
        [ -n "${DOCKERD_DIR:-}" ] && [ -d "$DOCKERD_DIR" ] || return 0
        local rc=0 pid p m cg
        # dockerd first (it stops its containers), then its containerd
        _dockerd_term "${DOCKERD_PID:-}" dockerd 30 || rc=1
        pid=$(cat "$DOCKERD_DIR/containerd.pid" 2>/dev/null || true)
        _dockerd_term "$pid" containerd 20 || rc=1
        # anything else of theirs (shims, containers, build steps) is in
        # their cgroup subtree: there should be nothing
        local socks=() args
        for p in $(_dockerd_procs); do
                args=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null || true)
                echo "lib-dockerd.sh: left behind by dockerd: $p ($args): killed" >&2
                # a shim killed leaves its socket, named by the hash of
                # containerd's address, namespace and container id
                [[ "$args" =~ -namespace\ ([^ ]+)\ -id\ ([^ ]+)\ -address\ ([^ ]+) ]] &&
                        socks+=("/run/containerd/s/$(printf '%s/%s/%s' "${BASH_REMATCH[3]}" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" | sha256sum | cut -d' ' -f1)")
                kill -KILL "$p" 2>/dev/null
                rc=1
        done
        for p in $(_dockerd_procs); do _dockerd_wait_gone "$p" 10; done
        for p in "${socks[@]}"; do [ ! -S "$p" ] || rm -f "$p"; done
        for cg in $(_dockerd_cgroups); do
                rmdir "$cg" 2>/dev/null || { echo "lib-dockerd.sh: cannot remove cgroup $cg" >&2; rc=1; }
        done
        if [ "${DOCKERD_BRIDGE:-none}" != none ]; then
                ip link del "$DOCKERD_BRIDGE" 2>/dev/null || { echo "lib-dockerd.sh: cannot remove the bridge $DOCKERD_BRIDGE" >&2; rc=1; }
        fi
        DOCKERD_BRIDGE=none
        # the mounts were in the daemons' own namespace; any in ours go too
        for m in $(awk -v d="$DOCKERD_DIR" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
        done
        if awk -v d="$DOCKERD_DIR" '$5 == d || index($5, d "/") == 1 {f = 1} END {exit !f}' /proc/self/mountinfo; then
                echo "lib-dockerd.sh: mounts left under $DOCKERD_DIR: not removed" >&2
                return 1
        fi
        rm -rf "$DOCKERD_DIR"
        # (not empty: another private daemon's, started meanwhile, uses it)
        for m in ${DOCKERD_HOST_DIRS:-}; do
                [ ! -d "$m" ] || rmdir "$m" 2>/dev/null || true
        done
        DOCKERD_DIR= DOCKERD_PID= DOCKERD_CGROUP=
        return $rc
}

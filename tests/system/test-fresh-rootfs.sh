#!/bin/bash
# The package on a fresh Debian 12 (issue 17, "done when"): the .deb built
# from this tree is installed with apt into a Debian 12 root filesystem made
# by mmdebstrap (its dependencies and what a user has: man-db,
# bash-completion, the docker CLI of docker.io, busybox-static), and there
# `ccompose version`, `man ccompose-up`, bash's Tab completion of a
# project's services (bash-completion loading the package's script),
# `docker compose version` answered by ccompose once the plugin link is
# made (and not before), and a one-service `up -d`/`down` work.
#
# The root filesystem is a tarball cached under /var/cache/ccompose-tests
# (scripts/debian-rootfs.sh): the first run downloads it from the mirror
# (about 30 s to a few minutes), later runs are offline. Without the
# tarball and without the mirror, every case is skipped, saying why.
# Everything runs in the root filesystem (chroot) inside new mount,
# network and PID namespaces: its bridges, mounts and processes go with
# them; only the cgroups are the host's, and are checked to be gone.
# Takes a package build (about a minute) plus about a minute.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands dpkg-buildpackage dh mmdebstrap curl
source "$(dirname "${BASH_SOURCE[0]}")/deb-lib.sh"

P=ccshipfresh
MIRROR=${CCOMPOSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CASES=(
        "apt installs the package and its dependencies, offline:t_install"
        "ccompose version:t_version"
        "man ccompose-up:t_man"
        "bash completion of the project's services:t_bash_completion"
        "docker compose version answered by ccompose once the plugin link is made:t_docker_plugin"
        "a one-service up -d and down, nothing left:t_up_down"
)
plan ${#CASES[@]}

build_deb
# what a user of a fresh system has, and the package's dependencies: the
# installation below needs no download (the tarball is keyed by the list)
PACKAGES="bash-completion,busybox-static,docker.io,man-db,$(deb_depends)"
tarball=$("$SRCDIR/scripts/debian-rootfs.sh" --path fresh "$PACKAGES")
if [ ! -s "$tarball" ] && ! curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/bookworm/Release" 2>/dev/null; then
        for c in "${CASES[@]}"; do skip "${c%:*}" "the Debian mirror $MIRROR is not reachable and no root filesystem is cached"; done
        done_testing
fi
out=$("$SRCDIR/scripts/debian-rootfs.sh" fresh "$PACKAGES" 2>&1) || bail_out "making the root filesystem failed: $out"

R=$TMP/rootfs
mkdir -p "$R"
tar -C "$R" -xf "$tarball" || bail_out "unpacking $tarball failed"
cp "$DEB" "$R/tmp/ccompose.deb"

# The namespaces: a process that holds them (unshare's child, PID 1 of the
# new PID namespace); ending unshare (--kill-child) ends every process in
# them. The host never sees the mounts made in there.
unshare --mount --net --pid --fork --kill-child sleep infinity </dev/null >/dev/null 2>&1 &
HOLDER=$!
disown "$HOLDER"
on_exit "kill -9 $HOLDER" # (unshare --fork ignores SIGTERM)
for _ in $(seq 100); do
        NSPID=$(cat "/proc/$HOLDER/task/$HOLDER/children" 2>/dev/null | awk '{print $1}')
        [ -n "$NSPID" ] && [ "$(readlink "/proc/$NSPID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.1
done
[ -n "${NSPID:-}" ] || bail_out "the namespaces' process did not start"
inns() { nsenter -t "$NSPID" -m -n -p -- "$@"; }
# inroot CMD...: CMD in the root filesystem, with a clean environment
inroot() { inns chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"; }
# the root a mount point of its own, as / is on a system (containers make it rslave)
for m in "--bind $R $R" "-t proc proc $R/proc" "-t sysfs sysfs $R/sys" "--rbind /sys/fs/cgroup $R/sys/fs/cgroup" \
        "--rbind /dev $R/dev" "-t tmpfs tmpfs $R/run"; do
        # shellcheck disable=SC2086
        out=$(inns mount $m 2>&1) || bail_out "mount $m: $out"
done
setup_or_bail inns ip link set lo up

# the project's cgroups on the host (the one thing not namespaced)
host_cgroups() { ls -d /sys/fs/cgroup/*/ccompose/"$P" 2>/dev/null; return 0; }
on_exit 'for d in $(host_cgroups); do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done'

t_install() {
        local out
        # (the network namespace has no route out: nothing can be downloaded)
        out=$(inroot apt-get install -y /tmp/ccompose.deb 2>&1) || { fail "apt-get install: $out"; return 1; }
        out=$(inroot dpkg-query -W -f '${Status}' ccompose 2>&1)
        assert_eq "$out" "install ok installed"
}
t_version() {
        local out
        out=$(inroot ccompose version 2>&1) || { fail "ccompose version: $out"; return 1; }
        assert_contains "$out" "ccompose version $(dpkg-deb -f "$DEB" Version)" || return 1
        out=$(inroot /usr/libexec/ccompose/ccompose-init --help 2>&1; true)
        [ -x "$R/usr/libexec/ccompose/ccompose-init" ] || { fail "no ccompose-init: $out"; return 1; }
}
t_man() {
        local out
        out=$(inroot env MANWIDTH=200 man -P cat ccompose-up 2>&1) || { fail "man ccompose-up: $out"; return 1; }
        assert_contains "$out" "ccompose-up - Create and start containers" || return 1
        assert_contains "$out" "--detach" || return 1
        out=$(inroot env MANWIDTH=200 man -P cat ccompose 2>&1) || { fail "man ccompose: $out"; return 1; }
        assert_contains "$out" "ccompose-up(1)"
}

mkdir -p "$R/srv/app"
cat >"$R/srv/app/compose.yaml" <<'YAML'
name: ccshipfresh
services:
  web:
    image: busybox:fresh
    command: ["sh", "-c", "echo made on a fresh system > /tmp/ok; exec sleep 300"]
  worker:
    image: busybox:fresh
    profiles: [later]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.123.0/24
YAML

# bash as a user's: bash-completion loads the package's script on first
# use (/usr/share/bash-completion/completions/ccompose), then Tab after
# `ccompose up ` in the project's directory
t_bash_completion() {
        local out
        out=$(inroot bash -c 'cd /srv/app && source /usr/share/bash-completion/bash_completion &&
                __load_completion ccompose && f=$(complete -p ccompose | sed -n "s/.*-F \([^ ]*\) .*/\1/p") &&
                COMP_LINE="ccompose up " COMP_POINT=12 COMP_WORDS=(ccompose up "") COMP_CWORD=2 &&
                $f ccompose "" up && printf "%s\n" "${COMPREPLY[@]}"' 2>&1) || { fail "completion: $out"; return 1; }
        assert_eq "$out" "web" || return 1
        out=$(inroot bash -c 'cd /srv/app && source /usr/share/bash-completion/bash_completion &&
                __load_completion ccompose && COMP_WORDS=(ccompose --profile later stop w) COMP_CWORD=4 &&
                _ccompose && printf "%s\n" "${COMPREPLY[@]}" | sort' 2>&1)
        assert_eq "$out" "$(printf 'web\nworker')"
}
t_docker_plugin() {
        local out
        # opt-in: docker's own error until the link is made
        out=$(inroot docker compose version 2>&1) && { fail "docker compose answered before the link: $out"; return 1; }
        assert_contains "$out" "'compose' is not a docker command" || return 1
        inroot mkdir -p /usr/libexec/docker/cli-plugins || return 1
        inroot ln -s /usr/bin/ccompose /usr/libexec/docker/cli-plugins/docker-compose || return 1
        out=$(inroot docker compose version 2>&1) || { fail "docker compose version: $out"; return 1; }
        assert_contains "$out" "ccompose version" || return 1
        out=$(inroot docker --help 2>&1)
        assert_contains "$out" "Docker Compose (ccompose: without Docker)"
}

# no project left: state, containers, links, nft table, cgroups, processes
nothing_left() {
        local m
        [ -e "$R/run/ccompose/$P" ] && { fail "state directory left"; return 1; }
        m=$(ls -A "$R/var/lib/ccompose/containers" 2>/dev/null) && [ -n "$m" ] && { fail "containers left: $m"; return 1; }
        m=$(inns ip -o link show | grep -E 'cc[bv]-') && { fail "links left: $m"; return 1; }
        m=$(host_cgroups) && [ -n "$m" ] && { fail "cgroups left: $m"; return 1; }
        # (in the PID namespace: its PID 1, sleep, and this sh and cat)
        # (PID 1 there, sleep, reaps no orphan: zombies are left out)
        m=$(inroot sh -c 'for p in /proc/[0-9]*; do grep -q "^[0-9]* ([^)]*) [^Z]" $p/stat 2>/dev/null && cat $p/comm; done' |
                grep -v -x -E 'sleep|sh|cat|grep') && { fail "processes left: $m"; return 1; }
        return 0
}
t_up_down() {
        local out
        # an image from the system's busybox-static
        out=$(inroot sh -c 'mkdir -p /tmp/bb/bin /tmp/bb/tmp && cp /bin/busybox /tmp/bb/bin/ &&
                for a in sh echo sleep cat; do ln -s busybox /tmp/bb/bin/$a; done &&
                tar -C /tmp/bb -cf /tmp/bb.tar . &&
                ccompose image import -c "ENV PATH=/bin" /tmp/bb.tar busybox:fresh' 2>&1) || { fail "image: $out"; return 1; }
        out=$(inroot sh -c 'cd /srv/app && timeout 120 ccompose up -d' 2>&1) || { fail "up -d: $out"; return 1; }
        assert_contains "$out" "Container $P-web-1  Started" || { inroot sh -c 'cd /srv/app && ccompose down' >/dev/null 2>&1; return 1; }
        local rc=0
        # the container's first line, once written
        for _ in $(seq 100); do
                out=$(inroot sh -c 'cd /srv/app && timeout 60 ccompose exec -T web cat /tmp/ok' 2>&1) && break
                sleep 0.2
        done
        assert_eq "$out" "made on a fresh system" || { inroot sh -c 'cd /srv/app && ccompose logs; ccompose ps -a'; rc=1; }
        out=$(inroot sh -c 'cd /srv/app && docker compose ps' 2>&1)
        assert_contains "$out" "$P-web-1" || rc=1
        assert_contains "$out" " Up " || rc=1
        out=$(inns ip -o link show | grep -c -E '^[0-9]+: ccb-')
        assert_eq "$out" 1 || rc=1
        out=$(inroot sh -c 'cd /srv/app && timeout 120 ccompose down -t 1' 2>&1) || { fail "down: $out"; rc=1; }
        nothing_left || rc=1
        return $rc
}

for c in "${CASES[@]}"; do t "${c%:*}" "${c##*:}"; done
done_testing

#!/usr/bin/env bash
# debian-rootfs.sh NAME PACKAGES [MMDEBSTRAP-OPTION...]: a Debian 12
# (bookworm) root filesystem as a tar, made by mmdebstrap from the mirror
# once and cached; prints the tarball's path.
#
#   scripts/debian-rootfs.sh fresh man-db,bash-completion    # build or find it
#   scripts/debian-rootfs.sh --path fresh man-db,bash-completion  # where it is (built or not)
#
# PACKAGES (comma separated) are installed on top of mmdebstrap's apt
# variant; the options go to mmdebstrap as they are. The tarball is cached
# in $CCOMPOSE_STACK_CACHE (default /var/cache/ccompose-tests) under NAME
# and a key of the packages, the options and the mirror: a later call with
# the same arguments returns at once, without the mirror; a new one
# replaces the older ones of NAME. Concurrent calls are serialised with a
# lock. Needs root, mmdebstrap
# (scripts/install-deps.sh) and the mirror ($CCOMPOSE_DEBIAN_MIRROR,
# default http://deb.debian.org/debian) the first time.
set -euo pipefail
CACHE=${CCOMPOSE_STACK_CACHE:-/var/cache/ccompose-tests}
MIRROR=${CCOMPOSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
path_only=false
if [ "${1:-}" = --path ]; then
        path_only=true
        shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--path] NAME PACKAGES [MMDEBSTRAP-OPTION...]" >&2; exit 2; }
name=$1 packages=$2
shift 2
OPTS=(--variant=apt --format=tar ${packages:+--include="$packages"} "$@")

key=$(printf '%s\n' bookworm "$MIRROR" "${OPTS[@]}" | sha256sum | cut -c1-16)
tarball=$CACHE/$name-$key.tar
if $path_only; then
        echo "$tarball"
        exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.$name.lock"
flock 9
if [ ! -s "$tarball" ]; then
        command -v mmdebstrap >/dev/null || { echo "debian-rootfs.sh: mmdebstrap is not installed (scripts/install-deps.sh)" >&2; exit 1; }
        echo "building the $name root filesystem with mmdebstrap (once; cached in $CACHE)" >&2
        log=$(mktemp)
        if ! mmdebstrap -q "${OPTS[@]}" bookworm "$tarball.part" "$MIRROR" >"$log" 2>&1; then
                echo "debian-rootfs.sh: mmdebstrap failed:" >&2
                tail -20 "$log" >&2
                rm -f "$log" "$tarball.part"
                exit 1
        fi
        rm -f "$log"
        mv "$tarball.part" "$tarball"
        # the ones of this name made for other package lists go (half a GB each)
        for old in "$CACHE/$name"-*.tar; do
                [ "$old" = "$tarball" ] || rm -f "$old"
        done
fi
echo "$tarball"

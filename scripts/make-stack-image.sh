#!/usr/bin/env bash
# Makes the image of examples/flask-stack, ccompose-examples/flask-stack:bookworm:
# one Debian 12 root filesystem with PostgreSQL 15, Redis, nginx and Python
# 3 with Flask, psycopg2 and redis, built by mmdebstrap from the Debian
# mirror, then imported with `ccompose image import`.
#
#   scripts/make-stack-image.sh              # into $CCOMPOSE_ROOT (default /var/lib/ccompose)
#   scripts/make-stack-image.sh --rootfs     # only build (or find) the tarball; prints its path
#   scripts/make-stack-image.sh --rootfs-path  # print where the tarball is cached (built or not)
#   scripts/make-stack-image.sh --force      # import again even if present
#
# The tarball is cached in $CCOMPOSE_STACK_CACHE (default
# /var/cache/ccompose-tests), keyed by the package list and the build
# options: the first run downloads and unpacks about 100 MB of packages
# (a minute or two), later runs only import it. Needs root, mmdebstrap
# (scripts/install-deps.sh) and the mirror ($CCOMPOSE_DEBIAN_MIRROR,
# default http://deb.debian.org/debian) on the first run.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$REPO/build/ccompose}
IMAGE=ccompose-examples/flask-stack:bookworm
CACHE=${CCOMPOSE_STACK_CACHE:-/var/cache/ccompose-tests}
MIRROR=${CCOMPOSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=postgresql-15,redis-server,redis-tools,nginx-light,python3-flask,python3-psycopg2,python3-redis
# no documentation or translations (a third of the size); the cluster that
# postgresql-15's installation makes is dropped: the db service makes its own
OPTS=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
        --dpkgopt='path-exclude=/usr/share/info/*'
        --customize-hook='chroot "$1" pg_dropcluster 15 main')
mode=import
case "${1:-}" in
--force) mode=force ;;
--rootfs) mode=rootfs ;;
--rootfs-path) mode=path ;;
"") ;;
*) echo "usage: $0 [--force|--rootfs|--rootfs-path]" >&2; exit 2 ;;
esac

if [ "$mode" = path ]; then
        exec "$REPO/scripts/debian-rootfs.sh" --path flask-stack "$PACKAGES" "${OPTS[@]}"
fi
tarball=$("$REPO/scripts/debian-rootfs.sh" flask-stack "$PACKAGES" "${OPTS[@]}")
if [ "$mode" = rootfs ]; then
        echo "$tarball"
        exit 0
fi
[ -x "$CCOMPOSE" ] || { echo "make-stack-image.sh: $CCOMPOSE not built (meson setup build && meson compile -C build)" >&2; exit 1; }
if [ "$mode" = import ] && "$CCOMPOSE" image inspect "$IMAGE" >/dev/null 2>&1; then
        echo "$IMAGE is there already"
        exit 0
fi
id=$("$CCOMPOSE" image import \
        -c 'CMD ["bash"]' \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'ENV LANG=C.UTF-8' \
        -c 'WORKDIR /' \
        -m "mmdebstrap bookworm: $PACKAGES" \
        "$tarball" "$IMAGE")
echo "$IMAGE ${id#sha256:}"

#!/usr/bin/env bash
# Makes the local image the examples use, ccompose-examples/busybox:latest,
# from Debian's busybox-static (/bin/busybox): no registry, no network.
#
#   scripts/make-example-images.sh            # into $CCOMPOSE_ROOT (default /var/lib/ccompose)
#   CCOMPOSE=path/to/ccompose scripts/make-example-images.sh
#   scripts/make-example-images.sh --force    # import again even if present
#
# The root filesystem comes from tests/system/make-images.sh (busybox and a
# symlink per applet, /etc/passwd and /etc/group with root, nobody and app,
# /tmp); it is imported with `ccompose image import` with Cmd ["sh"] and a
# PATH. Idempotent: when the image is in the store already, nothing
# happens. Needs root (the image store) and busybox-static, umoci and
# skopeo (scripts/install-deps.sh installs them).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$REPO/build/ccompose}
IMAGE=ccompose-examples/busybox:latest
WORK=${CCOMPOSE_EXAMPLE_IMAGES:-/var/tmp/ccompose-example-images}
force=false
case "${1:-}" in
--force) force=true ;;
"") ;;
*) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

[ -x "$CCOMPOSE" ] || { echo "make-example-images.sh: $CCOMPOSE not built (meson setup build && meson compile -C build)" >&2; exit 1; }
if ! $force && "$CCOMPOSE" image inspect "$IMAGE" >/dev/null 2>&1; then
        echo "$IMAGE is there already"
        exit 0
fi
"$REPO/tests/system/make-images.sh" "$WORK"
id=$("$CCOMPOSE" image import \
        -c 'CMD ["sh"]' \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'WORKDIR /' \
        -m "busybox-static $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo local)" \
        "$WORK/rootfs.tar" "$IMAGE")
echo "$IMAGE ${id#sha256:}"

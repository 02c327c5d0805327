#!/bin/bash
# make-images.sh DIR: build busybox test images from Debian's busybox-static
# (/bin/busybox), offline, for the system tests. Usage from a test:
#
#   IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
#   "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || exit 1
#   cc image load -i "$IMAGES/busybox-docker.tar"     # -> docker.io/library/busybox:test
#
# DIR then holds:
#   rootfs/              the root filesystem: /bin/busybox plus a symlink per applet
#                        (sh, ls, cat, echo, sleep, id, ps, mount, nc, wget, grep, ...),
#                        /etc/passwd and /etc/group with root, nobody and app
#                        (uid 1000, gid 1000, also in groups wheel(10) and audio(29)),
#                        /tmp (1777), /root, /home/app (owned by app), /proc, /sys, /dev
#   rootfs.tar           that tree as a plain tar (for `ccompose image import`)
#   oci/                 an OCI image layout (umoci), tag "test": Cmd ["sh"],
#                        Env PATH=/usr/sbin:/usr/bin:/sbin:/bin, WorkingDir /,
#                        one gzip layer
#   busybox-docker.tar   docker-archive (skopeo), RepoTags busybox:test
#   busybox-oci.tar      OCI archive (skopeo), reference name busybox:test
#
# The result is cached in DIR (keyed by this script's version and the
# busybox binary): later calls return at once. Concurrent calls with the
# same DIR are serialised with a lock. Prints nothing but errors.
set -euo pipefail

VERSION=1
DIR=${1:?usage: make-images.sh DIR}
BUSYBOX=${BUSYBOX:-/bin/busybox}

for tool in umoci skopeo flock tar; do
        command -v "$tool" >/dev/null || { echo "make-images.sh: $tool is not installed" >&2; exit 1; }
done
[ -x "$BUSYBOX" ] || { echo "make-images.sh: $BUSYBOX missing (apt-get install busybox-static)" >&2; exit 1; }

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
exec 9>"$DIR/.lock"
flock 9

stamp="v$VERSION $(sha256sum "$BUSYBOX" | cut -d' ' -f1)"
if [ -f "$DIR/.stamp" ] && [ "$(cat "$DIR/.stamp")" = "$stamp" ]; then
        exit 0
fi

# Build from scratch, quietly; errors go to stderr with the failing step.
find "$DIR" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
W=$DIR/.work
mkdir -p "$W"
log=$W/log
trap 'echo "make-images.sh: failed; log:" >&2; cat "$log" >&2 2>/dev/null' ERR

R=$DIR/rootfs
mkdir -p "$R"/{bin,sbin,etc,tmp,root,home/app,proc,sys,dev,var/tmp,usr/bin,usr/sbin}
chmod 1777 "$R/tmp" "$R/var/tmp"
chmod 700 "$R/root"
cp "$BUSYBOX" "$R/bin/busybox"
for applet in $("$BUSYBOX" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$R/bin/$applet"
done
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
wheel:x:10:app
audio:x:29:app
nogroup:x:65534:
app:x:1000:
EOF
echo "ccompose-test" >"$R/etc/hostname"
chown 1000:1000 "$R/home/app"
# Fixed times make the tarballs (and so the digests) stable across runs.
find "$R" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +

tar --numeric-owner --sort=name -C "$R" -cf "$DIR/rootfs.tar" . >>"$log" 2>&1

umoci init --layout "$W/oci" >>"$log" 2>&1
umoci new --image "$W/oci:test" >>"$log" 2>&1
umoci unpack --image "$W/oci:test" "$W/bundle" >>"$log" 2>&1
cp -a "$R/." "$W/bundle/rootfs/"
umoci repack --no-history --image "$W/oci:test" "$W/bundle" >>"$log" 2>&1
umoci config --no-history --image "$W/oci:test" --os linux --architecture amd64 \
        --config.cmd sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.workingdir / \
        --created 2024-01-01T00:00:00Z >>"$log" 2>&1
umoci gc --layout "$W/oci" >>"$log" 2>&1
mv "$W/oci" "$DIR/oci"

skopeo --insecure-policy copy -q "oci:$DIR/oci:test" "docker-archive:$DIR/busybox-docker.tar:busybox:test" >>"$log" 2>&1
skopeo --insecure-policy copy -q "oci:$DIR/oci:test" "oci-archive:$DIR/busybox-oci.tar:busybox:test" >>"$log" 2>&1

rm -rf "$W"
echo "$stamp" >"$DIR/.stamp"

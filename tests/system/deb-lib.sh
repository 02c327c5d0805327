#!/bin/bash
# The Debian package of the source tree, for test-deb.sh and
# test-fresh-rootfs.sh (sourced after lib.sh; not a test itself).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
        echo "1..0 # SKIP deb-lib.sh is a library for the .deb tests"
        exit 0
fi

# build_deb: dpkg-buildpackage -us -uc -b on a copy of the source tree as it
# is (without build directories); the package's path in $DEB. Stops the
# file (bail out) when it fails. Takes a full build (about a minute on two
# cores); CCOMPOSE_TEST_DEB=PATH uses a package built already instead.
# The package is kept in DEB_CACHE under a hash of the tree's files, so
# test-deb.sh and test-fresh-rootfs.sh build it once (the second, running
# at the same time, waits for the first); a build of another tree replaces
# it. $DEB is this file's own copy.
DEB_CACHE=${CCOMPOSE_TEST_DEB_CACHE:-/var/cache/ccompose-tests/deb}
build_deb() {
        local src=$TMP/pkg/ccompose out key lock
        if [ -n "${CCOMPOSE_TEST_DEB:-}" ]; then
                DEB=$CCOMPOSE_TEST_DEB
                [ -f "$DEB" ] || bail_out "CCOMPOSE_TEST_DEB: no file $DEB"
                return 0
        fi
        mkdir -p "$src" "$DEB_CACHE" || bail_out "cannot make $src and $DEB_CACHE"
        key=$(tar -C "$SRCDIR" --exclude='./build*' --exclude=./.git --sort=name --mtime=@0 --owner=0 --group=0 \
                --numeric-owner -cf - . | sha256sum | cut -c1-16) || bail_out "hashing the source tree failed"
        exec {lock}>"$DEB_CACHE/.lock"
        flock "$lock"
        if ! cp "$DEB_CACHE/$key"/ccompose_*_*.deb "$TMP/pkg/" 2>/dev/null; then
                tar -C "$SRCDIR" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf - ||
                        bail_out "copying the source tree failed"
                out=$(cd "$src" && timeout 1200 dpkg-buildpackage -us -uc -b 2>&1) ||
                        bail_out "dpkg-buildpackage failed: $(tail -15 <<<"$out")"
                find "$DEB_CACHE" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
                mkdir -p "$DEB_CACHE/$key.new" && cp "$TMP"/pkg/ccompose_*_*.deb "$DEB_CACHE/$key.new/" &&
                        mv "$DEB_CACHE/$key.new" "$DEB_CACHE/$key"
        fi
        exec {lock}>&-
        DEB=$(ls "$TMP"/pkg/ccompose_*_*.deb 2>/dev/null | head -1)
        [ -n "$DEB" ] || bail_out "no .deb in $TMP/pkg: $(ls "$TMP/pkg")"
}

# deb_depends: the packages the .deb depends on, comma separated, without
# versions or alternatives (for mmdebstrap --include)
deb_depends() {
        dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u | paste -sd,
}

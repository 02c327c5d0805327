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
build_deb() {
        local src=$TMP/pkg/ccompose out
        if [ -n "${CCOMPOSE_TEST_DEB:-}" ]; then
                DEB=$CCOMPOSE_TEST_DEB
                [ -f "$DEB" ] || bail_out "CCOMPOSE_TEST_DEB: no file $DEB"
                return 0
        fi
        mkdir -p "$src"
        tar -C "$SRCDIR" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf - ||
                bail_out "copying the source tree failed"
        out=$(cd "$src" && timeout 1200 dpkg-buildpackage -us -uc -b 2>&1) ||
                bail_out "dpkg-buildpackage failed: $(tail -15 <<<"$out")"
        DEB=$(ls "$TMP"/pkg/ccompose_*_*.deb 2>/dev/null | head -1)
        [ -n "$DEB" ] || bail_out "no .deb in $TMP/pkg: $(ls "$TMP/pkg")"
}

# deb_depends: the packages the .deb depends on, comma separated, without
# versions or alternatives (for mmdebstrap --include)
deb_depends() {
        dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u | paste -sd,
}

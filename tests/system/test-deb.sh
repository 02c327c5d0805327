#!/bin/bash
# The Debian package (issue 17): dpkg-buildpackage -us -uc -b on a copy of
# the source tree builds ccompose_*.deb; lintian reports no error; the
# package holds ccompose, ccompose-init, the man pages and completions; its
# ccompose, unpacked (dpkg -x, the host's /usr is left alone), runs
# `version` and an init: true service with the package's ccompose-init.
# Takes a full build (about a minute on two cores).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands dpkg-buildpackage dh lintian
UP_PREFIX=ccshipdeb
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

source "$(dirname "${BASH_SOURCE[0]}")/deb-lib.sh"
build_deb
ROOTFS=$TMP/unpacked
dpkg -x "$DEB" "$ROOTFS" || bail_out "dpkg -x failed"
CCOMPOSE=$ROOTFS/usr/bin/ccompose
CCOMPOSE_REAL=$CCOMPOSE
KEEPER_REAL=$ROOTFS/usr/libexec/ccompose/ccompose-init

t_lintian() {
        local out
        out=$(lintian "$DEB" 2>&1 | grep -v '^running with root privileges')
        grep -q '^E: ' <<<"$out" && { fail "lintian errors: $out"; return 1; }
        return 0
}
t_contents() {
        local list f
        list=$(dpkg-deb -c "$DEB" | awk '{ print $6 }')
        for f in ./usr/bin/ccompose ./usr/libexec/ccompose/ccompose-init ./usr/share/man/man1/ccompose.1.gz \
                ./usr/share/man/man1/ccompose-up.1.gz ./usr/share/bash-completion/completions/ccompose \
                ./usr/share/zsh/vendor-completions/_ccompose ./usr/share/fish/vendor_completions.d/ccompose.fish; do
                grep -qxF "$f" <<<"$list" || { fail "$f not in the package"; return 1; }
        done
        # the shared libraries it links are the package's dependencies
        assert_contains "$(dpkg-deb -f "$DEB" Depends)" "libuv1" || return 1
        # and those it loads at their first use (dlopen: not in its ELF)
        assert_contains "$(dpkg-deb -f "$DEB" Depends)" "libarchive13" || return 1
        assert_contains "$(dpkg-deb -f "$DEB" Depends)" "libcurl4" || return 1
        local page; page=$(MANWIDTH=200 man -P cat -l "$ROOTFS/usr/share/man/man1/ccompose-up.1.gz" 2>&1)
        assert_contains "$page" "ccompose-up - Create and start containers"
}
t_runs() {
        compose <<'YAML'
services:
  app:
    image: busybox:test
    init: true
    network_mode: none
YAML
        local out
        out=$(cd / && "$CCOMPOSE" version) || return 1
        assert_contains "$out" "ccompose version" || return 1
        out=$(cd / && ccp run --rm app sh -c 'tr "\0" " " </proc/1/cmdline; echo') || { fail "run: $out"; return 1; }
        assert_contains "$out" "ccompose-init"
}

run_cases \
        "lintian: no errors:t_lintian" \
        "the package's files and dependencies:t_contents" \
        "the package's ccompose runs an init: true service:t_runs"

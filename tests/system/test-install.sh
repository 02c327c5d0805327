#!/bin/bash
# System tests of `meson install` (issue 17): the build is installed into a
# temporary DESTDIR, and the installed ccompose, run from another directory,
# answers `version` and runs an `init: true` service with the installed
# ccompose-init (<prefix>/<libexecdir>/ccompose/), never the build tree's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands meson man

BUILD=$(dirname "$(readlink -f "$CCOMPOSE")")
DEST=$TMP/dest
out=$(meson install -C "$BUILD" --no-rebuild --destdir "$DEST" 2>&1) || bail_out "meson install failed: $(tail -5 <<<"$out")"
# the installed files, wherever the configured prefix puts them
INSTALLED=$(find "$DEST" -path '*/bin/ccompose' -type f)
INIT=$(find "$DEST" -path '*/ccompose/ccompose-init' -type f)
[ -n "$INSTALLED" ] || bail_out "no bin/ccompose under $DEST"
CCOMPOSE=$INSTALLED
UP_PREFIX=ccship
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
KEEPER_REAL=$INIT

t_layout() {
        [ -x "$INIT" ] || { fail "no executable ccompose/ccompose-init under $DEST: $(cd "$DEST" && find . -type f)"; return 1; }
        # the helper sits in libexec, not beside ccompose (nor in a build tree)
        assert_contains "$INIT" "/libexec/ccompose/ccompose-init" || return 1
        [ ! -e "$(dirname "$INSTALLED")/ccompose-init" ] || fail "ccompose-init installed beside ccompose"
        [ ! -e "$(dirname "$INSTALLED")/runtime" ] || fail "a build tree beside the installed ccompose" || return 1
        # the completion scripts where bash-completion, zsh and fish look
        local share=${INSTALLED%/bin/ccompose}/share f
        for f in bash-completion/completions/ccompose zsh/vendor-completions/_ccompose fish/vendor_completions.d/ccompose.fish; do
                [ -s "$share/$f" ] || { fail "no $share/$f"; return 1; }
        done
        assert_eq "$(bash -c 'source "$1" && complete -p ccompose' _ "$share/bash-completion/completions/ccompose")" \
                "complete -F _ccompose ccompose"
}
t_version() {
        local out
        out=$(cd / && "$INSTALLED" version) || { fail "version failed: $out"; return 1; }
        assert_contains "$out" "ccompose version" || return 1
        out=$(cd / && "$INSTALLED" version --short) || return 1
        assert_eq "$out" "$("$BUILD/ccompose" version --short)"
}
one_service() {
        compose <<'YAML'
services:
  app:
    image: busybox:test
    init: true
    network_mode: none
    command: ["sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; sleep 300"]
YAML
}
t_run_init() {
        one_service
        local out
        out=$(cd / && ccp run --rm app sh -c 'tr "\0" " " </proc/1/cmdline; echo') || { fail "run failed: $out"; return 1; }
        assert_contains "$out" "ccompose-init" || return 1
}
t_up_down_init() {
        one_service
        local out
        out=$(cd / && ccp up -d 2>&1) || { fail "up -d failed: $out"; return 1; }
        wait_for 30 is_status app running || return 1
        # the detached supervisor's keeper is the installed ccompose-init too
        local f keepers=0
        for f in $(find /proc/[0-9]*/exe -maxdepth 0 -lname "$INIT" 2>/dev/null); do
                f=${f%/exe}
                grep -qzxF "CCOMPOSE_RUNTIME_DIR=$CCOMPOSE_RUNTIME_DIR" "$f/environ" 2>/dev/null && keepers=$((keepers + 1))
        done
        [ "$keepers" -ge 1 ] || { fail "no keeper running the installed $INIT"; return 1; }
        wait_for 30 bash -c "'$INSTALLED' -f '$D/compose.yaml' -p '$P' logs app 2>&1 | grep -q ccompose-init" || return 1
        out=$(cd / && ccp down -t 1 2>&1) || { fail "down failed: $out"; return 1; }
}
# the opt-in docker CLI plugin link (README, Install): the docker CLI runs
# ~/.docker/cli-plugins/docker-compose docker-cli-plugin-metadata, then
# `docker compose ARGS` as `docker-compose compose ARGS` with
# DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set; also without that variable,
# the name docker-compose and "compose" first are the plugin's call
t_docker_plugin() {
        one_service
        local plugdir=$TMP/home/.docker/cli-plugins out
        mkdir -p "$plugdir" && ln -s "$INSTALLED" "$plugdir/docker-compose" || return 1
        out=$(cd / && "$plugdir/docker-compose" docker-cli-plugin-metadata) || return 1
        assert_eq "$(jq -r '.SchemaVersion + " " + .Vendor' <<<"$out")" "0.1.0 ccompose" || return 1
        out=$(cd / && DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=/usr/bin/docker "$plugdir/docker-compose" compose version) ||
                { fail "compose version: $out"; return 1; }
        assert_contains "$out" "ccompose version" || return 1
        out=$(cd "$D" && "$plugdir/docker-compose" compose -p "$P" run --rm app echo via the plugin 2>&1) ||
                { fail "compose run: $out"; return 1; }
        assert_contains "$out" "via the plugin"
}
# the man pages: ccompose(1) and one per command, written at build time
# from the --help texts; man finds them under the installed prefix
t_man() {
        local mandir=${INSTALLED%/bin/ccompose}/share/man out cmd n=0
        out=$(MANPATH=$mandir MANWIDTH=200 man -P cat ccompose-up 2>&1) || { fail "man ccompose-up: $out"; return 1; }
        assert_contains "$out" "ccompose-up - Create and start containers" || return 1
        assert_contains "$out" "-d, --detach" || return 1
        assert_contains "$out" "Detached mode: Run containers in the background" || return 1
        out=$(MANPATH=$mandir MANWIDTH=200 man -P cat ccompose 2>&1) || { fail "man ccompose: $out"; return 1; }
        assert_contains "$out" "ccompose-up(1)" || return 1
        # a page for every command --help lists, each one man renders without warnings
        for cmd in $("$INSTALLED" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'); do
                [ -s "$mandir/man1/ccompose-$cmd.1" ] || { fail "no man page for $cmd"; return 1; }
                out=$(MANWIDTH=200 man --warnings -l "$mandir/man1/ccompose-$cmd.1" 2>&1 >/dev/null)
                assert_eq "$out" "" "(warnings of ccompose-$cmd.1)" || return 1
                n=$((n + 1))
        done
        [ "$n" -ge 20 ] || fail "only $n commands"
}

run_cases \
        "installed files in their places:t_layout" \
        "installed ccompose version from another directory:t_version" \
        "installed run --rm of an init: true service:t_run_init" \
        "installed up -d / down of an init: true service:t_up_down_init" \
        "installed ccompose as the docker CLI's compose plugin:t_docker_plugin" \
        "installed man pages, one per command:t_man"

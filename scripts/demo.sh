#!/usr/bin/env bash
# The newcomer's first command (Debian 12, as root): installs what ccompose
# needs, builds it, makes the local example image and runs the main example
# stack, examples/webapp: `up -d --wait`, `ps`, a few lines of `logs`, the
# page from the web service, then `down`.
#
#   scripts/demo.sh                 # WEB_PORT=8081 scripts/demo.sh if 8080 is taken
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (containers need it)" >&2; exit 1; }

if [ -t 1 ]; then step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }; else step() { printf '\n== %s\n' "$*"; }; fi

step "installing Debian packages (scripts/install-deps.sh)"
scripts/install-deps.sh
step "building build/ccompose"
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
CC=$PWD/build/ccompose
echo "ccompose $("$CC" version --short)"
step "making the example image (scripts/make-example-images.sh)"
CCOMPOSE=$CC scripts/make-example-images.sh

webapp() { "$CC" -f examples/webapp/compose.yaml "$@"; }
trap 'webapp down -t 2 >/dev/null 2>&1 || true' EXIT
step "ccompose -f examples/webapp/compose.yaml up -d --wait"
webapp up -d --wait
step "ccompose ps"
webapp ps
step "ccompose logs --tail 5"
webapp logs --tail 5
step "GET http://127.0.0.1:${WEB_PORT:-8080}/ (served by the web service)"
timeout 10 busybox wget -q -O - "http://127.0.0.1:${WEB_PORT:-8080}/" || echo "(the page could not be fetched)"
step "ccompose down"
webapp down
trap - EXIT
step "done: see examples/*/README.md for more (restart-demo, oneshot-job)"

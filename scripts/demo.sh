#!/usr/bin/env bash
# The newcomer's first command: installs what ccompose needs, builds it, and
# runs the main example stack (examples/webapp).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
echo "== ccompose $(./build/ccompose version --short): examples/webapp"
./build/ccompose -f examples/webapp/compose.yaml config --services
./build/ccompose -f examples/webapp/compose.yaml config

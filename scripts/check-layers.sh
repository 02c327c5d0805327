#!/usr/bin/env bash
# DESIGN.md's dependency rule, read from the sources: runtime/ and network/
# include no header of orchestrator/ and none of each other; the Compose
# loader (orchestrator/compose/) includes nothing of runtime/, network/ or
# the rest of orchestrator/. The build enforces the same with per-layer
# include folders (meson.build); this says it from the tree, for CI and
# review. Prints each offending include; exit 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
headers() { find "$@" -name '*.h' -printf '%f\n' | sort -u; }
bad=0
# check FROM-DIR RULE-NAME FORBIDDEN-DIR...
check() {
        local from=$1 name=$2; shift 2
        local forbidden
        forbidden=$(headers "$@")
        local f line h
        while IFS=: read -r f line h; do
                h=$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$h")
                if grep -qxF -- "$(basename "$h")" <<<"$forbidden"; then
                        echo "$f:$line: includes \"$h\", a header of $name (DESIGN.md, Dependency rule)"
                        bad=1
                fi
        done < <(grep -rnE '^#\s*include\s+"' "$from" --include='*.[ch]' || true)
}
check network "orchestrator/ or runtime/" orchestrator runtime
check runtime "orchestrator/ or network/" orchestrator network
check orchestrator/compose "runtime/, network/ or the rest of orchestrator/" runtime network \
        orchestrator/state orchestrator/supervisor orchestrator/cli
check common "another layer" orchestrator runtime network
if [ "$bad" -eq 0 ]; then
        echo "check-layers: common/, runtime/, network/ and orchestrator/compose/ include only what DESIGN.md allows"
fi
exit "$bad"

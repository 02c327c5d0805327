#!/bin/bash
# run-fuzz.sh TARGET SECONDS: build the libFuzzer target tests/fuzz/fuzz-TARGET.c
# ("compose", "layer", "dns", "control", "api") with clang in build-fuzz/ and run it for SECONDS,
# starting from the seed corpus tests/fuzz/corpus/TARGET/. The whole core
# library is instrumented (coverage + AddressSanitizer). New inputs go to
# build-fuzz/corpus-TARGET/, crashes to build-fuzz/artifacts-TARGET/;
# replay one with: build-fuzz/tests/fuzz/fuzz-TARGET FILE
# Exit status: 0 when the run found nothing.
set -euo pipefail

target=${1:?usage: run-fuzz.sh TARGET SECONDS}
target=${target#fuzz-}
secs=${2:?usage: run-fuzz.sh TARGET SECONDS}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD_FUZZ:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
        CC=clang CFLAGS="-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer" \
                LDFLAGS="-fsanitize=address" \
                meson setup "$build" "$src" -Dfuzz=true -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" "tests/fuzz/fuzz-$target" >/dev/null

corpus=$build/corpus-$target
artifacts=$build/artifacts-$target
mkdir -p "$corpus" "$artifacts"
seeds=$src/tests/fuzz/corpus/$target
[ -d "$seeds" ] || seeds=

exec "$build/tests/fuzz/fuzz-$target" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" ${seeds:+"$seeds"}

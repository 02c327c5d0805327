#!/bin/bash
# bench/build.sh [N]: the image builder against buildah bud (Debian's, no
# daemon), same two-stage Dockerfile and context, in one run. The context
# holds 1,000 small source files; the Dockerfile's build stage copies a
# few others and runs a step, the final stage copies the build stage's
# result and the 1,000 files and runs a step over them. Three cases, each
# the median of N runs (default 5), in milliseconds:
#   cold       no cache (ccompose --no-cache; buildah with its cache removed)
#   unchanged  a rebuild with nothing changed (every step cached)
#   one-file   a rebuild after one of the 1,000 files changed (the last COPY
#              and RUN redo)
# Docker's BuildKit is not measured here (no Docker daemon on these
# machines); issue 14 gives its figures: ~290 ms unchanged, ~210 ms after
# one changed file. Root only.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (make-images.sh's cache), BENCH_DIR (scratch directory, default a fresh
# one under /tmp), BUILDAH (0 to leave buildah out).
set -euo pipefail

N=${1:-5}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
BUILDAH=${BUILDAH:-1}

[ "$(id -u)" = 0 ] || { echo "build.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "build.sh: $CCOMPOSE not built" >&2; exit 1; }
if [ "$BUILDAH" = 1 ] && ! command -v buildah >/dev/null; then
        echo "build.sh: buildah is not installed (scripts/install-deps.sh installs it); measuring ccompose only" >&2
        BUILDAH=0
fi
"$SRCDIR/tests/system/make-images.sh" "$IMAGES"

B=${BENCH_DIR:-$(mktemp -d /tmp/ccompose-bench-build.XXXXXX)}
mkdir -p "$B"
export CCOMPOSE_ROOT=$B/root CCOMPOSE_RUNTIME_DIR=$B/run
BROOT=$B/buildah
touch "$B/empty"
# buildah's crun refuses this machine's hybrid cgroups while
# /sys/fs/cgroup/unified/cgroup.controllers lists a controller (as in
# run-vs-crun.sh): each buildah call runs in a private mount namespace with
# an empty file bound over that file (unshare costs a few ms of its time).
bh() {
        unshare -m bash -c 'mount --bind "$1" /sys/fs/cgroup/unified/cgroup.controllers && shift && exec buildah "$@"' \
                bh "$B/empty" --root "$BROOT/root" --runroot "$BROOT/run" "$@"
}
cleanup() {
        if [ "$BUILDAH" = 1 ]; then
                bh rm --all >/dev/null 2>&1 || true
                bh rmi --all -f >/dev/null 2>&1 || true
                grep -F " $BROOT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
        fi
        [ -n "${BENCH_DIR:-}" ] || rm -rf "$B"
}
trap cleanup EXIT

# ---- the context ----
C=$B/ctx
mkdir -p "$C/src" "$C/tools"
for i in $(seq 1000); do printf 'source file %d\n' "$i" >"$C/src/f$i.txt"; done
for i in $(seq 5); do printf 'tool %d\n' "$i" >"$C/tools/t$i"; done
cat >"$C/Dockerfile" <<'EOF'
FROM busybox:test AS build
COPY tools/ /tools/
RUN cat /tools/* > /toolchain && wc -c /toolchain > /built
FROM busybox:test
COPY --from=build /built /built
COPY src/ /app/src/
RUN ls /app/src | wc -l > /app/count
CMD ["cat", "/app/count"]
EOF
printf '.git\n' >"$C/.dockerignore"

# the base image, with a history entry for its layer (buildah 1.28 counts
# the base's layers by its history: make-images.sh's image has none)
python3 - "$IMAGES/busybox-docker.tar" "$B/base.tar" <<'PY'
import hashlib, io, json, sys, tarfile
src, dst = sys.argv[1:3]
with tarfile.open(src) as t:
    files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
man = json.loads(files["manifest.json"])
cfg = json.loads(files[man[0]["Config"]])
cfg["history"] = [{"created": "2024-01-01T00:00:00Z", "created_by": "busybox-static"}]
data = json.dumps(cfg).encode()
name = hashlib.sha256(data).hexdigest() + ".json"
del files[man[0]["Config"]]
files[name] = data
man[0]["Config"] = name
files["manifest.json"] = json.dumps(man).encode()
with tarfile.open(dst, "w") as t:
    for n, d in files.items():
        ti = tarfile.TarInfo(n)
        ti.size = len(d)
        t.addfile(ti, io.BytesIO(d))
PY
"$CCOMPOSE" image load -i "$B/base.tar" >/dev/null
if [ "$BUILDAH" = 1 ]; then
        bh pull -q "docker-archive:$B/base.tar" >/dev/null
        bh tag "$(bh images -q | head -1)" busybox:test
fi

ms() { python3 -c "import sys; print(round(float(sys.argv[1]) * 1000))" "$1"; }
now() { date +%s.%N; }
# timed CMD...: seconds it took (output to a log), fails with the log
timed() {
        local t0 t1
        t0=$(now)
        "$@" >"$B/log" 2>&1 || { cat "$B/log" >&2; return 1; }
        t1=$(now)
        python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

cc_build() { "$CCOMPOSE" image build -q -t bench/app:1 "$@" "$C"; }
bh_build() {
        bh bud --layers --network none -q -t bench/app:1 "$@" "$C"
}

# case CMD-PREFIX: the three cases for one builder, medians in ms
run_cases() {
        local build=$1 cold=() unchanged=() onefile=() i
        for i in $(seq "$N"); do
                if [ "$build" = cc_build ]; then
                        cold+=("$(timed cc_build --no-cache)")
                else
                        bh rmi --all -f >/dev/null 2>&1 || true
                        bh pull -q "docker-archive:$B/base.tar" >/dev/null
                        bh tag "$(bh images -q | head -1)" busybox:test
                        cold+=("$(timed bh_build)")
                fi
                unchanged+=("$(timed "$build")")
                printf 'source file 1 changed at run %d %s\n' "$i" "$build" >"$C/src/f1.txt"
                onefile+=("$(timed "$build")")
        done
        echo "$(ms "$(median "${cold[@]}")") $(ms "$(median "${unchanged[@]}")") $(ms "$(median "${onefile[@]}")")"
}

read -r c_cold c_unch c_one < <(run_cases cc_build)
printf '%-10s %10s %10s %10s\n' "" cold unchanged one-file
printf '%-10s %8s ms %8s ms %8s ms\n' ccompose "$c_cold" "$c_unch" "$c_one"
if [ "$BUILDAH" = 1 ]; then
        read -r b_cold b_unch b_one < <(run_cases bh_build)
        printf '%-10s %8s ms %8s ms %8s ms\n' buildah "$b_cold" "$b_unch" "$b_one"
        python3 -c "import sys; c=[float(x) for x in sys.argv[1:4]]; b=[float(x) for x in sys.argv[4:7]]; print('%-10s %9.1fx %9.1fx %9.1fx' % ('speed-up', b[0]/c[0], b[1]/c[1], b[2]/c[2]))" \
                "$c_cold" "$c_unch" "$c_one" "$b_cold" "$b_unch" "$b_one"
fi
printf '%-10s %10s %8s ms %8s ms   (issue 14; goals: unchanged <= ~60 ms, one-file <= ~105 ms)\n' BuildKit "" 290 210

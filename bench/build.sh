#!/bin/bash
# bench/build.sh [N]: the image builder against Docker's BuildKit (Debian's
# docker.io 20.10, a private daemon started by bench/lib-dockerd.sh) and
# buildah bud (Debian's, no daemon), same two-stage Dockerfile and context,
# in one run. The context holds 1,000 small source files; the Dockerfile's
# build stage copies a few others and runs a step, the final stage copies
# the build stage's result and the 1,000 files and runs a step over them.
# Three cases, each the median of N runs (default 5), in milliseconds:
#   cold       no cache (ccompose --no-cache; BuildKit with its build cache
#              pruned and the image removed; buildah with its images removed)
#   unchanged  a rebuild with nothing changed (every step cached)
#   one-file   a rebuild after one of the 1,000 files changed (the last COPY
#              and RUN redo)
# then the speed-up of ccompose over each peer (peer's time / ours). Every
# builder runs its RUN steps without a network (--network none). Root only.
#
# Environment: CCOMPOSE (binary, default build/ccompose), CCOMPOSE_TEST_IMAGES
# (make-images.sh's cache), BENCH_DIR (scratch directory, default a fresh
# one under /tmp), BUILDAH, BUILDKIT (0 to leave that peer out).
set -euo pipefail

N=${1:-5}
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CCOMPOSE=${CCOMPOSE:-$SRCDIR/build/ccompose}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
BUILDAH=${BUILDAH:-1}
BUILDKIT=${BUILDKIT:-1}

[ "$(id -u)" = 0 ] || { echo "build.sh: needs root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "build.sh: $CCOMPOSE not built" >&2; exit 1; }
if [ "$BUILDAH" = 1 ] && ! command -v buildah >/dev/null; then
        echo "build.sh: buildah is not installed (scripts/install-deps.sh installs it); measuring ccompose only" >&2
        BUILDAH=0
fi
if [ "$BUILDKIT" = 1 ] && ! command -v dockerd >/dev/null; then
        echo "build.sh: dockerd is not installed (scripts/install-deps.sh installs docker.io); leaving BuildKit out" >&2
        BUILDKIT=0
fi
# shellcheck source=bench/lib-dockerd.sh
. "$SRCDIR/bench/lib-dockerd.sh"
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
# (set -e and pipefail hold here too: every step may fail without
# keeping the directory from being removed)
cleanup() {
        dockerd_stop || true
        if [ "$BUILDAH" = 1 ]; then
                bh rm --all >/dev/null 2>&1 || true
                bh rmi --all -f >/dev/null 2>&1 || true
                awk -v d="$BROOT/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
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
if [ "$BUILDKIT" = 1 ]; then
        dockerd_start
        CCOMPOSE=$CCOMPOSE dockerd_load_image busybox:test
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
bk_build() { DOCKER_BUILDKIT=1 dk build --network none -q -t bench/app:1 "$@" "$C"; }

# case CMD-PREFIX: the three cases for one builder, medians in ms
run_cases() {
        local build=$1 cold=() unchanged=() onefile=() i
        for i in $(seq "$N"); do
                case $build in
                cc_build) cold+=("$(timed cc_build --no-cache)") ;;
                bk_build)
                        dk rmi -f bench/app:1 >/dev/null 2>&1 || true
                        dk builder prune -af >/dev/null
                        cold+=("$(timed bk_build)")
                        ;;
                bh_build)
                        bh rmi --all -f >/dev/null 2>&1 || true
                        bh pull -q "docker-archive:$B/base.tar" >/dev/null
                        bh tag "$(bh images -q | head -1)" busybox:test
                        cold+=("$(timed bh_build)")
                        ;;
                esac
                unchanged+=("$(timed "$build")")
                printf 'source file 1 changed at run %d %s\n' "$i" "$build" >"$C/src/f1.txt"
                onefile+=("$(timed "$build")")
        done
        echo "$(ms "$(median "${cold[@]}")") $(ms "$(median "${unchanged[@]}")") $(ms "$(median "${onefile[@]}")")"
}

# ratio NAME PEER-COLD PEER-UNCHANGED PEER-ONE-FILE: the peer's times over ours
ratio() {
        python3 -c "import sys; c=[float(x) for x in sys.argv[2:5]]; p=[float(x) for x in sys.argv[5:8]]; print('%-10s %9.1fx %9.1fx %9.1fx' % (sys.argv[1], p[0]/c[0], p[1]/c[1], p[2]/c[2]))" \
                "$1" "$c_cold" "$c_unch" "$c_one" "$2" "$3" "$4"
}

read -r c_cold c_unch c_one < <(run_cases cc_build)
printf '%-10s %10s %10s %10s   (median of %d)\n' "" cold unchanged one-file "$N"
printf '%-10s %8s ms %8s ms %8s ms\n' ccompose "$c_cold" "$c_unch" "$c_one"
if [ "$BUILDKIT" = 1 ]; then
        read -r k_cold k_unch k_one < <(run_cases bk_build)
        printf '%-10s %8s ms %8s ms %8s ms\n' BuildKit "$k_cold" "$k_unch" "$k_one"
fi
if [ "$BUILDAH" = 1 ]; then
        read -r b_cold b_unch b_one < <(run_cases bh_build)
        printf '%-10s %8s ms %8s ms %8s ms\n' buildah "$b_cold" "$b_unch" "$b_one"
fi
echo "speed-up of ccompose (the peer's time / ours; goals against BuildKit: cold >= 1x, unchanged >= 5x, one-file >= 2x):"
[ "$BUILDKIT" = 1 ] && ratio "BuildKit" "$k_cold" "$k_unch" "$k_one"
[ "$BUILDAH" = 1 ] && ratio "buildah" "$b_cold" "$b_unch" "$b_one"
exit 0

#!/usr/bin/env bash
# bench/up-down.sh: how fast ccompose brings stacks up and down, what its
# supervisor costs in memory, how soon a crashed service is restarted and
# how fast container output reaches `logs`. Side by side, on the same
# stacks, with docker compose and podman-compose where they are installed
# and working (otherwise their columns say "not installed").
#
#   bench/up-down.sh                      # as root; CCOMPOSE=build/ccompose by default
#   RUNS=5 SIZES="1 10 20 50" bench/up-down.sh
#
# Stacks: N services `sleep 3600` with init: true (so SIGTERM stops them at
# once), from the busybox test image (tests/system/make-images.sh; loaded
# into docker / podman too when they are used). Each figure is the median of
# RUNS runs. Everything happens in a temporary CCOMPOSE_ROOT and
# CCOMPOSE_RUNTIME_DIR that are removed at the end.
#
# Targets (issue 4, measured on these machines: docker-compose brings 20
# services up in 5.0 s): up -d of 20 services <= 250 ms (20x faster);
# supervisor RSS < 10 MB + 100 KB per container; a crashed service's first
# restart within 20 ms; 100 MB of 64-byte lines in `logs` within 1 s
# (docker 14.6 s, podman 9.2 s here).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=$(readlink -f "${CCOMPOSE:-$REPO/build/ccompose}")
RUNS=${RUNS:-3}
SIZES=${SIZES:-1 10 20 50}
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
[ "$(id -u)" = 0 ] || { echo "up-down.sh: run as root" >&2; exit 1; }
[ -x "$CCOMPOSE" ] || { echo "up-down.sh: $CCOMPOSE not built" >&2; exit 1; }
for t in jq awk; do command -v $t >/dev/null || { echo "up-down.sh: $t missing" >&2; exit 1; }; done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/ccompose-bench.XXXXXX)
export CCOMPOSE_ROOT=$TMP/root CCOMPOSE_RUNTIME_DIR=$TMP/run NO_COLOR=1
mkdir -p "$CCOMPOSE_ROOT" "$CCOMPOSE_RUNTIME_DIR" "$TMP/stacks"
P=ccbench$$
cleanup() {
        local d
        for d in "$TMP"/stacks/*/; do
                [ -f "$d/compose.yaml" ] && "$CCOMPOSE" -f "$d/compose.yaml" -p "$P" down -v -t 0 >/dev/null 2>&1
        done
        # a supervisor left by a failed step (this run's only: its pid is in our state)
        local sp; sp=$(jq -r '.supervisor_pid // 0' "$CCOMPOSE_RUNTIME_DIR/$P/state.json" 2>/dev/null)
        [ "${sp:-0}" -gt 0 ] 2>/dev/null && kill -9 "$sp" 2>/dev/null
        # any other ccompose process of this run (events, ...): ours by their environment
        local f p
        for f in $(find /proc/[0-9]*/exe -maxdepth 0 -lname "$CCOMPOSE*" 2>/dev/null); do
                p=${f#/proc/}; p=${p%/exe}
                grep -qzxF "CCOMPOSE_RUNTIME_DIR=$CCOMPOSE_RUNTIME_DIR" "/proc/$p/environ" 2>/dev/null && kill -9 "$p" 2>/dev/null
        done
        grep -F " $TMP/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$TMP"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print a[int((NR + 1) / 2)]}'; }
cc() { "$CCOMPOSE" "$@"; }

# A stack of N sleep services.
stack() {
        local n=$1 dir=$TMP/stacks/s$1 i
        mkdir -p "$dir"
        {
                echo "services:"
                for ((i = 1; i <= n; i++)); do
                        printf '  s%d:\n    image: busybox:test\n    init: true\n    command: ["sleep", "3600"]\n' "$i"
                done
        } >"$dir/compose.yaml"
        echo "$dir/compose.yaml"
}

echo "setting up the busybox test image..." >&2
"$REPO/tests/system/make-images.sh" "$IMAGES" || exit 1
cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || exit 1

# ---- ccompose: up -d, down, supervisor RSS ----
declare -A CC_UP CC_DOWN CC_RSS
for n in $SIZES; do
        f=$(stack "$n")
        ups=() downs=() rss=()
        for ((r = 0; r < RUNS; r++)); do
                t=$(now_ns)
                cc -f "$f" -p "$P" up -d >/dev/null 2>&1 || { echo "ccompose up -d of $n services failed" >&2; exit 1; }
                ups+=("$(ms_since "$t")")
                running=$(jq '[.containers[] | select(.status == "running")] | length' "$CCOMPOSE_RUNTIME_DIR/$P/state.json")
                [ "$running" -eq "$n" ] || { echo "only $running of $n running after up -d" >&2; exit 1; }
                sp=$(jq -r .supervisor_pid "$CCOMPOSE_RUNTIME_DIR/$P/state.json")
                rss+=("$(awk '/^VmRSS:/ {print $2}' "/proc/$sp/status")")
                t=$(now_ns)
                cc -f "$f" -p "$P" down -t 10 >/dev/null 2>&1 || { echo "ccompose down of $n services failed" >&2; exit 1; }
                downs+=("$(ms_since "$t")")
        done
        CC_UP[$n]=$(printf '%s\n' "${ups[@]}" | median)
        CC_DOWN[$n]=$(printf '%s\n' "${downs[@]}" | median)
        CC_RSS[$n]=$(printf '%s\n' "${rss[@]}" | median)
done

# ---- peers on the same stacks ----
declare -A PEER_UP PEER_DOWN
peer_cmd() {
        case $1 in
        docker)
                command -v docker >/dev/null && docker info >/dev/null 2>&1 || return 1
                if docker compose version >/dev/null 2>&1; then echo "docker compose"
                elif command -v docker-compose >/dev/null; then echo "docker-compose"
                else return 1; fi ;;
        podman)
                command -v podman-compose >/dev/null && command -v podman >/dev/null && podman info >/dev/null 2>&1 || return 1
                echo "podman-compose" ;;
        esac
}
PEERS=(docker podman)
declare -A PEER_NAME
for peer in "${PEERS[@]}"; do
        if ! pc=$(peer_cmd "$peer"); then
                PEER_NAME[$peer]="not installed"
                continue
        fi
        PEER_NAME[$peer]=$pc
        echo "loading the image into $peer..." >&2
        $peer load -i "$IMAGES/busybox-docker.tar" >/dev/null 2>&1 || { PEER_NAME[$peer]="not working (load)"; continue; }
        for n in $SIZES; do
                f=$TMP/stacks/s$n/compose.yaml
                ups=() downs=()
                for ((r = 0; r < RUNS; r++)); do
                        t=$(now_ns)
                        $pc -f "$f" -p "$P$peer" up -d >/dev/null 2>&1 || { PEER_NAME[$peer]="not working (up)"; break 2; }
                        ups+=("$(ms_since "$t")")
                        t=$(now_ns)
                        $pc -f "$f" -p "$P$peer" down -t 10 >/dev/null 2>&1
                        downs+=("$(ms_since "$t")")
                done
                PEER_UP[$peer$n]=$(printf '%s\n' "${ups[@]}" | median)
                PEER_DOWN[$peer$n]=$(printf '%s\n' "${downs[@]}" | median)
        done
done

# ---- first restart of a crashing service (events: die -> start) ----
restart_latency() {
        local dir=$TMP/stacks/crash
        mkdir -p "$dir"
        cat >"$dir/compose.yaml" <<'EOF'
services:
  crash:
    image: busybox:test
    restart: always
    command: ["sh", "-c", "exit 1"]
EOF
        local ev=$TMP/events.json
        "$CCOMPOSE" -f "$dir/compose.yaml" -p "$P" events --json >"$ev" 2>/dev/null &
        local epid=$!
        sleep 0.3
        cc -f "$dir/compose.yaml" -p "$P" up -d >/dev/null 2>&1
        local i
        for i in $(seq 100); do
                [ "$(grep -c '"action":"start"' "$ev" 2>/dev/null)" -ge 2 ] && break
                sleep 0.05
        done
        kill "$epid" 2>/dev/null
        wait "$epid" 2>/dev/null
        cc -f "$dir/compose.yaml" -p "$P" down -t 1 >/dev/null 2>&1
        # the first die and the start after it, in ms
        jq -rs '[.[] | select(.action == "die" or .action == "start")] as $e
                | ($e | map(.action) | index("die")) as $d
                | if $d == null or ($e | length) <= $d + 1 then "-" else
                  [$e[$d].time, $e[$d + 1].time] | map(sub("Z$"; "") | split(".") as [$s, $f]
                        | ($s + "Z" | fromdateiso8601) + ("0." + $f | tonumber)) | (.[1] - .[0]) * 1000 * 100 | round / 100
                  end' "$ev" 2>/dev/null || echo "-"
}
RESTART_MS=$( (for ((r = 0; r < RUNS; r++)); do restart_latency; done) | grep -v '^-$' | median)

# ---- 100 MB of 64-byte lines through the logs ----
logs_throughput() {
        local dir=$TMP/stacks/logs
        mkdir -p "$dir"
        cat >"$dir/compose.yaml" <<'EOF'
services:
  writer:
    image: busybox:test
    tmpfs: ["/gen:size=128m"]
    volumes: [ctl:/ctl]
    command: ["sh", "-c", "yes \"$$(printf %063d 0)\" | head -c 104857600 > /gen/f; touch /ctl/ready; while [ ! -f /ctl/go ]; do sleep 0.01; done; exec cat /gen/f"]
volumes:
  ctl:
EOF
        local state=$CCOMPOSE_RUNTIME_DIR/$P/state.json ctl=$CCOMPOSE_ROOT/volumes/${P}_ctl/_data
        cc -f "$dir/compose.yaml" -p "$P" up -d >/dev/null 2>&1 || return 1
        local i
        for i in $(seq 600); do [ -f "$ctl/ready" ] && break; sleep 0.05; done
        local t; t=$(now_ns)
        touch "$ctl/go"
        while [ "$(jq -r '.containers[0].status' "$state")" != exited ]; do sleep 0.01; done
        local ingest; ingest=$(ms_since "$t")
        t=$(now_ns)
        cc -f "$dir/compose.yaml" -p "$P" logs --no-log-prefix writer >/dev/null
        local read; read=$(ms_since "$t")
        local lines; lines=$(cc -f "$dir/compose.yaml" -p "$P" logs --no-log-prefix writer | wc -l)
        cc -f "$dir/compose.yaml" -p "$P" down -v -t 1 >/dev/null 2>&1
        echo "$ingest $read $lines"
}
read -r LOG_INGEST LOG_READ LOG_LINES < <(logs_throughput || echo "- - -")

# ---- the table ----
col() { [ -n "${1:-}" ] && [ "$1" != - ] && echo "$1 ms" || echo "-"; }
echo
echo "ccompose $(cc version --short) up/down benchmark: median of $RUNS runs, N services \`sleep 3600\` (init: true)"
echo "(load average when it started: $LOAD_START; other work on the machine slows every figure)"
# a peer's cell: its figure, or why there is none
pcol() { case ${PEER_NAME[$1]} in "not "*) echo "${PEER_NAME[$1]}" ;; *) col "${2:-}" ;; esac; }
printf '%-8s | %-14s | %-9s | %-14s | %-21s | %-14s | %-21s | %-14s\n' services "ccompose up -d" down "supervisor RSS" \
        "docker compose up -d" down "podman-compose up -d" down
printf '%s\n' "---------|----------------|-----------|----------------|-----------------------|----------------|-----------------------|---------------"
for n in $SIZES; do
        printf '%-8s | %-14s | %-9s | %-14s | %-21s | %-14s | %-21s | %-14s\n' "$n" "$(col "${CC_UP[$n]}")" "$(col "${CC_DOWN[$n]}")" \
                "$(awk -v k="${CC_RSS[$n]}" 'BEGIN {printf "%.1f MB", k / 1024}')" \
                "$(pcol docker "${PEER_UP[docker$n]:-}")" "$(pcol docker "${PEER_DOWN[docker$n]:-}")" \
                "$(pcol podman "${PEER_UP[podman$n]:-}")" "$(pcol podman "${PEER_DOWN[podman$n]:-}")"
done
for peer in "${PEERS[@]}"; do
        case ${PEER_NAME[$peer]} in "not "*) ;; *) echo "($peer: ${PEER_NAME[$peer]})" ;; esac
done
echo
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v == "-" || v == "") print "n/a"; else if (v + 0 <= lim + 0) print "ok"; else print "MISSED" }'; }
echo "targets:"
if [[ " $SIZES " == *" 20 "* ]]; then
        printf '  up -d of 20 services        %8s   target <= 250 ms (docker-compose 5.0 s / 20)   %s\n' \
                "$(col "${CC_UP[20]}")" "$(verdict "${CC_UP[20]}" 250)"
fi
for n in $SIZES; do
        lim=$((10 * 1024 + 100 * n))
        printf '  supervisor RSS, %2d services %8s   target < %.1f MB (10 MB + 100 KB each)        %s\n' "$n" \
                "$(awk -v k="${CC_RSS[$n]}" 'BEGIN {printf "%.1f MB", k / 1024}')" "$(awk -v l=$lim 'BEGIN {print l / 1024}')" \
                "$(verdict "${CC_RSS[$n]}" "$lim")"
done
printf '  first restart after a crash %8s   target <= 20 ms (events: die -> start)      %s\n' "$(col "$RESTART_MS")" "$(verdict "$RESTART_MS" 20)"
LOG_TOTAL=$(awk -v a="$LOG_INGEST" -v b="$LOG_READ" 'BEGIN { if (a == "-" || b == "-") print "-"; else print a + b }')
printf '  100 MB of 64-byte lines     %8s   target <= 1 s, written and read back by logs (docker 14.6 s, podman 9.2 s)   %s\n' \
        "$(col "$LOG_TOTAL")" "$(verdict "$LOG_TOTAL" 1000)"
printf '    of which: into the json-file log %s, then `ccompose logs` %s (%s lines of 1638400)\n' \
        "$(col "$LOG_INGEST")" "$(col "$LOG_READ")" "$LOG_LINES"

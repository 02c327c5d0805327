#!/usr/bin/env bash
# bench/load-large.sh: how long `ccompose config` takes on large compose
# files, and how much memory it uses, to keep the loader linear (issue 11).
#
#   bench/load-large.sh                 # CCOMPOSE=build/ccompose by default
#   KEYS="5000 40000" SERVICES=38000 bench/load-large.sh
#
# Generated inputs (in a temporary directory, removed at the end):
#   - one service with KEYS environment keys (mapping syntax), for each of
#     KEYS (default 5000 10000 20000 40000);
#   - SERVICES services (default 38000) of about 270 bytes each, about
#     10 MB in all, each with an image, a command, a port, 3 environment
#     keys, 2 labels and a depends_on on the service before it;
#   - the same with an override file (-f twice) that changes every service
#     (one more environment key, a label replaced, a second port), so that
#     the merge of files is measured too.
# For each, the wall time and the peak resident memory (ru_maxrss of the
# child, through python3's resource module) of `ccompose config -q`, which
# loads, validates and normalises everything but prints nothing.
#
# Targets (issue 11; before the fix, 40k keys took 9.96 s and the 10 MB
# file 40 s and 1.46 GB): the 10 MB file loads within 1 s, in less than 10
# times its size of memory, and time grows linearly with the input.
# Measured on the 2-core development machine (default debugoptimized
# build, other work running, load average 2-5), December 2026:
#   before the node memory work: 38000 services 1.27 s, 218 MB (21.4x);
#     with the override 2.01 s, 313 MB (22.3x); 40000 keys 0.07 s, 25 MB
#   after: 38000 services 0.70 s (CPU 0.74 s), 97 MB (9.6x); with the
#     override 1.03 s (CPU 1.07 s), 125 MB (8.9x); 5000 to 40000 keys
#     0.02 to 0.07 s, 14 to 19 MB (80000 keys 0.12 s, 160000 keys 0.25 s).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CCOMPOSE=$(readlink -f "${CCOMPOSE:-$REPO/build/ccompose}")
KEYS=${KEYS:-5000 10000 20000 40000}
SERVICES=${SERVICES:-38000}
[ -x "$CCOMPOSE" ] || { echo "load-large.sh: $CCOMPOSE not built" >&2; exit 1; }
command -v python3 >/dev/null || { echo "load-large.sh: python3 missing" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ccompose-bench-load.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# measure FILE...: runs `ccompose -f FILE... config -q` and prints
# "seconds cpu_seconds peak_kib exit_code" (CPU: user + system, which
# other work on the machine changes less than the wall time; it includes
# some 50 ms python3 spends starting the process).
measure() {
        python3 - "$CCOMPOSE" "$@" <<'EOF'
import resource, subprocess, sys, time
files = [a for f in sys.argv[2:] for a in ("-f", f)]
t0 = time.monotonic()
rc = subprocess.call([sys.argv[1]] + files + ["-p", "bench", "config", "-q"], stdout=subprocess.DEVNULL)
dt = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f %d %d" % (dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, rc))
EOF
}

gen_env() { # KEYS FILE
        awk -v n="$1" 'BEGIN {
                print "services:\n  web:\n    image: busybox\n    environment:"
                for (i = 0; i < n; i++) printf "      VARIABLE_NUMBER_%d: value-%d\n", i, i
        }' > "$2"
}

gen_services() { # SERVICES FILE
        awk -v n="$1" 'BEGIN {
                print "services:"
                for (i = 0; i < n; i++) {
                        printf "  service-%06d:\n    image: registry.example/app:%d\n", i, i
                        printf "    command: [\"run\", \"--id\", \"%d\"]\n", i
                        printf "    ports: [\"%d:80\"]\n", 10000 + i % 50000
                        printf "    environment:\n      MODE: production\n      ID: \"%d\"\n      PEER: service-%06d\n", i, i
                        printf "    labels:\n      team: blue\n      tier: \"%d\"\n", i % 7
                        if (i > 0) printf "    depends_on: [service-%06d]\n", i - 1
                }
        }' > "$2"
}

gen_override() { # SERVICES FILE
        awk -v n="$1" 'BEGIN {
                print "services:"
                for (i = 0; i < n; i++) {
                        printf "  service-%06d:\n    environment:\n      EXTRA: \"%d\"\n", i, i
                        printf "    labels:\n      team: red\n    ports: [\"%d:81\"]\n", 10000 + (i + 1) % 50000
                }
        }' > "$2"
}

report() { # LABEL FILE [OVERRIDE]
        local size res
        size=$(stat -c %s "$2")
        [ $# -gt 2 ] && size=$((size + $(stat -c %s "$3")))
        res=$(measure "${@:2}")
        set -- "$1" "$size" $res
        if [ "$6" != 0 ]; then
                printf '%-24s %10s bytes  FAILED (exit %s)\n' "$1" "$2" "$6"
                return 1
        fi
        printf '%-24s %10s bytes  %7.3f s (CPU %7.3f s)  peak RSS %7.1f MB (%.1fx the file)\n' "$1" "$2" "$3" "$4" \
                "$(awk -v k="$5" 'BEGIN { print k / 1024 }')" "$(awk -v k="$5" -v s="$2" 'BEGIN { print k * 1024 / s }')"
}

echo "ccompose: $CCOMPOSE"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
for k in $KEYS; do
        gen_env "$k" "$TMP/env-$k.yaml"
        report "$k environment keys" "$TMP/env-$k.yaml" || failed=1
done
gen_services "$SERVICES" "$TMP/services.yaml"
report "$SERVICES services" "$TMP/services.yaml" || failed=1
gen_override "$SERVICES" "$TMP/override.yaml"
report "$SERVICES + override" "$TMP/services.yaml" "$TMP/override.yaml" || failed=1
exit $failed

#!/usr/bin/env bash
# Drives the real ccompose binary over the cases in tests/config/cases/: each
# case directory holds compose files (and .env, env files, ...) and a file
# `case` with one directive per line:
#   args ARGS...        the ccompose arguments (run in the case directory)
#   env K=V             environment for the run (shell env is cleared but PATH/HOME)
#   exit N              expected exit code (default 0)
#   jq EXPR             jq -e EXPR must hold on stdout (JSON output)
#   out TEXT            stdout contains TEXT
#   outline TEXT        stdout has a line equal to TEXT
#   err TEXT            stderr contains TEXT
#   noerr TEXT          stderr does not contain TEXT
#   errlines N TEXT     exactly N lines of stderr contain TEXT
#   outre REGEX         a line of stdout matches the extended regex
#   nooutre REGEX       no line of stdout matches the extended regex
#   nolines             stdout is empty
#   file PATH TEXT      PATH (in the case directory) contains TEXT
#   stdin FILE          feed FILE (relative to the case) on standard input
#   cd SUBDIR           run in SUBDIR of the case
#   same FILE           stdout is FILE (in the case directory) byte for byte
#                       (@DIR@ and @HOME@ in FILE as in expectations)
# In expectations, @DIR@ stands for the case's directory and @HOME@ for $HOME.
# Then every compose file of the shared awesome-compose corpus is loaded.
# Output is TAP; every case is one test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export CCOMPOSE_REGISTRY_LOOPBACK_ONLY=1 # never reach a registry off this machine
CCOMPOSE=$(realpath "${CCOMPOSE:-$here/../../build/ccompose}")
corpus=${CORPUS:-$here/../../../shared/corpus/awesome-compose}
work=$(mktemp -d /tmp/ccompose-config-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

cases=("$here"/cases/*/)
corpus_files=()
if [ -d "$corpus" ]; then
        for f in "$corpus"/*/compose.yaml "$corpus"/*/compose.yml "$corpus"/*/docker-compose.yml "$corpus"/*/docker-compose.yaml; do
                [ -f "$f" ] && corpus_files+=("$f")
        done
fi
echo "1..$(( ${#cases[@]} + ${#corpus_files[@]} + 2 ))"
n=0
failed=0
report() { # ok? name diag
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; printf '%s\n' "$3" | sed 's/^/# /' | head -30; failed=$((failed + 1)); fi
}

run_case() {
        local dir=$1 name args=() envs=() want_exit=0 stdin=/dev/null diag="" line key val sub=.
        name=$(basename "$dir")
        while IFS= read -r line || [ -n "$line" ]; do
                key=${line%% *}; val=${line#* }
                case $key in
                args) eval "args=($val)" ;;
                env) envs+=("$val") ;;
                exit) want_exit=$val ;;
                stdin) stdin=$dir/$val ;;
                cd) sub=$val ;;
                esac
        done < "$dir/case"
        local out="$work/$name.out" err="$work/$name.err" rc
        # cases run in a copy so that nothing can write into the source tree
        cp -a "$dir" "$work/$name"
        rm -f "$work/$name/case"
        (cd "$work/$name/$sub" && env -i PATH="$PATH" HOME="$work/home" "${envs[@]}" "$CCOMPOSE" "${args[@]}") \
                < "$stdin" > "$out" 2> "$err"
        rc=$?
        [ "$rc" = "$want_exit" ] || diag+="exit code $rc, want $want_exit"$'\n'
        while IFS= read -r line || [ -n "$line" ]; do
                key=${line%% *}; val=${line#* }
                val=${val//@DIR@/$work/$name}
                val=${val//@HOME@/$work/home}
                case $key in
                jq) jq -e "$val" "$out" > /dev/null 2>&1 || diag+="jq failed: $val => $(jq -c "$val" "$out" 2>&1 | head -c 400)"$'\n' ;;
                out) grep -qF -- "$val" "$out" || diag+="stdout lacks: $val"$'\n' ;;
                outline) grep -qxF -- "$val" "$out" || diag+="stdout has no line: $val"$'\n' ;;
                err) grep -qF -- "$val" "$err" || diag+="stderr lacks: $val"$'\n' ;;
                noerr) grep -qF -- "$val" "$err" && diag+="stderr has: $val"$'\n' ;;
                errlines) c=$(grep -cF -- "${val#* }" "$err"); [ "$c" = "${val%% *}" ] || diag+="stderr has $c lines with: $val"$'\n' ;;
                outre) grep -qE -- "$val" "$out" || diag+="stdout matches no: $val"$'\n' ;;
                nooutre) grep -qE -- "$val" "$out" && diag+="stdout matches: $val"$'\n' ;;
                nolines) [ -s "$out" ] && diag+="stdout is not empty"$'\n' ;;
                same) sed -e "s|@DIR@|$work/$name|g" -e "s|@HOME@|$work/home|g" "$dir/$val" | cmp -s - "$out" ||
                        diag+="stdout differs from $val:"$'\n'"$(sed -e "s|@DIR@|$work/$name|g" -e "s|@HOME@|$work/home|g" "$dir/$val" | diff - "$out" | head -20)"$'\n' ;;
                file) f=${val%% *}; t=${val#* }; grep -qF -- "$t" "$work/$name/$f" 2>/dev/null || diag+="$f lacks: $t"$'\n' ;;
                esac
        done < "$dir/case"
        if [ -n "$diag" ]; then
                diag+="--- stdout:"$'\n'"$(head -c 1500 "$out")"$'\n'"--- stderr:"$'\n'"$(head -c 800 "$err")"
        fi
        report "$([ -z "$diag" ] && echo 0 || echo 1)" "$name" "$diag"
}

for d in "${cases[@]}"; do run_case "${d%/}"; done

# The corpus: every file loads, the JSON model has the canonical forms, and
# config's output, loaded again, gives the same output.
for f in "${corpus_files[@]}"; do
        d=$(dirname "$f"); name=$(basename "$d")
        out=$(cd "$d" && "$CCOMPOSE" -f "$f" config --format json 2>"$work/corpus.err")
        rc=$?
        diag=""
        if [ $rc -ne 0 ]; then
                diag="exit $rc: $(cat "$work/corpus.err")"
        else
                want=$(echo "$name" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-')
                echo "$out" | jq -e --arg n "$want" '
                        .name == $n
                        and (.services | length > 0)
                        and ([.services[] | (.ports // [])[] | (.target | type == "number") and (.protocol != null)] | all)
                        and ([.services[] | (.volumes // [])[] | .type != null and .target != null] | all)
                        and ([.services[] | (.environment // {}) | type == "object"] | all)
                        and ([.services[] | (.depends_on // {}) | type == "object"] | all)
                        and ([.services[] | .network_mode != null or (.networks | type == "object")] | all)
                        and ([.services[] | (.build // {}) | type == "object"] | all)' >/dev/null \
                        || diag="model not canonical: $(echo "$out" | head -c 1500)"
                # the YAML output loads again with the same meaning ($$ for literal dollars)
                y1=$(cd "$d" && "$CCOMPOSE" -f "$f" config 2>&1)
                y2=$(cd "$d" && printf '%s\n' "$y1" | "$CCOMPOSE" -f - config 2>&1)
                [ "$y1" = "$y2" ] || diag+="config output does not load back the same: $(diff <(echo "$y1") <(echo "$y2") | head -20)"
        fi
        report "$([ -z "$diag" ] && echo 0 || echo 1)" "corpus $name loads" "$diag"
done

# the corpus must be there: a missing one would silently test nothing
if [ ${#corpus_files[@]} -ge 30 ]; then report 0 "awesome-compose corpus found (${#corpus_files[@]} files)" ""
else report 1 "awesome-compose corpus found" "only ${#corpus_files[@]} compose files under $corpus"; fi

# config --help works and names the options
h=$("$CCOMPOSE" config --help 2>&1)
case $h in *--no-interpolate*--profiles*|*--profiles*--no-interpolate*) report 0 "config --help" "";; *) report 1 "config --help" "$h";; esac
exit $((failed > 0))

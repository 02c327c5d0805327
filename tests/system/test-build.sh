#!/bin/bash
# System tests of the image builder, `ccompose image build` (TAP). Run as
# root:  CCOMPOSE=build/ccompose bash tests/system/test-build.sh
# Base images come from make-images.sh (busybox-static, offline). Every
# case checks that a build leaves no container, cgroup, mount or scratch
# directory behind.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"

plan 16

build_setup

# ---- helpers ----

# jget REF PYTHON-EXPR: a field of `image inspect` (x = the first object)
jget() { cc image inspect "$1" | python3 -c "import json,sys; x=json.load(sys.stdin)[0]; print(($2))"; }

# chain_of REF I: the chain ID (hex) of the image's layer I (Python index),
# its directory under layers/
chain_of() {
        cc image inspect "$1" | python3 -c "
import hashlib, json, sys
ls = json.load(sys.stdin)[0]['RootFS']['Layers']
end = int(sys.argv[1]) % len(ls)
c = ls[0]
for d in ls[1:end + 1]:
    c = 'sha256:' + hashlib.sha256((c + ' ' + d).encode()).hexdigest()
print(c[7:])" "$2"
}


# ctx DIR: a build context with files, a subdirectory and an ignored file
ctx() {
        mkdir -p "$1/sub"
        echo hello >"$1/f"
        echo sub >"$1/sub/g"
        echo secret >"$1/ignored.txt"
        printf 'ignored.txt\n' >"$1/.dockerignore"
}

# ---- cases ----

t_build_and_run() {
        local d=$W/app; ctx "$d"
        cat >"$d/Dockerfile" <<'EOF'
# syntax=docker/dockerfile:1
ARG BASE=busybox:test
FROM ${BASE}
MAINTAINER someone@example.com
ARG GREETING=hi
ENV APP=/app \
    MODE=prod
WORKDIR $APP
COPY f sub ./
RUN echo "$GREETING $MODE" > out && ls /app > listing
SHELL ["/bin/sh", "-ec"]
RUN ["sh", "-c", "id -u > uid"]
LABEL org.example.name="my app" version=1
EXPOSE 8080 53/udp
VOLUME ["/data"]
USER 1000:1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s CMD ["true"]
ENTRYPOINT ["sh", "-c"]
CMD ["cat /app/out"]
EOF
        local out; out=$(cc image build -t bt/app:1 -t bt/app:latest --build-arg GREETING=yo --label extra=1 "$d" 2>&1) ||
                { fail "build: $out"; return 1; }
        assert_contains "$out" "#1 [1/5] FROM docker.io/library/busybox:test" || return 1
        assert_contains "$out" "[3/5] COPY f sub ./" || return 1
        assert_contains "$out" "[4/5] RUN echo \"\$GREETING \$MODE\" > out" || return 1
        assert_contains "$out" "naming to docker.io/bt/app:1 done" || return 1
        [[ $out =~ "writing image sha256:"[0-9a-f]{64}" done" ]] || { fail "no image line: $out"; return 1; }
        # the config
        assert_eq "$(jget bt/app:1 "x['Config']['Env']")" "['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'APP=/app', 'MODE=prod']" || return 1
        assert_eq "$(jget bt/app:1 "x['Config']['WorkingDir'], x['Config']['User'], x['Config']['StopSignal']")" "('/app', '1000:1000', 'SIGINT')" || return 1
        assert_eq "$(jget bt/app:1 "x['Config']['Entrypoint'], x['Config']['Cmd']")" "(['sh', '-c'], ['cat /app/out'])" || return 1
        assert_eq "$(jget bt/app:1 "sorted(x['Config']['ExposedPorts']), list(x['Config']['Volumes'])")" "(['53/udp', '8080/tcp'], ['/data'])" || return 1
        assert_eq "$(jget bt/app:1 "x['Config']['Labels']")" "{'org.example.name': 'my app', 'version': '1', 'extra': '1'}" || return 1
        assert_eq "$(jget bt/app:1 "x['Config']['Healthcheck']['Test'], x['Author']")" "(['CMD', 'true'], 'someone@example.com')" || return 1
        assert_eq "$(jget bt/app:1 "len(x['RootFS']['Layers'])")" 4 "(base + COPY + 2 RUN)" || return 1
        assert_eq "$(jget bt/app:1 "x['Id']")" "$(jget bt/app:latest "x['Id']")" || return 1
        # run it: the files, the ignored one absent, the command
        cat >"$d/compose.yaml" <<'EOF'
services:
  app:
    image: bt/app:1
    network_mode: none
EOF
        out=$(cc -f "$d/compose.yaml" -p bt-run run --rm app 'cat out listing uid; id -u; ls /app; pwd' 2>&1) || { fail "run: $out"; return 1; }
        assert_contains "$out" "yo prod"$'\n'"f"$'\n'"g"$'\n'"listing"$'\n'"out"$'\n'"0"$'\n'"1000" || return 1
        assert_not_contains "$out" "ignored" || return 1
        assert_contains "$out" "/app" || return 1
        out=$(cc -f "$d/compose.yaml" -p bt-run run --rm app 2>&1) || { fail "run default cmd: $out"; return 1; }
        assert_contains "$out" "yo prod" || return 1
        cc -f "$d/compose.yaml" -p bt-run down >/dev/null 2>&1
        nothing_left
}

t_multi_stage() {
        local d=$W/multi; ctx "$d"
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test AS build
WORKDIR /src
COPY f .
RUN cat f f > double && rm f

FROM build AS test
RUN test -f double

FROM busybox:test AS broken
RUN echo broken; exit 7

FROM busybox:test
COPY --from=build /src/double /app/double
COPY --from=0 /src /copied
CMD ["cat", "/app/double"]
EOF
        local out; out=$(cc image build -t bt/multi:1 "$d" 2>&1) || { fail "build: $out"; return 1; }
        assert_contains "$out" "[build 4/4] RUN cat f f > double && rm f" || return 1
        assert_contains "$out" "[stage-3 2/3] COPY --from=build /src/double /app/double" || return 1
        assert_not_contains "$out" "test -f double" "(stage test is not needed)" || return 1
        assert_not_contains "$out" "broken" "(nor is the failing stage broken)" || return 1
        printf 'services:\n  m:\n    image: bt/multi:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-multi run --rm m sh -c 'cat /app/double; ls /copied' 2>&1) || { fail "run: $out"; return 1; }
        assert_eq "$out" $'hello\nhello\ndouble' || return 1
        assert_eq "$(jget bt/multi:1 "len(x['RootFS']['Layers'])")" 3 "(only the final stage's layers)" || return 1
        # --target: the test stage, with its parent's layers
        out=$(cc image build -q --target test -t bt/multi:test "$d" 2>&1) || { fail "build --target: $out"; return 1; }
        [[ $out =~ ^sha256:[0-9a-f]{64}$ ]] || { fail "-q printed: $out"; return 1; }
        assert_eq "$(jget bt/multi:test "x['Id']")" "$out" || return 1
        assert_eq "$(jget bt/multi:test "len(x['RootFS']['Layers'])")" 3 "(test -f changes nothing: no layer)" || return 1
        # the failing stage as the target fails
        if out=$(cc image build --target broken "$d" 2>&1); then fail "stage broken built"; return 1; fi
        assert_contains "$out" "exit code: 7" || return 1
        if out=$(cc image build --target nope "$d" 2>&1); then fail "unknown target built"; return 1; fi
        assert_contains "$out" 'ERROR: failed to solve: target stage "nope" could not be found' || return 1
        cc -f "$d/compose.yaml" -p bt-multi down >/dev/null 2>&1
        nothing_left
}

t_failing_run() {
        local d=$W/fail; ctx "$d"
        printf 'FROM busybox:test\nCOPY f /f\nRUN echo first\nRUN echo to-out; echo to-err >&2; exit 3\nRUN echo never\n' >"$d/Dockerfile"
        local before; before=$(cc image ls -q | sort)
        local out rc=0
        out=$(cc image build -t bt/fail:1 "$d" 2>&1) || rc=$?
        assert_eq "$rc" 1 "(exit code; output: $out)" || return 1
        assert_contains "$out" "#4 [4/5] RUN echo to-out; echo to-err >&2; exit 3" || return 1
        assert_contains "$out" "#4 to-out"$'\n'"#4 to-err" || return 1
        assert_contains "$out" "Dockerfile:4"$'\n'"--------------------"$'\n'"   4 | >>> RUN echo to-out; echo to-err >&2; exit 3" || return 1
        assert_contains "$out" 'ERROR: failed to solve: process "/bin/sh -c echo to-out; echo to-err >&2; exit 3" did not complete successfully: exit code: 3' || return 1
        assert_not_contains "$out" "never" || return 1
        assert_eq "$(cc image ls -q | sort)" "$before" "(no image written)" || return 1
        # what the steps before it built is cached for the next try
        out=$(cc image build -t bt/fail:1 "$d" 2>&1) && { fail "built"; return 1; }
        assert_contains "$out" "#2 [2/5] COPY f /f"$'\n'"#2 CACHED" || return 1
        assert_contains "$out" "#3 [3/5] RUN echo first"$'\n'"#3 CACHED" || return 1
        if cc image inspect bt/fail:1 >/dev/null 2>&1; then fail "tag bt/fail:1 exists"; return 1; fi
        nothing_left
}

t_dockerignore() {
        local d=$W/ign; ctx "$d"
        mkdir -p "$d/logs" "$d/keep"
        echo l >"$d/logs/a.log"; echo k >"$d/keep/b.log"; echo x >"$d/keep/x.txt"
        printf 'ignored.txt\n**/*.log\n!keep/b.log\n' >"$d/.dockerignore"
        printf 'FROM busybox:test\nCOPY . /ctx/\n' >"$d/Dockerfile"
        # <Dockerfile>.dockerignore wins over .dockerignore
        printf 'FROM busybox:test\nCOPY . /ctx/\n' >"$d/other.Dockerfile"
        printf 'keep\n' >"$d/other.Dockerfile.dockerignore"
        cc image build -q -t bt/ign:1 "$d" >/dev/null || return 1
        cc image build -q -t bt/ign:2 -f "$d/other.Dockerfile" "$d" >/dev/null || return 1
        printf 'services:\n  i:\n    image: bt/ign:1\n    network_mode: none\n' >"$d/compose.yaml"
        local out; out=$(cc -f "$d/compose.yaml" -p bt-ign run --rm i sh -c 'cd /ctx && find . -type f | sort' 2>&1) || { fail "$out"; return 1; }
        assert_eq "$out" $'./.dockerignore\n./Dockerfile\n./f\n./keep/b.log\n./keep/x.txt\n./other.Dockerfile\n./other.Dockerfile.dockerignore\n./sub/g' || return 1
        printf 'services:\n  i:\n    image: bt/ign:2\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-ign run --rm i sh -c 'cd /ctx && ls' 2>&1) || { fail "$out"; return 1; }
        assert_not_contains "$out" "keep" || return 1
        assert_contains "$out" "ignored.txt" || return 1
        cc -f "$d/compose.yaml" -p bt-ign down >/dev/null 2>&1
        nothing_left
}

t_errors_name_the_line() {
        local d=$W/err; mkdir -p "$d"
        refused "$d" 'FROM busybox:test\nCOPY missing /x\n' "ERROR: failed to solve: " || return 1
        refused "$d" 'FROM busybox:test\nCOPY missing /x\n' "missing" || return 1
        refused "$d" 'FROM busybox:test\nFORM x\n' "Dockerfile.refused:2" || return 1
        refused "$d" 'FROM busybox:test\nRUN --bogus=1 true\n' \
                "Dockerfile.refused:2: RUN --bogus=1 true: unknown flag: --bogus=1" || return 1
        refused "$d" 'FROM busybox:test\n' 'invalid tag "Bad Tag"' -t 'Bad Tag' || return 1
        local out
        if out=$(cc image build "$W/nonexistent" 2>&1); then fail "missing context accepted"; return 1; fi
        assert_contains "$out" 'unable to prepare context: path' || return 1
        nothing_left
}

t_scratch_and_inline() {
        local d=$W/scratch; ctx "$d"
        printf 'FROM scratch\nCOPY f /f\nCOPY --chown=1000:1000 sub /sub/\nENV A=1\nCMD ["/nothing"]\n' | cc image build -q -t bt/scratch:1 -f - "$d" >/dev/null || return 1
        assert_eq "$(jget bt/scratch:1 "len(x['RootFS']['Layers']), x['Config']['Env'], x['Config']['Cmd'], x['Architecture'], x['Os']")" \
                "(2, ['A=1'], ['/nothing'], '$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')', 'linux')" || return 1
        local L=$CCOMPOSE_ROOT/layers
        local l2; l2=$(jget bt/scratch:1 "x['RootFS']['Layers'][0][7:]")
        assert_eq "$(cat "$L/$l2/f")" hello || return 1
        local chain; chain=$(ls "$L" | while read -r c; do [ -f "$L/$c/sub/g" ] && echo "$c"; done | head -1)
        [ -n "$chain" ] || { fail "no layer with /sub/g"; return 1; }
        assert_eq "$(stat -c %u:%g "$L/$chain/sub/g")" "1000:1000" || return 1
        nothing_left
}

t_history() {
        local d=$W/hist; ctx "$d"
        printf 'FROM busybox:test\nENV A=1\nRUN true\nRUN touch /x\nCOPY f /f\nCMD ["sh"]\n' >"$d/Dockerfile"
        # the work directory of a killed build goes; a running build's (locked) stays
        local bt=$CCOMPOSE_ROOT/build-tmp
        mkdir -p "$bt/deadbuild/x" "$bt/livebuild"
        # (the sleep itself holds the lock, so that killing it ends both; and
        # its output is not the case's, which t would wait for)
        sh -c 'exec 9<"$1"; flock 9; exec sleep 120' sh "$bt/livebuild" </dev/null >/dev/null 2>&1 &
        local holder=$! i
        bg_record "$holder"
        for i in $(seq 100); do flock -n "$bt/livebuild" true || break; sleep 0.1; done
        cc image build -q -t bt/hist:1 "$d" >/dev/null || { kill "$holder"; return 1; }
        [ ! -e "$bt/deadbuild" ] && [ -d "$bt/livebuild" ] || { fail "$(ls "$bt")"; kill "$holder"; return 1; }
        kill "$holder"; wait "$holder" 2>/dev/null; rmdir "$bt/livebuild"
        local id; id=$(jget bt/hist:1 "x['Id']")
        local cfg=$CCOMPOSE_ROOT/images/blobs/sha256/${id#sha256:}
        local h; h=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print([(e['created_by'], e.get('empty_layer', False)) for e in c['history']][-5:]); print(len(c['rootfs']['diff_ids']), bool(c['created']))" "$cfg")
        assert_eq "$h" "[('ENV A=1', True), ('RUN /bin/sh -c true # buildkit', True), ('RUN /bin/sh -c touch /x # buildkit', False), ('COPY f /f # buildkit', False), ('CMD [\"sh\"]', True)]"$'\n'"3 True" "(a RUN that changes nothing makes no layer)"
}

t_build_args_and_platform() {
        local d=$W/args; mkdir -p "$d"
        cat >"$d/Dockerfile" <<'EOF'
ARG TAG=test
FROM busybox:${TAG}
ARG TAG
ARG TARGETARCH
ARG UNSET
ARG DEF=dflt
ENV FROM_ARG=${DEF}
RUN echo "tag=$TAG arch=$TARGETARCH unset=${UNSET:-none} def=$DEF" > /args
EOF
        local out; out=$(cc image build -t bt/args:1 --build-arg DEF=given --build-arg NOT_DECLARED=1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_contains "$out" "[Warning] One or more build-args [NOT_DECLARED] were not consumed" || return 1
        printf 'services:\n  a:\n    image: bt/args:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-args run --rm a sh -c 'cat /args; echo $FROM_ARG; echo "[$TAG]"' 2>&1) || { fail "$out"; return 1; }
        local arch; arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
        assert_eq "$out" "tag=test arch=$arch unset=none def=given"$'\n'"given"$'\n'"[]" "(ARG values are not in the image's env)" || return 1
        cc -f "$d/compose.yaml" -p bt-args down >/dev/null 2>&1
        nothing_left
}

# refused DIR DOCKERFILE WANT [BUILD-OPTION...]: building DOCKERFILE (printf
# %b escapes) in DIR fails, saying WANT
refused() {
        local dir=$1 text=$2 want=$3 out
        shift 3
        printf '%b' "$text" >"$dir/Dockerfile.refused"
        if out=$(cc image build "$@" -f "$dir/Dockerfile.refused" "$dir" 2>&1); then fail "built: $text"; return 1; fi
        assert_contains "$out" "$want"
}

# count_cached OUT: how many steps the build output says were cached
count_cached() { grep -c '^#[0-9]* CACHED$' <<<"$1"; }

t_cache() {
        local d=$W/cache; mkdir -p "$d"
        echo a >"$d/a"; echo b >"$d/b"
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test AS build
COPY a /a
RUN cat /a /a > /a2
FROM busybox:test
COPY --from=build /a2 /a2
COPY b /b
RUN cat /proc/sys/kernel/random/uuid > /stamp
EOF
        local out id1 id2 id3
        out=$(cc image build -t bt/cache:1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 2 "(only the two FROMs: $out)" || return 1
        id1=$(jget bt/cache:1 "x['Id']")
        # nothing changed: every step cached, the same image
        out=$(cc image build -t bt/cache:1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 7 "(every step: $out)" || return 1
        assert_contains "$out" "writing image $id1 done" || return 1
        # mtimes alone change nothing
        touch -d '2001-01-01' "$d/a" "$d/b"
        out=$(cc image build -q -t bt/cache:1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$out" "$id1" "(after touch)" || return 1
        # one file changed: its COPY and what follows run again
        echo b2 >"$d/b"
        out=$(cc image build -t bt/cache:2 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 5 "(FROMs, COPY a, RUN a2, COPY --from: $out)" || return 1
        id2=$(jget bt/cache:2 "x['Id']")
        [ "$id2" != "$id1" ] || { fail "same image after a change"; return 1; }
        printf 'services:\n  c:\n    image: bt/cache:2\n    network_mode: none\n' >"$d/compose.yaml"
        assert_eq "$(cc -f "$d/compose.yaml" -p bt-cache run --rm c cat /a2 /b 2>&1)" $'a\na\nb2' || return 1
        # --no-cache: everything again (a new stamp, a new image)
        out=$(cc image build --no-cache -t bt/cache:3 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 2 "(--no-cache: only the FROMs: $out)" || return 1
        id3=$(jget bt/cache:3 "x['Id']")
        [ "$id3" != "$id2" ] || { fail "--no-cache gave the same image"; return 1; }
        # a COPY that runs again links the files it copied last time and that did not change
        mkdir -p "$d/many"; echo 1 >"$d/many/x"; echo 2 >"$d/many/y"
        printf 'FROM busybox:test\nCOPY many /many/\n' >"$d/Dockerfile.many"
        cc image build -q -t bt/many:1 -f "$d/Dockerfile.many" "$d" >/dev/null || return 1
        echo 3 >"$d/many/y"
        cc image build -q -t bt/many:2 -f "$d/Dockerfile.many" "$d" >/dev/null || return 1
        local l1=$CCOMPOSE_ROOT/layers/$(chain_of bt/many:1 -1) l2=$CCOMPOSE_ROOT/layers/$(chain_of bt/many:2 -1)
        assert_eq "$(stat -c %i "$l2/many/x")" "$(stat -c %i "$l1/many/x")" "(x linked)" || return 1
        assert_eq "$(cat "$l2/many/y" "$l1/many/y")" $'3\n2' "(y copied, the old layer unchanged)" || return 1
        # the cache outlives the images (and the store's gc after rm and load)
        cc image rm bt/cache:1 bt/cache:2 bt/cache:3 >/dev/null || return 1
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || return 1
        out=$(cc image build -t bt/cache:4 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 7 "(after rm: $out)" || return 1
        cc -f "$d/compose.yaml" -p bt-cache down >/dev/null 2>&1
        nothing_left
}

# The digests of context files are kept by their stat between builds: a
# file changed in place to the same size, its mtime put back, is still a
# change (its ctime moved); a record file cut short is not used.
t_cache_kept_digests() {
        local d=$W/kept; mkdir -p "$d"
        echo one >"$d/f"; echo keep >"$d/k"
        printf 'FROM busybox:test\nCOPY f k /\n' >"$d/Dockerfile"
        # only files older than 2 s at the start of a build are recorded
        local i
        for ((i = 0; i < 100; i++)); do
                [ $(($(date +%s) - $(stat -c %Z "$d/f"))) -ge 3 ] && break
                sleep 0.1
        done
        local out id1
        out=$(cc image build -q -t bt/kept:1 "$d" 2>&1) || { fail "$out"; return 1; }
        id1=$out
        local rec
        rec=$(grep -l ' f$' "$CCOMPOSE_ROOT"/build-context-hashes/* 2>/dev/null)
        [ -n "$rec" ] || { fail "no digest of f recorded"; return 1; }
        out=$(cc image build -q -t bt/kept:1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$out" "$id1" "(nothing changed)" || return 1
        local mtime
        mtime=$(stat -c %y "$d/f")
        printf 'two\n' 1<>"$d/f"
        touch -d "$mtime" "$d/f"
        assert_eq "$(stat -c %y "$d/f")" "$mtime" "(the same mtime)" || return 1
        out=$(cc image build -t bt/kept:2 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 1 "(only FROM: $out)" || return 1
        printf 'services:\n  c:\n    image: bt/kept:2\n    network_mode: none\n' >"$d/compose.yaml"
        assert_eq "$(cc -f "$d/compose.yaml" -p bt-kept run --rm c cat /f /k 2>&1)" $'two\nkeep' || return 1
        # a torn record file: not used, the build still right
        truncate -s 100 "$rec"
        printf 'one\n' 1<>"$d/f"
        touch -d "$mtime" "$d/f"
        out=$(cc image build -q -t bt/kept:3 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$out" "$id1" "(back to one: the first image)" || return 1
        cc -f "$d/compose.yaml" -p bt-kept down >/dev/null 2>&1
        nothing_left
}

t_source_date_epoch() {
        local d=$W/sde; ctx "$d"
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
COPY f sub /app/
RUN mkdir /d && echo x > /d/x && touch /app/f
CMD ["cat", "/d/x"]
EOF
        local a b c n1 n2 e=1700000000
        touch -d @1000000000 "$d/f" "$d/sub/g"
        a=$(SOURCE_DATE_EPOCH=$e cc image build -q --no-cache "$d" 2>&1) || { fail "$a"; return 1; }
        b=$(cc image build -q --no-cache --build-arg SOURCE_DATE_EPOCH=$e "$d" 2>&1) || { fail "$b"; return 1; }
        assert_eq "$b" "$a" "(two clean builds with one SOURCE_DATE_EPOCH: one image)" || return 1
        c=$(SOURCE_DATE_EPOCH=$((e + 1)) cc image build -q --no-cache "$d" 2>&1) || { fail "$c"; return 1; }
        [ "$c" != "$a" ] || { fail "another epoch, the same image"; return 1; }
        # without it the times are the build's: two builds differ
        n1=$(cc image build -q --no-cache "$d" 2>&1) || { fail "$n1"; return 1; }
        n2=$(cc image build -q --no-cache "$d" 2>&1) || { fail "$n2"; return 1; }
        [ "$n1" != "$n2" ] || { fail "two builds without SOURCE_DATE_EPOCH gave one image"; return 1; }
        assert_eq "$(jget "$a" "x['Created']")" "2023-11-14T22:13:20Z" || return 1
        local cfg=$CCOMPOSE_ROOT/images/blobs/sha256/${a#sha256:}
        local times
        times=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(sorted(set(h["created"] for h in c["history"][-3:])))' "$cfg")
        assert_eq "$times" "['2023-11-14T22:13:20Z']" || return 1
        # file times in the new layers: none later than the epoch
        local run copy
        run=$CCOMPOSE_ROOT/layers/$(chain_of "$a" -1) copy=$CCOMPOSE_ROOT/layers/$(chain_of "$a" -2)
        assert_eq "$(stat -c %Y "$run/d/x" "$run/d" "$run/app/f" | sort -u)" "$e" "(RUN's files)" || return 1
        assert_eq "$(stat -c %Y "$copy/app/f" "$copy/app/g" | sort -u)" 1000000000 "(COPY keeps older times)" || return 1
        if out=$(SOURCE_DATE_EPOCH=soon cc image build "$d" 2>&1); then fail "a bad epoch accepted"; return 1; fi
        assert_contains "$out" 'invalid SOURCE_DATE_EPOCH "soon"' || return 1
        nothing_left
}

t_run_mounts() {
        local d=$W/mounts; mkdir -p "$d/src"
        echo one >"$d/src/a"; echo two >"$d/src/b"; echo no >"$d/src/ignored"
        printf 'src/ignored\n' >"$d/.dockerignore"
        printf 's3cr3t-value' >"$W/secret.txt"
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
WORKDIR /w
RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /w/cache-count
RUN --mount=type=bind,source=src,target=/mnt/src ls /mnt/src > /w/bound
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && grep -q ' /scratch tmpfs ' /proc/mounts && echo tmpfs-ok > /w/tmpfs
RUN --mount=type=secret,id=tok test "$(cut -c1-6 /run/secrets/tok)" = s3cr3t && wc -c < /run/secrets/tok > /w/secret-len
RUN --mount=type=secret,id=tok,env=TOKEN test "${TOKEN%-value}" = s3cr3t && echo env-ok > /w/secret-env
RUN --network=none cat /proc/net/dev | grep -c : > /w/links
EOF
        local out
        out=$(cc image build -t bt/mounts:1 --secret id=tok,src="$W/secret.txt" "$d" 2>&1) || { fail "$out"; return 1; }
        printf 'services:\n  m:\n    image: bt/mounts:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-mounts run --rm m sh -c 'cat cache-count bound tmpfs secret-len secret-env links; ls -d /cache /mnt /scratch /run/secrets 2>&1' 2>&1)
        assert_eq "$out" "1"$'\n'"a"$'\n'"b"$'\n'"tmpfs-ok"$'\n'"12"$'\n'"env-ok"$'\n'"1"$'\n'"ls: /cache: No such file or directory"$'\n'"ls: /mnt: No such file or directory"$'\n'"ls: /scratch: No such file or directory"$'\n'"ls: /run/secrets: No such file or directory" \
                "(mounts as the step saw them, none of them in the image)" || return 1
        # the secret is in no layer and not in the config: grep the saved image and the layer trees
        cc image save -o "$W/mounts.tar" bt/mounts:1 || return 1
        if grep -q s3cr3t-value "$W/mounts.tar"; then fail "the secret is in the saved image"; return 1; fi
        local i n; n=$(jget bt/mounts:1 "len(x['RootFS']['Layers'])")
        for ((i = 0; i < n; i++)); do
                if grep -rq s3cr3t-value "$CCOMPOSE_ROOT/layers/$(chain_of bt/mounts:1 "$i")"; then fail "the secret is in layer $i"; return 1; fi
        done
        # a secret the build does not get: a required one fails the step
        refused "$d" 'FROM busybox:test\nRUN --mount=type=secret,id=nope,required=true true\n' "secret nope: not provided" || return 1
        # the cache mount outlives the build; the bound files are in the step's key
        out=$(cc image build -t bt/mounts:2 --secret id=tok,src="$W/secret.txt" "$d" 2>&1) || { fail "$out"; return 1; }
        assert_eq "$(count_cached "$out")" 8 "(nothing changed, WORKDIR too: $out)" || return 1
        echo changed >"$d/src/b"
        out=$(cc image build --secret id=tok,src="$W/secret.txt" "$d" 2>&1) || { fail "$out"; return 1; }
        assert_contains "$out" "RUN --mount=type=bind,source=src,target=/mnt/src ls /mnt/src > /w/bound"$'\n'"#4 DONE" \
                "(a bound file changed: the step runs again)" || return 1
        echo ignored-changed >"$d/src/ignored"
        out=$(cc image build --no-cache -q --secret id=tok,src="$W/secret.txt" "$d" 2>&1) || { fail "$out"; return 1; }
        printf 'services:\n  m:\n    image: %s\n    network_mode: none\n' "$out" >"$d/compose.yaml"
        assert_eq "$(cc -f "$d/compose.yaml" -p bt-mounts run --rm m cat cache-count 2>&1)" 2 "(the cache mount kept its file)" || return 1
        cc -f "$d/compose.yaml" -p bt-mounts down >/dev/null 2>&1
        nothing_left
}

t_heredocs() {
        local d=$W/heredoc; mkdir -p "$d"
        cat >"$d/Dockerfile" <<'DOCKERFILE'
FROM busybox:test
ARG NAME=world
RUN <<EOF
echo "script line 1" > /one
echo "script line 2" >> /one
EOF
RUN cat <<EOF > /two && echo after >> /two
hello $NAME
EOF
COPY <<EOF /etc/greeting
hello ${NAME}
EOF
COPY <<'EOF' /etc/raw
hello ${NAME}
EOF
RUN <<-EOF
	echo tabs stripped > /three
	EOF
DOCKERFILE
        local out; out=$(cc image build -q -t bt/heredoc:1 --build-arg NAME=there "$d" 2>&1) || { fail "$out"; return 1; }
        printf 'services:\n  h:\n    image: bt/heredoc:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-heredoc run --rm h cat /one /two /etc/greeting /etc/raw /three 2>&1)
        assert_eq "$out" $'script line 1\nscript line 2\nhello there\nafter\nhello there\nhello ${NAME}\ntabs stripped' || return 1
        refused "$d" 'FROM busybox:test\nRUN <<EOF\necho never ends\n' "unterminated heredoc EOF" || return 1
        cc -f "$d/compose.yaml" -p bt-heredoc down >/dev/null 2>&1
        nothing_left
}

t_copy_flags_onbuild_platform() {
        local d=$W/flags; ctx "$d"
        chmod 600 "$d/f"
        # a base image with ONBUILD triggers, and one that uses it
        printf 'FROM busybox:test\nONBUILD COPY f /from-trigger\nONBUILD RUN echo triggered > /trig\n' >"$d/Dockerfile.base"
        cc image build -q -t bt/onbuild-base:1 -f "$d/Dockerfile.base" "$d" >/dev/null || return 1
        assert_eq "$(jget bt/onbuild-base:1 "x['Config']['OnBuild']")" "['COPY f /from-trigger', 'RUN echo triggered > /trig']" || return 1
        cat >"$d/Dockerfile" <<'EOF'
FROM --platform=$BUILDPLATFORM bt/onbuild-base:1
COPY --chmod=640 --chown=app:wheel f /f-app
COPY --chown=nobody sub /sub-nobody/
COPY --link --chmod=755 f /f-exec
COPY --from=busybox:test /bin/busybox /from-image/busybox
COPY --parents sub/g f /par/
EOF
        local out; out=$(cc image build -t bt/flags:1 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_contains "$out" "[internal] load image docker.io/library/busybox:test" || return 1
        assert_eq "$(jget bt/flags:1 "x['Config']['OnBuild']")" "None" "(triggers are not handed down)" || return 1
        printf 'services:\n  f:\n    image: bt/flags:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-flags run --rm f sh -c 'cat /trig /from-trigger; stat -c "%a %u:%g %n" /f-app /sub-nobody/g /f-exec; test -x /from-image/busybox && echo image-ok; cat /par/sub/g /par/f' 2>&1)
        assert_eq "$out" $'triggered\nhello\n640 1000:10 /f-app\n644 65534:65534 /sub-nobody/g\n755 0:0 /f-exec\nimage-ok\nsub\nhello' || return 1
        refused "$d" 'FROM busybox:test\nCOPY --chown=nosuchuser f /f\n' "unable to convert uid/gid chown string to host mapping" || return 1
        refused "$d" 'FROM --platform=linux/s390x busybox:test\n' "platform linux/s390x: only this host's platform" || return 1
        cc -f "$d/compose.yaml" -p bt-flags down >/dev/null 2>&1
        nothing_left
}

t_add() {
        local d=$W/add; ctx "$d"
        mkdir -p "$W/tarsrc/pkg" "$W/www"
        echo packed >"$W/tarsrc/pkg/p.txt"
        tar -C "$W/tarsrc" -czf "$d/pkg.tar.gz" pkg
        echo served >"$W/www/file.txt"
        # a web server on loopback only, ended by its PID
        local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        python3 -m http.server --bind 127.0.0.1 --directory "$W/www" "$port" >/dev/null 2>&1 &
        local web=$!
        on_exit "kill $web"
        local i; for i in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break; sleep 0.1; done
        local sum; sum=sha256:$(sha256sum "$W/www/file.txt" | cut -d' ' -f1)
        cat >"$d/Dockerfile" <<EOF
FROM busybox:test
ADD pkg.tar.gz /opt/
ADD f /plain/
ADD http://127.0.0.1:$port/file.txt /web/
ADD --checksum=$sum http://127.0.0.1:$port/file.txt /web/checked.txt
EOF
        local out; out=$(cc image build -q -t bt/add:1 "$d" 2>&1) || { fail "$out"; kill "$web"; return 1; }
        printf 'services:\n  a:\n    image: bt/add:1\n    network_mode: none\n' >"$d/compose.yaml"
        out=$(cc -f "$d/compose.yaml" -p bt-add run --rm a sh -c 'cat /opt/pkg/p.txt /plain/f /web/file.txt /web/checked.txt; stat -c %a /web/file.txt; ls /opt' 2>&1)
        assert_eq "$out" $'packed\nhello\nserved\nserved\n600\npkg' || { kill "$web"; return 1; }
        printf 'FROM busybox:test\nADD --checksum=sha256:%064d http://127.0.0.1:%s/file.txt /x\n' 0 "$port" >"$d/Dockerfile.sum"
        if out=$(cc image build -f "$d/Dockerfile.sum" "$d" 2>&1); then fail "a wrong checksum built"; kill "$web"; return 1; fi
        assert_contains "$out" "digest mismatch" || { kill "$web"; return 1; }
        kill "$web"
        # off this machine: refused before any connection
        refused "$d" 'FROM busybox:test\nADD https://example.com/x.tar.gz /x/\n' "remote URLs are not reachable from this machine" || return 1
        refused "$d" 'FROM busybox:test\nCOPY http://127.0.0.1/x /x\n' "source can't be a URL for COPY" || return 1
        cc -f "$d/compose.yaml" -p bt-add down >/dev/null 2>&1
        nothing_left
}

t_cache_from_and_hosts() {
        local d=$W/cfrom; ctx "$d"
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
RUN cat /proc/sys/kernel/random/uuid > /one
COPY f /f
RUN cat /proc/sys/kernel/random/uuid > /two
RUN grep -w myhost /etc/hosts > /hosts-line
EOF
        local out; out=$(cc image build -q -t bt/cfrom:1 --add-host myhost:10.213.100.7 "$d" 2>&1) || { fail "$out"; return 1; }
        cc image save -o "$W/cfrom.tar" bt/cfrom:1 || return 1
        # another store: the saved image is all it has of that build
        CCOMPOSE_ROOT=$TMP/root2 cc image load -i "$W/cfrom.tar" >/dev/null || return 1
        CCOMPOSE_ROOT=$TMP/root2 cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || return 1
        out=$(CCOMPOSE_ROOT=$TMP/root2 cc image build -q --add-host myhost:10.213.100.7 "$d" 2>&1) || { fail "$out"; return 1; }
        [ "$out" != "$(jget bt/cfrom:1 "x['Id']")" ] || { fail "the same image without --cache-from"; return 1; }
        out=$(CCOMPOSE_ROOT=$TMP/root2 cc image build --cache-from bt/cfrom:1 --add-host myhost:10.213.100.7 "$d" 2>&1) || { fail "$out"; return 1; }
        assert_contains "$out" "RUN cat /proc/sys/kernel/random/uuid > /one"$'\n'"#2 CACHED" || return 1
        assert_contains "$out" "RUN cat /proc/sys/kernel/random/uuid > /two"$'\n'"#4 CACHED" || return 1
        printf 'services:\n  c:\n    image: bt/cfrom:1\n    network_mode: none\n' >"$d/compose.yaml"
        assert_eq "$(cc -f "$d/compose.yaml" -p bt-cfrom run --rm c cat /hosts-line 2>&1)" $'10.213.100.7\tmyhost' "(--add-host in RUN's /etc/hosts)" || return 1
        assert_eq "$(cc -f "$d/compose.yaml" -p bt-cfrom run --rm c sh -c 'grep -c myhost /etc/hosts' 2>&1)" 0 "(not in the image)" || return 1
        cc -f "$d/compose.yaml" -p bt-cfrom down >/dev/null 2>&1
        CCOMPOSE_ROOT=$TMP/root2 nothing_left
        nothing_left
}

t "build, then run: files, .dockerignore, config" t_build_and_run
t "multi-stage: COPY --from, unneeded (failing) stages skipped, --target" t_multi_stage
t "a failing RUN: its output, step, exit code; nothing left" t_failing_run
t ".dockerignore patterns, exceptions, <Dockerfile>.dockerignore" t_dockerignore
t "errors name the Dockerfile line" t_errors_name_the_line
t "FROM scratch, -f -, COPY --chown" t_scratch_and_inline
t "history: empty layers, created_by, diff_ids" t_history
t "ARG before FROM, build args, platform ARGs" t_build_args_and_platform
t "cache: nothing changed, mtimes, one file, --no-cache, after rm" t_cache
t "cache: digests kept by stat; a same-size change with its mtime put back counts" t_cache_kept_digests
t "SOURCE_DATE_EPOCH: two clean builds, one image; times clamped" t_source_date_epoch
t "RUN --mount cache, bind, tmpfs, secret; --network; secrets in no layer" t_run_mounts
t "heredocs: RUN <<EOF, RUN cmd <<EOF, COPY <<EOF (expanded, quoted), <<-" t_heredocs
t "COPY --chmod, --chown names, --link, --parents, --from=image; ONBUILD; FROM --platform" t_copy_flags_onbuild_platform
t "ADD: a tar unpacked, loopback URLs (--checksum), remote URLs refused" t_add
t "--cache-from an image loaded into another store; --add-host in RUN" t_cache_from_and_hosts
done_testing

#!/bin/bash
# System tests of the builder's stage graph and what a build is handed
# (issue 14), through `ccompose image build` and `ccompose build`:
# independent stages building at the same time (a rendezvous no
# sequential build passes), a failing stage cancelling the others, RUN
# --mount=type=ssh (an ssh-agent asked from inside a step), the live view
# on a terminal (a pty) and plain lines through a pipe, compose's step
# lines naming the service, and named build contexts. Run as root:
#   CCOMPOSE=build/ccompose bash tests/system/test-build-graph.sh
# Base images come from make-images.sh (busybox-static, offline). Every
# case checks that a build leaves no container, cgroup, mount or scratch
# directory behind. No network is made.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"
require_commands ssh-agent ssh-add ssh-keygen

plan 6

build_setup

# run_in IMAGE CMD: CMD's output in a container of IMAGE
run_in() {
        printf 'services:\n  x:\n    image: %s\n    network_mode: none\n' "$1" >"$W/run.yaml"
        cc -f "$W/run.yaml" -p bfeat-run run --rm x sh -c "$2" 2>&1
        cc -f "$W/run.yaml" -p bfeat-run down >/dev/null 2>&1
}

# A RUN of stage NAME that leaves its marker in a cache mount shared by the
# stages and waits (up to 60 s) for the marker of stage OTHER: one that
# runs before the other started fails.
rendezvous() {
        printf 'RUN --mount=type=cache,id=rv-${RV},target=/rv touch /rv/%s && for i in $(seq 600); do [ -e /rv/%s ] && echo %s met %s > /met-%s && exit 0; sleep 0.1; done; echo %s waited for %s in vain; exit 1\n' \
                "$1" "$2" "$1" "$2" "$1" "$1" "$2"
}

t_stages_at_once() {
        local d=$W/rendezvous; mkdir -p "$d"
        {
                printf 'FROM busybox:test AS a\nARG RV\n'
                rendezvous a b
                printf 'FROM busybox:test AS b\nARG RV\n'
                rendezvous b a
                printf 'FROM busybox:test\nCOPY --from=a /met-a /\nCOPY --from=b /met-b /\n'
        } >"$d/Dockerfile"
        local out; out=$(timeout 300 "$CCOMPOSE" image build -t bfeat/rv:1 --build-arg RV=$$-$RANDOM "$d" 2>&1) ||
                { fail "build: $out"; return 1; }
        # both steps opened before either was done, each under its stage
        local order; order=$(grep -oE '^#[0-9]+ (\[[ab] 2/2\] RUN|DONE)' <<<"$out" | sed 's/^#[0-9]* //' | head -3 | tr '\n' ,)
        assert_eq "$order" "[a 2/2] RUN,[b 2/2] RUN,DONE," "(output: $out)" || return 1
        assert_eq "$(run_in bfeat/rv:1 'cat /met-a /met-b')" $'a met b\nb met a' || return 1
        nothing_left
}

t_failure_cancels() {
        local d=$W/cancel; mkdir -p "$d"
        # broken fails once slow runs (its marker in their cache mount)
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test AS slow
ARG RV
RUN --mount=type=cache,id=rv-${RV},target=/rv touch /rv/slow && sleep 600

FROM busybox:test AS broken
ARG RV
RUN --mount=type=cache,id=rv-${RV},target=/rv for i in $(seq 600); do [ -e /rv/slow ] && break; sleep 0.1; done; echo broken; exit 4

FROM busybox:test
COPY --from=slow /etc/passwd /a
COPY --from=broken /etc/passwd /b
EOF
        local out rc=0
        out=$(timeout 300 "$CCOMPOSE" image build -t bfeat/cancel:1 --build-arg RV=$$-$RANDOM "$d" 2>&1) || rc=$?
        assert_eq "$rc" 1 "(exit code; output: $out)" || return 1
        assert_contains "$out" 'ERROR: failed to solve: process "/bin/sh -c for i in' || return 1
        grep -qE "^#[0-9]+ broken$" <<<"$out" || { fail "the output of the failing step: $out"; return 1; }
        assert_contains "$out" "exit code: 4" || return 1
        local slow; slow=$(grep -oE '^#[0-9]+ \[slow 2/2\] RUN --mount' <<<"$out" | cut -d' ' -f1)
        [ -n "$slow" ] || { fail "no slow step: $out"; return 1; }
        assert_contains "$out" "$slow CANCELED" || return 1
        if cc image inspect bfeat/cancel:1 >/dev/null 2>&1; then fail "an image was written"; return 1; fi
        nothing_left
}

t_named_contexts() {
        local d=$W/named; mkdir -p "$d/app" "$d/extra" "$d/tree"
        echo data-1 >"$d/extra/data.txt"
        echo in-tree >"$d/tree/t.txt"
        printf 'data.txt\n' >"$d/app/.dockerignore" # the main context's: not the named ones'
        cat >"$d/app/Dockerfile" <<'EOF'
FROM base AS b1
COPY --from=extra data.txt /from-extra/data.txt
RUN --mount=type=bind,from=extra,target=/x cat /x/data.txt > /bound

FROM tree AS t

FROM b1
COPY --from=t /t.txt /t.txt
EOF
        local out
        out=$(cc image build -t bfeat/named:1 --build-context base=docker-image://busybox:test \
                --build-context extra="$d/extra" --build-context tree="$d/tree" "$d/app" 2>&1) || { fail "build: $out"; return 1; }
        assert_contains "$out" "[context tree] load from client" || return 1
        assert_eq "$(run_in bfeat/named:1 'cat /from-extra/data.txt /bound /t.txt')" $'data-1\ndata-1\nin-tree' || return 1
        # the named directory is keyed by content: a change reruns what uses it
        echo data-2 >"$d/extra/data.txt"
        out=$(cc image build -t bfeat/named:2 --build-context base=docker-image://busybox:test \
                --build-context extra="$d/extra" --build-context tree="$d/tree" "$d/app" 2>&1) || { fail "build: $out"; return 1; }
        grep -A1 -F '[context tree] load from client' <<<"$out" | grep -q CACHED || { fail "the unchanged tree not cached: $out"; return 1; }
        grep -A1 -F '[b1 2/3] COPY --from=extra' <<<"$out" | grep -q DONE || { fail "COPY --from=extra cached after a change: $out"; return 1; }
        assert_eq "$(run_in bfeat/named:2 'cat /from-extra/data.txt /bound')" $'data-2\ndata-2' || return 1
        # what is refused, and a missing directory
        if out=$(cc image build --build-context src=https://example.com/x.git "$d/app" 2>&1); then fail "a URL context built"; return 1; fi
        assert_contains "$out" "build context src: https://example.com/x.git is not supported" || return 1
        if out=$(cc image build --build-context extra="$d/nope" "$d/app" 2>&1); then fail "a missing context built"; return 1; fi
        assert_contains "$out" "failed to get build context extra" || return 1
        # compose: build.additional_contexts, relative to the project
        cat >"$d/compose.yaml" <<'EOF'
services:
  app:
    image: bfeat/named:compose
    build:
      context: ./app
      additional_contexts:
        base: docker-image://busybox:test
        extra: ./extra
        tree: ./tree
EOF
        out=$(cc -f "$d/compose.yaml" -p bfeat-named build 2>&1) || { fail "compose build: $out"; return 1; }
        assert_eq "$(run_in bfeat/named:compose 'cat /from-extra/data.txt /t.txt')" $'data-2\nin-tree' || return 1
        nothing_left
}

# with_ssh_add DIR: DIR gets ssh-add with its libraries and loader (ldd),
# to be copied into a busybox image ("COPY sshbits/ /")
with_ssh_add() {
        local f
        mkdir -p "$1/sshbits/usr/bin"
        cp "$(command -v ssh-add)" "$1/sshbits/usr/bin/"
        for f in $(ldd "$(command -v ssh-add)" | grep -oE '/[^ ]+'); do
                mkdir -p "$1/sshbits$(dirname "$f")"
                cp -L "$f" "$1/sshbits$f"
        done
}

t_ssh_mount() {
        local d=$W/ssh; mkdir -p "$d"
        with_ssh_add "$d"
        # an agent of this test's (ended by its PID) holding one key
        ssh-keygen -q -t ed25519 -N '' -C bfeat-test-key -f "$W/key" || return 1
        local agent; agent=$(ssh-agent -a "$W/agent.sock" -s) || return 1
        local pid; pid=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' <<<"$agent")
        on_exit "kill $pid"
        SSH_AUTH_SOCK=$W/agent.sock ssh-add -q "$W/key" || { kill "$pid"; return 1; }
        cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
COPY sshbits/ /
RUN --mount=type=ssh echo "$SSH_AUTH_SOCK" > /sock && ssh-add -l > /keys
RUN --mount=type=ssh,id=other,target=/agent,required=true SSH_AUTH_SOCK=/agent ssh-add -l > /keys-other
RUN --mount=type=ssh,id=absent echo "[${SSH_AUTH_SOCK:-}]" > /absent && ls /run/buildkit >> /absent 2>&1; true
EOF
        local out
        out=$(SSH_AUTH_SOCK=$W/agent.sock cc image build -t bfeat/ssh:1 --ssh default --ssh other="$W/agent.sock" "$d" 2>&1) ||
                { fail "build: $out"; kill "$pid"; return 1; }
        # compose: build.ssh
        printf 'FROM busybox:test\nCOPY sshbits/ /\nRUN --mount=type=ssh,id=other,required=true ssh-add -l > /keys\n' >"$d/Dockerfile.compose"
        printf 'services:\n  s:\n    image: bfeat/ssh:compose\n    build:\n      context: .\n      dockerfile: Dockerfile.compose\n      ssh: ["other=%s"]\n' \
                "$W/agent.sock" >"$d/compose.yaml"
        local cout; cout=$(cc -f "$d/compose.yaml" -p bfeat-ssh build 2>&1) || { fail "compose build: $cout"; kill "$pid"; return 1; }
        out=$(run_in bfeat/ssh:1 'cat /sock /keys /keys-other /absent; ls /run/buildkit /agent 2>&1; echo "[$SSH_AUTH_SOCK]"')
        kill "$pid"
        assert_not_contains "$cout" "build.ssh" "(no warning)" || return 1
        assert_contains "$(run_in bfeat/ssh:compose 'cat /keys')" "bfeat-test-key (ED25519)" || return 1
        # the agent answered through the socket; nothing of the mounts is in the image
        [[ $out =~ ^/run/buildkit/ssh_agent.0$'\n'"256 SHA256:"[^$'\n']*" bfeat-test-key (ED25519)"$'\n'"256 SHA256:"[^$'\n']*" bfeat-test-key (ED25519)"$'\n'"[]"$'\n'"ls: /run/buildkit: No such file or directory"$'\n'"ls: /run/buildkit: No such file or directory"$'\n'"ls: /agent: No such file or directory"$'\n'"[]"$ ]] ||
                { fail "in the image: $out"; return 1; }
        # a required one nobody forwards; --ssh default without an agent; a key file
        printf 'FROM busybox:test\nRUN --mount=type=ssh,required=true true\n' >"$d/Dockerfile.req"
        if out=$(cc image build -f "$d/Dockerfile.req" "$d" 2>&1); then fail "built without the agent"; return 1; fi
        assert_contains "$out" 'no SSH key "default" forwarded from the client' || return 1
        if out=$(env -u SSH_AUTH_SOCK "$CCOMPOSE" image build --ssh default -f "$d/Dockerfile.req" "$d" 2>&1); then fail "built"; return 1; fi
        assert_contains "$out" "invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set" || return 1
        if out=$(cc image build --ssh default="$W/key" -f "$d/Dockerfile.req" "$d" 2>&1); then fail "built with a key"; return 1; fi
        assert_contains "$out" "is not an agent socket" || return 1
        nothing_left
}

# on_pty OUT GATE CMD...: run CMD on a new terminal, its output into OUT;
# once the terminal shows a running "[2/2] RUN" row redrawn (twice), GATE
# is created (the step waits for it). Exits as CMD does.
on_pty() {
        python3 - "$@" <<'EOF'
import os, pty, sys
out, gate, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
    if data.count(b"[2/2] RUN") >= 2 and not os.path.exists(gate):
        open(gate, "w").close()
open(out, "wb").write(data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}

t_live_view() {
        local d=$W/live; mkdir -p "$d"
        local id=gate-$$-$RANDOM
        # the step runs until the test has seen it on the terminal
        local gate; gate=$CCOMPOSE_ROOT/build-cache-mounts/$(printf '%s' "$id" | sha256sum | cut -d' ' -f1)/go
        printf 'FROM busybox:test\nRUN --mount=type=cache,id=%s,target=/gate for i in $(seq 600); do [ -e /gate/go ] && exit 0; sleep 0.1; done; exit 1\n' "$id" >"$d/Dockerfile"
        on_pty "$W/tty.out" "$gate" "$CCOMPOSE" image build -t bfeat/live:1 "$d" || { fail "build on a tty: $(cat -v "$W/tty.out")"; return 1; }
        local out; out=$(cat -v "$W/tty.out")
        # frames redrawn in place (cursor up), the step's row while it ran and at the end
        assert_contains "$out" '^[[' || return 1
        [ "$(grep -c '\[+\] Building' <<<"$out")" -ge 3 ] || { fail "fewer than 3 frames: $out"; return 1; }
        assert_contains "$out" ' => CACHED [1/2] FROM docker.io/library/busybox:test' || return 1
        assert_contains "$out" ' => [2/2] RUN --mount=type=cache' || return 1
        grep -qE '\[\+\] Building [0-9.]+s \(3/3\) FINISHED' <<<"$out" || { fail "no final frame: $out"; return 1; }
        assert_not_contains "$out" "#1 " "(no plain lines)" || return 1
        # through a pipe: plain lines, no escapes
        out=$(cc image build --no-cache -t bfeat/live:2 "$d" 2>&1 | cat -v)
        assert_contains "$out" "#1 [1/2] FROM docker.io/library/busybox:test" || return 1
        assert_not_contains "$out" '^[' || return 1
        # --progress plain on the terminal, and compose's build there: live
        on_pty "$W/tty2.out" "$gate" "$CCOMPOSE" image build --progress plain --no-cache "$d" || return 1
        assert_contains "$(cat -v "$W/tty2.out")" "#2 [2/2] RUN --mount" || return 1
        printf 'services:\n  l:\n    image: bfeat/live:compose\n    build: .\n' >"$d/compose.yaml"
        on_pty "$W/tty3.out" "$gate" "$CCOMPOSE" -f "$d/compose.yaml" -p bfeat-live build --no-cache || { fail "compose: $(cat -v "$W/tty3.out")"; return 1; }
        assert_contains "$(cat -v "$W/tty3.out")" ' FINISHED^[[K' || return 1
        nothing_left
}

t_compose_step_lines() {
        local d=$W/steps; mkdir -p "$d/web" "$d/worker"
        echo src >"$d/web/main.txt"
        cat >"$d/web/Dockerfile" <<'EOF'
FROM busybox:test AS builder
WORKDIR /src
COPY main.txt .

FROM busybox:test
COPY --from=builder /src/main.txt /app/
COPY --from=busybox:test /bin/busybox /app/bb
EOF
        printf 'FROM busybox:test\nWORKDIR /w\nRUN echo worker > /w/out\n' >"$d/worker/Dockerfile"
        printf 'services:\n  web:\n    build: ./web\n  worker:\n    build: ./worker\n' >"$d/compose.yaml"
        local out; out=$(cc -f "$d/compose.yaml" -p bfeat-steps build 2>&1) || { fail "build: $out"; return 1; }
        assert_contains "$out" "[web builder 2/3] WORKDIR /src" || return 1
        assert_contains "$out" "[web stage-1 2/3] COPY --from=builder /src/main.txt /app/" || return 1
        assert_contains "$out" "[web internal] load image docker.io/library/busybox:test" || return 1
        assert_contains "$out" "[worker 3/3] RUN echo worker > /w/out" || return 1
        # one #N sequence over both builds, as compose's one session
        local dup; dup=$(grep -oE '^#[0-9]+ \[' <<<"$out" | sort | uniq -d)
        [ -z "$dup" ] || { fail "#N opened twice: $dup in $out"; return 1; }
        # WORKDIR: DONE the first time, CACHED when nothing changed
        grep -A1 -F '[worker 2/3] WORKDIR /w' <<<"$out" | grep -qE '^#[0-9]+ DONE' || { fail "first WORKDIR: $out"; return 1; }
        out=$(cc -f "$d/compose.yaml" -p bfeat-steps build 2>&1) || { fail "rebuild: $out"; return 1; }
        grep -A1 -F '[worker 2/3] WORKDIR /w' <<<"$out" | grep -qE '^#[0-9]+ CACHED$' || { fail "WORKDIR not CACHED: $out"; return 1; }
        grep -A1 -F '[web builder 2/3] WORKDIR /src' <<<"$out" | grep -qE '^#[0-9]+ CACHED$' || { fail "WORKDIR not CACHED: $out"; return 1; }
        assert_eq "$(grep -cE '^#[0-9]+ DONE' <<<"$out")" 2 "(nothing done again but the two exports: $out)" || return 1
        nothing_left
}

t "independent stages build at the same time (a rendezvous of two RUN steps)" t_stages_at_once
t "a failing stage cancels the steps of the others; nothing left" t_failure_cancels
t "RUN --mount=type=ssh: the agent asked through the socket (ssh-add -l), nothing of it in the image" t_ssh_mount
t "--progress auto: a live view on a terminal, plain lines through a pipe" t_live_view
t "compose build: step lines name the service, one #N sequence, WORKDIR CACHED on a rebuild" t_compose_step_lines
t "named contexts: --build-context dir and docker-image:// for FROM, COPY --from, RUN --mount from; compose additional_contexts" t_named_contexts
done_testing

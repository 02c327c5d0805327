#!/bin/bash
# The compose side of building images (issue 14): `ccompose build`, `up
# --build`, `up`/`run`/`create` building a missing image, `up --no-build`,
# pull_policy: build, services sharing one image built once, the default
# image name <project>-<service> in ps, images and config, a source change
# recreating only the service it builds, a failing build (exit code, the
# service and step named, nothing started, nothing left), and the build:
# keys mapped to the builder (args, target, labels, tags, dockerfile,
# dockerfile_inline), down --rmi, watch's rebuild action.
# examples/build-stack runs as its README says. Images are built from the
# local busybox images (no registry); networks use 10.213.105.0/24.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccbld
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands ss jq

EX=$SRCDIR/examples/build-stack
# this test's network, on the subnet given to it
NET='networks:
  default:
    ipam:
      config: [{subnet: 10.213.105.0/24}]'

# the project's image ID of REF, or nothing
image_id() { cc image inspect "$1" 2>/dev/null | jq -r '.[0].Id // empty'; }
ctr_id() { ctr "$1" id; }

setup_example_image() {
        local out
        out=$(CCOMPOSE=$CCOMPOSE CCOMPOSE_EXAMPLE_IMAGES=$IMAGES "$SRCDIR/scripts/make-example-images.sh" 2>&1) || { fail "$out"; return 1; }
        cc image inspect ccompose-examples/busybox:latest >/dev/null
}

# The example, copied (a case changes its sources), on this test's subnet.
use_example() {
        cp -r "$EX/." "$D/"
        printf '%s\n' "$NET" >>"$D/compose.yaml"
}

# GET URL: the body, or failure.
get() { curl -fsS --max-time 5 "$1" 2>/dev/null; }

t_example_up_build() {
        setup_example_image || return 1
        use_example
        local port; port=$(free_port)
        local out rc
        out=$(APP_PORT=$port ccp up --build -d --wait 2>&1); rc=$?
        assert_eq "$rc" 0 "(up --build -d --wait: $out)" || return 1
        # what the build produced: the page rendered with the build arg,
        # and the CGI the builder stage wrote, asking the store
        local page; page=$(get "http://127.0.0.1:$port/") || { fail "no page on $port"; return 1; }
        assert_contains "$page" "buildstack app, version 1.0" || return 1
        local st; st=$(get "http://127.0.0.1:$port/cgi-bin/status") || { fail "no status"; return 1; }
        assert_contains "$st" "app 1.0" || return 1
        assert_contains "$st" "store: hello from the store" || return 1
        # the image is <project>-<service>, with the build's label, and
        # only the runtime stage's files (the builder's /src is not there)
        assert_eq "$(ctr app image)" "$P-app" || return 1
        cc image inspect "$P-app" | jq -e '.[0].Config.Labels["org.opencontainers.image.title"] == "buildstack-app"' >/dev/null ||
                { fail "label missing: $(cc image inspect "$P-app" | jq -c '.[0].Config.Labels')"; return 1; }
        out=$(APP_PORT=$port ccp exec -T app sh -c 'ls /src 2>&1; ls /srv/www') || return 1
        assert_contains "$out" "No such file or directory" || return 1
        assert_contains "$out" "index.html" || return 1
        out=$(APP_PORT=$port ccp ps --format json) || return 1
        assert_eq "$(jq -r 'select(.Service == "app") | .Image' <<<"$out")" "$P-app" "(ps: $out)" || return 1
        out=$(APP_PORT=$port ccp images --format json) || return 1
        jq -e --arg r "$P-app" 'map(select(.Repository == $r)) | length == 1' <<<"$out" >/dev/null ||
                { fail "images: $out"; return 1; }
        out=$(APP_PORT=$port ccp config --images) || return 1
        assert_eq "$(sort <<<"$out" | tr '\n' ' ')" "$P-app ccompose-examples/busybox:latest " || return 1

        # a source file changes: up --build rebuilds the app and recreates
        # only it; the store keeps its container
        local app1 store1 img1
        app1=$(ctr_id app) store1=$(ctr_id store) img1=$(image_id "$P-app")
        sed -i 's/buildstack app, version/buildstack app (changed), version/' "$D/app/src/index.html.in"
        out=$(APP_PORT=$port ccp up --build -d --wait 2>&1); rc=$?
        assert_eq "$rc" 0 "(second up --build: $out)" || return 1
        [ "$(image_id "$P-app")" != "$img1" ] || { fail "the image was not rebuilt"; return 1; }
        [ "$(ctr_id app)" != "$app1" ] || { fail "app was not recreated: $out"; return 1; }
        assert_eq "$(ctr_id store)" "$store1" "(store recreated: $out)" || return 1
        page=$(get "http://127.0.0.1:$port/") || return 1
        assert_contains "$page" "buildstack app (changed), version 1.0" || return 1

}

# Nothing changed: build shows the steps CACHED and makes the same image,
# and up --build recreates nothing.
t_unchanged_rebuild() {
        setup_example_image || return 1
        use_example
        local port; port=$(free_port)
        local out
        out=$(APP_PORT=$port ccp up --build -d --wait 2>&1) || { fail "up --build: $out"; return 1; }
        local app1 store1 img1
        app1=$(ctr_id app) store1=$(ctr_id store) img1=$(image_id "$P-app")
        out=$(APP_PORT=$port ccp build 2>&1) || { fail "build: $out"; return 1; }
        # every FROM, COPY and RUN step of both stages CACHED (the step's
        # next line); 5 of them in the example
        local cached
        cached=$(awk '/^#[0-9]+ \[.*\] (FROM|COPY|RUN) / { v = $1; next } v && $0 == v " CACHED" { n++; v = "" } END { print n + 0 }' <<<"$out")
        assert_eq "$cached" 5 "(steps not CACHED: $out)" || return 1
        assert_eq "$(image_id "$P-app")" "$img1" "(an unchanged build made another image: $out)" || return 1
        out=$(APP_PORT=$port ccp up --build -d --wait 2>&1) || { fail "up --build again: $out"; return 1; }
        assert_eq "$(ctr_id app)" "$app1" "(app recreated without a change: $out)" || return 1
        assert_eq "$(ctr_id store)" "$store1" || return 1
}

# A Dockerfile whose RUN step fails: the exit code, the service and the
# step are named, nothing starts, no image is tagged, nothing is left.
t_failing_build() {
        mkdir -p "$D/app"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo preparing
RUN echo about to fail && exit 3
CMD ["sleep", "1000"]
EOF
        compose <<EOF
services:
  db:
    image: busybox:test
    command: sleep 1000
  app:
    build: ./app
    command: sleep 1000
    depends_on: [db]
$NET
EOF
        local out rc
        out=$(ccp up --build -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up --build passed: $out"; return 1; }
        assert_contains "$out" "app" || return 1
        assert_contains "$out" "exit 3" || return 1
        assert_contains "$out" "exit code: 3" || return 1
        [ ! -e "$STATE" ] || [ "$(jstate '.containers | length')" = 0 ] || { fail "containers recorded: $(cat "$STATE")"; return 1; }
        [ -z "$(image_id "$P-app")" ] || { fail "an image was tagged $P-app"; return 1; }
        # build alone: the same failure, exit code 1 as docker compose
        out=$(ccp build 2>&1); rc=$?
        assert_eq "$rc" 1 "(build: $out)" || return 1
        assert_contains "$out" "exit code: 3" || return 1
        [ -z "$(image_id "$P-app")" ] || { fail "an image was tagged $P-app"; return 1; }
}

# up builds a missing image without --build, and not again once it is
# there; up --no-build builds nothing; pull_policy: build always builds.
t_missing_image_and_policies() {
        mkdir -p "$D/app"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
ARG STAMP=none
RUN echo "built $STAMP" > /built
CMD ["sh", "-c", "cat /built; exec sleep 1000"]
EOF
        compose <<EOF
services:
  app:
    build:
      context: ./app
      args: [STAMP]
$NET
EOF
        local out rc
        out=$(ccp up --no-build -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up --no-build with no image passed: $out"; return 1; }
        assert_contains "$out" "service app: image $P-app is not built: build it with 'ccompose build app'" || return 1
        [ -z "$(image_id "$P-app")" ] || { fail "up --no-build built"; return 1; }
        out=$(STAMP=one ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        local img1; img1=$(image_id "$P-app")
        [ -n "$img1" ] || { fail "up built no $P-app"; return 1; }
        wait_for 30 eval 'ccp logs app | grep -q "built one"' || { ccp logs app; return 1; }
        local c1; c1=$(ctr_id app)
        # present now: a later up neither builds nor recreates
        out=$(STAMP=two ccp up -d 2>&1) || { fail "second up: $out"; return 1; }
        assert_eq "$(image_id "$P-app")" "$img1" "(rebuilt: $out)" || return 1
        assert_eq "$(ctr_id app)" "$c1" || return 1
        # pull_policy: build builds every time; a changed arg makes a new
        # image, and the container is recreated with it
        sed -i 's/^  app:$/  app:\n    pull_policy: build/' "$D/compose.yaml"
        out=$(STAMP=three ccp up -d 2>&1) || { fail "up with pull_policy build: $out"; return 1; }
        [ "$(image_id "$P-app")" != "$img1" ] || { fail "pull_policy: build did not build: $out"; return 1; }
        [ "$(ctr_id app)" != "$c1" ] || { fail "not recreated with the new image: $out"; return 1; }
        wait_for 30 eval 'ccp logs app | grep -q "built three"' || { ccp logs app; return 1; }
}

# Two services with one image name and a build: section are built once;
# a third without build: uses that image without pulling it.
t_shared_image_built_once() {
        mkdir -p "$D/app"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo shared > /what
CMD ["sh", "-c", "cat /what; exec sleep 1000"]
EOF
        compose <<EOF
services:
  web:
    image: $P-shared:1
    build: ./app
  worker:
    image: $P-shared:1
    build: ./app
  extra:
    image: $P-shared:1
    depends_on: [web]
$NET
EOF
        local out
        out=$(ccp --progress plain up -d 2>&1) || { fail "up: $out"; return 1; }
        assert_eq "$(grep -c 'RUN echo shared' <<<"$out")" 1 "(built more than once: $out)" || return 1
        local s
        for s in web worker extra; do
                assert_eq "$(ctr "$s" image)" "$P-shared:1" "($s)" || return 1
                wait_for 30 eval "ccp logs $s | grep -q shared" || return 1
        done
}

# build [SERVICE...]: the build: keys reach the image (target, args,
# --build-arg over args, labels, tags, dockerfile, dockerfile_inline);
# services without build: are left out; quiet prints nothing.
t_build_command_keys() {
        mkdir -p "$D/app"
        cat >"$D/app/Custom.Dockerfile" <<'EOF'
FROM busybox:test AS base
ARG GREETING=hello
ARG WHO=nobody
RUN echo "$GREETING $WHO" > /greeting

FROM base AS dev
RUN echo dev > /stage

FROM base AS prod
RUN echo prod > /stage
EOF
        compose <<EOF
services:
  app:
    build:
      context: ./app
      dockerfile: Custom.Dockerfile
      target: dev
      args:
        GREETING: hi
        WHO: compose
      labels:
        com.example.team: builders
      tags: ["$P-app:extra-tag"]
  inline:
    build:
      context: ./app
      dockerfile_inline: |
        FROM busybox:test
        RUN echo inline > /what
  plain:
    image: busybox:test
$NET
EOF
        local out
        out=$(ccp build --build-arg WHO=cli app 2>&1) || { fail "build app: $out"; return 1; }
        [ -z "$(image_id "$P-inline")" ] || { fail "build app built inline too"; return 1; }
        local id; id=$(image_id "$P-app")
        [ -n "$id" ] || { fail "no $P-app"; return 1; }
        assert_eq "$(image_id "$P-app:extra-tag")" "$id" "(build.tags)" || return 1
        cc image inspect "$P-app" | jq -e '.[0].Config.Labels["com.example.team"] == "builders"' >/dev/null ||
                { fail "label: $(cc image inspect "$P-app" | jq -c '.[0].Config.Labels')"; return 1; }
        out=$(ccp run --rm -T app sh -c 'cat /greeting /stage' 2>&1) || { fail "run: $out"; return 1; }
        assert_contains "$out" "hi cli" || return 1
        assert_contains "$out" "dev" || return 1
        assert_not_contains "$out" "prod" || return 1
        # every service with build: (plain has none); -q prints nothing
        out=$(ccp build -q 2>&1) || { fail "build -q: $out"; return 1; }
        assert_eq "$out" "" || return 1
        [ -n "$(image_id "$P-inline")" ] || { fail "build built no $P-inline"; return 1; }
        out=$(ccp run --rm -T inline cat /what 2>&1) || { fail "run inline: $out"; return 1; }
        assert_contains "$out" "inline" || return 1
}

# build.secrets (a file, and an environment variable that only .env sets),
# build.extra_hosts and build.network (host) reach the RUN steps; the
# secrets are in no layer and not in the image config
t_build_run_options() {
        mkdir -p "$D/app"
        echo "s3cr3t-from-file" >"$D/token.txt"
        echo "TOKEN_ENV=s3cr3t-from-env" >"$D/.env"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
RUN grep -q "10.213.105.77.*registry.local" /etc/hosts && echo hosts-ok > /hosts
RUN --mount=type=secret,id=token md5sum < /run/secrets/token | cut -c1-32 > /file
RUN --mount=type=secret,id=envtok md5sum < /run/secrets/envtok | cut -c1-32 > /env
RUN ip -o link | grep -vc ': lo:' > /links
EOF
        compose <<EOF
services:
  app:
    build:
      context: ./app
      extra_hosts: ["registry.local=10.213.105.77"]
      network: host
      secrets:
        - token
        - source: envsec
          target: envtok
secrets:
  token:
    file: ./token.txt
  envsec:
    environment: TOKEN_ENV
$NET
EOF
        local out
        out=$(ccp build 2>&1) || { fail "build: $out"; return 1; }
        out=$(ccp run --rm -T app sh -c 'cat /hosts /file /env; grep -c registry.local /etc/hosts' 2>"$TMP/run.err")
        # the secrets' contents, seen by RUN as their digests
        local want
        want=$(printf 'hosts-ok\n%s\n%s\n0' "$(md5sum <"$D/token.txt" | cut -c1-32)" \
                "$(printf s3cr3t-from-env | md5sum | cut -c1-32)")
        assert_eq "$out" "$want" "(run: $out $(cat "$TMP/run.err"))" || return 1
        # network: host, the RUN step saw the host's links (default: loopback only)
        local links; links=$(ccp run --rm -T app cat /links 2>/dev/null)
        [ "${links:-0}" -gt 0 ] || { fail "RUN saw no link but lo with network: host"; return 1; }
        cc image save -o "$TMP/secret-check.tar" "$P-app" || return 1
        ! grep -aq "s3cr3t-from" "$TMP/secret-check.tar" || { fail "a secret is in the saved image"; return 1; }
        rm -f "$TMP/secret-check.tar"
}

# run builds the service's missing image; create too (and starts nothing).
t_run_and_create_build() {
        mkdir -p "$D/app"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo "made by the build" > /made
EOF
        compose <<EOF
services:
  app:
    build: ./app
    command: sleep 1000
  tool:
    build:
      context: ./app
      dockerfile_inline: |
        FROM busybox:test
        RUN echo "tool image" > /made
$NET
EOF
        local out
        out=$(ccp run --rm -T tool cat /made 2>&1) || { fail "run: $out"; return 1; }
        assert_contains "$out" "tool image" || return 1
        [ -z "$(image_id "$P-app")" ] || { fail "run tool built app too"; return 1; }
        out=$(ccp create 2>&1) || { fail "create: $out"; return 1; }
        [ -n "$(image_id "$P-app")" ] || { fail "create built no $P-app"; return 1; }
        assert_eq "$(ctr app status)" created || return 1
}

# down --rmi local removes the images built under <project>-<service>;
# --rmi all the tagged ones of image: too (a tag another image name still
# holds keeps the image); --dry-run says so and removes nothing
t_down_rmi() {
        mkdir -p "$D/app"
        printf 'FROM busybox:test\nRUN echo built > /built\n' >"$D/app/Dockerfile"
        cc image tag busybox:test "$P-db:1" || return 1
        compose <<EOF
services:
  app:
    build: ./app
    command: sleep 1000
  db:
    image: $P-db:1
    command: sleep 1000
$NET
EOF
        local out
        out=$(ccp up -d 2>&1) || { fail "up: $out"; return 1; }
        out=$(ccp --dry-run down --rmi local 2>&1) || { fail "dry-run down: $out"; return 1; }
        assert_contains "$out" "DRY-RUN MODE -  Image $P-app  Removing" || return 1
        [ -n "$(image_id "$P-app")" ] || { fail "--dry-run removed $P-app"; return 1; }
        out=$(ccp down --rmi local 2>&1) || { fail "down --rmi local: $out"; return 1; }
        assert_contains "$out" " Image $P-app  Removed" || return 1
        [ -z "$(image_id "$P-app")" ] || { fail "$P-app left"; return 1; }
        [ -n "$(image_id "$P-db:1")" ] || { fail "--rmi local removed $P-db:1"; return 1; }
        out=$(ccp up -d 2>&1) || { fail "up again: $out"; return 1; }
        out=$(ccp down --rmi all 2>&1) || { fail "down --rmi all: $out"; return 1; }
        assert_contains "$out" " Image $P-db:1  Removed" || return 1
        [ -z "$(image_id "$P-app")" ] && [ -z "$(image_id "$P-db:1")" ] || { fail "images left: $(cc image ls)"; return 1; }
        [ -n "$(image_id busybox:test)" ] || fail "busybox:test went with its other tag"
}

# develop.watch's rebuild: a change under the rule's path rebuilds the
# service's image and recreates only that service, under watch and under
# an attached up --watch (which stays attached and shows the new output).
WLOG=$TMP/watch.log
watch_project() {
        mkdir -p "$D/app"
        echo one >"$D/app/msg.txt"
        cat >"$D/app/Dockerfile" <<'EOF'
FROM busybox:test
COPY msg.txt /msg.txt
CMD ["sh", "-c", "echo \"message $(cat /msg.txt)\"; trap 'exit 0' TERM; while :; do sleep 0.1; done"]
EOF
        compose <<EOF
services:
  app:
    build: ./app
    develop:
      watch:
        - path: ./app
          action: rebuild
  other:
    image: busybox:test
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
$NET
EOF
}
changed_from() { [ "$(ctr_id "$1")" != "$2" ] && is_status "$1" running; }
t_watch_rebuild() {
        watch_project
        : >"$WLOG"
        ccp_bg watch --quiet >"$WLOG" 2>&1 &
        WPID=$!
        wait_for 120 file_has "$WLOG" "Watch enabled" || { cat "$WLOG"; return 1; }
        wait_for 30 is_status app running || return 1
        local app1 other1 img1
        app1=$(ctr_id app) other1=$(ctr_id other) img1=$(image_id "$P-app")
        local n0; n0=$(wc -l <"$WLOG")
        echo two >"$D/app/msg.txt"
        wait_for 120 changed_from app "$app1" || { cat "$WLOG"; return 1; }
        assert_contains "$(cat "$WLOG")" 'Rebuilding service(s) ["app"] after changes were detected' || return 1
        [ "$(image_id "$P-app")" != "$img1" ] || { fail "not rebuilt"; return 1; }
        assert_eq "$(ctr_id other)" "$other1" "(other recreated: $(cat "$WLOG"))" || return 1
        wait_for 30 eval 'ccp logs app | grep -q "message two"' || { ccp logs app; return 1; }
        # --quiet: no output of the rebuild; --prune (the default): the
        # replaced image, without tag or container now, is gone
        assert_not_contains "$(tail -n +$((n0 + 1)) "$WLOG")" "COPY msg.txt" || return 1
        wait_for 30 eval '! cc image inspect "$img1" >/dev/null 2>&1' || { fail "$img1 not pruned"; return 1; }
        kill -INT "$WPID"; wait_exit "$WPID" 30 || return 1
        WPID=
        # Ctrl-C of watch leaves the stack running
        is_status app running
}
t_up_watch_rebuild() {
        watch_project
        : >"$WLOG"
        ccp_bg up --watch >"$WLOG" 2>&1 &
        WPID=$!
        wait_for 120 file_has "$WLOG" "Watch enabled" || { cat "$WLOG"; return 1; }
        wait_for 30 file_has "$WLOG" "message one" || { cat "$WLOG"; return 1; }
        local app1 other1
        app1=$(ctr_id app) other1=$(ctr_id other)
        echo three >"$D/app/msg.txt"
        wait_for 120 changed_from app "$app1" || { cat "$WLOG"; return 1; }
        assert_eq "$(ctr_id other)" "$other1" "(other recreated: $(cat "$WLOG"))" || return 1
        # still attached: the new container's output shows
        wait_for 30 file_has "$WLOG" "message three" || { cat "$WLOG"; return 1; }
        file_has "$WLOG" "COPY msg.txt" || { fail "no build output: $(cat "$WLOG")"; return 1; }
        alive "$WPID" || { fail "up --watch ended: $(cat "$WLOG")"; return 1; }
        kill -INT "$WPID"; wait_exit "$WPID" 60 || return 1
        WPID=
        wait_for 30 eval '! is_status app running' || return 1
}

# the store is the file's: no image of an earlier case is reused
eval "_up_case() $(declare -f _case | tail -n +2)"
_case() {
        cc image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$P-" | xargs -r "$CCOMPOSE" image rm -f >/dev/null
        _up_case "$@"
}

run_cases \
        "example: up --build serves the build, a source change recreates only its service:t_example_up_build" \
        "build of an unchanged project (every step CACHED, same image, nothing recreated):t_unchanged_rebuild" \
        "a failing build: exit code, service and step named, nothing started or left:t_failing_build" \
        "up builds a missing image once; --no-build; pull_policy build:t_missing_image_and_policies" \
        "services sharing one image build it once:t_shared_image_built_once" \
        "build SERVICE: target, args, --build-arg, labels, tags, dockerfile(_inline), -q:t_build_command_keys" \
        "build.secrets (file, .env variable), extra_hosts, network host reach RUN; no secret in the image:t_build_run_options" \
        "run and create build a missing image:t_run_and_create_build" \
        "down --rmi local and all remove the project's images; --dry-run only says so:t_down_rmi" \
        "watch: a rebuild rule rebuilds and recreates only its service:t_watch_rebuild" \
        "up --watch: a rebuild recreates only its service and stays attached:t_up_watch_rebuild"

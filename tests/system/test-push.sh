#!/bin/bash
# System tests of registry pushes (TAP): `ccompose image push`, `ccompose
# push` (compose), against Debian's docker-registry started here on
# 127.0.0.1 (plain, htpasswd Basic auth, token auth with the issuer in
# registry-token.py), some through registry-proxy.py in "log" mode (every
# request logged: monolithic and chunked uploads told apart). A push is
# checked by removing the image and pulling it back: same image ID, same
# manifest digest. Nothing here contacts anything but loopback.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"
require_commands curl htpasswd openssl docker-registry

export CCOMPOSE_REGISTRY_LOOPBACK_ONLY=1
export DOCKER_CONFIG=$TMP/docker
unset DOCKER_DEFAULT_PLATFORM CCOMPOSE_PUSH_CHUNK_SIZE
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
W=$TMP/work
mkdir -p "$W"
TOOL=(python3 "$SRCDIR/tests/system/registry-tool.py")

for tool in docker-registry skopeo umoci openssl htpasswd curl python3; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is not installed (scripts/install-deps.sh)"
                exit 0
        fi
done

# ---- helpers ----

fresh_root() {
        export CCOMPOSE_ROOT=$TMP/root-$1
        rm -rf "$CCOMPOSE_ROOT"
        mkdir -p "$CCOMPOSE_ROOT"
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null
}
image_id() { cc image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
# The digest a push printed ("TAG: digest: sha256:... size: N").
pushed_digest() { echo "$1" | sed -n 's/^.*: digest: \(sha256:[0-9a-f]*\) size: [0-9]*$/\1/p'; }
# round_trip REF DIGEST ID: remove every local image, pull REF back: the
# same manifest digest and image ID; nothing left in the store's staging.
round_trip() {
        local ref=$1 digest=$2 id=$3 out
        cc image rm -f $(cc image ls -q | sort -u) >/dev/null || return 1
        [ -z "$(cc image ls -q)" ] || fail "images left: $(cc image ls)" || return 1
        out=$(cc image pull "$ref") || { echo "$out"; return 1; }
        assert_contains "$out" "Digest: $digest" || return 1
        assert_eq "$(image_id "$ref")" "$id" || return 1
        [ ! -e "$CCOMPOSE_ROOT/images/pulls" ] || fail "left in images/pulls"
}
# Load the 4-layer image; print its ID.
load_multi() {
        local out; out=$(cc image load -i "$W/multi") || return 1
        cc image ls -q --no-trunc | grep -v "$(image_id busybox:test)" | head -1
}
# A registry's data file count (uploads leave nothing half-done behind).
upload_dirs() { find "$1/storage" -path '*/_uploads/*' -type d 2>/dev/null | wc -l; }

P_BUILT=ccpushbuilt$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')

# ---- fixtures ----

setup() {
        "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || return 1
        # An image with 3 more layers of 1 MB random data each (OCI layout).
        for i in 1 2 3; do
                mkdir -p "$W/rnd$i/data$i"
                head -c 1000000 /dev/urandom >"$W/rnd$i/data$i/blob"
                tar -C "$W/rnd$i" -cf "$W/rnd$i.tar" "data$i" || return 1
        done
        "${TOOL[@]}" image "$W/multi" "$IMAGES/rootfs.tar" "$W/rnd1.tar" "$W/rnd2.tar" "$W/rnd3.tar:plain" || return 1

        reg_start plain || return 1
        R=$REG R_DIR=$REG_DIR

        # A registry behind the logging proxy.
        reg_start logged || return 1
        RL_UP=$REG RL_DIR=$REG_DIR
        PROXY_LOG=$W/proxy.log
        : >"$PROXY_LOG"
        local pid
        start_bg pid python3 "$SRCDIR/tests/system/registry-proxy.py" "$W/proxy.port" "$RL_UP" "$RL_DIR/storage" \
                "$PROXY_LOG" log
        wait_file "$W/proxy.port" || return 1
        RL=127.0.0.1:$(cat "$W/proxy.port")

        htpasswd -Bbn alice secret >"$W/htpasswd" 2>/dev/null || return 1
        printf 'auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n' "$W/htpasswd" >"$W/auth-basic.yml"
        reg_start basic "$W/auth-basic.yml" || return 1
        RB=$REG

        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/token-key.pem" -out "$W/token-cert.pem" -days 2 \
                -subj /CN=ccompose-test-issuer >/dev/null 2>&1 || return 1
        TOKEN_LOG=$W/token.log
        : >"$TOKEN_LOG"
        start_bg pid python3 "$SRCDIR/tests/system/registry-token.py" "$W/token.port" "$W/token-key.pem" \
                "$W/token-cert.pem" ccompose-test-issuer ccompose-test alice:secret "$TOKEN_LOG"
        wait_file "$W/token.port" || return 1
        printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: ccompose-test\n    issuer: ccompose-test-issuer\n    rootcertbundle: %s\n' \
                "$(cat "$W/token.port")" "$W/token-cert.pem" >"$W/auth-token.yml"
        reg_start token "$W/auth-token.yml" || return 1
        RT=$REG
        # A closed port: nothing listens there.
        CLOSED=127.0.0.1:$(free_port)
}

if ! setup >"$TMP/setup.log" 2>&1; then
        bail_out "fixtures: $(tail -20 "$TMP/setup.log" | tr '\n' ' ')"
fi

# ---- image push ----

t_push_then_pull_round_trip() {
        fresh_root rt
        local id; id=$(image_id busybox:test) || return 1
        cc image tag busybox:test "$R/rt:1" || return 1
        local out; out=$(cc image push "$R/rt:1") || { echo "$out"; return 1; }
        assert_eq "$(echo "$out" | head -1)" "The push refers to repository [$R/rt]" || return 1
        assert_contains "$out" ": Pushed" || return 1
        local d; d=$(pushed_digest "$out")
        [[ $d == sha256:* ]] || fail "no digest line: $out" || return 1
        # The registry serves the manifest under the digest the push printed.
        assert_eq "$(curl -s "http://$R/v2/rt/manifests/$d" -H 'Accept: application/vnd.oci.image.manifest.v1+json' |
                sha256sum | cut -d' ' -f1)" "${d#sha256:}" || return 1
        round_trip "$R/rt:1" "$d" "$id"
}

t_built_image_round_trip() {
        # An image built here (COPY and RUN layers, written by the builder)
        # goes up, comes back, and runs.
        fresh_root built
        mkdir -p "$W/ctx"
        printf 'FROM busybox:test\nCOPY hello.txt /hello.txt\nRUN echo built >/built.txt\nCMD ["cat", "/hello.txt", "/built.txt"]\n' \
                >"$W/ctx/Dockerfile"
        echo hello >"$W/ctx/hello.txt"
        cc image build -q -t "$R/built:1" "$W/ctx" >/dev/null || return 1
        local id; id=$(image_id "$R/built:1") || return 1
        local out; out=$(cc image push "$R/built:1") || { echo "$out"; return 1; }
        assert_eq "$(echo "$out" | grep -c ': Pushed')" 3 || return 1
        round_trip "$R/built:1" "$(pushed_digest "$out")" "$id" || return 1
        mkdir -p "$TMP/builtproj"
        printf 'services:\n  app:\n    image: %s/built:1\n    network_mode: none\n' "$R" >"$TMP/builtproj/compose.yaml"
        out=$(cc -f "$TMP/builtproj/compose.yaml" -p "$P_BUILT" run --rm app) || return 1
        assert_eq "$out" "$(printf 'hello\nbuilt')" || return 1
        local left; left=$(cc -f "$TMP/builtproj/compose.yaml" -p "$P_BUILT" ps -a -q) || return 1
        assert_eq "$left" "" "(container left)"
}

t_second_push_layer_already_exists() {
        fresh_root again
        cc image tag busybox:test "$R/again:1" && cc image push -q "$R/again:1" >/dev/null || return 1
        local out; out=$(cc image push "$R/again:1") || { echo "$out"; return 1; }
        assert_contains "$out" ": Layer already exists" || return 1
        assert_not_contains "$out" "Pushed" || return 1
        assert_contains "$out" "1: digest: sha256:"
}

t_quiet_prints_ref() {
        fresh_root quiet
        cc image tag busybox:test "$R/quiet:1" || return 1
        local out; out=$(cc image push -q "$R/quiet:1") || return 1
        assert_eq "$out" "$R/quiet:1"
}

t_all_tags() {
        # -a: every tag of the repository in the store, the others not.
        fresh_root all
        cc image tag busybox:test "$R/all:1" && cc image tag busybox:test "$R/all:2" &&
                cc image tag busybox:test "$R/notall:1" || return 1
        local out; out=$(cc image push -a "$R/all") || { echo "$out"; return 1; }
        assert_eq "$(echo "$out" | grep -c '^The push refers to repository')" 1 || return 1
        assert_contains "$out" "1: digest: sha256:" || return 1
        assert_contains "$out" "2: digest: sha256:" || return 1
        assert_eq "$(curl -s "http://$R/v2/all/tags/list" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["tags"]))')" \
                "['1', '2']" || return 1
        assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$R/v2/notall/tags/list")" 404 || return 1
        local rc
        out=$(cc image push -a "$R/all:1" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "tag can't be used with --all-tags/-a"
}

t_monolithic_upload() {
        # Below the chunk size: POST, then one PUT with the blob; no PATCH.
        fresh_root mono
        local id; id=$(load_multi) || return 1
        local ref=$id
        cc image tag "$ref" "$RL/mono:1" || return 1
        : >"$PROXY_LOG"
        local out; out=$(cc image push "$RL/mono:1") || { echo "$out"; return 1; }
        assert_eq "$(echo "$out" | grep -c ': Pushed')" 4 || return 1
        assert_eq "$(grep -c '^PATCH ' "$PROXY_LOG")" 0 || return 1
        # 4 layers and the config: a POST and a PUT with the digest each.
        assert_eq "$(grep -c '^POST /v2/mono/blobs/uploads/' "$PROXY_LOG")" 5 || return 1
        assert_eq "$(grep -c '^PUT /v2/mono/blobs/uploads/.*digest=sha256' "$PROXY_LOG")" 5 || return 1
        # the manifest last
        assert_eq "$(grep -v '^HEAD\|^GET' "$PROXY_LOG" | tail -1 | cut -d' ' -f1-2)" "PUT /v2/mono/manifests/1" || return 1
        round_trip "$RL/mono:1" "$(pushed_digest "$out")" "$id"
}

t_chunked_upload() {
        # CCOMPOSE_PUSH_CHUNK_SIZE=300000: the 1 MB layers go up in PATCHes
        # of 300000 bytes (Content-Range), then a PUT with the digest.
        fresh_root chunk
        local id; id=$(load_multi) || return 1
        local ref=$id
        cc image tag "$ref" "$RL/chunk:1" || return 1
        : >"$PROXY_LOG"
        local out; out=$(CCOMPOSE_PUSH_CHUNK_SIZE=300000 cc image push "$RL/chunk:1") || { echo "$out"; return 1; }
        assert_eq "$(echo "$out" | grep -c ': Pushed')" 4 || return 1
        assert_eq "$(echo "$out" | grep -c ': Pushing')" 4 "(one Pushing line per layer)" || return 1
        # The plain 1,000,000+ byte layer alone needs 4 chunks.
        local patches; patches=$(grep -c '^PATCH /v2/chunk/blobs/uploads/' "$PROXY_LOG")
        [ "$patches" -ge 10 ] || fail "$patches PATCH requests" || return 1
        assert_eq "$(upload_dirs "$RL_DIR")" 0 "(unfinished uploads in the registry)" || return 1
        round_trip "$RL/chunk:1" "$(pushed_digest "$out")" "$id"
}

t_cross_repository_mount() {
        # The layer is in repository src of the registry (the store knows it
        # from the tag src:1): the push to dst mounts it, uploads nothing.
        fresh_root mount
        cc image tag busybox:test "$RL/src:1" && cc image push -q "$RL/src:1" >/dev/null || return 1
        cc image tag busybox:test "$RL/dst:1" || return 1
        : >"$PROXY_LOG"
        local out; out=$(cc image push "$RL/dst:1") || { echo "$out"; return 1; }
        assert_contains "$out" ": Mounted from src" || return 1
        assert_not_contains "$out" "Pushed" || return 1
        grep -q '^POST /v2/dst/blobs/uploads/?mount=sha256:[0-9a-f]*&from=src ' "$PROXY_LOG" ||
                fail "no mount request: $(cat "$PROXY_LOG")" || return 1
        assert_eq "$(grep -c '^PATCH \|^PUT /v2/dst/blobs' "$PROXY_LOG")" 0 "(a layer was uploaded)" || return 1
        local id; id=$(image_id "$RL/dst:1")
        round_trip "$RL/dst:1" "$(pushed_digest "$out")" "$id"
}

t_mount_refused_falls_back_to_upload() {
        # The store has a tag ghost:1 on the registry, never pushed: the
        # mount from ghost gets a 202 (an upload session) and the layer is
        # uploaded into it.
        fresh_root ghost
        cc image tag busybox:test "$RL/ghost:1" && cc image tag busybox:test "$RL/real:1" || return 1
        : >"$PROXY_LOG"
        local out; out=$(cc image push "$RL/real:1") || { echo "$out"; return 1; }
        grep -q '^POST /v2/real/blobs/uploads/?mount=sha256:[0-9a-f]*&from=ghost ' "$PROXY_LOG" ||
                fail "no mount request: $(cat "$PROXY_LOG")" || return 1
        assert_contains "$out" ": Pushed" || return 1
        assert_not_contains "$out" "Mounted" || return 1
        # the layer and the config: each one POST, whose upload session is used
        assert_eq "$(grep -c '^POST /v2/real/' "$PROXY_LOG")" 2 || return 1
        local id; id=$(image_id "$RL/real:1")
        round_trip "$RL/real:1" "$(pushed_digest "$out")" "$id"
}

t_basic_auth() {
        fresh_root basic
        rm -rf "$DOCKER_CONFIG"
        cc image tag busybox:test "$RB/app:1" || return 1
        local out rc
        out=$(cc image push "$RB/app:1" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "requires authentication: log in with 'ccompose login $RB'" || return 1
        out=$(echo secret | cc login -u alice --password-stdin "$RB" 2>&1) || { echo "$out"; return 1; }
        local id; id=$(image_id "$RB/app:1")
        out=$(cc image push "$RB/app:1") || { echo "$out"; return 1; }
        assert_contains "$out" ": Pushed" || return 1
        round_trip "$RB/app:1" "$(pushed_digest "$out")" "$id" || return 1
        write_auth "$RB" alice wrong
        cc image tag "$RB/app:1" "$RB/app:2" || return 1
        out=$(cc image push "$RB/app:2" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "refused the credentials of user \"alice\""
}

t_token_auth() {
        fresh_root token
        rm -rf "$DOCKER_CONFIG"
        cc image tag busybox:test "$RT/private/app:1" || return 1
        local out rc
        out=$(cc image push "$RT/private/app:1" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "push access denied for $RT/private/app" || return 1
        write_auth "$RT" alice secret
        : >"$TOKEN_LOG"
        local id; id=$(image_id "$RT/private/app:1")
        out=$(cc image push "$RT/private/app:1") || { echo "$out"; return 1; }
        assert_contains "$out" ": Pushed" || return 1
        grep -q 'scope=repository%3Aprivate%2Fapp%3Apull%2Cpush.* auth=alice' "$TOKEN_LOG" ||
                fail "no push-scoped token: $(cat "$TOKEN_LOG")" || return 1
        # A cross-repository mount asks for pull access to the source too.
        cc image tag busybox:test "$RT/private/other:1" || return 1
        out=$(cc image push "$RT/private/other:1") || { echo "$out"; return 1; }
        assert_contains "$out" ": Mounted from private/app" || return 1
        round_trip "$RT/private/other:1" "$(pushed_digest "$out")" "$id" || return 1
        rm -rf "$DOCKER_CONFIG"
}

t_missing_image() {
        fresh_root missing
        local out rc
        out=$(cc image push "$R/nothing:1" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_eq "$out" "Error: push $R/nothing:1: An image does not exist locally with the tag: $R/nothing:1"
}

t_refused_registry() {
        fresh_root refused
        cc image tag busybox:test "$CLOSED/app:1" || return 1
        local out rc
        out=$(cc image push "$CLOSED/app:1" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "Error: push $CLOSED/app:1: cannot reach registry $CLOSED" || return 1
        # A digest reference cannot be pushed.
        out=$(cc image push "$R/app@sha256:$(printf %064d 0)" 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "name a tag"
}

# ---- compose push ----

mkdir -p "$TMP/proj"
cat >"$TMP/proj/compose.yaml" <<EOF
services:
  app:
    build:
      context: .
      tags: ["$R/app:extra"]
    image: $R/app:1
  db:
    image: busybox:test
  broken:
    build: .
    image: $R/notbuilt:1
EOF
P=ccpush$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')

t_compose_push() {
        fresh_root compose
        cc image tag busybox:test "$R/app:1" && cc image tag busybox:test "$R/app:extra" || return 1
        local id; id=$(image_id "$R/app:1")
        local out rc
        out=$(cc -f "$TMP/proj/compose.yaml" -p "$P" push app db 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "db Skipped" || return 1
        assert_contains "$out" "Pushing $R/app:1: " || return 1
        assert_contains "$out" "Pushing $R/app:extra: " || return 1
        local d; d=$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/app/manifests/extra" |
                tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')
        [[ $d == sha256:* ]] || fail "app:extra not in the registry" || return 1
        # -q: nothing printed
        out=$(cc -f "$TMP/proj/compose.yaml" -p "$P" push -q app 2>&1) || { echo "$out"; return 1; }
        assert_eq "$out" "" || return 1
        # broken's image does not exist: an error, exit 1...
        out=$(cc -f "$TMP/proj/compose.yaml" -p "$P" push 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "service broken: push $R/notbuilt:1: An image does not exist locally" || return 1
        # ... a warning with --ignore-push-failures
        out=$(cc -f "$TMP/proj/compose.yaml" -p "$P" push --ignore-push-failures 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "Pushing broken: push $R/notbuilt:1: An image does not exist locally" || return 1
        round_trip "$R/app:extra" "$d" "$id"
}

# ---- image save ----

# check_archive FILE: what docker load checks of a docker-archive: each
# manifest.json entry's config file hashes to its name, each layer.tar to
# the diff-id the config lists; repositories names the top layers.
check_archive() {
        python3 - "$1" <<'PY'
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
read = lambda n: t.extractfile(n).read()
m = json.loads(read("manifest.json"))
repos = json.loads(read("repositories"))
for e in m:
    cfg = read(e["Config"])
    assert hashlib.sha256(cfg).hexdigest() + ".json" == e["Config"], e["Config"]
    diffs = json.loads(cfg)["rootfs"]["diff_ids"]
    assert len(diffs) == len(e["Layers"]), "layer count"
    for d, l in zip(diffs, e["Layers"]):
        assert "sha256:" + hashlib.sha256(read(l)).hexdigest() == d, l
    for tag in e["RepoTags"] or []:
        repo, _, name = tag.rpartition(":")
        assert repos[repo][name] + "/layer.tar" == e["Layers"][-1], tag
print(len(m))
PY
}

mkdir -p "$TMP/saveproj"
P_SAVE=ccpushsave$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')

t_save_load_round_trip() {
        fresh_root save
        local id; id=$(load_multi) || return 1
        cc image tag "$id" "localhost:5000/multi:2" || return 1
        local bid; bid=$(image_id busybox:test)
        local out; out=$(cc image save -o "$W/two.tar" busybox:test localhost:5000/multi:2) || return 1
        assert_eq "$out" "" || return 1
        assert_eq "$(check_archive "$W/two.tar")" 2 || return 1
        ls "$W"/two.tar.tmp* >/dev/null 2>&1 && fail "temporary file left" && return 1
        # docker load's other reader: skopeo sees the image and its 4 layers
        assert_eq "$(skopeo inspect --raw "docker-archive:$W/two.tar:localhost:5000/multi:2" |
                python3 -c 'import json,sys; print(len(json.load(sys.stdin)["layers"]))')" 4 || return 1
        cc image rm -f "$id" "$bid" >/dev/null || return 1
        [ -z "$(cc image ls -q)" ] || fail "images left" || return 1
        out=$(cc image load -i "$W/two.tar") || return 1
        assert_contains "$out" "Loaded image: docker.io/library/busybox:test" || return 1
        assert_contains "$out" "Loaded image: localhost:5000/multi:2" || return 1
        assert_eq "$(image_id localhost:5000/multi:2)" "$id" || return 1
        assert_eq "$(image_id busybox:test)" "$bid" || return 1
        # and it runs: the data of a layer as it was
        printf 'services:\n  m:\n    image: localhost:5000/multi:2\n    network_mode: none\n' \
                >"$TMP/saveproj/compose.yaml"
        out=$(cc -f "$TMP/saveproj/compose.yaml" -p "$P_SAVE" run --rm m sha256sum /data2/blob) || return 1
        assert_eq "${out%% *}" "$(sha256sum <"$W/rnd2/data2/blob" | cut -d' ' -f1)" || return 1
        local left; left=$(cc -f "$TMP/saveproj/compose.yaml" -p "$P_SAVE" ps -a -q) || return 1
        assert_eq "$left" "" "(container left)"
}

t_save_by_id_to_stdout() {
        fresh_root save-id
        local bid; bid=$(image_id busybox:test)
        cc image save "${bid#sha256:}" >"$W/byid.tar" || return 1
        assert_eq "$(check_archive "$W/byid.tar")" 1 || return 1
        cc image rm -f "$bid" >/dev/null || return 1
        local out; out=$(cc image load -i "$W/byid.tar") || return 1
        assert_eq "$out" "Loaded image ID: $bid"
}

t_save_missing_image() {
        fresh_root save-missing
        local out rc
        out=$(cc image save -o "$W/none.tar" busybox:test nothing:1 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "No such image: nothing:1" || return 1
        [ -z "$(ls "$W" | grep '^none\.tar')" ] || fail "a file was left: $(ls "$W")"
}

# build --push: built, pushed under image: (as compose push), then a pull
# into an empty store gives the same image, which runs with what the
# build made
t_build_push_pull_round_trip() {
        fresh_root build-push
        mkdir -p "$TMP/bproj/app"
        printf 'FROM busybox:test\nRUN echo "built, pushed and pulled" > /made\n' >"$TMP/bproj/app/Dockerfile"
        cat >"$TMP/bproj/compose.yaml" <<EOF
services:
  app:
    build: ./app
    image: $R/built:1
    network_mode: none
EOF
        local f="$TMP/bproj/compose.yaml" out
        out=$(cc -f "$f" -p "$P" build --push 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "Pushing $R/built:1: " || return 1
        local id; id=$(image_id "$R/built:1") || return 1
        cc image rm -f $(cc image ls -q | sort -u) >/dev/null || return 1
        out=$(cc -f "$f" -p "$P" pull 2>&1) || { echo "$out"; return 1; }
        assert_eq "$(image_id "$R/built:1")" "$id" || return 1
        out=$(cc -f "$f" -p "$P" run --rm -T app cat /made 2>&1)
        assert_contains "$out" "built, pushed and pulled"
}

cases=$(grep -o '^t_[a-z0-9_]*()' "${BASH_SOURCE[0]}" | tr -d '()')
plan "$(echo "$cases" | wc -l)"
for c in $cases; do
        t "${c#t_}" "$c"
done
done_testing

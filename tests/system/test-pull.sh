#!/bin/bash
# System tests of registry pulls (TAP): `ccompose image pull`, `ccompose
# pull`, `login`/`logout`, against Debian's docker-registry started here on
# 127.0.0.1 (plain, htpasswd Basic auth, token auth with the issuer in
# registry-token.py) and the misbehaving front in registry-proxy.py
# (redirects, dropped transfers, 429). Images come from make-images.sh
# (busybox-static, offline), pushed with skopeo or, byte for byte, with
# registry-tool.py. Nothing here contacts anything but loopback:
# CCOMPOSE_REGISTRY_LOOPBACK_ONLY makes ccompose refuse any other registry.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"
require_commands curl htpasswd openssl zstd docker-registry

export CCOMPOSE_REGISTRY_LOOPBACK_ONLY=1
export DOCKER_CONFIG=$TMP/docker
unset DOCKER_DEFAULT_PLATFORM
IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
W=$TMP/work
mkdir -p "$W"
TOOL=(python3 "$SRCDIR/tests/system/registry-tool.py")

for tool in docker-registry skopeo umoci openssl htpasswd zstd curl python3; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is not installed (scripts/install-deps.sh)"
                exit 0
        fi
done
if [ "$(uname -m)" != x86_64 ]; then
        echo "1..0 # SKIP the multi-platform fixtures assume an amd64 host"
        exit 0
fi

# ---- helpers ----

fresh_root() {
        export CCOMPOSE_ROOT=$TMP/root-$1
        rm -rf "$CCOMPOSE_ROOT"
        mkdir -p "$CCOMPOSE_ROOT"
}
# Everything in the store except the lock: paths, sizes, mtimes.
store_state() {
        (cd "$CCOMPOSE_ROOT" && find . ! -name lock ! -type d -printf '%p %y %s %T@\n' -o -type d -printf '%p/\n' | sort)
}
jget() {
        cc image inspect "$1" | python3 -c "import json,sys; x=json.load(sys.stdin)[0]; print($2)"
}
# The marker file of an image's top layer (registry-tool.py --marker).
marker_of() {
        local f
        for f in "$CCOMPOSE_ROOT"/layers/*/etc/marker; do
                [ -f "$f" ] && cat "$f"
        done
}
# pull_fails REF PATTERN [ARGS...]: the pull fails, says PATTERN, and the
# store is as it was.
pull_fails() {
        local ref=$1 want=$2; shift 2
        local before out
        cc image ls >/dev/null 2>&1 # the store exists before
        before=$(store_state)
        if out=$(cc image pull "$@" "$ref" 2>&1); then fail "pulled: $out"; return 1; fi
        assert_contains "$out" "$want" || return 1
        assert_eq "$(store_state)" "$before" "(store changed)" || return 1
        no_leftovers
}
# Nothing temporary left in the store: staging files, half-made layer trees.
no_leftovers() {
        [ -z "$(ls -A "$CCOMPOSE_ROOT/images/tmp")" ] || fail "left in images/tmp: $(ls -A "$CCOMPOSE_ROOT/images/tmp")" ||
                return 1
        [ -z "$(ls -A "$CCOMPOSE_ROOT/layers" | grep '^\.')" ] || fail "left in layers: $(ls -A "$CCOMPOSE_ROOT/layers")" ||
                return 1
        [ ! -e "$CCOMPOSE_ROOT/images/pulls" ] || fail "left in images/pulls: $(ls -A "$CCOMPOSE_ROOT/images/pulls")"
}
start_proxy() { # MODE UPSTREAM STORAGE -> PROXY (127.0.0.1:port), PROXY_LOG
        local mode=$1 up=$2 storage=$3 pid
        PROXY_LOG=$W/proxy-$mode.log
        : >"$PROXY_LOG"
        start_bg pid python3 "$SRCDIR/tests/system/registry-proxy.py" "$W/proxy-$mode.port" "$up" "$storage" \
                "$PROXY_LOG" "$mode"
        wait_file "$W/proxy-$mode.port" || return 1
        PROXY=127.0.0.1:$(cat "$W/proxy-$mode.port")
}

# ---- fixtures (outside the cases: they set variables) ----

setup() {
        "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || return 1
        # The image ID every busybox fixture must come out with.
        fresh_root ref
        BUSYBOX_ID=$(cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null && cc image ls -q --no-trunc) || return 1
        # Layer files for a 4-layer image: busybox plus 3 x 1 MB of random data.
        for i in 1 2 3; do
                mkdir -p "$W/rnd$i/data$i"
                head -c 1000000 /dev/urandom >"$W/rnd$i/data$i/blob"
                tar -C "$W/rnd$i" -cf "$W/rnd$i.tar" "data$i" || return 1
        done
        local L=$W/layouts
        "${TOOL[@]}" image "$L/multi" "$IMAGES/rootfs.tar" "$W/rnd1.tar" "$W/rnd2.tar" "$W/rnd3.tar" &&
                "${TOOL[@]}" image "$L/zstd" "$IMAGES/rootfs.tar:zstd" &&
                "${TOOL[@]}" image "$L/plain" "$IMAGES/rootfs.tar:plain" &&
                "${TOOL[@]}" image "$L/amd64" --arch amd64 --marker amd64 "$IMAGES/rootfs.tar" &&
                "${TOOL[@]}" image "$L/arm64" --arch arm64 --variant v8 --marker arm64 "$IMAGES/rootfs.tar" &&
                "${TOOL[@]}" index "$L/index" "$L/amd64" "$L/arm64" &&
                "${TOOL[@]}" image "$L/d-amd64" --docker --arch amd64 --marker d-amd64 "$IMAGES/rootfs.tar" &&
                "${TOOL[@]}" image "$L/d-armv7" --docker --arch arm --variant v7 --marker d-armv7 "$IMAGES/rootfs.tar" &&
                "${TOOL[@]}" index "$L/dlist" --docker "$L/d-amd64" "$L/d-armv7" &&
                "${TOOL[@]}" image "$L/baddiff" --bad-diff-id "$IMAGES/rootfs.tar" "$W/rnd1.tar" || return 1

        # The plain registry.
        reg_start plain || return 1
        R=$REG R_DIR=$REG_DIR
        reg_push "oci:$IMAGES/oci:test" busybox:test &&
                reg_push "docker-archive:$IMAGES/busybox-docker.tar" busybox:v2s2 --format v2s2 &&
                "${TOOL[@]}" push "$L/multi" "$R" multi:latest &&
                "${TOOL[@]}" push "$L/zstd" "$R" zstd:1 &&
                "${TOOL[@]}" push "$L/plain" "$R" plain:1 &&
                "${TOOL[@]}" push "$L/index" "$R" multiarch:1 &&
                "${TOOL[@]}" push "$L/dlist" "$R" dlist:1 &&
                "${TOOL[@]}" push "$L/baddiff" "$R" baddiff:1 &&
                reg_push "oci:$IMAGES/oci:test" moving:1 || return 1

        # A registry whose blobs get corrupted.
        reg_start corrupt || return 1
        RC=$REG RC_DIR=$REG_DIR
        reg_push "oci:$IMAGES/oci:test" busybox:test && "${TOOL[@]}" push "$L/multi" "$RC" multi:latest || return 1

        # htpasswd Basic auth.
        htpasswd -Bbn alice secret >"$W/htpasswd" 2>/dev/null || return 1
        printf 'auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n' "$W/htpasswd" >"$W/auth-basic.yml"
        reg_start basic "$W/auth-basic.yml" || return 1
        RB=$REG RB_DIR=$REG_DIR
        reg_push "oci:$IMAGES/oci:test" busybox:test --dest-creds alice:secret || return 1

        # Token auth: a key pair for the issuer, its certificate for the registry.
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/token-key.pem" -out "$W/token-cert.pem" -days 2 \
                -subj /CN=ccompose-test-issuer >/dev/null 2>&1 || return 1
        TOKEN_LOG=$W/token.log
        : >"$TOKEN_LOG"
        local pid
        start_bg pid python3 "$SRCDIR/tests/system/registry-token.py" "$W/token.port" "$W/token-key.pem" \
                "$W/token-cert.pem" ccompose-test-issuer ccompose-test alice:secret "$TOKEN_LOG"
        wait_file "$W/token.port" || return 1
        TP=$(cat "$W/token.port")
        printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: ccompose-test\n    issuer: ccompose-test-issuer\n    rootcertbundle: %s\n' \
                "$TP" "$W/token-cert.pem" >"$W/auth-token.yml"
        reg_start token "$W/auth-token.yml" || return 1
        RT=$REG
        reg_push "oci:$IMAGES/oci:test" public/busybox:1 --dest-creds alice:secret &&
                reg_push "oci:$IMAGES/oci:test" private/busybox:1 --dest-creds alice:secret || return 1

        # TLS: a CA of the test's, a certificate for 127.0.0.1 signed by it.
        local T=$W/tls
        mkdir -p "$T"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/san.ext"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 \
                -subj /CN=ccompose-test-ca >/dev/null 2>&1 &&
                openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" \
                        -subj /CN=127.0.0.1 >/dev/null 2>&1 &&
                openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
                        -out "$T/server.crt" -days 2 -extfile "$T/san.ext" >/dev/null 2>&1 || return 1
        REG_TLS_CERT=$T/server.crt REG_TLS_KEY=$T/server.key reg_start tls || return 1
        RS=$REG
        reg_push "oci:$IMAGES/oci:test" busybox:test || return 1

        # The misbehaving fronts.
        start_proxy redirect "$RB" "$RB_DIR/storage" || return 1
        P_REDIRECT=$PROXY P_REDIRECT_LOG=$PROXY_LOG
        start_proxy cut "$R" "$R_DIR/storage" || return 1
        P_CUT=$PROXY P_CUT_LOG=$PROXY_LOG
        start_proxy throttle "$R" "$R_DIR/storage" || return 1
        P_THROTTLE=$PROXY P_THROTTLE_LOG=$PROXY_LOG
        start_proxy restart "$R" "$R_DIR/storage" || return 1
        P_RESTART=$PROXY P_RESTART_LOG=$PROXY_LOG
}

# In this shell (not a subshell): it sets variables and registers cleanups.
if ! setup >"$TMP/setup.log" 2>&1; then
        bail_out "fixtures: $(tail -20 "$TMP/setup.log" | tr '\n' ' ')"
fi

# ---- image pull: manifests and layers ----

t_oci_manifest() {
        fresh_root oci
        local out; out=$(cc image pull "$R/busybox:test") || return 1
        assert_contains "$out" "test: Pulling from busybox" || return 1
        assert_contains "$out" "Pull complete" || return 1
        assert_contains "$out" "Digest: sha256:" || return 1
        assert_contains "$out" "Status: Downloaded newer image for $R/busybox:test" || return 1
        assert_eq "$(echo "$out" | tail -1)" "$R/busybox:test" || return 1
        assert_eq "$(jget "$R/busybox:test" "x['Id']")" "$BUSYBOX_ID" || return 1
        assert_eq "$(jget "$R/busybox:test" "x['Config']['Cmd']")" "['sh']" || return 1
        [ -x "$(echo "$CCOMPOSE_ROOT"/layers/*/bin/busybox)" ] || fail "no unpacked busybox"
}

t_docker_v2s2() {
        fresh_root v2s2
        local mt
        mt=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
                "http://$R/v2/busybox/manifests/v2s2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')
        assert_eq "$mt" "application/vnd.docker.distribution.manifest.v2+json" "(fixture)" || return 1
        cc image pull -q "$R/busybox:v2s2" >/dev/null || return 1
        assert_eq "$(jget "$R/busybox:v2s2" "x['Id']")" "$BUSYBOX_ID"
}

t_quiet_prints_ref() {
        fresh_root quiet
        local out; out=$(cc image pull -q "$R/busybox:test") || return 1
        assert_eq "$out" "$R/busybox:test"
}

t_up_to_date() {
        fresh_root again
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        local before; before=$(cd "$CCOMPOSE_ROOT" && ls -l images/blobs/sha256 layers)
        local out; out=$(cc image pull "$R/busybox:test") || return 1
        assert_contains "$out" "Status: Image is up to date for $R/busybox:test" || return 1
        assert_not_contains "$out" "Pull complete" || return 1
        assert_eq "$(cd "$CCOMPOSE_ROOT" && ls -l images/blobs/sha256 layers)" "$before" "(store changed)"
}

t_by_digest() {
        fresh_root digest
        local d
        d=$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/busybox/manifests/test" |
                tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')
        [[ $d == sha256:* ]] || fail "no digest from the registry: '$d'" || return 1
        local out; out=$(cc image pull -q "$R/busybox@$d") || return 1
        assert_eq "$out" "$R/busybox@$d" || return 1
        assert_contains "$(jget "$R/busybox@$d" "x['RepoDigests']")" "$R/busybox@$d"
}

t_shared_layers_once() {
        fresh_root shared
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        local out; out=$(cc image pull "$R/busybox:v2s2") || return 1
        assert_contains "$out" "Already exists" || return 1
        assert_not_contains "$out" "Pull complete" || return 1
        # One image (one config, one layer) whose manifest is the last one pulled.
        assert_eq "$(ls "$CCOMPOSE_ROOT/images/blobs/sha256" | wc -l)" 3 || return 1
        assert_eq "$(cc image ls -q | sort -u | wc -l)" 1
}

t_multi_layer() {
        fresh_root multi
        local out; out=$(cc image pull "$R/multi:latest") || return 1
        assert_eq "$(echo "$out" | grep -c 'Pull complete')" 4 || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/layers" | wc -l)" 4 || return 1
        local i
        for i in 1 2 3; do
                cmp -s "$(echo "$CCOMPOSE_ROOT"/layers/*/data$i/blob)" "$W/rnd$i/data$i/blob" || fail "layer $i differs" ||
                        return 1
        done
        no_leftovers
}

t_zstd_layer() {
        fresh_root zstd
        cc image pull -q "$R/zstd:1" >/dev/null || return 1
        [ -x "$(echo "$CCOMPOSE_ROOT"/layers/*/bin/busybox)" ] || fail "no unpacked busybox" || return 1
        grep -q 'tar+zstd' "$CCOMPOSE_ROOT"/images/blobs/sha256/* || fail "no zstd layer in the stored manifest"
}

t_plain_layer() {
        fresh_root plain
        cc image pull -q "$R/plain:1" >/dev/null || return 1
        [ -x "$(echo "$CCOMPOSE_ROOT"/layers/*/bin/busybox)" ] || fail "no unpacked busybox"
}

t_layer_known_other_compression() {
        fresh_root othercomp
        # Same layer, zstd there and uncompressed here: a new blob, a known tree.
        cc image pull -q "$R/zstd:1" >/dev/null || return 1
        local out; out=$(cc image pull "$R/plain:1") || return 1
        assert_contains "$out" "Pull complete" || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/layers" | wc -l)" 1 "(the unpacked layer is shared)" || return 1
        no_leftovers
}

# ---- platforms ----

t_index_host_platform() {
        fresh_root idx-host
        cc image pull -q "$R/multiarch:1" >/dev/null || return 1
        assert_eq "$(jget "$R/multiarch:1" "x['Architecture']")" amd64 || return 1
        assert_eq "$(marker_of)" amd64
}

t_index_platform_flag() {
        fresh_root idx-arm64
        cc image pull -q --platform linux/arm64 "$R/multiarch:1" >/dev/null || return 1
        assert_eq "$(jget "$R/multiarch:1" "x['Architecture']")" arm64 || return 1
        assert_eq "$(marker_of)" arm64
}

t_docker_manifest_list() {
        fresh_root dlist
        local out; out=$(cc image pull "$R/dlist:1") || return 1
        assert_eq "$(marker_of)" d-amd64 || return 1
        fresh_root dlist-arm
        DOCKER_DEFAULT_PLATFORM=linux/arm/v7 cc image pull -q "$R/dlist:1" >/dev/null || return 1
        assert_eq "$(jget "$R/dlist:1" "x['Architecture']+'/'+x['Variant']")" arm/v7 || return 1
        assert_eq "$(marker_of)" d-armv7
}

t_no_matching_platform() {
        fresh_root noplat
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        pull_fails "$R/multiarch:1" "no matching manifest for linux/s390x" --platform linux/s390x || return 1
        pull_fails "$R/dlist:1" "it has: linux/amd64, linux/arm/v7" --platform linux/arm/v5
}

t_single_manifest_wrong_platform() {
        fresh_root wrongplat
        cc image pull -q "$R/busybox:v2s2" >/dev/null || return 1
        pull_fails "$R/busybox:test" "does not match the specified platform: wanted linux/arm64" --platform linux/arm64
}

# ---- bad input ----

t_missing_tag() {
        fresh_root notag
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        pull_fails "$R/busybox:nope" "pull $R/busybox:nope: manifest unknown"
}

t_unknown_repository() {
        fresh_root norepo
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        pull_fails "$R/nothere/at-all:1" "pull $R/nothere/at-all:1: manifest unknown"
}

t_unreachable_registry() {
        fresh_root unreach
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        local port; port=$(free_port)
        pull_fails "127.0.0.1:$port/busybox:test" "cannot reach registry 127.0.0.1:$port"
}

t_invalid_reference() {
        fresh_root badref
        local out
        if out=$(cc image pull "$R/BadName:1" 2>&1); then fail "pulled: $out"; return 1; fi
        assert_contains "$out" "invalid reference format"
}

t_off_loopback_refused() {
        fresh_root offlo
        local out
        if out=$(cc image pull busybox 2>&1); then fail "pulled: $out"; return 1; fi
        assert_contains "$out" "registry-1.docker.io is not on loopback"
}

t_corrupt_blob_digest() {
        fresh_root corrupt
        cc image pull -q "$R/zstd:1" >/dev/null || return 1
        local layer
        layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$RC/v2/busybox/manifests/test" |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])') || return 1
        local f; f=$(reg_blob_path "$RC_DIR" "$layer")
        [ -f "$f" ] || fail "no blob file $f" || return 1
        # Same size, different bytes.
        printf 'CORRUPT' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none || return 1
        pull_fails "$RC/busybox:test" "digest mismatch" || return 1
        pull_fails "$RC/busybox:test" "layer $layer"
}

t_diff_id_mismatch() {
        fresh_root baddiff
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        pull_fails "$R/baddiff:1" "diff-id digest mismatch"
}

t_short_blob_size() {
        fresh_root short
        cc image pull -q "$R/zstd:1" >/dev/null || return 1
        local layer
        layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$RC/v2/multi/manifests/latest" |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][3]["digest"])') || return 1
        truncate -s 1000 "$(reg_blob_path "$RC_DIR" "$layer")" || return 1
        pull_fails "$RC/multi:latest" "size mismatch" || return 1
        pull_fails "$RC/multi:latest" "digest"
}

# ---- TLS ----

t_tls_unknown_ca() {
        fresh_root tls-noca
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        CCOMPOSE_CERTS_D=$W/no-certs.d pull_fails "$RS/busybox:test" "cannot reach registry $RS: SSL certificate problem"
}

t_tls_certs_d_ca() {
        fresh_root tls-ca
        mkdir -p "$W/certs.d/$RS"
        cp "$W/tls/ca.crt" "$W/certs.d/$RS/ca.crt"
        CCOMPOSE_CERTS_D=$W/certs.d cc image pull -q "$RS/busybox:test" >/dev/null || return 1
        assert_eq "$(jget "$RS/busybox:test" "x['Id']")" "$BUSYBOX_ID"
}

# ---- Basic auth, config.json, login/logout ----

t_basic_needs_credentials() {
        fresh_root basic-none
        rm -rf "$DOCKER_CONFIG"
        pull_fails "$RB/busybox:test" "$RB requires authentication: log in with 'ccompose login $RB'"
}

t_basic_config_json() {
        fresh_root basic-cfg
        write_auth "$RB" alice secret
        cc image pull -q "$RB/busybox:test" >/dev/null || return 1
        assert_eq "$(jget "$RB/busybox:test" "x['Id']")" "$BUSYBOX_ID"
}

t_basic_config_json_url_key() {
        fresh_root basic-url
        write_auth "http://$RB/v2/" alice secret
        cc image pull -q "$RB/busybox:test" >/dev/null
}

t_basic_wrong_password() {
        fresh_root basic-wrong
        write_auth "$RB" alice wrong
        pull_fails "$RB/busybox:test" "$RB refused the credentials of user \"alice\""
}

t_login_logout() {
        fresh_root login
        rm -rf "$DOCKER_CONFIG"
        local out; out=$(echo secret | cc login -u alice --password-stdin "$RB" 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "Login Succeeded" || return 1
        assert_eq "$(stat -c %a "$DOCKER_CONFIG/config.json")" 600 || return 1
        python3 -c "
import base64,json,sys
a=json.load(open('$DOCKER_CONFIG/config.json'))['auths']['$RB']['auth']
assert base64.b64decode(a)==b'alice:secret', a" || return 1
        cc image pull -q "$RB/busybox:test" >/dev/null || return 1
        assert_eq "$(cc logout "$RB")" "Removing login credentials for $RB" || return 1
        assert_eq "$(cc logout "$RB")" "Not logged in to $RB" || return 1
        fresh_root login2
        pull_fails "$RB/busybox:test" "requires authentication"
}

t_login_refused() {
        rm -rf "$DOCKER_CONFIG"
        local out
        if out=$(echo wrong | cc login -u alice --password-stdin "$RB" 2>&1); then fail "logged in: $out"; return 1; fi
        assert_contains "$out" "refused the credentials of user \"alice\"" || return 1
        [ ! -e "$DOCKER_CONFIG/config.json" ] || fail "config.json written"
}

t_login_usage_errors() {
        local out
        out=$(cc login -p x --password-stdin -u a "$RB" 2>&1 </dev/null) && return 1
        assert_contains "$out" "mutually exclusive" || return 1
        out=$(cc login --password-stdin "$RB" 2>&1 </dev/null) && return 1
        assert_contains "$out" "Must provide --username" || return 1
        out=$(cc login "$RB" 2>&1 </dev/null) && return 1
        assert_contains "$out" "non TTY"
}

# A credential helper as docker's: docker-credential-NAME get|store|erase.
mkdir -p "$W/helper-bin"
cat >"$W/helper-bin/docker-credential-cctest" <<'EOF'
#!/usr/bin/env python3
import json, os, sys
db = os.environ["CCTEST_HELPER_DB"]
creds = json.load(open(db)) if os.path.exists(db) else {}
data = sys.stdin.read()
if sys.argv[1] == "get":
    server = data.strip()
    if server not in creds:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": server, "Username": creds[server][0], "Secret": creds[server][1]}))
elif sys.argv[1] == "store":
    d = json.loads(data)
    creds[d["ServerURL"]] = [d["Username"], d["Secret"]]
    json.dump(creds, open(db, "w"))
elif sys.argv[1] == "erase":
    creds.pop(data.strip(), None)
    json.dump(creds, open(db, "w"))
EOF
chmod +x "$W/helper-bin/docker-credential-cctest"

t_credential_helper() {
        fresh_root helper
        rm -rf "$DOCKER_CONFIG"
        mkdir -p "$DOCKER_CONFIG"
        echo '{"credsStore": "cctest"}' >"$DOCKER_CONFIG/config.json"
        export PATH=$W/helper-bin:$PATH CCTEST_HELPER_DB=$W/helper.json
        rm -f "$CCTEST_HELPER_DB"
        pull_fails "$RB/busybox:test" "requires authentication" || return 1
        local out; out=$(echo secret | cc login -u alice --password-stdin "$RB" 2>&1) || { echo "$out"; return 1; }
        grep -q '"alice", "secret"' "$CCTEST_HELPER_DB" || fail "not stored by the helper: $(cat "$CCTEST_HELPER_DB")" ||
                return 1
        if grep -q secret "$DOCKER_CONFIG/config.json"; then fail "password in config.json"; return 1; fi
        cc image pull -q "$RB/busybox:test" >/dev/null || return 1
        assert_eq "$(cc logout "$RB")" "Removing login credentials for $RB" || return 1
        assert_eq "$(cat "$CCTEST_HELPER_DB")" "{}"
}

# ---- token auth ----

t_token_anonymous() {
        fresh_root tok-anon
        rm -rf "$DOCKER_CONFIG"
        : >"$TOKEN_LOG"
        cc image pull -q "$RT/public/busybox:1" >/dev/null || return 1
        grep -q 'scope=repository%3Apublic%2Fbusybox%3Apull.* auth=anonymous' "$TOKEN_LOG" ||
                fail "no anonymous token request: $(cat "$TOKEN_LOG")"
}

t_token_private_denied() {
        fresh_root tok-denied
        rm -rf "$DOCKER_CONFIG"
        pull_fails "$RT/private/busybox:1" "pull access denied for $RT/private/busybox"
}

t_token_credentials() {
        fresh_root tok-creds
        write_auth "$RT" alice secret
        : >"$TOKEN_LOG"
        cc image pull -q "$RT/private/busybox:1" >/dev/null || return 1
        grep -q 'scope=repository%3Aprivate%2Fbusybox%3Apull.*account=alice auth=alice' "$TOKEN_LOG" ||
                fail "no token request as alice: $(cat "$TOKEN_LOG")"
}

t_token_refused() {
        fresh_root tok-wrong
        write_auth "$RT" alice wrong
        pull_fails "$RT/private/busybox:1" "the token server 127.0.0.1:$TP refused the credentials of user \"alice\""
}

t_token_identity_token() {
        fresh_root tok-idt
        mkdir -p "$DOCKER_CONFIG"
        printf '{"auths": {"%s": {"identitytoken": "refresh-alice"}}}\n' "$RT" >"$DOCKER_CONFIG/config.json"
        : >"$TOKEN_LOG"
        cc image pull -q "$RT/private/busybox:1" >/dev/null || return 1
        grep -q '^POST /token auth=alice' "$TOKEN_LOG" || fail "no refresh-token POST: $(cat "$TOKEN_LOG")"
}

t_token_login() {
        rm -rf "$DOCKER_CONFIG"
        local out; out=$(echo secret | cc login -u alice --password-stdin "$RT" 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "Login Succeeded" || return 1
        out=$(echo nope | cc login -u alice --password-stdin "$RT" 2>&1) && return 1
        assert_contains "$out" "refused the credentials"
}

# ---- redirects, broken transfers, throttling ----

t_redirect_keeps_credentials_home() {
        fresh_root redirect
        write_auth "$P_REDIRECT" alice secret
        : >"$P_REDIRECT_LOG"
        cc image pull -q "$P_REDIRECT/busybox:test" >/dev/null || return 1
        assert_eq "$(jget "$P_REDIRECT/busybox:test" "x['Id']")" "$BUSYBOX_ID" || return 1
        grep -q "^GET /v2/busybox/blobs/.* auth=yes" "$P_REDIRECT_LOG" || fail "no authorised blob request" || return 1
        grep -q "^GET /_blob/.* host=localhost:" "$P_REDIRECT_LOG" || fail "redirect not followed" || return 1
        if grep "^GET /_blob/" "$P_REDIRECT_LOG" | grep -q "auth=yes"; then
                fail "Authorization sent to the other host: $(cat "$P_REDIRECT_LOG")"
        fi
}

t_resume_with_range() {
        fresh_root resume
        : >"$P_CUT_LOG"
        cc image pull -q "$P_CUT/multi:latest" >/dev/null || return 1
        assert_eq "$(grep -c 'blobs/.* range=bytes=[0-9]*-' "$P_CUT_LOG")" 5 "(config and 4 layers resumed)" || return 1
        cmp -s "$(echo "$CCOMPOSE_ROOT"/layers/*/data2/blob)" "$W/rnd2/data2/blob" || fail "resumed layer differs" ||
                return 1
        no_leftovers
}

t_restart_without_range() {
        fresh_root restart
        : >"$P_RESTART_LOG"
        cc image pull -q "$P_RESTART/multi:latest" >/dev/null || return 1
        grep -q 'range=bytes=' "$P_RESTART_LOG" || fail "no Range request" || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/layers" | wc -l)" 4 || return 1
        cmp -s "$(echo "$CCOMPOSE_ROOT"/layers/*/data3/blob)" "$W/rnd3/data3/blob" || fail "restarted layer differs" ||
                return 1
        no_leftovers
}

t_retry_after_429() {
        fresh_root throttle
        : >"$P_THROTTLE_LOG"
        local t0 t1
        t0=$(date +%s%N)
        cc image pull -q "$P_THROTTLE/busybox:test" >/dev/null || return 1
        t1=$(date +%s%N)
        [ $(((t1 - t0) / 1000000)) -ge 950 ] || fail "did not wait for Retry-After: $(((t1 - t0) / 1000000)) ms" ||
                return 1
        assert_eq "$(grep -c '/manifests/test' "$P_THROTTLE_LOG")" 2
}

t_tag_moved() {
        fresh_root moved
        local out
        out=$(cc image pull "$R/moving:1") || return 1
        assert_contains "$out" "Downloaded newer image" || return 1
        local id1; id1=$(jget "$R/moving:1" "x['Id']")
        out=$(cc image pull "$R/moving:1") || return 1
        assert_contains "$out" "Image is up to date" || return 1
        "${TOOL[@]}" push "$W/layouts/multi" "$R" moving:1 || return 1
        out=$(cc image pull "$R/moving:1") || return 1
        assert_contains "$out" "Downloaded newer image for $R/moving:1" || return 1
        local id2; id2=$(jget "$R/moving:1" "x['Id']")
        [ "$id1" != "$id2" ] || fail "same image after the tag moved"
}

t_concurrent_pulls_same_store() {
        fresh_root concurrent
        cc image pull -q "$R/multi:latest" >"$W/c1.out" 2>&1 &
        local p1=$!
        cc image pull -q "$R/multi:latest" >"$W/c2.out" 2>&1 &
        local p2=$!
        wait $p1 || fail "first pull: $(cat "$W/c1.out")" || return 1
        wait $p2 || fail "second pull: $(cat "$W/c2.out")" || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/layers" | wc -l)" 4 || return 1
        no_leftovers
}

t_stale_staging_removed() {
        fresh_root stale
        mkdir -p "$CCOMPOSE_ROOT/images/pulls/dead01"
        : >"$CCOMPOSE_ROOT/images/pulls/dead01/.lock"
        head -c 1000 /dev/zero >"$CCOMPOSE_ROOT/images/pulls/dead01/sha256-partial"
        touch -d '2 minutes ago' "$CCOMPOSE_ROOT/images/pulls/dead01"
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        no_leftovers
}

# ---- ccompose pull (compose) ----

D=$TMP/proj
mkdir -p "$D/ctx"
cat >"$D/compose.yaml" <<EOF
services:
  web:
    image: $R/busybox:test
  worker:
    image: $R/multi:latest
    depends_on: [web]
  builder:
    build: ./ctx
  pinned:
    image: $R/nothing-here:1
    pull_policy: never
  arm:
    image: $R/multiarch:1
    platform: linux/arm64
EOF
cat >"$D/bad.yaml" <<EOF
services:
  good:
    image: $R/busybox:v2s2
  bad:
    image: $R/busybox:missing-tag
EOF
cat >"$D/policy.yaml" <<EOF
services:
  have:
    image: $R/busybox:test
    pull_policy: missing
EOF
compose() { cc -f "$D/compose.yaml" -p ccpull "$@"; }

t_compose_pull_all() {
        fresh_root compose
        local out; out=$(compose pull 2>&1) || { echo "$out"; return 1; }
        assert_contains "$out" "web Pulling" || return 1
        assert_contains "$out" "web Pulled" || return 1
        assert_contains "$out" "worker Pulled" || return 1
        assert_contains "$out" "builder Skipped - No image to be pulled" || return 1
        assert_contains "$out" "pinned Skipped" || return 1
        assert_eq "$(cc image ls --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
                "$R/busybox:test $R/multi:latest $R/multiarch:1 " || return 1
        assert_eq "$(jget "$R/multiarch:1" "x['Architecture']")" arm64
}

t_compose_pull_selected() {
        fresh_root compose-sel
        compose pull -q worker || return 1
        assert_eq "$(cc image ls --format '{{.Repository}}:{{.Tag}}')" "$R/multi:latest" || return 1
        compose pull -q --include-deps worker || return 1
        assert_eq "$(cc image ls --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" \
                "$R/busybox:test $R/multi:latest "
}

t_compose_pull_quiet() {
        fresh_root compose-q
        local out; out=$(compose pull -q web 2>&1) || return 1
        assert_eq "$out" "" || return 1
        cc image inspect "$R/busybox:test" >/dev/null
}

t_compose_pull_failures() {
        fresh_root compose-bad
        local out rc
        out=$(cc -f "$D/bad.yaml" -p ccpullbad pull 2>&1); rc=$?
        assert_eq "$rc" 1 || return 1
        assert_contains "$out" "service bad: pull $R/busybox:missing-tag: manifest unknown" || return 1
        cc image inspect "$R/busybox:v2s2" >/dev/null || fail "the good image was not pulled" || return 1
        out=$(cc -f "$D/bad.yaml" -p ccpullbad pull --ignore-pull-failures 2>&1) || fail "exit $?: $out" || return 1
        assert_contains "$out" "warning: service bad"
}

# an image that is not in the registry, for a service that can build it:
# a warning and the services to build, not a failure; --ignore-buildable
# does not even try
t_compose_pull_buildable_failure() {
        fresh_root compose-buildable
        mkdir -p "$D/ctx"
        printf 'services:\n  app:\n    image: %s/busybox:never-pushed\n    build: ./ctx\n  web:\n    image: %s/busybox:test\n' \
                "$R" "$R" >"$D/buildable.yaml"
        local out rc
        out=$(cc -f "$D/buildable.yaml" -p ccpullbld pull 2>&1); rc=$?
        assert_eq "$rc" 0 "($out)" || return 1
        assert_contains "$out" "warning: service app" || return 1
        assert_contains "$out" "WARNING: Some service image(s) must be built from source by running:" || return 1
        assert_contains "$out" "ccompose build app" || return 1
        cc image inspect "$R/busybox:test" >/dev/null || fail "web's image was not pulled" || return 1
        out=$(cc -f "$D/buildable.yaml" -p ccpullbld pull --ignore-buildable 2>&1) || { fail "$out"; return 1; }
        assert_contains "$out" "app Skipped - Image can be built" || return 1
        assert_not_contains "$out" "WARNING"
}

t_compose_pull_unknown_service() {
        local out
        out=$(compose pull nosuch 2>&1) && return 1
        assert_contains "$out" "no such service: nosuch"
}

t_compose_pull_policy_missing() {
        fresh_root compose-pol
        cc image pull -q "$R/busybox:test" >/dev/null || return 1
        local out; out=$(cc -f "$D/policy.yaml" -p ccpullpol pull 2>&1) || return 1
        assert_contains "$out" "have Skipped - Image is already present locally" || return 1
        out=$(cc -f "$D/policy.yaml" -p ccpullpol pull --policy always 2>&1) || return 1
        assert_contains "$out" "have Pulled"
}

# ---- a pulled image runs ----

P=ccpullrun$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
cleanup_cgroups() {
        local d
        for d in /sys/fs/cgroup/*/ccompose/"$P"; do
                [ -d "$d" ] || continue
                find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
                sleep 0.2
                find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        rmdir /sys/fs/cgroup/*/ccompose 2>/dev/null
        true
}
on_exit cleanup_cgroups
mkdir -p "$TMP/runproj"
cat >"$TMP/runproj/compose.yaml" <<EOF
services:
  marker:
    image: $R/multiarch:1
EOF

t_run_pulled_image() {
        fresh_root run
        cc -f "$TMP/runproj/compose.yaml" -p "$P" pull -q || return 1
        local out; out=$(cc -f "$TMP/runproj/compose.yaml" -p "$P" run --rm marker cat /etc/marker) || return 1
        assert_eq "$out" amd64
}

t_run_pulls_missing_image() {
        # no explicit pull: run pulls the missing image (pull_policy missing)
        fresh_root run-auto
        local out; out=$(cc -f "$TMP/runproj/compose.yaml" -p "$P" run --rm marker cat /etc/marker 2>"$TMP/run-auto.err") || {
                cat "$TMP/run-auto.err"; return 1; }
        assert_eq "$out" amd64 || return 1
        assert_contains "$(cat "$TMP/run-auto.err")" "Pull complete"
}

t_up_pulls_missing_image() {
        # up -d pulls what is missing before it starts anything
        fresh_root up-auto
        mkdir -p "$TMP/upauto"
        printf 'services:\n  marker:\n    image: %s/multiarch:1\n    init: true\n    command: ["/bin/sleep", "30"]\n' "$R" \
                >"$TMP/upauto/compose.yaml"
        local f="$TMP/upauto/compose.yaml"
        local out; out=$(cc -f "$f" -p "$P" up -d 2>&1) || { echo "$out"; cc -f "$f" -p "$P" down -t 0; return 1; }
        assert_contains "$out" "Pull complete" || return 1
        assert_contains "$out" "Started" || return 1
        cc image inspect "$R/multiarch:1" >/dev/null || fail "image not in the store" || return 1
        cc -f "$f" -p "$P" down -t 0 >/dev/null 2>&1
}

t_up_pull_policy_never_missing() {
        # pull_policy: never with the image missing: a clear error, nothing started
        fresh_root up-never
        mkdir -p "$TMP/never"
        printf 'services:\n  x:\n    image: %s/busybox:test\n    pull_policy: never\n' "$R" >"$TMP/never/compose.yaml"
        local out rc; out=$(cc -f "$TMP/never/compose.yaml" -p "${P}never" up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { cc -f "$TMP/never/compose.yaml" -p "${P}never" down -t 0; fail "up succeeded"; return 1; }
        assert_contains "$out" "pull_policy" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/${P}never/state.json" ] || fail "state was written"
}

cases=$(grep -o '^t_[a-z0-9_]*()' "${BASH_SOURCE[0]}" | tr -d '()')
plan "$(echo "$cases" | wc -l)"
for c in $cases; do
        t "${c#t_}" "$c"
done
done_testing

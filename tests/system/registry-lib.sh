# Helpers for tests that need a registry (bash; source after lib.sh).
# Everything listens on 127.0.0.1 only and is stopped by PID when the
# test file exits (lib.sh's on_exit), also on failure.
#
#   reg_start NAME [auth-yaml-file]   start Debian's docker-registry on a free
#                                     loopback port; sets REG (127.0.0.1:PORT)
#                                     and REG_DIR (its directory: config.yml,
#                                     storage/, log). With REG_TLS_CERT and
#                                     REG_TLS_KEY set it serves HTTPS.
#   reg_push SRC REPO:TAG [ARGS...]   skopeo copy SRC docker://$REG/REPO:TAG
#   reg_blob_path DIR DIGEST          the blob's data file in DIR/storage (a REG_DIR)
#   free_port                         a free TCP port on 127.0.0.1
#   wait_http URL                     until URL answers (any HTTP status), 10 s
#   start_bg PIDVAR CMD...            run CMD in the background, stopped at exit
#   wait_file FILE                    until FILE is not empty, 10 s
#   write_auth SERVER USER PASS       $DOCKER_CONFIG/config.json with those credentials

REGLIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
        local i
        for ((i = 0; i < 200; i++)); do
                if curl -s -o /dev/null --max-time 1 "$@"; then return 0; fi
                sleep 0.05
        done
        echo "wait_http: $1 did not answer" >&2
        return 1
}

start_bg() {
        local __sb_var=$1; shift
        "$@" &
        local __sb_pid=$!
        printf -v "$__sb_var" '%s' "$__sb_pid"
        # also from a case's subshell (t runs cases in $(...), whose
        # on_exit list is lost): lib.sh's exit stops what bg_record lists
        bg_record "$__sb_pid"
        on_exit "kill $__sb_pid; wait $__sb_pid"
}

reg_start() {
        local name=$1 auth=${2:-}
        REG_DIR=$TMP/registry-$name
        mkdir -p "$REG_DIR/storage"
        local port
        port=$(free_port)
        REG=127.0.0.1:$port
        {
                echo "version: 0.1"
                echo "log:"
                echo "  level: warn"
                echo "  accesslog:"
                echo "    disabled: true"
                echo "storage:"
                echo "  filesystem:"
                echo "    rootdirectory: $REG_DIR/storage"
                echo "  delete:"
                echo "    enabled: true"
                echo "  redirect:"
                echo "    disable: true"
                echo "http:"
                echo "  addr: $REG"
                echo "  secret: ccompose-test-secret"
                if [ -n "${REG_TLS_CERT:-}" ]; then
                        echo "  tls:"
                        echo "    certificate: $REG_TLS_CERT"
                        echo "    key: $REG_TLS_KEY"
                fi
                [ -n "$auth" ] && cat "$auth"
        } >"$REG_DIR/config.yml"
        local pid
        start_bg pid docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1
        REG_PID=$pid
        if [ -n "${REG_TLS_CERT:-}" ]; then
                wait_http "https://$REG/v2/" -k
        else
                wait_http "http://$REG/v2/"
        fi
}

reg_push() {
        local src=$1 dest=$2; shift 2
        skopeo --insecure-policy copy -q --dest-tls-verify=false "$@" "$src" "docker://$REG/$dest" >/dev/null
}

reg_blob_path() {
        local hex=${2#sha256:}
        echo "$1/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

write_auth() { # SERVER USER PASS
        mkdir -p "$DOCKER_CONFIG"
        printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$(printf '%s:%s' "$2" "$3" | base64 -w0)" \
                >"$DOCKER_CONFIG/config.json"
}
wait_file() {
        local i
        for ((i = 0; i < 200; i++)); do [ -s "$1" ] && return 0; sleep 0.05; done
        return 1
}

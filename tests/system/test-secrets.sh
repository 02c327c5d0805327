#!/bin/bash
# System tests of `secrets:` and `configs:` at run time, as docker compose
# gives them on a local engine: each one a read-only file in the container
# (secrets at /run/secrets/<target>, configs at /<source> or their
# target), with the owner and mode the service asks for (0:0 and 0444 by
# default), from a file, a variable of the project's environment or (for
# configs) inline content. A missing source stops `up` before anything
# starts; the copy on the host is root's alone and goes with the container.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccsec
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"
require_commands jq setpriv stat
# The test's directory is 0700 (mktemp): open it, so that only the modes
# ccompose sets keep other users out of the secrets' host copies.
chmod 0755 "$TMP"

# up_out SERVICE: the lines SERVICE printed in an attached `up` (prefix cut).
up_out() {
        local out
        out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        sed -n "s/^$1-1  *| //p" <<<"$out"
}

t_file_short() {
        mkdir -p "$D/db"
        printf 's3cret' >"$D/db/password.txt"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "echo \"[$(cat /run/secrets/db_password)]\"; grep -c ' /run/secrets/db_password .*ro,' /proc/self/mountinfo"]
    secrets:
      - db_password
secrets:
  db_password:
    file: ./db/password.txt
EOF
        local out; out=$(up_out app) || return 1
        # the content as is, and a read-only mount
        assert_eq "$out" "$(printf '[s3cret]\n1')"
}

t_long_syntax() {
        printf 'k3y' >"$D/key.txt"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "cat /run/secrets/api.key; echo; stat -c '%u %g %a' /run/secrets/api.key /etc/abs/key; { echo x >/run/secrets/api.key; } 2>/dev/null || echo ro"]
    secrets:
      - source: key
        target: api.key
        uid: "103"
        gid: "104"
        mode: 0400
      - source: key
        target: /etc/abs/key
        mode: 0440
secrets:
  key:
    file: ./key.txt
EOF
        local out; out=$(up_out app) || return 1
        assert_eq "$out" "$(printf 'k3y\n103 104 400\n0 0 440\nro')"
}

t_env_secret() {
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "cat /run/secrets/token; echo; stat -c '%u %g %a' /run/secrets/token"]
    secrets: [token]
secrets:
  token:
    environment: CCSEC_TOKEN
EOF
        local out; out=$(CCSEC_TOKEN=from-env up_out app) || return 1
        assert_eq "$out" "$(printf 'from-env\n0 0 444')"
}

t_configs() {
        printf 'listen 80;\n' >"$D/nginx.conf"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "cat /app_config /etc/nginx/nginx.conf; stat -c '%a' /app_config /etc/nginx/nginx.conf"]
    configs:
      - app_config
      - source: nginx
        target: /etc/nginx/nginx.conf
        mode: 0440
configs:
  app_config:
    content: |
      debug=${CCSEC_DEBUG}
  nginx:
    file: ./nginx.conf
EOF
        local out; out=$(CCSEC_DEBUG=true up_out app) || return 1
        assert_eq "$out" "$(printf 'debug=true\nlisten 80;\n444\n440')"
}

t_missing_file() {
        compose <<'EOF'
services:
  first:
    image: busybox:test
    command: ["sleep", "60"]
  app:
    image: busybox:test
    command: ["true"]
    secrets: [db_password]
secrets:
  db_password:
    file: ./no/such/file.txt
EOF
        local out rc
        out=$(ccp up -d 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up succeeded: $out"; return 1; }
        assert_contains "$out" "service app" || return 1
        assert_contains "$out" "secret db_password" || return 1
        assert_contains "$out" "no/such/file.txt" || return 1
        # nothing started, not even the service without secrets
        [ ! -e "$STATE" ] || [ "$(jstate '.containers | length')" = 0 ] ||
                { fail "containers were made: $(jstate '.containers[].name')"; return 1; }
}

t_missing_env() {
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["true"]
    configs: [cfg]
configs:
  cfg:
    environment: CCSEC_UNSET_VARIABLE
EOF
        local out rc
        out=$(env -u CCSEC_UNSET_VARIABLE timeout -k 5 90 "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" up 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up succeeded: $out"; return 1; }
        assert_contains "$out" "service app" || return 1
        assert_contains "$out" "config cfg" || return 1
        assert_contains "$out" "CCSEC_UNSET_VARIABLE" || return 1
}

t_external_refused() {
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["true"]
    secrets: [ext]
secrets:
  ext:
    external: true
EOF
        local out rc
        out=$(ccp up 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "up succeeded: $out"; return 1; }
        assert_contains "$out" "secret ext" || return 1
        assert_contains "$out" "external"
}

t_host_copy_private() {
        printf 'pr1vate-%s' "$P" >"$D/pw.txt"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "cat /run/secrets/pw >/dev/null && touch /done && sleep 1000"]
    secrets: [pw]
secrets:
  pw:
    file: ./pw.txt
EOF
        ccp up -d >/dev/null 2>&1 || { fail "up -d failed"; return 1; }
        local id; id=$(ctr app id)
        local dir=$CCOMPOSE_ROOT/containers/$id
        wait_for 30 test -e "$dir/upper/done" || return 1
        # the engine's copy: somewhere in the container's directory, not in
        # its writable layer
        local copies; copies=$(grep -rlF "pr1vate-$P" "$dir" --exclude-dir=upper --exclude-dir=rootfs 2>/dev/null)
        [ -n "$copies" ] || { fail "no copy of the secret under $dir"; return 1; }
        local f out
        for f in $copies; do
                # readable by its mode (0444): only the directories keep others out
                assert_eq "$(stat -c %a "$f")" 444 "(mode of $f)" || return 1
                if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat "$f" 2>&1); then
                        fail "a host user read the secret at $f: $out"; return 1
                fi
        done
        ccp down -t 0 >/dev/null 2>&1 || { fail "down failed"; return 1; }
        [ ! -e "$dir" ] || { fail "container directory left: $(find "$dir" | head)"; return 1; }
}

t_restart() {
        printf 'one' >"$D/pw.txt"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sleep", "1000"]
    secrets:
      - source: pw
        mode: 0400
secrets:
  pw:
    file: ./pw.txt
EOF
        ccp up -d >/dev/null 2>&1 || { fail "up -d failed"; return 1; }
        assert_eq "$(ccp exec -T app cat /run/secrets/pw)" one || return 1
        # a restart starts again in the same container directory: the file is
        # written again (its current content), with its mode
        printf 'two' >"$D/pw.txt"
        local out; out=$(ccp restart -t 0 2>&1) || { fail "restart failed: $out"; return 1; }
        wait_for 30 is_status app running || return 1
        assert_eq "$(ccp exec -T app sh -c 'cat /run/secrets/pw; stat -c " %a" /run/secrets/pw')" "two 400"
}

t_readonly_tmpfs_run() {
        printf 'ro-ok' >"$D/pw.txt"
        # a read-only root, and a tmpfs at /run made before the file under it
        compose <<'EOF'
services:
  app:
    image: busybox:test
    command: ["sh", "-c", "cat /run/secrets/pw; echo; cat /app.conf"]
    read_only: true
    tmpfs: [/run]
    secrets: [pw]
    configs: [app.conf]
secrets:
  pw:
    file: ./pw.txt
configs:
  app.conf:
    content: on
EOF
        local out; out=$(up_out app) || return 1
        assert_eq "$out" "$(printf 'ro-ok\non')"
}

t_run_one_off() {
        printf 'for-run' >"$D/pw.txt"
        compose <<'EOF'
services:
  app:
    image: busybox:test
    secrets: [pw]
secrets:
  pw:
    file: ./pw.txt
EOF
        local out; out=$(ccp run --rm -T app cat /run/secrets/pw 2>"$TMP/run.err") ||
                { fail "run failed: $out $(cat "$TMP/run.err")"; return 1; }
        assert_eq "$out" for-run || return 1
        rm "$D/pw.txt"
        if out=$(ccp run --rm -T app true 2>&1); then fail "run without the secret's file succeeded: $out"; return 1; fi
        assert_contains "$out" "service app: secret pw"
}

# awesome-compose nginx-golang-postgres (compose.yaml): db reads its
# password from POSTGRES_PASSWORD_FILE=/run/secrets/db-password as user
# postgres, the backend (the Go app reads /run/secrets/db-password) starts
# once db is healthy. Images replaced by busybox, the proxy left out.
t_awesome_nginx_golang_postgres() {
        mkdir -p "$D/db"
        printf 'db-%s' "$P" >"$D/db/password.txt"
        compose <<'EOF'
services:
  backend:
    image: busybox:test
    command: ["sh", "-c", "echo backend password $(cat /run/secrets/db-password)"]
    secrets:
      - db-password
    depends_on:
      db:
        condition: service_healthy

  db:
    image: busybox:test
    command: ["sh", "-c", "echo db password $(cat $$POSTGRES_PASSWORD_FILE) as $(id -u) && touch /tmp/ready && exec sleep 300"]
    restart: always
    user: "70:70"
    secrets:
      - db-password
    volumes:
      - db-data:/var/lib/postgresql/data
    environment:
      - POSTGRES_DB=example
      - POSTGRES_PASSWORD_FILE=/run/secrets/db-password
    expose:
      - 5432
    healthcheck:
      test: [ "CMD", "test", "-f", "/tmp/ready" ]
      interval: 1s
      timeout: 5s
      retries: 30

volumes:
  db-data:

secrets:
  db-password:
    file: db/password.txt
EOF
        local out rc
        out=$(ccp up --abort-on-container-exit --exit-code-from backend 2>&1); rc=$?
        assert_eq "$rc" 0 "(exit code; output: $out)" || return 1
        grep -qxF "db-1       | db password db-$P as 70" <<<"$out" || { fail "db did not read its secret: $out"; return 1; }
        grep -qxF "backend-1  | backend password db-$P" <<<"$out" || fail "backend did not read its secret: $out"
}

# The awesome-compose stacks that use secrets, each as its file is written
# but on the local image (tests/system/awesome-secrets.py): every /run/secrets
# path the file names (an entrypoint's *_PASSWORD_FILE, a healthcheck's
# $(cat ...)) holds the secret, in every service that lists it; `up -d
# --wait` gets past the healthchecks that read it.
CORPUS=${CORPUS:-$SRCDIR/../shared/corpus/awesome-compose}
t_awesome_stack() { # DIR
        local src=$CORPUS/$1
        [ -f "$src/compose.yaml" ] || { fail "$src/compose.yaml missing"; return 1; }
        cp -r "$src/." "$D/"
        local secret="pw-$1-$P"
        printf '%s' "$secret" >"$D/db/password.txt"
        local model
        model=$(ccp config --format json 2>&1) || { fail "config: $model"; return 1; }
        python3 "$SRCDIR/tests/system/awesome-secrets.py" <<<"$model" >"$D/compose.yaml.new" || return 1
        mv "$D/compose.yaml.new" "$D/compose.yaml"
        local out
        out=$(ccp up -d --wait 2>&1) || { fail "up -d --wait: $out"; return 1; }
        local svc path n=0
        for svc in $(jq -r '.services | to_entries[] | select(.value.secrets) | .key' <<<"$model"); do
                for path in $(jq -r ".services[\"$svc\"] | tostring" <<<"$model" | grep -o '/run/secrets/[A-Za-z0-9_.-]*' | sort -u); do
                        out=$(ccp logs --no-log-prefix "$svc" 2>&1)
                        grep -qxF "secret $path=$secret" <<<"$out" || { fail "$svc: $path does not hold the secret: $out"; return 1; }
                        n=$((n + 1))
                done
        done
        [ "$n" -gt 0 ] || fail "no service of $1 names a /run/secrets path"
}
for _d in nginx-aspnet-mysql nginx-flask-mysql nginx-golang-mysql nginx-golang-postgres react-express-mysql \
        react-java-mysql sparkjava-mysql spring-postgres; do
        eval "t_corpus_$(tr - _ <<<"$_d")() { t_awesome_stack $_d; }"
done

run_cases \
        "file secret, short syntax:t_file_short" \
        "long syntax: target, uid, gid, mode:t_long_syntax" \
        "secret from the environment:t_env_secret" \
        "configs: content and file, default path and target:t_configs" \
        "missing secret file: up fails before anything starts:t_missing_file" \
        "unset config variable: up fails:t_missing_env" \
        "external secret refused:t_external_refused" \
        "host copy only root reaches, gone with the container:t_host_copy_private" \
        "restart writes the files again:t_restart" \
        "read-only root and a tmpfs at /run:t_readonly_tmpfs_run" \
        "run (one-off container) gets them too:t_run_one_off" \
        "awesome-compose nginx-golang-postgres:t_awesome_nginx_golang_postgres" \
        "awesome-compose nginx-aspnet-mysql as written:t_corpus_nginx_aspnet_mysql" \
        "awesome-compose nginx-flask-mysql as written:t_corpus_nginx_flask_mysql" \
        "awesome-compose nginx-golang-mysql as written:t_corpus_nginx_golang_mysql" \
        "awesome-compose nginx-golang-postgres as written:t_corpus_nginx_golang_postgres" \
        "awesome-compose react-express-mysql as written:t_corpus_react_express_mysql" \
        "awesome-compose react-java-mysql as written:t_corpus_react_java_mysql" \
        "awesome-compose sparkjava-mysql as written:t_corpus_sparkjava_mysql" \
        "awesome-compose spring-postgres as written:t_corpus_spring_postgres"

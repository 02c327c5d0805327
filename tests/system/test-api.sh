#!/bin/bash
# The Docker Engine API service (`ccompose system service`, issue 16) with
# real clients: raw HTTP over the Unix socket (api-http.py: status codes,
# headers, error bodies, stream framing, bad input), Debian's docker CLI
# (DOCKER_HOST=unix://...: version, info, images, run -d with a published
# port, ps, logs, inspect, stop, wait, rm) and the Python SDK
# (python3-docker). The service is started here and stopped by its PID;
# its socket, containers, veths and bridges are gone at the end.
# Subnets: 10.213.117.0/24 (--bip), 10.213.118.0/24 (a compose project).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands curl
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
PY=/usr/bin/python3 # Debian's, with python3-docker (not another python3 on PATH)
"$PY" -c 'import docker' 2>/dev/null || bail_out "missing the Python docker SDK: run scripts/install-deps.sh (python3-docker)"

P=ccapi$ID
HTTP="$SRCDIR/tests/system/api-http.py"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') # a free port: other tests run at the same time

plan 19

api_prelude 19 "10\.213\.11[78]\." 10.213.117-118.0/24 "api"

on_exit api_cleanup "$P"
start_service 10.213.117.0/24

t_socket() {
        assert_eq "$(stat -c '%a %U' "$SOCK")" "600 root" "(the socket's mode and owner)"
}
t_system() { python3 "$HTTP" "$SOCK" system; }
t_bad_input() { python3 "$HTTP" "$SOCK" bad-input; }
t_logs() { python3 "$HTTP" "$SOCK" logs "logs$ID"; }
t_follow() { python3 "$HTTP" "$SOCK" follow "follow$ID"; }
t_attach() { python3 "$HTTP" "$SOCK" attach "attach$ID"; }
t_concurrent() { python3 "$HTTP" "$SOCK" concurrent 100; }
t_docker_it() { python3 "$HTTP" "$SOCK" docker-it "$DOCKER" "it$ID"; }

t_docker_version_info() {
        local out
        out=$(dk version --format '{{.Server.APIVersion}} {{.Server.Os}} {{.Client.APIVersion}}') || return 1
        assert_eq "$out" "1.41 linux 1.41" || return 1
        out=$(dk info --format '{{.OSType}} {{.Driver}} {{.ServerVersion}}') || return 1
        assert_eq "$out" "linux overlay2 $(cc version --short)"
}

t_docker_images() {
        local out
        out=$(dk images --format '{{.Repository}}:{{.Tag}}') || return 1
        assert_contains "$out" "busybox:test" || return 1
        out=$(dk image inspect -f '{{.Os}}' busybox:test) || return 1
        assert_eq "$out" linux
}

# docker run -d with a published port; what the container serves, ps,
# logs, inspect; stop, wait, rm; nothing of it is left
t_docker_run() {
        local id out proj
        id=$(dk run -d --name "web$ID" -p "127.0.0.1:$PORT:80" -e 'GREETING=hello $USER' -l app=web busybox:test \
                sh -c 'echo "$GREETING"; echo to-stderr >&2; mkdir -p /www; echo served > /www/index.html; exec httpd -f -p 80 -h /www') ||
                return 1
        [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "docker run -d printed '$id'" || return 1
        out=$(dk ps --format '{{.Names}} {{.Image}} {{.Ports}}' --filter "label=app=web") || return 1
        assert_eq "$out" "web$ID busybox:test 127.0.0.1:$PORT->80/tcp" || return 1
        for _ in $(seq 1 100); do out=$(curl -s "http://127.0.0.1:$PORT/") && [ "$out" = served ] && break; sleep 0.1; done
        assert_eq "$out" served "(the published port)" || return 1
        out=$(dk logs "web$ID" 2>"$TMP/err") || return 1
        assert_eq "$out" 'hello $USER' "(stdout of docker logs)" || return 1
        assert_eq "$(cat "$TMP/err")" to-stderr "(stderr of docker logs)" || return 1
        out=$(dk inspect -f '{{.State.Status}} {{.Name}} {{index .Config.Labels "app"}}' "${id:0:12}") || return 1
        assert_eq "$out" "running /web$ID web" || return 1
        out=$(dk rm "web$ID" 2>&1) && { fail "docker rm of a running container worked: $out"; return 1; }
        assert_contains "$out" "You cannot remove a running container" || return 1
        dk stop -t 1 "web$ID" >/dev/null || return 1
        out=$(dk ps -a --format '{{.Names}} {{.Status}}' --filter "name=web$ID") || return 1
        assert_contains "$out" "web$ID Exited (137)" || return 1
        assert_eq "$(dk wait "web$ID")" 137 || return 1
        proj=$(project_of "web$ID")
        [ -n "$proj" ] && [ -d "$CCOMPOSE_RUNTIME_DIR/$proj" ] || fail "no project of web$ID" || return 1
        assert_eq "$(dk rm "web$ID")" "web$ID" || return 1
        assert_eq "$(dk ps -a -q --filter "name=web$ID")" "" "(after rm)" || return 1
        [ ! -e "$CCOMPOSE_RUNTIME_DIR/$proj" ] || fail "the container's project $proj is left" || return 1
        assert_eq "$(links_of "$proj")" "" "(its veth)" || return 1
        [ -n "$(api_bridge)" ] || fail "docker's bridge network is gone while the service runs" || return 1
        curl -s -m 2 "http://127.0.0.1:$PORT/" >/dev/null && { fail "port $PORT still answers"; return 1; }
        return 0
}

# docker run in the foreground: its output on our stdout and stderr, its
# exit code ours; --rm: the container is gone when run returns; -t
t_docker_run_fg() {
        local out rc
        out=$(dk run --name "fg$ID" busybox:test sh -c 'echo out; echo err >&2; exit 3' 2>"$TMP/err"); rc=$?
        assert_eq "$rc" 3 "(exit code of docker run)" || return 1
        assert_eq "$out" out || return 1
        assert_eq "$(cat "$TMP/err")" err || return 1
        assert_contains "$(dk ps -a --format '{{.Names}} {{.Status}}')" "fg$ID Exited (3)" || return 1
        dk rm "fg$ID" >/dev/null || return 1
        # one on no network beside (the next one's subnet is picked among theirs)
        dk run -d --network none --name "none$ID" busybox:test sleep 300 >/dev/null || return 1
        assert_eq "$(dk inspect -f '{{.HostConfig.NetworkMode}}' "none$ID")" none || return 1
        out=$(dk run --rm --name "rm$ID" busybox:test sh -c 'echo bye; exit 5'); rc=$?
        assert_eq "$rc" 5 "(exit code of docker run --rm)" || return 1
        assert_eq "$out" bye || return 1
        assert_eq "$(dk ps -a -q --filter "name=rm$ID")" "" "(--rm: the container is gone)" || return 1
        assert_eq "$(project_of "rm$ID")" "" "(--rm: its project is gone)" || return 1
        dk rm -f "none$ID" >/dev/null || return 1
        out=$(dk run --rm -t busybox:test sh -c 'echo on-a-tty; exit 4' </dev/null); rc=$?
        assert_eq "$rc" 4 "(exit code of docker run -t)" || return 1
        assert_eq "$(tr -d '\r' <<<"$out")" on-a-tty
}

# docker pause stops its output (the cgroup freezer), unpause resumes it;
# restart runs it again
t_docker_pause_restart() {
        local a b n=0
        dk run -d --name "tick$ID" busybox:test sh -c 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done' >/dev/null || return 1
        for _ in $(seq 1 100); do [ -n "$(dk logs "tick$ID")" ] && break; sleep 0.1; done
        dk pause "tick$ID" >/dev/null || return 1
        assert_contains "$(dk ps --format '{{.Names}} {{.Status}}')" "tick$ID Up" || return 1
        assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' "tick$ID")" "paused true" || return 1
        b=$(dk pause "tick$ID" 2>&1) && { fail "a second pause worked: $b"; return 1; }
        assert_contains "$b" "is already paused" || return 1
        sleep 0.5
        a=$(dk logs "tick$ID" | tail -1)
        sleep 1
        b=$(dk logs "tick$ID" | tail -1)
        assert_eq "$b" "$a" "(output while paused)" || return 1
        dk unpause "tick$ID" >/dev/null || return 1
        for _ in $(seq 1 100); do b=$(dk logs "tick$ID" | tail -1); [ "$b" != "$a" ] && break; sleep 0.1; done
        [ "$b" != "$a" ] || fail "no output after unpause" || return 1
        dk restart -t 0 "tick$ID" >/dev/null || return 1
        for _ in $(seq 1 100); do n=$(dk logs "tick$ID" | grep -cx 1); [ "$n" -ge 2 ] && break; sleep 0.1; done
        assert_eq "$n" 2 "(runs after restart)" || return 1
        assert_eq "$(dk inspect -f '{{.State.Status}}' "tick$ID")" running || return 1
        assert_eq "$(dk rm -f "tick$ID")" "tick$ID"
}

# docker run -d, then rm -f of the running container; a restart policy
t_docker_rm_force() {
        dk run -d --name "keep$ID" --restart always busybox:test sh -c 'sleep 1; exit 1' >/dev/null || return 1
        assert_eq "$(dk inspect -f '{{.HostConfig.RestartPolicy.Name}}' "keep$ID")" always || return 1
        local proj n=0
        proj=$(project_of "keep$ID")
        for _ in $(seq 1 150); do
                n=$(dk inspect -f '{{.RestartCount}}' "keep$ID") && [ "$n" -ge 1 ] && break
                sleep 0.1
        done
        [ "$n" -ge 1 ] || fail "restart: always did not restart it (RestartCount $n)" || return 1
        assert_eq "$(dk rm -f "keep$ID")" "keep$ID" || return 1
        [ -n "$proj" ] && [ ! -e "$CCOMPOSE_RUNTIME_DIR/$proj" ] || fail "the project ($proj) of keep$ID is left" || return 1
}

# Debian's python3-docker drives it too
t_python_sdk() {
        "$PY" - "$SOCK" "sdk$ID" <<'EOF'
import sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="1.41")
assert c.ping()
ctr = c.containers.run("busybox:test", ["sh", "-c", "echo from-sdk; exit 7"], name=sys.argv[2], detach=True)
res = ctr.wait(timeout=60)
assert res["StatusCode"] == 7, res
assert ctr.logs() == b"from-sdk\n", ctr.logs()
ctr.reload()
assert ctr.status == "exited", ctr.status
assert sys.argv[2] in [x.name for x in c.containers.list(all=True)]
ctr.remove()
assert sys.argv[2] not in [x.name for x in c.containers.list(all=True)]
EOF
}

# a compose project and API containers in the lists
t_lists() {
        mkdir -p "$TMP/proj"
        cat >"$TMP/proj/compose.yaml" <<EOF
services:
  app:
    image: busybox:test
    command: ["sleep", "300"]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.118.0/24
EOF
        (cd "$TMP/proj" && cc -p "$P" up -d >/dev/null 2>&1) || { fail "up -d of the compose project"; return 1; }
        dk run -d --name "run$ID" busybox:test sleep 300 >/dev/null || return 1
        python3 "$HTTP" "$SOCK" list "run$ID" "logs$ID" "$P" || return 1
        python3 "$HTTP" "$SOCK" remove "logs$ID" || return 1
        python3 "$HTTP" "$SOCK" remove "follow$ID" || return 1
        dk rm -f "run$ID" >/dev/null || return 1
        (cd "$TMP/proj" && cc -p "$P" down -t 0 >/dev/null 2>&1) || return 1
        assert_eq "$(dk ps -a -q)" "" "(every container gone)"
}

# SIGTERM ends the service, which removes its socket; --time ends an idle one
t_stop() {
        kill "$SVC_PID" || return 1
        for _ in $(seq 1 200); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$SVC_PID" 2>/dev/null && { fail "the service (pid $SVC_PID) did not exit on SIGTERM"; return 1; }
        [ -e "$SOCK" ] && { fail "$SOCK left behind"; return 1; }
        "$CCOMPOSE" system service --host "unix://$TMP/idle.sock" --time 1 >"$TMP/idle.log" 2>&1 &
        local pid=$!
        for _ in $(seq 1 200); do [ -S "$TMP/idle.sock" ] && break; sleep 0.05; done
        curl -s --unix-socket "$TMP/idle.sock" http://d/_ping >/dev/null || { kill "$pid"; fail "idle service: no answer"; return 1; }
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "--time 1: still running after 15 s idle"; return 1; }
        [ -e "$TMP/idle.sock" ] && { fail "idle.sock left behind"; return 1; }
        return 0
}

# nothing of the API's containers is left: no project, veth, bridge or process
t_nothing_left() {
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(links_of "$P")" "" "(links of $P)" || return 1
        [ -z "$(api_links)" ] || fail "links of API containers left: $(api_links)" || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)" || return 1
        ! pgrep -f "$SOCK" >/dev/null || fail "a process still names $SOCK" || return 1
}

t "socket is 0600 root" t_socket
t "/_ping /version /info, 404/405 bodies, keep-alive, pipelining (raw HTTP)" t_system
t "bad input: malformed JSON, unknown fields, huge body, garbage, clients leaving" t_bad_input
t "create/start/wait (next-exit, not-running), logs framing tail timestamps since, inspect, kill/stop of a stopped one" t_logs
t "logs follow until exit; a follower leaving" t_follow
t "docker version / info" t_docker_version_info
t "docker images / image inspect" t_docker_images
t "docker run -d -p, ps, curl, logs, inspect, rm refused, stop, wait, rm" t_docker_run
t "docker run --restart always, rm -f" t_docker_rm_force
t "docker pause (no output, 409 twice), unpause, restart" t_docker_pause_restart
t "docker run (foreground): output, stderr, exit code; --rm; -t" t_docker_run_fg
t "attach: 101 UPGRADED, framed output until exit" t_attach
t "docker run --rm -it busybox sh on a terminal: typed commands run, exit code, removed" t_docker_it
t "100 concurrent clients: every answer whole, the service serving after" t_concurrent
t "python3-docker: run, wait, logs, list, remove" t_python_sdk
t "lists: filters label/name/status/id, compose labels, images, networks, volumes; remove" t_lists
t "SIGTERM stops the service and removes the socket; --time idles out" t_stop
t "nothing left behind" t_nothing_left
t "service log has no crash" bash -c "! grep -qiE 'sanitizer|segmentation|abort' '$TMP/service.log'"
done_testing

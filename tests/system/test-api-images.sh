#!/bin/bash
# The Docker Engine API service's images, build, networks and volumes
# (issue 16) with real clients: Debian's docker CLI (pull, push against a
# local registry, tag, rmi, history, save | load, build, image prune,
# network and volume commands), raw HTTP for the errors, and Debian's
# docker-compose 1.29 bringing a stack up and down through the socket.
# The service is started here and stopped by its PID; its socket,
# containers, veths, bridges, volumes and temporary files are gone at the end.
# Subnets: 10.213.110.0/24 (--bip), 10.213.111.0/24-10.213.114.0/24 (networks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
require_commands curl docker-registry htpasswd
COMPOSE1=/usr/bin/docker-compose # Debian's docker-compose 1.29
[ -x "$COMPOSE1" ] || bail_out "missing $COMPOSE1: run scripts/install-deps.sh (it installs docker-compose)"
mkdir -p "$DOCKER_CONFIG"
N=14
plan $N

api_prelude $N "10\.213\.11[0-4]\." 10.213.110-114.0/24 "api images"

# the temporary files of the service's requests (archives, contexts, credentials)
api_tmp() { ls -d /tmp/ccompose-api-* 2>/dev/null | while read -r d; do [ -O "$d" ] && find "$d" -newer "$TMP" -maxdepth 0; done; }
on_exit api_cleanup
start_service 10.213.110.0/24
# HTTP on the socket: curl -s --unix-socket, printing the body then the status
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "$@"; }

# push to a registry on loopback, remove, pull back; what is not there
t_pull_push() {
        reg_start apii || return 1
        local out
        dk tag busybox:test "$REG/apii/bb:t1" || return 1
        out=$(dk push "$REG/apii/bb:t1" 2>&1) || { fail "push: $out"; return 1; }
        assert_contains "$out" "The push refers to repository [$REG/apii/bb]" || return 1
        assert_contains "$out" "t1: digest: sha256:" || return 1
        assert_eq "$(curl -sf "http://$REG/v2/apii/bb/tags/list")" '{"name":"apii/bb","tags":["t1"]}' "(the registry's tags)" || return 1
        out=$(dk rmi "$REG/apii/bb:t1") || return 1
        assert_eq "$out" "Untagged: $REG/apii/bb:t1" || return 1
        out=$(dk pull "$REG/apii/bb:t1" 2>&1) || { fail "pull: $out"; return 1; }
        assert_contains "$out" "Status: Downloaded newer image for $REG/apii/bb:t1" || return 1
        assert_eq "$(tail -1 <<<"$out")" "$REG/apii/bb:t1" "(the last line, once)" || return 1
        assert_eq "$(grep -cx "$REG/apii/bb:t1" <<<"$out")" 1 || return 1
        assert_eq "$(dk image inspect -f '{{.Id}}' "$REG/apii/bb:t1")" "$(dk image inspect -f '{{.Id}}' busybox:test)" || return 1
        out=$(dk pull "$REG/apii/missing:t1" 2>&1) && { fail "pulled what is not there: $out"; return 1; }
        assert_contains "$out" "manifest unknown" || return 1
        # an X-Registry-Auth that is not base64 JSON
        out=$(api -X POST -H 'X-Registry-Auth: !!' "http://d/images/create?fromImage=$REG/apii/bb&tag=t1")
        assert_eq "$(tail -1 <<<"$out")" 400 || return 1
        dk rmi "$REG/apii/bb:t1" >/dev/null
}

# docker login (POST /auth) against a registry with Basic auth; push and
# pull with the credentials the docker CLI then sends (X-Registry-Auth);
# a wrong password and no credentials refused
t_auth() {
        local out W=$TMP/auth
        mkdir -p "$W"
        htpasswd -Bbn alice secret >"$W/htpasswd" 2>/dev/null || return 1
        printf 'auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n' "$W/htpasswd" >"$W/auth-basic.yml"
        reg_start basic "$W/auth-basic.yml" || return 1
        dk tag busybox:test "$REG/private/bb:1" || return 1
        out=$(dk push "$REG/private/bb:1" 2>&1) && { fail "pushed without credentials: $out"; return 1; }
        assert_contains "$out" "requires authentication" || return 1
        out=$(echo wrong | dk login -u alice --password-stdin "$REG" 2>&1) && { fail "logged in with a wrong password"; return 1; }
        assert_contains "$out" "login to $REG failed" || return 1
        out=$(echo secret | dk login -u alice --password-stdin "$REG" 2>&1) || { fail "login: $out"; return 1; }
        assert_contains "$out" "Login Succeeded" || return 1
        out=$(dk push "$REG/private/bb:1" 2>&1) || { fail "push with credentials: $out"; return 1; }
        assert_contains "$out" "1: digest: sha256:" || return 1
        dk rmi "$REG/private/bb:1" >/dev/null || return 1
        out=$(dk pull "$REG/private/bb:1" 2>&1) || { fail "pull with credentials: $out"; return 1; }
        assert_contains "$out" "Status: Downloaded newer image for $REG/private/bb:1" || return 1
        dk logout "$REG" >/dev/null || return 1
        dk rmi "$REG/private/bb:1" >/dev/null || return 1
        out=$(dk pull "$REG/private/bb:1" 2>&1) && { fail "pulled after logout: $out"; return 1; }
        assert_contains "$out" "requires authentication" || return 1
}

# tag, rmi (untag; an image a container uses is refused, 409), rmi -f
t_tag_rmi() {
        local out
        dk tag busybox:test "apii/one:1" || return 1
        dk tag busybox:test "apii/two:2" || return 1
        out=$(dk images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')
        assert_eq "$out" "apii/one:1 apii/two:2 busybox:test " || return 1
        out=$(dk tag nothing:here apii/x:1 2>&1) && { fail "tagged a missing image"; return 1; }
        assert_contains "$out" "No such image: nothing:here" || return 1
        out=$(dk rmi "$(dk image inspect -f '{{.Id}}' busybox:test)" 2>&1) && { fail "removed an image of 3 tags: $out"; return 1; }
        assert_contains "$out" "must be forced" || return 1
        assert_eq "$(dk rmi apii/one:1)" "Untagged: apii/one:1" || return 1
        dk create --network none --name "user$ID" apii/two:2 true >/dev/null || return 1
        dk rmi busybox:test >/dev/null || return 1
        out=$(api -X DELETE "http://d/images/apii/two:2")
        assert_eq "$(tail -1 <<<"$out")" 409 "(an image a container uses: $out)" || return 1
        assert_contains "$out" "container user$ID is using its referenced image" || return 1
        dk rm "user$ID" >/dev/null || return 1
        out=$(dk rmi apii/two:2) || return 1
        assert_contains "$out" "Untagged: apii/two:2" || return 1
        assert_contains "$out" "Deleted: sha256:" || return 1
        assert_eq "$(dk images -q)" "" "(no image is left)" || return 1
        out=$(dk rmi apii/two:2 2>&1) && { fail "removed it twice"; return 1; }
        assert_contains "$out" "No such image" || return 1
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null
}

# docker save (one image, two names), docker load back, from a pipe too
t_save_load() {
        local out id
        id=$(dk image inspect -f '{{.Id}}' busybox:test) || return 1
        dk tag busybox:test apii/saved:1 || return 1
        dk save -o "$TMP/saved.tar" busybox:test apii/saved:1 || return 1
        tar -tf "$TMP/saved.tar" | grep -qx manifest.json || fail "no manifest.json in the archive" || return 1
        dk rmi busybox:test apii/saved:1 >/dev/null || return 1
        out=$(dk load -i "$TMP/saved.tar") || return 1
        assert_contains "$out" "Loaded image: busybox:test" || return 1
        assert_contains "$out" "Loaded image: apii/saved:1" || return 1
        assert_eq "$(dk image inspect -f '{{.Id}}' apii/saved:1)" "$id" || return 1
        dk rmi apii/saved:1 >/dev/null || return 1
        # save | load through two requests of the same service
        out=$(dk save busybox:test | dk load) || return 1
        assert_eq "$out" "Loaded image: busybox:test" || return 1
        out=$(dk save nothing:here 2>&1 >/dev/null) && { fail "saved a missing image"; return 1; }
        assert_contains "$out" "No such image" || return 1
        out=$(api -X POST --data-binary 'not a tar' "http://d/images/load")
        assert_eq "$(tail -1 <<<"$out")" 400 "(a load of garbage: $out)" || return 1
        assert_contains "$out" "malformed archive" || return 1
}

# docker build of a context (Dockerfile FROM the test image): -t, -f,
# --build-arg, --label, --target, -q, a failing step; history
t_build() {
        local ctx=$TMP/ctx out id
        mkdir -p "$ctx/sub"
        echo hello-file >"$ctx/sub/file.txt"
        cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox:test AS base
ARG GREETING=none
RUN echo "$GREETING" > /greeting
COPY sub/file.txt /file.txt
FROM base AS final
LABEL stage=final
RUN echo final > /final
EOF
        printf 'FROM busybox:test\nRUN echo other > /other\n' >"$ctx/Other.Dockerfile"
        out=$(dk build -t "apii/built:1" --build-arg GREETING=hi --label from=api --target base "$ctx" 2>&1) ||
                { fail "build: $out"; return 1; }
        assert_contains "$out" "Successfully built" || return 1
        assert_contains "$out" "Successfully tagged apii/built:1" || return 1
        out=$(dk run --rm --network none apii/built:1 cat /greeting /file.txt) || return 1
        assert_eq "$out" "hi
hello-file" || return 1
        assert_eq "$(dk image inspect -f '{{index .Config.Labels "from"}} {{index .Config.Labels "stage"}}' apii/built:1)" "api " || return 1
        out=$(dk history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' apii/built:1) || return 1
        assert_contains "$(head -1 <<<"$out")" "COPY sub/file.txt /file.txt" "(newest first)" || return 1
        assert_contains "$out" 'RUN /bin/sh -c echo "$GREETING" > /greeting # buildkit|3B' || return 1
        assert_eq "$(dk history -q apii/built:1 | head -1)" "$(dk image inspect -f '{{.Id}}' apii/built:1 | cut -c8-19)" || return 1
        id=$(dk build -q -f "$ctx/Other.Dockerfile" "$ctx") || return 1
        [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "build -q printed '$id'" || return 1
        assert_eq "$(dk run --rm --network none "$id" cat /other)" other || return 1
        printf 'FROM busybox:test\nRUN echo failing; exit 3\n' >"$ctx/Bad.Dockerfile"
        out=$(dk build -f "$ctx/Bad.Dockerfile" "$ctx" 2>&1) && { fail "a failing build succeeded: $out"; return 1; }
        assert_contains "$out" "exit code: 3" || return 1
        # what the builder does not do is refused, named
        out=$(api -X POST -H 'Content-Type: application/x-tar' --data-binary @"$IMAGES/rootfs.tar" "http://d/build?memory=1000000")
        assert_eq "$(tail -1 <<<"$out")" 400 || return 1
        assert_contains "$out" "the parameter memory=1000000 of build is not supported" || return 1
        dk rmi apii/built:1 "$id" >/dev/null
}

# image prune: the untagged images; -a: every image no container uses
t_image_prune() {
        local out id
        printf 'FROM busybox:test\nRUN echo 1 > /one\n' | dk build -q -t apii/prune:1 - >/dev/null || return 1
        printf 'FROM busybox:test\nRUN echo 2 > /two\n' | dk build -q -t apii/prune:1 - >/dev/null || return 1
        # the list's filters: dangling, reference, label
        assert_eq "$(dk images -q --filter dangling=true | wc -l)" 1 "(the image the second build untagged)" || return 1
        assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}}' --filter reference='apii/*')" "apii/prune:1" || return 1
        assert_eq "$(dk images --format '{{.Repository}}' --filter reference=busybox --filter dangling=false)" busybox || return 1
        assert_eq "$(dk images -q --filter label=nothing=here)" "" || return 1
        out=$(dk images --filter since=busybox:test 2>&1) && { fail "an unsupported filter worked: $out"; return 1; }
        assert_contains "$out" "the filter since of the image list is not supported" || return 1
        out=$(dk image prune -f) || return 1
        assert_contains "$out" "deleted: sha256:" || return 1
        assert_contains "$out" "Total reclaimed space:" || return 1
        assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "apii/prune:1 busybox:test " || return 1
        dk create --network none --name "keep$ID" busybox:test true >/dev/null || return 1
        out=$(dk image prune -a -f) || return 1
        assert_contains "$out" "untagged: apii/prune:1" || return 1
        assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}}')" "busybox:test" "(the image a container uses stays)" || return 1
        dk rm "keep$ID" >/dev/null
}

# network create (subnet, labels), inspect, ls, a duplicate, connect of a
# made container (not supported: a clear error), rm, prune
t_networks() {
        local out id
        id=$(dk network create --subnet 10.213.111.0/24 --label team=apii "net$ID") || return 1
        [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "network create printed '$id'" || return 1
        out=$(dk network inspect -f '{{.Name}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}' "${id:0:12}") || return 1
        assert_eq "$out" "net$ID bridge 10.213.111.0/24 10.213.111.1 apii" || return 1
        assert_contains "$(dk network ls --format '{{.Name}}')" "net$ID" || return 1
        # the list's filters
        assert_eq "$(dk network ls --format '{{.Name}}' --filter name="t$ID")" "net$ID" || return 1
        assert_eq "$(dk network ls --format '{{.Name}}' --filter label=team=apii --filter type=custom)" "net$ID" || return 1
        assert_eq "$(dk network ls --format '{{.Name}}' --filter type=builtin | sort | tr '\n' ' ')" "bridge host none " || return 1
        assert_eq "$(dk network ls --format '{{.Name}}' --filter driver=null)" none || return 1
        assert_eq "$(dk network ls -q --filter id="${id:0:10}")" "${id:0:12}" || return 1
        out=$(dk network ls --filter scope=swarm 2>&1) && { fail "an unsupported filter worked"; return 1; }
        assert_contains "$out" "the filter scope of the network list is not supported" || return 1
        out=$(dk network create "net$ID" 2>&1) && { fail "made it twice"; return 1; }
        assert_contains "$out" "network with name net$ID already exists" || return 1
        out=$(dk network create -d overlay "ov$ID" 2>&1) && { fail "made an overlay network"; return 1; }
        assert_contains "$out" "only the bridge driver" || return 1
        out=$(dk network connect "net$ID" nothing 2>&1) && { fail "connect worked: $out"; return 1; }
        assert_contains "$out" "No such container: nothing" || return 1
        out=$(dk network rm bridge 2>&1) && { fail "removed bridge"; return 1; }
        assert_contains "$out" "pre-defined network" || return 1
        assert_eq "$(dk network rm "net$ID")" "net$ID" || return 1
        out=$(dk network inspect "net$ID" 2>&1) && { fail "still there: $out"; return 1; }
        assert_contains "$out" "No such network" || return 1
        dk network create --subnet 10.213.112.0/24 "p1$ID" >/dev/null || return 1
        out=$(dk network prune -f) || return 1
        assert_contains "$out" "p1$ID" || return 1
        assert_eq "$(dk network ls -q | wc -l)" 3 "(bridge, host, none)"
}

# volume create (labels, generated name), inspect, ls, rm, prune
t_volumes() {
        local out anon
        assert_eq "$(dk volume create --label team=apii "vol$ID")" "vol$ID" || return 1
        out=$(dk volume inspect -f '{{.Name}} {{.Driver}} {{.Labels.team}} {{.Mountpoint}}' "vol$ID") || return 1
        assert_eq "$out" "vol$ID local apii $CCOMPOSE_ROOT/volumes/vol$ID/_data" || return 1
        assert_eq "$(dk volume create "vol$ID")" "vol$ID" "(creating it again: the same one)" || return 1
        anon=$(dk volume create) || return 1
        [[ "$anon" =~ ^[0-9a-f]{64}$ ]] || fail "an unnamed volume is '$anon'" || return 1
        assert_eq "$(dk volume ls -q | sort | tr '\n' ' ')" "$(printf '%s\n' "$anon" "vol$ID" | sort | tr '\n' ' ')" || return 1
        assert_eq "$(dk volume ls -q --filter name="l$ID")" "vol$ID" || return 1
        assert_eq "$(dk volume ls -q --filter label=team)" "vol$ID" || return 1
        assert_eq "$(dk volume ls -q --filter label=team=other)" "" || return 1
        out=$(dk volume create -o type=tmpfs "opt$ID" 2>&1) && { fail "made a volume with options"; return 1; }
        assert_contains "$out" "DriverOpts of a volume are not supported" || return 1
        out=$(dk volume create "bad/name" 2>&1) && { fail "made bad/name"; return 1; }
        assert_eq "$(dk volume rm "$anon")" "$anon" || return 1
        out=$(dk volume inspect "$anon" 2>&1) && { fail "still there"; return 1; }
        assert_contains "$out" "No such volume" || return 1
        echo data >"$CCOMPOSE_ROOT/volumes/vol$ID/_data/f"
        out=$(dk volume prune -f --filter label=team=other) || return 1
        assert_not_contains "$out" "vol$ID" || return 1
        out=$(dk volume prune -f) || return 1
        assert_contains "$out" "vol$ID" || return 1
        assert_contains "$out" "Total reclaimed space: 5B" || return 1
        [ ! -e "$CCOMPOSE_ROOT/volumes/vol$ID" ] || fail "the volume's directory is left"
}

# bad input to the new endpoints: clear errors, the service serving
t_bad_input() {
        local out
        out=$(api -X POST -H 'Content-Type: application/json' -d '{"Name": ' http://d/networks/create)
        assert_eq "$(tail -1 <<<"$out")" 400 || return 1
        assert_contains "$out" "invalid JSON" || return 1
        out=$(api -X POST -H 'Content-Type: application/json' -d '{"Name": "x", "Frobnicate": true}' http://d/volumes/create)
        assert_contains "$out" "the field Frobnicate of a volume create is not supported" || return 1
        out=$(api -X POST "http://d/images/create?fromSrc=-")
        assert_eq "$(tail -1 <<<"$out")" 400 || return 1
        out=$(api "http://d/images/nothing/history")
        assert_eq "$(tail -1 <<<"$out")" 404 || return 1
        out=$(api "http://d/images/busybox:test/history?verbose=1")
        assert_contains "$out" "the parameter verbose of image history is not supported" || return 1
        out=$(api -X DELETE "http://d/volumes/nothing")
        assert_eq "$(tail -1 <<<"$out")" 404 || return 1
        # a client that leaves in the middle of a save
        python3 - "$SOCK" <<'EOF' || return 1
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /images/get?names=busybox:test HTTP/1.1\r\nHost: d\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.1 200"); s.close()
EOF
        assert_eq "$(curl -s --unix-socket "$SOCK" http://d/_ping)" OK
}

# docker run on a network made through the API, with an alias and a named
# volume: another container reaches it by the alias; the volume and the
# network are refused removal while it runs (409, 403), go after
t_run_on_network() {
        local out id
        dk network create --subnet 10.213.111.0/24 "run$ID" >/dev/null || return 1
        dk volume create "data$ID" >/dev/null || return 1
        id=$(dk run -d --name "srv$ID" --network "run$ID" --network-alias srv -v "data$ID:/data" busybox:test \
                sh -c 'echo on-volume > /data/f; exec httpd -f -p 80 -h /data') || return 1
        for _ in $(seq 1 100); do [ -s "$CCOMPOSE_ROOT/volumes/data$ID/_data/f" ] && break; sleep 0.1; done
        out=$(dk run --rm --network "run$ID" busybox:test wget -qO- http://srv/f) || return 1
        assert_eq "$out" on-volume "(by its alias, from the named volume)" || return 1
        out=$(dk run --rm --network "run$ID" busybox:test wget -qO- "http://srv$ID/f") || return 1
        assert_eq "$out" on-volume "(by its name)" || return 1
        assert_eq "$(dk network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' "run$ID")" "srv$ID 10.213.111.2/24" || return 1
        assert_eq "$(dk volume ls -q --filter dangling=false)" "data$ID" "(the volume in use)" || return 1
        assert_eq "$(dk volume ls -q --filter dangling=true)" "" || return 1
        out=$(dk volume rm "data$ID" 2>&1) && { fail "removed a volume in use"; return 1; }
        assert_contains "$out" "volume is in use - [$id]" || return 1
        out=$(dk network rm "run$ID" 2>&1) && { fail "removed a network in use"; return 1; }
        assert_contains "$out" "has active endpoints" || return 1
        out=$(api -X POST -H 'Content-Type: application/json' \
                -d '{"Image": "busybox:test", "HostConfig": {"NetworkMode": "nothing'"$ID"'"}}' http://d/containers/create)
        assert_eq "$(tail -1 <<<"$out")" 404 || return 1
        assert_contains "$out" "network nothing$ID not found" || return 1
        dk rm -f "srv$ID" >/dev/null || return 1
        assert_eq "$(dk volume rm "data$ID")" "data$ID" "(the container's removal left the named volume)" || return 1
        assert_eq "$(dk network rm "run$ID")" "run$ID" || return 1
}

# network connect/disconnect (10.213.113.0/24) of a container created and
# not started: its start joins the network (an interface, the address given, its
# name known to the others there, both ways); inspect shows it and its alias;
# connecting twice or with a bad address refused; after disconnect and a
# new start its interface and veth are gone. A running container: connect
# hot-plugs (interface, address, /etc/hosts, its name known both ways),
# disconnect takes it all away, the container running on
t_connect() {
        local out p
        dk network create --subnet 10.213.113.0/24 "cn$ID" >/dev/null || return 1
        dk run -d --name "peer$ID" --network "cn$ID" busybox:test \
                sh -c 'echo peer >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        dk create --name "cli$ID" busybox:test sh -c 'echo cli >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        p=$(project_of "cli$ID")
        out=$(dk network connect --ip 300.1.1.1 "cn$ID" "cli$ID" 2>&1) && { fail "connected with a bad address"; return 1; }
        assert_contains "$out" "invalid IPv4 address: 300.1.1.1" || return 1
        out=$(dk network connect --ip 10.213.114.5 "cn$ID" "cli$ID" 2>&1) && { fail "connected off the subnet"; return 1; }
        assert_contains "$out" "not a host address of network cn$ID (10.213.113.0/24)" || return 1
        dk network connect --alias clia --ip 10.213.113.50 "cn$ID" "cli$ID" || return 1
        out=$(dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "cli$ID") || return 1
        assert_eq "$out" "bridge cn$ID " "(inspect of the created container)" || return 1
        out=$(dk network connect "cn$ID" "cli$ID" 2>&1) && { fail "connected twice: $out"; return 1; }
        assert_contains "$out" "already exists in network cn$ID" || return 1
        dk start "cli$ID" >/dev/null || return 1
        out=$(dk exec "cli$ID" ip -4 -o addr show) || return 1
        assert_contains "$out" "inet 10.213.113.50/24" "(its interface on the network)" || return 1
        out=$(dk inspect -f "{{with index .NetworkSettings.Networks \"cn$ID\"}}{{.IPAddress}} {{.IPAMConfig.IPv4Address}}{{end}}" "cli$ID") || return 1
        assert_eq "$out" "10.213.113.50 10.213.113.50" "(the address given to connect)" || return 1
        out=$(dk exec "cli$ID" timeout 20 wget -qO- "http://peer$ID/i") || { fail "cli -> peer: $out"; return 1; }
        assert_eq "$out" peer "(the connected container reaches the other by name)" || return 1
        out=$(dk exec "peer$ID" timeout 20 wget -qO- "http://cli$ID/i") || { fail "peer -> cli: $out"; return 1; }
        assert_eq "$out" cli "(... and is reached by its name)" || return 1
        out=$(dk inspect -f "{{(index .NetworkSettings.Networks \"cn$ID\").Aliases}}" "cli$ID") || return 1
        assert_contains "$out" "[clia " "(its alias)" || return 1
        out=$(dk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "cn$ID" | tr ' ' '\n' | sort | xargs)
        assert_eq "$out" "cli$ID peer$ID" "(the network's containers)" || return 1
        assert_eq "$(links_of "$p" | grep -c '^ccv-')" 2 "(veths: the default network's and cn's)" || return 1
        dk stop -t 0 "cli$ID" >/dev/null || return 1
        dk network disconnect "cn$ID" "cli$ID" || return 1
        out=$(dk network disconnect "cn$ID" "cli$ID" 2>&1) && { fail "disconnected twice: $out"; return 1; }
        assert_contains "$out" "is not connected to network cn$ID" || return 1
        assert_eq "$(dk inspect -f '{{len .NetworkSettings.Networks}}' "cli$ID")" 1 "(bridge only)" || return 1
        dk start "cli$ID" >/dev/null || return 1
        out=$(dk exec "cli$ID" ip -4 -o addr show) || return 1
        assert_not_contains "$out" "10.213.113." "(no interface on it after disconnect)" || return 1
        assert_eq "$(links_of "$p" | grep -c '^ccv-')" 1 "(its veth on cn is gone)" || return 1
        out=$(dk exec "peer$ID" timeout 20 wget -qO- "http://cli$ID/i" 2>&1) && { fail "still reached: $out"; return 1; }
        out=$(dk network connect host "cli$ID" 2>&1) && { fail "connected to host: $out"; return 1; }
        assert_contains "$out" "cannot be connected to host network" || return 1
        dk rm -f "cli$ID" >/dev/null || return 1
        assert_eq "$(links_of "$p")" "" "(the container's veths)" || return 1
        assert_eq "$(project_of "cli$ID")" "" "(its project)" || return 1
        # a running container: its supervisor adds the interface, and takes it away
        dk run -d --name "hot$ID" busybox:test sh -c 'echo hot >/i; exec httpd -f -p 80 -h /' >/dev/null || return 1
        p=$(project_of "hot$ID")
        out=$(dk exec "peer$ID" timeout 20 wget -qO- "http://hot$ID/i" 2>&1) && { fail "reached before: $out"; return 1; }
        # an address in use: refused by its supervisor, the container as it was
        out=$(dk inspect -f "{{(index .NetworkSettings.Networks \"cn$ID\").IPAddress}}" "peer$ID") || return 1
        out=$(dk network connect --ip "$out" "cn$ID" "hot$ID" 2>&1) && { fail "connected with peer's address"; return 1; }
        assert_eq "$(dk inspect -f '{{len .NetworkSettings.Networks}}' "hot$ID")" 1 "(not on cn after a failed connect: $out)" || return 1
        assert_eq "$(links_of "$p" | grep -c '^ccv-')" 1 "(no veth on cn)" || return 1
        dk network connect "cn$ID" "hot$ID" || return 1
        out=$(dk exec "hot$ID" ip -4 -o addr show) || return 1
        assert_contains "$out" "eth1    inet 10.213.113." "(hot-plugged interface)" || return 1
        assert_contains "$(dk exec "hot$ID" cat /etc/hosts)" "10.213.113." "(its /etc/hosts)" || return 1
        out=$(dk exec "hot$ID" timeout 20 wget -qO- "http://peer$ID/i") || { fail "hot -> peer: $out"; return 1; }
        assert_eq "$out" peer || return 1
        out=$(dk exec "peer$ID" timeout 20 wget -qO- "http://hot$ID/i") || { fail "peer -> hot: $out"; return 1; }
        assert_eq "$out" hot || return 1
        assert_eq "$(dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "hot$ID")" "bridge cn$ID " || return 1
        assert_eq "$(links_of "$p" | grep -c '^ccv-')" 2 "(its veth on cn)" || return 1
        assert_eq "$(dk inspect -f '{{.State.Status}}' "hot$ID")" running "(the same container, still running)" || return 1
        dk network create --subnet 10.213.114.0/24 "cn2$ID" >/dev/null || return 1
        dk network connect "cn2$ID" "hot$ID" || return 1
        assert_contains "$(dk exec "hot$ID" ip -4 -o addr show)" "eth2    inet 10.213.114." "(a second one)" || return 1
        dk network disconnect "cn$ID" "hot$ID" || return 1
        out=$(dk exec "hot$ID" ip -4 -o addr show) || return 1
        assert_not_contains "$out" "10.213.113." "(the interface taken away)" || return 1
        assert_not_contains "$(dk exec "hot$ID" cat /etc/hosts)" "10.213.113." "(its /etc/hosts)" || return 1
        assert_eq "$(links_of "$p" | grep -c '^ccv-')" 2 "(its veth on cn is gone, cn2's stays)" || return 1
        out=$(dk exec "peer$ID" timeout 20 wget -qO- "http://hot$ID/i" 2>&1) && { fail "still reached: $out"; return 1; }
        # eth1 free, eth2 cn2's: connected again, it is eth3
        dk network connect "cn$ID" "hot$ID" || return 1
        assert_contains "$(dk exec "hot$ID" ip -4 -o addr show)" "eth3    inet 10.213.113." "(connected again)" || return 1
        dk rm -f "hot$ID" "peer$ID" >/dev/null || return 1
        assert_eq "$(dk network rm "cn$ID" "cn2$ID" | xargs)" "cn$ID cn2$ID" || return 1
        assert_eq "$(links_of "$p")" "" "(the container's veths)"
}

# Debian's docker-compose 1.29 through the socket: a network of its own
# (10.213.112.0/24), a named volume, a published port on 127.0.0.1,
# depends_on; web reaches db by its service name; ps, logs; down -v leaves
# no container, network, volume, bridge or veth
t_compose() {
        local dir=$TMP/stack out port p=apii$ID; port=$(free_port)
        mkdir -p "$dir"
        cat >"$dir/docker-compose.yml" <<EOF
version: "3.8"
services:
  db:
    image: busybox:test
    command: sh -c 'echo from-db > /data/index.html; echo db up; exec httpd -f -p 8080 -h /data'
    volumes:
      - data:/data
  web:
    image: busybox:test
    command: sh -c 'mkdir -p /www; until wget -qO /www/index.html http://db:8080/index.html; do sleep 0.2; done; echo web up; exec httpd -f -p 80 -h /www'
    ports:
      - "127.0.0.1:$port:80"
    depends_on: [db]
networks:
  default:
    ipam:
      config:
        - subnet: 10.213.112.0/24
volumes:
  data: {}
EOF
        on_exit "cd '$dir' && '$COMPOSE1' -p $p down -v -t 0"
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" up -d 2>&1) || { fail "up: $out"; return 1; }
        assert_contains "$out" "Creating ${p}_web_1 ... done" || return 1
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" ps --services --filter status=running | sort | tr '\n' ' ')
        assert_eq "$out" "db web " "(docker-compose ps)" || return 1
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" ps)
        assert_contains "$out" "127.0.0.1:$port->80/tcp" "(ps: the published port)" || return 1
        assert_eq "$(dk port "${p}_web_1")" "80/tcp -> 127.0.0.1:$port" || return 1
        for _ in $(seq 1 100); do out=$(curl -s -m 2 "http://127.0.0.1:$port/") && [ "$out" = from-db ] && break; sleep 0.1; done
        assert_eq "$out" from-db "(web fetched db's page by the name db, served on the published port)" || return 1
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" logs --no-color 2>&1)
        assert_contains "$out" "db_1   | db up" || return 1
        assert_contains "$out" "web_1  | web up" || return 1
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" exec -T db cat /data/index.html) || return 1
        assert_eq "$out" from-db "(docker-compose exec)" || return 1
        (cd "$dir" && "$COMPOSE1" -p "$p" exec -T web sh -c 'exit 3'); out=$?
        assert_eq "$out" 3 "(the exit code of docker-compose exec)" || return 1
        assert_eq "$(dk volume ls -q)" "${p}_data" || return 1
        assert_eq "$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{len .Containers}}' "${p}_default")" "10.213.112.0/24 2" || return 1
        assert_eq "$(dk inspect -f '{{json .NetworkSettings.Networks}}' "${p}_db_1" | jq -r --arg n "${p}_default" '.[$n].Aliases[0]')" db || return 1
        out=$(cd "$dir" && "$COMPOSE1" -p "$p" down -v -t 1 2>&1) || { fail "down: $out"; return 1; }
        assert_contains "$out" "Removing network ${p}_default" || return 1
        assert_contains "$out" "Removing volume ${p}_data" || return 1
        assert_eq "$(dk ps -aq)" "" "(containers after down)" || return 1
        assert_eq "$(dk volume ls -q)" "" "(volumes after down -v)" || return 1
        assert_eq "$(dk network ls -q | wc -l)" 3 "(networks after down)" || return 1
        assert_eq "$(api_projects)" "" "(API projects after down)" || return 1
        assert_eq "$(api_links)" "" "(bridges and veths after down)" || return 1
        curl -s -m 2 "http://127.0.0.1:$port/" >/dev/null && { fail "port $port still answers"; return 1; }
        return 0
}

t_nothing_left() {
        assert_eq "$(curl -s --unix-socket "$SOCK" http://d/_ping)" OK "(the service serves)" || return 1
        for _ in $(seq 1 50); do [ -z "$(api_tmp)" ] && break; sleep 0.1; done
        assert_eq "$(api_tmp)" "" "(temporary files of the requests)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(ls "$CCOMPOSE_ROOT/volumes" 2>/dev/null)" "" "(volumes)" || return 1
        assert_eq "$(api_links)" "" "(bridges, veths)" || return 1
        stop_service || return 1
        [ ! -e "$SOCK" ] || fail "the socket is left" || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)"
}

t "docker push to a loopback registry, rmi, pull back; a missing image; bad X-Registry-Auth" t_pull_push
t "docker login (POST /auth) to a Basic-auth registry; push, pull with its credentials; refused without" t_auth
t "docker tag, rmi (multiple tags, an image in use: 409), rmi of the last tag deletes" t_tag_rmi
t "docker save (two names) | load, from a pipe; garbage refused" t_save_load
t "docker build -t --build-arg --label --target, -f, -q, a failing RUN; history; refused parameter" t_build
t "docker images --filter dangling/reference/label; image prune (dangling), prune -a (keeps an image in use)" t_image_prune
t "docker network create/inspect/ls (filters)/rm/prune; duplicate, overlay, connect refused" t_networks
t "docker volume create/inspect/ls (filters)/rm/prune (labels, unnamed, options refused)" t_volumes
t "bad input: malformed JSON, unknown fields and parameters, a client leaving a save" t_bad_input
t "docker run --network (made here) --network-alias -v VOLUME: reached by alias and name; rm refused while in use" t_run_on_network
t "docker network connect/disconnect: a created container (start joins) and a running one (hot-plug): reached by name both ways; inspect; refusals" t_connect
t "docker-compose 1.29: up -d (network, named volume, port, depends_on, names), ps, logs, exec, down -v" t_compose
t "nothing left behind; SIGTERM ends the service" t_nothing_left
t "service log has no crash" bash -c "! grep -qiE 'sanitizer|segmentation|abort' '$TMP/service.log'"
done_testing

#!/bin/bash
# network_mode service:NAME and container:NAME (joining another container's
# network namespace: localhost reaches its ports), an unknown target's error,
# and one-off `run --rm` containers on the project's networks. Traffic goes
# only to 127.0.0.1 and to the containers this test makes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
ID=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
P=ccnm$ID
Q=ccnmq$ID
mkdir -p "$TMP/p" "$TMP/q"
SUB=10.213.45

plan 6

if ip -4 route show | grep -q "^$SUB\.\|^10\.213\.45\."; then
        for i in $(seq 1 6); do skip "net-mode $i" "$SUB.0/24 overlaps a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

cleanup() {
        for p in $P $Q; do cc -p $p down -t 0; done
        for p in $P $Q; do for l in $(links_of $p); do ip link del "$l"; done; done
}
on_exit cleanup

cat >"$TMP/p/compose.yaml" <<EOF
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
  side:
    image: busybox:test
    command: ["sleep", "3600"]
    network_mode: service:web
  byname:
    image: busybox:test
    command: ["sleep", "3600"]
    network_mode: container:$P-web-1
    depends_on: [web]
  client:
    image: busybox:test
    command: ["sleep", "3600"]
    profiles: [tools]
networks:
  default:
    ipam:
      config:
        - subnet: $SUB.0/24
EOF
cat >"$TMP/q/compose.yaml" <<EOF
services:
  lost:
    image: busybox:test
    command: ["sleep", "3600"]
    network_mode: container:nosuch-$ID
EOF
pp() { (cd "$TMP/p" && cc -p $P "$@"); }
cq() { (cd "$TMP/q" && cc -p $Q "$@"); }

test_service_mode() {
        pp up -d || return 1
        local out
        out=$(pp exec side wget -q -O- http://127.0.0.1:8080/) || fail "side: $out" || return 1
        assert_eq "$out" "hello-web" || return 1
        # the very same namespace: the joiner has web's eth0 and address
        local a b
        a=$(pp exec web readlink /proc/self/ns/net) && b=$(pp exec side readlink /proc/self/ns/net) || return 1
        assert_eq "$b" "$a" "(network namespaces of side and web)" || return 1
        out=$(pp exec side ip -4 addr show eth0) && assert_contains "$out" "inet $SUB." || return 1
        # and web's DNS server: names as web sees them
        out=$(pp exec side cat /etc/resolv.conf) && assert_contains "$out" "nameserver 127.0.0.11" || return 1
        out=$(pp exec side nslookup web 2>&1) && assert_contains "$out" "Address: $SUB."
}
t "network_mode service:web shares web's namespace (localhost reaches its port, its DNS server)" test_service_mode

test_container_mode() {
        local out a b
        out=$(pp exec byname wget -q -O- http://127.0.0.1:8080/) || fail "byname: $out" || return 1
        assert_eq "$out" "hello-web" || return 1
        a=$(pp exec web readlink /proc/self/ns/net) && b=$(pp exec byname readlink /proc/self/ns/net) || return 1
        assert_eq "$b" "$a" "(network namespaces of byname and web)"
}
t "network_mode container:NAME joins that container's namespace" test_container_mode

test_run_join() {
        local out
        out=$(pp run --rm --no-deps side wget -q -O- http://127.0.0.1:8080/) || fail "run side: $out" || return 1
        assert_eq "$out" "hello-web"
}
t "run --rm of a service:web service reaches web on localhost" test_run_join

test_unknown_target() {
        local out
        if out=$(cq up -d 2>&1); then fail "up with an unknown network_mode target succeeded: $out"; return 1; fi
        assert_contains "$out" "lost" || return 1
        assert_contains "$out" "nosuch-$ID"
}
t "an unknown container: target is an error naming the service and the target" test_unknown_target

test_stopped_target() {
        pp stop -t 0 web >/dev/null 2>&1
        local out
        if out=$(pp run --rm --no-deps side true 2>&1); then fail "run joined a stopped service: $out"; return 1; fi
        assert_contains "$out" "service web has no running container" || return 1
        pp start web >/dev/null 2>&1
}
t "a service: target without a running container is an error naming it" test_stopped_target

test_down() {
        pp down -t 0 >/dev/null 2>&1 || return 1
        cq down -t 0 >/dev/null 2>&1
        local left
        left=$(links_of $P)
        [ -z "$left" ] || fail "left behind: $left"
}
t "down removes everything" test_down

done_testing

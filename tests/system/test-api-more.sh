#!/bin/bash
# More of the Docker Engine API service (issue 16) with Debian's docker
# CLI and python3-docker: names of containers created without one, the
# events of images, networks and volumes, ExecIDs and an exec's Pid,
# prune filters, --add-host with --network none, aliases given to
# network connect. The service is started here and stopped by its PID;
# its containers, veths, bridges and temporary files are gone at the end.
# Subnets: 10.213.123.0/24 (--bip), 10.213.124.0/24 (networks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands curl
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"
mkdir -p "$DOCKER_CONFIG"
N=2
plan $N

if ip -4 route show | grep -qE "^10\.213\.12[34]\.|^10\.213\.0\.0/16|^10\.0\.0\.0/8"; then
        for i in $(seq 1 $N); do skip "api more $i" "10.213.123-124.0/24 overlap a route of this host"; done
        done_testing
fi

setup_or_bail "$SRCDIR/tests/system/make-images.sh" "$IMAGES"
setup_or_bail cc image load -i "$IMAGES/busybox-docker.tar"

on_exit api_cleanup
start_service 10.213.123.0/24
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "$@"; }

# 200 containers created without a name: all created, names distinct,
# docker's adjective_surname form (a digit after it on a retry)
t_names() {
        local ids=() id i out bad
        for i in $(seq 1 200); do
                id=$(dk create --network none busybox:test true 2>&1) || { fail "create $i: $id"; dk rm "${ids[@]}" >/dev/null 2>&1; return 1; }
                ids+=("$id")
        done
        out=$(dk inspect --format '{{.Name}}' "${ids[@]}" | sort)
        assert_eq "$(wc -l <<<"$out")" 200 "(names)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        assert_eq "$(uniq <<<"$out" | wc -l)" 200 "(distinct names)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        bad=$(grep -vE '^/[a-z]+_[a-z]+[0-9]?$' <<<"$out")
        assert_eq "$bad" "" "(names not adjective_surname)" || { dk rm "${ids[@]}" >/dev/null; return 1; }
        out=$(dk rm "${ids[@]}" 2>&1) || { fail "rm: $out"; return 1; }
        assert_eq "$(api_projects)" "" "(API projects after rm)"
}

t_nothing_left() {
        assert_eq "$(curl -s --unix-socket "$SOCK" http://d/_ping)" OK "(the service serves)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        assert_eq "$(api_links)" "" "(bridges, veths)" || return 1
        kill "$SVC_PID" || return 1
        for _ in $(seq 1 100); do [ -e "$SOCK" ] || break; sleep 0.1; done
        [ ! -e "$SOCK" ] || fail "the socket is left"
}

t "200 docker create without --name: all made, distinct docker-style names; rm" t_names
t "nothing left behind; SIGTERM ends the service" t_nothing_left
done_testing

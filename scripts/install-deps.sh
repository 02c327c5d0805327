#!/usr/bin/env bash
# Installs the Debian 12 packages ccompose needs to build, test and run its
# examples. Safe to run again. Needs root (or sudo).
# Every command a test, benchmark or script calls comes from one of these
# packages or from Debian's base system: scripts/check-commands.py checks
# it (scripts/commands.txt maps each command to its package).
set -euo pipefail
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
packages=(
        # build
        build-essential meson ninja-build pkg-config
        # libraries (DESIGN.md): YAML, event loop, JSON, netlink, layers, digests, seccomp
        libyaml-dev libuv1-dev libjson-c-dev libnl-3-dev libnl-route-3-dev
        libarchive-dev libssl-dev libseccomp-dev libcap-dev libnftables-dev libldns-dev
        # the API service's HTTP/1.1 parser (system service, orchestrator/api)
        libhttp-parser-dev
        # fuzzing and sanitizers
        clang libclang-rt-14-dev
        # tests: JSON assertions, test images from busybox, OCI tools, the crun baseline,
        # the nft command the network tests read the rule sets with
        jq python3 busybox-static skopeo umoci crun iproute2 procps util-linux nftables
        # registry pulls: libcurl (OpenSSL); tests: a local registry, htpasswd, keys, zstd layers
        libcurl4-openssl-dev ca-certificates docker-registry apache2-utils openssl curl zstd
        # the real stack's image (examples/flask-stack, test-real-stack.sh): a Debian root
        # filesystem with postgres, redis, nginx and Flask, from the Debian mirror
        mmdebstrap
        # the installed man pages (test-install.sh reads them with man)
        man-db
        # real clients of the API service (tests/system/test-api.sh): Debian's docker CLI
        # (docker.io; its daemon is never started) and the Python SDK
        docker.io python3-docker
        # docker-compose 1.29 (the Python client) against the API service (test-api-images.sh)
        docker-compose
        # the Debian package (debian/, tests/system/test-deb.sh)
        dpkg-dev debhelper lintian
        # the zsh and fish completions, run by tests/system/test-completion.sh
        zsh fish
        # the builder's peer in bench/build.sh (buildah bud needs no daemon)
        buildah
        # RUN --mount=type=ssh (test-build-graph.sh): an ssh-agent with a key, and
        # ssh-add inside a build step asking it through the forwarded socket
        openssh-client
)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# docker.io brings dockerd and containerd: the API tests talk to ccompose
# only, and another daemon would put its own bridge and rules on the host.
if command -v systemctl >/dev/null 2>&1; then
        for u in docker.socket docker containerd; do
                systemctl is-enabled "$u" >/dev/null 2>&1 && $SUDO systemctl disable --now "$u" >/dev/null 2>&1 || true
        done
fi
# The tests start their own registry on loopback; Debian's package enables
# one listening on every interface, which we do not want running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled docker-registry >/dev/null 2>&1; then
        $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

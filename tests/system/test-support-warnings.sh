#!/bin/bash
# Nothing silently ignored (issue 12): `up`, `create` and `run` name every
# key of the file that ccompose accepts but does not honour, one warning
# per service (or network, volume, ...) and key, in docker compose's
# WARN[0000] style, from the table of orchestrator/compose/support.c;
# `config` names none. And the keys this work made honoured: attach,
# cpuset, cpu_quota, cpu_period, deploy.resources.reservations.memory,
# oom_score_adj, devices, volume.subpath, pid/ipc/uts: host, mac_address,
# networks' priority and gw_priority, mem_swappiness, oom_kill_disable,
# volumes' driver_opts of a local bind, volumes_from, logging driver none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ignw
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

FIXTURE=$SRCDIR/tests/system/support-warnings/compose.yaml

# the WARN lines of a command's stderr, without the prefix
warns() { grep '^WARN\[0000\] ' | sed 's/^WARN\[0000\] //'; }
# up -d SERVICE...: started, and not a word of warning
up_quietly() {
        local err
        err=$(ccp up -d "$@" 2>&1 >/dev/null) || { fail "up $* failed: $err"; return 1; }
        assert_not_contains "$err" "WARN"
}
# up_fails SERVICE MESSAGE: up -d SERVICE fails, saying MESSAGE
up_fails() {
        local err
        err=$(ccp up -d "$1" 2>&1 >/dev/null) && { fail "up $1 passed"; return 1; }
        assert_contains "$err" "$2"
}

# Every unsupported key of the table, set in one file (the unit test
# test-support.c checks that the file sets them all): each warning, once,
# and nothing else.
t_create_warns_every_key() {
        cp "$FIXTURE" "$D/compose.yaml"
        local err rc
        err=$(ccp create 2>&1 >/dev/null); rc=$?
        assert_eq "$rc" 0 "(create; stderr: $err)" || return 1
        local want got
        want=$(cat <<'WANT'
service all: deploy.mode "global" has no effect on a single host
service all: deploy.endpoint_mode has no effect on a single host
service all: deploy.labels has no effect on a single host
service all: deploy.rollback_config has no effect on a single host
service all: deploy.update_config has no effect on a single host
service all: deploy.resources.reservations.cpus has no effect: no CPU time is reserved
service all: deploy.resources.reservations.generic_resources has no effect on a single host
service all: deploy.resources.reservations.devices is not supported: no device (GPU) is given to the container
service all: deploy.restart_policy.window "10s" is not supported: every exit counts towards max_attempts
service all: deploy.placement has no effect on a single host
service all: annotations are not recorded: ccompose has no container inspect
service all: build.cache_to is not supported: the build cache stays in the local store
service all: build.entitlements is not applied: RUN steps run with Docker's build defaults
service all: build.provenance is not supported: no attestation is attached to the image
service all: build.sbom is not supported: no attestation is attached to the image
service all: build.shm_size is not applied: RUN steps run with Docker's build defaults
service all: build.isolation "process" has no effect on Linux
service all: build.privileged is not applied: RUN steps run with Docker's build defaults
service all: build.secrets.uid has no effect: RUN --mount=type=secret sets a build secret's owner
service all: build.secrets.gid has no effect: RUN --mount=type=secret sets a build secret's owner
service all: build.secrets.mode has no effect: RUN --mount=type=secret sets a build secret's mode
service all: build.ulimits is not applied: RUN steps run with Docker's build defaults
service all: blkio_config is not supported: no block I/O limit is set
service all: cgroup_parent is not supported: containers' cgroups are under ccompose/<project>
service all: cpu_count "2" has no effect on Linux
service all: cpu_percent "50" has no effect on Linux
service all: cpu_rt_period "1000000" is not supported: no real-time CPU time is given
service all: cpu_rt_runtime "950000" is not supported: no real-time CPU time is given
service all: credential_spec has no effect on Linux
service all: device_cgroup_rules is not supported: no device cgroup rule is set
service all: devices.permissions "r" is not enforced: the device opens for reading and writing
service all: env_file.format "raw" is not supported: the file is read as a .env file
service all: external_links is not supported: only the project's services are linked
service all: gpus is not supported: no GPU is given to the container
service all: ipc "service:other" is not supported: only host, or the container's own IPC namespace
service all: isolation "process" has no effect on Linux
service all: labels are not recorded: ccompose has no container inspect
service all: logging.driver "syslog" is not supported: logs are kept in json-file format
service all: logging.options "tag" is not supported
service all: models is not supported: ccompose runs no model runner
service all: networks.front.link_local_ips is not supported
service all: networks.front.driver_opts is not supported
service all: pid "service:other" is not supported: only host, or the container's own PID namespace
service all: ports.name is not recorded
service all: ports.app_protocol is not recorded
service all: pull_refresh_after is not supported: use pull_policy every_<duration>
service all: runtime "nvidia" is not supported: ccompose runs containers itself
service all: security_opt "label=disable" has no effect: ccompose applies no SELinux or AppArmor profile
service all: storage_opt is not supported: the writable layer has no size limit
service all: use_api_socket is not supported: ccompose has no Docker API socket
service all: uts "container:other" is not supported: only host, or the container's own UTS namespace
service all: userns_mode is not supported: containers run without a user namespace
service all: volumes.consistency has no effect on Linux
service all: volumes.bind.propagation "rshared" is not supported: bind mounts are private
service all: volumes.bind.recursive "disabled" is not supported: bind mounts are recursive
service all: volumes.bind.selinux has no effect: ccompose does not relabel for SELinux
service all: volumes.volume.labels are not recorded
service other: provider is not supported: ccompose runs no provider plugin
network front: driver_opts "com.docker.network.bridge.name" is not supported
network front: ipam.driver "custom" is not supported: ccompose allocates the addresses
network front: ipam.config.aux_addresses is not supported: those addresses are not reserved
network front: ipam.options is not supported
network front: enable_ipv4 "false" is not supported: networks always have IPv4
network front: attachable has no effect on a single host
network front: labels are not recorded
volume data: driver "nfs" is not supported: volumes are directories of the local driver
volume data: driver_opts is not supported: only the local driver's bind (type: none, o: bind, device)
volume data: labels are not recorded
secret token: labels are not recorded
secret token: driver has no effect on a single host
secret token: driver_opts has no effect on a single host
secret token: template_driver has no effect on a single host
config conf: labels are not recorded
config conf: template_driver has no effect on a single host
WANT
)
        got=$(warns <<<"$err")
        [ "$got" = "$want" ] || { fail "warnings differ: $(diff <(echo "$want") <(echo "$got"))"; return 1; }
        # created as asked, warnings or not
        assert_eq "$(ctr all status)" created
}

t_config_does_not_warn() {
        cp "$FIXTURE" "$D/compose.yaml"
        local err
        err=$(ccp config 2>&1 >/dev/null) || { fail "config failed: $err"; return 1; }
        assert_not_contains "$err" "WARN"
}

two_services() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    labels: {com.example.role: web}
    logging: {driver: syslog, options: {max-size: 1m, tag: web}}
    deploy:
      replicas: 1
      placement: {constraints: [node.role==manager]}
  other:
    image: busybox:test
    command: sleep 1000
    storage_opt: {size: 1G}
YAML
}
WEB_WARNS='service web: deploy.placement has no effect on a single host
service web: labels are not recorded: ccompose has no container inspect
service web: logging.driver "syslog" is not supported: logs are kept in json-file format
service web: logging.options "tag" is not supported'

# up web: the warnings of web, not of other; web runs
t_up_warns_for_its_services() {
        two_services
        local err
        err=$(ccp up -d web 2>&1 >/dev/null) || { fail "up failed: $err"; return 1; }
        assert_eq "$(warns <<<"$err")" "$WEB_WARNS" || return 1
        assert_eq "$(ctr web status)" running || return 1
        assert_eq "$(ctr other status)" "" "(other was not asked for)"
}

t_up_warns_for_every_service() {
        two_services
        local err
        err=$(ccp up -d 2>&1 >/dev/null) || { fail "up failed: $err"; return 1; }
        # services in name order, as the model holds them
        assert_eq "$(warns <<<"$err")" "service other: storage_opt is not supported: the writable layer has no size limit
$WEB_WARNS"
}

t_run_warns() {
        two_services
        local out
        out=$(ccp run --rm --no-deps web echo ran 2>&1) || { fail "run failed: $out"; return 1; }
        assert_contains "$out" "ran" || return 1
        assert_eq "$(warns <<<"$out")" "$WEB_WARNS"
}

# Supported keys, and unsupported ones holding what means nothing (false,
# a default, empty): not a word.
t_no_warning_for_what_is_honoured() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    tty: true
    stdin_open: false
    oom_kill_disable: false
    ipc: private
    labels: {}
    devices: []
    cpu_count: 0
    security_opt: [no-new-privileges:true]
    logging: {driver: json-file, options: {max-size: 1m, max-file: "2"}}
    deploy: {mode: replicated, replicas: 1, resources: {limits: {memory: 64m}}}
    healthcheck: {test: [CMD, "true"], interval: 1s}
    ulimits: {nofile: 1024}
    networks:
      default: {aliases: [w]}
networks:
  default: {driver_opts: {com.docker.network.driver.mtu: 1400}, attachable: false}
YAML
        up_quietly
}

# ---- keys made honoured ----

# attach: false keeps a service out of the attached view (its log is kept)
quiet_service() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: ["echo", "hello from web"]
  quiet:
    image: busybox:test
    command: ["echo", "hello from quiet"]
    attach: false
YAML
}
t_attach_false() {
        quiet_service
        local out
        out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        assert_contains "$out" "hello from web" || return 1
        assert_not_contains "$out" "hello from quiet" || return 1
        assert_not_contains "$(grep '^Attaching to' <<<"$out")" "quiet" || return 1
        assert_contains "$(ccp logs quiet 2>&1)" "hello from quiet"
}

t_attach_flag_wins() {
        quiet_service
        local out
        out=$(ccp up --attach quiet 2>&1) || { fail "up failed: $out"; return 1; }
        assert_contains "$out" "hello from quiet"
}

# the container's cgroup file: FILE of v1's controller CTL (its own
# hierarchy or a shared one), else V2FILE of v2
cg_file() {
        local id=$1 ctl=$2 file=$3 v2file=${4:-$3} f
        for f in /sys/fs/cgroup/"$ctl"/ccompose/"$P"/"$id"/"$file" /sys/fs/cgroup/"$ctl",*/ccompose/"$P"/"$id"/"$file" \
                 /sys/fs/cgroup/*,"$ctl"/ccompose/"$P"/"$id"/"$file" /sys/fs/cgroup/ccompose/"$P"/"$id"/"$v2file"; do
                [ -e "$f" ] && { cat "$f"; return 0; }
        done
        echo "no $file for $id"
}

t_cpuset_and_memory_reservation() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    cpuset: "0"
    cpu_quota: 25000
    cpu_period: 50000
    deploy:
      resources:
        reservations: {memory: 32m}
YAML
        up_quietly || return 1
        local cpus
        cpus=$(ccp exec -T web grep Cpus_allowed_list /proc/self/status 2>&1)
        assert_eq "$(awk '{print $2}' <<<"$cpus")" 0 "($cpus)" || return 1
        local id; id=$(ctr web id)
        assert_eq "$(cg_file "$id" memory memory.soft_limit_in_bytes memory.low)" 33554432 || return 1
        if [ -d /sys/fs/cgroup/ccompose/"$P"/"$id" ]; then
                assert_eq "$(cg_file "$id" cpu cpu.max)" "25000 50000"
        else
                assert_eq "$(cg_file "$id" cpu cpu.cfs_quota_us) $(cg_file "$id" cpu cpu.cfs_period_us)" "25000 50000"
        fi
}

# Supported keys no other system test drives: the table says so, this
# checks it.
t_more_supported_keys() {
        compose <<YAML
services:
  web:
    image: busybox:test
    command: sleep 1000
    container_name: $P-named
    mem_reservation: 16m
    cpu_shares: 512
    extra_hosts: ["myhost=10.213.76.5"]
    volumes:
      - {type: volume, source: empty, target: /home, volume: {nocopy: true}}
volumes:
  empty: {}
YAML
        up_quietly || return 1
        assert_contains "$(ccp ps --format '{{.Name}}' 2>&1)" "$P-named" || return 1
        local id; id=$(ctr web id)
        assert_eq "$(cg_file "$id" memory memory.soft_limit_in_bytes memory.low)" 16777216 || return 1
        # v2: cpu.weight, runc's conversion of 512 shares
        local shares; shares=$(cg_file "$id" cpu cpu.shares cpu.weight)
        [ -d /sys/fs/cgroup/ccompose/"$P"/"$id" ] && [ "$shares" = 20 ] && shares=512
        assert_eq "$shares" 512 || return 1
        assert_contains "$(ccp exec -T web cat /etc/hosts 2>&1)" "10.213.76.5"$'\t'"myhost" || return 1
        # nocopy: the image's /home/app is not copied into the new volume
        assert_eq "$(ccp exec -T web ls /home 2>&1)" ""
}

# oom_score_adj for the container's processes. Lowering it needs
# CAP_SYS_RESOURCE, which the engine may lack (some sandboxes drop it from
# root's bounding set): then the start fails saying why.
has_cap_sys_resource() { (( 0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1 )); }
t_oom_score_adj() {
        compose <<'YAML'
services:
  high:
    image: busybox:test
    command: ["sh", "-c", "cat /proc/self/oom_score_adj; sleep 1000"]
    oom_score_adj: 500
    user: "1000"
  low:
    image: busybox:test
    command: ["sh", "-c", "cat /proc/self/oom_score_adj; sleep 1000"]
    oom_score_adj: -200
YAML
        up_quietly high || return 1
        wait_for 30 file_has_log high 500 || return 1
        assert_eq "$(cat /proc/"$(ctr high pid)"/oom_score_adj)" 500 || return 1
        if has_cap_sys_resource; then
                up_quietly low && wait_for 30 file_has_log low -200
        else
                up_fails low "write oom_score_adj -200: Permission denied"
        fi
}
file_has_log() { [ "$(ccp logs --no-log-prefix "$1" 2>/dev/null | head -1)" = "$2" ]; }

# devices: the host's node, usable in the container (its own mount is not
# nodev); a missing one fails the start naming it
t_devices() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    devices: ["/dev/zero:/dev/myzero", "/dev/full:/dev/xtra/full2:rwm"]
  bad:
    image: busybox:test
    command: sleep 1000
    devices: ["/dev/no-such-device-ccompose"]
YAML
        up_quietly web || return 1
        assert_eq "$(ccp exec -T web sh -c 'head -c 3 /dev/myzero | od -An -tx1' 2>&1 | tr -d ' ')" 000000 || return 1
        local out
        out=$(ccp exec -T web sh -c 'echo x > /dev/xtra/full2' 2>&1) && { fail "write to /dev/full passed"; return 1; }
        assert_contains "$out" "No space left on device" || return 1
        up_fails bad 'error gathering device information while adding custom device "/dev/no-such-device-ccompose"'
}

# volume.subpath: that directory (or file) of the volume, resolved inside
# it: a link out of it stays in it; a missing one fails the start
t_volume_subpath() {
        compose <<'YAML'
services:
  writer:
    image: busybox:test
    command: ["sh", "-c", "mkdir -p /v/sub && echo hi > /v/sub/f && echo top > /v/top && ln -s / /v/esc"]
    volumes: ["data:/v"]
  reader:
    image: busybox:test
    command: sleep 1000
    volumes:
      - {type: volume, source: data, target: /sub, volume: {subpath: sub}}
      - {type: volume, source: data, target: /esc, volume: {subpath: esc}}
      - {type: volume, source: data, target: /top.txt, volume: {subpath: top}, read_only: true}
  missing:
    image: busybox:test
    command: sleep 1000
    volumes:
      - {type: volume, source: data, target: /m, volume: {subpath: no/such/dir}}
volumes:
  data: {}
YAML
        local out
        out=$(ccp up writer 2>&1) || { fail "up writer failed: $out"; return 1; }
        up_quietly reader || return 1
        assert_eq "$(ccp exec -T reader ls /sub 2>&1)" "f" || return 1
        assert_eq "$(ccp exec -T reader cat /sub/f 2>&1)" "hi" || return 1
        assert_eq "$(ccp exec -T reader cat /top.txt 2>&1)" "top" || return 1
        # "/" inside the volume is the volume's root, never the host's
        assert_eq "$(ccp exec -T reader ls /esc 2>&1 | tr '\n' ' ')" "esc sub top " || return 1
        up_fails missing "no/such/dir"
}

# pid, ipc, uts, cgroup: host: the host's namespaces (the same files),
# the host's /dev/shm and name; what would change the host is refused
t_host_namespaces() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    pid: host
    ipc: host
    uts: host
    cgroup: host
  own:
    image: busybox:test
    command: sleep 1000
  named:
    image: busybox:test
    command: sleep 1000
    uts: host
    hostname: other-name
  shm:
    image: busybox:test
    command: sleep 1000
    ipc: host
    sysctls: {kernel.shmmax: "1000000"}
YAML
        up_quietly web own || return 1
        local ns
        for ns in pid ipc uts cgroup; do
                assert_eq "$(ccp exec -T web readlink /proc/self/ns/$ns 2>&1)" "$(readlink /proc/self/ns/$ns)" "($ns)" ||
                        return 1
                [ "$(ccp exec -T own readlink /proc/self/ns/$ns 2>&1)" != "$(readlink /proc/self/ns/$ns)" ] ||
                        { fail "own shares the host's $ns namespace"; return 1; }
        done
        assert_eq "$(ccp exec -T web hostname 2>&1)" "$(hostname)" || return 1
        local f=/dev/shm/ccompose-test-$P
        echo shared >"$f"
        local got; got=$(ccp exec -T web cat "$f" 2>&1)
        rm -f "$f"
        assert_eq "$got" shared || return 1
        up_fails named "conflicting options: hostname and the UTS mode" || return 1
        up_fails shm 'sysctl "kernel.shmmax" not allowed in host IPC namespace'
}

# mac_address: of a network of the service, or the service's own for its
# first network; an invalid one fails the start
t_mac_address() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    networks:
      front: {mac_address: "02:42:0a:d5:4c:10"}
      back: {}
  solo:
    image: busybox:test
    command: sleep 1000
    mac_address: "0a:bc:de:f0:12:34"
    networks: [back]
  bad:
    image: busybox:test
    command: sleep 1000
    mac_address: "01:00:5e:00:00:01"
    networks: [back]
networks:
  front: {ipam: {config: [{subnet: 10.213.76.0/24}]}}
  back: {ipam: {config: [{subnet: 10.213.77.0/24}]}}
YAML
        up_quietly web solo || return 1
        # front's is the one asked for; back keeps the address-derived MAC
        local macs; macs=$(ccp exec -T web sh -c 'cat /sys/class/net/eth*/address' 2>&1 | sort | tr '\n' ' ')
        [[ $macs == "02:42:0a:d5:4c:10 02:42:0a:d5:4d:"??" " ]] || { fail "MACs: $macs"; return 1; }
        assert_eq "$(ccp exec -T solo cat /sys/class/net/eth0/address 2>&1)" "0a:bc:de:f0:12:34" || return 1
        up_fails bad 'invalid mac_address "01:00:5e:00:00:01"'
}

# networks' priority orders the interfaces (eth0: the highest), and
# gw_priority chooses the default route
t_network_priorities() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    networks:
      a: {}
      b: {priority: 10}
      c: {gw_priority: 5}
networks:
  a: {ipam: {config: [{subnet: 10.213.76.0/24}]}}
  b: {ipam: {config: [{subnet: 10.213.77.0/24}]}}
  c: {ipam: {config: [{subnet: 10.213.78.0/24}]}}
YAML
        up_quietly web || return 1
        assert_contains "$(ccp exec -T web ip -o -4 addr show eth0 2>&1)" "inet 10.213.77." || return 1
        assert_contains "$(ccp exec -T web ip -o -4 addr show eth1 2>&1)" "inet 10.213.76." || return 1
        assert_contains "$(ccp exec -T web ip route show default 2>&1)" "via 10.213.78.1"
}

# mem_swappiness and oom_kill_disable: cgroup v1's files; v2 has neither,
# and the start says so
t_swappiness_oom_kill_disable() {
        compose <<'YAML'
services:
  web:
    image: busybox:test
    command: sleep 1000
    mem_limit: 64m
    mem_swappiness: 10
    oom_kill_disable: true
YAML
        if [ -d /sys/fs/cgroup/memory ]; then
                up_quietly || return 1
                local id; id=$(ctr web id)
                assert_eq "$(cg_file "$id" memory memory.swappiness)" 10 || return 1
                assert_contains "$(cg_file "$id" memory memory.oom_control)" "oom_kill_disable 1"
        else
                up_fails web "mem_swappiness: not supported with cgroup v2"
        fi
}

# a volume of the local driver bound to a host directory (driver_opts
# type: none, o: bind, device): the container's data is there, filled from
# the image when empty, and down -v leaves it
t_volume_local_bind() {
        mkdir -p "$D/hostdir"
        compose <<YAML
services:
  web:
    image: busybox:test
    command: ["sh", "-c", "echo written > /home/new; sleep 1000"]
    volumes: ["data:/home"]
volumes:
  data:
    driver: local
    driver_opts: {type: none, o: bind, device: $D/hostdir}
YAML
        up_quietly || return 1
        wait_for 30 test -f "$D/hostdir/new" || return 1
        assert_eq "$(cat "$D/hostdir/new")" written || return 1
        [ -d "$D/hostdir/app" ] || { fail "the image's /home/app was not copied in"; return 1; }
        # (-t 1: sh as PID 1 ignores SIGTERM; the case is not about the stop timeout)
        local out; out=$(ccp down -v -t 1 2>&1) || { fail "down -v failed: $out"; return 1; }
        [ -f "$D/hostdir/new" ] || fail "down -v removed the host directory's data"
}

# volumes_from: the binds and volumes (named and anonymous) of the
# source's container, read-only with :ro; run too
t_volumes_from() {
        mkdir -p "$D/b"
        compose <<YAML
services:
  data:
    image: busybox:test
    command: ["sh", "-c", "echo named > /named/f; echo anon > /anon/f; echo bound > /bind/f; sleep 1000"]
    volumes: ["named:/named", "/anon", "$D/b:/bind"]
  reader:
    image: busybox:test
    command: sleep 1000
    volumes_from: ["data:ro"]
  writer:
    image: busybox:test
    command: sleep 1000
    volumes_from: [data]
volumes:
  named: {}
YAML
        up_quietly reader writer || return 1
        wait_for 30 test -f "$D/b/f" || return 1
        wait_for 30 ccp exec -T reader test -f /anon/f || return 1
        assert_eq "$(ccp exec -T reader cat /named/f /anon/f /bind/f 2>&1 | tr '\n' ' ')" "named anon bound " || return 1
        ccp exec -T reader sh -c 'echo x > /anon/g' 2>/dev/null && { fail "reader wrote to a :ro volume"; return 1; }
        ccp exec -T writer sh -c 'echo from-writer > /anon/g' || { fail "writer could not write"; return 1; }
        assert_eq "$(ccp exec -T data cat /anon/g 2>&1)" from-writer || return 1
        assert_eq "$(ccp run --rm -T reader cat /anon/g 2>&1 | tail -1)" from-writer
}

# logging.driver: none: nothing kept (logs says so, as Docker), the
# attached view of up still shows the output
t_logging_none() {
        compose <<'YAML'
services:
  silent:
    image: busybox:test
    command: ["echo", "hello from silent"]
    logging: {driver: none}
  kept:
    image: busybox:test
    command: ["echo", "hello from kept"]
YAML
        local out
        out=$(ccp up 2>&1) || { fail "up failed: $out"; return 1; }
        assert_not_contains "$out" "WARN" || return 1
        assert_contains "$out" "hello from silent" || return 1
        local id; id=$(ctr silent id)
        [ ! -e "$CCOMPOSE_ROOT/containers/$id/$id-json.log" ] || { fail "a log file was kept"; return 1; }
        out=$(ccp logs silent 2>&1) && { fail "logs of a none driver passed: $out"; return 1; }
        assert_contains "$out" "configured logging driver does not support reading" || return 1
        assert_contains "$(ccp logs kept 2>&1)" "hello from kept"
}

run_cases \
        "create warns about every unsupported key, once:t_create_warns_every_key" \
        "config warns about none:t_config_does_not_warn" \
        "up SERVICE warns about that service:t_up_warns_for_its_services" \
        "up warns about every service:t_up_warns_for_every_service" \
        "run warns about its service:t_run_warns" \
        "no warning for honoured keys and empty values:t_no_warning_for_what_is_honoured" \
        "attach: false leaves a service out of up's output:t_attach_false" \
        "up --attach overrides attach: false:t_attach_flag_wins" \
        "cpuset, cpu_quota, cpu_period, deploy.resources.reservations.memory are applied:t_cpuset_and_memory_reservation" \
        "container_name, mem_reservation, cpu_shares, extra_hosts, nocopy are applied:t_more_supported_keys" \
        "oom_score_adj is applied (lowering it needs CAP_SYS_RESOURCE):t_oom_score_adj" \
        "devices are given to the container:t_devices" \
        "volume.subpath mounts that path of the volume, never outside it:t_volume_subpath" \
        "pid, ipc, uts, cgroup: host share the host's namespaces:t_host_namespaces" \
        "mac_address of a service and of its networks:t_mac_address" \
        "priority orders a service's interfaces, gw_priority picks its default route:t_network_priorities" \
        "mem_swappiness and oom_kill_disable (cgroup v1):t_swappiness_oom_kill_disable" \
        "a local volume bound to a host directory (driver_opts type none, o bind):t_volume_local_bind" \
        "volumes_from mounts the source container's volumes and binds:t_volumes_from" \
        "logging driver none keeps no log:t_logging_none"

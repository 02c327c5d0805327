#!/bin/bash
# System tests of `ccompose run`: real containers from the busybox test
# images (make-images.sh), asserting isolation and configuration from the
# inside. After every case nothing of the test may be left: no mount of
# the test's directories, no cgroup of the test's project, no process in
# one, no container directory (--rm).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGES=${CCOMPOSE_TEST_IMAGES:-/tmp/ccompose-test-images}
P=ccrun$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -dc 'a-z0-9')
D=$TMP/proj
mkdir -p "$D"

# Kill and remove whatever a failed case may have left in the project's cgroups.
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
# run starts the project's supervisor for its networks: down ends it
cleanup() {
        cc -f "$D/compose.yaml" -p "$P" down -t 0 >/dev/null 2>&1
        cleanup_cgroups
}
on_exit cleanup

cat >"$D/compose.yaml" <<'EOF'
services:
  web:
    image: busybox:test
  dns:
    image: busybox:test
    dns: [10.213.99.53, 10.213.99.54]
    dns_search: example.test
    dns_opt: [ndots:2, timeout:1]
  dnsnone:
    image: busybox:test
    network_mode: none
    dns: [10.213.99.53, 10.213.99.54]
    dns_search: example.test
    dns_opt: [ndots:2, timeout:1]
  fails:
    image: busybox:test
    command: ["sh", "-c", "exit 3"]
  user:
    image: busybox:test
    user: app
  usergroup:
    image: busybox:test
    user: "1000:29"
    group_add: [nogroup]
  ro:
    image: busybox:test
    read_only: true
    tmpfs:
      - /scratch
      - /sized:size=1m,mode=0700
  binds:
    image: busybox:test
    volumes:
      - ./bind-rw:/rw
      - ./bind-ro:/ro:ro
      - ./missing/deeper:/created
  vols:
    image: busybox:test
    volumes:
      - data:/data
      - etc:/etc-copy-target
  prefill:
    image: busybox:test
    volumes:
      - etc:/etc
  anon:
    image: busybox:test
    volumes:
      - /anon
  escape:
    image: busybox:test
    volumes:
      - data:/v
      - ./bind-rw:/v/esc/inside
  mem:
    image: busybox:test
    mem_limit: 24m
    memswap_limit: 24m
  pids:
    image: busybox:test
    pids_limit: 10
  deploy:
    image: busybox:test
    deploy:
      resources:
        limits: {pids: 12, memory: 40m}
  init:
    image: busybox:test
    init: true
  priv:
    image: busybox:test
    privileged: true
  caps:
    image: busybox:test
    cap_add: [NET_ADMIN, SYS_TIME]
    cap_drop: [NET_RAW, MKNOD]
  nnp:
    image: busybox:test
    security_opt: [no-new-privileges:true]
  unconfined:
    image: busybox:test
    security_opt: ["seccomp:unconfined"]
  env:
    image: busybox:test
    env_file: [a.env]
    environment:
      FROM_ENV: environment
      BOTH: environment
      OVERRIDE: environment
  workdir:
    image: busybox:test
    working_dir: /made/by/run
  entry:
    image: busybox:test
    entrypoint: ["echo", "entry:"]
    command: ["from", "service"]
  misc:
    image: busybox:test
    hostname: myhost
    domainname: example.org
    shm_size: 8m
    ulimits:
      nofile: {soft: 100, hard: 1000000}
      nproc: 77
    sysctls:
      net.ipv4.ip_forward: 1
      kernel.shmmax: 65536
  badsysctl:
    image: busybox:test
    sysctls: {vm.swappiness: 10}
  host:
    image: busybox:test
    network_mode: host
  none:
    image: busybox:test
    network_mode: none
  trap:
    image: busybox:test
    stop_signal: SIGINT
    command: ["sh", "-c", "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done"]
  noimage:
    image: busybox:does-not-exist
volumes:
  data: {}
  etc: {}
EOF
printf 'FROM_FILE=file\nBOTH=file\n' >"$D/a.env"
mkdir -p "$D/bind-rw" "$D/bind-ro"
echo host-ro >"$D/bind-ro/f"

run() { cc -f "$D/compose.yaml" -p "$P" run "$@"; }

# ---- nothing left behind ----
assert_clean() {
        local m
        m=$(grep -F "$TMP" /proc/self/mountinfo) && { fail "mounts left: $m"; return 1; }
        ls -d /sys/fs/cgroup/*/ccompose/"$P" 2>/dev/null && { fail "cgroups left"; return 1; }
        m=$(grep -l "/ccompose/$P/" /proc/[0-9]*/cgroup 2>/dev/null) && { fail "processes left: $m"; return 1; }
        if [ -d "$CCOMPOSE_ROOT/containers" ] && [ -n "$(ls -A "$CCOMPOSE_ROOT/containers")" ]; then
                fail "container directories left: $(ls "$CCOMPOSE_ROOT/containers")"; return 1
        fi
        return 0
}
# c NAME FUNC: a case that must also leave nothing behind.
c() { local name=$1; shift; t "$name" _case "$@"; }
_case() { "$@" || return 1; assert_clean; }

status() { grep "^$1:" | awk '{print $2}'; }

# ---- setup ----
setup() {
        "$SRCDIR/tests/system/make-images.sh" "$IMAGES" || return 1
        cc image load -i "$IMAGES/busybox-docker.tar" >/dev/null || return 1
}

# ---- cases ----
t_hello() { local out; out=$(run --rm web echo hello) || return 1; assert_eq "$out" "hello"; }
t_exit3() { run --rm fails; assert_eq "$?" 3; }
t_exit_cli() { run --rm web sh -c 'exit 42'; assert_eq "$?" 42; }
t_notfound() {
        local out rc
        out=$(run --rm web no-such-command 2>&1); rc=$?
        assert_eq "$rc" 127 || return 1
        assert_contains "$out" 'exec: "no-such-command": executable file not found in $PATH'
}
t_notfound_abs() {
        local out rc
        out=$(run --rm web /nope/cmd 2>&1); rc=$?
        assert_eq "$rc" 127 || return 1
        assert_contains "$out" 'exec: "/nope/cmd": stat /nope/cmd: no such file or directory'
}
t_noexec() {
        local out rc
        out=$(run --rm web /etc/passwd 2>&1); rc=$?
        assert_eq "$rc" 126 || return 1
        assert_contains "$out" 'permission denied'
}
t_caps_default() {
        local s; s=$(run --rm web cat /proc/self/status) || return 1
        assert_eq "$(status CapEff <<<"$s")" 00000000a80425fb || return 1
        assert_eq "$(status CapBnd <<<"$s")" 00000000a80425fb || return 1
        assert_eq "$(status CapPrm <<<"$s")" 00000000a80425fb || return 1
        assert_eq "$(status CapInh <<<"$s")" 0000000000000000
}
t_seccomp() {
        local s; s=$(run --rm web cat /proc/self/status) || return 1
        assert_eq "$(status Seccomp <<<"$s")" 2 || return 1
        assert_eq "$(status NoNewPrivs <<<"$s")" 0
}
t_nnp() {
        local s; s=$(run --rm nnp cat /proc/self/status) || return 1
        assert_eq "$(status Seccomp <<<"$s")" 2 || return 1
        assert_eq "$(status NoNewPrivs <<<"$s")" 1
}
t_unconfined() {
        local s; s=$(run --rm unconfined cat /proc/self/status) || return 1
        assert_eq "$(status Seccomp <<<"$s")" 0
}
t_seccomp_blocks() {
        # Docker's profile refuses e.g. unshare without CAP_SYS_ADMIN.
        local out; out=$(run --rm web unshare -m true 2>&1)
        assert_contains "$out" "Operation not permitted"
}
t_user_caps() {
        local s; s=$(run --rm user cat /proc/self/status) || return 1
        assert_eq "$(status CapEff <<<"$s")" 0000000000000000 || return 1
        assert_eq "$(status CapBnd <<<"$s")" 00000000a80425fb
}
t_masked() {
        local out
        out=$(run --rm web sh -c '
                for f in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug /proc/latency_stats; do
                        [ -e $f ] && echo "$f:$(wc -c <$f)"; done
                for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware; do
                        [ -e $d ] && echo "$d:$(ls -A $d | wc -l)"; done
                touch /sys/firmware/x 2>&1 || true') || return 1
        assert_contains "$out" "/proc/keys:0" || return 1
        assert_contains "$out" "/proc/timer_list:0" || return 1
        assert_contains "$out" "/sys/firmware:0" || return 1
        assert_contains "$out" "Read-only file system" || return 1
        assert_not_contains "$out" ":1"
}
t_readonly_paths() {
        local out
        out=$(run --rm web sh -c '
                echo 1 > /proc/sys/kernel/ns_last_pid
                awk "\$2 ~ /^\/proc\/(sys|bus|fs|irq)\$/ {print \$2, substr(\$4,1,2)}" /proc/mounts' 2>&1)
        assert_contains "$out" "Read-only file system" || return 1
        assert_contains "$out" "/proc/sys ro" || return 1
        assert_contains "$out" "/proc/bus ro" || return 1
        assert_contains "$out" "/proc/irq ro"
}
t_sys_ro() {
        local out; out=$(run --rm web sh -c 'awk "\$2==\"/sys\" {print \$4}" /proc/mounts') || return 1
        assert_contains "$out" "ro,"
}
t_pidns() {
        local out; out=$(run --rm web ps -o pid,comm) || return 1
        out=$(tail -n +2 <<<"$out")
        # ps itself as PID 1, nothing of the host
        assert_eq "$(wc -l <<<"$out")" 1 "($out)" || return 1
        assert_contains "$out" "1 ps"
}
t_mounts_no_host() {
        local out; out=$(run --rm binds cat /proc/mounts) || return 1
        assert_not_contains "$out" "$TMP" || return 1
        assert_not_contains "$out" "$CCOMPOSE_ROOT" || return 1
        assert_contains "$out" "overlay / overlay"
}
t_dev() {
        local out; out=$(run --rm web sh -c 'ls /dev | tr "\n" " "; echo; awk "\$2 ~ /^\/dev/ {print \$2, \$3}" /proc/mounts; echo x > /dev/null && head -c 4 /dev/zero | wc -c; readlink /dev/ptmx; readlink /dev/fd') || return 1
        local d
        for d in null zero full random urandom tty ptmx pts shm mqueue fd stdin stdout stderr; do
                assert_contains "$out" " $d " || assert_contains "$out" "$d " || return 1
        done
        assert_contains "$out" "/dev/pts devpts" || return 1
        assert_contains "$out" "/dev/shm tmpfs" || return 1
        assert_contains "$out" "/dev/mqueue mqueue" || return 1
        assert_contains "$out" "pts/ptmx" || return 1
        assert_not_contains "$out" "vda"
}
t_mknod_unusable() {
        # CAP_MKNOD is in Docker's default set; a node made with it must not
        # open (Docker: devices cgroup; here: nodev everywhere writable).
        local out; out=$(run --rm binds sh -c 'mknod /tmp/kmsg c 1 11 && echo x > /tmp/kmsg; mknod /dev/n c 1 3 && echo x > /dev/n; mknod /rw/n c 1 3 && echo x > /rw/n; rm -f /rw/n; echo x > /dev/null && echo std-ok' 2>&1)
        assert_eq "$(grep -c 'Permission denied' <<<"$out")" 3 "($out)" || return 1
        assert_contains "$out" std-ok
}
t_hostname_default() {
        local out; out=$(run --rm web sh -c 'hostname; echo $HOSTNAME; cat /etc/hostname; grep -c "$(hostname)" /etc/hosts') || return 1
        local h; h=$(head -1 <<<"$out")
        [[ $h =~ ^[0-9a-f]{12}$ ]] || { fail "hostname '$h' is not 12 hex digits"; return 1; }
        assert_eq "$out" "$h"$'\n'"$h"$'\n'"$h"$'\n'"1"
}
t_hostname_set() {
        local out; out=$(run --rm misc sh -c 'hostname; cat /proc/sys/kernel/domainname; grep localhost /etc/hosts | head -1') || return 1
        assert_contains "$out" "myhost" || return 1
        assert_contains "$out" "example.org" || return 1
        assert_contains "$out" "127.0.0.1"
}
t_resolv() {
        # the host's file (a container on a network has the embedded server)
        local out; out=$(run --rm none cat /etc/resolv.conf) || return 1
        assert_contains "$out" "nameserver" || return 1
        assert_not_contains "$out" "nameserver 127."
}
t_resolv_dns() {
        # written to the file only: no query is sent. On a network the
        # embedded server is the nameserver (it forwards to dns:)
        local out; out=$(run --rm dns cat /etc/resolv.conf) || return 1
        assert_eq "$(grep '^nameserver' <<<"$out")" "nameserver 127.0.0.11" || return 1
        assert_contains "$out" "search example.test" || return 1
        assert_contains "$out" "options ndots:2 timeout:1" || return 1
        # without one, the servers themselves
        out=$(run --rm dnsnone cat /etc/resolv.conf) || return 1
        assert_contains "$out" "nameserver 10.213.99.53"$'\n'"nameserver 10.213.99.54" || return 1
        assert_eq "$(grep -c '^nameserver' <<<"$out")" 2 "(only the service's nameservers)" || return 1
        assert_contains "$out" "search example.test" || return 1
        assert_contains "$out" "options ndots:2 timeout:1"
}
t_user_name() {
        local out; out=$(run --rm user id) || return 1
        assert_contains "$out" "uid=1000(app) gid=1000(app)" || return 1
        assert_contains "$out" "10(wheel)" || return 1
        assert_contains "$out" "29(audio)"
}
t_user_numeric() {
        local out; out=$(run --rm usergroup sh -c 'id; echo $HOME') || return 1
        assert_contains "$out" "uid=1000(app) gid=29(audio)" || return 1
        assert_contains "$out" "65534(nogroup)" || return 1
        assert_not_contains "$out" "wheel" || return 1
        assert_contains "$out" "/home/app"
}
t_user_flag() {
        local out; out=$(run --rm -u 65534 user id) || return 1
        assert_contains "$out" "uid=65534(nobody) gid=65534(nogroup)"
}
t_user_bad() {
        local out rc; out=$(run --rm -u nosuchuser web id 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
        assert_contains "$out" "unable to find user nosuchuser"
}
t_bind_rw() {
        rm -f "$D/bind-rw/from-container"
        run --rm binds sh -c 'echo written > /rw/from-container' || return 1
        assert_eq "$(cat "$D/bind-rw/from-container")" written
}
t_bind_ro() {
        local out; out=$(run --rm binds sh -c 'cat /ro/f; echo x > /ro/g' 2>&1)
        assert_contains "$out" "host-ro" || return 1
        assert_contains "$out" "Read-only file system" || return 1
        [ ! -e "$D/bind-ro/g" ] || fail "wrote through a read-only bind"
}
t_bind_create() {
        rm -rf "$D/missing"
        run --rm binds true || return 1
        [ -d "$D/missing/deeper" ] || fail "missing bind source not created"
}
t_volume_persist() {
        run --rm vols sh -c 'echo kept > /data/file' || return 1
        local out; out=$(run --rm vols cat /data/file) || return 1
        assert_eq "$out" kept || return 1
        assert_eq "$(cat "$CCOMPOSE_ROOT/volumes/${P}_data/_data/file")" kept
}
t_volume_prefill() {
        local out; out=$(run --rm prefill sh -c 'cat /etc/passwd | head -1; ls -ln /etc/group') || return 1
        assert_contains "$out" "root:x:0:0" || return 1
        local v=$CCOMPOSE_ROOT/volumes/${P}_etc/_data
        [ -f "$v/passwd" ] || { fail "volume not filled from the image"; return 1; }
        assert_eq "$(stat -c %a "$v")" 755 || return 1
        # filled only when empty: a change survives the next run
        echo extra >>"$v/group"
        out=$(run --rm prefill tail -1 /etc/group) || return 1
        assert_eq "$out" extra
}
t_volume_anon() {
        local before after
        before=$(ls "$CCOMPOSE_ROOT/volumes" 2>/dev/null | wc -l)
        run --rm anon sh -c 'echo x > /anon/f' || return 1
        after=$(ls "$CCOMPOSE_ROOT/volumes" 2>/dev/null | wc -l)
        assert_eq "$after" "$before" "(anonymous volume not removed with --rm)"
}
t_symlink_escape() {
        # A symlink inside the container (/v/esc -> /etc) used as a mount
        # target must resolve inside the rootfs, never to the host's /etc.
        run --rm vols sh -c 'ln -sfn /etc /data/esc; ln -sfn ../../../../../../etc /data/rel' || return 1
        rm -f "$D/bind-rw/marker"; echo marker >"$D/bind-rw/marker"
        local out; out=$(run --rm escape sh -c 'ls /etc/inside; cat /etc/inside/marker') || return 1
        assert_contains "$out" marker || return 1
        [ ! -e /etc/inside ] || { rmdir /etc/inside 2>/dev/null; fail "mountpoint created on the host's /etc"; return 1; }
        return 0
}
t_read_only() {
        local out; out=$(run --rm ro sh -c 'touch /x 2>&1; touch /scratch/y && echo scratch-ok; echo > /dev/shm/z && echo shm-ok; stat -c %a /sized; df -k /sized | tail -1') || return 1
        assert_contains "$out" "Read-only file system" || return 1
        assert_contains "$out" "scratch-ok" || return 1
        assert_contains "$out" "shm-ok" || return 1
        assert_contains "$out" "700" || return 1
        assert_contains "$out" " 1024 "
}
t_tmpfs_noexec() {
        local out; out=$(run --rm ro sh -c 'cp /bin/busybox /scratch/bb && /scratch/bb true' 2>&1)
        assert_contains "$out" "Permission denied"
}
t_oom() {
        run --rm mem sh -c 'head -c 200m /dev/zero | tail'
        assert_eq "$?" 137
}
t_oom_pid1() {
        run --rm mem tail /dev/zero
        assert_eq "$?" 137
}
t_pids() {
        local out; out=$(run --rm pids sh -c 'for i in $(seq 20); do sleep 1 & done; wait' 2>&1)
        assert_contains "$out" "can't fork"
}
t_cgroupfs() {
        # The container's own cgroups, read-only, with its limits.
        local out; out=$(run --rm mem sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; mkdir /sys/fs/cgroup/x' 2>&1)
        assert_contains "$out" 25165824 || return 1
        assert_contains "$out" "Read-only file system"
}
t_cgroupfs_volume() {
        # A volume at /sys/fs/cgroup goes above the cgroup mounts (made
        # right after /sys then, not after the container's mounts).
        mkdir -p "$D/cgvol" && echo mine >"$D/cgvol/marker" || return 1
        local out; out=$(run --rm -v "$D/cgvol:/sys/fs/cgroup:ro" web sh -c 'ls /sys/fs/cgroup; cat /sys/fs/cgroup/marker' 2>&1)
        assert_eq "$out" "marker
mine"
}
t_deploy_limits() {
        local out; out=$(run --rm deploy sh -c 'for i in $(seq 20); do sleep 1 & done; wait' 2>&1)
        assert_contains "$out" "can't fork"
}
t_env() {
        local out; out=$(FROM_SHELL=shell run --rm -e OVERRIDE=flag -e FROM_SHELL -e UNSET_ONE env env) || return 1
        assert_contains "$out" "PATH=/usr/sbin:/usr/bin:/sbin:/bin" || return 1
        assert_contains "$out" "FROM_FILE=file" || return 1
        assert_contains "$out" "FROM_ENV=environment" || return 1
        assert_contains "$out" "BOTH=environment" || return 1
        assert_contains "$out" "OVERRIDE=flag" || return 1
        assert_contains "$out" "FROM_SHELL=shell" || return 1
        assert_contains "$out" "HOME=/root" || return 1
        assert_not_contains "$out" "UNSET_ONE"
}
t_workdir() {
        local out; out=$(run --rm workdir pwd) || return 1
        assert_eq "$out" /made/by/run || return 1
        out=$(run --rm -w /other/dir workdir pwd) || return 1
        assert_eq "$out" /other/dir
}
t_entrypoint() {
        local out; out=$(run --rm entry) || return 1
        assert_eq "$out" "entry: from service" || return 1
        out=$(run --rm entry cli args) || return 1
        assert_eq "$out" "entry: cli args" || return 1
        out=$(run --rm --entrypoint "echo over" entry) || return 1
        assert_eq "$out" "over" || return 1
        out=$(run --rm --entrypoint "echo over" entry x) || return 1
        assert_eq "$out" "over x"
}
t_init() {
        local out; out=$(run --rm init sh -c 'cat /proc/1/comm; (sleep 0.1 &); sleep 0.6; ps -o stat,comm | grep -c "^Z"; exit 5')
        local rc=$?
        assert_eq "$rc" 5 || return 1
        assert_eq "$out" "ccompose-init"$'\n'"0"
}
# In the background, ccompose itself (not a subshell) must get the signal,
# and must not hold the test's output pipe.
bg_run() { "$CCOMPOSE" -f "$D/compose.yaml" -p "$P" run "$@" </dev/null & }
t_init_signal() {
        bg_run --rm init sleep 30 >/dev/null
        local pid=$!
        sleep 0.5
        kill -TERM $pid
        wait $pid
        assert_eq "$?" 143
}
t_signal_forward() {
        local out=$TMP/trap.out
        bg_run --rm trap >"$out"
        local pid=$! i
        for i in $(seq 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
        kill -TERM $pid
        wait $pid
        assert_eq "$?" 7
}
t_caps_add_drop() {
        local s; s=$(run --rm caps cat /proc/self/status) || return 1
        # default + NET_ADMIN (12) + SYS_TIME (25) - NET_RAW (13) - MKNOD (27)
        assert_eq "$(status CapEff <<<"$s")" 00000000a20415fb
}
t_caps_flags() {
        local s; s=$(run --rm --cap-drop ALL --cap-add CHOWN web cat /proc/self/status) || return 1
        assert_eq "$(status CapEff <<<"$s")" 0000000000000001
}
t_privileged() {
        local s; s=$(run --rm priv sh -c 'cat /proc/self/status; awk "\$2==\"/sys\" {print \"sys:\" \$4}" /proc/mounts; ls /dev | wc -l') || return 1
        assert_eq "$(status CapEff <<<"$s")" "$(status CapPrm </proc/self/status)" || return 1
        assert_eq "$(status Seccomp <<<"$s")" 0 || return 1
        assert_contains "$s" "sys:rw" || return 1
        [ "$(tail -1 <<<"$s")" -gt 30 ] || fail "host devices missing: $(tail -1 <<<"$s")"
}
t_sysctl() {
        local host; host=$(cat /proc/sys/net/ipv4/ip_forward)
        local out; out=$(run --rm misc cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax) || return 1
        assert_eq "$out" "1"$'\n'"65536" || return 1
        assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host"
}
t_sysctl_bad() {
        local out rc; out=$(run --rm badsysctl true 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
        assert_contains "$out" 'sysctl "vm.swappiness" is not in a separate kernel namespace'
}
t_ulimits() {
        local out; out=$(run --rm misc sh -c 'ulimit -n; ulimit -Hn; ulimit -u') || return 1
        local hard; hard=$(ulimit -Hn)
        assert_eq "$out" "100"$'\n'"$hard"$'\n'"77"
}
t_shm_size() {
        local out; out=$(run --rm misc df -k /dev/shm) || return 1
        assert_contains "$out" " 8192 " || return 1
        out=$(run --rm web df -k /dev/shm) || return 1
        assert_contains "$out" " 65536 "
}
t_net_private() {
        # its own netns: loopback up, and eth0 on the project's default network
        local out; out=$(run --rm web sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up') || return 1
        assert_eq "$out" "eth0"$'\n'"lo"$'\n'"lo-up"
}
t_net_none() {
        local out; out=$(run --rm none sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "') || return 1
        assert_eq "$out" "lo"
}
# The host's network namespace, and its interfaces but the bridges and
# veths of ccompose (other tests make and remove theirs meanwhile).
t_net_host() {
        local out; out=$(run --rm host sh -c 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | grep -v "^cc[bv]-" | sort') || return 1
        assert_eq "$out" "$(readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | grep -v '^cc[bv]-' | sort)"
}
t_stdin() {
        local out; out=$(echo piped-in | run --rm web cat) || return 1
        assert_eq "$out" piped-in || return 1
        out=$(echo piped-T | run --rm -T web tr a-z A-Z) || return 1
        assert_eq "$out" PIPED-T
}
t_tty() {
        command -v script >/dev/null || { echo "no script(1)"; return 0; }
        local out
        out=$(script -qec "stty cols 91 rows 17; $CCOMPOSE -f $D/compose.yaml -p $P run --rm web sh -c 'tty; stty size; echo \$TERM; exit 4'" /dev/null </dev/null)
        local rc=$?
        assert_eq "$rc" 4 || return 1
        assert_contains "$out" "/dev/pts/0" || return 1
        assert_contains "$out" "17 91" || return 1
        assert_contains "$out" "xterm"
}
t_flag_volume() {
        mkdir -p "$D/flagvol"
        run --rm -v "$D/flagvol:/fv" -v ./bind-ro:/fro:ro web sh -c 'echo f > /fv/x; cat /fro/f' >"$TMP/fv.out" || return 1
        assert_eq "$(cat "$D/flagvol/x")" f || return 1
        assert_eq "$(cat "$TMP/fv.out")" host-ro
}
t_step_error() {
        # A failure in the container's setup arrives with its step. The
        # mounts fail before the child waits for the engine's go, while the
        # engine moves it into its cgroup: whichever ends first, the
        # child's error is the one said (15 times, as the order varies).
        local out rc i
        for i in $(seq 1 15); do
                out=$(run --rm -v "$D/bind-rw:/etc/passwd" web true 2>&1); rc=$?
                [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
                assert_contains "$out" "service web: mounting volumes: " || return 1
                assert_contains "$out" "/etc/passwd: Not a directory" || return 1
        done
}
t_no_image() {
        local out rc; out=$(run --rm noimage true 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
        assert_contains "$out" "busybox:does-not-exist"
}
t_no_service() {
        local out rc; out=$(run --rm nosuch true 2>&1); rc=$?
        [ "$rc" -ne 0 ] || { fail "exit 0"; return 1; }
        assert_contains "$out" "no such service: nosuch"
}
t_keep_without_rm() {
        run --name kept web sh -c 'echo layer > /in-upper' || return 1
        local dirs; dirs=$(ls "$CCOMPOSE_ROOT/containers")
        assert_eq "$(wc -w <<<"$dirs")" 1 || return 1
        [ -f "$CCOMPOSE_ROOT/containers/$dirs/upper/in-upper" ] || { fail "upper dir not kept"; return 1; }
        rm -rf "${CCOMPOSE_ROOT:?}/containers/$dirs"
}
t_rm_removes() {
        run --rm web sh -c 'echo x > /f' || return 1
        assert_eq "$(ls -A "$CCOMPOSE_ROOT/containers" | wc -l)" 0
}
t_host_unchanged() {
        # The container's hostname and mounts stay in its namespaces.
        local before; before=$(hostname)
        run --rm misc true || return 1
        assert_eq "$(hostname)" "$before"
}

cases=(
        "run echo:t_hello" "exit code from command:t_exit3" "exit code from CLI command:t_exit_cli"
        "missing command is 127:t_notfound" "missing absolute command is 127:t_notfound_abs"
        "not executable is 126:t_noexec"
        "default capabilities:t_caps_default" "seccomp filter, no NoNewPrivs:t_seccomp"
        "no-new-privileges:t_nnp" "seccomp:unconfined:t_unconfined" "seccomp refuses unshare:t_seccomp_blocks"
        "non-root user has no effective caps:t_user_caps"
        "masked paths:t_masked" "read-only /proc paths:t_readonly_paths" "read-only /sys:t_sys_ro"
        "own pid namespace:t_pidns" "no host paths in /proc/mounts:t_mounts_no_host" "/dev contents:t_dev" "mknod-ed devices unusable:t_mknod_unusable"
        "default hostname:t_hostname_default" "hostname and domainname:t_hostname_set"
        "resolv.conf without localhost:t_resolv" "dns, dns_search, dns_opt:t_resolv_dns"
        "user by name:t_user_name" "user uid:gid and group_add:t_user_numeric" "-u flag:t_user_flag"
        "unknown user:t_user_bad"
        "bind rw:t_bind_rw" "bind ro:t_bind_ro" "missing bind source created:t_bind_create"
        "named volume persists:t_volume_persist" "named volume filled from image:t_volume_prefill"
        "anonymous volume removed with --rm:t_volume_anon" "symlinked mount target stays inside:t_symlink_escape"
        "read_only rootfs and tmpfs:t_read_only" "tmpfs noexec:t_tmpfs_noexec"
        "memory limit OOM-kills (137):t_oom" "OOM of PID 1 (137):t_oom_pid1"
        "pids limit refuses forks:t_pids" "/sys/fs/cgroup shows the own cgroup:t_cgroupfs"
        "a volume at /sys/fs/cgroup is above the cgroup mounts:t_cgroupfs_volume" "deploy.resources.limits:t_deploy_limits"
        "environment precedence:t_env" "working_dir and -w:t_workdir" "entrypoint and --entrypoint:t_entrypoint"
        "init: true:t_init" "init forwards signals:t_init_signal" "signal forwarded to PID 1:t_signal_forward"
        "cap_add and cap_drop:t_caps_add_drop" "--cap-drop ALL --cap-add:t_caps_flags"
        "privileged:t_privileged" "sysctls:t_sysctl" "non-namespaced sysctl refused:t_sysctl_bad"
        "ulimits:t_ulimits" "shm_size:t_shm_size"
        "own netns, loopback and eth0:t_net_private" "network_mode none:t_net_none" "network_mode host:t_net_host"
        "stdin piped:t_stdin" "tty:t_tty" "-v flag:t_flag_volume" "setup error names the step:t_step_error"
        "missing image:t_no_image" "unknown service:t_no_service" "without --rm the dir is kept:t_keep_without_rm"
        "--rm removes the container dir:t_rm_removes" "host untouched:t_host_unchanged"
)
plan $((${#cases[@]} + 1))
t "image setup" setup
[ "$_T_FAILED" -eq 0 ] || bail_out "images could not be set up (see the case above)"
for entry in "${cases[@]}"; do
        c "${entry%:*}" "${entry##*:}"
done
done_testing

#!/bin/bash
# docker run's options through the Docker Engine API service (issue 16:
# "unsupported parameters are refused"): Debian's docker CLI against
# `ccompose system service`, and what the container sees of each option
# (cgroup limits, capabilities, a read-only root and tmpfs, /etc/hosts and
# resolv.conf, an init, a healthcheck, no-new-privileges, /dev/shm,
# ulimits, sysctls), docker inspect showing them, and an option the
# service does not apply refused with docker's exit code 125 and a message
# naming it. The service is stopped by its PID; nothing of it is left.
# Subnet: 10.213.106.0/24 (--bip).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/api-lib.sh"

plan 14

api_prelude 14 "10\.213\.106\." 10.213.106.0/24 "api-run"
on_exit api_cleanup
start_service 10.213.106.0/24

# run --rm ARGS...: its output; fails (with it) unless it exits 0
run() {
        local out
        out=$(dk run --rm "$@" 2>&1) || { echo "docker run --rm $*: $out"; return 1; }
        printf '%s\n' "$out"
}

# --memory, --cpus, --cpu-shares, --pids-limit: the container's cgroup
t_resources() {
        local out
        if [ -d /sys/fs/cgroup/memory ]; then
                out=$(run --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 50 busybox:test sh -c \
                        'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max') || return 1
                assert_eq "$(echo $out)" "67108864 50000 100000 512 50"
        else
                out=$(run --memory 64m --cpus 0.5 --pids-limit 50 busybox:test sh -c \
                        'cd /sys/fs/cgroup; cat memory.max cpu.max pids.max') || return 1
                assert_eq "$(echo $out)" "67108864 50000 100000 50"
        fi
        local f=/sys/fs/cgroup/pids.max
        [ -d /sys/fs/cgroup/pids ] && f=/sys/fs/cgroup/pids/pids.max
        out=$(run busybox:test cat "$f") || return 1
        assert_eq "$out" max "(no --pids-limit: none)"
}

# --cap-drop, --cap-add, --privileged: the process's effective set
t_capabilities() {
        local out want
        out=$(run busybox:test grep CapEff /proc/self/status) || return 1
        assert_eq "$out" "CapEff:	00000000a80425fb" "(docker's default set)" || return 1
        # NET_RAW (bit 13) dropped, SYS_TIME (bit 25) added
        out=$(run --cap-drop NET_RAW --cap-add SYS_TIME busybox:test grep CapEff /proc/self/status) || return 1
        assert_eq "$out" "CapEff:	00000000aa0405fb" || return 1
        out=$(run --cap-drop ALL --cap-add CHOWN busybox:test grep CapEff /proc/self/status) || return 1
        assert_eq "$out" "CapEff:	0000000000000001" || return 1
        # privileged: all the service itself may give
        want=$(awk '/^CapBnd/ {print $2}' "/proc/$SVC_PID/status")
        out=$(run --privileged busybox:test grep CapEff /proc/self/status) || return 1
        assert_eq "$out" "CapEff:	$want" "(--privileged)"
}

# --read-only with a --tmpfs
t_read_only_tmpfs() {
        local out
        out=$(dk run --rm --read-only --tmpfs /run:size=1m,mode=1770 busybox:test sh -c \
                'touch /x 2>&1; echo "rc=$?"; grep " /run " /proc/mounts; stat -c %a /run; touch /run/ok && echo tmpfs-ok') || return 1
        assert_contains "$out" "Read-only file system" || return 1
        assert_contains "$out" "rc=1" || return 1
        assert_contains "$out" "tmpfs /run tmpfs" || return 1
        assert_contains "$out" "size=1024k" || return 1
        assert_contains "$out" "1770" || return 1
        assert_contains "$out" tmpfs-ok || return 1
        out=$(run busybox:test sh -c 'touch /x && echo writable') || return 1
        assert_eq "$out" writable "(without --read-only)"
}

# --add-host in /etc/hosts; --dns, --dns-search, --dns-option in resolv.conf
t_hosts_dns() {
        local out
        out=$(run --add-host "extra$ID:10.213.106.99" busybox:test cat /etc/hosts) || return 1
        assert_contains "$out" "10.213.106.99	extra$ID" || return 1
        out=$(run --network none --dns 10.213.106.53 --dns-search example.test --dns-option ndots:3 busybox:test cat /etc/resolv.conf) || return 1
        assert_contains "$out" "nameserver 10.213.106.53" || return 1
        assert_contains "$out" "search example.test" || return 1
        assert_contains "$out" "options ndots:3"
}

# --init: PID 1 is an init that runs the command (and reaps), not the command
t_init() {
        local out
        out=$(run busybox:test cat /proc/1/comm) || return 1
        assert_eq "$out" cat "(without --init)" || return 1
        out=$(run --init busybox:test sh -c 'cat /proc/1/comm; echo $$') || return 1
        [ "$(head -1 <<<"$out")" != sh ] || fail "--init: PID 1 is the command: $out" || return 1
        [ "$(tail -1 <<<"$out")" != 1 ] || fail "--init: the command is PID 1" || return 1
        assert_eq "$(dk run --rm --init busybox:test sh -c 'exit 7'; echo $?)" 7 "(its exit code through the init)"
}

# --health-cmd: starting, then healthy in ps and inspect
t_healthcheck() {
        local out st=
        dk run -d --name "hc$ID" --health-cmd 'test -e /tmp/ok' --health-interval 1s --health-retries 2 busybox:test \
                sh -c 'sleep 1; touch /tmp/ok; exec sleep 300' >/dev/null || return 1
        out=$(dk inspect -f '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}' "hc$ID") || return 1
        assert_eq "$out" '["CMD-SHELL","test -e /tmp/ok"] 1s 2' || return 1
        for _ in $(seq 1 300); do
                st=$(dk inspect -f '{{.State.Health.Status}}' "hc$ID") && [ "$st" = healthy ] && break
                sleep 0.1
        done
        assert_eq "$st" healthy || return 1
        assert_contains "$(dk ps --format '{{.Names}} {{.Status}}' --filter "name=hc$ID")" "(healthy)" || return 1
        dk rm -f "hc$ID" >/dev/null
}

# --security-opt no-new-privileges, --shm-size, --ulimit, --sysctl
t_security_limits() {
        local out
        out=$(run --security-opt no-new-privileges --shm-size 8m --ulimit nofile=100:200 --sysctl net.core.somaxconn=100 \
                busybox:test sh -c 'grep NoNewPrivs /proc/self/status; grep " /dev/shm " /proc/mounts; ulimit -n; ulimit -Hn; cat /proc/sys/net/core/somaxconn') || return 1
        assert_contains "$out" "NoNewPrivs:	1" || return 1
        assert_contains "$out" "size=8192k" || return 1
        assert_contains "$out" $'\n100\n200\n100' || return 1
        out=$(run busybox:test grep NoNewPrivs /proc/self/status) || return 1
        assert_eq "$out" "NoNewPrivs:	0" "(without the option)"
}

# docker inspect shows what the container was made with; stop signal and timeout
t_inspect() {
        local out
        dk create --name "made$ID" --memory 32m --cap-drop NET_RAW --stop-signal SIGUSR1 --stop-timeout 3 --init \
                -v /data busybox:test sleep 300 >/dev/null || return 1
        out=$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.CapDrop}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{.HostConfig.Init}} {{json .Config.Volumes}}' "made$ID") || return 1
        assert_eq "$out" '33554432 [NET_RAW] SIGUSR1 3 true {"/data":{}}' || return 1
        dk start "made$ID" >/dev/null || return 1
        # SIGUSR1 ends busybox's sleep at once: stop takes far less than its timeout
        local a b
        a=$(date +%s)
        dk stop "made$ID" >/dev/null || return 1
        b=$(date +%s)
        [ $((b - a)) -lt 3 ] || fail "stop took $((b - a)) s: the stop signal was not SIGUSR1" || return 1
        assert_contains "$(dk ps -a --format '{{.Names}} {{.Status}}' --filter "name=made$ID")" "Exited (138)" || return 1
        dk rm "made$ID" >/dev/null
}

# start, stop and kill go to the container's supervisor on its control
# socket; with none (killed here), start runs a new one
t_start_without_supervisor() {
        local proj sup out
        dk create --name "lone$ID" busybox:test sh -c 'trap "exit 3" TERM; echo started; while :; do sleep 0.1; done' >/dev/null || return 1
        proj=$(project_of "lone$ID")
        sup=$(jq -r .supervisor_pid "$CCOMPOSE_RUNTIME_DIR/$proj/state.json")
        [ "$sup" -gt 0 ] 2>/dev/null || fail "no supervisor recorded for $proj" || return 1
        grep -q ccompose "/proc/$sup/cmdline" && kill -KILL "$sup"
        for _ in $(seq 1 100); do kill -0 "$sup" 2>/dev/null || break; sleep 0.05; done
        dk start "lone$ID" >/dev/null || return 1
        assert_eq "$(dk inspect -f '{{.State.Status}}' "lone$ID")" running || return 1
        for _ in $(seq 1 100); do out=$(dk logs "lone$ID") && [ -n "$out" ] && break; sleep 0.1; done
        assert_eq "$out" started || return 1
        dk kill -s TERM "lone$ID" >/dev/null || return 1
        assert_eq "$(dk wait "lone$ID")" 3 "(exit code after kill -s TERM)" || return 1
        dk rm "lone$ID" >/dev/null
}

# what the service does not apply: refused naming it, as dockerd's errors
# come out of docker run (exit code 125); nothing is made
t_refused() {
        local out rc before
        before=$(api_projects | wc -l)
        out=$(dk run --rm --blkio-weight 300 busybox:test true 2>&1); rc=$?
        assert_eq "$rc" 125 "(exit code of docker run)" || return 1
        assert_contains "$out" "docker: Error response from daemon: HostConfig.BlkioWeight is not supported by this service yet" || return 1
        out=$(dk run --rm --cgroup-parent mine busybox:test true 2>&1); rc=$?
        assert_eq "$rc" 125 || return 1
        assert_contains "$out" "HostConfig.CgroupParent is not supported" || return 1
        out=$(dk create --pid container:other busybox:test true 2>&1); rc=$?
        assert_eq "$rc" 1 "(exit code of docker create)" || return 1
        assert_contains "$out" "HostConfig.PidMode container:other is not supported" || return 1
        out=$(dk run --rm --userns host busybox:test true 2>&1); rc=$?
        assert_eq "$rc" 125 || return 1
        assert_contains "$out" "HostConfig.UsernsMode" || return 1
        assert_eq "$(api_projects | wc -l)" "$before" "(no container made)"
}

# The service runs ccompose's commands (create, the removal of a --rm
# container) with its own code, in a forked child, not by starting the
# binary again: one started from a copy keeps working once that copy is
# gone (as after an upgrade replaced the installed binary), and its fork
# server ends with it. Its own socket; --network none.
# (api-lib.sh: start_service2, stop_service2)
on_exit stop_service2
t_binary_gone() {
        local bin=$TMP/bin sock2=$SOCK2 out rc
        start_service2 10.213.106.240/28 || return 1
        rm "$bin/ccompose"
        out=$(DOCKER_HOST=unix://$sock2 dk run --rm --network none --name gone$ID busybox:test sh -c 'echo hi; exit 3' 2>&1); rc=$?
        assert_eq "$out" hi "(output)" || return 1
        assert_eq "$rc" 3 "(exit code)" || return 1
        assert_eq "$(DOCKER_HOST=unix://$sock2 dk ps -a -q --filter name=gone$ID)" "" "(removed)" || return 1
        stop_service2
        for _ in $(seq 1 100); do pgrep -f "$sock2" >/dev/null || break; sleep 0.05; done
        [ -z "$(pgrep -f "$sock2")" ] || fail "left running: $(ps -o pid,cmd -p "$(pgrep -d, -f "$sock2")")" || return 1
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service2.log" || fail "service log: $(cat "$TMP/service2.log")"
}

# containers made without a name: 30 in a row all made, each its own
# name (docker's adjective_scientist; a taken one is not given again: the
# 144 pairs of ours collided for 30 containers 19 times out of 20)
t_unnamed() {
        local ids=() id i
        for i in $(seq 1 30); do
                id=$(dk create --network none busybox:test true 2>&1) || { fail "docker create #$i: $id"; break; }
                ids+=("$id")
        done
        local made=${#ids[@]} names
        names=$(dk inspect -f '{{.Name}}' "${ids[@]}" | sort -u | wc -l)
        dk rm "${ids[@]}" >/dev/null
        assert_eq "$made" 30 "(made)" || return 1
        assert_eq "$names" 30 "(distinct names)"
}

t_nothing_left() {
        assert_eq "$(dk ps -a -q)" "" "(containers)" || return 1
        assert_eq "$(api_projects)" "" "(API projects)" || return 1
        [ -z "$(api_links)" ] || fail "links left: $(api_links)" || return 1
        stop_service || return 1
        assert_eq "$(api_bridge)" "" "(docker's bridge network, once the service stopped)" || return 1
        ! grep -qiE 'sanitizer|segmentation|abort' "$TMP/service.log" || fail "service log: $(cat "$TMP/service.log")"
}

t "--memory --cpus --cpu-shares --pids-limit: the container's cgroup limits" t_resources
t "--cap-drop --cap-add --privileged: the effective capabilities" t_capabilities
t "--read-only --tmpfs: a read-only root, a writable tmpfs with its size and mode" t_read_only_tmpfs
t "--add-host, --dns --dns-search --dns-option" t_hosts_dns
t "--init: an init is PID 1, the exit code passes through" t_init
t "--health-cmd: healthy in inspect and ps" t_healthcheck
t "--security-opt no-new-privileges --shm-size --ulimit --sysctl" t_security_limits
t "inspect shows the options; --stop-signal is used by stop" t_inspect
t "start without a supervisor runs one; kill -s TERM; wait" t_start_without_supervisor
t "options not applied are refused by name (docker run exits 125), nothing made" t_refused
t "docker run --rm: the container is gone when it returns" bash -c "out=\$($DOCKER run --rm --name rm$ID busybox:test echo hi) && [ \"\$out\" = hi ] && [ -z \"\$($DOCKER ps -a -q --filter name=rm$ID)\" ]"
t "a service whose binary is gone still runs and removes containers (commands forked, not started)" t_binary_gone
t "containers made without a name: each gets a free one" t_unnamed
t "nothing left: containers, projects, links; no crash in the service's log" t_nothing_left
done_testing

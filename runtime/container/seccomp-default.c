/* Docker's default seccomp profile as a static table: moby
 * profiles/seccomp/default.json (default_linux.go), including the updates
 * for kernels up to 6.13 (moby #47341, #50077, #50097). Default action:
 * ERRNO(EPERM). Groups are kept in the profile's order; a group applies
 * when the container's bounding set holds every capability in
 * caps_include and none in caps_exclude, and the host architecture passes
 * its arches filters. The "minKernel 4.8" condition of the ptrace group is
 * always true on the kernels ccompose supports. As in Docker 25.0 (moby
 * #46762), io_uring_setup, io_uring_enter and io_uring_register are not
 * allowed: they get the default action, EPERM (io_uring has been a steady
 * source of kernel exploits, and its requests bypass the filter). */
#include <linux/capability.h>
#include <sys/socket.h>

#include "cc-util.h"
#include "seccomp-profile.h"

#define CAP(c) (UINT64_C(1) << (c))

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* The namespace flags clone may not carry without CAP_SYS_ADMIN. */
#define CC_SC_CLONE_NS_FLAGS                                                                        \
        (0x00020000 /* NEWNS */ | 0x04000000 /* NEWUTS */ | 0x08000000 /* NEWIPC */ |                \
         0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */ | 0x40000000 /* NEWNET */ |              \
         0x02000000 /* NEWCGROUP */)

/* Allowed for everyone. */
static const char *const cc__sc_base[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
        "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
        "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
        "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
        "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
        "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
        "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
        "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
        "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
        "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
        "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd",
        "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
        "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
        "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
        "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
        "gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch",
        "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
        "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit",
        "ioctl", "ioprio_get",
        "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
        "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
        "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
        "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
        "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
        "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
        "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
        "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
        "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
        "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
        "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32",
        "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
        "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt",
        "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget",
        "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
        "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount",
        "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
        "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
        "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
        "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "waitpid", "write", "writev", NULL,
};

static const char *const cc__sc_ptrace_new_kernels[] = {"process_vm_readv", "process_vm_writev", "ptrace", NULL};
static const char *const cc__sc_socket[] = {"socket", NULL};
static const char *const cc__sc_personality[] = {"personality", NULL};
static const char *const cc__sc_ppc64le[] = {"sync_file_range2", "swapcontext", NULL};
static const char *const cc__sc_arm[] = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                         "breakpoint", "cacheflush", "set_tls", NULL};
static const char *const cc__sc_arch_prctl[] = {"arch_prctl", NULL};
static const char *const cc__sc_modify_ldt[] = {"modify_ldt", NULL};
static const char *const cc__sc_s390[] = {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr", NULL};
static const char *const cc__sc_riscv[] = {"riscv_flush_icache", "riscv_hwprobe", NULL};
static const char *const cc__sc_dac_read_search[] = {"open_by_handle_at", NULL};
static const char *const cc__sc_sys_admin[] = {
        "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
        "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
        "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare", NULL,
};
static const char *const cc__sc_clone[] = {"clone", NULL};
static const char *const cc__sc_clone3[] = {"clone3", NULL};
static const char *const cc__sc_sys_boot[] = {"reboot", NULL};
static const char *const cc__sc_sys_chroot[] = {"chroot", NULL};
static const char *const cc__sc_sys_module[] = {"delete_module", "init_module", "finit_module", NULL};
static const char *const cc__sc_sys_pacct[] = {"acct", NULL};
static const char *const cc__sc_sys_ptrace[] = {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                                                "process_vm_writev", "ptrace", NULL};
static const char *const cc__sc_sys_rawio[] = {"iopl", "ioperm", NULL};
static const char *const cc__sc_sys_time[] = {"settimeofday", "stime", "clock_settime", "clock_settime64", NULL};
static const char *const cc__sc_sys_tty_config[] = {"vhangup", NULL};
static const char *const cc__sc_sys_nice[] = {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node",
                                              NULL};
static const char *const cc__sc_syslog[] = {"syslog", NULL};
static const char *const cc__sc_bpf[] = {"bpf", NULL};
static const char *const cc__sc_perfmon[] = {"perf_event_open", NULL};

#define ALLOW .action = CC_SC_ALLOW
#define PERSONALITY(v) {cc__sc_personality, ALLOW, .op = CC_SC_OP_EQ, .arg = 0, .value = (v)}

const struct cc_sc_rule cc_seccomp_default_rules[] = {
        {cc__sc_base, ALLOW},
        {cc__sc_ptrace_new_kernels, ALLOW},
        /* Everything but vsock, which is not namespaced. */
        {cc__sc_socket, ALLOW, .op = CC_SC_OP_NE, .arg = 0, .value = AF_VSOCK},
        /* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff. */
        PERSONALITY(0x0),
        PERSONALITY(0x8),
        PERSONALITY(0x20000),
        PERSONALITY(0x20008),
        PERSONALITY(0xffffffff),
        {cc__sc_ppc64le, ALLOW, .arches_include = CC_SC_ARCH_PPC64LE},
        {cc__sc_arm, ALLOW, .arches_include = CC_SC_ARCH_ARM | CC_SC_ARCH_ARM64},
        {cc__sc_arch_prctl, ALLOW, .arches_include = CC_SC_ARCH_AMD64 | CC_SC_ARCH_X32},
        {cc__sc_modify_ldt, ALLOW, .arches_include = CC_SC_ARCH_AMD64 | CC_SC_ARCH_X32 | CC_SC_ARCH_X86},
        {cc__sc_s390, ALLOW, .arches_include = CC_SC_ARCH_S390 | CC_SC_ARCH_S390X},
        {cc__sc_riscv, ALLOW, .arches_include = CC_SC_ARCH_RISCV64},
        {cc__sc_dac_read_search, ALLOW, .caps_include = CAP(CAP_DAC_READ_SEARCH)},
        {cc__sc_sys_admin, ALLOW, .caps_include = CAP(CAP_SYS_ADMIN)},
        /* Without CAP_SYS_ADMIN: clone without namespace flags (s390 passes the flags second). */
        {cc__sc_clone, ALLOW, .op = CC_SC_OP_MASKED_EQ, .arg = 0, .value = CC_SC_CLONE_NS_FLAGS, .value2 = 0,
         .caps_exclude = CAP(CAP_SYS_ADMIN), .arches_exclude = CC_SC_ARCH_S390 | CC_SC_ARCH_S390X},
        {cc__sc_clone, ALLOW, .op = CC_SC_OP_MASKED_EQ, .arg = 1, .value = CC_SC_CLONE_NS_FLAGS, .value2 = 0,
         .caps_exclude = CAP(CAP_SYS_ADMIN), .arches_include = CC_SC_ARCH_S390 | CC_SC_ARCH_S390X},
        /* clone3's flags are behind a pointer: make libc fall back to clone. */
        {cc__sc_clone3, .action = CC_SC_ERRNO, .errno_ret = 38 /* ENOSYS */, .caps_exclude = CAP(CAP_SYS_ADMIN)},
        {cc__sc_sys_boot, ALLOW, .caps_include = CAP(CAP_SYS_BOOT)},
        {cc__sc_sys_chroot, ALLOW, .caps_include = CAP(CAP_SYS_CHROOT)},
        {cc__sc_sys_module, ALLOW, .caps_include = CAP(CAP_SYS_MODULE)},
        {cc__sc_sys_pacct, ALLOW, .caps_include = CAP(CAP_SYS_PACCT)},
        {cc__sc_sys_ptrace, ALLOW, .caps_include = CAP(CAP_SYS_PTRACE)},
        {cc__sc_sys_rawio, ALLOW, .caps_include = CAP(CAP_SYS_RAWIO)},
        {cc__sc_sys_time, ALLOW, .caps_include = CAP(CAP_SYS_TIME)},
        {cc__sc_sys_tty_config, ALLOW, .caps_include = CAP(CAP_SYS_TTY_CONFIG)},
        {cc__sc_sys_nice, ALLOW, .caps_include = CAP(CAP_SYS_NICE)},
        {cc__sc_syslog, ALLOW, .caps_include = CAP(CAP_SYSLOG)},
        {cc__sc_bpf, ALLOW, .caps_include = CAP(CAP_BPF)},
        {cc__sc_perfmon, ALLOW, .caps_include = CAP(CAP_PERFMON)},
};
const size_t cc_seccomp_default_nrules = CC_ARRAY_SIZE(cc_seccomp_default_rules);

/* x86_64 numbers of the syscalls added since Linux 5.x that the profile
 * names, for a libseccomp too old to resolve them (Debian 12 has 2.5.4).
 * Only the native architecture gets these rules. */
const struct cc_sc_number cc_seccomp_native_numbers[] = {
#if defined(__x86_64__)
        {"uretprobe", 335},
        {"pidfd_send_signal", 424},
        {"io_uring_setup", 425},
        {"io_uring_enter", 426},
        {"io_uring_register", 427},
        {"open_tree", 428},
        {"move_mount", 429},
        {"fsopen", 430},
        {"fsconfig", 431},
        {"fsmount", 432},
        {"fspick", 433},
        {"pidfd_open", 434},
        {"clone3", 435},
        {"close_range", 436},
        {"openat2", 437},
        {"pidfd_getfd", 438},
        {"faccessat2", 439},
        {"process_madvise", 440},
        {"epoll_pwait2", 441},
        {"mount_setattr", 442},
        {"quotactl_fd", 443},
        {"landlock_create_ruleset", 444},
        {"landlock_add_rule", 445},
        {"landlock_restrict_self", 446},
        {"memfd_secret", 447},
        {"process_mrelease", 448},
        {"futex_waitv", 449},
        {"set_mempolicy_home_node", 450},
        {"cachestat", 451},
        {"fchmodat2", 452},
        {"map_shadow_stack", 453},
        {"futex_wake", 454},
        {"futex_wait", 455},
        {"futex_requeue", 456},
        {"statmount", 457},
        {"listmount", 458},
        {"lsm_get_self_attr", 459},
        {"lsm_set_self_attr", 460},
        {"lsm_list_modules", 461},
        {"mseal", 462},
        {"setxattrat", 463},
        {"getxattrat", 464},
        {"listxattrat", 465},
        {"removexattrat", 466},
#endif
        {NULL, -1},
};
const size_t cc_seccomp_native_nnumbers = CC_ARRAY_SIZE(cc_seccomp_native_numbers) - 1;

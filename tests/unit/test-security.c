/* Capabilities (Docker semantics of cap_add/cap_drop/privileged, and the
 * sets a container child ends up with) and Docker's default seccomp
 * profile, checked by loading it into forked children. No root needed,
 * except for the capability-application cases, which say so and pass
 * trivially without it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <grp.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "security.h"
#include "tap.h"

#define BIT(c) (UINT64_C(1) << (c))

static const uint64_t docker_default = UINT64_C(0xa80425fb);

/* ---- helpers ---- */

static struct cc_strv strv(const char *a, const char *b, const char *c)
{
        struct cc_strv v = {0};
        if (a)
                cc_strv_push(&v, a);
        if (b)
                cc_strv_push(&v, b);
        if (c)
                cc_strv_push(&v, c);
        return v;
}

static uint64_t compute_ok(const char *a1, const char *a2, const char *d1, const char *d2, bool priv)
{
        struct cc_strv add = strv(a1, a2, NULL), drop = strv(d1, d2, NULL);
        struct cc_error err = {0};
        uint64_t mask = 0;
        int r = cc_caps_compute(&add, &drop, priv, &mask, &err);
        if (r != 0)
                tap_fail(__FILE__, __LINE__, "cc_caps_compute: %d %s", r, cc_error_msg(&err));
        cc_strv_free(&add);
        cc_strv_free(&drop);
        return mask;
}

/* Value of a /proc/self/status field ("CapEff"), as a static string. */
static const char *status_field(const char *name)
{
        static char value[128];
        char buf[8192];
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        size_t len = strlen(name);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, name, len) == 0 && line[len] == ':') {
                        const char *v = line + len + 1;
                        while (*v == '\t' || *v == ' ')
                                v++;
                        size_t k = strcspn(v, "\n");
                        if (k >= sizeof(value))
                                k = sizeof(value) - 1;
                        memcpy(value, v, k);
                        value[k] = '\0';
                        return value;
                }
        }
        return NULL;
}

static uint64_t status_caps(const char *name)
{
        const char *v = status_field(name);
        if (!v)
                tap_fail(__FILE__, __LINE__, "no %s in /proc/self/status", name);
        return strtoull(v, NULL, 16);
}

/* Run fn in a forked child; the child fails through tap_fail (exit 1). */
static void in_child(void (*fn)(void *), void *arg)
{
        fflush(stdout);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                fn(arg);
                fflush(stdout);
                _exit(0);
        }
        int st = 0;
        ASSERT(waitpid(pid, &st, 0) == pid);
        if (WIFSIGNALED(st))
                tap_fail(__FILE__, __LINE__, "child killed by signal %d", WTERMSIG(st));
        ASSERT_INTEQ(WEXITSTATUS(st), 0);
}

static struct cc_seccomp *filter_for(uint64_t caps)
{
        struct cc_error err = {0};
        struct cc_seccomp *s = NULL;
        int r = cc_seccomp_default(caps, &s, &err);
        if (r != 0)
                tap_fail(__FILE__, __LINE__, "cc_seccomp_default: %d %s", r, cc_error_msg(&err));
        return s;
}

/* In a child: no_new_privs + load, so no privilege is needed. */
static void load_filter(struct cc_seccomp *s)
{
        ASSERT_INTEQ(cc_seccomp_no_new_privs(), 0);
        ASSERT_INTEQ(cc_seccomp_load(s), 0);
}

/* errno of a raw syscall, 0 when it succeeded. */
#define SYSCALL_ERRNO(...) (syscall(__VA_ARGS__) < 0 ? errno : 0)

static void skip_unless_root(void)
{
        if (geteuid() != 0)
                tap_skip("needs root");
}

/* ---- capability names and masks ---- */

TEST(default_caps_are_dockers_14)
{
        uint64_t m = cc_caps_default();
        ASSERT_INTEQ(__builtin_popcountll(m), 14);
        ASSERT_INTEQ(m, docker_default);
        const char *names[] = {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                               "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                               "AUDIT_WRITE"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
                uint64_t b = 0;
                ASSERT_INTEQ(cc_cap_from_name(names[i], &b), 0);
                ASSERT(m & b);
        }
}

TEST(default_caps_exclude_dangerous_ones)
{
        uint64_t m = cc_caps_default();
        ASSERT(!(m & BIT(CAP_SYS_ADMIN)));
        ASSERT(!(m & BIT(CAP_NET_ADMIN)));
        ASSERT(!(m & BIT(CAP_SYS_PTRACE)));
        ASSERT(!(m & BIT(CAP_SYS_MODULE)));
        ASSERT(!(m & BIT(CAP_DAC_READ_SEARCH)));
        ASSERT(!(m & BIT(CAP_SYS_TIME)));
}

TEST(all_caps_is_every_known_capability)
{
        ASSERT_INTEQ(cc_caps_all(), (BIT(CAP_LAST_CAP + 1) - 1));
        ASSERT_INTEQ(__builtin_popcountll(cc_caps_all()), 41);
        for (int c = 0; c <= CAP_LAST_CAP; c++) {
                const char *n = cc_cap_name(c);
                ASSERT_NOT_NULL(n);
                uint64_t b = 0;
                ASSERT_INTEQ(cc_cap_from_name(n, &b), 0);
                ASSERT_INTEQ(b, BIT(c));
        }
        ASSERT_NULL(cc_cap_name(CAP_LAST_CAP + 1));
        ASSERT_NULL(cc_cap_name(-1));
}

TEST(cap_name_forms)
{
        const char *forms[] = {"NET_ADMIN", "CAP_NET_ADMIN", "net_admin", "cap_Net_Admin", "Cap_NET_admin"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(forms); i++) {
                uint64_t b = 0;
                ASSERT_INTEQ(cc_cap_from_name(forms[i], &b), 0);
                ASSERT_INTEQ(b, BIT(CAP_NET_ADMIN));
        }
        uint64_t b = 0;
        ASSERT_INTEQ(cc_cap_from_name("ALL", &b), 0);
        ASSERT_INTEQ(b, cc_caps_all());
        ASSERT_INTEQ(cc_cap_from_name("all", &b), 0);
        ASSERT_INTEQ(b, cc_caps_all());
}

TEST(cap_name_errors)
{
        const char *bad[] = {"FOO", "CAP_", "", "CAP_ALL", "NET ADMIN", "CAP_NET_ADMINX", "SYS_ADMI"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
                uint64_t b = 42;
                ASSERT_INTEQ(cc_cap_from_name(bad[i], &b), -EINVAL);
                ASSERT_INTEQ(b, 42);
        }
        uint64_t b;
        ASSERT_INTEQ(cc_cap_from_name(NULL, &b), -EINVAL);
}

/* ---- cap_add / cap_drop / privileged ---- */

TEST(compute_without_changes_is_default)
{
        struct cc_error err = {0};
        uint64_t m = 0;
        ASSERT_INTEQ(cc_caps_compute(NULL, NULL, false, &m, &err), 0);
        ASSERT_INTEQ(m, docker_default);
        ASSERT_INTEQ(compute_ok(NULL, NULL, NULL, NULL, false), docker_default);
}

TEST(compute_add)
{
        uint64_t m = compute_ok("NET_ADMIN", "cap_sys_ptrace", NULL, NULL, false);
        ASSERT_INTEQ(m, docker_default | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_PTRACE));
}

TEST(compute_drop)
{
        uint64_t m = compute_ok(NULL, NULL, "NET_RAW", "CAP_MKNOD", false);
        ASSERT_INTEQ(m, docker_default & ~(BIT(CAP_NET_RAW) | BIT(CAP_MKNOD)));
        ASSERT_INTEQ(__builtin_popcountll(m), 12);
}

TEST(compute_add_wins_over_drop_of_same_cap)
{
        /* Docker drops first, then adds. */
        uint64_t m = compute_ok("NET_RAW", NULL, "NET_RAW", NULL, false);
        ASSERT_INTEQ(m, docker_default);
}

TEST(compute_drop_all_keeps_only_added)
{
        ASSERT_INTEQ(compute_ok("CHOWN", "cap_kill", "ALL", NULL, false), BIT(CAP_CHOWN) | BIT(CAP_KILL));
        ASSERT_INTEQ(compute_ok(NULL, NULL, "all", NULL, false), 0);
}

TEST(compute_add_all_minus_drops)
{
        ASSERT_INTEQ(compute_ok("ALL", NULL, "SYS_ADMIN", "NET_ADMIN", false),
                     cc_caps_all() & ~(BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_ADMIN)));
        /* As in Docker, "ALL" in cap_drop names no capability once cap_add has ALL. */
        ASSERT_INTEQ(compute_ok("ALL", NULL, "ALL", NULL, false), cc_caps_all());
}

TEST(compute_privileged_is_all)
{
        ASSERT_INTEQ(compute_ok(NULL, NULL, NULL, NULL, true), cc_caps_all());
        ASSERT_INTEQ(compute_ok(NULL, NULL, "ALL", "SYS_ADMIN", true), cc_caps_all());
}

TEST(compute_unknown_names_fail_with_message)
{
        struct cc_strv add = strv("NET_ADMIN", "FOO", NULL), drop = strv("BAR", NULL, NULL), none = {0};
        struct cc_error err = {0};
        uint64_t m = 7;
        ASSERT_INTEQ(cc_caps_compute(&add, &none, false, &m, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "cap_add: unknown capability \"FOO\"");
        ASSERT_INTEQ(m, 7);
        cc_error_clear(&err);
        ASSERT_INTEQ(cc_caps_compute(&none, &drop, false, &m, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "cap_drop: unknown capability \"BAR\"");
        cc_error_clear(&err);
        /* A typo is an error even when privileged makes the list moot. */
        ASSERT_INTEQ(cc_caps_compute(&none, &drop, true, &m, &err), -EINVAL);
        cc_error_clear(&err);
        cc_strv_free(&add);
        cc_strv_free(&drop);
}

/* ---- seccomp: compilation ---- */

TEST(seccomp_filter_compiles)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        ASSERT_NOT_NULL(s->prog.filter);
        /* ~370 syscalls on three architectures: hundreds of instructions, within the kernel's limit. */
        ASSERT(s->prog.len > 300);
        ASSERT(s->prog.len <= 4096);
        printf("# default filter: %u instructions\n", s->prog.len);
        cc_seccomp_free(s);
        cc_seccomp_free(NULL);
}

TEST(seccomp_filter_depends_on_caps)
{
        struct cc_seccomp *a = filter_for(cc_caps_default());
        struct cc_seccomp *b = filter_for(cc_caps_default() | BIT(CAP_SYS_ADMIN));
        struct cc_seccomp *c = filter_for(cc_caps_all());
        struct cc_seccomp *a2 = filter_for(cc_caps_default());
        ASSERT(a->prog.len != b->prog.len ||
               memcmp(a->prog.filter, b->prog.filter, a->prog.len * sizeof(struct sock_filter)) != 0);
        ASSERT(c->prog.len > a->prog.len);
        /* Deterministic: the same caps give the same program (so it can be cached). */
        ASSERT_INTEQ(a->prog.len, a2->prog.len);
        ASSERT(memcmp(a->prog.filter, a2->prog.filter, a->prog.len * sizeof(struct sock_filter)) == 0);
        printf("# +SYS_ADMIN: %u, all caps: %u instructions\n", b->prog.len, c->prog.len);
        cc_seccomp_free(a);
        cc_seccomp_free(b);
        cc_seccomp_free(c);
        cc_seccomp_free(a2);
}

TEST(seccomp_load_rejects_empty)
{
        struct cc_seccomp empty = {0};
        ASSERT_INTEQ(cc_seccomp_load(NULL), -EINVAL);
        ASSERT_INTEQ(cc_seccomp_load(&empty), -EINVAL);
}

/* ---- seccomp: behaviour in a child ---- */

static void child_status(void *arg)
{
        ASSERT_STREQ(status_field("Seccomp"), "0");
        load_filter(arg);
        ASSERT_STREQ(status_field("Seccomp"), "2");
        ASSERT_STREQ(status_field("NoNewPrivs"), "1");
}

TEST(seccomp_status_shows_filter_mode)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_status, s);
        cc_seccomp_free(s);
}

static void child_keyring(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0, 0, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_add_key, "user", "ccompose", "x", 1, -3), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_request_key, "user", "ccompose", NULL, 0), EPERM);
}

TEST(seccomp_blocks_keyring)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_keyring, s);
        cc_seccomp_free(s);
}

static void child_privileged_calls(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_bpf, 0, NULL, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_unshare, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_reboot, 0, 0, 0, NULL), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_init_module, NULL, 0, ""), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_settimeofday, NULL, NULL), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_swapon, "/nonexistent", 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_userfaultfd, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
}

TEST(seccomp_blocks_kexec_bpf_mount_without_caps)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_privileged_calls, s);
        cc_seccomp_free(s);
}

static void child_basic(void *arg)
{
        pid_t before = getpid();
        load_filter(arg);
        ASSERT_INTEQ(getpid(), before);
        ASSERT_INTEQ(syscall(SYS_getpid), before);
        int p[2];
        ASSERT_INTEQ(pipe2(p, O_CLOEXEC), 0);
        ASSERT_INTEQ(write(p[1], "x", 1), 1);
        char c = 0;
        ASSERT_INTEQ(read(p[0], &c, 1), 1);
        ASSERT(c == 'x');
        /* fork(): glibc tries clone3 (ENOSYS here) and falls back to clone. */
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0)
                _exit(7);
        int st = 0;
        ASSERT_INTEQ(waitpid(pid, &st, 0), pid);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 7);
        /* ptrace (minKernel 4.8) is allowed: the kernel, not the filter, answers. */
        ASSERT(SYSCALL_ERRNO(SYS_ptrace, 0x4242, 0, 0, 0) != EPERM);
        /* chroot is allowed with SYS_CHROOT (a default capability): the lookup fails first. */
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_chroot, "/nonexistent-ccompose"), ENOENT);
}

TEST(seccomp_allows_ordinary_calls)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_basic, s);
        cc_seccomp_free(s);
}

static void child_clone3(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_clone3, NULL, 0), ENOSYS);
}

static void child_clone3_admin(void *arg)
{
        load_filter(arg);
        /* Passed to the kernel, which refuses a zero-sized argument. */
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_clone3, NULL, 0), EINVAL);
}

TEST(seccomp_clone3_enosys_without_sys_admin)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_clone3, s);
        cc_seccomp_free(s);
        s = filter_for(cc_caps_default() | BIT(CAP_SYS_ADMIN));
        in_child(child_clone3_admin, s);
        cc_seccomp_free(s);
}

static void child_clone_ns(void *arg)
{
        load_filter(arg);
        const unsigned long flags[] = {CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                       CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP};
        for (size_t i = 0; i < CC_ARRAY_SIZE(flags); i++) {
                long r = syscall(SYS_clone, flags[i] | SIGCHLD, 0, NULL, NULL, 0);
                if (r == 0)
                        _exit(0);
                ASSERT_INTEQ(r, -1);
                ASSERT_INTEQ(errno, EPERM);
        }
}

TEST(seccomp_clone_namespace_flags_refused)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_clone_ns, s);
        cc_seccomp_free(s);
}

static void child_personality(void *arg)
{
        load_filter(arg);
        long cur = syscall(SYS_personality, 0xffffffffUL);
        ASSERT(cur >= 0);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_personality, (unsigned long) ADDR_NO_RANDOMIZE), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_personality, (unsigned long) (PER_LINUX | READ_IMPLIES_EXEC)), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_personality, (unsigned long) PER_BSD), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_personality, (unsigned long) PER_LINUX32), 0);
        ASSERT_INTEQ(syscall(SYS_personality, 0xffffffffUL), PER_LINUX32);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_personality, (unsigned long) PER_LINUX), 0);
        ASSERT_INTEQ(syscall(SYS_personality, 0xffffffffUL), PER_LINUX);
}

TEST(seccomp_personality_only_docker_values)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_personality, s);
        cc_seccomp_free(s);
}

static void child_socket(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0), EPERM);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT(fd >= 0);
        close(fd);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT(fd >= 0);
        close(fd);
}

TEST(seccomp_socket_vsock_refused)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_socket, s);
        cc_seccomp_free(s);
}

/* Docker 25.0 took io_uring out of its default profile (moby #46762): the
 * three calls fall to the default action, EPERM. With no filter, enter and
 * register on fd -2 say EBADF and setup with no params EFAULT (or EPERM
 * where kernel.io_uring_disabled is 2), so the asserts below see the filter. */
static void child_io_uring(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_io_uring_setup, 1, NULL), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_io_uring_enter, -2, 0, 0, 0, NULL, 0), EPERM);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_io_uring_register, -2, 0, NULL, 0), EPERM);
}

static void child_io_uring_unfiltered(void *arg)
{
        (void) arg;
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_io_uring_enter, -2, 0, 0, 0, NULL, 0), EBADF);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_io_uring_register, -2, 0, NULL, 0), EBADF);
}

TEST(seccomp_blocks_io_uring)
{
        in_child(child_io_uring_unfiltered, NULL);
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_io_uring, s);
        cc_seccomp_free(s);
        /* not even with every capability (moby removed the calls outright) */
        s = filter_for(cc_caps_all());
        in_child(child_io_uring, s);
        cc_seccomp_free(s);
}

static void child_new_syscalls(void *arg)
{
        char path[] = "/tmp/ccompose-test-seccomp-XXXXXX";
        int fd = mkstemp(path);
        ASSERT(fd >= 0);
        close(fd);
        load_filter(arg);
        /* fchmodat2 (6.6), futex_wake (6.7), mseal (6.9): in the profile, so the
         * kernel answers (success, or EINVAL/ENOSYS on older kernels), never EPERM. */
        int e = SYSCALL_ERRNO(452 /* fchmodat2 */, AT_FDCWD, path, 0600, 0);
        unlink(path);
        ASSERT(e != EPERM);
        ASSERT(SYSCALL_ERRNO(454 /* futex_wake */, NULL, 0UL, 0, 0) != EPERM);
        ASSERT(SYSCALL_ERRNO(462 /* mseal */, NULL, 1UL, 0xffUL) != EPERM);
        /* Newer than anything in the profile: ENOSYS, so libc falls back (runc's stub). */
        ASSERT_INTEQ(SYSCALL_ERRNO(500), ENOSYS);
        ASSERT_INTEQ(SYSCALL_ERRNO(1000), ENOSYS);
        /* Old but not allowed: EPERM (the default action). */
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_uselib, NULL), EPERM);
}

TEST(seccomp_newer_syscalls)
{
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_new_syscalls, s);
        cc_seccomp_free(s);
}

#if defined(__x86_64__)
/* A 32-bit (i386) syscall from this 64-bit process: the filter's compat part. */
static long int80(long nr, long a, long b, long c)
{
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
        return ret;
}

/* One int $0x80 call in a child of its own, so that a crash ends only
 * that child: filter s loaded first (NULL: none), or, with allow_all, a
 * filter that lets everything through. Returns the call's result, with
 * the child's pid in *pid; or -1 with the signal that killed it in *sig. */
static long int80_in_child(struct cc_seccomp *s, bool allow_all, long nr, long a, long b, long c, pid_t *pid,
                           int *sig)
{
        int p[2];
        ASSERT_INTEQ(pipe(p), 0);
        fflush(stdout);
        *pid = fork();
        ASSERT(*pid >= 0);
        if (*pid == 0) {
                close(p[0]);
                if (s)
                        load_filter(s);
                if (allow_all) {
                        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                        if (!ctx || seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0 || cc_seccomp_no_new_privs() < 0 ||
                            seccomp_load(ctx) < 0)
                                _exit(3);
                }
                long r = int80(nr, a, b, c);
                _exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 2);
        }
        close(p[1]);
        long r = 0;
        ssize_t n = read(p[0], &r, sizeof(r));
        close(p[0]);
        int st = 0;
        ASSERT(waitpid(*pid, &st, 0) == *pid);
        *sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        if (*sig)
                return -1;
        ASSERT_INTEQ(WEXITSTATUS(st), 0);
        ASSERT_INTEQ(n, (ssize_t) sizeof(r));
        return r;
}

TEST(seccomp_compat_x86_filtered_too)
{
        /* Whether this machine runs i386 syscalls from a 64-bit process at
         * all, and under a seccomp filter at all: both probed in children.
         * Some kernels (or hypervisors) kill int $0x80 with SIGSEGV; then
         * the compat part of the filter cannot be checked here. */
        pid_t pid;
        int sig;
        long r = int80_in_child(NULL, false, 20 /* getpid */, 0, 0, 0, &pid, &sig);
        if (sig)
                tap_skip("int $0x80 from a 64-bit process is killed by signal %d on this machine", sig);
        if (r != pid)
                tap_skip("no IA32 emulation in this kernel (getpid gave %ld)", r);
        r = int80_in_child(NULL, true, 20, 0, 0, 0, &pid, &sig);
        if (sig)
                tap_skip("int $0x80 under any seccomp filter (even one allowing everything) is killed by "
                         "signal %d on this machine: the compat part of the profile cannot be checked", sig);
        ASSERT_INTEQ(r, pid);

        struct cc_seccomp *s = filter_for(cc_caps_default());
        static const struct {
                const char *what;
                long nr, a, b, c, want; /* want 1: any result >= 0 */
        } cases[] = {
                {"getuid32", 199, 0, 0, 0, 1},
                {"keyctl", 288, 0, -3, 0, -EPERM},
                {"kexec_load", 283, 0, 0, 0, -EPERM},
                {"clone3", 435, 0, 0, 0, -ENOSYS},
                {"personality(query)", 136, 0xffffffffL, 0, 0, 1},
                {"personality(ADDR_NO_RANDOMIZE)", 136, 0x0040000, 0, 0, -EPERM},
                {"socket(AF_VSOCK)", 359, 40, SOCK_STREAM, 0, -EPERM},
        };
        r = int80_in_child(s, false, 20, 0, 0, 0, &pid, &sig);
        if (sig)
                tap_fail(__FILE__, __LINE__, "filtered getpid killed by signal %d (an allow-all filter passes it)", sig);
        ASSERT_INTEQ(r, pid);
        for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
                r = int80_in_child(s, false, cases[i].nr, cases[i].a, cases[i].b, cases[i].c, &pid, &sig);
                if (sig)
                        tap_fail(__FILE__, __LINE__, "compat %s: killed by signal %d", cases[i].what, sig);
                if (cases[i].want == 1 ? r < 0 : r != cases[i].want)
                        tap_fail(__FILE__, __LINE__, "compat %s: got %ld, want %s%ld", cases[i].what, r,
                                 cases[i].want == 1 ? ">= 0, not " : "", cases[i].want == 1 ? r : cases[i].want);
        }
        cc_seccomp_free(s);
}
#endif

static void child_unshare_allowed(void *arg)
{
        load_filter(arg);
        /* unshare(0) changes nothing: the filter lets it through with CAP_SYS_ADMIN. */
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_unshare, 0), 0);
}

static void child_chroot_refused(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_chroot, "/nonexistent-ccompose"), EPERM);
}

static void child_ptrace_group(void *arg)
{
        load_filter(arg);
        ASSERT(SYSCALL_ERRNO(SYS_kcmp, getpid(), getpid(), 0, 0, 0) != EPERM);
}

static void child_ptrace_group_refused(void *arg)
{
        load_filter(arg);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_kcmp, getpid(), getpid(), 0, 0, 0), EPERM);
}

TEST(seccomp_capability_groups)
{
        struct cc_seccomp *s = filter_for(cc_caps_default() | BIT(CAP_SYS_ADMIN));
        in_child(child_unshare_allowed, s);
        cc_seccomp_free(s);
        s = filter_for(cc_caps_default() & ~BIT(CAP_SYS_CHROOT));
        in_child(child_chroot_refused, s);
        cc_seccomp_free(s);
        s = filter_for(cc_caps_default() | BIT(CAP_SYS_PTRACE));
        in_child(child_ptrace_group, s);
        cc_seccomp_free(s);
        s = filter_for(cc_caps_default());
        in_child(child_ptrace_group_refused, s);
        cc_seccomp_free(s);
}

static void child_unprivileged_load(void *arg)
{
        /* Without no_new_privs and without CAP_SYS_ADMIN the kernel refuses. */
        ASSERT_INTEQ(cc_caps_prepare(0), 0);
        ASSERT_INTEQ(setresuid(65534, 65534, 65534), 0);
        ASSERT_INTEQ(cc_caps_apply(0, false), 0);
        ASSERT_INTEQ(cc_seccomp_load(arg), -EACCES);
        ASSERT_STREQ(status_field("Seccomp"), "0");
}

TEST(seccomp_load_needs_nnp_or_sys_admin)
{
        skip_unless_root();
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_unprivileged_load, s);
        cc_seccomp_free(s);
}

/* ---- applying capabilities (root) ---- */

static uint64_t engine_permitted(void)
{
        return status_caps("CapPrm");
}

static void child_apply_root(void *arg)
{
        uint64_t mask = *(uint64_t *) arg, have = engine_permitted();
        ASSERT_INTEQ(cc_caps_prepare(mask), 0);
        ASSERT_INTEQ(cc_caps_apply(mask, false), 0);
        ASSERT_INTEQ(status_caps("CapEff"), mask & have);
        ASSERT_INTEQ(status_caps("CapPrm"), mask & have);
        ASSERT_INTEQ(status_caps("CapBnd"), mask & status_caps("CapBnd"));
        ASSERT_INTEQ(status_caps("CapBnd") & ~mask, 0);
        ASSERT_INTEQ(status_caps("CapInh"), 0);
        ASSERT_INTEQ(status_caps("CapAmb"), 0);
}

TEST(caps_apply_root_gets_mask)
{
        skip_unless_root();
        uint64_t mask = cc_caps_default();
        in_child(child_apply_root, &mask);
        mask = cc_caps_default() | BIT(CAP_NET_ADMIN);
        in_child(child_apply_root, &mask);
}

TEST(caps_apply_privileged_gets_all_the_engine_has)
{
        skip_unless_root();
        uint64_t mask = cc_caps_all();
        in_child(child_apply_root, &mask);
}

static void child_apply_nonroot(void *arg)
{
        uint64_t mask = *(uint64_t *) arg;
        ASSERT_INTEQ(cc_caps_prepare(mask), 0);
        ASSERT_INTEQ(setgroups(0, NULL), 0);
        ASSERT_INTEQ(setresgid(65534, 65534, 65534), 0);
        ASSERT_INTEQ(setresuid(65534, 65534, 65534), 0);
        ASSERT_INTEQ(cc_caps_apply(mask, false), 0);
        ASSERT_INTEQ(status_caps("CapEff"), 0);
        ASSERT_INTEQ(status_caps("CapPrm"), 0);
        ASSERT_INTEQ(status_caps("CapInh"), 0);
        ASSERT_INTEQ(status_caps("CapAmb"), 0);
        ASSERT_INTEQ(status_caps("CapBnd"), mask);
        ASSERT_INTEQ(getuid(), 65534);
        ASSERT_INTEQ(getgid(), 65534);
}

TEST(caps_apply_nonroot_has_empty_effective)
{
        skip_unless_root();
        uint64_t mask = cc_caps_default();
        in_child(child_apply_nonroot, &mask);
        /* Even when SETUID/SETGID are dropped, the uid change in between still works. */
        mask = cc_caps_default() & ~(BIT(CAP_SETUID) | BIT(CAP_SETGID));
        in_child(child_apply_nonroot, &mask);
}

static void child_apply_nonroot_keep(void *arg)
{
        uint64_t mask = *(uint64_t *) arg;
        ASSERT_INTEQ(cc_caps_prepare(mask), 0);
        ASSERT_INTEQ(setresuid(1000, 1000, 1000), 0);
        ASSERT_INTEQ(cc_caps_apply(mask, true), 0);
        ASSERT_INTEQ(status_caps("CapEff"), mask);
        ASSERT_INTEQ(status_caps("CapPrm"), mask);
        ASSERT_INTEQ(status_caps("CapInh"), mask);
        ASSERT_INTEQ(status_caps("CapAmb"), mask);
        ASSERT_INTEQ(status_caps("CapBnd"), mask);
}

TEST(caps_apply_nonroot_keep_uses_ambient)
{
        skip_unless_root();
        uint64_t mask = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN);
        in_child(child_apply_nonroot_keep, &mask);
}

/* Exec /bin/cat /proc/self/status with the sets applied, return CapEff/CapBnd of the new program. */
static void exec_status(uint64_t mask, uid_t uid, uint64_t *eff, uint64_t *bnd)
{
        int p[2];
        ASSERT_INTEQ(pipe(p), 0);
        fflush(stdout);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
                dup2(p[1], 1);
                if (cc_caps_prepare(mask) < 0 || setresuid(uid, uid, uid) < 0 || cc_caps_apply(mask, false) < 0)
                        _exit(99);
                execl("/bin/cat", "cat", "/proc/self/status", (char *) NULL);
                _exit(98);
        }
        close(p[1]);
        char buf[8192];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = '\0';
        close(p[0]);
        int st = 0;
        ASSERT_INTEQ(waitpid(pid, &st, 0), pid);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        const char *e = strstr(buf, "CapEff:"), *b = strstr(buf, "CapBnd:");
        ASSERT(e && b);
        *eff = strtoull(e + 7, NULL, 16);
        *bnd = strtoull(b + 7, NULL, 16);
}

TEST(caps_survive_exec_like_docker)
{
        skip_unless_root();
        uint64_t eff = 1, bnd = 1;
        exec_status(cc_caps_default(), 0, &eff, &bnd);
        ASSERT_INTEQ(eff, docker_default);
        ASSERT_INTEQ(bnd, docker_default);
        exec_status(cc_caps_default(), 65534, &eff, &bnd);
        ASSERT_INTEQ(eff, 0);
        ASSERT_INTEQ(bnd, docker_default);
}

static void child_full_sequence(void *arg)
{
        struct cc_seccomp *s = arg;
        uint64_t mask = cc_caps_default();
        /* The documented order without no_new_privs. */
        ASSERT_INTEQ(cc_seccomp_load(s), 0);
        ASSERT_INTEQ(cc_caps_prepare(mask), 0);
        ASSERT_INTEQ(setgroups(0, NULL), 0);
        ASSERT_INTEQ(setresgid(65534, 65534, 65534), 0);
        ASSERT_INTEQ(setresuid(65534, 65534, 65534), 0);
        ASSERT_INTEQ(cc_caps_apply(mask, false), 0);
        ASSERT_STREQ(status_field("Seccomp"), "2");
        ASSERT_STREQ(status_field("NoNewPrivs"), "0");
        ASSERT_INTEQ(status_caps("CapEff"), 0);
        ASSERT_INTEQ(status_caps("CapBnd"), mask);
        ASSERT_INTEQ(SYSCALL_ERRNO(SYS_keyctl, 0, -3, 0, 0, 0), EPERM);
}

TEST(child_sequence_without_nnp)
{
        skip_unless_root();
        struct cc_seccomp *s = filter_for(cc_caps_default());
        in_child(child_full_sequence, s);
        cc_seccomp_free(s);
}

/* Compile Docker's default seccomp profile (seccomp-default.c)
 * with libseccomp into ready BPF, once per capability mask, in the
 * parent; the container child only loads it (cc_seccomp_load).
 *
 * Layout of the program, as runc + Docker build it on this architecture:
 *  - a short stub that answers ENOSYS for native syscall numbers beyond the
 *    newest one the profile names, so that a libc probing a syscall newer
 *    than the profile falls back instead of failing with EPERM (runc's
 *    patchbpf does the same);
 *  - libseccomp's filter for the native architecture and the compat ones
 *    Docker adds (x86 and x32 on x86_64, arm on aarch64), default action
 *    ERRNO(EPERM).
 * The native architecture is built in its own context so that syscalls
 * the linked libseccomp cannot name can still be added by number; the
 * compat contexts are merged in afterwards. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cc-error.h"
#include "seccomp-profile.h"
#include "security.h"

static unsigned cc__sc_host_arch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
        return CC_SC_ARCH_X32;
#elif defined(__x86_64__)
        return CC_SC_ARCH_AMD64;
#elif defined(__i386__)
        return CC_SC_ARCH_X86;
#elif defined(__aarch64__)
        return CC_SC_ARCH_ARM64;
#elif defined(__arm__)
        return CC_SC_ARCH_ARM;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return CC_SC_ARCH_PPC64LE;
#elif defined(__s390x__)
        return CC_SC_ARCH_S390X;
#elif defined(__s390__)
        return CC_SC_ARCH_S390;
#elif defined(__riscv) && __riscv_xlen == 64
        return CC_SC_ARCH_RISCV64;
#else
        return 0;
#endif
}

static bool cc__sc_rule_applies(const struct cc_sc_rule *r, uint64_t caps, unsigned arch)
{
        if ((caps & r->caps_include) != r->caps_include)
                return false;
        if (caps & r->caps_exclude)
                return false;
        if (r->arches_include && !(r->arches_include & arch))
                return false;
        if (r->arches_exclude & arch)
                return false;
        return true;
}

static int cc__sc_rule_add(scmp_filter_ctx ctx, const struct cc_sc_rule *r, int nr)
{
        uint32_t act = r->action == CC_SC_ALLOW ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO((uint16_t) r->errno_ret);

        switch (r->op) {
        case CC_SC_OP_EQ:
                return seccomp_rule_add(ctx, act, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_EQ, r->value));
        case CC_SC_OP_NE:
                return seccomp_rule_add(ctx, act, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_NE, r->value));
        case CC_SC_OP_MASKED_EQ:
                return seccomp_rule_add(ctx, act, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->value, r->value2));
        case CC_SC_OP_NONE:
        default:
                return seccomp_rule_add(ctx, act, nr, 0);
        }
}

/* The native number of a syscall: libseccomp's, else our own table.
 * Returns __NR_SCMP_ERROR when neither knows the name. */
static int cc__sc_native_nr(const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr != __NR_SCMP_ERROR)
                return nr;
        for (size_t i = 0; i < cc_seccomp_native_nnumbers; i++)
                if (cc_streq(cc_seccomp_native_numbers[i].name, name))
                        return cc_seccomp_native_numbers[i].nr;
        return __NR_SCMP_ERROR;
}

/* Add every applicable rule. native: use our number table for names
 * libseccomp does not know, and track the highest native number. */
static int cc__sc_add_profile(scmp_filter_ctx ctx, uint64_t caps, bool native, int *max_nr, struct cc_error *err)
{
        unsigned arch = cc__sc_host_arch();

        for (size_t i = 0; i < cc_seccomp_default_nrules; i++) {
                const struct cc_sc_rule *r = &cc_seccomp_default_rules[i];
                if (!cc__sc_rule_applies(r, caps, arch))
                        continue;
                for (const char *const *n = r->names; *n; n++) {
                        int nr = native ? cc__sc_native_nr(*n) : seccomp_syscall_resolve_name(*n);
                        if (nr == __NR_SCMP_ERROR)
                                continue; /* unknown here: Docker skips it too */
                        int rc = cc__sc_rule_add(ctx, r, nr);
                        if (rc < 0)
                                return cc_error_setsys(err, rc, "seccomp: add rule for %s", *n);
                        if (native && max_nr && nr > *max_nr)
                                *max_nr = nr;
                }
        }
        return 0;
}

static int cc__sc_ctx_new(scmp_filter_ctx *out, struct cc_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        if (!ctx)
                return cc_error_set(err, -ENOMEM, "seccomp: init filter");
        /* The child sets no_new_privs itself (or not) and loads the BPF;
         * libseccomp never loads this context. */
        int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (rc == 0)
                rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary tree */
        if (rc < 0) {
                seccomp_release(ctx);
                return cc_error_setsys(err, rc, "seccomp: set filter attributes");
        }
        *out = ctx;
        return 0;
}

/* The compat architectures Docker's archMap adds to the host's. */
static const uint32_t *cc__sc_compat_arches(size_t *n)
{
#if defined(__x86_64__) && !defined(__ILP32__)
        static const uint32_t a[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
#elif defined(__aarch64__)
        static const uint32_t a[] = {SCMP_ARCH_ARM};
#elif defined(__s390x__)
        static const uint32_t a[] = {SCMP_ARCH_S390};
#else
        static const uint32_t a[] = {0};
        *n = 0;
        return a;
#endif
        *n = CC_ARRAY_SIZE(a);
        return a;
}

static int cc__sc_build(uint64_t caps, scmp_filter_ctx *out, int *max_nr, struct cc_error *err)
{
        scmp_filter_ctx native = NULL, compat = NULL;
        size_t ncompat;
        const uint32_t *arches = cc__sc_compat_arches(&ncompat);
        int rc;

        rc = cc__sc_ctx_new(&native, err);
        if (rc < 0)
                return rc;
        rc = cc__sc_add_profile(native, caps, true, max_nr, err);
        if (rc < 0)
                goto fail;

        if (ncompat > 0) {
                rc = cc__sc_ctx_new(&compat, err);
                if (rc < 0)
                        goto fail;
                for (size_t i = 0; i < ncompat; i++) {
                        rc = seccomp_arch_add(compat, arches[i]);
                        if (rc < 0 && rc != -EEXIST) {
                                cc_error_setsys(err, rc, "seccomp: add compat architecture");
                                goto fail;
                        }
                }
                rc = seccomp_arch_remove(compat, SCMP_ARCH_NATIVE);
                if (rc < 0) {
                        cc_error_setsys(err, rc, "seccomp: remove native architecture");
                        goto fail;
                }
                rc = cc__sc_add_profile(compat, caps, false, NULL, err);
                if (rc < 0)
                        goto fail;
                rc = seccomp_merge(native, compat); /* releases compat on success */
                if (rc < 0) {
                        cc_error_setsys(err, rc, "seccomp: merge compat architectures");
                        goto fail;
                }
                compat = NULL;
        }
        *out = native;
        return 0;
fail:
        if (compat)
                seccomp_release(compat);
        seccomp_release(native);
        return rc;
}

/* libseccomp 2.5 exports BPF only to a file descriptor: use a memfd. */
static int cc__sc_export(scmp_filter_ctx ctx, struct sock_filter **out, size_t *n, struct cc_error *err)
{
        _cleanup_close_ int fd = memfd_create("ccompose-seccomp", MFD_CLOEXEC);
        struct stat st;
        int rc;

        if (fd < 0)
                return cc_error_setsys(err, -errno, "seccomp: memfd_create");
        rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0)
                return cc_error_setsys(err, rc, "seccomp: export BPF");
        if (fstat(fd, &st) < 0)
                return cc_error_setsys(err, -errno, "seccomp: stat exported BPF");
        if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
                return cc_error_set(err, -EINVAL, "seccomp: exported BPF has a bad size (%lld bytes)",
                                    (long long) st.st_size);
        struct sock_filter *f = cc_xmalloc((size_t) st.st_size);
        size_t done = 0;
        while (done < (size_t) st.st_size) {
                ssize_t k = pread(fd, (char *) f + done, (size_t) st.st_size - done, (off_t) done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        free(f);
                        return cc_error_setsys(err, k < 0 ? -errno : -EIO, "seccomp: read exported BPF");
                }
                done += (size_t) k;
        }
        *out = f;
        *n = (size_t) st.st_size / sizeof(struct sock_filter);
        return 0;
}

/* Prepend the ENOSYS stub for native syscalls newer than max_nr. The
 * filter's jumps are relative, so the original program is unchanged; the
 * stub's last jump falls through into it. x32 numbers (bit 30) are left to
 * the filter proper. */
static struct sock_filter *cc__sc_prepend_enosys(const struct sock_filter *f, size_t n, int max_nr, size_t *n_out)
{
#if defined(__x86_64__) && !defined(__ILP32__)
        const uint32_t audit_arch = AUDIT_ARCH_X86_64;
        const uint32_t x32_bit = 0x40000000;
#elif defined(__aarch64__)
        const uint32_t audit_arch = AUDIT_ARCH_AARCH64;
        const uint32_t x32_bit = 0;
#else
        const uint32_t audit_arch = 0;
        const uint32_t x32_bit = 0;
#endif
        if (audit_arch == 0 || max_nr <= 0) {
                struct sock_filter *copy = cc_xmalloc(n * sizeof(*f));
                memcpy(copy, f, n * sizeof(*f));
                *n_out = n;
                return copy;
        }
        const struct sock_filter stub[] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 0, 4),
                /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                /* 3 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, x32_bit, 2, 0),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t) max_nr, 0, 1),
                /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                /* 6: the filter proper */
        };
        size_t ns = CC_ARRAY_SIZE(stub);
        struct sock_filter *out = cc_xmalloc((ns + n) * sizeof(*f));
        memcpy(out, stub, sizeof(stub));
        memcpy(out + ns, f, n * sizeof(*f));
        *n_out = ns + n;
        return out;
}

int cc_seccomp_default(uint64_t caps, struct cc_seccomp **out, struct cc_error *err)
{
        scmp_filter_ctx ctx = NULL;
        struct sock_filter *bpf = NULL;
        size_t n = 0, total = 0;
        int max_nr = 0;
        int rc;

        rc = cc__sc_build(caps, &ctx, &max_nr, err);
        if (rc < 0)
                return rc;
        rc = cc__sc_export(ctx, &bpf, &n, err);
        seccomp_release(ctx);
        if (rc < 0)
                return rc;

        struct sock_filter *prog = cc__sc_prepend_enosys(bpf, n, max_nr, &total);
        free(bpf);
        if (total > BPF_MAXINSNS) {
                free(prog);
                return cc_error_set(err, -E2BIG, "seccomp: filter too long (%zu instructions, limit %d)", total,
                                    BPF_MAXINSNS);
        }
        struct cc_seccomp *s = cc_xcalloc(1, sizeof(*s));
        s->prog.len = (unsigned short) total;
        s->prog.filter = prog;
        *out = s;
        return 0;
}

int cc_seccomp_no_new_privs(void)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

int cc_seccomp_load(const struct cc_seccomp *s)
{
        if (!s || !s->prog.filter || s->prog.len == 0)
                return -EINVAL;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->prog) == 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &s->prog, 0, 0) < 0)
                return -errno;
        return 0;
}

void cc_seccomp_free(struct cc_seccomp *s)
{
        if (!s)
                return;
        free(s->prog.filter);
        free(s);
}

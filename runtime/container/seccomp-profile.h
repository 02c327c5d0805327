/* The shape of a seccomp profile as a static table (private to
 * seccomp*.c). It mirrors the fields of moby's
 * profiles/seccomp/default.json that the default profile uses: a group of
 * syscall names, one action, at most one argument condition, and
 * include/exclude filters on capabilities and architectures. */
#ifndef CC_SECCOMP_PROFILE_H
#define CC_SECCOMP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum cc_sc_action {
        CC_SC_ALLOW,
        CC_SC_ERRNO, /* fail with errno_ret */
};

enum cc_sc_op {
        CC_SC_OP_NONE,
        CC_SC_OP_EQ,        /* arg == value */
        CC_SC_OP_NE,        /* arg != value */
        CC_SC_OP_MASKED_EQ, /* (arg & value) == value2 */
};

/* Architectures as the profile's "arches" filters name them (Go's GOARCH
 * names); they are matched against the host's own architecture, as Docker
 * does. */
enum {
        CC_SC_ARCH_AMD64 = 1u << 0,
        CC_SC_ARCH_X32 = 1u << 1,
        CC_SC_ARCH_X86 = 1u << 2,
        CC_SC_ARCH_ARM = 1u << 3,
        CC_SC_ARCH_ARM64 = 1u << 4,
        CC_SC_ARCH_PPC64LE = 1u << 5,
        CC_SC_ARCH_S390 = 1u << 6,
        CC_SC_ARCH_S390X = 1u << 7,
        CC_SC_ARCH_RISCV64 = 1u << 8,
};

struct cc_sc_rule {
        const char *const *names; /* NULL-terminated */
        enum cc_sc_action action;
        int errno_ret;
        enum cc_sc_op op;
        unsigned arg;
        uint64_t value, value2;
        uint64_t caps_include;  /* needs every one of these capabilities */
        uint64_t caps_exclude;  /* left out when any of these is present */
        unsigned arches_include; /* 0 = every architecture */
        unsigned arches_exclude;
};

/* A syscall number for the native architecture, for names the linked
 * libseccomp may be too old to know. */
struct cc_sc_number {
        const char *name;
        int nr;
};

extern const struct cc_sc_rule cc_seccomp_default_rules[];
extern const size_t cc_seccomp_default_nrules;
extern const struct cc_sc_number cc_seccomp_native_numbers[];
extern const size_t cc_seccomp_native_nnumbers;

#endif

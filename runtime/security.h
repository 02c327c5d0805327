/* Capabilities and seccomp, with Docker's defaults. Owner: security/cgroups
 * (runtime/caps.c, runtime/seccomp*.c). The parent prepares everything;
 * the container child only applies what was prepared (no allocation, no
 * libseccomp calls after clone). */
#ifndef CC_SECURITY_H
#define CC_SECURITY_H

#include <linux/filter.h>
#include <stdint.h>

#include "cc-error.h"

/* Docker's 14 default capabilities:
 * CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
 * SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE */
uint64_t cc_caps_default(void);
uint64_t cc_caps_all(void);
/* Parse a capability name ("NET_ADMIN", "CAP_NET_ADMIN", "ALL", case-insensitive). -EINVAL if unknown. */
int cc_cap_from_name(const char *name, uint64_t *mask);
/* default + cap_add - cap_drop ("ALL" allowed in both, as Docker). */
int cc_caps_compute(const struct cc_strv *add, const struct cc_strv *drop, bool privileged, uint64_t *out,
                    struct cc_error *err);
/* In the child, before exec: set bounding, permitted, effective,
 * inheritable and ambient sets to mask (for the target uid: root keeps them
 * in effective; a non-root user gets them in bounding/permitted/inheritable
 * as Docker does, effective empty). Async-signal-safe. Returns -errno. */
int cc_caps_apply(uint64_t mask, bool keep_for_nonroot);

/* A compiled seccomp filter, ready to load in the child. */
struct cc_seccomp {
        struct sock_fprog prog;
};
/* Docker's default profile (moby profiles/seccomp/default.json) for this
 * architecture, given the capabilities the container will have (some rules
 * depend on caps, as in Docker). Compiled once per distinct caps mask and
 * cached by the caller. */
int cc_seccomp_default(uint64_t caps, struct cc_seccomp **out, struct cc_error *err);
/* In the child: load the filter (with no_new_privs as requested). Async-signal-safe. */
int cc_seccomp_load(const struct cc_seccomp *s);
void cc_seccomp_free(struct cc_seccomp *s);

#endif

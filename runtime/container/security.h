/* Capabilities and seccomp, with Docker's defaults. Owner: security/cgroups
 * (runtime/caps.c, seccomp*.c). The parent prepares everything;
 * the container child only applies what was prepared (no allocation, no
 * libseccomp calls after clone).
 *
 * In the parent (supervisor), once per distinct configuration:
 *   cc_caps_compute(cap_add, cap_drop, privileged, &mask, err);
 *   unless privileged (Docker runs privileged containers unconfined):
 *     cc_seccomp_default(mask, &filter, err);   -- cache it by mask
 *
 * In the container child, after every mount, pivot_root, hostname and
 * other privileged setup is done, in exactly this order:
 *   1. if !no_new_privs && filter: cc_seccomp_load(filter)
 *        Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it
 *        must happen while the child still has it (as runc does). The
 *        filter allows everything steps 2-5 need (prctl, capset, setgroups,
 *        setresgid, setresuid, execve).
 *   2. cc_caps_prepare(mask)
 *        Drops every capability outside mask from the bounding set and sets
 *        PR_SET_KEEPCAPS. Needs CAP_SETPCAP (the child still has all).
 *   3. setgroups(), setresgid(), setresuid()  -- the caller, to the user
 *        from the image / `user:`. Still possible here even when mask lacks
 *        SETUID/SETGID, because the effective set is untouched until step 4.
 *   4. cc_caps_apply(mask, keep_for_nonroot)
 *        Sets the final sets (see below) and clears PR_SET_KEEPCAPS.
 *   5. if no_new_privs: cc_seccomp_no_new_privs(); if filter: cc_seccomp_load(filter)
 *        With no_new_privs the filter needs no capability and is loaded as
 *        late as possible, just before exec.
 *   6. execve().
 * Every function used in the child is async-signal-safe (raw syscalls, no
 * allocation) and returns 0 or -errno, suitable for the parent/child
 * handshake.
 *
 * Resulting sets (as Docker >= 20.10.14 sets them):
 *   root (euid 0 after step 3): CapBnd = CapPrm = CapEff = mask, CapInh = CapAmb = 0
 *                               (and after exec the same: root gets the bounding set).
 *   non-root:                   CapBnd = mask, CapPrm = CapEff = CapInh = CapAmb = 0.
 *   non-root, keep_for_nonroot: CapBnd = CapPrm = CapEff = CapInh = CapAmb = mask
 *                               (ambient, so an unprivileged program keeps them
 *                               across exec; not a Docker default).
 * A capability the engine itself does not hold (missing from its own
 * permitted/bounding set) is silently left out: "privileged" means all
 * the engine has. */
#ifndef CC_SECURITY_H
#define CC_SECURITY_H

#include <linux/filter.h>
#include <stdint.h>

#include "cc-error.h"

/* Docker's 14 default capabilities:
 * CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
 * SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE  (mask 0xa80425fb) */
uint64_t cc_caps_default(void);
/* Every capability ccompose knows (0 .. CAP_CHECKPOINT_RESTORE = 40). */
uint64_t cc_caps_all(void);
/* Parse a capability name ("NET_ADMIN", "CAP_NET_ADMIN", "ALL", case-insensitive). -EINVAL if unknown. */
int cc_cap_from_name(const char *name, uint64_t *mask);
/* The name of capability number cap without "CAP_" ("NET_ADMIN"), NULL if unknown. */
const char *cc_cap_name(int cap);
/* default + cap_add - cap_drop ("ALL" allowed in both, as Docker):
 * privileged -> all; cap_add ALL -> all - cap_drop; cap_drop ALL -> cap_add only;
 * otherwise default - cap_drop + cap_add. An unknown name fails with
 * -EINVAL and `cap_add: unknown capability "FOO"`. add/drop may be NULL. */
int cc_caps_compute(const struct cc_strv *add, const struct cc_strv *drop, bool privileged, uint64_t *out,
                    struct cc_error *err);
/* Child, step 2 (before changing uid/gid): bounding set := mask, keep-caps on.
 * Async-signal-safe. Returns 0 or -errno. */
int cc_caps_prepare(uint64_t mask);
/* Child, step 4 (after changing uid/gid): set bounding, permitted, effective,
 * inheritable and ambient sets for the (now current) uid as described
 * above; clears keep-caps. Async-signal-safe. Returns 0 or -errno. */
int cc_caps_apply(uint64_t mask, bool keep_for_nonroot);

/* A compiled seccomp filter, ready to load in the child. prog.filter is
 * owned by the struct. */
struct cc_seccomp {
        struct sock_fprog prog;
};
/* Docker's default profile (moby profiles/seccomp/default.json, kernels up
 * to 6.13) for this architecture and its compat architectures, given the
 * capabilities (bounding set) the container will have: some rules depend
 * on caps, as in Docker. Default action ERRNO(EPERM); clone3 answers
 * ENOSYS without CAP_SYS_ADMIN; native syscalls newer than the profile
 * answer ENOSYS (as runc does). Compiled once per distinct caps mask and
 * cached by the caller; the struct is read-only afterwards and may be
 * shared by any number of children. */
int cc_seccomp_default(uint64_t caps, struct cc_seccomp **out, struct cc_error *err);
/* In the child: set no_new_privs. Async-signal-safe. Returns 0 or -errno. */
int cc_seccomp_no_new_privs(void);
/* In the child: load the filter (seccomp(SECCOMP_SET_MODE_FILTER)). Does
 * not set no_new_privs: without it the caller needs CAP_SYS_ADMIN (see the
 * order above), else -EACCES. Async-signal-safe. Returns 0 or -errno. */
int cc_seccomp_load(const struct cc_seccomp *s);
void cc_seccomp_free(struct cc_seccomp *s);

#endif

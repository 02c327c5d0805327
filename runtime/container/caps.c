/* Capabilities with Docker's semantics: the default set, cap_add/cap_drop
 * (names with or without "CAP_", any case, "ALL"), privileged; and the
 * two-step application in the container child (see security.h for the
 * order of calls). Everything after clone is raw syscalls: no allocation,
 * no libcap. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cc-error.h"
#include "security.h"

#define CC_CAP_BIT(c) (UINT64_C(1) << (c))

/* Index = capability number; names without the CAP_ prefix, as Docker prints them. */
static const char *const cc__cap_names[] = {
        [CAP_CHOWN] = "CHOWN",
        [CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "DAC_READ_SEARCH",
        [CAP_FOWNER] = "FOWNER",
        [CAP_FSETID] = "FSETID",
        [CAP_KILL] = "KILL",
        [CAP_SETGID] = "SETGID",
        [CAP_SETUID] = "SETUID",
        [CAP_SETPCAP] = "SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "NET_BROADCAST",
        [CAP_NET_ADMIN] = "NET_ADMIN",
        [CAP_NET_RAW] = "NET_RAW",
        [CAP_IPC_LOCK] = "IPC_LOCK",
        [CAP_IPC_OWNER] = "IPC_OWNER",
        [CAP_SYS_MODULE] = "SYS_MODULE",
        [CAP_SYS_RAWIO] = "SYS_RAWIO",
        [CAP_SYS_CHROOT] = "SYS_CHROOT",
        [CAP_SYS_PTRACE] = "SYS_PTRACE",
        [CAP_SYS_PACCT] = "SYS_PACCT",
        [CAP_SYS_ADMIN] = "SYS_ADMIN",
        [CAP_SYS_BOOT] = "SYS_BOOT",
        [CAP_SYS_NICE] = "SYS_NICE",
        [CAP_SYS_RESOURCE] = "SYS_RESOURCE",
        [CAP_SYS_TIME] = "SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "SYS_TTY_CONFIG",
        [CAP_MKNOD] = "MKNOD",
        [CAP_LEASE] = "LEASE",
        [CAP_AUDIT_WRITE] = "AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "AUDIT_CONTROL",
        [CAP_SETFCAP] = "SETFCAP",
        [CAP_MAC_OVERRIDE] = "MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "MAC_ADMIN",
        [CAP_SYSLOG] = "SYSLOG",
        [CAP_WAKE_ALARM] = "WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "AUDIT_READ",
        [CAP_PERFMON] = "PERFMON",
        [CAP_BPF] = "BPF",
        [CAP_CHECKPOINT_RESTORE] = "CHECKPOINT_RESTORE",
};

uint64_t cc_caps_default(void)
{
        return CC_CAP_BIT(CAP_CHOWN) | CC_CAP_BIT(CAP_DAC_OVERRIDE) | CC_CAP_BIT(CAP_FSETID) |
               CC_CAP_BIT(CAP_FOWNER) | CC_CAP_BIT(CAP_MKNOD) | CC_CAP_BIT(CAP_NET_RAW) |
               CC_CAP_BIT(CAP_SETGID) | CC_CAP_BIT(CAP_SETUID) | CC_CAP_BIT(CAP_SETFCAP) |
               CC_CAP_BIT(CAP_SETPCAP) | CC_CAP_BIT(CAP_NET_BIND_SERVICE) | CC_CAP_BIT(CAP_SYS_CHROOT) |
               CC_CAP_BIT(CAP_KILL) | CC_CAP_BIT(CAP_AUDIT_WRITE);
}

uint64_t cc_caps_all(void)
{
        return CC_CAP_BIT(CC_ARRAY_SIZE(cc__cap_names)) - 1;
}

const char *cc_cap_name(int cap)
{
        if (cap < 0 || (size_t) cap >= CC_ARRAY_SIZE(cc__cap_names))
                return NULL;
        return cc__cap_names[cap];
}

int cc_cap_from_name(const char *name, uint64_t *mask)
{
        if (!name)
                return -EINVAL;
        if (strcasecmp(name, "ALL") == 0) {
                *mask = cc_caps_all();
                return 0;
        }
        const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
        for (size_t i = 0; i < CC_ARRAY_SIZE(cc__cap_names); i++) {
                if (strcasecmp(bare, cc__cap_names[i]) == 0) {
                        *mask = CC_CAP_BIT(i);
                        return 0;
                }
        }
        return -EINVAL;
}

/* Parse a cap_add or cap_drop list: the union of its capabilities, and
 * whether it names ALL. */
static int cc__caps_parse_list(const struct cc_strv *list, const char *what, uint64_t *mask, bool *all,
                               struct cc_error *err)
{
        *mask = 0;
        *all = false;
        for (size_t i = 0; list && i < list->n; i++) {
                uint64_t m;
                if (cc_cap_from_name(list->v[i], &m) < 0)
                        return cc_error_set(err, -EINVAL, "%s: unknown capability \"%s\"", what, list->v[i]);
                if (strcasecmp(list->v[i], "ALL") == 0)
                        *all = true;
                else
                        *mask |= m;
        }
        return 0;
}

int cc_caps_compute(const struct cc_strv *add, const struct cc_strv *drop, bool privileged, uint64_t *out,
                    struct cc_error *err)
{
        uint64_t add_mask, drop_mask;
        bool add_all, drop_all;
        int r;

        /* Names are validated even when privileged makes them moot, so a
         * typo is reported the same way in every configuration. */
        r = cc__caps_parse_list(add, "cap_add", &add_mask, &add_all, err);
        if (r < 0)
                return r;
        r = cc__caps_parse_list(drop, "cap_drop", &drop_mask, &drop_all, err);
        if (r < 0)
                return r;

        /* Docker (oci/caps TweakCapabilities): privileged wins; cap_add ALL
         * is "everything but the dropped ones" (a drop of ALL is then
         * meaningless); cap_drop ALL keeps only what cap_add names;
         * otherwise default - drop + add. */
        if (privileged)
                *out = cc_caps_all();
        else if (add_all)
                *out = cc_caps_all() & ~drop_mask;
        else if (drop_all)
                *out = add_mask;
        else
                *out = (cc_caps_default() & ~drop_mask) | add_mask;
        return 0;
}

/* ---- In the child: raw syscalls only. ---- */

static int cc__capget(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {{0}};

        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        if (eff)
                *eff = (uint64_t) d[0].effective | ((uint64_t) d[1].effective << 32);
        if (prm)
                *prm = (uint64_t) d[0].permitted | ((uint64_t) d[1].permitted << 32);
        if (inh)
                *inh = (uint64_t) d[0].inheritable | ((uint64_t) d[1].inheritable << 32);
        return 0;
}

static int cc__capset(uint64_t eff, uint64_t prm, uint64_t inh)
{
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct d[2] = {
                {.effective = (uint32_t) eff, .permitted = (uint32_t) prm, .inheritable = (uint32_t) inh},
                {.effective = (uint32_t) (eff >> 32), .permitted = (uint32_t) (prm >> 32),
                 .inheritable = (uint32_t) (inh >> 32)},
        };

        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}

int cc_caps_prepare(uint64_t mask)
{
        /* Walk the bounding set up to the kernel's last capability
         * (PR_CAPBSET_READ fails with EINVAL past it). */
        for (int cap = 0; cap < 64; cap++) {
                int r = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);
                if (r < 0) {
                        if (errno == EINVAL)
                                break;
                        return -errno;
                }
                if (r == 1 && !(mask & CC_CAP_BIT(cap)) &&
                    prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
                        return -errno;
        }
        /* Keep the permitted set across the caller's setuid to a non-root
         * user, so cc_caps_apply can still choose the final sets. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

int cc_caps_apply(uint64_t mask, bool keep_for_nonroot)
{
        uint64_t prm_now = 0, want, eff, prm, inh;
        int r;

        r = cc__capget(NULL, &prm_now, NULL);
        if (r < 0)
                return r;
        /* What the process does not hold (e.g. a capability missing from
         * the engine's own bounding set) cannot be granted: leave it out
         * rather than fail, as "privileged" means "all there is". */
        want = mask & prm_now;

        if (geteuid() == 0) {
                eff = prm = want;
                inh = 0;
        } else if (keep_for_nonroot) {
                eff = prm = inh = want;
        } else {
                eff = prm = inh = 0;
        }

        /* Ambient first: it must be empty before inheritable may shrink. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        r = cc__capset(eff, prm, inh);
        if (r < 0)
                return r;
        if (geteuid() != 0 && keep_for_nonroot) {
                for (int cap = 0; cap < 64; cap++) {
                        if ((want & CC_CAP_BIT(cap)) &&
                            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) < 0)
                                return -errno;
                }
        }
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

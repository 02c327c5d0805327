/* The container child: from clone3 to execve, one named step after the
 * other. A failing step sends (step, errno, what) to the parent over the
 * sync socket, which turns it into "setting up /dev: mount tmpfs on /dev:
 * Permission denied". No allocation here (see container-internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container-internal.h"

static const char *const cc__step_names[CC_STEP__MAX] = {
        [CC_STEP_SYNC] = "waiting for the engine",
        [CC_STEP_NAMESPACES] = "setting up namespaces",
        [CC_STEP_NETWORK] = "setting up the loopback interface",
        [CC_STEP_ROOTFS] = "mounting the root filesystem",
        [CC_STEP_PROC] = "mounting /proc",
        [CC_STEP_SYS] = "mounting /sys",
        [CC_STEP_DEV] = "setting up /dev",
        [CC_STEP_MOUNTS] = "mounting volumes",
        [CC_STEP_SYSCTL] = "setting sysctls",
        [CC_STEP_MASKS] = "masking paths",
        [CC_STEP_PIVOT] = "changing root",
        [CC_STEP_READONLY] = "making the root filesystem read-only",
        [CC_STEP_STDIO] = "setting up stdio",
        [CC_STEP_RLIMITS] = "setting ulimits and oom_score_adj",
        [CC_STEP_SECCOMP] = "loading the seccomp filter",
        [CC_STEP_CAPS] = "setting capabilities",
        [CC_STEP_USER] = "switching user",
        [CC_STEP_CWD] = "changing to the working directory",
        [CC_STEP_EXEC] = "exec",
};

const char *cc_step_name(enum cc_step step)
{
        if ((unsigned) step < CC_STEP__MAX && cc__step_names[step])
                return cc__step_names[step];
        return "starting the container";
}

int cc_child_fail(struct cc_child *ch, int err, const char *what, const char *arg)
{
        struct cc_child_msg msg = {.type = CC_MSG_ERROR, .step = ch->step, .err = err, .exit_status = 125};
        if (what)
                cc_str_cat(msg.text, sizeof(msg.text), what);
        if (arg) {
                if (what)
                        cc_str_cat(msg.text, sizeof(msg.text), " ");
                cc_str_cat(msg.text, sizeof(msg.text), arg);
        }
        (void) !send(ch->sync_fd, &msg, sizeof(msg), MSG_NOSIGNAL);
        return err > 0 ? -err : -EIO;
}

static int cc__step_namespaces(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        /* Nothing mounted from here on may propagate to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return cc_child_fail(ch, errno, "make / rslave", NULL);
        /* the host's UTS namespace: its name is the host's to change */
        if (p->spec->host_uts)
                return 0;
        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                return cc_child_fail(ch, errno, "sethostname", p->hostname);
        if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
                return cc_child_fail(ch, errno, "setdomainname", p->domainname);
        return 0;
}

/* Wait for the parent's "go": it has moved us into the container's
 * cgroups (and its network interfaces into our namespace). Then the
 * cgroup namespace, made only now so that that cgroup is its root, and
 * the cgroup mounts at /sys/fs/cgroup, which show it. Everything before
 * is our own code doing mounts while the parent's move runs (the first
 * write to a v1 cgroup.procs waits ~10 ms for an RCU grace period); no
 * code of the image runs before it. */
static int cc__step_cgroup(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        ch->step = CC_STEP_SYNC;
        char go;
        if (read(ch->sync_fd, &go, 1) != 1)
                return -EIO; /* the parent gave up: it says why */
        ch->step = CC_STEP_NAMESPACES;
        cc_rootfs_cgroupfs_probe(ch);
        if (!p->spec->host_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return cc_child_fail(ch, errno, "unshare cgroup namespace", NULL);
        ch->step = CC_STEP_SYS;
        return cc_rootfs_cgroupfs(ch);
}

static int cc__step_loopback(struct cc_child *ch)
{
        if (ch->plan->spec->net == CC_NET_HOST)
                return 0;
        /* network_mode service:/container: the other container's namespace
         * (its loopback is up already) */
        if (ch->plan->netns_fd >= 0) {
                if (setns(ch->plan->netns_fd, CLONE_NEWNET) < 0)
                        return cc_child_fail(ch, errno, "setns", "network namespace");
                close(ch->plan->netns_fd);
                return 0;
        }
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return cc_child_fail(ch, errno, "socket", NULL);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, "lo", 3);
        int r = ioctl(s, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
                ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
                r = ioctl(s, SIOCSIFFLAGS, &ifr);
        }
        int e = errno;
        close(s);
        if (r < 0)
                return cc_child_fail(ch, e, "bring up", "lo");
        return 0;
}

static int cc__step_sysctls(struct cc_child *ch)
{
        const struct cc_plan *p = ch->plan;
        for (size_t i = 0; i < p->n_sysctls; i++) {
                int fd = cc_mnt_open_in_root(ch->rootfd, p->sysctl_paths[i], O_WRONLY | O_TRUNC, 0);
                if (fd < 0)
                        return cc_child_fail(ch, -fd, "open", p->sysctl_paths[i]);
                size_t len = strlen(p->sysctl_values[i]);
                ssize_t n = write(fd, p->sysctl_values[i], len);
                int e = errno;
                close(fd);
                if (n != (ssize_t) len)
                        return cc_child_fail(ch, n < 0 ? e : EIO, "write", p->sysctl_paths[i]);
        }
        return 0;
}

static int cc__step_mkcwd(struct cc_child *ch)
{
        int fd = cc_mnt_mkdir_in_root(ch->rootfd, ch->plan->cwd, 0755);
        if (fd < 0)
                return cc_child_fail(ch, -fd, "create working directory", ch->plan->cwd);
        close(fd);
        return 0;
}

static int cc__seccomp_early(struct cc_child *ch)
{
        const struct cc_container_spec *s = ch->plan->spec;
        if (s->no_new_privs || !s->seccomp)
                return 0;
        /* Without no_new_privs, loading needs CAP_SYS_ADMIN: load it now,
         * while the child still has every capability (see security.h). */
        int r = cc_seccomp_load(s->seccomp);
        return r < 0 ? cc_child_fail(ch, -r, "seccomp", NULL) : 0;
}

static int cc__seccomp_late(struct cc_child *ch)
{
        const struct cc_container_spec *s = ch->plan->spec;
        if (!s->no_new_privs)
                return 0;
        int r = cc_seccomp_no_new_privs();
        if (r < 0)
                return cc_child_fail(ch, -r, "set no_new_privs", NULL);
        if (s->seccomp && (r = cc_seccomp_load(s->seccomp)) < 0)
                return cc_child_fail(ch, -r, "seccomp", NULL);
        return 0;
}

int cc_child_run(const struct cc_plan *plan, int sync_fd)
{
        struct cc_child ch = {.plan = plan, .sync_fd = sync_fd, .step = CC_STEP_SYNC, .rootfd = -1};
        const struct cc_container_spec *spec = plan->spec;

        /* The parent blocked every signal around clone3: reset what it may
         * have installed or ignored, then unblock. */
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        umask(022);

        /* What does not depend on the cgroup is done before the parent's
         * "go" (cc__step_cgroup): /, /proc, /sys, /dev, the container's own
         * mounts, the masks; the cgroup mounts at /sys/fs/cgroup come after these,
         * which are then never under /sys. When one is, the cgroup mounts
         * are made right after /sys, so that the container's own goes
         * above them, as Docker orders them. */
        int r;
        ch.step = CC_STEP_NAMESPACES;
        if ((r = cc__step_namespaces(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_NETWORK;
        if ((r = cc__step_loopback(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_ROOTFS;
        if ((r = cc_rootfs_attach(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_PROC;
        if ((r = cc_rootfs_proc(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_SYS;
        if ((r = cc_rootfs_sys(&ch)) < 0)
                return 125;
        if (plan->cgroupfs_first && (r = cc__step_cgroup(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_DEV;
        if ((r = cc_rootfs_dev(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_MOUNTS;
        if ((r = cc_rootfs_mounts(&ch)) < 0 || (r = cc__step_mkcwd(&ch)) < 0)
                return 125;
        /* the masks make /proc/sys read-only: after the sysctls, which
         * wait for the go (the interfaces they may name) */
        bool masks_early = plan->n_sysctls == 0;
        ch.step = CC_STEP_MASKS;
        if (masks_early && (r = cc_rootfs_masks(&ch)) < 0)
                return 125;
        if (!plan->cgroupfs_first && (r = cc__step_cgroup(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_SYSCTL;
        if ((r = cc__step_sysctls(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_MASKS;
        if (!masks_early && (r = cc_rootfs_masks(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_PIVOT;
        if ((r = cc_rootfs_pivot(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_READONLY;
        if ((r = cc_rootfs_readonly(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_STDIO;
        if ((r = cc_process_stdio(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_RLIMITS;
        if ((r = cc_process_rlimits(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_CWD;
        if ((r = cc_process_cwd(&ch)) < 0)
                return 125;

        /* Security, in the order security.h prescribes. */
        ch.step = CC_STEP_SECCOMP;
        if ((r = cc__seccomp_early(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_CAPS;
        if ((r = cc_caps_prepare(spec->caps)) < 0)
                return cc_child_fail(&ch, -r, "drop bounding set", NULL), 125;
        ch.step = CC_STEP_USER;
        if ((r = cc_process_user(&ch)) < 0)
                return 125;
        ch.step = CC_STEP_CAPS;
        if ((r = cc_caps_apply(spec->caps, false)) < 0)
                return cc_child_fail(&ch, -r, "capset", NULL), 125;
        ch.step = CC_STEP_SECCOMP;
        if ((r = cc__seccomp_late(&ch)) < 0)
                return 125;

        return cc_process_exec(&ch);
}

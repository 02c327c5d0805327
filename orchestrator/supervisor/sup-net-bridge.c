/* Docker's default network "bridge" for the API service (`ccompose system
 * service`): one Linux bridge per runtime dir, shared by every container
 * made on the default network, as docker0 is.
 *
 * Its owner is the directory .docker-bridge of the runtime dir (not a
 * valid project name: state listings skip it), whose lock file every
 * running service holds shared. So the owner is alive exactly while a
 * service runs: a down never removes the bridge then. The last service
 * to exit removes it when no container is on it; else the down of the
 * last container's project does (as an orphan, sup-net.c). A service
 * killed with SIGKILL holds nothing: the next down of a project on the
 * bridge, or the next service to start alone, removes an idle one.
 *
 * The containers' compose models name the network (name: bridge, with
 * its subnet and gateway), so a project started while the bridge is gone
 * makes it again; their addresses come from the shared IPAM of sup-net.c
 * (the network.json of every project, under the host-wide lock). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "netlink.h"
#include "nft.h"
#include "state.h"
#include "sup-net-internal.h"
#include "sup-net.h"

#define NET__DOCKER_OWNER ".docker-bridge"

static char *net__docker_lock_path(const char *runtime_dir)
{
        return cc_xasprintf("%s/" NET__DOCKER_OWNER "/lock", runtime_dir);
}

bool net__docker_owner(const char *project)
{
        return strcmp(project, NET__DOCKER_OWNER) == 0;
}

bool net__docker_served(const char *runtime_dir)
{
        _cleanup_free_ char *path = net__docker_lock_path(runtime_dir);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

bool net__docker_kept(const char *runtime_dir, const struct net_bridge_info *b)
{
        char name[16];
        net_bridge_name(runtime_dir, NET_DOCKER_BRIDGE, name);
        return strcmp(b->name, name) == 0 && net__docker_served(runtime_dir);
}

int net__docker_bip(const char *bip, struct net_subnet *subnet, uint32_t *gw, struct cc_error *err)
{
        const char *slash = strchr(bip, '/');
        _cleanup_free_ char *host = slash ? cc_xstrndup(bip, (size_t) (slash - bip)) : NULL;
        uint32_t a = 0;
        if (net_subnet_parse(bip, true, subnet, err) < 0 || net_ip_parse(host, &a) < 0)
                return cc_error_prefix(err, "--bip");
        if (subnet->prefix > 30)
                return cc_error_set(err, -EINVAL, "--bip %s: the network is too small (a /30 at most)", bip);
        if (a == net_subnet_last(subnet))
                return cc_error_set(err, -EINVAL, "--bip %s: the broadcast address cannot be the bridge's", bip);
        /* Docker's form is the bridge's own address (10.1.0.1/24); a
         * subnet (10.1.0.0/24) gives it the first address */
        *gw = a == subnet->addr ? net_subnet_first(subnet) : a;
        return 0;
}

/* Remove the bridge when no container is on it (and resync the shared
 * table), under the host-wide lock; release (when >= 0) is closed before
 * that lock is: a down that looks next sees no service. */
static void net__docker_remove_idle(const char *runtime_dir, int release)
{
        struct net_nl *nl = NULL;
        struct cc_error err = {0};
        struct net_bridge_info bi;
        char name[16];
        net_bridge_name(runtime_dir, NET_DOCKER_BRIDGE, name);
        if (net_nl_open(&nl, &err) < 0) {
                fprintf(stderr, "system service: the bridge network: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                if (release >= 0)
                        close(release);
                return;
        }
        int lk = net_host_lock();
        int r = net_bridge_get(nl, name, &bi, &err);
        if (r == 0 && bi.n_ports == 0 && (r = net_link_delete(nl, name, &err)) >= 0)
                r = net_nft_sync(nl, &err);
        if (r < 0 && r != -ENOENT)
                fprintf(stderr, "system service: removing the bridge network (%s): %s\n", name, cc_error_msg(&err));
        cc_error_clear(&err);
        if (release >= 0)
                close(release);
        net_host_unlock(lk);
        net_nl_close(nl);
}

int net_docker_bridge_open(const char *runtime_dir, const char *bip, struct net_docker_bridge *b, struct cc_error *err)
{
        memset(b, 0, sizeof(*b));
        b->lock_fd = -1;
        b->bip = bip;
        struct net_subnet sub;
        uint32_t gw;
        if (bip && net__docker_bip(bip, &sub, &gw, err) < 0)
                return -EINVAL;
        _cleanup_free_ char *dir = cc_path_join(runtime_dir, NET__DOCKER_OWNER);
        _cleanup_free_ char *path = net__docker_lock_path(runtime_dir);
        int r = cc_mkdir_p(dir, 0700);
        if (r < 0)
                return cc_error_setsys(err, r, "creating %s", dir);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "opening %s", path);
        /* the only service: an idle bridge a killed one left goes (our
         * --bip applies to the next) */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                net__docker_remove_idle(runtime_dir, -1);
        /* shared (from exclusive, or waiting while a service that exits
         * removes the bridge) */
        while (flock(fd, LOCK_SH) < 0)
                if (errno != EINTR) {
                        r = cc_error_setsys(err, -errno, "locking %s", path);
                        close(fd);
                        return r;
                }
        b->lock_fd = fd;
        return 0;
}

int net_docker_bridge_info(const char *runtime_dir, struct net_docker_bridge *b, bool make, struct cc_error *err)
{
        if (b->kept)
                return 0;
        b->subnet[0] = b->gateway[0] = '\0';
        struct net_def d = {.key = (char *) "default", .full = (char *) NET_DOCKER_BRIDGE};
        net_bridge_name(runtime_dir, NET_DOCKER_BRIDGE, d.bridge);
        if (b->bip && net__docker_bip(b->bip, &d.subnet, &d.gw, err) < 0)
                return -EINVAL;
        struct net_subnet want = d.subnet;
        struct cc_net n = {.scope = (char *) runtime_dir};
        int r = net_nl_open(&n.nl, err);
        if (r < 0)
                return r;
        struct net_bridge_info bi;
        bool existed = net_bridge_get(n.nl, d.bridge, &bi, NULL) == 0 && bi.gateway;
        if (make) {
                n.owner = net__owner(runtime_dir, NET__DOCKER_OWNER);
                int lk = net_host_lock();
                existed = net_bridge_get(n.nl, d.bridge, &bi, NULL) == 0;
                r = net__ensure(&n, &d, err);
                if (r >= 0 && !existed)
                        r = net_nft_sync(n.nl, err);
                net_host_unlock(lk);
                free(n.owner);
                if (r < 0)
                        cc_error_prefix(err, "the bridge network");
        } else if (existed) {
                d.subnet = bi.subnet;
                d.gw = bi.gateway;
        }
        net_nl_close(n.nl);
        if (r < 0 || (!existed && !make && !b->bip))
                return r; /* not known: no bridge yet, no --bip */
        char want_s[20];
        net_subnet_str(&d.subnet, b->subnet);
        net_ip_str(d.gw, b->gateway);
        b->kept = make;
        if (make && existed && b->bip && (want.addr != d.subnet.addr || want.prefix != d.subnet.prefix))
                fprintf(stderr, "system service: --bip %s: the bridge network exists with %s: kept as it is "
                                "(a container or another service is on it)\n",
                        net_subnet_str(&want, want_s), b->subnet);
        return 0;
}

/* Is a port of the bridge a running container's? Its alias names the
 * project and the container ("ccompose <project>@<hash> <name>"); one
 * stopped, or of a project gone, is a veth the kernel removes with the
 * container's network namespace, a little later. */
static bool net__docker_port_live(const char *runtime_dir, const char *port)
{
        _cleanup_free_ char *path = cc_xasprintf("/sys/class/net/%s/ifalias", port);
        _cleanup_free_ char *alias = NULL;
        size_t n = 0;
        if (cc_read_file(path, &alias, &n) < 0)
                return false;
        alias[strcspn(alias, "\n")] = '\0';
        const char *name = NULL;
        _cleanup_free_ char *project = net__alias_owner(alias, NULL, &name);
        if (!project)
                return true; /* not one of ours: as a container's */
        _cleanup_state_ struct cc_state *st = NULL;
        struct cc_error err = {0};
        int r = cc_state_load(runtime_dir, project, &st, &err);
        cc_error_clear(&err);
        struct cc_ctr_state *ct = r == 0 ? cc_state_find(st, name) : NULL;
        return ct && (ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED || ct->status == CC_CTR_RESTARTING);
}

/* Wait (up to 3 s) while every port left on the bridge is a stopped
 * container's, going with its namespace: then the bridge has none. */
static void net__docker_wait_dying(const char *runtime_dir)
{
        char name[16];
        net_bridge_name(runtime_dir, NET_DOCKER_BRIDGE, name);
        _cleanup_free_ char *dir = cc_xasprintf("/sys/class/net/%s/brif", name);
        for (int i = 0; i < 60; i++) {
                DIR *d = opendir(dir);
                bool ports = false, live = false;
                for (struct dirent *de; d && !live && (de = readdir(d));)
                        if (de->d_name[0] != '.') {
                                ports = true;
                                live = net__docker_port_live(runtime_dir, de->d_name);
                        }
                if (d)
                        closedir(d);
                if (!ports || live)
                        return;
                usleep(50000);
        }
}

void net_docker_bridge_close(const char *runtime_dir, struct net_docker_bridge *b)
{
        if (b->lock_fd < 0)
                return;
        /* the last service: exclusive. A down that looks for a service
         * takes it for a moment: a few more tries. */
        bool last = false;
        for (int i = 0; i < 20 && !last; i++) {
                last = flock(b->lock_fd, LOCK_EX | LOCK_NB) == 0;
                if (!last && errno != EWOULDBLOCK && errno != EINTR)
                        break;
                if (!last)
                        usleep(5000);
        }
        if (last) {
                net__docker_wait_dying(runtime_dir);
                net__docker_remove_idle(runtime_dir, b->lock_fd);
        } else {
                close(b->lock_fd);
        }
        b->lock_fd = -1;
}

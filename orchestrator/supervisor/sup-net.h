/* Networks of a project, as the supervisor and the CLI use them: the
 * supervisor's side of networking, on top of network/ (which knows no
 * compose file).
 *
 * The supervisor calls in at a few points:
 *   reconcile end     cc_sup_net_setup: bridges of the project's networks
 *                     (idempotent, under a host-wide lock), nft table
 *   container start   cc_sup_net_spec sets spec->net_attach, which the
 *                     runtime calls after clone3 and the cgroup move,
 *                     before "go": address (IPAM), veths, routes, the
 *                     published ports (proxies holding them, DNAT rules
 *                     forwarding them), /etc/hosts of every peer
 *   container exit    cc_sup_net_exited: its veths go, peers' hosts rewritten
 *   container removal cc_sup_net_removed: its proxies and address go
 *   loop end          cc_sup_net_close: every proxy closes
 * and `down` (with or without a supervisor) calls net_project_remove. */
#ifndef CC_SUP_NET_H
#define CC_SUP_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "cc-error.h"

struct cc_sup;
struct cc_sup_ctr;
struct cc_container_spec;
struct cc_node;

int cc_sup_net_setup(struct cc_sup *s, struct cc_error *err);
void cc_sup_net_spec(struct cc_sup_ctr *c, struct cc_container_spec *spec);
/* Make the networks of a service ready (a one-off of a service no
 * started container shares them with). */
int cc_sup_net_use(struct cc_sup *s, const struct cc_node *def, struct cc_error *err);
/* A foreground `run` container (its process is the CLI's, not ours):
 * veths, addresses and its /etc/hosts; detach releases the addresses. */
int cc_sup_net_attach_oneoff(struct cc_sup *s, const char *service, const char *id, const char *name, pid_t pid,
                             struct cc_error *err);
void cc_sup_net_detach_oneoff(struct cc_sup *s, const char *service, const char *id, const char *name);
/* A running container of the project on network key of its service's
 * networks (made if need be; no default route through it), or off it (its
 * veth and address go): docker network connect/disconnect. */
int cc_sup_net_connect(struct cc_sup *s, const char *id, const char *key, struct cc_error *err);
int cc_sup_net_disconnect(struct cc_sup *s, const char *id, const char *key, struct cc_error *err);
int cc_sup_net_attach(pid_t pid, void *ctr, struct cc_error *err);
void cc_sup_net_exited(struct cc_sup_ctr *c);
void cc_sup_net_removed(struct cc_sup *s, const char *id);
void cc_sup_net_close(struct cc_sup *s);
void cc_sup_net_free(struct cc_sup *s);

/* Remove every veth and bridge a project of this runtime dir made, and
 * its rules; for `down`, also when no supervisor runs. */
int net_project_remove(const char *runtime_dir, const char *project, struct cc_error *err);

/* Docker's default network "bridge" of the API service, one shared
 * bridge per runtime dir (sup-net-bridge.c). */
#define NET_DOCKER_BRIDGE "bridge"
struct net_docker_bridge {
        int lock_fd;                  /* held shared while the service runs */
        const char *bip;              /* --bip (Docker's 10.1.0.1/24, or a subnet), or NULL: the default pool */
        char subnet[20], gateway[16]; /* "" while not known */
        bool kept;                    /* made or joined by this service: known for good */
};
/* The service starts: its share of the bridge's owner (alone, it removes
 * an idle bridge a killed service left). Checks bip. */
int net_docker_bridge_open(const char *runtime_dir, const char *bip, struct net_docker_bridge *b,
                           struct cc_error *err);
/* Its subnet and gateway: of the bridge, made when missing (make), else
 * of the bridge if it exists, else of --bip; left "" when none says. */
int net_docker_bridge_info(const char *runtime_dir, struct net_docker_bridge *b, bool make, struct cc_error *err);
/* The service exits: the last one removes the bridge if no container is on it. */
void net_docker_bridge_close(const char *runtime_dir, struct net_docker_bridge *b);

#endif

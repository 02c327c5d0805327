/* A container's /etc/hosts: the engine's lines, its own address and
 * those of the peers it shares a network with. Written in place (the
 * file is bind-mounted: its inode must stay). */
#ifndef CC_HOSTS_H
#define CC_HOSTS_H

#include "cc-util.h"

/* One line: ip and names (names separated by single spaces). */
struct net_hosts_entry {
        char ip[46];
        char *names;
};

/* The file: localhost lines, then the entries (self first), then extra
 * hosts ("name:ip" or "name=ip"). Caller frees. */
char *net_hosts_render(const struct net_hosts_entry *e, size_t n, const struct cc_strv *extra);
/* Overwrite path in place: write, then truncate to the new length. */
int net_hosts_write(const char *path, const char *data);

#endif

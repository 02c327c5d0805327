/* --dry-run of the commands that change state (cmd-dryrun.c): each prints
 * what the command would do, as docker compose's dry run does, and changes
 * nothing. Return the exit code. */
#ifndef CC_DRY_RUN_H
#define CC_DRY_RUN_H

#include "cli.h"
#include "supervisor.h"

/* up and create (o->no_start). */
int cc_dry_up(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o);
/* run SERVICE: its dependencies as up would start them (unless no_deps),
 * its image and networks, and the one-off container (name, else
 * PROJECT-SERVICE-run-ID as run names it). */
int cc_dry_run(struct cc_cli *cli, struct cc_project *p, const char *service, bool no_deps, const char *name);
/* down; p is NULL when the compose file is gone (down -p NAME). */
int cc_dry_down(struct cc_cli *cli, const char *project, const struct cc_project *p, bool volumes);
/* op: stop, start, restart, kill, pause or unpause; services[0..n), all when n is 0. */
int cc_dry_lifecycle(struct cc_cli *cli, const struct cc_project *p, const char *op, char **services, int n);
/* The image store when there is one (opening one makes it), else NULL. */
struct cc_image_store *cc_dry_store(const struct cc_cli *cli);
/* rm (-s: stop running ones first). */
int cc_dry_rm(struct cc_cli *cli, const struct cc_project *p, char **services, int n, bool stop);

#endif

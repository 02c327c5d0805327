/* --dry-run: what up, create, run, down, start, stop, restart, kill,
 * pause, unpause and rm would do, worked out from the project and its state as
 * they are and printed as docker compose's dry run prints it (" DRY-RUN
 * MODE -  Container x-web-1  Created"), in the order and words the real
 * command uses. Nothing is locked, created, signalled or removed: the
 * state is read without its lock, the image store only when it exists,
 * and no supervisor is asked anything. */
#include <signal.h>
#include <unistd.h>

#include "dry-run.h"
#include "image.h"
#include "sup-internal.h"

static bool cc__alive(const struct cc_ctr_state *ct)
{
        return ct->pid && cc_proc_alive(ct->pid, ct->pid_start);
}

/* The state as saved (an empty one when the project has none); NULL after
 * printing why it cannot be read. */
static struct cc_state *cc__state(const struct cc_cli *cli, const char *project)
{
        struct cc_state *st = NULL;
        struct cc_error err = {0};
        if (cc_state_load(cli->runtime_dir, project, &st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return NULL;
        }
        return st;
}

/* Does a container of the state belong to one of services[0..n) (every
 * service when n is 0)? One-off containers (run) only when all are. */
static bool cc__wanted(const struct cc_ctr_state *ct, char **services, int n)
{
        if (n == 0)
                return true;
        for (int i = 0; i < n; i++)
                if (strcmp(services[i], ct->service) == 0)
                        return true;
        return false;
}

/* The project's start waves, lowest first; a service the model no longer
 * has (an orphan) stops first. */
static size_t cc__wave(const struct cc_project *p, const char *service)
{
        ssize_t k = p ? cc_graph_index(&p->graph, service) : -1;
        return k >= 0 ? p->graph.wave[k] : (p ? p->graph.n_waves : 0);
}

/* Stop the live containers of want as stop does: level by level,
 * dependents first, each level at once. */
static void cc__stop(const struct cc_project *p, const struct cc_state *st, const bool *want)
{
        static const char *const steps[] = {"Stopping", "Stopped"};
        size_t top = p ? p->graph.n_waves : 0;
        for (size_t w = top + 1; w-- > 0;)
                for (size_t k = 0; k < CC_ARRAY_SIZE(steps); k++)
                        for (size_t i = 0; i < st->n_ctrs; i++)
                                if (want[i] && cc__alive(&st->ctrs[i]) && cc__wave(p, st->ctrs[i].service) == w)
                                        cc_cli_dry(" Container %s  %s", st->ctrs[i].name, steps[k]);
}

static void cc__stop_remove(const char *name, bool alive)
{
        if (alive) {
                cc_cli_dry(" Container %s  Stopping", name);
                cc_cli_dry(" Container %s  Stopped", name);
        }
        cc_cli_dry(" Container %s  Removing", name);
        cc_cli_dry(" Container %s  Removed", name);
}

/* ---- up, create ---- */

struct cc_image_store *cc_dry_store(const struct cc_cli *cli)
{
        _cleanup_free_ char *index = cc_xasprintf("%s/images/index.json", cli->root);
        struct cc_image_store *s = NULL;
        struct cc_error err = {0};
        if (access(index, F_OK) == 0 && cc_image_store_open(cli->root, &s, &err) < 0)
                s = NULL;
        cc_error_clear(&err);
        return s;
}

/* The image a service would run, built (a build: section, as up builds:
 * when missing, with --build or pull_policy build) or pulled first when
 * missing (or always); its ID, or NULL when it would be pulled or built.
 * -1 when up would fail. */
static int cc__up_image(struct cc_image_store *s, const struct cc_project *p, const struct cc_up_opts *o,
                        const char *service, const struct cc_node *def, char **id)
{
        _cleanup_free_ char *image = cc_project_service_image(p, service);
        const char *policy = cc_node_map_str(def, "pull_policy");
        struct cc_image *img = NULL;
        struct cc_error err = {0};
        *id = NULL;
        if (!image) {
                fprintf(stderr, "service %s has neither an image nor a build context\n", service);
                return -1;
        }
        if (s && cc_image_lookup(s, image, &img, &err) == 0) {
                *id = cc_xstrdup(img->id);
                cc_image_free(img);
        }
        cc_error_clear(&err);
        if (cc_node_map_get(def, "build")) {
                if (!o->no_build && (o->build || !*id || cc_streq(policy, "build"))) {
                        cc_cli_dry(" Service %s  Building", service);
                        cc_cli_dry(" Service %s  Built", service);
                        free(*id);
                        *id = NULL;
                } else if (!*id) {
                        fprintf(stderr, "service %s: image %s is not built: build it with 'ccompose build %s'\n",
                                service, image, service);
                        return -1;
                }
                return 0;
        }
        bool always = cc_streq(policy, "always") || cc_streq(policy, "refresh");
        if (*id && !always)
                return 0;
        if (!*id && cc_streq(policy, "never")) {
                fprintf(stderr, "service %s: image %s is not in the store and its pull_policy is never\n", service,
                        image);
                return -1;
        }
        cc_cli_dry("%s Pulling", service);
        cc_cli_dry("%s Pulled", service);
        return 0;
}

/* The networks the selected services join that do not exist yet: made
 * with the project's first container, removed by down; so they exist
 * while the state lists a container. */
static void cc__up_networks(const struct cc_project *p, const struct cc_state *st, const bool *sel)
{
        if (st->n_ctrs > 0)
                return;
        const struct cc_node *defs = cc_node_map_get(p->model, "networks");
        for (size_t k = 0; cc_node_is_map(defs) && k < defs->n; k++) {
                const char *key = cc_node_key(defs, k);
                bool used = false;
                for (size_t i = 0; i < p->graph.n && !used; i++) {
                        const struct cc_node *svc = cc_node_map_get(cc_project_services(p), p->graph.names[i]);
                        used = sel[i] && cc_node_map_get(cc_node_map_get(svc, "networks"), key);
                }
                if (!used || cc_streq(cc_node_map_str(defs->items[k], "external"), "true"))
                        continue;
                const char *name = cc_node_map_str(defs->items[k], "name");
                cc_cli_dry(" Network %s  Creating", name ? name : key);
                cc_cli_dry(" Network %s  Created", name ? name : key);
        }
}

/* Orphans: the containers of services the model no longer has. */
static void cc__up_orphans(const struct cc_project *p, const struct cc_state *st, const struct cc_up_opts *o)
{
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                if (ct->one_off || cc_node_map_get(cc_project_services(p), ct->service))
                        continue;
                if (o->remove_orphans)
                        cc__stop_remove(ct->name, cc__alive(ct));
                else if (!o->ignore_orphans)
                        fprintf(stderr,
                                "WARN[0000] Found orphan containers ([%s]) for this project. If you removed or renamed "
                                "this service in your compose file, you can run this command with the "
                                "--remove-orphans flag to clean it up.\n",
                                ct->name);
        }
}

/* One service's containers, as the supervisor reconciles them; the names
 * of those that would be started are added to start. */
static void cc__up_service(const struct cc_project *p, const struct cc_state *st, const struct cc_up_opts *o,
                           const char *service, const char *image_id, struct cc_strv *start)
{
        const struct cc_node *def = cc_node_map_get(cc_project_services(p), service);
        _cleanup_free_ char *hash = cc_project_service_hash(p, service);
        int replicas = cc_sup_replicas(&o->scale, service, def);
        for (int number = 1; number <= replicas; number++) {
                const struct cc_ctr_state *old = NULL;
                for (size_t i = 0; i < st->n_ctrs; i++)
                        if (!st->ctrs[i].one_off && strcmp(st->ctrs[i].service, service) == 0 &&
                            st->ctrs[i].number == number)
                                old = &st->ctrs[i];
                /* an image to be pulled is compared once it is there: the same here */
                bool same = old && cc_streq(old->hash, hash) && (!image_id || cc_streq(old->image_id, image_id));
                if (old && (o->no_recreate || (same && !o->force_recreate))) {
                        if (cc__alive(old))
                                cc_cli_dry(" Container %s  Running", old->name);
                        else if (o->no_start)
                                cc_cli_dry(" Container %s  Created", old->name);
                        else
                                cc_strv_push(start, old->name);
                        continue;
                }
                _cleanup_free_ char *name = cc_container_name(p->name, service, number,
                                                              cc_node_map_str(def, "container_name"));
                if (old) {
                        cc_cli_dry(" Container %s  Recreate", old->name);
                        cc__stop_remove(old->name, cc__alive(old));
                } else {
                        cc_cli_dry(" Container %s  Creating", name);
                }
                cc_cli_dry(" Container %s  Created", name);
                cc_strv_push(start, name);
        }
        /* scaled down: the highest numbers go */
        for (size_t i = 0; i < st->n_ctrs; i++)
                if (!st->ctrs[i].one_off && strcmp(st->ctrs[i].service, service) == 0 &&
                    st->ctrs[i].number > replicas)
                        cc__stop_remove(st->ctrs[i].name, cc__alive(&st->ctrs[i]));
}

/* up's plan; with one_off (run), that service's image and networks too,
 * without containers of its own. */
static int cc__dry_plan(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o, const char *one_off)
{
        for (size_t i = 0; i < o->services.n; i++)
                if (!cc_node_map_get(cc_project_services(p), o->services.v[i])) {
                        fprintf(stderr, "no such service: %s\n", o->services.v[i]);
                        return 1;
                }
        _cleanup_state_ struct cc_state *st = cc__state(cli, p->name);
        if (!st)
                return 1;
        const struct cc_graph *g = &p->graph;
        _cleanup_free_ bool *sel = cc_xcalloc(g->n + 1, sizeof(bool));
        _cleanup_free_ size_t *order = cc_xcalloc(g->n + 1, sizeof(size_t));
        if (o->services.n > 0 || o->only_services)
                cc_graph_select(g, &o->services, o->no_deps, sel);
        else
                for (size_t i = 0; i < g->n; i++)
                        sel[i] = true;
        cc_graph_start_order(g, order);
        /* the one-off's service: its image and networks (sel), not its containers (deps) */
        _cleanup_free_ bool *deps = cc_xcalloc(g->n + 1, sizeof(bool));
        memcpy(deps, sel, g->n * sizeof(bool));
        ssize_t self = one_off ? cc_graph_index(g, one_off) : -1;
        if (self >= 0)
                sel[self] = true;
        struct cc_image_store *s = cc_dry_store(cli);
        struct cc_strv ids = {0}, start = {0};
        int rc = 0;
        for (size_t k = 0; k < g->n && rc == 0; k++) {
                char *id = NULL;
                const char *name = g->names[order[k]];
                if (sel[order[k]] &&
                    cc__up_image(s, p, o, name, cc_node_map_get(cc_project_services(p), name), &id) < 0)
                        rc = 1;
                cc_strv_push(&ids, id ? id : "");
                free(id);
        }
        if (s)
                cc_image_store_close(s);
        if (rc == 0) {
                cc__up_orphans(p, st, o);
                cc__up_networks(p, st, sel);
                for (size_t k = 0; k < g->n; k++)
                        if (deps[order[k]])
                                cc__up_service(p, st, o, g->names[order[k]], *ids.v[k] ? ids.v[k] : NULL, &start);
        }
        /* in dependency order, each once what it depends on runs */
        for (size_t i = 0; rc == 0 && !o->no_start && i < start.n; i++) {
                cc_cli_dry(" Container %s  Starting", start.v[i]);
                cc_cli_dry(" Container %s  Started", start.v[i]);
        }
        for (size_t i = 0; rc == 0 && o->wait && i < start.n; i++)
                cc_cli_dry(" Container %s  Waiting", start.v[i]);
        for (size_t i = 0; rc == 0 && o->wait && i < start.n; i++)
                cc_cli_dry(" Container %s  Healthy", start.v[i]);
        cc_strv_free(&ids);
        cc_strv_free(&start);
        return rc;
}

int cc_dry_up(struct cc_cli *cli, struct cc_project *p, const struct cc_up_opts *o)
{
        return cc__dry_plan(cli, p, o, NULL);
}

int cc_dry_run(struct cc_cli *cli, struct cc_project *p, const char *service, bool no_deps, const char *name)
{
        struct cc_up_opts up = {.detach = true, .only_services = true, .stop_timeout_ms = -1};
        const struct cc_node *deps = cc_node_map_get(cc_node_map_get(cc_project_services(p), service), "depends_on");
        for (size_t i = 0; !no_deps && cc_node_is_map(deps) && i < deps->n; i++)
                cc_strv_push(&up.services, cc_node_key(deps, i));
        int rc = cc__dry_plan(cli, p, &up, service);
        cc_strv_free(&up.services);
        if (rc != 0)
                return rc;
        _cleanup_free_ char *id = cc_container_new_id();
        _cleanup_free_ char *cname = name ? cc_xstrdup(name) : cc_xasprintf("%s-%s-run-%.12s", p->name, service, id + 52);
        cc_cli_dry(" Container %s  Creating", cname);
        cc_cli_dry(" Container %s  Created", cname);
        return 0;
}

/* ---- down ---- */

int cc_dry_down(struct cc_cli *cli, const char *project, const struct cc_project *p, bool volumes)
{
        _cleanup_state_ struct cc_state *st = cc__state(cli, project);
        if (!st)
                return 1;
        _cleanup_free_ bool *all = cc_xcalloc(st->n_ctrs + 1, sizeof(bool));
        for (size_t i = 0; i < st->n_ctrs; i++)
                all[i] = true;
        cc__stop(p, st, all);
        for (size_t i = 0; i < st->n_ctrs; i++) {
                cc_cli_dry(" Container %s  Removing", st->ctrs[i].name);
                cc_cli_dry(" Container %s  Removed", st->ctrs[i].name);
        }
        /* as down: the volumes, then the network (whose veths it waits for) */
        const struct cc_node *defs = volumes && p ? cc_node_map_get(p->model, "volumes") : NULL;
        for (size_t k = 0; cc_node_is_map(defs) && k < defs->n; k++) {
                const char *name = cc_node_map_str(defs->items[k], "name");
                if (!name || cc_streq(cc_node_map_str(defs->items[k], "external"), "true"))
                        continue;
                _cleanup_free_ char *dir = cc_xasprintf("%s/volumes/%s", cli->root, name);
                if (access(dir, F_OK) != 0)
                        continue;
                cc_cli_dry(" Volume %s  Removing", name);
                cc_cli_dry(" Volume %s  Removed", name);
        }
        defs = p ? cc_node_map_get(p->model, "networks") : NULL;
        for (size_t k = 0; st->n_ctrs > 0 && cc_node_is_map(defs) && k < defs->n; k++) {
                const char *name = cc_node_map_str(defs->items[k], "name");
                if (cc_streq(cc_node_map_str(defs->items[k], "external"), "true"))
                        continue;
                cc_cli_dry(" Network %s  Removing", name ? name : cc_node_key(defs, k));
                cc_cli_dry(" Network %s  Removed", name ? name : cc_node_key(defs, k));
        }
        return 0;
}

/* ---- stop, start, restart, kill, pause, unpause, rm ---- */

int cc_dry_lifecycle(struct cc_cli *cli, const struct cc_project *p, const char *op, char **services, int n)
{
        _cleanup_state_ struct cc_state *st = cc__state(cli, p->name);
        if (!st)
                return 1;
        _cleanup_free_ bool *want = cc_xcalloc(st->n_ctrs + 1, sizeof(bool));
        for (size_t i = 0; i < st->n_ctrs; i++)
                want[i] = cc__wanted(&st->ctrs[i], services, n) && (!st->ctrs[i].one_off || n == 0);
        bool stop = strcmp(op, "stop") == 0 || strcmp(op, "restart") == 0;
        bool start = strcmp(op, "start") == 0 || strcmp(op, "restart") == 0;
        if (stop)
                cc__stop(p, st, want);
        for (size_t w = 0; start && w <= p->graph.n_waves; w++)
                for (size_t i = 0; i < st->n_ctrs; i++)
                        if (want[i] && !st->ctrs[i].one_off && (!cc__alive(&st->ctrs[i]) || stop) &&
                            cc__wave(p, st->ctrs[i].service) == w) {
                                cc_cli_dry(" Container %s  Starting", st->ctrs[i].name);
                                cc_cli_dry(" Container %s  Started", st->ctrs[i].name);
                        }
        for (size_t i = 0; !stop && !start && i < st->n_ctrs; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                if (!want[i] || !cc__alive(ct))
                        continue;
                bool paused = ct->status == CC_CTR_PAUSED;
                if (strcmp(op, "kill") == 0) {
                        cc_cli_dry(" Container %s  Killing", ct->name);
                        cc_cli_dry(" Container %s  Killed", ct->name);
                } else if (strcmp(op, "pause") == 0 && !paused) {
                        cc_cli_dry(" Container %s  Pausing", ct->name);
                        cc_cli_dry(" Container %s  Paused", ct->name);
                } else if (strcmp(op, "unpause") == 0 && paused) {
                        cc_cli_dry(" Container %s  Unpausing", ct->name);
                        cc_cli_dry(" Container %s  Unpaused", ct->name);
                }
        }
        return 0;
}

int cc_dry_rm(struct cc_cli *cli, const struct cc_project *p, char **services, int n, bool stop)
{
        _cleanup_state_ struct cc_state *st = cc__state(cli, p->name);
        if (!st)
                return 1;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                if (cc__wanted(ct, services, n) && (stop || !cc__alive(ct)))
                        cc__stop_remove(ct->name, cc__alive(ct));
        }
        return 0;
}

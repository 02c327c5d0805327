/* The plan of `up`: what runs already (adopted after a crash or a
 * handover), what must be created, recreated or removed, per service and
 * replica, as docker compose decides it (configuration hash, --force-recreate,
 * --no-recreate, --scale, orphans). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "registry.h"
#include "service-spec.h"
#include "sup-internal.h"
#include "sup-net.h" /* network */

/* ---- adoption and reconciliation ---- */

int cc_sup_replicas(const struct cc_strv *scale, const char *service, const struct cc_node *def)
{
        size_t len = strlen(service);
        for (size_t i = 0; i < scale->n; i++)
                if (strncmp(scale->v[i], service, len) == 0 && scale->v[i][len] == '=')
                        return atoi(scale->v[i] + len + 1);
        const char *rep = cc_node_map_str(cc_node_map_get(def, "deploy"), "replicas");
        if (rep)
                return atoi(rep);
        const char *n = cc_node_map_str(def, "scale");
        return n ? atoi(n) : 1;
}

/* Take over a container that runs from an earlier supervisor. */
static void cc__adopt(struct cc_sup *s, struct cc_sup_ctr *c, struct cc_ctr_state *st)
{
        struct cc_error err = {0};
        const char *sig = cc_node_map_str(c->svc->def, "stop_signal");
        if (cc_container_adopt(s->cli->root, s->project->name, st->id, st->pid, sig ? cc_signal_from_name(sig) : 0,
                               -1, &c->c, &err) < 0 ||
            cc_sup_output_attach(c, &err) < 0) {
                cc_sup_progress(s, "container %s: cannot adopt: %s", st->name, cc_error_msg(&err));
                cc_error_clear(&err);
                if (c->c) {
                        cc_container_kill_all(c->c, &err);
                        cc_error_clear(&err);
                }
                st->status = CC_CTR_EXITED;
                st->exits++;
                st->exit_code = 255; /* unless it exited meanwhile, and that is known */
                cc_state_exit_code(s->cli->runtime_dir, s->project->name, st->pid, st->pid_start, &st->exit_code);
                st->pid = 0;
                return;
        }
        c->adopted = cc_container_adopted(c->c); /* our child again after a re-exec */
        c->started_ms = cc_sup_now_ms();
        cc_sup_watch_exit(c);
        cc_sup_health_start(c);
}

/* Is the container's recorded process our child (alive or a zombie)? */
static bool cc__our_child(const struct cc_ctr_state *st)
{
        struct cc_proc_stat ps;
        return st->pid > 0 && cc_proc_stat(st->pid, &ps) == 0 && ps.ppid == getpid() &&
               (st->pid_start == 0 || ps.start == st->pid_start);
}

/* A container that exited while no supervisor watched (the one before
 * was killed): its exit code from the project's keeper, when known; the
 * die event that nobody wrote. */
static void cc__died_unwatched(struct cc_sup *s, struct cc_ctr_state *st)
{
        int code = 255;
        cc_state_exit_code(s->cli->runtime_dir, s->project->name, st->pid, st->pid_start, &code);
        st->status = CC_CTR_EXITED;
        st->exit_code = code;
        st->exits++;
        st->pid = 0;
        st->pid_start = 0;
        if (st->finished_at <= st->started_at)
                st->finished_at = cc_sup_wall();
        char text[16];
        snprintf(text, sizeof(text), "%d", code);
        cc_sup_event(s, st, "die", "exitCode", text);
}

/* A container the state does not show running may still have processes:
 * an earlier supervisor that died between starting it and recording its
 * pid left a copy running alone. Kill it before anything starts the
 * container again: never two copies in one cgroup over one upper dir. */
static void cc__kill_stale(struct cc_sup *s, struct cc_ctr_state *st)
{
        struct cc_error err = {0};
        int n = cc_container_kill_stale(s->project->name, st->id, &err);
        if (n < 0) {
                cc_sup_progress(s, "container %s: %s", st->name, cc_error_msg(&err));
                cc_error_clear(&err);
        } else if (n > 0) {
                cc_sup_progress(s, "container %s: killed %d process(es) left running by a supervisor that stopped "
                                   "while starting it",
                                st->name, n);
        }
}

/* A container taken out of its service (recreated, scaled down, removed):
 * its handles close now, its memory goes with the supervisor's. */
void cc_sup_ctr_retire(struct cc_sup_ctr *c)
{
        struct cc_sup *s = c->sup;
        cc_sup_ctr_close_timers(c);
        s->retired = cc_xrealloc(s->retired, (s->n_retired + 1) * sizeof(*s->retired));
        s->retired[s->n_retired++] = c;
}

static void cc__purge_work(uv_work_t *w)
{
        struct cc_sup *s = w->data;
        cc_sup_mounts_settle(s); /* (another thread may still unmount one of them) */
        cc_container_purge(s->cli->root);
}

static void cc__purge_done(uv_work_t *w, int status)
{
        free(w);
}

/* Remove a container for good: stopped already; the runtime leftovers and
 * its directory go, and so does its state entry. The directory's files are
 * deleted after: by down once it said the removal (a down's), or by a
 * thread of this loop (a container removed while the stack runs). */
void cc_sup_remove_ctr(struct cc_sup *s, const char *id, const char *name)
{
        struct cc_error err = {0};
        cc_sup_progress(s, " Container %s  Removing", name);
        cc_sup_net_removed(s, id); /* network: its ports and address */
        if (cc_container_cleanup_later(s->cli->root, s->project->name, id, &err) < 0) {
                cc_sup_progress(s, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
        }
        uv_work_t *purge = s->state->going ? NULL : cc_xcalloc(1, sizeof(*purge));
        if (purge) {
                purge->data = s;
                if (uv_queue_work(s->loop, purge, cc__purge_work, cc__purge_done) < 0)
                        free(purge);
        }
        for (size_t i = 0; i < s->state->n_ctrs; i++)
                if (strcmp(s->state->ctrs[i].id, id) == 0) {
                        cc_sup_event(s, &s->state->ctrs[i], "destroy", NULL, NULL);
                        cc_state_remove(s->state, i);
                        break;
                }
        cc_sup_progress(s, " Container %s  Removed", name);
}

/* What the container is made from: its image and configuration as the
 * service has them now. */
static void cc__plan_fields(struct cc_sup *s, struct cc_sup_svc *svc, struct cc_ctr_state *st)
{
        free(st->image);
        free(st->image_id);
        free(st->hash);
        free(st->command);
        st->image = cc_project_service_image(s->project, svc->name);
        st->image_id = svc->image ? cc_xstrdup(svc->image->id) : NULL;
        st->hash = cc_project_service_hash(s->project, svc->name);
        st->command = cc_service_command_line(svc->def, svc->image);
}

/* A container the API's create put in the state before this supervisor
 * came up (api-write.c), under the id and name it answered with: it has
 * no configuration hash yet. It is the one this plan creates: completed
 * here, never recreated under another id. */
static void cc__complete_reserved(struct cc_sup *s, struct cc_sup_svc *svc, struct cc_ctr_state *st)
{
        cc__plan_fields(s, svc, st);
        cc_sup_event(s, st, "create", NULL, NULL);
}

static struct cc_sup_ctr *cc__new_container(struct cc_sup *s, struct cc_sup_svc *svc, int number)
{
        _cleanup_free_ char *id = cc_container_new_id();
        struct cc_ctr_state *st = cc_state_add(s->state);
        st->id = cc_xstrdup(id);
        st->name = cc_container_name(s->project->name, svc->name, number, cc_node_map_str(svc->def, "container_name"));
        st->service = cc_xstrdup(svc->name);
        st->number = number;
        cc__plan_fields(s, svc, st);
        st->status = CC_CTR_CREATED;
        st->created = cc_sup_wall();
        struct cc_sup_ctr *c = cc_sup_ctr_new(svc, id);
        cc_sup_ctr_label(c);
        cc_sup_event(s, st, "create", NULL, NULL);
        cc_sup_progress(s, " Container %s  Created", st->name);
        return c;
}

static int cc__reconcile_service(struct cc_sup *s, struct cc_sup_svc *svc, struct cc_error *err)
{
        _cleanup_free_ char *hash = cc_project_service_hash(s->project, svc->name);
        _cleanup_free_ char *image = cc_project_service_image(s->project, svc->name);
        if (!image)
                return cc_error_set(err, -EINVAL, "service %s has neither an image nor a build context", svc->name);
        int r = cc_image_lookup(s->images, image, &svc->image, err);
        if (r == -ENOENT && cc_node_map_get(svc->def, "build")) {
                cc_error_clear(err);
                return cc_error_set(err, r, "service %s: image %s is not built: build it with 'ccompose build %s' "
                                    "(or up without --no-build)", svc->name, image, svc->name);
        }
        if (r < 0)
                return cc_error_prefix(err, "service %s", svc->name);
        svc->replicas = cc_sup_replicas(&s->opts.scale, svc->name, svc->def);

        for (int number = 1; number <= svc->replicas; number++) {
                struct cc_ctr_state *old = NULL;
                for (size_t i = 0; i < s->state->n_ctrs; i++) {
                        struct cc_ctr_state *st = &s->state->ctrs[i];
                        if (!st->one_off && strcmp(st->service, svc->name) == 0 && st->number == number)
                                old = st;
                }
                struct cc_sup_ctr *live = NULL;
                for (size_t i = 0; old && i < svc->n_ctrs; i++)
                        if (strcmp(svc->ctrs[i]->id, old->id) == 0)
                                live = svc->ctrs[i];
                if (old && !old->hash && old->status == CC_CTR_CREATED)
                        cc__complete_reserved(s, svc, old);
                bool same = old && cc_streq(old->hash, hash) && cc_streq(old->image_id, svc->image->id);
                if (old && (s->opts.no_recreate || (same && !s->opts.force_recreate))) {
                        if (!live) {
                                live = cc_sup_ctr_new(svc, old->id);
                                cc_sup_ctr_label(live);
                        }
                        if (old->status == CC_CTR_RUNNING && !live->c && cc_proc_alive(old->pid, old->pid_start))
                                cc__adopt(s, live, cc_sup_ctr_state(live));
                        struct cc_ctr_state *st = cc_sup_ctr_state(live);
                        st->stopped_by_user = false;
                        if (live->c)
                                cc_sup_progress(s, " Container %s  Running", st->name);
                        else if (s->opts.no_start) /* create: kept as it is */
                                cc_sup_progress(s, " Container %s  Created", st->name);
                        continue;
                }
                if (old) {
                        /* configuration changed: recreate */
                        _cleanup_free_ char *oid = cc_xstrdup(old->id), *oname = cc_xstrdup(old->name);
                        cc_sup_progress(s, " Container %s  Recreate", oname);
                        if (live) {
                                live->removing = true;
                                cc_sup_stop_ctrs(s, &live, 1, s->opts.stop_timeout_ms);
                        } else if (old->pid && cc_proc_alive(old->pid, old->pid_start)) {
                                struct cc_container *tmp = NULL;
                                if (cc_container_adopt(s->cli->root, s->project->name, oid, old->pid, 0, -1, &tmp, err) == 0) {
                                        cc_container_stop(tmp, 0, s->opts.stop_timeout_ms, err);
                                        cc_container_destroy(tmp, true, err);
                                        cc_error_clear(err);
                                }
                        }
                        cc_sup_remove_ctr(s, oid, oname);
                        for (size_t i = 0; live && i < svc->n_ctrs; i++)
                                if (svc->ctrs[i] == live) {
                                        memmove(svc->ctrs + i, svc->ctrs + i + 1, (svc->n_ctrs - i - 1) * sizeof(*svc->ctrs));
                                        svc->n_ctrs--;
                                        cc_sup_ctr_retire(live);
                                        break;
                                }
                }
                cc__new_container(s, svc, number);
        }
        /* scaled down: remove the highest numbers */
        for (size_t i = 0; i < s->state->n_ctrs;) {
                struct cc_ctr_state *st = &s->state->ctrs[i];
                if (st->one_off || strcmp(st->service, svc->name) != 0 || st->number <= svc->replicas) {
                        i++;
                        continue;
                }
                _cleanup_free_ char *oid = cc_xstrdup(st->id), *oname = cc_xstrdup(st->name);
                for (size_t k = 0; k < svc->n_ctrs; k++)
                        if (strcmp(svc->ctrs[k]->id, oid) == 0) {
                                svc->ctrs[k]->removing = true;
                                cc_sup_stop_ctrs(s, &svc->ctrs[k], 1, s->opts.stop_timeout_ms);
                        }
                cc_sup_remove_ctr(s, oid, oname);
        }
        svc->phase = CC_SVC_WAITING;
        return 0;
}

int cc_sup_reconcile(struct cc_sup *s, struct cc_error *err)
{
        struct cc_graph *g = &s->project->graph;
        struct cc_node *services = cc_project_services(s->project);
        bool *sel = cc_xcalloc(g->n + 1, sizeof(bool));
        if (s->opts.services.n > 0 || s->opts.only_services)
                cc_graph_select(g, &s->opts.services, s->opts.no_deps, sel);
        else
                for (size_t i = 0; i < g->n; i++)
                        sel[i] = true;

        s->svcs = cc_xcalloc(g->n + 1, sizeof(*s->svcs));
        size_t *order = cc_xcalloc(g->n + 1, sizeof(size_t));
        cc_graph_start_order(g, order);
        int r = 0;
        for (size_t k = 0; k < g->n; k++) {
                struct cc_sup_svc *svc = &s->svcs[s->n_svcs++];
                svc->sup = s;
                svc->name = cc_xstrdup(g->names[order[k]]);
                svc->def = cc_node_map_get(services, svc->name);
                svc->phase = CC_SVC_IDLE;
        }
        /* what runs already (an earlier supervisor, a crash) */
        for (size_t i = 0; i < s->state->n_ctrs; i++) {
                struct cc_ctr_state *st = &s->state->ctrs[i];
                struct cc_sup_svc *svc = cc_sup_svc_find(s, st->service);
                /* our child (this process re-executed itself) even as a
                 * zombie: its exit is read as it comes */
                bool child = cc__our_child(st);
                bool alive = child || (st->pid && cc_proc_alive(st->pid, st->pid_start));
                if (!alive && st->pid && (st->status == CC_CTR_RUNNING || st->status == CC_CTR_RESTARTING ||
                                          st->status == CC_CTR_PAUSED))
                        cc__died_unwatched(s, st);
                if (st->one_off && !child) /* a `run` owns it, not a supervisor */
                        continue;
                if (!alive)
                        cc__kill_stale(s, st);
                if (!svc)
                        continue;
                struct cc_sup_ctr *c = cc_sup_ctr_new(svc, st->id);
                cc_sup_ctr_label(c);
                if (st->one_off) { /* a run -d of ours, labelled by its name */
                        free(c->label);
                        c->label = cc_xstrdup(st->name);
                }
                if (alive)
                        cc__adopt(s, c, st);
        }
        /* orphans: containers of services no longer in the model */
        for (size_t i = 0; i < s->state->n_ctrs;) {
                struct cc_ctr_state *st = &s->state->ctrs[i];
                if (st->one_off || cc_sup_svc_find(s, st->service)) {
                        i++;
                        continue;
                }
                if (!s->opts.remove_orphans) {
                        if (!s->opts.ignore_orphans)
                                cc_sup_progress(s,
                                                "WARN[0000] Found orphan containers ([%s]) for this project. If you "
                                                "removed or renamed this service in your compose file, you can run "
                                                "this command with the --remove-orphans flag to clean it up.",
                                                st->name);
                        i++;
                        continue;
                }
                _cleanup_free_ char *oid = cc_xstrdup(st->id), *oname = cc_xstrdup(st->name);
                if (st->pid && cc_proc_alive(st->pid, st->pid_start)) {
                        struct cc_container *tmp = NULL;
                        if (cc_container_adopt(s->cli->root, s->project->name, oid, st->pid, 0, -1, &tmp, err) == 0) {
                                cc_container_stop(tmp, 0, s->opts.stop_timeout_ms, err);
                                cc_container_destroy(tmp, true, err);
                        }
                        cc_error_clear(err);
                }
                cc_sup_remove_ctr(s, oid, oname);
        }
        for (size_t k = 0; k < g->n && r >= 0; k++) {
                struct cc_sup_svc *svc = cc_sup_svc_find(s, g->names[order[k]]);
                if (!sel[order[k]])
                        continue;
                r = cc__reconcile_service(s, svc, err);
        }
        free(order);
        free(sel);
        cc_sup_save(s);
        return r;
}


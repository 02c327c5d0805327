/* start: the wanted services and what they depend on start as `up` starts
 * them, through the same phases (supervisor.c, cc_sup_kick): in dependency
 * order, each once its dependencies meet their conditions
 * (service_started, service_healthy, service_completed_successfully). The
 * request is answered when none of its services waits any more; a
 * dependency that fails its condition fails the start with docker
 * compose's message. Nothing here blocks the loop: the client's
 * connection stays open (sup-control.c) while the loop runs. */
#include <errno.h>

#include "sup-internal.h"
#include "sup-net.h" /* network */

static void cc__svc_failed(struct cc_sup *s, struct cc_sup_svc *svc, struct cc_error *err)
{
        svc->phase = CC_SVC_FAILED;
        free(svc->failure);
        svc->failure = cc_xstrdup(cc_error_msg(err));
        cc_sup_progress(s, "service %s: %s", svc->name, cc_error_msg(err));
        cc_error_clear(err);
}

/* A service of the start: what is not running waits for its dependencies
 * (restart timers are cancelled, the start starts it); a service whose
 * containers all run takes part as started, so that dependents check its
 * condition (its health) and do not pass it by. */
static void cc__prepare(struct cc_sup *s, struct cc_sup_svc *svc)
{
        struct cc_error err = {0};
        bool stopped = false;
        for (size_t i = 0; i < svc->n_ctrs; i++) {
                struct cc_sup_ctr *c = svc->ctrs[i];
                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                if (!st || c->removing || st->one_off)
                        continue;
                st->stopped_by_user = false;
                if (c->c)
                        continue;
                if (uv_is_active((uv_handle_t *) &c->restart_timer))
                        uv_timer_stop(&c->restart_timer);
                stopped = true;
        }
        if (!stopped) {
                if (svc->n_ctrs > 0 && svc->phase != CC_SVC_WAITING)
                        svc->phase = CC_SVC_STARTED;
                return;
        }
        /* a service this supervisor's up did not start: its image and networks */
        _cleanup_free_ char *image = cc_project_service_image(s->project, svc->name);
        if (!svc->image && (!image || cc_image_lookup(s->images, image, &svc->image, &err) < 0)) {
                if (!image)
                        cc_error_set(&err, -ENOTSUP, "no image");
                cc__svc_failed(s, svc, &err);
                return;
        }
        if (cc_sup_net_use(s, svc->def, &err) < 0) {
                cc__svc_failed(s, svc, &err);
                return;
        }
        svc->phase = CC_SVC_WAITING;
}

void cc_sup_start_begin(struct cc_sup *s, const struct cc_strv *services, struct cc_strv *waiting)
{
        const struct cc_graph *g = &s->project->graph;
        bool *sel = cc_xcalloc(g->n + 1, sizeof(bool));
        if (services->n > 0)
                cc_graph_select(g, services, false, sel); /* with their dependencies */
        else
                for (size_t k = 0; k < g->n; k++)
                        sel[k] = true;
        s->opts.no_start = false; /* after create: start starts */
        for (size_t k = 0; k < g->n; k++) {
                struct cc_sup_svc *svc = sel[k] ? cc_sup_svc_find(s, g->names[k]) : NULL;
                if (!svc)
                        continue;
                cc_strv_push(waiting, svc->name);
                cc__prepare(s, svc);
        }
        free(sel);
}

int cc_sup_start_settled(struct cc_sup *s, const struct cc_strv *waiting)
{
        int rc = 0;
        if (s->in_start > 0)
                return -EAGAIN; /* a container's start (Started, post_start) is not over */
        for (size_t i = 0; i < waiting->n; i++) {
                struct cc_sup_svc *svc = cc_sup_svc_find(s, waiting->v[i]);
                if (svc && svc->phase == CC_SVC_WAITING)
                        return -EAGAIN;
                if (svc && svc->phase == CC_SVC_FAILED)
                        rc = 1;
        }
        return rc;
}

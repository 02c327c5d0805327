/* up --wait: the progress of each container waited for (Waiting, then
 * Healthy or Exited, as docker compose prints them), its failure said
 * once, and the READY line that lets the CLI go. */
#include <stdio.h>
#include <unistd.h>

#include "sup-internal.h"

/* A container's failure ends the wait; it is said unless a dependent's
 * failure already said it ("dependency failed to start: container X is
 * unhealthy"). */
static void cc__wait_failure(struct cc_sup *s, const struct cc_ctr_state *st, bool unhealthy)
{
        for (size_t i = 0; i < s->n_svcs; i++) {
                const char *f = s->svcs[i].failure;
                if (s->svcs[i].phase == CC_SVC_FAILED && f && strstr(f, st->name))
                        return;
        }
        if (unhealthy)
                cc_sup_progress(s, "container %s is unhealthy", st->name);
        else
                cc_sup_progress(s, "container %s exited (%d)", st->name, st->exit_code);
}

/* Waiting for each container started (docker compose says it once all
 * are), then Healthy (healthy, or running
 * without a healthcheck) or Exited (exited 0), once each. */
static void cc__wait_progress(struct cc_sup *s)
{
        if (s->in_start > 0)
                return; /* after its Started line */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < s->n_svcs; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                                struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                                if (!st || c->removing || s->svcs[i].phase != CC_SVC_STARTED)
                                        continue;
                                if (pass == 0 && c->wait_said == 0) {
                                        cc_sup_progress(s, " Container %s  Waiting", st->name);
                                        c->wait_said = 1;
                                }
                                if (pass == 0 || c->wait_said != 1)
                                        continue;
                                bool exited = st->status == CC_CTR_EXITED && st->exit_code == 0;
                                bool healthy = st->status == CC_CTR_RUNNING &&
                                               (st->health ? strcmp(st->health, "healthy") == 0 : true);
                                if (exited || healthy) {
                                        cc_sup_progress(s, " Container %s  %s", st->name, exited ? "Exited" : "Healthy");
                                        c->wait_said = 2;
                                }
                        }
}

static bool cc__all_settled(struct cc_sup *s, bool want_healthy)
{
        for (size_t i = 0; i < s->n_svcs; i++) {
                struct cc_sup_svc *svc = &s->svcs[i];
                if (svc->phase == CC_SVC_WAITING)
                        return false;
                if (!want_healthy || svc->phase != CC_SVC_STARTED)
                        continue;
                for (size_t j = 0; j < svc->n_ctrs; j++) {
                        struct cc_ctr_state *st = cc_sup_ctr_state(svc->ctrs[j]);
                        if (svc->ctrs[j]->removing)
                                continue;
                        if (st->health && strcmp(st->health, "healthy") != 0)
                                return false;
                        if (!st->health && st->status == CC_CTR_RESTARTING)
                                return false;
                }
        }
        return true;
}

/* --wait: a container that turned unhealthy, or exited with a failure and
 * will not be restarted, ends the wait at once with an error. */
static bool cc__wait_failed(struct cc_sup *s)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        struct cc_ctr_state *st = cc_sup_ctr_state(c);
                        if (!st || c->removing || s->svcs[i].phase != CC_SVC_STARTED)
                                continue;
                        if (st->health && strcmp(st->health, "unhealthy") == 0) {
                                cc__wait_failure(s, st, true);
                                return true;
                        }
                        if (st->status == CC_CTR_EXITED && st->exit_code != 0) {
                                cc__wait_failure(s, st, false);
                                return true;
                        }
                }
        return false;
}

void cc_sup_report_ready(struct cc_sup *s)
{
        /* not in the middle of a container's start (a healthcheck's first
         * status kicks): its Started line and its post_start hooks come
         * first, then the kick that started it reports */
        if (s->in_start > 0)
                return;
        if (!s->ready_sent && s->opts.wait && cc__wait_failed(s)) {
                s->exit_code = 1;
                s->opts.wait = false;
        }
        if (!s->ready_sent && s->opts.wait)
                cc__wait_progress(s);
        if (s->ready_sent || !cc__all_settled(s, s->opts.wait))
                return;
        s->ready_sent = true;
        for (size_t i = 0; i < s->n_svcs; i++)
                if (s->svcs[i].phase == CC_SVC_FAILED && !s->exit_code)
                        s->exit_code = 1;
        if (s->lock_fd >= 0) {
                cc_state_unlock(s->lock_fd);
                s->lock_fd = -1;
        }
        if (s->progress_fd >= 0) {
                char line[64];
                int n = snprintf(line, sizeof(line), "\001READY %d\n", s->exit_code);
                if (write(s->progress_fd, line, (size_t) n) < 0) {
                        /* the CLI is gone */
                }
                close(s->progress_fd);
                s->progress_fd = -1;
        }
        if (s->wait_timer.data)
                uv_timer_stop(&s->wait_timer);
}

/* Healthchecks, as Docker runs them: the test runs inside the container
 * (through `ccompose __nsexec`, spawned from the loop) every interval
 * (start_interval during start_period); `retries` failures in a row make
 * the container unhealthy, one success makes it healthy; failures during
 * start_period do not count. The status goes to the state file (ps) and
 * wakes services waiting on service_healthy. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "sup-internal.h"

struct cc_hc {
        struct cc_strv test;  /* argv to run */
        long long interval_ms, timeout_ms, start_period_ms, start_interval_ms;
        int retries;
};

static long long cc__dur_ms(const char *s, long long dflt)
{
        long long ns;
        if (!s || cc_parse_duration(s, &ns) < 0)
                return dflt;
        return ns / 1000000;
}

static long long cc__json_ms(json_object *o, const char *key, long long dflt)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v))
                return dflt;
        long long ns = json_object_get_int64(v);
        return ns > 0 ? ns / 1000000 : dflt;
}

/* The service's healthcheck, else the image's HEALTHCHECK; false when none
 * (or disabled). */
static bool cc__hc_config(const struct cc_sup_ctr *c, struct cc_hc *hc)
{
        struct cc_node *h = cc_node_map_get(c->svc->def, "healthcheck");
        json_object *ih = NULL;
        if (c->svc->image && c->svc->image->config)
                json_object_object_get_ex(c->svc->image->config, "Healthcheck", &ih);
        memset(hc, 0, sizeof(*hc));
        hc->interval_ms = hc->timeout_ms = 30000;
        hc->start_interval_ms = 5000;
        hc->retries = 3;
        if (ih) {
                hc->interval_ms = cc__json_ms(ih, "Interval", hc->interval_ms);
                hc->timeout_ms = cc__json_ms(ih, "Timeout", hc->timeout_ms);
                hc->start_period_ms = cc__json_ms(ih, "StartPeriod", 0);
                hc->start_interval_ms = cc__json_ms(ih, "StartInterval", hc->start_interval_ms);
                json_object *r = NULL, *t = NULL;
                if (json_object_object_get_ex(ih, "Retries", &r) && json_object_get_int(r) > 0)
                        hc->retries = json_object_get_int(r);
                if (json_object_object_get_ex(ih, "Test", &t) && json_object_is_type(t, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(t); i++)
                                cc_strv_push(&hc->test, json_object_get_string(json_object_array_get_idx(t, i)));
        }
        if (cc_node_is_map(h)) {
                const char *dis = cc_node_map_str(h, "disable");
                if (dis && strcmp(dis, "true") == 0) {
                        cc_strv_free(&hc->test);
                        return false;
                }
                hc->interval_ms = cc__dur_ms(cc_node_map_str(h, "interval"), hc->interval_ms);
                hc->timeout_ms = cc__dur_ms(cc_node_map_str(h, "timeout"), hc->timeout_ms);
                hc->start_period_ms = cc__dur_ms(cc_node_map_str(h, "start_period"), hc->start_period_ms);
                hc->start_interval_ms = cc__dur_ms(cc_node_map_str(h, "start_interval"), hc->start_interval_ms);
                const char *r = cc_node_map_str(h, "retries");
                if (r && atoi(r) > 0)
                        hc->retries = atoi(r);
                struct cc_node *t = cc_node_map_get(h, "test");
                if (cc_node_is_seq(t)) {
                        cc_strv_free(&hc->test);
                        for (size_t i = 0; i < t->n; i++)
                                cc_strv_push(&hc->test, t->items[i]->str);
                }
        }
        if (hc->test.n == 0 || strcmp(hc->test.v[0], "NONE") == 0) {
                cc_strv_free(&hc->test);
                return false;
        }
        /* CMD-SHELL x -> /bin/sh -c x; CMD a b -> a b */
        struct cc_strv argv = {0};
        if (strcmp(hc->test.v[0], "CMD-SHELL") == 0 && hc->test.n >= 2) {
                cc_strv_push(&argv, "/bin/sh");
                cc_strv_push(&argv, "-c");
                cc_strv_push(&argv, hc->test.v[1]);
        } else {
                for (size_t i = strcmp(hc->test.v[0], "CMD") == 0 ? 1 : 0; i < hc->test.n; i++)
                        cc_strv_push(&argv, hc->test.v[i]);
        }
        cc_strv_free(&hc->test);
        hc->test = argv;
        return hc->test.n > 0;
}

static void cc__set_health(struct cc_sup_ctr *c, const char *h)
{
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        if (!st || cc_streq(st->health, h))
                return;
        free(st->health);
        st->health = cc_xstrdup(h);
        if (strcmp(h, "starting") != 0) {
                _cleanup_free_ char *action = cc_xasprintf("health_status: %s", h);
                cc_sup_event(c->sup, st, action, NULL, NULL);
        }
        cc_sup_save(c->sup);
        cc_sup_kick(c->sup);
}

static void cc__schedule(struct cc_sup_ctr *c);

static void cc__hc_closed(uv_handle_t *h)
{
        struct cc_sup_ctr *c = h->data;
        c->hc_running = false;
        if (c->c && !c->sup->stopping)
                cc__schedule(c);
}

static void cc__hc_exit(uv_process_t *p, int64_t status, int sig)
{
        struct cc_sup_ctr *c = p->data;
        struct cc_hc hc;
        uv_timer_stop(&c->hc_timeout);
        if (c->c && cc__hc_config(c, &hc)) {
                bool ok = status == 0 && sig == 0;
                bool in_start = cc_sup_now_ms() - c->started_ms < (uint64_t) hc.start_period_ms;
                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                if (ok) {
                        c->hc_failures = 0;
                        cc__set_health(c, "healthy");
                } else if (!in_start || (st->health && strcmp(st->health, "starting") != 0)) {
                        if (++c->hc_failures >= hc.retries)
                                cc__set_health(c, "unhealthy");
                }
                cc_strv_free(&hc.test);
        }
        uv_close((uv_handle_t *) p, cc__hc_closed);
}

static void cc__hc_timeout(uv_timer_t *t)
{
        struct cc_sup_ctr *c = t->data;
        if (c->hc_running)
                kill(-c->hc_proc.pid, SIGKILL);
}

static void cc__hc_run(uv_timer_t *t)
{
        struct cc_sup_ctr *c = t->data;
        struct cc_hc hc;
        if (!c->c || c->hc_running || !cc__hc_config(c, &hc))
                return;
        struct cc_strv args = {0};
        _cleanup_free_ char *exe = NULL;
        if (cc_sup_nsexec_args(c, NULL, &args, &exe) < 0) {
                cc_strv_free(&args);
                cc_strv_free(&hc.test);
                return;
        }
        cc_strv_push(&args, "--");
        for (size_t i = 0; i < hc.test.n; i++)
                cc_strv_push(&args, hc.test.v[i]);
        uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_IGNORE}};
        uv_process_options_t po = {
                .exit_cb = cc__hc_exit,
                .file = exe,
                .args = args.v,
                .flags = UV_PROCESS_DETACHED,
                .stdio_count = 3,
                .stdio = stdio,
        };
        c->hc_proc.data = c;
        int r = uv_spawn(c->sup->loop, &c->hc_proc, &po);
        cc_strv_free(&args);
        if (r < 0) {
                cc_strv_free(&hc.test);
                uv_close((uv_handle_t *) &c->hc_proc, NULL);
                cc__schedule(c);
                return;
        }
        c->hc_running = true;
        uv_timer_start(&c->hc_timeout, cc__hc_timeout, (uint64_t) hc.timeout_ms, 0);
        cc_strv_free(&hc.test);
}

static void cc__schedule(struct cc_sup_ctr *c)
{
        struct cc_hc hc;
        if (!c->c || !cc__hc_config(c, &hc))
                return;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        bool in_start = cc_sup_now_ms() - c->started_ms < (uint64_t) hc.start_period_ms;
        long long next = in_start && st->health && strcmp(st->health, "starting") == 0 ? hc.start_interval_ms
                                                                                         : hc.interval_ms;
        cc_strv_free(&hc.test);
        uv_timer_start(&c->hc_timer, cc__hc_run, (uint64_t) next, 0);
}

void cc_sup_health_start(struct cc_sup_ctr *c)
{
        struct cc_hc hc;
        if (!cc__hc_config(c, &hc))
                return;
        cc_strv_free(&hc.test);
        c->hc_failures = 0;
        cc__set_health(c, "starting");
        cc__schedule(c);
}

void cc_sup_health_stop(struct cc_sup_ctr *c)
{
        if (!uv_is_closing((uv_handle_t *) &c->hc_timer))
                uv_timer_stop(&c->hc_timer);
        if (!uv_is_closing((uv_handle_t *) &c->hc_timeout))
                uv_timer_stop(&c->hc_timeout);
        if (c->hc_running)
                kill(-c->hc_proc.pid, SIGKILL);
}

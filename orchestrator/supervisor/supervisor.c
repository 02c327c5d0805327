/* The supervisor loop: reconcile the project with what runs, start
 * services as their dependencies allow, watch containers through pidfds,
 * restart them per policy. See supervisor.h. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sup-net.h" /* network */
#include "registry.h"
#include "service-spec.h"
#include "sup-internal.h"

#define CC_BACKOFF_FIRST_MS 100
#define CC_BACKOFF_MAX_MS 30000
#define CC_STABLE_RUN_MS 10000

uint64_t cc_sup_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

long long cc_sup_wall(void)
{
        return (long long) time(NULL);
}

char *cc_container_name(const char *project, const char *service, int number, const char *container_name)
{
        if (container_name && *container_name)
                return cc_xstrdup(container_name);
        return cc_xasprintf("%s-%s-%d", project, service, number);
}

bool cc_sup_alive(const struct cc_state *st)
{
        return st && st->supervisor_pid > 0 && st->supervisor_pid != getpid() &&
               cc_proc_alive(st->supervisor_pid, st->supervisor_start);
}

void cc_state_refresh(const char *runtime_dir, struct cc_state *st)
{
        bool sup = cc_sup_alive(st);
        for (size_t i = 0; i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if ((ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED ||
                     (ct->status == CC_CTR_RESTARTING && !sup)) && !cc_proc_alive(ct->pid, ct->pid_start)) {
                        ct->status = CC_CTR_EXITED;
                        if (!sup && !cc_state_exit_code(runtime_dir, st->project, ct->pid, ct->pid_start, &ct->exit_code))
                                ct->exit_code = 255;
                        ct->finished_at = ct->finished_at > ct->started_at ? ct->finished_at : (long long) time(NULL);
                        ct->exits++;
                }
        }
}

void cc_sup_progress(struct cc_sup *s, const char *fmt, ...)
{
        struct cc_buf b = {0};
        va_list ap;
        va_start(ap, fmt);
        cc_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (s->reply) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "progress", json_object_new_string(b.s));
                cc_buf_printf(s->reply, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
                cc_buf_free(&b);
                return;
        }
        cc_buf_putc(&b, '\n');
        if (s->progress_fd >= 0) {
                if (write(s->progress_fd, b.s, b.len) < 0) {
                        /* the CLI went away: keep going, it only watched */
                        close(s->progress_fd);
                        s->progress_fd = -1;
                }
        } else {
                FILE *f = cc_cli_status();
                fflush(stdout);
                fputs(b.s, f);
                fflush(f);
        }
        cc_buf_free(&b);
}

struct cc_ctr_state *cc_sup_ctr_state(struct cc_sup_ctr *c)
{
        for (size_t i = 0; i < c->sup->state->n_ctrs; i++)
                if (strcmp(c->sup->state->ctrs[i].id, c->id) == 0)
                        return &c->sup->state->ctrs[i];
        return NULL;
}

void cc_sup_save(struct cc_sup *s)
{
        struct cc_error err = {0};
        if (cc_state_save(s->cli->runtime_dir, s->state, &err) < 0) {
                /* seen by up's CLI or a request's client (else in the log);
                 * before up is done, it fails up */
                cc_sup_progress(s, "saving state: %s", cc_error_msg(&err));
                if (!s->ready_sent)
                        s->exit_code = 1;
                cc_error_clear(&err);
        }
}

/* A kill event: the signal as its number, as Docker writes it. */
void cc_sup_event_kill(struct cc_sup *s, const struct cc_ctr_state *st, int signo)
{
        char sig[16];
        snprintf(sig, sizeof(sig), "%d", signo);
        cc_sup_event(s, st, "kill", "signal", sig);
}

/* An event's line: its time (now), type, action and the Actor's id. */
static json_object *cc__event_new(const char *type, const char *action, const char *id)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        char tb[48];
        cc_log_format_time(&now, tb, sizeof(tb));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "time", json_object_new_string(tb));
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "action", json_object_new_string(action));
        json_object_object_add(o, "id", json_object_new_string(id));
        return o;
}

/* docker's "volume mount" of each volume the container's spec mounts
 * (named, anonymous, from volumes_from), before its start; they are kept
 * for the "volume unmount" events after its die (cc_sup_volume_events). */
static void cc__volumes_mounted(struct cc_sup_ctr *c, const struct cc_container_spec *spec)
{
        cc_strv_free(&c->volumes);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct cc_mount *m = &spec->mounts[i];
                if (m->type != CC_MOUNT_VOLUME)
                        continue;
                char *name = m->source ? cc_xstrdup(m->source) : cc_container_anon_volume(c->id, m->target);
                cc_strv_push_owned(&c->volumes, name);
                const char *attrs[] = {"container", c->id, "destination", m->target, "propagation", "",
                                       "read/write", m->read_only ? "false" : "true"};
                cc_sup_volume_event(c->sup, name, "mount", attrs, CC_ARRAY_SIZE(attrs));
        }
}

void cc_sup_volume_event(struct cc_sup *s, const char *volume, const char *action, const char *const *attrs,
                         size_t n)
{
        json_object *o = cc__event_new("volume", action, volume), *a = json_object_new_object();
        json_object_object_add(a, "driver", json_object_new_string("local"));
        for (size_t i = 0; i + 1 < n; i += 2)
                json_object_object_add(a, attrs[i], json_object_new_string(attrs[i + 1]));
        json_object_object_add(o, "attributes", a);
        cc_state_event_log(s->cli->runtime_dir,
                           json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

/* Append an event to <runtime>/<project>/events.jsonl (what `ccompose
 * events` follows), as docker compose events --json prints them. */
void cc_sup_event(struct cc_sup *s, const struct cc_ctr_state *st, const char *action, const char *key,
                  const char *val)
{
        if (!st)
                return;
        json_object *o = cc__event_new("container", action, st->id);
        json_object_object_add(o, "service", json_object_new_string(st->service));
        json_object *a = json_object_new_object();
        json_object_object_add(a, "image", json_object_new_string(st->image ? st->image : ""));
        json_object_object_add(a, "name", json_object_new_string(st->name));
        if (key)
                json_object_object_add(a, key, json_object_new_string(val ? val : ""));
        json_object_object_add(o, "attributes", a);
        struct cc_error err = {0};
        int fd = cc_state_open(s->cli->runtime_dir, s->project->name, "events.jsonl", O_WRONLY | O_CREAT | O_APPEND,
                               &err);
        cc_error_clear(&err); /* events are best effort */
        if (fd >= 0) {
                const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                struct iovec iov[2] = {{(void *) line, strlen(line)}, {(void *) "\n", 1}};
                if (writev(fd, iov, 2) < 0) {
                        /* events are best effort */
                }
                close(fd);
        }
        /* the host's log: also the project, the container's number and
         * one-off flag, and its service's labels (the API's /events) */
        json_object_object_add(o, "project", json_object_new_string(s->project->name));
        json_object_object_add(o, "number", json_object_new_int(st->number));
        json_object_object_add(o, "oneoff", json_object_new_boolean(st->one_off));
        json_object *labels = json_object_new_object();
        struct cc_sup_svc *svc = cc_sup_svc_find(s, st->service);
        struct cc_node *l = svc ? cc_node_map_get(svc->def, "labels") : NULL;
        for (size_t i = 0; cc_node_is_map(l) && i < l->n; i++) {
                const char *v = l->items[i] ? l->items[i]->str : NULL;
                json_object_object_add(labels, cc_node_key(l, i), json_object_new_string(v ? v : ""));
        }
        json_object_object_add(o, "labels", labels);
        cc_state_event_log(s->cli->runtime_dir,
                           json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

struct cc_sup_svc *cc_sup_svc_find(struct cc_sup *s, const char *name)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                if (strcmp(s->svcs[i].name, name) == 0)
                        return &s->svcs[i];
        return NULL;
}

/* ---- the restart policy ---- */

struct cc_policy {
        enum { CC_RESTART_NO, CC_RESTART_ALWAYS, CC_RESTART_ON_FAILURE, CC_RESTART_UNLESS_STOPPED } kind;
        int max;           /* on-failure: attempts, 0 = unlimited */
        long long delay_ms; /* deploy.restart_policy.delay */
};

static struct cc_policy cc__policy(const struct cc_node *svc)
{
        struct cc_policy p = {CC_RESTART_NO, 0, -1};
        struct cc_node *rp = cc_node_map_get(cc_node_map_get(svc, "deploy"), "restart_policy");
        const char *r = cc_node_map_str(svc, "restart");
        if (cc_node_is_map(rp) && !r) {
                const char *cond = cc_node_map_str(rp, "condition");
                const char *max = cc_node_map_str(rp, "max_attempts");
                const char *delay = cc_node_map_str(rp, "delay");
                if (!cond || strcmp(cond, "any") == 0)
                        p.kind = CC_RESTART_ALWAYS;
                else if (strcmp(cond, "on-failure") == 0)
                        p.kind = CC_RESTART_ON_FAILURE;
                if (max)
                        p.max = atoi(max);
                long long ns;
                if (delay && cc_parse_duration(delay, &ns) == 0)
                        p.delay_ms = ns / 1000000;
                return p;
        }
        if (!r || strcmp(r, "no") == 0)
                return p;
        if (strcmp(r, "always") == 0)
                p.kind = CC_RESTART_ALWAYS;
        else if (strcmp(r, "unless-stopped") == 0)
                p.kind = CC_RESTART_UNLESS_STOPPED;
        else if (cc_startswith(r, "on-failure")) {
                p.kind = CC_RESTART_ON_FAILURE;
                if (r[10] == ':')
                        p.max = atoi(r + 11);
        }
        return p;
}

/* ---- containers ---- */

struct cc_sup_ctr *cc_sup_ctr_new(struct cc_sup_svc *svc, const char *id)
{
        struct cc_sup *s = svc->sup;
        struct cc_sup_ctr *c = cc_xcalloc(1, sizeof(*c));
        c->sup = s;
        c->svc = svc;
        c->id = cc_xstrdup(id);
        c->rfd[0] = c->rfd[1] = -1;
        uv_timer_init(s->loop, &c->restart_timer);
        c->restart_timer.data = c;
        uv_timer_init(s->loop, &c->hc_timer);
        c->hc_timer.data = c;
        uv_timer_init(s->loop, &c->hc_timeout);
        c->hc_timeout.data = c;
        svc->ctrs = cc_xrealloc(svc->ctrs, (svc->n_ctrs + 1) * sizeof(*svc->ctrs));
        svc->ctrs[svc->n_ctrs++] = c;
        return c;
}

void cc_sup_ctr_label(struct cc_sup_ctr *c)
{
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        free(c->label);
        if (st && cc_node_map_str(c->svc->def, "container_name"))
                c->label = cc_xstrdup(st->name);
        else
                c->label = cc_xasprintf("%s-%d", c->svc->name, st ? st->number : 1);
        int w = (int) strlen(c->label) + 1;
        if (w > c->sup->label_width)
                c->sup->label_width = w;
}

static void cc__exit_cb(uv_poll_t *h, int status, int events);

static void cc__heap_closed(uv_handle_t *h)
{
        free(h);
}

void cc_sup_close_free(uv_handle_t *h)
{
        if (h && !uv_is_closing(h))
                uv_close(h, cc__heap_closed);
}

void cc_sup_watch_exit(struct cc_sup_ctr *c)
{
        c->exit_poll = cc_xcalloc(1, sizeof(*c->exit_poll));
        uv_poll_init(c->sup->loop, c->exit_poll, cc_container_pidfd(c->c));
        c->exit_poll->data = c;
        uv_poll_start(c->exit_poll, UV_READABLE, cc__exit_cb);
}

static void cc__unwatch_exit(struct cc_sup_ctr *c)
{
        if (!c->exit_poll)
                return;
        uv_poll_stop(c->exit_poll);
        cc_sup_close_free((uv_handle_t *) c->exit_poll);
        c->exit_poll = NULL;
}

/* The exit code of a container that is not our child (adopted from an
 * earlier supervisor that died): its wait status went to whoever reaps it
 * now, the project's keeper, which records it (or /proc has it while it is
 * a zombie). The kernel tells an OOM kill (137). Without a record (reaped
 * by the host's init), a SIGKILL we sent, which cannot be caught or
 * survived, is 137 as docker reports it; anything else stays 255,
 * "unknown". */
int cc_sup_adopted_exit_code(struct cc_sup_ctr *c)
{
        struct cc_error err = {0};
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        int code = 255;
        if (cc_container_reap(c->c, &code, &err) < 0)
                cc_error_clear(&err);
        if (code == 255 && st &&
            cc_state_exit_code(c->sup->cli->runtime_dir, c->sup->project->name, st->pid, st->pid_start, &code))
                return code;
        if (code == 255 && c->killed)
                code = 128 + SIGKILL;
        return code;
}

void cc_sup_kill_all(struct cc_sup_ctr *c)
{
        struct cc_error err = {0};
        c->killed = true;
        if (cc_container_kill_all(c->c, &err) < 0)
                cc_error_clear(&err);
}

int cc_sup_start_ctr(struct cc_sup_ctr *c, struct cc_error *err)
{
        struct cc_sup *s = c->sup;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        struct cc_container_spec spec;
        struct cc_seccomp *seccomp = NULL;
        int stdio[3] = {-1, -1, -1};
        int r;

        cc_sup_mounts_settle(s);
        cc_container_spec_init(&spec);
        r = cc_service_spec_build(s->cli->root, s->project, c->svc->name, c->id, st->name, c->svc->image, c->ov,
                                  &seccomp, &spec, err);
        if (r >= 0 && spec.net_join_pid < 0) /* network_mode service:X / container:NAME */
                r = cc_service_net_join(s->cli->runtime_dir, s->state, c->svc->name, c->svc->def, &spec.net_join_pid,
                                        err);
        if (r >= 0)
                r = cc_service_volumes_from(s->cli->root, s->project, s->state, c->svc->name, &spec, err);
        if (r >= 0)
                r = cc_sup_output_open(c, stdio, err);
        if (r >= 0) {
                cc_sup_net_spec(c, &spec); /* network: veths, addresses, ports, hosts */
                spec.reuse_dir = true;
                spec.tty = c->tty; /* the pty's master comes back: sup-output.c */
                for (int i = 0; i < 3; i++)
                        spec.stdio[i] = stdio[i];
                int exit_status = 0;
                r = cc_container_start(&spec, &c->c, &exit_status, err);
                if (r < 0)
                        st->exit_code = exit_status;
                else
                        cc__volumes_mounted(c, &spec);
        }
        for (int i = 0; i < 3; i++)
                if (stdio[i] >= 0)
                        close(stdio[i]);
        cc_container_spec_free(&spec);
        if (seccomp)
                cc_seccomp_free(seccomp);
        if (r >= 0)
                r = cc_sup_output_attach(c, err);
        if (r < 0) {
                st->status = CC_CTR_EXITED;
                st->finished_at = cc_sup_wall();
                st->pid = 0;
                cc_sup_save(s);
                return cc_error_prefix(err, "container %s", st->name);
        }
        c->adopted = false;
        c->killed = false;
        c->started_ms = cc_sup_now_ms();
        st->pid = cc_container_pid(c->c);
        st->pid_start = cc_proc_start_time(st->pid);
        st->status = CC_CTR_RUNNING;
        st->started_at = cc_sup_wall();
        st->exit_code = 0;
        free(st->health);
        st->health = NULL;
        cc_sup_watch_exit(c);
        cc_sup_event(s, st, "start", NULL, NULL);
        cc_sup_health_start(c);
        cc_sup_save(s);
        return 0;
}

static void cc__restart_cb(uv_timer_t *t)
{
        struct cc_sup_ctr *c = t->data;
        struct cc_error err = {0};
        if (c->sup->stopping || c->removing)
                return;
        if (cc_sup_start_ctr(c, &err) < 0) {
                cc_sup_progress(c->sup, "%s", cc_error_msg(&err));
                cc_error_clear(&err);
        }
}

/* Should the container be started again, and after how long? */
static bool cc__should_restart(struct cc_sup_ctr *c, int exit_code, long long *delay_ms)
{
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        struct cc_policy p = cc__policy(c->svc->def);
        if (c->sup->stopping || c->removing || st->stopped_by_user || st->one_off)
                return false;
        switch (p.kind) {
        case CC_RESTART_NO:
                return false;
        case CC_RESTART_ON_FAILURE:
                if (exit_code == 0 || (p.max > 0 && st->restart_count >= p.max))
                        return false;
                break;
        default:
                break;
        }
        /* first restart at once, then a doubling, capped delay; a stable
         * run resets it */
        if (cc_sup_now_ms() - c->started_ms >= CC_STABLE_RUN_MS)
                c->backoff_ms = 0;
        *delay_ms = p.delay_ms >= 0 ? p.delay_ms : c->backoff_ms;
        c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : CC_BACKOFF_FIRST_MS;
        if (c->backoff_ms > CC_BACKOFF_MAX_MS)
                c->backoff_ms = CC_BACKOFF_MAX_MS;
        return true;
}

static void cc__abort_all(struct cc_sup *s);

/* A one-shot that completed for a service depending on it with
 * service_completed_successfully does not abort the stack (as docker
 * compose treats such init containers). */
static bool cc__completed_init(struct cc_sup *s, const char *service, int exit_code)
{
        if (exit_code != 0)
                return false;
        struct cc_node *services = cc_project_services(s->project);
        for (size_t i = 0; i < services->n; i++) {
                struct cc_node *dep = cc_node_map_get(cc_node_map_get(services->items[i], "depends_on"), service);
                const char *cond = cc_node_map_str(dep, "condition");
                if (cond && strcmp(cond, "service_completed_successfully") == 0)
                        return true;
        }
        return false;
}

struct cc__mounts {
        uv_work_t work;
        struct cc_sup *sup;
        int fd;
};

static void cc__mounts_work(uv_work_t *w)
{
        struct cc__mounts *m = w->data;
        close(m->fd);
        atomic_fetch_sub(&m->sup->mounts_closing, 1);
}

static void cc__mounts_done(uv_work_t *w, int status)
{
        free(w->data);
}

/* Wait for the exited containers' mounts that still end (rarely more than
 * a few ms): an overlay's upper directory is in use until then, for a new
 * mount and for the deletion of its files. */
void cc_sup_mounts_settle(struct cc_sup *s)
{
        while (atomic_load(&s->mounts_closing) > 0)
                usleep(200);
}

static void cc__close_mounts_later(struct cc_sup *s, int fd)
{
        if (fd < 0)
                return;
        struct cc__mounts *m = cc_xcalloc(1, sizeof(*m));
        m->work.data = m;
        m->sup = s;
        m->fd = fd;
        atomic_fetch_add(&s->mounts_closing, 1);
        if (uv_queue_work(s->loop, &m->work, cc__mounts_work, cc__mounts_done) < 0) {
                cc__mounts_work(&m->work); /* here, then */
                free(m);
        }
}

void cc_sup_exited(struct cc_sup_ctr *c, int exit_code)
{
        struct cc_sup *s = c->sup;
        struct cc_ctr_state *st = cc_sup_ctr_state(c);
        struct cc_error err = {0};

        cc_sup_output_close(c);
        cc_sup_health_stop(c);
        cc_sup_net_exited(c); /* network: its veths go, peers' /etc/hosts */
        cc__unwatch_exit(c);
        /* docker: an "oom" event when the kernel's OOM killer acted in the
         * container, before its "die" (known once it is gone, from its
         * cgroup, before the cgroup goes) */
        if (c->c && cc_container_oom_killed(c->c))
                cc_sup_event(s, st, "oom", NULL, NULL);
        long long delay = 0;
        bool restart = cc__should_restart(c, exit_code, &delay);
        st->status = CC_CTR_EXITED;
        st->exit_code = exit_code;
        st->finished_at = cc_sup_wall();
        st->exits++;
        st->pid = 0;
        st->pid_start = 0;
        char code[16];
        snprintf(code, sizeof(code), "%d", exit_code);
        cc_sup_event(s, st, "die", "exitCode", code);
        for (size_t i = 0; i < c->volumes.n; i++) {
                const char *attrs[] = {"container", c->id};
                cc_sup_volume_event(s, c->volumes.v[i], "unmount", attrs, CC_ARRAY_SIZE(attrs));
        }
        cc_strv_free(&c->volumes);
        /* exited, in the state at once when it stays so (docker run --rm
         * removes it meanwhile): its cgroups go after */
        if (!restart)
                cc_sup_save(s);
        /* its mounts end in a thread (the overlay's sync waits for the
         * disk): a down asking meanwhile is answered without waiting */
        if (!restart && c->c)
                cc__close_mounts_later(s, cc_container_take_mounts(c->c));
        if (c->c) {
                if (cc_container_destroy(c->c, true, &err) < 0) {
                        cc_sup_progress(s, "%s", cc_error_msg(&err));
                        cc_error_clear(&err);
                }
                c->c = NULL;
        }
        if (s->attached && !s->opts.detach && !c->removing && !s->stopping) {
                printf("%s%s exited with code %d%s\n", s->color ? "\033[1m" : "", c->label, exit_code,
                       s->color ? "\033[0m" : "");
                fflush(stdout); /* a file or a pipe too sees it as it happens */
        }
        if (restart) {
                st->status = CC_CTR_RESTARTING;
                st->restart_count++;
                uv_timer_start(&c->restart_timer, cc__restart_cb, (uint64_t) delay, 0);
                cc_sup_save(s);
        }

        if (s->attached && !s->stopping && !c->removing && st->status == CC_CTR_EXITED) {
                bool from = s->exit_from && strcmp(s->exit_from, c->svc->name) == 0;
                if (from)
                        s->exit_code = exit_code;
                if ((s->opts.abort_on_exit || (s->opts.abort_on_failure && exit_code != 0) || from) &&
                    (from || !cc__completed_init(s, c->svc->name, exit_code))) {
                        if (!s->exit_from)
                                s->exit_code = exit_code;
                        printf("Aborting on container exit...\n");
                        fflush(stdout);
                        cc__abort_all(s);
                        return;
                }
        }
        cc_sup_kick(s);
}

static void cc__exit_cb(uv_poll_t *h, int status, int events)
{
        struct cc_sup_ctr *c = h->data;
        int code = 255;
        struct cc_error err = {0};
        if (!c->c)
                return;
        if (c->adopted) {
                code = cc_sup_adopted_exit_code(c); /* not our child */
        } else if (cc_container_reap(c->c, &code, &err) == 0) {
                return; /* spurious wakeup */
        }
        cc_error_clear(&err);
        cc_sup_exited(c, code);
}

/* ---- services: waiting for dependencies ---- */

static int cc__dep_ready(struct cc_sup *s, struct cc_sup_svc *svc, const char *dep, const char *cond, char **why)
{
        struct cc_sup_svc *d = cc_sup_svc_find(s, dep);
        if (!d || d->phase == CC_SVC_IDLE)
                return 1; /* not part of this up: already there or not wanted */
        if (d->phase == CC_SVC_WAITING)
                return 0;
        if (d->phase == CC_SVC_FAILED) {
                *why = d->failure && cc_startswith(d->failure, "dependency failed to start: ")
                               ? cc_xstrdup(d->failure)
                               : cc_xasprintf("dependency failed to start: %s", d->failure ? d->failure : dep);
                return -1;
        }
        for (size_t i = 0; i < d->n_ctrs; i++) {
                struct cc_sup_ctr *c = d->ctrs[i];
                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                if (c->removing || !st || st->one_off) /* a run's container meets no condition */
                        continue;
                if (strcmp(cond, "service_healthy") == 0) {
                        if (st->status == CC_CTR_EXITED) {
                                *why = cc_xasprintf("dependency failed to start: container %s exited (%d)", st->name,
                                                    st->exit_code);
                                return -1;
                        }
                        if (!cc_node_map_get(d->def, "healthcheck") && !st->health) {
                                *why = cc_xasprintf("dependency failed to start: container %s has no healthcheck configured",
                                                    st->name);
                                return -1;
                        }
                        if (st->health && strcmp(st->health, "unhealthy") == 0) {
                                *why = cc_xasprintf("dependency failed to start: container %s is unhealthy", st->name);
                                return -1;
                        }
                        if (!st->health || strcmp(st->health, "healthy") != 0)
                                return 0;
                } else if (strcmp(cond, "service_completed_successfully") == 0) {
                        if (st->status == CC_CTR_RUNNING || st->status == CC_CTR_RESTARTING || st->status == CC_CTR_CREATED)
                                return 0;
                        if (st->exit_code != 0) {
                                *why = cc_xasprintf("service \"%s\" didn't complete successfully: exit %d", dep,
                                                    st->exit_code);
                                return -1;
                        }
                }
        }
        (void) svc;
        return 1;
}

/* A container of svc did not start (or its post_start hook failed): the
 * service fails with why, and so does up. */
static void cc__svc_start_failed(struct cc_sup *s, struct cc_sup_svc *svc, const char *name, const char *why,
                                 const char *prefix)
{
        cc_sup_progress(s, " Container %s  Error", name);
        svc->phase = CC_SVC_FAILED;
        free(svc->failure);
        svc->failure = cc_xstrdup(why);
        cc_sup_progress(s, "%s%s", prefix, why);
        if (!s->exit_code)
                s->exit_code = 1;
}

static void cc__svc_start(struct cc_sup *s, struct cc_sup_svc *svc)
{
        struct cc_error err = {0};
        svc->phase = CC_SVC_STARTED;
        for (size_t i = 0; i < svc->n_ctrs; i++) {
                struct cc_sup_ctr *c = svc->ctrs[i];
                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                if (c->c || c->removing || st->one_off) /* a run's container is not the service's */
                        continue;
                if (s->opts.no_start) /* create: the plan said Created */
                        continue;
                cc_sup_progress(s, " Container %s  Starting", st->name);
                s->in_start++;
                int r = cc_sup_start_ctr(c, &err);
                /* as docker compose: Started once its post_start hooks succeeded */
                _cleanup_free_ char *why = NULL;
                if (r < 0)
                        cc__svc_start_failed(s, svc, st->name, cc_error_msg(&err), "Error response from daemon: ");
                else if (cc_sup_hooks_run(c, "post_start", -1, &why) != 0)
                        cc__svc_start_failed(s, svc, cc_sup_ctr_state(c)->name, why, "");
                else
                        cc_sup_progress(s, " Container %s  Started", cc_sup_ctr_state(c)->name);
                cc_error_clear(&err);
                s->in_start--;
        }
}

void cc_sup_kick(struct cc_sup *s)
{
        bool progress = true;
        if (s->reconciling)
                return; /* health changes of adopted containers wait for the plan */
        while (progress && !s->stopping) {
                progress = false;
                for (size_t i = 0; i < s->n_svcs; i++) {
                        struct cc_sup_svc *svc = &s->svcs[i];
                        if (svc->phase != CC_SVC_WAITING)
                                continue;
                        struct cc_node *deps = cc_node_map_get(svc->def, "depends_on");
                        int ready = 1;
                        /* create only: nothing runs, so there is nothing to wait for */
                        for (size_t j = 0; !s->opts.no_start && cc_node_is_map(deps) && j < deps->n && ready > 0; j++) {
                                const char *dep = cc_node_key(deps, j);
                                const char *cond = cc_node_map_str(deps->items[j], "condition");
                                const char *req = cc_node_map_str(deps->items[j], "required");
                                char *why = NULL;
                                int r = cc__dep_ready(s, svc, dep, cond ? cond : "service_started", &why);
                                if (r < 0 && req && strcmp(req, "false") == 0) {
                                        cc_sup_progress(s, "WARN[0000] optional dependency %s failed: %s", dep, why);
                                        r = 1;
                                }
                                if (r < 0) {
                                        svc->phase = CC_SVC_FAILED;
                                        free(svc->failure);
                                        svc->failure = why;
                                        why = NULL;
                                        cc_sup_progress(s, "%s", svc->failure);
                                        if (!s->exit_code)
                                                s->exit_code = 1;
                                        progress = true;
                                }
                                free(why);
                                ready = r;
                        }
                        if (ready > 0) {
                                cc__svc_start(s, svc);
                                progress = true;
                        }
                }
        }
        cc_sup_report_ready(s);
        if (s->attached && !s->stopping && s->ready_sent && !s->reply) {
                /* attached up ends when nothing runs or will run again (not
                 * in the middle of a restart asked for by another command) */
                bool any = false;
                for (size_t i = 0; i < s->n_svcs && !any; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                                struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                                if (c->c || (st && st->status == CC_CTR_RESTARTING))
                                        any = true;
                        }
                if (!any)
                        cc__abort_all(s);
        }
        cc_sup_control_pending(s); /* a start waiting for its services */
}

void cc_sup_overrides_free(struct cc_spec_overrides *ov)
{
        if (!ov)
                return;
        cc_strv_free(&ov->env);
        cc_strv_free(&ov->volumes);
        cc_strv_free(&ov->cap_add);
        cc_strv_free(&ov->cap_drop);
        cc_strv_free(&ov->command);
        free((char *) ov->user);
        free((char *) ov->workdir);
        free((char *) ov->entrypoint);
        free(ov);
}

/* run -d: a one-off container of a service, supervised like the others
 * but never restarted. Returns its name in *name. */
int cc_sup_run_oneoff(struct cc_sup *s, const char *service, struct cc_spec_overrides *ov, const char *want_name,
                      char **name, struct cc_error *err)
{
        struct cc_sup_svc *svc = cc_sup_svc_find(s, service);
        if (!svc) {
                cc_sup_overrides_free(ov);
                return cc_error_set(err, -ENOENT, "no such service: %s", service);
        }
        if (!svc->image) {
                _cleanup_free_ char *image = cc_project_service_image(s->project, service);
                int r = image ? cc_image_lookup(s->images, image, &svc->image, err)
                              : cc_error_set(err, -ENOTSUP, "service %s has no image", service);
                if (r < 0) {
                        cc_sup_overrides_free(ov);
                        return r;
                }
        }
        int r = cc_sup_net_use(s, svc->def, err);
        if (r < 0) {
                cc_sup_overrides_free(ov);
                return r;
        }
        _cleanup_free_ char *id = cc_container_new_id();
        struct cc_ctr_state *st = cc_state_add(s->state);
        st->id = cc_xstrdup(id);
        st->name = want_name ? cc_xstrdup(want_name) : cc_xasprintf("%s-%s-run-%.12s", s->project->name, service, id + 52);
        st->service = cc_xstrdup(service);
        st->number = 1;
        st->one_off = true;
        char *image = cc_project_service_image(s->project, service);
        st->image = image ? image : cc_xstrdup("");
        st->image_id = cc_xstrdup(svc->image->id);
        if (ov->command.n) {
                struct cc_buf b = {0};
                for (size_t i = 0; i < ov->command.n; i++)
                        cc_buf_printf(&b, "%s%s", i ? " " : "", ov->command.v[i]);
                st->command = cc_buf_steal(&b);
        } else {
                st->command = cc_service_command_line(svc->def, svc->image);
        }
        st->status = CC_CTR_CREATED;
        st->created = cc_sup_wall();
        struct cc_sup_ctr *c = cc_sup_ctr_new(svc, id);
        c->ov = ov;
        free(c->label);
        c->label = cc_xstrdup(st->name);
        cc_sup_event(s, st, "create", NULL, NULL);
        r = cc_sup_start_ctr(c, err);
        if (r < 0)
                return r;
        *name = cc_xstrdup(st->name);
        return 0;
}

/* End the loop. keep: leave the containers running for the next
 * supervisor (handover); otherwise they were stopped already. */
void cc_sup_shutdown(struct cc_sup *s, bool keep)
{
        s->stopping = true;
        if (keep)
                for (size_t i = 0; i < s->n_svcs; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                                struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                                if (!c->c)
                                        continue;
                                cc__unwatch_exit(c);
                                cc_sup_output_close(c);
                                cc_container_release(c->c);
                                c->c = NULL;
                        }
        cc_sup_close_all(s);
}

static void cc__abort_all(struct cc_sup *s)
{
        if (s->stopping)
                return;

        cc_sup_stop_all(s, false);
        cc_sup_close_all(s);
}

void cc_sup_signal_cb(uv_signal_t *h, int signum)
{
        struct cc_sup *s = h->data;
        if (signum == SIGINT && ++s->sigints > 1) {
                /* second Ctrl-C: kill at once */
                for (size_t i = 0; i < s->n_svcs; i++)
                        for (size_t j = 0; j < s->svcs[i].n_ctrs; j++)
                                if (s->svcs[i].ctrs[j]->c)
                                        cc_sup_kill_all(s->svcs[i].ctrs[j]);
                return;
        }
        if (!s->exit_code)
                s->exit_code = 130;
        if (s->attached && !s->stopping)
                fputs("Gracefully stopping... (press Ctrl+C again to force)\n", stderr);
        if (!s->attached) {
                /* the daemon: SIGTERM stops the stack */
                cc_sup_stop_all(s, false);
                cc_sup_close_all(s);
                return;
        }
        cc__abort_all(s);
}

static void cc__noop_close(uv_handle_t *h)
{
        (void) h;
}

/* Close every handle so that uv_run returns. */
void cc_sup_ctr_close_timers(struct cc_sup_ctr *c)
{
        cc_sup_health_stop(c);
        uv_handle_t *hs[] = {(uv_handle_t *) &c->restart_timer, (uv_handle_t *) &c->hc_timer,
                             (uv_handle_t *) &c->hc_timeout};
        for (size_t k = 0; k < CC_ARRAY_SIZE(hs); k++)
                if (!uv_is_closing(hs[k]))
                        uv_close(hs[k], NULL);
}

void cc_sup_close_all(struct cc_sup *s)
{
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        struct cc_sup_ctr *c = s->svcs[i].ctrs[j];
                        cc_sup_ctr_close_timers(c);
                        cc__unwatch_exit(c);
                        cc_sup_output_close(c);
                }
        uv_handle_t *hs[] = {(uv_handle_t *) &s->sigint, (uv_handle_t *) &s->sigterm, (uv_handle_t *) &s->sighup};
        for (size_t k = 0; k < CC_ARRAY_SIZE(hs); k++)
                if (hs[k]->data && !uv_is_closing(hs[k]))
                        uv_close(hs[k], cc__noop_close);
        if (s->wait_timer.data && !uv_is_closing((uv_handle_t *) &s->wait_timer))
                uv_close((uv_handle_t *) &s->wait_timer, cc__noop_close);
        cc_sup_control_close(s);
        cc_sup_net_close(s); /* network: the port proxies */
}


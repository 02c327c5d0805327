/* The API's top and stats of a container. top runs ps (ps_args, as
 * dockerd does, through api-run.c) and keeps the lines of the container's processes, those
 * in its cgroup (what `ccompose top` lists). stats answers docker's
 * StatsJSON from the counters `ccompose stats` reads (cgroup, network
 * namespace): one message (stream=false: two samples a second apart, so
 * that the client computes CPU % from precpu_stats; one-shot: at once),
 * or one a second. */
#include <errno.h>
#include <stdio.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "logfile.h"
#include "state.h"
#include "usage.h"

static bool cc__up(const struct cc_ctr_state *ct)
{
        return (ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED) && cc_proc_alive(ct->pid, ct->pid_start);
}

/* ---- top ---- */

/* What ps prints, and the container's PIDs (one a line). */
struct cc__top {
        struct cc_buf text;
        char *procs;
};

/* Split a ps line into at most n fields on blanks (the last one takes the rest). */
static json_object *cc__fields(const char *line, size_t n)
{
        json_object *a = json_object_new_array();
        const char *p = line;
        while (*p) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                if (json_object_array_length(a) + 1 == n) {
                        json_object_array_add(a, json_object_new_string(p));
                        break;
                }
                const char *e = p;
                while (*e && *e != ' ' && *e != '\t')
                        e++;
                json_object_array_add(a, json_object_new_string_len(p, (int) (e - p)));
                p = e;
        }
        return a;
}

static bool cc__pid_in(const char *procs, const char *pid)
{
        size_t n = strlen(pid);
        for (const char *l = procs; l && *l;) {
                const char *nl = strchrnul(l, '\n');
                if ((size_t) (nl - l) == n && strncmp(l, pid, n) == 0)
                        return true;
                l = *nl ? nl + 1 : nl;
        }
        return false;
}

/* ps's output: Titles, and the Processes whose PID is the container's. */
static void cc__top_answer(struct cc_api_req *r, struct cc__top *t)
{
        cc_buf_putc(&t->text, '\0');
        char *text = t->text.s, *nl = strchr(text, '\n');
        if (nl)
                *nl = '\0';
        json_object *titles = cc__fields(text, SIZE_MAX);
        size_t nt = json_object_array_length(titles), pid_col = SIZE_MAX;
        for (size_t i = 0; i < nt; i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(titles, i)), "PID") == 0)
                        pid_col = i;
        if (pid_col == SIZE_MAX) {
                json_object_put(titles);
                cc_api_reply_error(r, 500, "Couldn't find PID field in ps output");
                return;
        }
        json_object *rows = json_object_new_array();
        for (char *line = nl ? nl + 1 : NULL; line && *line;) {
                char *end = strchr(line, '\n');
                if (end)
                        *end = '\0';
                json_object *f = cc__fields(line, nt);
                json_object *pid = json_object_array_get_idx(f, pid_col);
                if (pid && cc__pid_in(t->procs, json_object_get_string(pid)))
                        json_object_array_add(rows, f);
                else
                        json_object_put(f);
                line = end ? end + 1 : NULL;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Titles", titles);
        json_object_object_add(o, "Processes", rows);
        cc_api_reply_json(r, 200, o);
}

static void cc__top_out(struct cc_api_run *x, const char *data, size_t n)
{
        struct cc__top *t = x->data;
        if (t->text.len < 16 * 1024 * 1024)
                cc_buf_add(&t->text, data, n);
}

static void cc__top_done(struct cc_api_run *x, int64_t code)
{
        struct cc__top *t = x->data;
        if (code != 0) {
                _cleanup_free_ char *msg = cc_api_run_message(x);
                cc_api_reply_error(x->req, 500, "Error running ps: exit status %d: %s", (int) code, msg);
        } else {
                cc__top_answer(x->req, t);
        }
        cc_buf_free(&t->text);
        free(t->procs);
        free(t);
}

void cc_api_container_top(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        const char *ps_args = cc_api_query(r, "ps_args");
        char *procs = NULL;
        if (c && !cc__up(c->ct))
                cc_api_reply_error(r, 409, "Container %s is not running", c->ct->id);
        else if (c && cc_usage_procs(c->st->project, c->ct->id, &procs) < 0)
                procs = cc_xasprintf("%d\n", (int) c->ct->pid);
        cc_api_ctrs_free(&cs);
        if (!procs)
                return;
        /* dockerd splits ps_args on spaces */
        struct cc_strv args = {0};
        _cleanup_free_ char *all = cc_xstrdup(ps_args && *ps_args ? ps_args : "-ef");
        for (char *save = NULL, *a = strtok_r(all, " ", &save); a; a = strtok_r(NULL, " ", &save))
                cc_strv_push(&args, a);
        cc_strv_push_owned(&args, NULL);
        struct cc__top *t = cc_xcalloc(1, sizeof(*t));
        t->procs = procs;
        struct cc_api_run *x = cc_api_run_new(r, cc__top_done);
        x->program = "ps";
        x->on_data = cc__top_out;
        x->data = t;
        cc_api_run(x, (const char *const *) args.v);
        cc_strv_free(&args);
}

/* ---- stats ---- */

struct cc__sample {
        bool have;
        struct cc_usage u;
        struct timespec at;
        uint64_t system_ns; /* the host's CPU time, all CPUs */
};

/* The host's CPU time from /proc/stat's "cpu" line, in ns. */
static uint64_t cc__system_ns(void)
{
        _cleanup_free_ char *text = NULL;
        if (cc_read_file("/proc/stat", &text, NULL) < 0 || !cc_startswith(text, "cpu "))
                return 0;
        uint64_t sum = 0;
        char *p = text + 4, *nl = strchrnul(text, '\n');
        while (p < nl) {
                char *e;
                unsigned long long v = strtoull(p, &e, 10);
                if (e == p)
                        break;
                sum += v;
                p = e;
        }
        long hz = sysconf(_SC_CLK_TCK);
        return sum * (1000000000ull / (uint64_t) (hz > 0 ? hz : 100));
}

static void cc__sample_take(const struct cc_api_ctr *c, struct cc__sample *s)
{
        memset(s, 0, sizeof(*s));
        if (!cc__up(c->ct))
                return;
        struct cc_error err = {0};
        s->have = cc_usage_read(c->st->project, c->ct->id, c->ct->pid, &s->u, &err) == 0;
        cc_error_clear(&err);
        clock_gettime(CLOCK_REALTIME, &s->at);
        s->system_ns = cc__system_ns();
}

static json_object *cc__u64(uint64_t v)
{
        return json_object_new_uint64(v);
}

static json_object *cc__cpu_json(const struct cc__sample *s)
{
        json_object *cpu = json_object_new_object(), *usage = json_object_new_object(),
                    *thr = json_object_new_object();
        json_object_object_add(usage, "total_usage", cc__u64(s->have ? s->u.cg.cpu_ns : 0));
        json_object_object_add(usage, "usage_in_kernelmode", cc__u64(0));
        json_object_object_add(usage, "usage_in_usermode", cc__u64(0));
        json_object_object_add(cpu, "cpu_usage", usage);
        json_object_object_add(cpu, "system_cpu_usage", cc__u64(s->have ? s->system_ns : 0));
        json_object_object_add(cpu, "online_cpus", json_object_new_int(s->have ? (int) sysconf(_SC_NPROCESSORS_ONLN) : 0));
        json_object_object_add(thr, "periods", cc__u64(0));
        json_object_object_add(thr, "throttled_periods", cc__u64(0));
        json_object_object_add(thr, "throttled_time", cc__u64(0));
        json_object_object_add(cpu, "throttling_data", thr);
        return cpu;
}

static json_object *cc__time_json(const struct cc__sample *s)
{
        char buf[48] = "0001-01-01T00:00:00Z";
        if (s->have)
                cc_log_format_time(&s->at, buf, sizeof(buf));
        return json_object_new_string(buf);
}

static json_object *cc__blkio_entry(const char *op, uint64_t v)
{
        json_object *e = json_object_new_object();
        json_object_object_add(e, "major", cc__u64(0));
        json_object_object_add(e, "minor", cc__u64(0));
        json_object_object_add(e, "op", json_object_new_string(op));
        json_object_object_add(e, "value", cc__u64(v));
        return e;
}

/* docker's StatsJSON of a sample, with the one before as precpu. */
static json_object *cc__stats_json(const struct cc_api_ctr *c, const struct cc__sample *cur,
                                   const struct cc__sample *pre)
{
        const struct cc_usage *u = &cur->u;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "read", cc__time_json(cur));
        json_object_object_add(o, "preread", cc__time_json(pre));
        json_object *pids = json_object_new_object();
        json_object_object_add(pids, "current", cc__u64(cur->have ? u->cg.pids : 0));
        json_object_object_add(o, "pids_stats", pids);
        json_object *blk = json_object_new_object(), *bytes = json_object_new_array();
        if (cur->have) {
                json_object_array_add(bytes, cc__blkio_entry("Read", u->cg.blk_read));
                json_object_array_add(bytes, cc__blkio_entry("Write", u->cg.blk_write));
                json_object_array_add(bytes, cc__blkio_entry("Total", u->cg.blk_read + u->cg.blk_write));
        }
        json_object_object_add(blk, "io_service_bytes_recursive", bytes);
        json_object_object_add(o, "blkio_stats", blk);
        json_object_object_add(o, "num_procs", json_object_new_int(0));
        json_object_object_add(o, "storage_stats", json_object_new_object());
        json_object_object_add(o, "cpu_stats", cc__cpu_json(cur));
        json_object_object_add(o, "precpu_stats", cc__cpu_json(pre));
        json_object *mem = json_object_new_object();
        if (cur->have) {
                /* unlimited: the host's memory, as docker shows it */
                struct sysinfo si = {0};
                sysinfo(&si);
                uint64_t host = (uint64_t) si.totalram * si.mem_unit, limit = u->cg.mem_limit;
                if (host && limit > host)
                        limit = host;
                json_object_object_add(mem, "usage", cc__u64(u->cg.mem_usage));
                json_object_object_add(mem, "stats", json_object_new_object());
                json_object_object_add(mem, "limit", cc__u64(limit));
        }
        json_object_object_add(o, "memory_stats", mem);
        _cleanup_free_ char *slash = cc_xasprintf("/%s", c->ct->name);
        json_object_object_add(o, "name", json_object_new_string(slash));
        json_object_object_add(o, "id", json_object_new_string(c->ct->id));
        if (cur->have) {
                /* every interface but lo, summed (what ccompose stats reads) */
                json_object *nets = json_object_new_object(), *eth = json_object_new_object();
                static const char *const zero[] = {"rx_packets", "rx_errors", "rx_dropped",
                                                   "tx_packets", "tx_errors", "tx_dropped"};
                json_object_object_add(eth, "rx_bytes", cc__u64(u->net_rx));
                json_object_object_add(eth, "tx_bytes", cc__u64(u->net_tx));
                for (size_t i = 0; i < CC_ARRAY_SIZE(zero); i++)
                        json_object_object_add(eth, zero[i], cc__u64(0));
                json_object_object_add(nets, "eth0", eth);
                json_object_object_add(o, "networks", nets);
        }
        return o;
}

struct cc__stats {
        struct cc_api_task task;
        struct cc_api_req *req;
        uv_timer_t timer;
        char *project, *id;
        bool stream;
        struct cc__sample prev;
};

static void cc__stats_closed(uv_handle_t *h)
{
        struct cc__stats *s = h->data;
        struct cc_api_req *r = s->req;
        free(s->project);
        free(s->id);
        free(s);
        cc_api_done(r);
}

static void cc__stats_end(struct cc__stats *s)
{
        if (!uv_is_closing((uv_handle_t *) &s->timer))
                uv_close((uv_handle_t *) &s->timer, cc__stats_closed);
}

static void cc__stats_abort(struct cc_api_task *t)
{
        cc__stats_end((struct cc__stats *) t);
}

/* A sample a second: stream sends each; stream=false answers with the
 * second. The stream ends when the container is gone or stopped. */
static void cc__stats_tick(uv_timer_t *t)
{
        struct cc__stats *s = t->data;
        _cleanup_state_ struct cc_state *st = cc_api_state_load(s->req->api, s->project);
        struct cc_ctr_state *ct = st ? cc_state_find(st, s->id) : NULL;
        if (!ct || !cc_api_req_alive(s->req)) {
                cc__stats_end(s);
                return;
        }
        struct cc_api_ctr c = {.st = st, .ct = ct};
        struct cc__sample cur;
        cc__sample_take(&c, &cur);
        cc_api_stream_json(s->req, cc__stats_json(&c, &cur, &s->prev));
        s->prev = cur;
        if (!s->stream || !cur.have)
                cc__stats_end(s);
}

void cc_api_container_stats(struct cc_api_req *r, char **params)
{
        struct cc_api_ctrs cs;
        struct cc_api_ctr *c = cc_api_ctr_get(r, &cs, params[0]);
        if (!c) {
                cc_api_ctrs_free(&cs);
                return;
        }
        bool stream = cc_api_query_bool(r, "stream", true), one_shot = cc_api_query_bool(r, "one-shot", false);
        if (one_shot && stream) {
                cc_api_reply_error(r, 400, "cannot have stream=true and one-shot=true");
                cc_api_ctrs_free(&cs);
                return;
        }
        struct cc__sample first;
        cc__sample_take(c, &first);
        cc_api_stream_begin(r, 200, "application/json");
        if (one_shot || !first.have || r->head) {
                /* at once (a container that does not run: zeros) */
                struct cc__sample none = {0};
                cc_api_stream_json(r, cc__stats_json(c, &first, &none));
                cc_api_ctrs_free(&cs);
                return;
        }
        struct cc__stats *s = cc_xcalloc(1, sizeof(*s));
        s->req = r;
        s->task.abort = cc__stats_abort;
        s->project = cc_xstrdup(c->st->project);
        s->id = cc_xstrdup(c->ct->id);
        s->stream = stream;
        r->task = &s->task;
        uv_timer_init(r->api->loop, &s->timer);
        s->timer.data = s;
        if (stream) {
                /* the first message at once, without precpu */
                struct cc__sample none = {0};
                cc_api_stream_json(r, cc__stats_json(c, &first, &none));
        }
        s->prev = first;
        uv_timer_start(&s->timer, cc__stats_tick, 1000, 1000);
        cc_api_ctrs_free(&cs);
}

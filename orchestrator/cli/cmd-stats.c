/* ccompose stats: the resource usage of the project's containers, as
 * docker compose stats shows it (docker stats' table or JSON lines), from
 * each container's cgroup and network namespace (runtime/container/usage.c).
 * CPU % is the CPU time used between two samples over the time between
 * them (100% = one CPU busy), as docker computes it. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "cli.h"
#include "ps-format.h"
#include "state.h"
#include "usage.h"

#define CC_STATS_INTERVAL_MS 1000

struct stats_opts {
        bool all, no_stream, no_trunc, json;
        const char *service;
};

/* One container's two samples. */
struct stats_row {
        char *id, *name;
        pid_t pid;
        bool running;
        struct cc_usage prev, cur;
        long long prev_ms, cur_ms;
        bool have_prev, have_cur;
};

static void cc__stats_help(void)
{
        puts("Usage:  ccompose stats [OPTIONS] [SERVICE]\n\n"
             "Display a live stream of container(s) resource usage statistics\n\n"
             "Options:\n"
             "  -a, --all             Show all containers (default shows just running)\n"
             "      --format string   Format output: 'table' (default) or 'json'\n"
             "      --no-stream       Disable streaming stats and only pull the first result\n"
             "      --no-trunc        Do not truncate output");
}

static long long cc__stats_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cc__stats_sleep_ms(long long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) < 0)
                ;
}

static uint64_t cc__stats_host_memory(void)
{
        struct sysinfo si;
        if (sysinfo(&si) < 0)
                return 0;
        return (uint64_t) si.totalram * si.mem_unit;
}

/* Take a sample of every row; rows whose container is gone keep zeros. */
static void cc__stats_sample(const char *project, struct stats_row *rows, size_t n)
{
        struct cc_error err = {0};
        for (size_t i = 0; i < n; i++) {
                struct stats_row *r = &rows[i];
                r->prev = r->cur;
                r->prev_ms = r->cur_ms;
                r->have_prev = r->have_cur;
                r->cur_ms = cc__stats_now_ms();
                r->have_cur = false;
                if (!r->running)
                        continue;
                r->have_cur = cc_usage_read(project, r->id, r->pid, &r->cur, &err) == 0;
                cc_error_clear(&err);
        }
}

struct stats_cells {
        char *cpu, *mem_usage, *mem_perc, *net, *block, *pids;
};

static void cc__stats_cells(const struct stats_row *r, uint64_t host_mem, struct stats_cells *c)
{
        double cpu = 0, mem_perc = 0;
        uint64_t limit = 0;
        const struct cc_usage *u = &r->cur;
        bool live = r->running && r->have_cur;
        if (live) {
                if (r->have_prev && r->cur_ms > r->prev_ms && u->cg.cpu_ns >= r->prev.cg.cpu_ns)
                        cpu = (double) (u->cg.cpu_ns - r->prev.cg.cpu_ns) / 1e6 / (double) (r->cur_ms - r->prev_ms) *
                              100.0;
                limit = u->cg.mem_limit;
                if (host_mem && limit > host_mem)
                        limit = host_mem;
                if (limit)
                        mem_perc = (double) u->cg.mem_usage / (double) limit * 100.0;
        }
        c->cpu = cc_xasprintf("%.2f%%", cpu);
        _cleanup_free_ char *mu = cc_bytes_size(live ? (double) u->cg.mem_usage : 0);
        _cleanup_free_ char *ml = cc_bytes_size((double) limit);
        c->mem_usage = cc_xasprintf("%s / %s", mu, ml);
        c->mem_perc = cc_xasprintf("%.2f%%", mem_perc);
        _cleanup_free_ char *rx = cc_human_size(live ? (double) u->net_rx : 0);
        _cleanup_free_ char *tx = cc_human_size(live ? (double) u->net_tx : 0);
        c->net = cc_xasprintf("%s / %s", rx, tx);
        _cleanup_free_ char *br = cc_human_size(live ? (double) u->cg.blk_read : 0);
        _cleanup_free_ char *bw = cc_human_size(live ? (double) u->cg.blk_write : 0);
        c->block = cc_xasprintf("%s / %s", br, bw);
        c->pids = cc_xasprintf("%llu", live ? (unsigned long long) u->cg.pids : 0ULL);
}

static void cc__stats_cells_free(struct stats_cells *c)
{
        free(c->cpu);
        free(c->mem_usage);
        free(c->mem_perc);
        free(c->net);
        free(c->block);
        free(c->pids);
}

static void cc__stats_print(const struct stats_opts *o, const struct stats_row *rows, size_t n)
{
        static const char *const head[] = {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                                           "NET I/O", "BLOCK I/O", "PIDS"};
        uint64_t host_mem = cc__stats_host_memory();
        struct cc_strv cells = {0};
        if (!o->json)
                for (size_t c = 0; c < CC_ARRAY_SIZE(head); c++)
                        cc_strv_push(&cells, head[c]);
        for (size_t i = 0; i < n; i++) {
                const struct stats_row *r = &rows[i];
                struct stats_cells c;
                cc__stats_cells(r, host_mem, &c);
                _cleanup_free_ char *id = o->no_trunc ? cc_xstrdup(r->id) : cc_xstrndup(r->id, 12);
                if (o->json) {
                        json_object *j = json_object_new_object();
                        json_object_object_add(j, "BlockIO", json_object_new_string(c.block));
                        json_object_object_add(j, "CPUPerc", json_object_new_string(c.cpu));
                        json_object_object_add(j, "Container", json_object_new_string(id));
                        json_object_object_add(j, "ID", json_object_new_string(id));
                        json_object_object_add(j, "MemPerc", json_object_new_string(c.mem_perc));
                        json_object_object_add(j, "MemUsage", json_object_new_string(c.mem_usage));
                        json_object_object_add(j, "Name", json_object_new_string(r->name));
                        json_object_object_add(j, "NetIO", json_object_new_string(c.net));
                        json_object_object_add(j, "PIDs", json_object_new_string(c.pids));
                        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(j);
                } else {
                        cc_strv_push(&cells, id);
                        cc_strv_push(&cells, r->name);
                        cc_strv_push(&cells, c.cpu);
                        cc_strv_push(&cells, c.mem_usage);
                        cc_strv_push(&cells, c.mem_perc);
                        cc_strv_push(&cells, c.net);
                        cc_strv_push(&cells, c.block);
                        cc_strv_push(&cells, c.pids);
                }
                cc__stats_cells_free(&c);
        }
        if (!o->json)
                cc_cli_print_table(&cells, CC_ARRAY_SIZE(head));
        cc_strv_free(&cells);
        fflush(stdout);
}

static int cc__stats_row_cmp(const void *a, const void *b)
{
        return strcmp(((const struct stats_row *) a)->name, ((const struct stats_row *) b)->name);
}

/* The containers to show, from the state as it is now; rows of
 * containers seen before keep their last sample. */
static int cc__stats_rows(struct cc_cli *cli, const char *project, const struct stats_opts *o,
                          struct stats_row **rows, size_t *n)
{
        struct cc_error err = {0};
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_state_load(cli->runtime_dir, project, &st, &err) < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        struct stats_row *v = cc_xcalloc(st->n_ctrs + 1, sizeof(*v));
        size_t k = 0;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                bool running = (ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED) &&
                               cc_proc_alive(ct->pid, ct->pid_start);
                if ((o->service && strcmp(ct->service, o->service) != 0) || (!running && !o->all))
                        continue;
                struct stats_row *r = &v[k++];
                for (size_t j = 0; j < *n; j++)
                        if (strcmp((*rows)[j].id, ct->id) == 0) {
                                *r = (*rows)[j];
                                (*rows)[j].id = (*rows)[j].name = NULL;
                        }
                if (!r->id) {
                        r->id = cc_xstrdup(ct->id);
                        r->name = cc_xstrdup(ct->name);
                }
                r->running = running;
                r->pid = ct->pid;
        }
        for (size_t j = 0; j < *n; j++) {
                free((*rows)[j].id);
                free((*rows)[j].name);
        }
        free(*rows);
        qsort(v, k, sizeof(*v), cc__stats_row_cmp);
        *rows = v;
        *n = k;
        return 0;
}

int cc_cmd_stats(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_FORMAT = 1000, O_NO_STREAM, O_NO_TRUNC, O_DRY };
        static const struct option longopts[] = {
                {"all", no_argument, NULL, 'a'},          {"format", required_argument, NULL, O_FORMAT},
                {"no-stream", no_argument, NULL, O_NO_STREAM}, {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                {"dry-run", no_argument, NULL, O_DRY},    {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct stats_opts o = {0};
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "ah", longopts, NULL)) != -1) {
                switch (c) {
                case 'a': o.all = true; break;
                case O_FORMAT:
                        if (strcmp(optarg, "json") == 0) {
                                o.json = true;
                        } else if (strcmp(optarg, "table") != 0) {
                                fprintf(stderr, "invalid --format \"%s\": use table or json\n", optarg);
                                return 1;
                        }
                        break;
                case O_NO_STREAM: o.no_stream = true; break;
                case O_NO_TRUNC: o.no_trunc = true; break;
                case O_DRY: break;
                case 'h': cc__stats_help(); return 0;
                default: return 1;
                }
        }
        if (argc - optind > 1) {
                fputs("\"ccompose stats\" accepts at most 1 argument: [SERVICE]\n", stderr);
                return 1;
        }
        o.service = optind < argc ? argv[optind] : NULL;
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, argv + optind, argc - optind, &p, &st) != 0)
                return 1;
        struct stats_row *rows = NULL;
        size_t n = 0;
        bool tty = isatty(STDOUT_FILENO);
        int rc = cc__stats_rows(cli, p->name, &o, &rows, &n);
        if (rc == 0)
                cc__stats_sample(p->name, rows, n);
        while (rc == 0) {
                cc__stats_sleep_ms(CC_STATS_INTERVAL_MS);
                cc__stats_sample(p->name, rows, n);
                if (tty && !o.no_stream)
                        fputs("\033[2J\033[H", stdout);
                cc__stats_print(&o, rows, n);
                if (o.no_stream)
                        break;
                rc = cc__stats_rows(cli, p->name, &o, &rows, &n);
        }
        for (size_t i = 0; i < n; i++) {
                free(rows[i].id);
                free(rows[i].name);
        }
        free(rows);
        return rc;
}

/* ccompose logs: container output from the json-file logs, merged in time
 * order across containers, with the `web-1  | ` prefix; -f follows the
 * files (also across restarts: a restarted container keeps its file). */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "logfile.h"
#include "service-spec.h"
#include "state.h"
#include "supervisor.h"

struct cc_log_src {
        const struct cc_ctr_state *ctr;
        char *path;
        char *label;
        int color;
        long long offset;       /* follow: where the live file was read to */
        struct cc_log_list list;
};

struct cc_logs_opts {
        bool follow, timestamps, no_prefix, color;
        const void *last_src;   /* the source of the line being printed */
        bool midline;           /* it had no newline yet (a partial entry) */
        long long tail;         /* < 0: all */
        struct timespec since, until;
        bool has_since, has_until;
        int width;
};

static void cc__logs_help(void)
{
        puts("Usage:  ccompose logs [OPTIONS] [SERVICE...]\n\n"
             "View output from containers\n\n"
             "Options:\n"
             "  -f, --follow          Follow log output\n"
             "      --no-color        Produce monochrome output\n"
             "      --no-log-prefix   Don't print prefix in logs\n"
             "      --since string    Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)\n"
             "  -n, --tail string     Number of lines to show from the end of the logs for each container (default \"all\")\n"
             "  -t, --timestamps      Show timestamps\n"
             "      --until string    Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)");
}

static bool cc__in_window(const struct cc_logs_opts *o, const struct timespec *t)
{
        return cc_log_time_in(t, o->has_since ? &o->since : NULL, o->has_until ? &o->until : NULL);
}

struct cc_collect {
        struct cc_log_src *src;
        const struct cc_logs_opts *o;
};

static int cc__collect(const struct cc_log_entry *e, void *ud)
{
        struct cc_collect *c = ud;
        struct cc_log_src *s = c->src;
        if (!cc__in_window(c->o, &e->time))
                return 0;
        cc_log_list_add(&s->list, e);
        return 0;
}

/* Entries without a newline (lines over 16 KiB, split as Docker does, or
 * the last output of a container) continue on the same line. */
static void cc__print_entry(struct cc_buf *out, struct cc_logs_opts *o, const struct cc_log_src *s,
                            const struct cc_log_entry *e)
{
        static const int palette[] = {36, 33, 32, 35, 34, 96, 93, 92, 95, 94};
        if (o->midline && o->last_src != s) {
                cc_buf_putc(out, '\n');
                o->midline = false;
        }
        o->last_src = s;
        if (o->midline)
                goto text;
        if (!o->no_prefix) {
                if (o->color)
                        cc_buf_printf(out, "\033[%dm%-*s |\033[0m ", palette[s->color % 10], o->width, s->label);
                else
                        cc_buf_printf(out, "%-*s | ", o->width, s->label);
        }
        if (o->timestamps) {
                char tb[48];
                cc_log_format_time(&e->time, tb, sizeof(tb));
                cc_buf_printf(out, "%s ", tb);
        }
text:
        cc_buf_add(out, e->text, e->len);
        o->midline = e->len == 0 || e->text[e->len - 1] != '\n';
        if (out->len > (1 << 20)) {
                fwrite(out->s, 1, out->len, stdout);
                out->len = 0;
        }
}

static int cc__ts_cmp(const struct timespec *a, const struct timespec *b)
{
        if (a->tv_sec != b->tv_sec)
                return a->tv_sec < b->tv_sec ? -1 : 1;
        return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* Callback for follow: print at once. */
struct cc_live {
        struct cc_log_src *src;
        struct cc_logs_opts *o;
        struct cc_buf *out;
};

static int cc__live(const struct cc_log_entry *e, void *ud)
{
        struct cc_live *l = ud;
        if (cc__in_window(l->o, &e->time))
                cc__print_entry(l->out, l->o, l->src, e);
        return 0;
}

int cc_cmd_logs(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_SINCE = 1000, O_UNTIL, O_NOCOLOR, O_NOPREFIX, O_INDEX };
        static const struct option longopts[] = {
                {"follow", no_argument, NULL, 'f'},       {"timestamps", no_argument, NULL, 't'},
                {"tail", required_argument, NULL, 'n'},   {"since", required_argument, NULL, O_SINCE},
                {"until", required_argument, NULL, O_UNTIL}, {"no-color", no_argument, NULL, O_NOCOLOR},
                {"no-log-prefix", no_argument, NULL, O_NOPREFIX}, {"index", required_argument, NULL, O_INDEX},
                {"help", no_argument, NULL, 'h'},         {0},
        };
        struct cc_logs_opts o = {.tail = -1};
        bool no_color = false;
        int c, index = 0;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        optind = 0;
        while ((c = getopt_long(argc, argv, "ftn:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'f': o.follow = true; break;
                case 't': o.timestamps = true; break;
                case 'n':
                        if (strcmp(optarg, "all") == 0) {
                                o.tail = -1;
                        } else {
                                char *end;
                                o.tail = strtoll(optarg, &end, 10);
                                if (*end || o.tail < 0) {
                                        fprintf(stderr, "invalid --tail value \"%s\": a number or \"all\"\n", optarg);
                                        return 1;
                                }
                        }
                        break;
                case O_SINCE:
                case O_UNTIL: {
                        struct timespec *t = c == O_SINCE ? &o.since : &o.until;
                        if (cc_log_parse_time(optarg, &now, t) < 0) {
                                fprintf(stderr, "invalid %s value \"%s\": a timestamp (2013-01-02T13:23:37Z) or a "
                                                "duration (42m)\n",
                                        c == O_SINCE ? "--since" : "--until", optarg);
                                return 1;
                        }
                        if (c == O_SINCE)
                                o.has_since = true;
                        else
                                o.has_until = true;
                        break;
                }
                case O_NOCOLOR: no_color = true; break;
                case O_NOPREFIX: o.no_prefix = true; break;
                case O_INDEX: index = atoi(optarg); break;
                case 'h': cc__logs_help(); return 0;
                default: return 1;
                }
        }
        o.color = !no_color && cc_cli_color(cli, STDOUT_FILENO);
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, argv + optind, argc - optind, &p, &st) != 0)
                return 1;
        struct cc_error err = {0};
        struct cc_log_src *srcs = cc_xcalloc(st->n_ctrs + 1, sizeof(*srcs));
        size_t ns = 0;
        int rc = 0;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *ct = &st->ctrs[i];
                bool want = optind >= argc;
                for (int k = optind; k < argc; k++)
                        if (strcmp(argv[k], ct->service) == 0)
                                want = true;
                if (!want || (index > 0 && ct->number != index))
                        continue;
                if (cc_service_logs_none(cc_node_map_get(cc_project_services(p), ct->service))) {
                        fprintf(stderr, "Error response from daemon: configured logging driver does not support "
                                        "reading\n");
                        rc = 1;
                        continue;
                }
                struct cc_log_src *s = &srcs[ns++];
                s->ctr = ct;
                s->path = cc_xasprintf("%s/containers/%s/%s-json.log", cli->root, ct->id, ct->id);
                s->label = ct->one_off || !cc_startswith(ct->name, p->name) ? cc_xstrdup(ct->name)
                                                                            : cc_xasprintf("%s-%d", ct->service, ct->number);
                s->color = (int) i;
                if ((int) strlen(s->label) + 1 > o.width)
                        o.width = (int) strlen(s->label) + 1;
        }
        /* everything there is, per container, then merged by time */
        for (size_t i = 0; i < ns; i++) {
                struct cc_collect col = {&srcs[i], &o};
                if (cc_log_read(srcs[i].path, 10, cc__collect, &col, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                }
                struct stat stt;
                srcs[i].offset = stat(srcs[i].path, &stt) == 0 ? (long long) stt.st_size : 0;
        }
        size_t *pos = cc_xcalloc(ns + 1, sizeof(size_t));
        for (size_t i = 0; i < ns; i++)
                if (o.tail >= 0 && (long long) srcs[i].list.n > o.tail)
                        pos[i] = srcs[i].list.n - (size_t) o.tail;
        struct cc_buf out = {0};
        for (;;) {
                ssize_t best = -1;
                for (size_t i = 0; i < ns; i++)
                        if (pos[i] < srcs[i].list.n &&
                            (best < 0 || cc__ts_cmp(&srcs[i].list.v[pos[i]].time, &srcs[best].list.v[pos[best]].time) < 0))
                                best = (ssize_t) i;
                if (best < 0)
                        break;
                cc__print_entry(&out, &o, &srcs[best], &srcs[best].list.v[pos[best]]);
                pos[best]++;
        }
        if (o.midline && !o.follow) {
                cc_buf_putc(&out, '\n');
                o.midline = false;
        }
        fwrite(out.s ? out.s : "", 1, out.len, stdout);
        fflush(stdout);
        out.len = 0;

        /* -f: follow the live files until nothing of the selection can write
         * any more (no supervisor, or every container gone for good). */
        while (o.follow) {
                for (size_t i = 0; i < ns; i++) {
                        struct cc_live l = {&srcs[i], &o, &out};
                        struct stat stt;
                        if (stat(srcs[i].path, &stt) == 0 && (long long) stt.st_size < srcs[i].offset)
                                srcs[i].offset = 0; /* rotated */
                        cc_log_read_from(srcs[i].path, &srcs[i].offset, cc__live, &l, &err);
                        cc_error_clear(&err);
                }
                if (out.len) {
                        fwrite(out.s, 1, out.len, stdout);
                        fflush(stdout);
                        out.len = 0;
                }
                _cleanup_state_ struct cc_state *now_st = NULL;
                if (cc_state_load(cli->runtime_dir, p->name, &now_st, &err) < 0) {
                        cc_error_clear(&err);
                        break;
                }
                bool sup = cc_sup_alive(now_st), live = false;
                for (size_t i = 0; i < now_st->n_ctrs && !live; i++) {
                        enum cc_ctr_status cs = now_st->ctrs[i].status;
                        for (size_t k = 0; k < ns && !live; k++)
                                if (strcmp(srcs[k].ctr->id, now_st->ctrs[i].id) == 0)
                                        live = cs == CC_CTR_RUNNING || cs == CC_CTR_RESTARTING || cs == CC_CTR_PAUSED ||
                                               (cs == CC_CTR_CREATED && sup);
                }
                if (!live)
                        break;
                usleep(100000);
        }
        if (o.midline)
                fputc('\n', stdout);
        cc_buf_free(&out);
        for (size_t i = 0; i < ns; i++) {
                cc_log_list_free(&srcs[i].list);
                free(srcs[i].path);
                free(srcs[i].label);
        }
        free(srcs);
        free(pos);
        return rc;
}

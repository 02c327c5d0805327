/* Commands that only read what the supervisor records: events, ls, top,
 * wait. They work from the state and event files, with or without a
 * running supervisor. */
#include <dirent.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"
#include "supervisor.h"
#include "usage.h"

static bool cc__wanted(const char *service, char **names, int n)
{
        if (n <= 0)
                return true;
        for (int i = 0; i < n; i++)
                if (strcmp(names[i], service) == 0)
                        return true;
        return false;
}

/* ---- events ---- */

static void cc__print_event(const char *line, bool json, char **names, int n)
{
        json_object *o = json_tokener_parse(line);
        json_object *svc = NULL, *t = NULL, *a = NULL, *id = NULL, *attrs = NULL;
        if (!o || !json_object_object_get_ex(o, "service", &svc) ||
            !cc__wanted(json_object_get_string(svc), names, n)) {
                json_object_put(o);
                return;
        }
        if (json) {
                puts(line);
        } else {
                json_object_object_get_ex(o, "time", &t);
                json_object_object_get_ex(o, "action", &a);
                json_object_object_get_ex(o, "id", &id);
                json_object_object_get_ex(o, "attributes", &attrs);
                /* "2026-11-27 22:00:00.123456 container start <id> (image=..., name=...)" */
                char when[40] = "";
                const char *ts = json_object_get_string(t);
                if (ts && strlen(ts) >= 26) {
                        snprintf(when, sizeof(when), "%.10s %.15s", ts, ts + 11);
                }
                struct cc_buf b = {0};
                cc_buf_printf(&b, "%s container %s %s (", when, json_object_get_string(a), json_object_get_string(id));
                bool first = true;
                json_object_object_foreach(attrs, k, v)
                {
                        cc_buf_printf(&b, "%s%s=%s", first ? "" : ", ", k, json_object_get_string(v));
                        first = false;
                }
                cc_buf_puts(&b, ")");
                puts(b.s);
                cc_buf_free(&b);
        }
        fflush(stdout);
        json_object_put(o);
}

int cc_cmd_events(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0},
        };
        bool json = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                if (c == 'j')
                        json = true;
                else if (c == 'h') {
                        puts("Usage:  ccompose events [OPTIONS] [SERVICE...]\n\nReceive real time events from "
                             "containers\n\nOptions:\n      --json   Output events as a stream of json objects");
                        return 0;
                } else
                        return 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, NULL, 0, &p, &st) != 0)
                return 1;
        _cleanup_free_ char *path = cc_xasprintf("%s/%s/events.jsonl", cli->runtime_dir, p->name);
        /* like docker compose events: from now on, until interrupted */
        struct stat sb;
        long long off = stat(path, &sb) == 0 ? (long long) sb.st_size : 0;
        struct cc_buf pending = {0};
        for (;;) {
                FILE *f = fopen(path, "r");
                if (f) {
                        if (stat(path, &sb) == 0 && (long long) sb.st_size < off)
                                off = 0;
                        fseeko(f, off, SEEK_SET);
                        char buf[8192];
                        size_t n;
                        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
                                cc_buf_add(&pending, buf, n);
                                off += (long long) n;
                        }
                        fclose(f);
                        char *start = pending.s;
                        char *nl;
                        while (start && (nl = strchr(start, '\n'))) {
                                *nl = '\0';
                                cc__print_event(start, json, argv + optind, argc - optind);
                                start = nl + 1;
                        }
                        if (start && start != pending.s) {
                                size_t rest = pending.len - (size_t) (start - pending.s);
                                memmove(pending.s, start, rest + 1);
                                pending.len = rest;
                        }
                }
                usleep(100000);
        }
        cc_buf_free(&pending);
        return 0;
}

/* ---- ls ---- */

int cc_cmd_ls(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"all", no_argument, NULL, 'a'},      {"quiet", no_argument, NULL, 'q'},
                {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0},
        };
        bool all = false, quiet = false;
        const char *format = "table";
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "aqh", longopts, NULL)) != -1) {
                switch (c) {
                case 'a': all = true; break;
                case 'q': quiet = true; break;
                case 'f': format = optarg; break;
                case 'h':
                        puts("Usage:  ccompose ls [OPTIONS]\n\nList running compose projects\n\nOptions:\n"
                             "  -a, --all             Show all stopped Compose projects\n"
                             "      --format string   Format the output. Values: [table | json] (default \"table\")\n"
                             "  -q, --quiet           Only display project names");
                        return 0;
                default: return 1;
                }
        }
        struct cc_strv names = {0};
        cc_state_list_projects(cli->runtime_dir, &names);
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), (int (*)(const void *, const void *)) strcmp);
        struct cc_strv rows = {0};
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < names.n; i++) {
                struct cc_error err = {0};
                struct cc_state *st = NULL;
                if (cc_state_load(cli->runtime_dir, names.v[i], &st, &err) < 0) {
                        cc_error_clear(&err);
                        continue;
                }
                /* "running(2), exited(1)" as docker compose ls */
                int counts[CC_CTR_DEAD + 1] = {0};
                for (size_t k = 0; k < st->n_ctrs; k++)
                        counts[st->ctrs[k].status]++;
                struct cc_buf status = {0};
                for (int k = 0; k <= CC_CTR_DEAD; k++)
                        if (counts[k])
                                cc_buf_printf(&status, "%s%s(%d)", status.len ? ", " : "",
                                              cc_ctr_status_name((enum cc_ctr_status) k), counts[k]);
                bool running = counts[CC_CTR_RUNNING] + counts[CC_CTR_RESTARTING] + counts[CC_CTR_PAUSED] > 0;
                if ((running || all) && st->n_ctrs > 0) {
                        if (quiet) {
                                cc_strv_push(&rows, st->project);
                        } else if (strcmp(format, "json") == 0) {
                                json_object *o = json_object_new_object();
                                json_object_object_add(o, "Name", json_object_new_string(st->project));
                                json_object_object_add(o, "Status", json_object_new_string(status.s));
                                json_object_object_add(o, "ConfigFiles",
                                                       json_object_new_string(st->config_files ? st->config_files : ""));
                                json_object_array_add(arr, o);
                        } else {
                                cc_strv_push_owned(&rows, cc_xasprintf("%-*s   %-*s   %s", 20, st->project, 20, status.s,
                                                                       st->config_files ? st->config_files : ""));
                        }
                }
                cc_buf_free(&status);
                cc_state_free(st);
        }
        if (strcmp(format, "json") == 0 && !quiet)
                puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        else {
                if (!quiet)
                        printf("%-*s   %-*s   %s\n", 20, "NAME", 20, "STATUS", "CONFIG FILES");
                for (size_t i = 0; i < rows.n; i++)
                        puts(rows.v[i]);
        }
        json_object_put(arr);
        cc_strv_free(&rows);
        cc_strv_free(&names);
        return 0;
}

/* ---- top ---- */

static void cc__proc_line(pid_t pid, struct cc_buf *b)
{
        char path[64];
        _cleanup_free_ char *status = NULL, *cmdline = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (cc_read_file(path, &status, NULL) < 0)
                return;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (cc_read_file(path, &cmdline, &len) < 0)
                return;
        for (size_t i = 0; i + 1 < len; i++)
                if (cmdline[i] == '\0')
                        cmdline[i] = ' ';
        unsigned uid = 0;
        int ppid = 0;
        const char *u = strstr(status, "\nUid:");
        const char *pp = strstr(status, "\nPPid:");
        if (u)
                uid = (unsigned) strtoul(u + 5, NULL, 10);
        if (pp)
                ppid = atoi(pp + 6);
        cc_buf_printf(b, "%-8u %-8d %-8d %s\n", uid, (int) pid, ppid, len ? cmdline : "");
}

int cc_cmd_top(struct cc_cli *cli, int argc, char **argv)
{
        if (cc_cli_wants_help(argc, argv)) {
                puts("Usage:  ccompose top [SERVICES...]\n\nDisplay the running processes");
                return 0;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, NULL, 0, &p, &st) != 0)
                return 1;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if (!cc__wanted(ct->service, argv + 1, argc - 1) || ct->status != CC_CTR_RUNNING)
                        continue;
                /* every process of the container: its cgroup's members */
                _cleanup_free_ char *procs = NULL;
                cc_usage_procs(p->name, ct->id, &procs);
                struct cc_buf b = {0};
                cc_buf_printf(&b, "%s\n%-8s %-8s %-8s %s\n", ct->name, "UID", "PID", "PPID", "CMD");
                for (char *line = procs; line && *line;) {
                        char *nl = strchr(line, '\n');
                        cc__proc_line((pid_t) atoi(line), &b);
                        line = nl ? nl + 1 : NULL;
                }
                if (!procs)
                        cc__proc_line(ct->pid, &b);
                printf("%s\n", b.s);
                cc_buf_free(&b);
        }
        return 0;
}

/* ---- wait ---- */

int cc_cmd_wait(struct cc_cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"down-project", no_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'}, {0},
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                if (c == 'h') {
                        puts("Usage:  ccompose wait SERVICE [SERVICE...]\n\nBlock until containers of all (or "
                             "specified) services stop.");
                        return 0;
                }
                if (c != 'D')
                        return 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        if (cc_cli_load_project(cli, &p) != 0)
                return 1;
        for (int i = optind; i < argc; i++)
                if (!cc_node_map_get(cc_project_services(p), argv[i])) {
                        fprintf(stderr, "no such service: %s\n", argv[i]);
                        return 1;
                }
        /* the exit code of the first container that stops, as docker compose wait */
        struct cc_strv printed = {0};
        int rc = 0;
        for (;;) {
                struct cc_error err = {0};
                _cleanup_state_ struct cc_state *st = NULL;
                if (cc_state_load(cli->runtime_dir, p->name, &st, &err) < 0) {
                        fprintf(stderr, "%s\n", cc_error_msg(&err));
                        cc_error_clear(&err);
                        rc = 1;
                        break;
                }
                bool waiting = false;
                for (size_t i = 0; i < st->n_ctrs; i++) {
                        struct cc_ctr_state *ct = &st->ctrs[i];
                        if (ct->one_off || !cc__wanted(ct->service, argv + optind, argc - optind))
                                continue;
                        if (ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_RESTARTING ||
                            ct->status == CC_CTR_PAUSED || ct->status == CC_CTR_CREATED) {
                                waiting = true;
                        } else if (!cc_strv_contains(&printed, ct->id)) {
                                cc_strv_push(&printed, ct->id);
                                printf("%d\n", ct->exit_code);
                                fflush(stdout);
                                if (printed.n == 1)
                                        rc = ct->exit_code;
                        }
                }
                if (!waiting)
                        break;
                usleep(100000);
        }
        cc_strv_free(&printed);
        return rc;
}

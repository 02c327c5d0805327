/* ccompose ps: the project's containers from its state file, in docker
 * compose's table or JSON. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "ps-format.h"
#include "state.h"
#include "supervisor.h"

static void cc__ps_help(void)
{
        puts("Usage:  ccompose ps [OPTIONS] [SERVICE...]\n\n"
             "List containers\n\n"
             "Options:\n"
             "  -a, --all             Show all stopped containers (including those created by the run command)\n"
             "      --format string   Format output using a custom template: 'table' (default) or 'json'\n"
             "  -q, --quiet           Only display IDs\n"
             "      --services        Display services\n"
             "      --status strings  Filter services by status. Values: [paused | restarting | removing | "
             "running | dead | created | exited]");
}

/* go-units HumanDuration, as docker prints "Up 5 minutes". */
char *cc_human_duration(long long secs)
{
        if (secs < 1)
                return cc_xstrdup("Less than a second");
        if (secs == 1)
                return cc_xstrdup("1 second");
        if (secs < 60)
                return cc_xasprintf("%lld seconds", secs);
        long long mins = secs / 60;
        if (mins == 1)
                return cc_xstrdup("About a minute");
        if (mins < 60)
                return cc_xasprintf("%lld minutes", mins);
        long long hours = secs / 3600;
        if (hours == 1)
                return cc_xstrdup("About an hour");
        if (hours < 48)
                return cc_xasprintf("%lld hours", hours);
        if (hours < 24 * 14)
                return cc_xasprintf("%lld days", hours / 24);
        if (hours < 24 * 60)
                return cc_xasprintf("%lld weeks", hours / 24 / 7);
        if (hours < 24 * 365 * 2)
                return cc_xasprintf("%lld months", hours / 24 / 30);
        return cc_xasprintf("%lld years", hours / 24 / 365);
}

char *cc_ctr_status_text(const struct cc_ctr_state *c, long long now)
{
        _cleanup_free_ char *up = cc_human_duration(now - c->started_at);
        _cleanup_free_ char *ago = cc_human_duration(now - c->finished_at);
        switch (c->status) {
        case CC_CTR_RUNNING:
                if (c->health && strcmp(c->health, "starting") == 0)
                        return cc_xasprintf("Up %s (health: starting)", up);
                if (c->health)
                        return cc_xasprintf("Up %s (%s)", up, c->health);
                return cc_xasprintf("Up %s", up);
        case CC_CTR_PAUSED:
                return cc_xasprintf("Up %s (Paused)", up);
        case CC_CTR_RESTARTING:
                return cc_xasprintf("Restarting (%d) %s ago", c->exit_code, ago);
        case CC_CTR_EXITED:
                return cc_xasprintf("Exited (%d) %s ago", c->exit_code, ago);
        case CC_CTR_CREATED:
                return cc_xstrdup("Created");
        case CC_CTR_DEAD:
                return cc_xstrdup("Dead");
        }
        return cc_xstrdup("");
}

/* "docker-entrypoint.s…" : the command quoted and cut at 20 characters. */
static char *cc__short_command(const char *cmd)
{
        if (!cmd)
                return cc_xstrdup("\"\"");
        size_t n = strlen(cmd);
        if (n <= 20)
                return cc_xasprintf("\"%s\"", cmd);
        return cc_xasprintf("\"%.19s…\"", cmd);
}

json_object *cc_ports_publishers(const char *ports)
{
        json_object *a = json_object_new_array();
        for (const char *next = ports; next && *next;) {
                const char *end = strchrnul(next, ',');
                _cleanup_free_ char *one = cc_xstrndup(next, (size_t) (end - next));
                next = *end ? end + 1 : end;
                const char *e = one;
                while (*e == ' ')
                        e++;
                const char *arrow = strstr(e, "->"), *slash = strrchr(e, '/');
                if (!arrow || !slash || slash < arrow)
                        continue;
                const char *colon = arrow;
                while (colon > e && *colon != ':')
                        colon--;
                if (*colon != ':')
                        continue;
                const char *h = e, *he = colon;
                if (*h == '[' && he > h && he[-1] == ']') {
                        h++;
                        he--;
                }
                json_object *o = json_object_new_object();
                json_object_object_add(o, "URL", json_object_new_string_len(h, (int) (he - h)));
                json_object_object_add(o, "TargetPort", json_object_new_int(atoi(arrow + 2)));
                json_object_object_add(o, "PublishedPort", json_object_new_int(atoi(colon + 1)));
                json_object_object_add(o, "Protocol", json_object_new_string(slash + 1));
                json_object_array_add(a, o);
        }
        return a;
}

static bool cc__selected(const struct cc_ctr_state *c, char **services, int n)
{
        if (n == 0)
                return true;
        for (int i = 0; i < n; i++)
                if (strcmp(services[i], c->service) == 0)
                        return true;
        return false;
}

static int cc__cmp_ctr(const void *a, const void *b)
{
        const struct cc_ctr_state *x = *(const struct cc_ctr_state *const *) a;
        const struct cc_ctr_state *y = *(const struct cc_ctr_state *const *) b;
        return strcmp(x->name, y->name);
}

int cc_cmd_ps(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_SERVICES = 1000, O_STATUS, O_FORMAT, O_FILTER };
        static const struct option longopts[] = {
                {"all", no_argument, NULL, 'a'},         {"quiet", no_argument, NULL, 'q'},
                {"services", no_argument, NULL, O_SERVICES}, {"status", required_argument, NULL, O_STATUS},
                {"format", required_argument, NULL, O_FORMAT}, {"filter", required_argument, NULL, O_FILTER},
                {"help", no_argument, NULL, 'h'},        {0},
        };
        bool all = false, quiet = false, services = false;
        const char *format = "table";
        struct cc_strv statuses = {0};
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "aqh", longopts, NULL)) != -1) {
                switch (c) {
                case 'a': all = true; break;
                case 'q': quiet = true; break;
                case O_SERVICES: services = true; break;
                case O_STATUS: cc_strv_push(&statuses, optarg); break;
                case O_FILTER:
                        if (cc_startswith(optarg, "status="))
                                cc_strv_push(&statuses, optarg + 7);
                        break;
                case O_FORMAT: format = optarg; break;
                case 'h': cc__ps_help(); return 0;
                default: return 1;
                }
        }
        for (size_t i = 0; i < statuses.n; i++) {
                enum cc_ctr_status st;
                if (cc_ctr_status_parse(statuses.v[i], &st) < 0) {
                        fprintf(stderr, "invalid status \"%s\": use paused, restarting, running, dead, created or exited\n",
                                statuses.v[i]);
                        cc_strv_free(&statuses);
                        return 1;
                }
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, argv + optind, argc - optind, &p, &st) != 0) {
                cc_strv_free(&statuses);
                return 1;
        }
        cc_state_refresh(cli->runtime_dir, st);
        struct cc_ctr_state **list = cc_xcalloc(st->n_ctrs + 1, sizeof(*list));
        size_t n = 0;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                struct cc_ctr_state *ct = &st->ctrs[i];
                if (!cc__selected(ct, argv + optind, argc - optind))
                        continue;
                if (statuses.n ? !cc_strv_contains(&statuses, cc_ctr_status_name(ct->status))
                               : (!all && ct->status != CC_CTR_RUNNING && ct->status != CC_CTR_PAUSED &&
                                  ct->status != CC_CTR_RESTARTING))
                        continue;
                if (!all && !statuses.n && ct->one_off && ct->status != CC_CTR_RUNNING)
                        continue;
                list[n++] = ct;
        }
        qsort(list, n, sizeof(*list), cc__cmp_ctr);
        long long now = (long long) time(NULL);
        if (services) {
                struct cc_strv seen = {0};
                for (size_t i = 0; i < n; i++)
                        if (!cc_strv_contains(&seen, list[i]->service)) {
                                cc_strv_push(&seen, list[i]->service);
                                puts(list[i]->service);
                        }
                cc_strv_free(&seen);
        } else if (quiet) {
                for (size_t i = 0; i < n; i++)
                        puts(list[i]->id);
        } else if (strcmp(format, "json") == 0) {
                for (size_t i = 0; i < n; i++) {
                        struct cc_ctr_state *ct = list[i];
                        json_object *o = json_object_new_object();
                        _cleanup_free_ char *status = cc_ctr_status_text(ct, now);
                        _cleanup_free_ char *cmd = cc_xasprintf("\"%s\"", ct->command ? ct->command : "");
                        json_object_object_add(o, "Command", json_object_new_string(cmd));
                        json_object_object_add(o, "CreatedAt", json_object_new_int64(ct->created));
                        json_object_object_add(o, "Created", json_object_new_int64(ct->created));
                        json_object_object_add(o, "ExitCode", json_object_new_int(ct->exit_code));
                        json_object_object_add(o, "Health", json_object_new_string(ct->health ? ct->health : ""));
                        json_object_object_add(o, "ID", json_object_new_string(ct->id));
                        json_object_object_add(o, "Image", json_object_new_string(ct->image ? ct->image : ""));
                        json_object_object_add(o, "Name", json_object_new_string(ct->name));
                        json_object_object_add(o, "Names", json_object_new_string(ct->name));
                        json_object_object_add(o, "Project", json_object_new_string(p->name));
                        bool up = ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED;
                        json_object_object_add(o, "Publishers", cc_ports_publishers(up ? ct->ports : NULL));
                        json_object_object_add(o, "Service", json_object_new_string(ct->service));
                        json_object_object_add(o, "State", json_object_new_string(cc_ctr_status_name(ct->status)));
                        json_object_object_add(o, "Status", json_object_new_string(status));
                        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(o);
                }
        } else {
                struct cc_strv cells = {0};
                static const char *const head[] = {"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"};
                for (size_t k = 0; k < CC_ARRAY_SIZE(head); k++)
                        cc_strv_push(&cells, head[k]);
                for (size_t i = 0; i < n; i++) {
                        struct cc_ctr_state *ct = list[i];
                        _cleanup_free_ char *created = cc_human_duration(now - ct->created);
                        cc_strv_push(&cells, ct->name);
                        cc_strv_push(&cells, ct->image ? ct->image : "");
                        cc_strv_push_owned(&cells, cc__short_command(ct->command));
                        cc_strv_push(&cells, ct->service);
                        cc_strv_push_owned(&cells, cc_xasprintf("%s ago", created));
                        cc_strv_push_owned(&cells, cc_ctr_status_text(ct, now));
                        /* as docker: only a running (or paused) container has ports;
                         * the supervisor holds a stopped one's, refusing */
                        bool up = ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED;
                        cc_strv_push(&cells, up && ct->ports ? ct->ports : "");
                }
                cc_cli_print_table(&cells, CC_ARRAY_SIZE(head));
                cc_strv_free(&cells);
        }
        free(list);
        cc_strv_free(&statuses);
        return 0;
}

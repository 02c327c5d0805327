/* Stopping: containers level by level (dependents first), each level at
 * once; down's removal of every container. See sup-internal.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sup-internal.h"

static long long cc__grace_ms(const struct cc_sup_ctr *c, long long timeout_ms)
{
        if (timeout_ms >= 0)
                return timeout_ms;
        const char *g = cc_node_map_str(c->svc->def, "stop_grace_period");
        long long ns;
        return g && cc_parse_duration(g, &ns) == 0 ? ns / 1000000 : 10000;
}

/* The output FIFOs of every container, as pollfds at the start of pfds:
 * a stop's wait keeps the loop from them, and each line is stamped when
 * it is read. Returns how many; ctr and idx say whose each is. */
static size_t cc__outs_collect(struct cc_sup *s, struct pollfd **pfds, struct cc_sup_ctr ***ctr, int **idx,
                               size_t extra)
{
        size_t no = 0;
        for (size_t k = 0; k < s->n_svcs; k++)
                no += 2 * s->svcs[k].n_ctrs;
        *pfds = cc_xcalloc(no + extra, sizeof(**pfds));
        *ctr = cc_xcalloc(no + 1, sizeof(**ctr));
        *idx = cc_xcalloc(no + 1, sizeof(**idx));
        size_t m = 0;
        for (size_t k = 0; k < s->n_svcs; k++)
                for (size_t j = 0; j < s->svcs[k].n_ctrs; j++)
                        for (int i = 0; i < 2; i++) {
                                struct cc_sup_ctr *c = s->svcs[k].ctrs[j];
                                int fd = cc_sup_output_fd(c, i);
                                if (fd < 0)
                                        continue;
                                (*pfds)[m] = (struct pollfd){.fd = fd, .events = POLLIN};
                                (*ctr)[m] = c;
                                (*idx)[m++] = i;
                        }
        return m;
}

/* Read the FIFOs poll found ready; one at its end is polled no more (a
 * negative fd). */
static void cc__outs_read(struct pollfd *pfds, size_t no, struct cc_sup_ctr **ctr, const int *idx)
{
        for (size_t i = 0; i < no; i++)
                if (pfds[i].fd >= 0 && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                    !cc_sup_output_drain(ctr[i], idx[i]))
                        pfds[i].fd = -1;
}

/* Wait until every container of list has exited; whoever outlives its
 * deadline is killed. A second Ctrl-C while we wait kills at once: SIGINT
 * is taken through a signalfd here, the loop being busy. Meanwhile the
 * containers' output is read, as the loop would. */
static void cc__wait_stopped(struct cc_sup *s, struct cc_sup_ctr **list, size_t n, long long *deadline)
{
        sigset_t intr, oldmask;
        sigemptyset(&intr);
        sigaddset(&intr, SIGINT);
        sigprocmask(SIG_BLOCK, &intr, &oldmask);
        int sfd = signalfd(-1, &intr, SFD_NONBLOCK | SFD_CLOEXEC);
        struct pollfd *pfds;
        struct cc_sup_ctr **octr;
        int *oidx;
        size_t no = cc__outs_collect(s, &pfds, &octr, &oidx, n + 2);
        for (;;) {
                size_t m = no;
                long long next = -1;
                uint64_t now = cc_sup_now_ms();
                for (size_t i = 0; i < n; i++) {
                        struct cc_sup_ctr *c = list[i];
                        if (!c->c)
                                continue;
                        if (poll(&(struct pollfd){.fd = cc_container_pidfd(c->c), .events = POLLIN}, 1, 0) > 0)
                                continue;
                        if ((long long) now >= deadline[i]) {
                                if (!c->killed)
                                        cc_sup_event_kill(s, cc_sup_ctr_state(c), SIGKILL);
                                cc_sup_kill_all(c);
                                continue;
                        }
                        pfds[m++] = (struct pollfd){.fd = cc_container_pidfd(c->c), .events = POLLIN};
                        if (next < 0 || deadline[i] - (long long) now < next)
                                next = deadline[i] - (long long) now;
                }
                if (m == no)
                        break;
                if (sfd >= 0)
                        pfds[m] = (struct pollfd){.fd = sfd, .events = POLLIN};
                if (poll(pfds, m + (sfd >= 0), (int) next) < 0 && errno != EINTR)
                        break;
                cc__outs_read(pfds, no, octr, oidx);
                struct signalfd_siginfo si;
                if (sfd >= 0 && (pfds[m].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
                        s->sigints++;
                        for (size_t i = 0; i < n; i++)
                                deadline[i] = 0;
                }
        }
        free(pfds);
        free(octr);
        free(oidx);
        if (sfd >= 0)
                close(sfd);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
}

/* Stop the given containers all at once: signal every one, then wait for
 * them together until their grace periods end, then kill what is left.
 * Blocking: this is shutdown (or a stop the control request waits for). */
void cc_sup_stop_ctrs(struct cc_sup *s, struct cc_sup_ctr **list, size_t n, long long timeout_ms)
{
        struct cc_error err = {0};
        for (size_t i = 0; i < n; i++) {
                struct cc_sup_ctr *c = list[i];
                struct cc_ctr_state *st = cc_sup_ctr_state(c);
                if (c->restart_timer_on || uv_is_active((uv_handle_t *) &c->restart_timer))
                        uv_timer_stop(&c->restart_timer);
                if (!c->c)
                        continue;
                cc_sup_progress(s, " Container %s  Stopping", st->name);
                /* pre_stop, within the grace period; not after a second Ctrl-C */
                _cleanup_free_ char *why = NULL;
                if (s->sigints < 2 && cc_sup_hooks_run(c, "pre_stop", cc__grace_ms(c, timeout_ms), &why) != 0)
                        cc_sup_progress(s, "%s", why);
                st = cc_sup_ctr_state(c);
                const char *sig = cc_node_map_str(c->svc->def, "stop_signal");
                int signo = sig ? cc_signal_from_name(sig) : SIGTERM;
                signo = signo > 0 ? signo : SIGTERM;
                if (cc_container_kill(c->c, signo, &err) < 0)
                        cc_error_clear(&err);
                cc_sup_event_kill(s, st, signo);
        }
        long long *deadline = cc_xcalloc(n + 1, sizeof(long long));
        uint64_t start = cc_sup_now_ms();
        /* after a second Ctrl-C every level is killed at once */
        for (size_t i = 0; i < n; i++)
                deadline[i] = s->sigints > 1 ? 0 : (long long) start + cc__grace_ms(list[i], timeout_ms);
        cc__wait_stopped(s, list, n, deadline);
        free(deadline);
        for (size_t i = 0; i < n; i++) {
                struct cc_sup_ctr *c = list[i];
                if (!c->c)
                        continue;
                int code = 255;
                if (c->adopted)
                        code = cc_sup_adopted_exit_code(c);
                else if (cc_container_wait(c->c, &code, &err) < 0)
                        cc_error_clear(&err);
                cc_sup_exited(c, code);
                cc_sup_progress(s, " Container %s  Stopped", cc_sup_ctr_state(c)->name);
        }
}

/* Stop the given containers level by level, as docker compose does:
 * dependents before what they depend on (the start waves, last first), and
 * all the containers of a level at once. A service the graph does not know
 * (no longer in the model) goes with the first level. */
void cc_sup_stop_levels(struct cc_sup *s, struct cc_sup_ctr **list, size_t n, long long timeout_ms)
{
        const struct cc_graph *g = &s->project->graph;
        struct cc_sup_ctr **level = cc_xcalloc(n + 1, sizeof(*level));
        for (size_t w = g->n_waves + 1; w-- > 0;) {
                size_t m = 0;
                for (size_t i = 0; i < n; i++) {
                        ssize_t k = cc_graph_index(g, list[i]->svc->name);
                        size_t wave = k >= 0 ? g->wave[k] : g->n_waves;
                        if (wave == w)
                                level[m++] = list[i];
                }
                if (m > 0)
                        cc_sup_stop_ctrs(s, level, m, timeout_ms);
        }
        free(level);
}

/* Stop everything (and with remove, remove the containers too). */
void cc_sup_stop_all(struct cc_sup *s, bool remove)
{
        size_t n = 0;
        for (size_t i = 0; i < s->n_svcs; i++)
                n += s->svcs[i].n_ctrs;
        struct cc_sup_ctr **list = cc_xcalloc(n + 1, sizeof(*list));
        n = 0;
        s->stopping = true;
        for (size_t i = 0; i < s->n_svcs; i++)
                for (size_t j = 0; j < s->svcs[i].n_ctrs; j++) {
                        s->svcs[i].ctrs[j]->removing = remove;
                        list[n++] = s->svcs[i].ctrs[j];
                }
        cc_sup_stop_levels(s, list, n, s->opts.stop_timeout_ms);
        free(list);
}

/* down: every container of the project goes, also those of services no
 * longer in the model and stopped one-off containers. */
void cc_sup_remove_all(struct cc_sup *s)
{
        bool saved = false;
        while (s->state->n_ctrs > 0) {
                _cleanup_free_ char *id = cc_xstrdup(s->state->ctrs[0].id);
                _cleanup_free_ char *name = cc_xstrdup(s->state->ctrs[0].name);
                cc_sup_remove_ctr(s, id, name);
                /* as it happens: a supervisor killed meanwhile leaves a
                 * state that lists only what is still there */
                cc_sup_save(s);
                saved = true;
        }
        if (!saved)
                cc_sup_save(s);
}


/* ccompose-init: the static PID 1 of `init: true` containers.
 *
 *   ccompose-init -e /resolved/path -- argv0 [args...]
 *   ccompose-init -- cmd [args...]          (looked up in PATH)
 *   ccompose-init --reap FD [SOCK]          (a project's keeper)
 *
 * Spawns the command in its own process group (the terminal's foreground
 * group when there is one), forwards every signal it receives to it,
 * reaps every zombie that is reparented to it, and exits with the
 * command's status (128 + signal when it was killed), like tini.
 *
 * With --reap it is the keeper of a detached supervisor: its parent, and
 * the subreaper of the supervisor's containers (PR_SET_CHILD_SUBREAPER,
 * set before the supervisor was forked; it survives execve). When the
 * supervisor dies without stopping them (kill -9), they become its
 * children; it records each child's exit as a line "PID START CODE" on FD
 * (the project's exits file, opened for appending), before it reaps it,
 * and exits when it has no child left.
 *
 * With SOCK (a SOCK_SEQPACKET socket to the supervisor) it also holds the
 * pty masters of tty: true containers the supervisor sends (SCM_RIGHTS),
 * answering each with the descriptor number it keeps it at: a supervisor
 * killed with -9 takes its copies along, and the containers' terminals
 * would hang up (SIGHUP); the next supervisor takes them from here
 * (pidfd_getfd). A master is closed once its terminal has no other side
 * left (POLLHUP: the container is gone). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Synchronous signals are the init's own faults, never forwarded. */
static const int sync_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};

static void usage(void)
{
        fputs("usage: ccompose-init [-e PATH] -- COMMAND [ARG...]\n", stderr);
        exit(2);
}

static void __attribute__((noreturn)) run_child(const char *path, char **argv, const sigset_t *orig)
{
        /* Its own process group, in the foreground of the terminal if any
         * (tcsetpgrp from a background group raises SIGTTOU: ignored here). */
        signal(SIGTTOU, SIG_IGN);
        setpgid(0, 0);
        if (isatty(STDIN_FILENO))
                tcsetpgrp(STDIN_FILENO, getpgrp());
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        }
        sigprocmask(SIG_SETMASK, orig, NULL);
        if (path)
                execv(path, argv);
        else
                execvp(argv[0], argv);
        int e = errno;
        fprintf(stderr, "ccompose-init: exec %s: %s\n", path ? path : argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
}

static int status_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
}

/* A zombie's start time (field 22 of /proc/PID/stat), 0 when unknown. */
static unsigned long long start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
        return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Record and reap the children that exited; hang: wait for one. 0 when
 * none is left, 1 on an error, -1 when none exited (not hang). */
static int reap_some(int fd, bool hang)
{
        for (;;) {
                siginfo_t si;
                memset(&si, 0, sizeof(si));
                /* look first (the zombie stays, so its start time can be
                 * read), record, then reap */
                if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | (hang ? 0 : WNOHANG)) < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == ECHILD ? 0 : 1;
                }
                if (si.si_pid == 0)
                        return -1;
                int code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
                if (fd >= 0) {
                        char line[96];
                        int len = snprintf(line, sizeof(line), "%d %llu %d\n", (int) si.si_pid,
                                           start_time(si.si_pid), code);
                        if (write(fd, line, (size_t) len) < 0) {
                                /* the project's state is gone (down) */
                        }
                }
                while (waitpid(si.si_pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
}

#define MAX_PTYS 1000

/* A master from the supervisor: kept, and its number sent back. */
static void take_pty(int sock, struct pollfd *pf, int *n)
{
        char byte;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (r <= 0) {
                if (r == 0 || (errno != EINTR && errno != EAGAIN))
                        pf[0].fd = -1; /* the supervisor is gone: keep what we hold */
                return;
        }
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        int fd = -1;
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        if (fd >= 0 && (*n >= MAX_PTYS || !isatty(fd))) {
                close(fd);
                fd = -1;
        }
        if (fd >= 0)
                pf[(*n)++] = (struct pollfd){.fd = fd, .events = 0}; /* POLLHUP is always reported */
        if (send(sock, &fd, sizeof(fd), MSG_NOSIGNAL) < 0) {
                /* the supervisor asks no more */
        }
}

static int reap(int fd, int sock)
{
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (sock < 0)
                return reap_some(fd, true);
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return reap_some(fd, true);
        /* pf[0]: the supervisor's socket, pf[1]: SIGCHLD, then the masters */
        static struct pollfd pf[2 + MAX_PTYS];
        int n = 0;
        pf[0] = (struct pollfd){.fd = sock, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
        for (;;) {
                int r = reap_some(fd, false);
                if (r >= 0)
                        return r;
                if (poll(pf, (nfds_t) (2 + n), -1) < 0 && errno != EINTR)
                        return 1;
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof(si)) > 0)
                        ;
                if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
                        take_pty(sock, pf + 2, &n);
                for (int k = 0; k < n; k++) {
                        if (!(pf[2 + k].revents & (POLLHUP | POLLERR | POLLNVAL)))
                                continue;
                        close(pf[2 + k].fd);
                        pf[2 + k] = pf[2 + n - 1];
                        n--;
                        k--;
                }
        }
}

int main(int argc, char **argv)
{
        const char *path = NULL;
        int i = 1;
        if ((argc == 3 || argc == 4) && strcmp(argv[1], "--reap") == 0)
                return reap(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : -1);
        for (; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
                        path = argv[++i];
                else
                        usage();
        }
        if (i >= argc)
                usage();
        if (path && !*path)
                path = NULL;

        sigset_t all, orig, wait_set;
        sigfillset(&all);
        for (size_t k = 0; k < sizeof(sync_signals) / sizeof(sync_signals[0]); k++)
                sigdelset(&all, sync_signals[k]);
        sigprocmask(SIG_SETMASK, &all, &orig);
        wait_set = all;

        pid_t child = fork();
        if (child < 0) {
                perror("ccompose-init: fork");
                return 125;
        }
        if (child == 0)
                run_child(path, argv + i, &orig);

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&wait_set, &si);
                if (sig < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("ccompose-init: sigwaitinfo");
                        return 125;
                }
                if (sig != SIGCHLD) {
                        kill(child, sig);
                        continue;
                }
                /* Reap everything that has exited: the command and any
                 * orphan reparented to PID 1. */
                for (;;) {
                        int status;
                        pid_t pid = waitpid(-1, &status, WNOHANG);
                        if (pid <= 0)
                                break;
                        if (pid == child)
                                return status_code(status);
                }
        }
}

/* ccompose-init: the static PID 1 of `init: true` containers.
 *
 *   ccompose-init -e /resolved/path -- argv0 [args...]
 *   ccompose-init -- cmd [args...]          (looked up in PATH)
 *   ccompose-init --reap FD                 (a project's keeper)
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
 * and exits when it has no child left. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

static int reap(int fd)
{
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        for (;;) {
                siginfo_t si;
                memset(&si, 0, sizeof(si));
                /* look first (the zombie stays, so its start time can be
                 * read), record, then reap */
                if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == ECHILD ? 0 : 1;
                }
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

int main(int argc, char **argv)
{
        const char *path = NULL;
        int i = 1;
        if (argc == 3 && strcmp(argv[1], "--reap") == 0)
                return reap(atoi(argv[2]));
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

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

struct tap_test {
        const char *name;
        tap_fn fn;
};

static struct tap_test tap_tests[2048];
static int tap_n;

void tap_register(const char *name, tap_fn fn)
{
        if (tap_n < (int) (sizeof(tap_tests) / sizeof(tap_tests[0])))
                tap_tests[tap_n++] = (struct tap_test){name, fn};
}

void tap_fail(const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        fprintf(stdout, "# %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        fflush(stdout);
        exit(1);
}

/* A skipped test exits with this status after writing its reason to the
 * runner's pipe; the runner prints "ok N - name # SKIP reason". */
#define TAP_SKIP_STATUS 77
static int tap_skip_fd = -1;

void tap_skip(const char *fmt, ...)
{
        char reason[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (n > 0 && tap_skip_fd >= 0 && write(tap_skip_fd, reason, strnlen(reason, sizeof(reason) - 1)) < 0)
                n = 0;
        fflush(stdout);
        exit(TAP_SKIP_STATUS);
}

/* Every test's scratch directories live under one root the runner makes
 * and removes after the last test, also when a test failed or crashed
 * before its own clean-up. */
static char tap_root[] = "/tmp/ccompose-unit-XXXXXX";

char *tap_tmpdir(const char *prefix)
{
        size_t len = strlen(tap_root) + strlen(prefix) + 9;
        char *dir = malloc(len);
        if (!dir)
                tap_fail(__FILE__, __LINE__, "out of memory");
        snprintf(dir, len, "%s/%s-XXXXXX", tap_root, prefix);
        if (!mkdtemp(dir))
                tap_fail(__FILE__, __LINE__, "mkdtemp %s: %s", dir, strerror(errno));
        return dir;
}

static int tap_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0)
                printf("# leaving %s: %s\n", path, strerror(errno));
        return 0;
}

int tap_main(int argc, char **argv)
{
        const char *only = argc > 1 ? argv[1] : NULL;
        int failed = 0, n = 0;

        if (!mkdtemp(tap_root)) {
                perror("mkdtemp");
                return 1;
        }

        for (int i = 0; i < tap_n; i++)
                if (!only || strcmp(only, tap_tests[i].name) == 0)
                        n++;
        printf("1..%d\n", n);
        fflush(stdout);
        int k = 0;
        for (int i = 0; i < tap_n; i++) {
                if (only && strcmp(only, tap_tests[i].name) != 0)
                        continue;
                k++;
                int skip_pipe[2];
                if (pipe2(skip_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
                        perror("pipe");
                        return 1;
                }
                pid_t pid = fork();
                if (pid < 0) {
                        perror("fork");
                        return 1;
                }
                if (pid == 0) {
                        close(skip_pipe[0]);
                        tap_skip_fd = skip_pipe[1];
                        alarm(60);
                        tap_tests[i].fn();
                        fflush(stdout);
                        exit(0);
                }
                close(skip_pipe[1]);
                int st = 0;
                while (waitpid(pid, &st, 0) < 0)
                        ;
                /* after the test's end: a process it left may hold the pipe */
                char reason[512] = "";
                ssize_t len = read(skip_pipe[0], reason, sizeof(reason) - 1);
                close(skip_pipe[0]);
                reason[len > 0 ? len : 0] = '\0';
                if (WIFEXITED(st) && WEXITSTATUS(st) == TAP_SKIP_STATUS) {
                        printf("ok %d - %s # SKIP %s\n", k, tap_tests[i].name, reason);
                        fflush(stdout);
                        continue;
                }
                bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
                if (!ok && WIFSIGNALED(st))
                        printf("# killed by signal %d\n", WTERMSIG(st));
                printf("%s %d - %s\n", ok ? "ok" : "not ok", k, tap_tests[i].name);
                fflush(stdout);
                if (!ok)
                        failed++;
        }
        /* FTW_MOUNT: a mount a test left stays, and so does the root */
        nftw(tap_root, tap_remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
        return tap_main(argc, argv);
}

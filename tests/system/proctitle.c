/* proctitle TITLE: write TITLE over the memory of argv and environ, as
 * redis and nginx do to set their process title (setproctitle), then wait
 * for SIGTERM. Afterwards /proc/PID/environ no longer holds the
 * environment the process started with. Built statically by the test
 * that uses it (test-exec-env.sh). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void on_term(int sig)
{
        (void) sig;
        _exit(0);
}

int main(int argc, char **argv)
{
        signal(SIGTERM, on_term);
        char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
        for (char **e = environ; *e; e++)
                if (*e + strlen(*e) > end)
                        end = *e + strlen(*e);
        char title[256] = "proctitle"; /* argv[1] lives in the memory cleared below */
        if (argc > 1)
                strncpy(title, argv[1], sizeof(title) - 1);
        memset(start, 0, (size_t) (end - start));
        strncpy(start, title, (size_t) (end - start));
        for (;;)
                pause();
}

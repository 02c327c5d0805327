/* Project state files: names that are paths, directories other users can
 * write to and symlinks are refused. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "tap.h"

static char *tmpdir(void)
{
        return tap_tmpdir("state");
}

TEST(project_names)
{
        static const char *const good[] = {"web", "a", "0", "my-app_2", "x--y"};
        static const char *const bad[] = {"", "..", ".", "../x", "a/b", "-x", "_x", "Web", "a b", "a\nb", "/abs"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(good); i++)
                ASSERT(cc_state_name_valid(good[i]));
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
                ASSERT(!cc_state_name_valid(bad[i]));
        ASSERT(!cc_state_name_valid(NULL));
        struct cc_error err = {0};
        struct cc_state *st = NULL;
        _cleanup_free_ char *dir = tmpdir();
        ASSERT(cc_state_load(dir, "../x", &st, &err) == -EINVAL);
        ASSERT_STREQ(cc_error_msg(&err), "invalid project name \"../x\": must contain only lowercase letters, digits, "
                                         "dashes and underscores, and start with a letter or digit");
        cc_error_clear(&err);
        ASSERT(cc_state_lock(dir, "..", false, &err) < 0);
        cc_error_clear(&err);
        _cleanup_free_ char *lock = cc_xasprintf("%s/../lock", dir);
        ASSERT(access(lock, F_OK) != 0);
}

TEST(writable_dirs_refused)
{
        _cleanup_free_ char *dir = tmpdir();
        struct cc_error err = {0};
        ASSERT(chmod(dir, 0777) == 0);
        ASSERT(cc_state_dir_ensure(dir, "p", &err) == -EPERM);
        ASSERT(strstr(cc_error_msg(&err), "is writable by other users"));
        cc_error_clear(&err);
        _cleanup_free_ char *pdir = cc_xasprintf("%s/p", dir);
        ASSERT(access(pdir, F_OK) != 0); /* not created in a dir others can write to */
        ASSERT(chmod(dir, 0755) == 0);
        ASSERT(cc_state_dir_ensure(dir, "p", &err) == 0);
        ASSERT(chmod(pdir, 0702) == 0);
        ASSERT(cc_state_dir_ensure(dir, "p", &err) == -EPERM);
        cc_error_clear(&err);
        ASSERT(chmod(pdir, 0700) == 0);
        ASSERT(cc_state_dir_ensure(dir, "p", &err) == 0);
}

TEST(no_symlinks_followed)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *target = cc_xasprintf("%s/target", dir);
        _cleanup_free_ char *pdir = cc_xasprintf("%s/p", dir);
        ASSERT(cc_write_file_atomic(target, "x", 1, 0600) == 0);
        ASSERT(mkdir(pdir, 0700) == 0);
        static const char *const files[] = {"events.jsonl", "supervisor.log", "lock"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *l = cc_xasprintf("%s/%s", pdir, files[i]);
                ASSERT(symlink(target, l) == 0);
                struct cc_error err = {0};
                int fd = cc_state_open(dir, "p", files[i], O_WRONLY | O_CREAT | O_APPEND, &err);
                ASSERT(fd == -ELOOP);
                cc_error_clear(&err);
        }
        struct cc_error err = {0};
        ASSERT(cc_state_lock(dir, "p", false, &err) == -ELOOP);
        cc_error_clear(&err);
        /* state.json's temporary file */
        _cleanup_free_ char *tmp = cc_xasprintf("%s/state.json.tmp.%d", pdir, (int) getpid());
        ASSERT(symlink(target, tmp) == 0);
        struct cc_state st = {.project = (char *) "p"};
        ASSERT(cc_state_save(dir, &st, &err) == 0);
        _cleanup_free_ char *data = NULL;
        ASSERT(cc_read_file(target, &data, NULL) == 0);
        ASSERT_STREQ(data, "x");
        ASSERT(access(tmp, F_OK) != 0);
}

TEST(atomic_write_never_follows_its_temporary_name)
{
        _cleanup_free_ char *dir = tap_tmpdir("atomic");
        _cleanup_free_ char *victim = cc_xasprintf("%s/victim", dir);
        _cleanup_free_ char *path = cc_xasprintf("%s/network.json", dir);
        _cleanup_free_ char *tmp = cc_xasprintf("%s.tmp.%d", path, (int) getpid());
        ASSERT_INTEQ(cc_write_file_atomic(victim, "user data", 9, 0600), 0);
        /* someone put a link where the temporary file will be */
        ASSERT_INTEQ(symlink(victim, tmp), 0);
        ASSERT_INTEQ(cc_write_file_atomic(path, "{}", 2, 0600), 0);
        _cleanup_free_ char *got = NULL, *kept = NULL;
        size_t n = 0;
        ASSERT_INTEQ(cc_read_file(path, &got, &n), 0);
        ASSERT_STREQ(got, "{}");
        ASSERT_INTEQ(cc_read_file(victim, &kept, &n), 0);
        ASSERT_STREQ(kept, "user data");
        struct stat st;
        ASSERT(lstat(tmp, &st) < 0 && errno == ENOENT);
        unlink(victim);
        unlink(path);
        rmdir(dir);
}

/* The host's event log: lines appended whole; past its bound it moves to
 * events.jsonl.1 (one older generation) and a new one begins; a link in
 * its place is not written through. */
TEST(event_log_rotates)
{
        _cleanup_free_ char *dir = tap_tmpdir("events");
        _cleanup_free_ char *log = cc_xasprintf("%s/%s", dir, CC_STATE_EVENT_LOG);
        _cleanup_free_ char *old = cc_xasprintf("%s.1", log);
        char line[1024];
        memset(line, 'x', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\0';
        size_t n = CC_STATE_EVENT_LOG_MAX / sizeof(line) + 1;
        for (size_t i = 0; i < n; i++)
                cc_state_event_log(dir, line);
        struct stat st;
        ASSERT(stat(log, &st) == 0 && st.st_size == (off_t) (n * sizeof(line)));
        ASSERT(stat(old, &st) < 0);
        cc_state_event_log(dir, "{\"last\":1}");
        ASSERT(stat(old, &st) == 0 && st.st_size == (off_t) (n * sizeof(line)));
        _cleanup_free_ char *now = NULL;
        ASSERT_INTEQ(cc_read_file(log, &now, NULL), 0);
        ASSERT_STREQ(now, "{\"last\":1}\n");
        unlink(log);
        _cleanup_free_ char *victim = cc_xasprintf("%s/victim", dir);
        ASSERT_INTEQ(cc_write_file_atomic(victim, "v", 1, 0600), 0);
        ASSERT_INTEQ(symlink(victim, log), 0);
        cc_state_event_log(dir, "{}");
        _cleanup_free_ char *kept = NULL;
        ASSERT_INTEQ(cc_read_file(victim, &kept, NULL), 0);
        ASSERT_STREQ(kept, "v");
        unlink(log);
        unlink(old);
        unlink(victim);
        rmdir(dir);
}

/* Container logs: the json-file writer and reader. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "logfile.h"
#include "tap.h"

static char *tmpfile_path(void)
{
        _cleanup_free_ char *dir = tap_tmpdir("log");
        return cc_path_join(dir, "c-json.log");
}

static const struct timespec T0 = {1795814400, 123456789}; /* 2026-11-27T21:20:00.123456789Z */

struct collect {
        struct cc_buf all;
        int n, n_err;
};

static void collect_free(struct collect *c)
{
        cc_buf_free(&c->all);
}
#define _cleanup_collect_ __attribute__((cleanup(collect_free)))

static int collect_fn(const struct cc_log_entry *e, void *u)
{
        struct collect *c = u;
        c->n++;
        if (e->stream == CC_LOG_STDERR)
                c->n_err++;
        cc_buf_add(&c->all, e->text, e->len);
        return 0;
}

static struct collect read_all(const char *path, int files)
{
        struct collect c = {0};
        struct cc_error err = {0};
        if (cc_log_read(path, files, collect_fn, &c, &err) < 0)
                tap_fail(__FILE__, __LINE__, "read: %s", cc_error_msg(&err));
        if (!c.all.s)
                c.all.s = cc_xstrdup("");
        return c;
}

static struct cc_logw *open_w(const char *path, long long max, int files)
{
        struct cc_logw *w = NULL;
        struct cc_error err = {0};
        if (cc_logw_open(path, max, files, &w, &err) < 0)
                tap_fail(__FILE__, __LINE__, "open: %s", cc_error_msg(&err));
        return w;
}

TEST(writes_docker_json_file_format)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, "hello\n", 6, &T0);
        cc_logw_close(w);
        _cleanup_free_ char *data = NULL;
        ASSERT_INTEQ(cc_read_file(p, &data, NULL), 0);
        ASSERT_STREQ(data, "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T21:20:00.123456789Z\"}\n");
}

TEST(lines_split_across_reads_are_joined)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, "hel", 3, &T0);
        cc_logw_feed(w, CC_LOG_STDOUT, "lo\nwor", 6, &T0);
        cc_logw_feed(w, CC_LOG_STDOUT, "ld\n", 3, &T0);
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 2);
        ASSERT_STREQ(c.all.s, "hello\nworld\n");
}

TEST(streams_keep_their_own_partial_lines)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, "out-", 4, &T0);
        cc_logw_feed(w, CC_LOG_STDERR, "err-line\n", 9, &T0);
        cc_logw_feed(w, CC_LOG_STDOUT, "line\n", 5, &T0);
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 2);
        ASSERT_INTEQ(c.n_err, 1);
        ASSERT_STREQ(c.all.s, "err-line\nout-line\n");
}

TEST(partial_line_flushed_at_eof_without_newline)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, "no newline", 10, &T0);
        cc_logw_flush_partial(w, CC_LOG_STDOUT, &T0);
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 1);
        ASSERT_STREQ(c.all.s, "no newline");
}

TEST(long_lines_split_at_16k_and_rejoin)
{
        _cleanup_free_ char *p = tmpfile_path();
        size_t n = 40000;
        _cleanup_free_ char *big = cc_xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = (char) ('a' + i % 26);
        big[n - 1] = '\n';
        big[n] = '\0';
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, big, n, &T0);
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 3);
        ASSERT_INTEQ(c.all.len, n);
        ASSERT(memcmp(c.all.s, big, n) == 0);
}

TEST(binary_and_control_bytes_round_trip)
{
        _cleanup_free_ char *p = tmpfile_path();
        char bin[256];
        for (int i = 0; i < 256; i++)
                bin[i] = (char) (i == '\n' ? 'x' : i);
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, bin, sizeof(bin), &T0);
        cc_logw_feed(w, CC_LOG_STDOUT, "\n", 1, &T0);
        cc_logw_feed(w, CC_LOG_STDOUT, "caf\xc3\xa9 \"q\" \\ tab\t\n", 17, &T0);
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 2);
        ASSERT_INTEQ(c.all.len, 257 + 17);
        ASSERT(memcmp(c.all.s, bin, 256) == 0);
        ASSERT(memcmp(c.all.s + 257, "caf\xc3\xa9 \"q\" \\ tab\t\n", 17) == 0);
}

TEST(rotation_keeps_max_files_and_order)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 1000, 3);
        char line[64];
        for (int i = 0; i < 200; i++) {
                int n = snprintf(line, sizeof(line), "line %03d\n", i);
                cc_logw_feed(w, CC_LOG_STDOUT, line, (size_t) n, &T0);
                cc_logw_flush(w);
        }
        cc_logw_close(w);
        struct stat st;
        ASSERT_INTEQ(stat(p, &st), 0);
        ASSERT(st.st_size <= 1000);
        _cleanup_free_ char *p1 = cc_xasprintf("%s.1", p), *p2 = cc_xasprintf("%s.2", p), *p3 = cc_xasprintf("%s.3", p);
        ASSERT_INTEQ(stat(p1, &st), 0);
        ASSERT(st.st_size <= 1000);
        ASSERT_INTEQ(stat(p2, &st), 0);
        ASSERT(stat(p3, &st) < 0);
        _cleanup_collect_ struct collect c = read_all(p, 3);
        /* the newest lines survive, in order, ending with the last one */
        ASSERT(c.n > 10 && c.n < 200);
        ASSERT(cc_endswith(c.all.s, "line 198\nline 199\n"));
        int prev = -1;
        for (char *s = c.all.s; *s; s = strchr(s, '\n') + 1) {
                int v = atoi(s + 5);
                ASSERT_INTEQ(v, prev + 1 == 0 ? v : prev + 1);
                prev = v;
        }
}

TEST(timestamps_parse_back)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        struct timespec t1 = {T0.tv_sec + 5, 7};
        cc_logw_feed(w, CC_LOG_STDOUT, "a\n", 2, &t1);
        cc_logw_close(w);
        struct timespec got = {0};
        struct cc_error err = {0};
        long long off = 0;
        struct collect c0 = {0};
        ASSERT_INTEQ(cc_log_read_from(p, &off, collect_fn, &c0, &err), 0);
        collect_free(&c0);
        char buf[48];
        cc_log_format_time(&t1, buf, sizeof(buf));
        ASSERT_STREQ(buf, "2026-11-27T21:20:05.000000007Z");
        ASSERT_INTEQ(cc_log_parse_time(buf, &T0, &got), 0);
        ASSERT_INTEQ(got.tv_sec, t1.tv_sec);
        ASSERT_INTEQ(got.tv_nsec, 7);
        ASSERT(off > 0);
}

TEST(parse_time_relative_and_offsets)
{
        struct timespec now = {1000000, 0}, t;
        ASSERT_INTEQ(cc_log_parse_time("10m", &now, &t), 0);
        ASSERT_INTEQ(t.tv_sec, 1000000 - 600);
        ASSERT_INTEQ(cc_log_parse_time("1h30m", &now, &t), 0);
        ASSERT_INTEQ(t.tv_sec, 1000000 - 5400);
        ASSERT_INTEQ(cc_log_parse_time("2026-11-27T22:20:00+01:00", &now, &t), 0);
        ASSERT_INTEQ(t.tv_sec, 1795814400);
        ASSERT_INTEQ(cc_log_parse_time("1795814400", &now, &t), 0);
        ASSERT_INTEQ(t.tv_sec, 1795814400);
        ASSERT(cc_log_parse_time("yesterday", &now, &t) < 0);
}

TEST(read_from_offset_follows_appends)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        cc_logw_feed(w, CC_LOG_STDOUT, "one\n", 4, &T0);
        cc_logw_flush(w);
        long long off = 0;
        _cleanup_collect_ struct collect c = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_log_read_from(p, &off, collect_fn, &c, &err), 0);
        ASSERT_INTEQ(c.n, 1);
        cc_logw_feed(w, CC_LOG_STDERR, "two\n", 4, &T0);
        cc_logw_close(w);
        ASSERT_INTEQ(cc_log_read_from(p, &off, collect_fn, &c, &err), 0);
        ASSERT_INTEQ(c.n, 2);
        ASSERT_STREQ(c.all.s, "one\ntwo\n");
}

TEST(foreign_json_lines_are_read_with_json_c)
{
        _cleanup_free_ char *p = tmpfile_path();
        const char *doc = "{\"time\":\"2026-01-01T00:00:00Z\",\"stream\":\"stderr\",\"log\":\"x\\u00e9\\n\"}\n";
        ASSERT_INTEQ(cc_write_file_atomic(p, doc, strlen(doc), 0644), 0);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 1);
        ASSERT_INTEQ(c.n_err, 1);
        ASSERT_STREQ(c.all.s, "x\xc3\xa9\n");
}

TEST(many_small_lines_none_lost)
{
        _cleanup_free_ char *p = tmpfile_path();
        struct cc_logw *w = open_w(p, 0, 1);
        struct cc_buf chunk __attribute__((cleanup(cc_buf_free))) = {0};
        for (int i = 0; i < 100000; i++)
                cc_buf_printf(&chunk, "%063d\n", i);
        for (size_t off = 0; off < chunk.len; off += 65536) {
                size_t n = chunk.len - off < 65536 ? chunk.len - off : 65536;
                cc_logw_feed(w, CC_LOG_STDOUT, chunk.s + off, n, &T0);
        }
        cc_logw_close(w);
        _cleanup_collect_ struct collect c = read_all(p, 1);
        ASSERT_INTEQ(c.n, 100000);
        ASSERT_INTEQ(c.all.len, chunk.len);
        ASSERT(memcmp(c.all.s, chunk.s, chunk.len) == 0);
}

static long rss_kb(void)
{
        _cleanup_free_ char *s = NULL;
        if (cc_read_file("/proc/self/status", &s, NULL) < 0)
                return -1;
        const char *p = strstr(s, "VmRSS:");
        return p ? atol(p + 6) : -1;
}

/* A log that cannot be written (/dev/full: every write is ENOSPC) drops
 * what it is fed and counts it; its memory does not grow with the input. */
TEST(logw_full_disk_drops_bounded)
{
        struct cc_logw *w = NULL;
        struct cc_error err = {0};
        ASSERT(cc_logw_open("/dev/full", 0, 1, &w, &err) == 0);
        static char chunk[65536];
        for (size_t i = 0; i < sizeof(chunk); i++)
                chunk[i] = i % 101 == 100 ? '\n' : 'a' + (char) (i % 26);
        static char longline[65536];
        memset(longline, 'x', sizeof(longline));
        long before = rss_kb();
        unsigned long long fed = 0;
        for (int i = 0; i < 1600; i++) { /* 100 MiB, lines and a 100 KiB+ line without end */
                const char *d = i % 4 == 3 ? longline : chunk;
                cc_logw_feed(w, i % 2 ? CC_LOG_STDERR : CC_LOG_STDOUT, d, sizeof(chunk), &T0);
                cc_logw_flush(w);
                fed += sizeof(chunk);
        }
        long after = rss_kb();
        ASSERT(before > 0 && after > 0);
        if (after - before > 16 * 1024)
                tap_fail(__FILE__, __LINE__, "VmRSS grew by %ld kB for %llu bytes fed", after - before, fed);
        unsigned long long bytes = 0;
        int error = 0;
        struct timespec now = T0;
        ASSERT(cc_logw_drop_report(w, &now, false, &bytes, &error));
        ASSERT(error == ENOSPC);
        ASSERT(bytes >= fed); /* json-encoded: more than what was fed */
        /* nothing new to report; then a final report of the last partial line */
        ASSERT(!cc_logw_drop_report(w, &now, false, &bytes, &error));
        cc_logw_flush_partial(w, CC_LOG_STDERR, &now);
        cc_logw_flush(w);
        now.tv_sec += 1;
        ASSERT(!cc_logw_drop_report(w, &now, false, &bytes, &error)); /* at most once per 10 s */
        ASSERT(cc_logw_drop_report(w, &now, true, &bytes, &error) && bytes > 0);
        cc_logw_close(w);
}

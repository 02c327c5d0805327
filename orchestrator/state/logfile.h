/* Container logs in Docker's json-file format: one JSON object per line,
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-27T21:30:00.123456789Z"}
 * rotated by size (logging.options max-size / max-file). The writer is fed
 * raw bytes as they are read from a container's stdout/stderr; complete
 * lines are written at once, partial lines are kept until their newline
 * (or written as they are when longer than 16 KiB, as Docker does). */
#ifndef CC_LOGFILE_H
#define CC_LOGFILE_H

#include <time.h>

#include "cc-error.h"

enum cc_log_stream {
        CC_LOG_STDOUT = 1,
        CC_LOG_STDERR = 2,
};

struct cc_logw;

/* max_size: bytes before rotation (0 = never); max_files: files kept in all
 * (>= 1; path, path.1, ... path.<max_files-1>). */
int cc_logw_open(const char *path, long long max_size, int max_files, struct cc_logw **out, struct cc_error *err);
/* Feed bytes of one stream read at time ts. */
int cc_logw_feed(struct cc_logw *w, enum cc_log_stream stream, const char *data, size_t n, const struct timespec *ts);
/* Write out a pending partial line of the stream (on EOF of the stream). */
int cc_logw_flush_partial(struct cc_logw *w, enum cc_log_stream stream, const struct timespec *ts);
/* Push buffered entries to the file. Output that cannot be written (a full
 * disk) is dropped and counted, never kept: the writer's memory stays
 * bounded (CC_LOG_MAX_LINE per stream plus one flush's worth). */
int cc_logw_flush(struct cc_logw *w);
/* Output dropped since the last report: true (with *bytes and the errno of
 * the last failed write in *error) when there is some to report now: at
 * most once per 10 s while writes keep failing, at once when they work
 * again, and whenever final is set (the log is being closed). */
bool cc_logw_drop_report(struct cc_logw *w, const struct timespec *now, bool final, unsigned long long *bytes,
                         int *error);
void cc_logw_close(struct cc_logw *w);

struct cc_log_entry {
        enum cc_log_stream stream;
        struct timespec time;
        const char *text; /* the "log" value, decoded; not NUL-terminated */
        size_t len;       /* includes the trailing newline when the line had one */
};

/* Call fn for every entry of a log file and its rotated predecessors,
 * oldest first. fn returns < 0 to stop. Returns 0, or fn's/read's error. */
typedef int (*cc_log_fn)(const struct cc_log_entry *e, void *userdata);
int cc_log_read(const char *path, int max_files, cc_log_fn fn, void *userdata, struct cc_error *err);

/* Read entries of one file starting at byte *offset, calling fn for each
 * complete line; *offset advances past what was consumed (for follow). */
int cc_log_read_from(const char *path, long long *offset, cc_log_fn fn, void *userdata, struct cc_error *err);

/* Entries kept in memory, their texts copied (for tails and merges). */
struct cc_log_list {
        struct cc_log_entry *v;
        size_t n, cap;
};
void cc_log_list_add(struct cc_log_list *l, const struct cc_log_entry *e);
void cc_log_list_free(struct cc_log_list *l);
/* Is t within since and until (each NULL: open)? */
bool cc_log_time_in(const struct timespec *t, const struct timespec *since, const struct timespec *until);

/* RFC 3339 with nanoseconds in UTC ("2026-11-27T21:30:00.123456789Z"). buf >= 40 bytes. */
void cc_log_format_time(const struct timespec *ts, char *buf, size_t size);
/* Parse RFC 3339 (with optional fraction, Z or +hh:mm) or a relative
 * duration ("10m", "1h30m" = that long ago) or a Unix timestamp. */
int cc_log_parse_time(const char *s, const struct timespec *now, struct timespec *out);

#endif

/* ccompose watch: the rules of develop.watch and the pure part of the
 * watcher (which changed paths a rule takes, how a burst of events
 * becomes one batch); cmd-watch.c watches the files and acts. */
#ifndef CC_WATCH_H
#define CC_WATCH_H

#include <stdbool.h>

#include "cc-util.h"

/* A .dockerignore-style pattern list: fnmatch patterns with '/' matched
 * only by '/', "**" any number of directories, a pattern matching a
 * directory matching everything below it, "!pattern" taking a path back
 * in; the last matching pattern decides. rel is relative ("a/b.txt"). */
bool cc_watch_patterns_match(const struct cc_strv *patterns, const char *rel);

/* Editors' temporary and backup files and version-control directories,
 * which docker compose ignores whatever the rule says: vim's ".x.swp",
 * ".x.swx", "x~", "4913"; emacs's ".#x" and "#x#"; JetBrains'
 * "x___jb_tmp___", "x___jb_old___"; anything under ".git". */
bool cc_watch_builtin_ignored(const char *rel);

/* Whether a rule takes the change of rel (relative to the rule's path;
 * "" for the path itself): not built-in ignored, not matched by ignore,
 * and matched by include when include has patterns. */
bool cc_watch_rule_takes(const struct cc_strv *ignore, const struct cc_strv *include, const char *rel);

/* The changes of one quiet period. */
struct cc_watch_batch {
        struct cc_strv paths;
        struct cc_strv born; /* created (or moved in) during the period */
};
/* born: the event created path (IN_CREATE, IN_MOVED_TO). */
void cc_watch_batch_add(struct cc_watch_batch *b, const char *path, bool born);
/* Sort the paths, drop repeats, and drop the paths born during the
 * period that no longer exist (exists(path) false): an editor's temporary
 * file renamed over the real one, a file made and removed again, is no
 * change. Returns the number of paths left. */
size_t cc_watch_batch_settle(struct cc_watch_batch *b, bool (*exists)(const char *path));
void cc_watch_batch_clear(struct cc_watch_batch *b);

/* When a batch is acted on. An isolated change (a saved file: a few
 * events microseconds apart) is acted on after a short quiet period;
 * once the batch is a burst (more than CC_WATCH_BURST_EVENTS events, a
 * checkout writing many files) the quiet period is longer, so that a
 * writer descheduled for a moment on a busy machine does not split its
 * burst; so is it while a file of the batch is still open for writing
 * (an editor's fsync between its write and its close: acting then would
 * sync the file before it is complete, or the gap of a rename-away save);
 * and a stream of events that never pauses is acted on at the latest
 * CC_WATCH_MAX_WAIT_MS after its first event. docker compose waits 500 ms
 * after every event. */
#define CC_WATCH_QUIET_MS 15
#define CC_WATCH_BURST_EVENTS 32
#define CC_WATCH_BURST_QUIET_MS 200
#define CC_WATCH_MAX_WAIT_MS 2000

/* The time (same clock as the arguments) at which the batch whose first
 * event came at first_ms, its last at last_ms, n_events in all, is due;
 * writing: a file of it is open for writing. */
long long cc_watch_batch_due(long long first_ms, long long last_ms, size_t n_events, bool writing);

/* The files open for writing: path is added when it was created or
 * written (opened), taken out when it was closed after writing, deleted
 * or moved away (closed). */
void cc_watch_writing_update(struct cc_strv *writing, const char *path, bool opened, bool closed);

/* The entries of a watched directory as the watch last saw them (a scan,
 * then its events): a sorted set of names, so that the rescan that
 * follows lost events (IN_Q_OVERFLOW) finds what was deleted meanwhile. */
void cc_watch_names_sort(struct cc_strv *names);
void cc_watch_names_add(struct cc_strv *names, const char *name);
void cc_watch_names_remove(struct cc_strv *names, const char *name);
/* The names of old that now lacks (both sorted), pushed to gone. */
void cc_watch_names_gone(const struct cc_strv *old, const struct cc_strv *now, struct cc_strv *gone);

#endif

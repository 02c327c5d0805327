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

/* The quiet period: a batch is acted on once no event came for this
 * long. docker compose waits 500 ms; ccompose 100 ms, which still takes a
 * checkout's burst of writes (microseconds apart) as one batch and puts a
 * saved file in the container well under a second. */
#define CC_WATCH_QUIET_MS 100

#endif

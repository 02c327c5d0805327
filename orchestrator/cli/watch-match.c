/* The pure part of ccompose watch: ignore/include patterns, editors'
 * temporary files, batches of changed paths (watch.h). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

/* "**" matches any number of path components (none included). */
static bool cc__glob(const char *pat, const char *path)
{
        const char *dstar = strstr(pat, "**");
        if (!dstar)
                return fnmatch(pat, path, FNM_PATHNAME) == 0;
        size_t head = (size_t) (dstar - pat);
        const char *tail = dstar + 2;
        if (*tail == '/')
                tail++;
        _cleanup_free_ char *h = cc_xstrndup(pat, head);
        size_t hl = strlen(h);
        /* the head must match a prefix of whole components */
        for (const char *p = path;; p++) {
                if (p == path || p[-1] == '/') {
                        size_t pl = (size_t) (p - path);
                        _cleanup_free_ char *pre = cc_xstrndup(path, pl);
                        bool head_ok = hl == 0 ? pl == 0 : fnmatch(h, pre, FNM_PATHNAME) == 0;
                        if (head_ok) {
                                /* the tail matches some suffix starting at a component */
                                for (const char *q = p;; q++) {
                                        if ((q == p || q[-1] == '/') && (!*tail || cc__glob(tail, q)))
                                                return true;
                                        if (!*q)
                                                break;
                                }
                        }
                }
                if (!*p)
                        return false;
        }
}

/* The pattern matches rel or one of the directories above it. */
static bool cc__pattern_match(const char *pat, const char *rel)
{
        while (pat[0] == '.' && pat[1] == '/')
                pat += 2;
        while (*pat == '/')
                pat++;
        _cleanup_free_ char *p = cc_xstrdup(pat);
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        if (!*p || strcmp(p, ".") == 0)
                return true;
        _cleanup_free_ char *r = cc_xstrdup(rel);
        for (;;) {
                if (cc__glob(p, r))
                        return true;
                char *slash = strrchr(r, '/');
                if (!slash)
                        return false;
                *slash = '\0';
        }
}

bool cc_watch_patterns_match(const struct cc_strv *patterns, const char *rel)
{
        bool matched = false;
        for (size_t i = 0; patterns && i < patterns->n; i++) {
                const char *pat = patterns->v[i];
                bool neg = pat[0] == '!';
                if (cc__pattern_match(neg ? pat + 1 : pat, rel))
                        matched = !neg;
        }
        return matched;
}

static bool cc__editor_temp(const char *base)
{
        size_t n = strlen(base);
        if (n == 0)
                return false;
        if (base[n - 1] == '~' || strcmp(base, "4913") == 0)
                return true;
        if (base[0] == '.' && (cc_endswith(base, ".swp") || cc_endswith(base, ".swx") || cc_endswith(base, ".swo")))
                return true;
        if (strncmp(base, ".#", 2) == 0 || (n > 1 && base[0] == '#' && base[n - 1] == '#'))
                return true;
        return cc_endswith(base, "___jb_tmp___") || cc_endswith(base, "___jb_old___");
}

bool cc_watch_builtin_ignored(const char *rel)
{
        const char *p = rel;
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t) (slash - p) : strlen(p);
                if (len == 4 && strncmp(p, ".git", 4) == 0)
                        return true;
                if (!slash)
                        return cc__editor_temp(p);
                p = slash + 1;
        }
}

bool cc_watch_rule_takes(const struct cc_strv *ignore, const struct cc_strv *include, const char *rel)
{
        if (*rel && cc_watch_builtin_ignored(rel))
                return false;
        if (*rel && cc_watch_patterns_match(ignore, rel))
                return false;
        if (include && include->n > 0 && *rel)
                return cc_watch_patterns_match(include, rel);
        return true;
}

void cc_watch_batch_add(struct cc_watch_batch *b, const char *path, bool born)
{
        if (born)
                cc_strv_push(&b->born, path);
        if (b->paths.n > 0 && strcmp(b->paths.v[b->paths.n - 1], path) == 0)
                return; /* the common case: several events of one write */
        cc_strv_push(&b->paths, path);
}

static int cc__cmp(const void *a, const void *b) { return strcmp(*(char *const *) a, *(char *const *) b); }

size_t cc_watch_batch_settle(struct cc_watch_batch *b, bool (*exists)(const char *path))
{
        if (b->paths.n == 0)
                return 0;
        qsort(b->paths.v, b->paths.n, sizeof(char *), cc__cmp);
        if (b->born.n)
                qsort(b->born.v, b->born.n, sizeof(char *), cc__cmp);
        size_t w = 0;
        for (size_t i = 0; i < b->paths.n; i++) {
                char *p = b->paths.v[i];
                bool repeat = w > 0 && strcmp(p, b->paths.v[w - 1]) == 0;
                bool transient = !repeat && b->born.n &&
                                 bsearch(&p, b->born.v, b->born.n, sizeof(char *), cc__cmp) && !exists(p);
                if (repeat || transient)
                        free(p);
                else
                        b->paths.v[w++] = p;
        }
        b->paths.n = w;
        b->paths.v[w] = NULL;
        return w;
}

void cc_watch_batch_clear(struct cc_watch_batch *b)
{
        cc_strv_free(&b->paths);
        cc_strv_free(&b->born);
}

long long cc_watch_batch_due(long long first_ms, long long last_ms, size_t n_events, bool writing)
{
        long long quiet = writing || n_events > CC_WATCH_BURST_EVENTS ? CC_WATCH_BURST_QUIET_MS : CC_WATCH_QUIET_MS;
        long long due = last_ms + quiet, latest = first_ms + CC_WATCH_MAX_WAIT_MS;
        return due < latest ? due : latest;
}

void cc_watch_writing_update(struct cc_strv *writing, const char *path, bool opened, bool closed)
{
        for (size_t i = 0; i < writing->n; i++) {
                if (strcmp(writing->v[i], path) != 0)
                        continue;
                if (closed) {
                        free(writing->v[i]);
                        writing->v[i] = writing->v[--writing->n];
                        writing->v[writing->n] = NULL;
                }
                return;
        }
        if (opened && !closed)
                cc_strv_push(writing, path);
}

void cc_watch_names_sort(struct cc_strv *names)
{
        if (names->n > 1)
                qsort(names->v, names->n, sizeof(char *), cc__cmp);
}

/* Where name is in names, or would go; *found: it is there. */
static size_t cc__names_find(const struct cc_strv *names, const char *name, bool *found)
{
        size_t lo = 0, hi = names->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(names->v[mid], name);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

void cc_watch_names_add(struct cc_strv *names, const char *name)
{
        bool found;
        size_t at = cc__names_find(names, name, &found);
        if (found)
                return;
        cc_strv_push(names, name);
        char *s = names->v[names->n - 1];
        memmove(names->v + at + 1, names->v + at, (names->n - 1 - at) * sizeof(char *));
        names->v[at] = s;
}

void cc_watch_names_remove(struct cc_strv *names, const char *name)
{
        bool found;
        size_t at = cc__names_find(names, name, &found);
        if (!found)
                return;
        free(names->v[at]);
        memmove(names->v + at, names->v + at + 1, (names->n - at) * sizeof(char *)); /* the NULL too */
        names->n--;
}

void cc_watch_names_gone(const struct cc_strv *old, const struct cc_strv *now, struct cc_strv *gone)
{
        size_t j = 0;
        for (size_t i = 0; i < old->n; i++) {
                int c = 1;
                while (j < now->n && (c = strcmp(now->v[j], old->v[i])) < 0)
                        j++;
                if (j >= now->n || c != 0)
                        cc_strv_push(gone, old->v[i]);
        }
}

/* ccompose watch's pure part (watch-match.c): ignore/include patterns as
 * .dockerignore reads them, editors' temporary files, batches. */
#include <string.h>

#include "tap.h"
#include "watch.h"

static struct cc_strv list(const char *a, const char *b, const char *c)
{
        struct cc_strv v = {0};
        const char *all[] = {a, b, c};
        for (int i = 0; i < 3; i++)
                if (all[i])
                        cc_strv_push(&v, all[i]);
        return v;
}

TEST(patterns_match_files_and_everything_below_a_directory)
{
        struct cc_strv p = list("*.tmp", "node_modules/", "build");
        ASSERT(cc_watch_patterns_match(&p, "x.tmp"));
        ASSERT(!cc_watch_patterns_match(&p, "dir/x.tmp")); /* '*' does not cross '/' */
        ASSERT(cc_watch_patterns_match(&p, "node_modules"));
        ASSERT(cc_watch_patterns_match(&p, "node_modules/a/b.js"));
        ASSERT(cc_watch_patterns_match(&p, "build/out.o"));
        ASSERT(!cc_watch_patterns_match(&p, "src/build.c"));
        ASSERT(!cc_watch_patterns_match(&p, "buildx"));
        cc_strv_free(&p);
}

TEST(double_star_and_negation)
{
        struct cc_strv p = list("**/*.log", "!keep/*.log", "./dist/**");
        ASSERT(cc_watch_patterns_match(&p, "a.log"));
        ASSERT(cc_watch_patterns_match(&p, "a/b/c.log"));
        ASSERT(!cc_watch_patterns_match(&p, "keep/x.log")); /* the last match decides */
        ASSERT(cc_watch_patterns_match(&p, "dist/x/y.js"));
        ASSERT(!cc_watch_patterns_match(&p, "src/x.js"));
        cc_strv_free(&p);
}

TEST(editor_files_and_git_are_ignored)
{
        ASSERT(cc_watch_builtin_ignored(".index.html.swp"));
        ASSERT(cc_watch_builtin_ignored("sub/.index.html.swx"));
        ASSERT(cc_watch_builtin_ignored("index.html~"));
        ASSERT(cc_watch_builtin_ignored("4913"));
        ASSERT(cc_watch_builtin_ignored(".#index.html"));
        ASSERT(cc_watch_builtin_ignored("#index.html#"));
        ASSERT(cc_watch_builtin_ignored("a.js___jb_tmp___"));
        ASSERT(cc_watch_builtin_ignored(".git/index"));
        ASSERT(cc_watch_builtin_ignored("x/.git"));
        ASSERT(!cc_watch_builtin_ignored("index.html"));
        ASSERT(!cc_watch_builtin_ignored(".gitignore"));
        ASSERT(!cc_watch_builtin_ignored("swp"));
}

TEST(rule_takes_ignore_then_include)
{
        struct cc_strv ign = list("secret.html", NULL, NULL), inc = list("*.html", "css/", NULL);
        ASSERT(cc_watch_rule_takes(&ign, &inc, "page.html"));
        ASSERT(cc_watch_rule_takes(&ign, &inc, "css/site.css"));
        ASSERT(!cc_watch_rule_takes(&ign, &inc, "notes.md"));
        ASSERT(!cc_watch_rule_takes(&ign, &inc, "secret.html"));
        ASSERT(!cc_watch_rule_takes(&ign, &inc, ".page.html.swp"));
        ASSERT(cc_watch_rule_takes(&ign, &inc, "")); /* the rule's own path (a file) */
        struct cc_strv none = {0};
        ASSERT(cc_watch_rule_takes(&none, &none, "anything/at/all"));
        cc_strv_free(&ign);
        cc_strv_free(&inc);
}

static bool exists_only_real(const char *path) { return strstr(path, "tmp") == NULL; }

TEST(a_burst_settles_to_each_path_once)
{
        struct cc_watch_batch b = {0};
        char path[64];
        for (int round = 0; round < 3; round++)
                for (int i = 999; i >= 0; i--) {
                        snprintf(path, sizeof(path), "/src/f%04d", i);
                        cc_watch_batch_add(&b, path, round == 0);
                        cc_watch_batch_add(&b, path, false); /* modify after create */
                }
        ASSERT(cc_watch_batch_settle(&b, exists_only_real) == 1000);
        ASSERT(strcmp(b.paths.v[0], "/src/f0000") == 0);
        ASSERT(strcmp(b.paths.v[999], "/src/f0999") == 0);
        ASSERT(b.paths.v[1000] == NULL);
        cc_watch_batch_clear(&b);
}

TEST(a_rename_over_save_is_one_change_a_deletion_stays)
{
        struct cc_watch_batch b = {0};
        cc_watch_batch_add(&b, "/src/page.html.tmp42", true); /* created, written, renamed away */
        cc_watch_batch_add(&b, "/src/page.html.tmp42", false);
        cc_watch_batch_add(&b, "/src/page.html", true);      /* moved in */
        cc_watch_batch_add(&b, "/src/old.tmp.txt", false);   /* deleted: not born here, kept */
        ASSERT(cc_watch_batch_settle(&b, exists_only_real) == 2);
        ASSERT(strcmp(b.paths.v[0], "/src/old.tmp.txt") == 0);
        ASSERT(strcmp(b.paths.v[1], "/src/page.html") == 0);
        cc_watch_batch_clear(&b);
        ASSERT(cc_watch_batch_settle(&b, exists_only_real) == 0);
}

TEST(a_lone_change_is_due_soon_a_burst_waits_longer_a_stream_at_most_the_max)
{
        /* a save: three events within a millisecond */
        ASSERT(cc_watch_batch_due(1000, 1001, 3, false) == 1001 + CC_WATCH_QUIET_MS);
        ASSERT(CC_WATCH_QUIET_MS <= 20);
        /* a file still open for writing (an editor's fsync before its close) */
        ASSERT(cc_watch_batch_due(1000, 1001, 2, true) == 1001 + CC_WATCH_BURST_QUIET_MS);
        /* a checkout: hundreds of events; a pause of a scheduler tick does not end it */
        ASSERT(cc_watch_batch_due(1000, 1040, 3000, false) == 1040 + CC_WATCH_BURST_QUIET_MS);
        ASSERT(cc_watch_batch_due(1000, 1040, CC_WATCH_BURST_EVENTS, false) == 1040 + CC_WATCH_QUIET_MS);
        /* a stream that never pauses */
        ASSERT(cc_watch_batch_due(1000, 1000 + CC_WATCH_MAX_WAIT_MS - 1, 100000, true) ==
               1000 + CC_WATCH_MAX_WAIT_MS);
}

TEST(files_open_for_writing_until_closed_deleted_or_moved_away)
{
        struct cc_strv w = {0};
        cc_watch_writing_update(&w, "/src/a", true, false); /* created */
        cc_watch_writing_update(&w, "/src/a", true, false); /* written: once in the set */
        cc_watch_writing_update(&w, "/src/b", true, false);
        cc_watch_writing_update(&w, "/src/c", true, false);
        ASSERT(w.n == 3);
        cc_watch_writing_update(&w, "/src/a", false, true); /* closed after writing */
        ASSERT(w.n == 2 && !cc_strv_contains(&w, "/src/a") && w.v[2] == NULL);
        cc_watch_writing_update(&w, "/src/c", false, true); /* deleted or moved away */
        cc_watch_writing_update(&w, "/src/x", false, true); /* never open: nothing */
        ASSERT(w.n == 1 && strcmp(w.v[0], "/src/b") == 0 && w.v[1] == NULL);
        cc_strv_free(&w);
}

static char *joined(const struct cc_strv *v)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i < v->n; i++)
                cc_buf_printf(&b, "%s%s", i ? "," : "", v->v[i]);
        return cc_buf_steal(&b);
}

TEST(a_directory_listing_follows_its_events_and_tells_what_a_rescan_lacks)
{
        struct cc_strv seen = list("c.txt", "a.txt", "sub"), now = {0}, gone = {0};
        cc_watch_names_sort(&seen); /* as scanned */
        cc_watch_names_add(&seen, "b.txt"); /* IN_CREATE */
        cc_watch_names_add(&seen, "b.txt"); /* once */
        cc_watch_names_add(&seen, "0.txt");
        cc_watch_names_add(&seen, "z.txt");
        cc_watch_names_remove(&seen, "c.txt"); /* IN_DELETE */
        cc_watch_names_remove(&seen, "never"); /* nothing */
        _cleanup_free_ char *s1 = joined(&seen);
        ASSERT(strcmp(s1, "0.txt,a.txt,b.txt,sub,z.txt") == 0);
        ASSERT(seen.v[seen.n] == NULL);
        /* events lost, then a rescan: a.txt, sub and z.txt deleted, new.txt made */
        now = list("new.txt", "b.txt", "0.txt");
        cc_watch_names_sort(&now);
        cc_watch_names_gone(&seen, &now, &gone);
        _cleanup_free_ char *s2 = joined(&gone);
        ASSERT(strcmp(s2, "a.txt,sub,z.txt") == 0);
        cc_strv_free(&gone);
        cc_watch_names_gone(&now, &now, &gone);
        ASSERT(gone.n == 0);
        cc_strv_free(&seen);
        cc_strv_free(&now);
}

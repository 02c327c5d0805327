/* .dockerignore: moby's patternmatcher cases (pattern, path, match) and
 * whole files with exceptions, parents and comments. */
#include "dockerignore.h"
#include "tap.h"

static struct cc_dockerignore parse_ok(const char *text)
{
        struct cc_dockerignore di;
        struct cc_error err = {0};
        if (cc_dockerignore_parse(text, ".dockerignore", &di, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return di;
}

TEST(patternmatcher_cases)
{
        static const struct { const char *pat, *path; bool match; } cases[] = {
                {"**", "file", true},
                {"**/**", "dir/file", true},
                {"dir/**", "dir/file", true},
                {"dir/**", "dir/dir2/dir3/file", true},
                {"**/dir2/*", "dir/dir2/file", true},
                {"**file", "file", true},
                {"**file", "dir/dir/file", true},
                {"**/file", "file", true},
                {"**/file", "dir/dir/file", true},
                {"**/file*.txt", "dir/dir/file.txt", true},
                {"**/**/*.txt", "dir/dir/file.txt", true},
                {"**/**/*.txt2", "dir/dir/file.txt", false},
                {"**/*.txt", "file.txt", true},
                {"a**/*.txt", "a/file.txt", true},
                {"a**/*.txt", "a/dir/dir/file.txt", true},
                {"a/*.txt", "a/dir/file.txt", false},
                {"a/*.txt", "a/file.txt", true},
                {"a/*.txt**", "a/file.txt", true},
                {"a[b-d]e", "ae", false},
                {"a[b-d]e", "ace", true},
                {"a[b-d]e", "aae", false},
                {"a[^b-d]e", "aze", true},
                {"a[!b-d]e", "ace", false},
                {".*", ".foo", true},
                {".*", "foo", false},
                {"abc.def", "abcdef", false},
                {"abc.def", "abc.def", true},
                {"abc?def", "abcZdef", true},
                {"abc?def", "abcdef", false},
                {"a\\\\", "a\\", true},
                {"a\\*b", "a*b", true},
                {"a\\*b", "axb", false},
                {"**/foo/bar", "foo/bar", true},
                {"**/foo/bar", "dir/dir2/foo/bar", true},
                {"abc/**", "abc", false},
                {"abc/**", "abc/def/ghi", true},
                {"**/.foo", ".foo", true},
                {"**/.foo", "bar.foo", false},
                {"a(b)c/def", "a(b)c/def", true},
                {"a(b)c/def", "a(b)c/xyz", false},
                {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
                {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
                {"*.md", "docs/a.md", false},
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
                struct cc_dockerignore di = parse_ok(cases[i].pat);
                if (cc_dockerignore_excludes(&di, cases[i].path) != cases[i].match)
                        tap_fail(__FILE__, __LINE__, "pattern %s, path %s: want %s", cases[i].pat, cases[i].path,
                                 cases[i].match ? "a match" : "no match");
                cc_dockerignore_free(&di);
        }
}

TEST(files_with_exceptions_and_parents)
{
        struct cc_dockerignore di = parse_ok("# comment\n"
                                             "\n"
                                             "  *.md  \r\n"
                                             "!README.md\n"
                                             "node_modules\n"
                                             "/secret\n"
                                             "./build/\n"
                                             "**/*.log\n"
                                             "!keep/**\n");
        ASSERT_INTEQ(di.n, 7);
        ASSERT_STREQ(di.pats[3].text, "secret");
        ASSERT_STREQ(di.pats[4].text, "build");
        ASSERT(cc_dockerignore_excludes(&di, "CHANGES.md"));
        ASSERT(!cc_dockerignore_excludes(&di, "README.md"));
        ASSERT(!cc_dockerignore_excludes(&di, "docs/x.md"));
        ASSERT(cc_dockerignore_excludes(&di, "node_modules"));
        ASSERT(cc_dockerignore_excludes(&di, "node_modules/a/b.js"));
        ASSERT(cc_dockerignore_excludes(&di, "secret"));
        ASSERT(cc_dockerignore_excludes(&di, "build/out.o"));
        ASSERT(cc_dockerignore_excludes(&di, "a/b/c.log"));
        ASSERT(!cc_dockerignore_excludes(&di, "keep/c.log"));
        ASSERT(!cc_dockerignore_excludes(&di, "src/main.c"));
        cc_dockerignore_free(&di);
        /* the last matching pattern wins */
        di = parse_ok("!a\na\n");
        ASSERT(cc_dockerignore_excludes(&di, "a"));
        cc_dockerignore_free(&di);
}

TEST(bad_patterns_name_file_and_line)
{
        const char *bad[][2] = {
                {"ok\n[abc\n", ".dockerignore:2: syntax error in pattern \"[abc\""},
                {"a\\", ".dockerignore:1: syntax error in pattern \"a\\\""},
                {"\n!\n", ".dockerignore:2: illegal exclusion pattern: \"!\""},
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
                struct cc_dockerignore di;
                struct cc_error err = {0};
                if (cc_dockerignore_parse(bad[i][0], ".dockerignore", &di, &err) == 0)
                        tap_fail(__FILE__, __LINE__, "%s parsed", bad[i][0]);
                ASSERT_STREQ(cc_error_msg(&err), bad[i][1]);
                cc_error_clear(&err);
        }
}

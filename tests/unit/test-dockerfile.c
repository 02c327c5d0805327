/* Dockerfile parsing and word expansion: exact instructions, values and
 * error texts, following BuildKit's parser and shell lexer. */
#include "dockerfile.h"
#include "tap.h"

static struct cc_dockerfile parse_ok(const char *text)
{
        struct cc_dockerfile df;
        struct cc_error err = {0};
        if (cc_df_parse("Dockerfile", text, &df, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return df;
}

static void parse_fails(const char *text, const char *want)
{
        struct cc_dockerfile df;
        struct cc_error err = {0};
        if (cc_df_parse("Dockerfile", text, &df, &err) == 0)
                tap_fail(__FILE__, __LINE__, "\"%s\" parsed, want error \"%s\"", text, want);
        ASSERT_STREQ(cc_error_msg(&err), want);
        cc_error_clear(&err);
}

static void expands(const char *word, const struct cc_env *vars, const char *want)
{
        char *out = NULL;
        struct cc_error err = {0};
        if (cc_df_expand(word, '\\', vars, &out, &err) < 0)
                tap_fail(__FILE__, __LINE__, "expand %s: %s", word, cc_error_msg(&err));
        if (strcmp(out, want) != 0)
                tap_fail(__FILE__, __LINE__, "%s expands to \"%s\", want \"%s\"", word, out, want);
        free(out);
}

static struct cc_env vars(void)
{
        struct cc_env env = {0};
        cc_env_set(&env, "A", "apple");
        cc_env_set(&env, "EMPTY", "");
        cc_env_set(&env, "P", "/usr/local/bin");
        return env;
}

TEST(instructions_lines_and_comments)
{
        struct cc_dockerfile df = parse_ok("# a comment\n"
                                           "FROM busybox AS build\n"
                                           "\n"
                                           "  run echo a \\\n"
                                           "  # comment inside\n"
                                           "\n"
                                           "   && echo b\n"
                                           "COPY --from=build --chown=1:2 /a /b\r\n"
                                           "cmd [\"sh\", \"-c\", \"echo hi\"]\n"
                                           "ENTRYPOINT [\"not json\"\n");
        ASSERT_INTEQ(df.n, 5);
        ASSERT_STREQ(df.instrs[0].cmd, "from");
        ASSERT_STREQ(df.instrs[0].rest, "busybox AS build");
        ASSERT_INTEQ(df.instrs[0].line, 2);
        ASSERT_STREQ(df.instrs[1].cmd, "run");
        ASSERT_INTEQ(df.instrs[1].line, 4);
        ASSERT_STREQ(df.instrs[1].rest, "echo a    && echo b");
        ASSERT(!df.instrs[1].json);
        ASSERT_STREQ(df.instrs[2].cmd, "copy");
        ASSERT_INTEQ(df.instrs[2].line, 8);
        ASSERT_INTEQ(df.instrs[2].flags.n, 2);
        ASSERT_STREQ(df.instrs[2].flags.v[0], "--from=build");
        ASSERT_STREQ(df.instrs[2].flags.v[1], "--chown=1:2");
        ASSERT_STREQ(df.instrs[2].rest, "/a /b");
        ASSERT(df.instrs[3].json);
        ASSERT_INTEQ(df.instrs[3].json_args.n, 3);
        ASSERT_STREQ(df.instrs[3].json_args.v[2], "echo hi");
        ASSERT(!df.instrs[4].json);
        ASSERT_STREQ(df.instrs[4].rest, "[\"not json\"");
        cc_df_free(&df);
}

TEST(directives_escape_and_syntax)
{
        struct cc_dockerfile df = parse_ok("# syntax=docker/dockerfile:1\n"
                                           "#escape = `\n"
                                           "FROM scratch\n"
                                           "COPY a \\b `\n"
                                           "  c\n");
        ASSERT_INTEQ(df.escape, '`');
        ASSERT_STREQ(df.syntax, "docker/dockerfile:1");
        ASSERT_INTEQ(df.n, 2);
        ASSERT_STREQ(df.instrs[1].rest, "a \\b   c");
        char *w = NULL;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_df_expand("C:\\dir` x", df.escape, NULL, &w, &err), 0);
        ASSERT_STREQ(w, "C:\\dir x");
        free(w);
        cc_df_free(&df);
        /* a directive after an instruction or a comment is a comment */
        df = parse_ok("# hello\n# escape=`\nFROM scratch\n");
        ASSERT_INTEQ(df.escape, '\\');
        cc_df_free(&df);
}

TEST(parse_errors_name_file_and_line)
{
        parse_fails("FROM busybox\n\nFORM x\n", "Dockerfile:3: unknown instruction: FORM");
        parse_fails("# escape=x\nFROM a\n", "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
        parse_fails("# escape=`\n# escape=\\\nFROM a\n",
                    "Dockerfile:2: only one escape parser directive can be used");
        parse_fails("FROM a\nWORKDIR\n", "Dockerfile:2: WORKDIR: workdir requires at least one argument");
}

TEST(split_keeps_quotes)
{
        struct cc_strv w = {0};
        cc_df_split("  a \"b c\" 'd e'\\ f  g\\ h ", '\\', &w);
        ASSERT_INTEQ(w.n, 4);
        ASSERT_STREQ(w.v[0], "a");
        ASSERT_STREQ(w.v[1], "\"b c\"");
        ASSERT_STREQ(w.v[2], "'d e'\\ f");
        ASSERT_STREQ(w.v[3], "g\\ h");
        cc_strv_free(&w);
}

TEST(expand_variables)
{
        struct cc_env v = vars();
        expands("$A-${A}", &v, "apple-apple");
        expands("${UNSET}x$UNSET", &v, "x");
        expands("${UNSET:-def}|${EMPTY:-def}|${EMPTY-def}|${A:-def}", &v, "def|def||apple");
        expands("${A:+set}|${EMPTY:+set}|${EMPTY+set}|${UNSET+set}", &v, "set||set|");
        expands("${UNSET:-${A}s}", &v, "apples");
        expands("${P#*/}|${P##*/}|${P%/*}|${P%%/*}", &v, "usr/local/bin|bin|/usr/local|");
        expands("'$A' \"$A\" \\$A \"\\$A\" $ a$", &v, "$A apple $A $A $ a$");
        expands("\"a\\b\\\\c\"", &v, "a\\b\\c");
        /* without variables (RUN's shell does it) only quotes go */
        expands("\"$A\"", NULL, "$A");
        cc_env_free(&v);
}

TEST(expand_errors)
{
        struct cc_env v = vars();
        const char *bad[][2] = {
                {"${A", "syntax error: missing '}'"},
                {"${A:-x", "syntax error: missing '}'"},
                {"${A:#x}", "unsupported modifier (:#) in substitution"},
                {"${UNSET:?must be set}", "UNSET: must be set"},
                {"${EMPTY:?}", "EMPTY: is not allowed to be unset"},
                {"'abc", "unexpected end of statement while looking for matching single-quote"},
                {"\"abc", "unexpected end of statement while looking for matching double-quote"},
        };
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
                char *out = NULL;
                struct cc_error err = {0};
                if (cc_df_expand(bad[i][0], '\\', &v, &out, &err) == 0)
                        tap_fail(__FILE__, __LINE__, "%s expanded to %s", bad[i][0], out);
                ASSERT_STREQ(cc_error_msg(&err), bad[i][1]);
                cc_error_clear(&err);
        }
        cc_env_free(&v);
}

static void pairs_are(const char *text, bool bare, const char *want)
{
        struct cc_dockerfile df = parse_ok(text);
        struct cc_env v = vars();
        struct cc_strv out = {0};
        struct cc_error err = {0};
        struct cc_buf b = {0};
        cc_buf_puts(&b, "");
        if (cc_df_pairs(&df.instrs[0], df.escape, &v, bare, &out, &err) < 0)
                cc_buf_printf(&b, "error: %s", cc_error_msg(&err));
        cc_error_clear(&err);
        for (size_t i = 0; i < out.n; i++)
                cc_buf_printf(&b, "%s%s", i ? ";" : "", out.v[i]);
        cc_strv_free(&out);
        cc_env_free(&v);
        cc_df_free(&df);
        if (strcmp(b.s, want) != 0)
                tap_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", text, b.s, want);
        cc_buf_free(&b);
}

TEST(env_label_arg_pairs)
{
        pairs_are("ENV a=1 b=\"two words\" c=$A d=x\\ y\n", false, "a=1;b=two words;c=apple;d=x y");
        pairs_are("ENV KEY hello \"world x\" $A\n", false, "KEY=hello world x apple");
        pairs_are("LABEL \"com.example.v\"=\"1 0\"\n", false, "com.example.v=1 0");
        pairs_are("ARG X Y=${A:-z}\n", true, "X;Y=apple");
        pairs_are("ENV a=1 b\n", false, "error: Syntax error - can't find = in \"b\". Must be of the form: name=value");
        pairs_are("ENV KEY\n", false, "error: env must have two arguments");
}

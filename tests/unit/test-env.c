/* Environment maps and .env files: every case checks exact values and
 * exact error texts, following compose-go's dotenv tests and real .env
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "env.h"
#include "tap.h"

static struct cc_env mkenv(const char *const *kv)
{
        struct cc_env env = {0};
        for (size_t i = 0; kv && kv[i]; i += 2)
                cc_env_set(&env, kv[i], kv[i + 1]);
        return env;
}

/* "K=V;K=V" of the whole map, in order (NULL values as "K"). */
static char *dump(const struct cc_env *env)
{
        struct cc_buf b = {0};
        for (size_t i = 0; i < env->n; i++) {
                if (i)
                        cc_buf_putc(&b, ';');
                cc_buf_puts(&b, env->keys[i]);
                if (env->vals[i])
                        cc_buf_printf(&b, "=%s", env->vals[i]);
        }
        return cc_buf_steal(&b);
}

static void dump_is(const struct cc_env *env, const char *want)
{
        char *got = dump(env);
        if (strcmp(got, want) != 0)
                tap_fail(__FILE__, __LINE__, "env is \"%s\", want \"%s\"", got, want);
        free(got);
}

/* Parse data (file "t.env") with the lookup pairs; the dump of the result is
 * compared with want. */
static void parses_to(const char *const *lookup_kv, const char *data, const char *want)
{
        struct cc_env lookup = mkenv(lookup_kv), out = {0};
        struct cc_error err = {0};
        if (cc_dotenv_parse(data, "t.env", &lookup, &out, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse \"%s\": %s", data, cc_error_msg(&err));
        char *got = dump(&out);
        if (strcmp(got, want) != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", want \"%s\"", data, got, want);
        free(got);
        cc_env_free(&out);
        cc_env_free(&lookup);
}

/* One KEY's value after parsing data without a lookup environment. */
static void value_is(const char *data, const char *key, const char *want)
{
        struct cc_env out = {0};
        struct cc_error err = {0};
        if (cc_dotenv_parse(data, "t.env", NULL, &out, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse \"%s\": %s", data, cc_error_msg(&err));
        const char *got = cc_env_get(&out, key);
        if (!got || strcmp(got, want) != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": %s is \"%s\", want \"%s\"", data, key, got ? got : "(unset)", want);
        cc_env_free(&out);
}

/* Parsing must fail with exactly the message want, leaving out alone. */
static void fails_with(const char *data, const char *want)
{
        struct cc_env out = {0};
        cc_env_set(&out, "BEFORE", "kept");
        struct cc_error err = {0};
        int r = cc_dotenv_parse(data, "t.env", NULL, &out, &err);
        if (r >= 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": expected an error", data);
        if (r != -EINVAL)
                tap_fail(__FILE__, __LINE__, "\"%s\": code %d, want -EINVAL", data, r);
        if (strcmp(cc_error_msg(&err), want) != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": error \"%s\", want \"%s\"", data, cc_error_msg(&err), want);
        char *d = dump(&out);
        if (strcmp(d, "BEFORE=kept") != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": output changed on error: %s", data, d);
        free(d);
        cc_error_clear(&err);
        cc_env_free(&out);
}

/* The map */

TEST(env_set_get_and_replace_keep_order)
{
        struct cc_env e = {0};
        cc_env_set(&e, "B", "1");
        cc_env_set(&e, "A", "2");
        cc_env_set(&e, "B", "3");
        ASSERT_INTEQ(e.n, 2);
        ASSERT_STREQ(cc_env_get(&e, "B"), "3");
        ASSERT_STREQ(cc_env_get(&e, "A"), "2");
        ASSERT_NULL(cc_env_get(&e, "C"));
        dump_is(&e, "B=3;A=2");
        cc_env_free(&e);
        ASSERT_INTEQ(e.n, 0);
        ASSERT_NULL(e.keys);
}

TEST(env_null_value_is_declared_but_unset)
{
        struct cc_env e = {0};
        cc_env_set(&e, "X", NULL);
        ASSERT(cc_env_has(&e, "X"));
        ASSERT_NULL(cc_env_get(&e, "X"));
        ASSERT(!cc_env_has(&e, "Y"));
        cc_env_set(&e, "X", "");
        ASSERT_STREQ(cc_env_get(&e, "X"), "");
        cc_env_free(&e);
}

TEST(env_set_default_keeps_existing)
{
        struct cc_env e = {0};
        cc_env_set(&e, "A", "shell");
        cc_env_set_default(&e, "A", "dotenv");
        cc_env_set_default(&e, "B", "dotenv");
        cc_env_set(&e, "C", NULL);
        cc_env_set_default(&e, "C", "dotenv");
        dump_is(&e, "A=shell;B=dotenv;C");
        cc_env_free(&e);
}

TEST(env_unset_removes_and_keeps_order)
{
        struct cc_env e = mkenv((const char *const[]){"A", "1", "B", "2", "C", "3", NULL});
        cc_env_unset(&e, "B");
        cc_env_unset(&e, "NOPE");
        dump_is(&e, "A=1;C=3");
        cc_env_unset(&e, "C");
        cc_env_unset(&e, "A");
        ASSERT_INTEQ(e.n, 0);
        cc_env_set(&e, "D", "4");
        dump_is(&e, "D=4");
        cc_env_free(&e);
}

TEST(env_merge_replaces_and_appends)
{
        struct cc_env a = mkenv((const char *const[]){"A", "1", "B", "2", NULL});
        struct cc_env b = mkenv((const char *const[]){"B", "x", "C", "y", NULL});
        cc_env_merge(&a, &b);
        dump_is(&a, "A=1;B=x;C=y");
        cc_env_merge(&a, NULL);
        ASSERT_INTEQ(a.n, 3);
        cc_env_free(&a);
        cc_env_free(&b);
}

TEST(env_from_environ)
{
        char *environ_[] = {"PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b", "NOEQUALS", "=bad", "PATH=/second", NULL};
        struct cc_env e = {0};
        cc_env_set(&e, "KEEP", "mine");
        cc_env_from_environ(&e, environ_);
        dump_is(&e, "KEEP=mine;PATH=/usr/bin:/bin;EMPTY=;EQ=a=b");
        cc_env_free(&e);
}

TEST(env_get_on_null_map)
{
        ASSERT_NULL(cc_env_get(NULL, "A"));
        ASSERT(!cc_env_has(NULL, "A"));
}

/* .env: basics */

TEST(dotenv_key_value_lines_in_order)
{
        parses_to(NULL, "ONE=1\nTWO='2'\nTHREE = \"3\"", "ONE=1;TWO=2;THREE=3");
}

TEST(dotenv_export_prefix)
{
        value_is("export OPTION_A=2", "OPTION_A", "2");
        value_is("export\tOPTION_A=2", "OPTION_A", "2");
        value_is("  export OPTION_A=2", "OPTION_A", "2");
        value_is("export OPTION_A=\"export A\"", "OPTION_A", "export A");
        value_is("export exportFoo=2", "exportFoo", "2");
        value_is("exportFOO=2", "exportFOO", "2");
        value_is("export_FOO =2", "export_FOO", "2");
        value_is("export.FOO= 2", "export.FOO", "2");
}

TEST(dotenv_blank_lines_and_comments)
{
        parses_to(NULL, "# database\n\n   \n\t # indented comment\nPOSTGRES_USER=app\n#POSTGRES_DB=old\n\nPOSTGRES_DB=app\n",
                  "POSTGRES_USER=app;POSTGRES_DB=app");
        parses_to(NULL, "# only a comment", "");
        parses_to(NULL, "", "");
}

TEST(dotenv_inline_comment_needs_a_space)
{
        value_is("FOO=bar # this is foo", "FOO", "bar");
        value_is("FOO=bar #this is foo", "FOO", "bar");
        value_is("FOO=bar #", "FOO", "bar");
        value_is("FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment");
        value_is("COLOR=#ff0000", "COLOR", "#ff0000");
}

TEST(dotenv_hash_right_after_equals_is_a_value)
{
        /* compose-go trims blanks after '=' before it looks for " #". */
        value_is("FOO= #not-a-comment", "FOO", "#not-a-comment");
}

TEST(dotenv_tab_before_hash_is_no_comment)
{
        value_is("FOO=bar\t#x", "FOO", "bar\t#x");
}

TEST(dotenv_spaces_around_equals)
{
        value_is("FOO =bar", "FOO", "bar");
        value_is("FOO= bar", "FOO", "bar");
        value_is(" KEY =value", "KEY", "value");
        value_is("\tKEY=value", "KEY", "value");
}

TEST(dotenv_unquoted_values_are_trimmed)
{
        value_is("FOO=bar   ", "FOO", "bar");
        value_is("GREETING=hello   world  ", "GREETING", "hello   world");
}

TEST(dotenv_empty_values)
{
        parses_to(NULL, "A=\nB=   \nC=''\nD=\"\"\nE=1", "A=;B=;C=;D=;E=1");
}

TEST(dotenv_values_may_hold_equals_and_colons)
{
        value_is("FOO=foobar=", "FOO", "foobar=");
        value_is("DATABASE_URL=postgres://app:secret@db:5432/app?sslmode=disable", "DATABASE_URL",
                 "postgres://app:secret@db:5432/app?sslmode=disable");
        value_is("OPTION_A=1:B", "OPTION_A", "1:B");
}

TEST(dotenv_yaml_style_colon)
{
        value_is("OPTION_A: 1", "OPTION_A", "1");
        value_is("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar");
}

TEST(dotenv_key_characters)
{
        parses_to(NULL, "FOO.BAR=foobar\nVAR-WITH-DASHES=dashes\na[1]=c\nVAR_WITH_UNDERSCORES=u\n",
                  "FOO.BAR=foobar;VAR-WITH-DASHES=dashes;a[1]=c;VAR_WITH_UNDERSCORES=u");
        value_is("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép", "árvíztűrő-TÜKÖRFÚRÓGÉP",
                 "ÁRVÍZTŰRŐ-tükörfúrógép");
}

TEST(dotenv_redefinition_replaces_in_place)
{
        parses_to(NULL, "A=1\nB=$A\nA=2\nC=$A\n", "A=2;B=1;C=2");
}

/* .env: quotes */

TEST(dotenv_single_quotes_are_literal)
{
        value_is("BAR='quote $FOO'", "BAR", "quote $FOO");
        value_is("export OPTION_B='\\n'", "OPTION_B", "\\n");
        value_is("JSON='{\"debug\": true}'", "JSON", "{\"debug\": true}");
        value_is("FOO='it\\'s'", "FOO", "it's");
}

TEST(dotenv_quoted_hash_is_no_comment)
{
        value_is("FOO=\"bar#baz\" # comment", "FOO", "bar#baz");
        value_is("FOO='bar#baz' # comment", "FOO", "bar#baz");
        value_is("FOO=\"bar#baz\"#", "FOO", "bar#baz");
        value_is("FOO=\"ba#r\"", "FOO", "ba#r");
}

TEST(dotenv_double_quote_escapes)
{
        value_is("FOO=\"bar\\nbaz\"", "FOO", "bar\nbaz");
        value_is("FOO=\"a\\tb\"", "FOO", "a\tb");
        value_is("FOO=\"escaped\\\"bar\"", "FOO", "escaped\"bar");
        value_is("FOO=\"\\\"quoted\\\"\"", "FOO", "\"quoted\"");
        value_is("FOO=\"bar\\nbaz\\\\\"", "FOO", "bar\nbaz\\");
        value_is("FOO=\"'d'\"", "FOO", "'d'");
}

TEST(dotenv_shell_escapes_and_octal)
{
        value_is("KEY=\"Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z\"", "KEY", "Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ");
        value_is("KEY=\"\\0101\\0102\"", "KEY", "AB");
        value_is("KEY=\"\\0351t\\0351\"", "KEY", "\xc3\xa9t\xc3\xa9");
}

TEST(dotenv_short_or_bad_octal_escapes_lose_their_zero)
{
        /* Go rewrites "\0" to "\" before it decodes, and keeps the
         * rewritten text when it is no valid octal escape. */
        value_is("KEY=\"\\01x\"", "KEY", "\\1x");
        value_is("KEY=\"\\0\"", "KEY", "\\");
        value_is("KEY=\"\\0400\"", "KEY", "\\400");
        value_is("KEY=\"\\0189\"", "KEY", "\\189");
}

TEST(dotenv_unknown_escapes_keep_their_backslash)
{
        value_is("KEY=\"\\x07\"", "KEY", "\\x07");
        value_is("KEY=\"\\u12e4\"", "KEY", "\\u12e4");
        value_is("FOO=\"bar\\n\\ b\\az\"", "FOO", "bar\n\\ b\az");
        value_is("KEY=\"C:\\Users\\joe\\Documents\"", "KEY", "C:\\Users\\joe\\Documents");
}

TEST(dotenv_unquoted_values_keep_backslashes)
{
        value_is("FOO=a\\tb", "FOO", "a\\tb");
}

TEST(dotenv_multi_line_certificate)
{
        const char *data = "TLS_CERT=\"-----BEGIN CERTIFICATE-----\n"
                           "MIIBszCCAVmgAwIBAgIUQ\n"
                           "-----END CERTIFICATE-----\"\n"
                           "TLS_KEY_FILE=/run/secrets/key\n";
        parses_to(NULL, data,
                  "TLS_CERT=-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----;"
                  "TLS_KEY_FILE=/run/secrets/key");
}

TEST(dotenv_multi_line_single_quotes)
{
        value_is("SCRIPT='line one\nline $two'\n", "SCRIPT", "line one\nline $two");
}

TEST(dotenv_text_after_a_closing_quote_starts_a_statement)
{
        parses_to(NULL, "A=\"x\" B=2\n", "A=x;B=2");
}

TEST(dotenv_crlf_line_endings)
{
        parses_to((const char *const[]){"C", "from-shell", NULL}, "A=1\r\nB=\"x\"\r\nC\r\nD= spaced \r\n",
                  "A=1;B=x;C=from-shell;D=spaced");
}

TEST(dotenv_utf8_bom_is_skipped)
{
        parses_to(NULL, "\xef\xbb\xbfOPTION_A=1\nOPTION_B=2\n", "OPTION_A=1;OPTION_B=2");
}

/* .env: interpolation */

TEST(dotenv_expands_earlier_keys)
{
        parses_to(NULL, "FOO=test\nBAR=$FOO", "FOO=test;BAR=test");
        parses_to(NULL, "FOO=test\nBAR=${FOO}bar", "FOO=test;BAR=testbar");
        parses_to(NULL, "FOO=test\nBAR=\"quote $FOO\"", "FOO=test;BAR=quote test");
}

TEST(dotenv_undefined_expands_to_empty)
{
        parses_to(NULL, "BAR=$FOO", "BAR=");
}

TEST(dotenv_escaped_dollars_are_not_expanded)
{
        value_is("FOO=\"foo\\$BAR\"", "FOO", "foo$BAR");
        value_is("FOO=\"foo\\${BAR}\"", "FOO", "foo${BAR}");
        parses_to(NULL, "FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"", "FOO=test;BAR=foo${FOO} test");
        value_is("PRICE=5$$", "PRICE", "5$");
}

TEST(dotenv_lookup_wins_over_earlier_keys)
{
        /* compose-go's TestSubstitutionsWithEnvFilePrecedence */
        const char *data = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n"
                           "OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
        parses_to((const char *const[]){"OPTION_A", "5", NULL}, data,
                  "OPTION_A=1;OPTION_B=5;OPTION_C=5;OPTION_D=5_5;OPTION_E=");
        parses_to(NULL, data, "OPTION_A=1;OPTION_B=1;OPTION_C=1;OPTION_D=1_1;OPTION_E=");
}

TEST(dotenv_defaults_from_the_shell)
{
        const char *data = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n"
                           "OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
        parses_to((const char *const[]){"OPTION_A", "5", NULL}, data,
                  "OPTION_A=5;OPTION_B=5;OPTION_C=5;OPTION_D=5_5;OPTION_E=");
        parses_to(NULL, data, "OPTION_A=1;OPTION_B=1;OPTION_C=1;OPTION_D=1_1;OPTION_E=");
}

TEST(dotenv_value_of_a_key_is_not_taken_from_lookup)
{
        /* The lookup only feeds ${...}; the file's own value stands. */
        parses_to((const char *const[]){"TAG", "from-shell", NULL}, "TAG=1.0", "TAG=1.0");
}

TEST(dotenv_declared_but_unset_lookup_falls_back_to_the_file)
{
        parses_to((const char *const[]){"A", NULL, NULL}, "A=file\nB=$A\nA\n", "A=file;B=file");
}

TEST(dotenv_builds_urls_from_parts)
{
        parses_to((const char *const[]){"DB_PASS", "s3cret", NULL},
                  "DB_USER=app\nDB_HOST=${DB_HOST:-db}\n"
                  "DATABASE_URL=\"postgres://${DB_USER}:${DB_PASS:?set DB_PASS}@${DB_HOST}:5432/app\"\n",
                  "DB_USER=app;DB_HOST=db;DATABASE_URL=postgres://app:s3cret@db:5432/app");
}

TEST(dotenv_required_variable_error_names_the_line)
{
        fails_with("DB_USER=app\n\n# the password\nDATABASE_URL=postgres://app:${DB_PASS:?set DB_PASS}@db/app\n",
                   "t.env:4: required variable DB_PASS is missing a value: set DB_PASS");
}

TEST(dotenv_invalid_interpolation_error_names_the_line)
{
        fails_with("A=1\nB=\"${\"\n",
                   "t.env:2: invalid interpolation format for ${: you may need to escape any $ with another $");
}

/* .env: keys without a value */

TEST(dotenv_bare_key_takes_the_lookup_value)
{
        parses_to((const char *const[]){"HOME", "/home/app", "TERM", "xterm", NULL}, "HOME\nA=1\nexport TERM\n",
                  "HOME=/home/app;A=1;TERM=xterm");
}

TEST(dotenv_bare_key_missing_from_lookup_is_skipped)
{
        parses_to(NULL, "VARIABLE_NOT_FOUND\nA=1\n", "A=1");
}

TEST(dotenv_bare_key_at_end_of_file)
{
        parses_to((const char *const[]){"LAST", "x", NULL}, "A=1\nLAST", "A=1;LAST=x");
}

TEST(dotenv_bare_key_missing_from_lookup_keeps_earlier_value)
{
        parses_to(NULL, "A=1\nA\n", "A=1");
}

/* .env: errors */

TEST(dotenv_key_with_space_is_an_error)
{
        fails_with("A=1\nMY KEY=value\n", "t.env:2: key cannot contain a space: \"MY KEY\"");
        fails_with("# c\nMY KEY\n", "t.env:2: key cannot contain a space: \"MY KEY\"");
}

TEST(dotenv_unexpected_character_is_an_error)
{
        fails_with("lol$wut", "t.env:1: unexpected character \"$\" in variable name \"lol$wut\"");
        fails_with("A=1\n\n  %!(EXTRA string)=foo\n",
                   "t.env:3: unexpected character \"%\" in variable name \"%!(EXTRA string)=foo\"");
}

TEST(dotenv_unterminated_quotes_are_errors)
{
        fails_with("KEY=\"", "t.env:1: unterminated quoted value \"");
        fails_with("KEY=\"value", "t.env:1: unterminated quoted value \"value");
        fails_with("KEY=\"value\\\"", "t.env:1: unterminated quoted value \"value\\\"");
        fails_with("KEY=\"value'", "t.env:1: unterminated quoted value \"value'");
        fails_with("KEY='", "t.env:1: unterminated quoted value '");
        fails_with("KEY='value", "t.env:1: unterminated quoted value 'value");
        fails_with("KEY='value\\'", "t.env:1: unterminated quoted value 'value\\'");
        fails_with("KEY='value\"", "t.env:1: unterminated quoted value 'value\"");
}

TEST(dotenv_unterminated_multi_line_value_names_its_first_line)
{
        fails_with("A=1\n\nCERT=\"-----BEGIN\nabc\nB=2\n", "t.env:3: unterminated quoted value \"-----BEGIN");
}

TEST(dotenv_line_numbers_count_multi_line_values)
{
        fails_with("A=\"one\ntwo\nthree\"\nB='x\ny'\nBAD KEY=1\n", "t.env:6: key cannot contain a space: \"BAD KEY\"");
}

TEST(dotenv_appends_to_existing_output)
{
        struct cc_env out = mkenv((const char *const[]){"A", "old", "Z", "z", NULL});
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_parse("B=2\nA=new\n", "t.env", NULL, &out, &err), 0);
        dump_is(&out, "A=new;Z=z;B=2");
        cc_env_free(&out);
}

TEST(dotenv_does_not_see_keys_already_in_the_output)
{
        /* Only `lookup` and the file itself feed interpolation. */
        struct cc_env out = mkenv((const char *const[]){"PREV", "p", NULL});
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_parse("X=[$PREV]\n", "t.env", NULL, &out, &err), 0);
        dump_is(&out, "PREV=p;X=[]");
        cc_env_free(&out);
}

/* Files */

static char *tmpdir(void)
{
        return tap_tmpdir("env");
}

TEST(dotenv_load_reads_a_file)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = cc_path_join(dir, ".env");
        const char *data = "COMPOSE_PROJECT_NAME=shop\nTAG=${TAG:-latest}\n";
        ASSERT_INTEQ(cc_write_file_atomic(path, data, strlen(data), 0644), 0);
        struct cc_env out = {0}, lookup = mkenv((const char *const[]){"TAG", "v2", NULL});
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_load(path, &lookup, &out, &err), 0);
        dump_is(&out, "COMPOSE_PROJECT_NAME=shop;TAG=v2");
        unlink(path);
        rmdir(dir);
        cc_env_free(&out);
        cc_env_free(&lookup);
}

TEST(dotenv_load_errors_name_the_path)
{
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_free_ char *path = cc_path_join(dir, "prod.env");
        const char *data = "A=1\nB=${B:?}\n";
        ASSERT_INTEQ(cc_write_file_atomic(path, data, strlen(data), 0644), 0);
        struct cc_env out = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_load(path, NULL, &out, &err), -EINVAL);
        _cleanup_free_ char *want = cc_xasprintf("%s:2: required variable B is missing a value", path);
        ASSERT_STREQ(cc_error_msg(&err), want);
        ASSERT_INTEQ(out.n, 0);
        unlink(path);
        rmdir(dir);
        cc_error_clear(&err);
}

TEST(dotenv_load_missing_file_is_enoent)
{
        struct cc_env out = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_load("/nonexistent/dir/.env", NULL, &out, &err), -ENOENT);
        ASSERT_STREQ(cc_error_msg(&err), "couldn't read env file /nonexistent/dir/.env: No such file or directory");
        ASSERT_INTEQ(out.n, 0);
        cc_error_clear(&err);
}

TEST(dotenv_load_directory_is_an_error)
{
        _cleanup_free_ char *dir = tmpdir();
        struct cc_env out = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_load(dir, NULL, &out, &err), -EISDIR);
        ASSERT_CONTAINS(cc_error_msg(&err), "Is a directory");
        ASSERT_CONTAINS(cc_error_msg(&err), dir);
        rmdir(dir);
        cc_error_clear(&err);
}

/* A .env of 50,000 variables, each but the first referring to the one
 * before: every value found, later lookups and removals right (not timed;
 * bench/load-large.sh measures the speed). */
TEST(very_large_dotenv_lookups)
{
        enum { N = 50000 };
        struct cc_buf b = {0};
        cc_buf_puts(&b, "V0=start\n");
        for (int i = 1; i < N; i++)
                cc_buf_printf(&b, "V%d=${V%d:+x}%d\n", i, i - 1, i);
        struct cc_env out = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_dotenv_parse(b.s, "big.env", NULL, &out, &err), 0);
        ASSERT_INTEQ(out.n, N);
        ASSERT_STREQ(cc_env_get(&out, "V0"), "start");
        ASSERT_STREQ(cc_env_get(&out, "V1"), "x1");
        ASSERT_STREQ(cc_env_get(&out, "V49999"), "x49999");
        ASSERT_NULL(cc_env_get(&out, "V50000"));
        cc_env_unset(&out, "V0");
        ASSERT(!cc_env_has(&out, "V0"));
        ASSERT_STREQ(cc_env_get(&out, "V2"), "x2");
        cc_env_set(&out, "NEW", "n");
        ASSERT_STREQ(cc_env_get(&out, "NEW"), "n");
        ASSERT_STREQ(out.keys[out.n - 1], "NEW");
        cc_env_set(&out, "V7", "seven");
        ASSERT_STREQ(cc_env_get(&out, "V7"), "seven");
        ASSERT_INTEQ(out.n, N);
        cc_env_free(&out);
        cc_buf_free(&b);
}

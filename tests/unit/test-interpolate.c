/* Variable substitution: every case checks the exact output or the exact
 * error text, following compose-go's template tests and real compose files. */
#include <errno.h>

#include "interpolate.h"
#include "variables.h"
#include "tap.h"

/* Pairs of name, value; a NULL value declares the name without a value. */
static struct cc_env mkenv(const char *const *kv)
{
        struct cc_env env = {0};
        for (size_t i = 0; kv && kv[i]; i += 2)
                cc_env_set(&env, kv[i], kv[i + 1]);
        return env;
}

/* The environment of compose-go's template tests. */
static const char *const defaults[] = {"FOO", "first", "BAR", "", NULL};

static char *sub_env(const struct cc_env *env, const char *in)
{
        struct cc_error err = {0};
        char *out = NULL;
        if (cc_interpolate_str(in, env, NULL, &out, &err) < 0)
                tap_fail(__FILE__, __LINE__, "interpolate \"%s\": %s", in, cc_error_msg(&err));
        return out;
}

/* Substitute with the given pairs; the result is checked against want. */
static void check(const char *const *kv, const char *in, const char *want)
{
        struct cc_env env = mkenv(kv);
        char *got = sub_env(&env, in);
        if (strcmp(got, want) != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", want \"%s\"", in, got, want);
        free(got);
        cc_env_free(&env);
}

/* Substitution must fail; the full message (position prefix included) is
 * compared with want. */
static void check_err(const char *const *kv, const char *in, const struct cc_pos *pos, const char *want)
{
        struct cc_env env = mkenv(kv);
        struct cc_error err = {0};
        char *out = NULL;
        int r = cc_interpolate_str(in, &env, pos, &out, &err);
        if (r >= 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": expected an error, got \"%s\"", in, out);
        if (r != -EINVAL)
                tap_fail(__FILE__, __LINE__, "\"%s\": code %d, want -EINVAL", in, r);
        if (out)
                tap_fail(__FILE__, __LINE__, "\"%s\": output set on error", in);
        if (strcmp(cc_error_msg(&err), want) != 0)
                tap_fail(__FILE__, __LINE__, "\"%s\": error \"%s\", want \"%s\"", in, cc_error_msg(&err), want);
        cc_error_clear(&err);
        cc_env_free(&env);
}

#define INVALID(t) "invalid interpolation format for " t ": you may need to escape any $ with another $"

/* Plain names */

TEST(text_without_dollar_is_unchanged)
{
        check(defaults, "nginx:1.25-alpine", "nginx:1.25-alpine");
        check(defaults, "", "");
}

TEST(named_variable)
{
        check(defaults, "This $FOO var", "This first var");
}

TEST(braced_variable)
{
        check(defaults, "This ${FOO} var", "This first var");
}

TEST(image_tag_from_variable)
{
        check((const char *const[]){"REGISTRY", "registry.example.com:5000", "TAG", "1.4.2", NULL},
              "${REGISTRY}/myapp:${TAG}", "registry.example.com:5000/myapp:1.4.2");
}

TEST(unset_variable_is_empty)
{
        check(defaults, "This ${missing} var", "This  var");
        check(defaults, "This $missing var", "This  var");
}

TEST(empty_variable_is_empty)
{
        check(defaults, "This ${BAR} var", "This  var");
}

TEST(named_variable_stops_at_dash)
{
        /* docker/compose#8601: "$FOO-bar" is not a default expression. */
        check(defaults, "$FOO-bar", "first-bar");
}

TEST(named_variable_takes_the_longest_name)
{
        check(defaults, "$FOOBAR", "");
        check(defaults, "${FOO}BAR", "firstBAR");
}

TEST(names_may_hold_digits_underscores_and_lowercase)
{
        check((const char *const[]){"_PRIVATE_1", "p", "foo", "low", "FOO", "up", NULL}, "${_PRIVATE_1}-$foo-$FOO",
              "p-low-up");
}

TEST(named_variable_ends_at_dot_and_slash)
{
        check((const char *const[]){"HOME", "/home/app", NULL}, "$HOME/.config:$HOME.bak", "/home/app/.config:/home/app.bak");
}

TEST(values_are_not_substituted_again)
{
        check((const char *const[]){"A", "$B", "B", "no", NULL}, "${A}", "$B");
}

TEST(no_environment_means_nothing_is_set)
{
        char *s = sub_env(NULL, "${A:-d}|$A|${A-e}");
        ASSERT_STREQ(s, "d||e");
        free(s);
}

TEST(declared_without_value_counts_as_unset)
{
        check((const char *const[]){"X", NULL, NULL}, "${X-def}|${X:+alt}|${X+alt}", "def||");
}

/* Defaults */

TEST(soft_default_when_unset)
{
        check(defaults, "myapp:${TAG:-latest}", "myapp:latest");
}

TEST(soft_default_when_empty)
{
        check(defaults, "ok ${BAR:-def}", "ok def");
}

TEST(soft_default_not_used_when_set)
{
        check(defaults, "ok ${FOO:-def}", "ok first");
}

TEST(hard_default_when_unset)
{
        check(defaults, "ok ${missing-def}", "ok def");
}

TEST(hard_default_keeps_empty_value)
{
        check(defaults, "ok ${BAR-def}", "ok ");
}

TEST(hard_default_not_used_when_set)
{
        check(defaults, "ok ${FOO-def}", "ok first");
}

TEST(default_may_hold_operator_characters)
{
        check(defaults, "ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric");
        check(defaults, "${UNSET_VAR-myerror?msg}", "myerror?msg");
}

TEST(default_may_hold_spaces_and_urls)
{
        check(defaults, "${DATABASE_URL:-postgres://app:secret@db:5432/app?sslmode=disable}",
              "postgres://app:secret@db:5432/app?sslmode=disable");
        check(defaults, "${GREETING:-hello, world}", "hello, world");
}

TEST(empty_default)
{
        check(defaults, "[${missing:-}]", "[]");
}

TEST(nested_braced_default)
{
        check(NULL, "${A:-${B:-c}}", "c");
        check((const char *const[]){"B", "b", NULL}, "${A:-${B:-c}}", "b");
        check((const char *const[]){"A", "a", "B", "b", NULL}, "${A:-${B:-c}}", "a");
}

TEST(nested_named_default)
{
        check(defaults, "ok ${UNSET_VAR-$FOO}", "ok first");
        check(defaults, "ok ${BAR:-$FOO}", "ok first");
}

TEST(default_with_several_nested_expressions)
{
        check(defaults, "ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first");
        check(defaults, "ok ${BAR:-${FOO} ${FOO}}", "ok first first");
}

TEST(three_levels_of_defaults)
{
        check((const char *const[]){"C", "c", NULL}, "${A:-${B:-${C:-d}}}", "c");
        check(NULL, "${A:-${B:-${C:-d}}}", "d");
}

TEST(outer_text_does_not_disturb_operators)
{
        check(defaults, "-ok ${BAR:-defaultValue}", "-ok defaultValue");
        check(defaults, "+ok ${UNSET:-${BAR-defaultValue}}", "+ok ");
        check(defaults, ":-ok ${UNSET-defaultValue}", ":-ok defaultValue");
        check(defaults, ":?ok ${BAR-defaultValue}", ":?ok ");
        check(defaults, ":+ok ${BAR:-defaultValue}", ":+ok defaultValue");
        check(defaults, "?ok ${BAR:-defaultValue}", "?ok defaultValue");
}

TEST(several_expressions_in_one_string)
{
        check(NULL, "${A:-x} and ${B:-y}", "x and y");
        check((const char *const[]){"HOST", "db", NULL}, "${HOST:-localhost}:${PORT:-5432}", "db:5432");
}

TEST(default_holding_a_json_object)
{
        /* compose-go counts every '{' when it looks for the closing brace. */
        check(NULL, "${OPTS:-{}}", "{}");
}

TEST(brace_counting_skips_the_character_after_an_opening_brace)
{
        /* compose-go's getFirstBraceClosingIndex skips the character after
         * every '{', so the "}" right after "{" does not close anything and
         * the default runs to the next balancing '}'. */
        check(NULL, "${A:-{}} tail}", "{}} tail");
}

TEST(text_after_the_closing_brace_is_kept)
{
        check(NULL, "${A:-a}b}", "ab}");
}

/* Alternate values */

TEST(alternate_when_set_and_not_empty)
{
        check(defaults, "ok ${FOO:+presence_value}", "ok presence_value");
}

TEST(alternate_not_used_when_empty)
{
        check(defaults, "ok ${BAR:+presence_value}", "ok ");
}

TEST(alternate_not_used_when_unset)
{
        check(defaults, "ok ${UNSET_VAR:+presence_value}", "ok ");
        check(defaults, "ok ${UNSET_VAR+presence_value}", "ok ");
}

TEST(plus_alternate_when_set_even_empty)
{
        check(defaults, "ok ${BAR+presence_value}", "ok presence_value");
        check(defaults, "ok ${FOO+presence_value}", "ok presence_value");
}

TEST(alternate_with_nested_expressions)
{
        check(defaults, "ok ${BAR+$FOO}", "ok first");
        check(defaults, "ok ${BAR+$FOO ${FOO:+second}}", "ok first second");
}

TEST(alternate_adds_an_optional_flag)
{
        check((const char *const[]){"DEBUG", "1", NULL}, "server ${DEBUG:+--log-level=debug} --port 80",
              "server --log-level=debug --port 80");
        check(NULL, "server ${DEBUG:+--log-level=debug} --port 80", "server  --port 80");
}

/* Required variables */

TEST(required_set_gives_value)
{
        check(defaults, "ok ${FOO:?err}", "ok first");
        check(defaults, "ok ${FOO?err}", "ok first");
}

TEST(required_question_mark_accepts_empty)
{
        check(defaults, "ok ${BAR?err}", "ok ");
}

TEST(required_unset_is_an_error)
{
        check_err(defaults, "${DB_PASS:?set DB_PASS}", NULL,
                  "required variable DB_PASS is missing a value: set DB_PASS");
        check_err(defaults, "not ok ${UNSET_VAR?Mandatory Variable Unset}", NULL,
                  "required variable UNSET_VAR is missing a value: Mandatory Variable Unset");
}

TEST(required_empty_is_an_error_with_colon)
{
        check_err(defaults, "not ok ${BAR:?Mandatory Variable Empty}", NULL,
                  "required variable BAR is missing a value: Mandatory Variable Empty");
}

TEST(required_without_message)
{
        check_err(defaults, "not ok ${UNSET_VAR:?}", NULL, "required variable UNSET_VAR is missing a value");
        check_err(defaults, "not ok ${UNSET_VAR?}", NULL, "required variable UNSET_VAR is missing a value");
}

TEST(required_message_is_interpolated)
{
        check_err(defaults, "not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}", NULL,
                  "required variable UNSET_VAR is missing a value: Mandatory Variable first");
}

TEST(required_message_may_hold_a_dash)
{
        check_err(defaults, "${UNSET_VAR?bar-baz}", NULL, "required variable UNSET_VAR is missing a value: bar-baz");
        check(defaults, "${FOO?bar-baz}", "first");
}

TEST(required_error_names_the_position)
{
        struct cc_pos pos = cc_pos_at("compose.yaml", 4, 26);
        check_err(NULL, "${POSTGRES_PASSWORD:?set it in .env}", &pos,
                  "compose.yaml:4:26: required variable POSTGRES_PASSWORD is missing a value: set it in .env");
}

TEST(required_inside_default_is_checked_even_when_unused)
{
        /* compose-go substitutes a default before it looks at the variable. */
        check_err(defaults, "${FOO:-${X:?need X}}", NULL, "required variable X is missing a value: need X");
}

TEST(first_error_wins)
{
        check_err(NULL, "${A:?first} ${B:?second}", NULL, "required variable A is missing a value: first");
}

/* Dollars */

TEST(double_dollar_is_a_literal_dollar)
{
        check(defaults, "$$", "$");
        check(defaults, "$${foo}", "${foo}");
        check(defaults, "$$FOO", "$FOO");
        check(defaults, "$$$FOO", "$first");
}

TEST(double_dollar_in_shell_command)
{
        check((const char *const[]){"HOME", "/root", NULL}, "sh -c 'echo $$HOME; exit $${CODE:-0}'",
              "sh -c 'echo $HOME; exit ${CODE:-0}'");
}

TEST(lone_dollar_is_kept)
{
        check(defaults, "a $ string", "a $ string");
        check(defaults, "^REGEX$", "^REGEX$");
        check(defaults, "$}", "$}");
        check(defaults, "$", "$");
        check(defaults, "costs 5$ or $-5", "costs 5$ or $-5");
}

TEST(dollar_before_digit_is_kept)
{
        check(defaults, "awk '{print $1}'", "awk '{print $1}'");
}

TEST(dollar_space_brace_is_kept)
{
        check(defaults, "$ {FOO}", "$ {FOO}");
}

TEST(named_mapping_syntax_is_kept)
{
        check(defaults, "${FOO[bar]} $FOO", "${FOO[bar]} first");
}

/* Invalid expressions */

TEST(unterminated_brace_is_invalid)
{
        check_err(defaults, "${", NULL, INVALID("${"));
        check_err(defaults, "image: ${TAG", NULL, INVALID("image: ${TAG"));
}

TEST(empty_and_spaced_names_are_invalid)
{
        check_err(defaults, "${}", NULL, INVALID("${}"));
        check_err(defaults, "${ }", NULL, INVALID("${ }"));
        check_err(defaults, "${ foo}", NULL, INVALID("${ foo}"));
        check_err(defaults, "${foo }", NULL, INVALID("${foo }"));
        check_err(defaults, "${A B}", NULL, INVALID("${A B}"));
}

TEST(bad_characters_in_braces_are_invalid)
{
        check_err(defaults, "${foo!}", NULL, INVALID("${foo!}"));
        check_err(defaults, "${1A}", NULL, INVALID("${1A}"));
        check_err(defaults, "${A.B}", NULL, INVALID("${A.B}"));
}

TEST(unsupported_operators_are_invalid)
{
        check_err(defaults, "${A:=x}", NULL, INVALID("${A:=x}"));
        check_err(defaults, "${A:}", NULL, INVALID("${A:}"));
        check_err(defaults, "${A#prefix}", NULL, INVALID("${A#prefix}"));
}

TEST(unterminated_default_is_invalid)
{
        check_err(defaults, "${A:-x", NULL, INVALID("${A:-x"));
}

TEST(default_does_not_span_lines)
{
        check_err(defaults, "${A:-x\n}", NULL, INVALID("${A:-x\n}"));
}

TEST(invalid_inside_default_names_the_default)
{
        check_err(defaults, "${A:-${}}", NULL, INVALID("${}"));
}

TEST(invalid_error_names_the_position)
{
        struct cc_pos pos = cc_pos_at("compose.yaml", 7, 14);
        check_err(defaults, "echo ${", &pos, "compose.yaml:7:14: " INVALID("echo ${"));
}

TEST(position_without_line_names_the_file)
{
        struct cc_pos pos = cc_pos_at("compose.yaml", 0, 0);
        check_err(NULL, "${X?}", &pos, "compose.yaml: required variable X is missing a value");
}

TEST(multi_line_text)
{
        check(defaults, "line1 ${FOO}\nline2 ${A:-d}\n$$done", "line1 first\nline2 d\n$done");
}

TEST(nesting_depth_is_limited)
{
        struct cc_buf ok = {0}, deep = {0};
        for (int i = 0; i < 20; i++)
                cc_buf_puts(&ok, "${A:-");
        cc_buf_puts(&ok, "x");
        for (int i = 0; i < 20; i++)
                cc_buf_puts(&ok, "}");
        check(NULL, ok.s, "x");

        for (int i = 0; i < 200; i++)
                cc_buf_puts(&deep, "${A:-");
        for (int i = 0; i < 200; i++)
                cc_buf_puts(&deep, "}");
        struct cc_error err = {0};
        char *out = NULL;
        ASSERT_INTEQ(cc_interpolate_str(deep.s, NULL, NULL, &out, &err), -EINVAL);
        ASSERT_CONTAINS(cc_error_msg(&err), "expressions nested too deeply");
        ASSERT_NULL(out);
        cc_error_clear(&err);
        cc_buf_free(&ok);
        cc_buf_free(&deep);
}

/* A lookup function */

static const char *upper_lookup(const char *name, void *userdata)
{
        int *calls = userdata;
        (*calls)++;
        return strcmp(name, "WHO") == 0 ? "world" : NULL;
}

TEST(lookup_function_is_asked_for_each_name)
{
        int calls = 0;
        char *out = NULL;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_lookup("hello $WHO${X:-!}", upper_lookup, &calls, &out, &err), 0);
        ASSERT_STREQ(out, "hello world!");
        ASSERT_INTEQ(calls, 2);
        free(out);
}

TEST(lookup_function_errors_carry_no_position)
{
        int calls = 0;
        char *out = NULL;
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_lookup("${NOPE:?}", upper_lookup, &calls, &out, &err), -EINVAL);
        ASSERT_STREQ(cc_error_msg(&err), "required variable NOPE is missing a value");
        cc_error_clear(&err);
}

/* Trees */

static struct cc_node *parse(const char *y)
{
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        if (cc_yaml_parse(y, strlen(y), "t.yaml", &n, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return n;
}

static struct cc_node *at(struct cc_node *n, const char *path)
{
        _cleanup_free_ char *p = cc_xstrdup(path);
        char *save = NULL;
        for (char *k = strtok_r(p, ".", &save); k && n; k = strtok_r(NULL, ".", &save)) {
                if (cc_node_is_seq(n))
                        n = (size_t) atoi(k) < n->n ? n->items[atoi(k)] : NULL;
                else
                        n = cc_node_map_get(n, k);
        }
        if (!n)
                tap_fail(__FILE__, __LINE__, "no node at %s", path);
        return n;
}

static void tree(const char *const *kv, struct cc_node *root)
{
        struct cc_env env = mkenv(kv);
        struct cc_error err = {0};
        if (cc_interpolate_tree(root, &env, &err) < 0)
                tap_fail(__FILE__, __LINE__, "interpolate tree: %s", cc_error_msg(&err));
        cc_env_free(&env);
}

TEST(tree_substitutes_values_in_maps_and_sequences)
{
        struct cc_node *n = parse("services:\n"
                                  "  web:\n"
                                  "    image: \"myapp:${TAG:-latest}\"\n"
                                  "    command: [\"serve\", \"--port\", \"${PORT}\"]\n"
                                  "    environment:\n"
                                  "      - DB_HOST=${DB_HOST:-db}\n");
        tree((const char *const[]){"PORT", "8080", NULL}, n);
        ASSERT_STREQ(at(n, "services.web.image")->str, "myapp:latest");
        ASSERT_STREQ(at(n, "services.web.command.0")->str, "serve");
        ASSERT_STREQ(at(n, "services.web.command.2")->str, "8080");
        ASSERT_STREQ(at(n, "services.web.environment.0")->str, "DB_HOST=db");
        cc_node_free(n);
}

TEST(tree_leaves_mapping_keys_alone)
{
        struct cc_node *n = parse("environment:\n  ${KEY}: $VAL\n  PLAIN: x\n");
        tree((const char *const[]){"KEY", "k", "VAL", "v", NULL}, n);
        struct cc_node *e = at(n, "environment");
        ASSERT_STREQ(cc_node_key(e, 0), "${KEY}");
        ASSERT_STREQ(e->items[0]->str, "v");
        ASSERT_STREQ(cc_node_key(e, 1), "PLAIN");
        cc_node_free(n);
}

TEST(tree_marks_changed_scalars_as_interpolated_strings)
{
        struct cc_node *n = parse("ports:\n  - target: 80\n    published: \"${PORT}\"\nreplicas: ${N}\n");
        tree((const char *const[]){"PORT", "8080", "N", "3", NULL}, n);
        struct cc_node *p = at(n, "ports.0.published");
        ASSERT_STREQ(p->str, "8080");
        ASSERT_INTEQ(p->type, CC_STR);
        ASSERT(p->flags & CC_NODE_INTERPOLATED);
        ASSERT(!p->quoted);
        ASSERT_INTEQ(p->pos.line, 3);
        ASSERT_INTEQ(p->pos.col, 16);
        struct cc_node *r = at(n, "replicas");
        ASSERT_STREQ(r->str, "3");
        ASSERT_INTEQ(r->type, CC_STR);
        ASSERT(r->flags & CC_NODE_INTERPOLATED);
        cc_node_free(n);
}

TEST(tree_leaves_unchanged_scalars_alone)
{
        struct cc_node *n = parse("image: nginx\nport: 80\ndebug: true\nnote: 'costs 5$'\nnothing: ~\n");
        tree(defaults, n);
        ASSERT_STREQ(at(n, "image")->str, "nginx");
        ASSERT_INTEQ(at(n, "image")->flags, 0);
        ASSERT_INTEQ(at(n, "port")->type, CC_INT);
        ASSERT_INTEQ(at(n, "port")->flags, 0);
        ASSERT_INTEQ(at(n, "debug")->type, CC_BOOL);
        struct cc_node *note = at(n, "note");
        ASSERT_STREQ(note->str, "costs 5$");
        ASSERT_INTEQ(note->flags, 0);
        ASSERT(note->quoted);
        ASSERT_INTEQ(at(n, "nothing")->type, CC_NULL);
        cc_node_free(n);
}

TEST(tree_escaped_dollar_counts_as_a_change)
{
        struct cc_node *n = parse("healthcheck:\n  test: [\"CMD-SHELL\", \"test -n \\\"$${HOSTNAME}\\\"\"]\n");
        tree(defaults, n);
        struct cc_node *t = at(n, "healthcheck.test.1");
        ASSERT_STREQ(t->str, "test -n \"${HOSTNAME}\"");
        ASSERT(t->flags & CC_NODE_INTERPOLATED);
        cc_node_free(n);
}

TEST(tree_keeps_reset_and_override_flags)
{
        struct cc_node *n = parse("image: !override \"app:${TAG:-dev}\"\n");
        tree(NULL, n);
        struct cc_node *i = at(n, "image");
        ASSERT_STREQ(i->str, "app:dev");
        ASSERT(i->flags & CC_NODE_OVERRIDE);
        ASSERT(i->flags & CC_NODE_INTERPOLATED);
        cc_node_free(n);
}

TEST(tree_required_error_names_file_line_and_column)
{
        struct cc_node *n = parse("services:\n"
                                  "  db:\n"
                                  "    environment:\n"
                                  "      POSTGRES_PASSWORD: ${DB_PASS:?set DB_PASS}\n");
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_tree(n, NULL, &err), -EINVAL);
        ASSERT_STREQ(cc_error_msg(&err), "t.yaml:4:26: required variable DB_PASS is missing a value: set DB_PASS");
        cc_error_clear(&err);
        cc_node_free(n);
}

TEST(tree_invalid_error_names_file_line_and_column)
{
        struct cc_node *n = parse("x:\n  - ok\n  - \"echo ${\"\n");
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_tree(n, NULL, &err), -EINVAL);
        ASSERT_STREQ(cc_error_msg(&err), "t.yaml:3:5: " INVALID("echo ${"));
        cc_error_clear(&err);
        cc_node_free(n);
}

TEST(tree_block_scalar_is_substituted_line_by_line)
{
        struct cc_node *n = parse("command: |\n  echo ${GREETING:-hi}\n  echo $$PATH\n");
        tree(NULL, n);
        ASSERT_STREQ(at(n, "command")->str, "echo hi\necho $PATH\n");
        cc_node_free(n);
}

TEST(tree_of_nothing_is_fine)
{
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_tree(NULL, NULL, &err), 0);
        ASSERT_NULL(err.msg);
}

TEST(tree_notes_each_unset_variable_once)
{
        struct cc_node *n = parse("x:\n  - $i $i ${j}\n  - ${k:-d} ${l-} ${m:+a} $$n\n  - ${i}\n");
        struct cc_strv unset = {0};
        struct cc_error err = {0};
        ASSERT_INTEQ(cc_interpolate_tree_unset(n, NULL, &unset, &err), 0);
        ASSERT_INTEQ(unset.n, 2);
        ASSERT_STREQ(unset.v[0], "i");
        ASSERT_STREQ(unset.v[1], "j");
        cc_strv_free(&unset);
        cc_node_free(n);
}

/* config --variables: names, defaults, alternatives and required ones, as
 * compose-go's template.ExtractVariables finds them; $$ is no variable. */
TEST(variables_of_a_model)
{
        _cleanup_node_ struct cc_node *n = cc_node_new_map(NULL);
        cc_node_map_set(n, "a", NULL, cc_node_new_str("${IMAGE:-nginx}:${TAG?need a tag} $$NOT $PLAIN", NULL));
        cc_node_map_set(n, "b", NULL, cc_node_new_str("${OUTER:-${INNER-deep}} ${ALT:+on}", NULL));
        struct cc_variables v = {0};
        cc_variables_collect(n, &v);
        ASSERT_INTEQ(v.n, 6);
        const char *names[] = {"ALT", "IMAGE", "INNER", "OUTER", "PLAIN", "TAG"};
        for (size_t i = 0; i < v.n; i++)
                ASSERT_STREQ(v.v[i].name, names[i]);
        ASSERT_STREQ(v.v[0].alt, "on");
        ASSERT_STREQ(v.v[1].def, "nginx");
        ASSERT_STREQ(v.v[2].def, "deep");
        ASSERT_STREQ(v.v[3].def, "${INNER-deep}");
        ASSERT(v.v[5].required);
        ASSERT(!v.v[4].required);
        cc_variables_free(&v);
}

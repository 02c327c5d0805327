#include "node.h"
#include "tap.h"

static struct cc_node *parse(const char *y)
{
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        if (cc_yaml_parse(y, strlen(y), "t.yaml", &n, &err) < 0)
                tap_fail(__FILE__, __LINE__, "parse: %s", cc_error_msg(&err));
        return n;
}

/* The parse error (kept in a static buffer). */
static const char *parse_err(const char *y)
{
        static char msg[2048];
        struct cc_error err = {0};
        struct cc_node *n = NULL;
        int r = cc_yaml_parse(y, strlen(y), "t.yaml", &n, &err);
        if (r >= 0)
                tap_fail(__FILE__, __LINE__, "expected a parse error for: %s", y);
        snprintf(msg, sizeof(msg), "%s", cc_error_msg(&err));
        cc_error_clear(&err);
        return msg;
}

/* Compact JSON of n; the last two results stay valid. */
static const char *json(const struct cc_node *n)
{
        static char out[2][4096];
        static int k;
        struct cc_buf b = {0};
        cc_emit_json(&b, n, 0);
        k ^= 1;
        snprintf(out[k], sizeof(out[k]), "%s", b.s);
        cc_buf_free(&b);
        return out[k];
}

TEST(scalar_types_resolve_like_yaml_1_2)
{
        _cleanup_node_ struct cc_node *n = parse("a: 1\nb: '1'\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 0x1F\nh: \"x\"\ni:\n");
        ASSERT_STREQ(json(n), "{\"a\":1,\"b\":\"1\",\"c\":true,\"d\":\"yes\",\"e\":null,\"f\":1.5,\"g\":31,\"h\":\"x\",\"i\":null}");
}

TEST(leading_zero_integers_are_octal_like_go_yaml)
{
        _cleanup_node_ struct cc_node *n = parse("mode: 0440\nplain: 440\nzero: 0\n");
        ASSERT_STREQ(json(n), "{\"mode\":288,\"plain\":440,\"zero\":0}");
}

TEST(positions_are_kept)
{
        _cleanup_node_ struct cc_node *n = parse("services:\n  web:\n    image: nginx\n");
        struct cc_node *img = cc_node_map_get(cc_node_map_get(cc_node_map_get(n, "services"), "web"), "image");
        ASSERT_NOT_NULL(img);
        ASSERT_INTEQ(img->pos.line, 3);
        ASSERT_INTEQ(img->pos.col, 12);
        ASSERT_STREQ(cc_pos_file(&img->pos), "t.yaml");
}

TEST(anchors_and_aliases_are_copied)
{
        _cleanup_node_ struct cc_node *n = parse("x: &a [1, 2]\ny: *a\n");
        ASSERT_STREQ(json(n), "{\"x\":[1,2],\"y\":[1,2]}");
}

TEST(merge_keys_do_not_override_explicit_keys)
{
        _cleanup_node_ struct cc_node *n = parse("base: &b\n  image: a\n  restart: always\nweb:\n  image: b\n  <<: *b\n");
        ASSERT_STREQ(json(cc_node_map_get(n, "web")), "{\"image\":\"b\",\"restart\":\"always\"}");
}

TEST(merge_key_sequence_first_wins)
{
        _cleanup_node_ struct cc_node *n = parse("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n");
        ASSERT_STREQ(json(cc_node_map_get(n, "c")), "{\"x\":1,\"y\":2}");
}

TEST(merge_key_in_nested_mapping)
{
        _cleanup_node_ struct cc_node *n = parse("x-env: &env\n  A: 1\nservices:\n  web:\n    environment:\n      <<: *env\n      B: 2\n");
        ASSERT_STREQ(json(cc_node_map_get(cc_node_map_get(cc_node_map_get(n, "services"), "web"), "environment")),
                     "{\"B\":2,\"A\":1}");
}

TEST(reset_and_override_tags_become_flags)
{
        _cleanup_node_ struct cc_node *n = parse("a: !reset []\nb: !override {x: 1}\n");
        ASSERT(cc_node_map_get(n, "a")->flags & CC_NODE_RESET);
        ASSERT(cc_node_map_get(n, "b")->flags & CC_NODE_OVERRIDE);
}

TEST(duplicate_key_is_an_error_with_both_lines)
{
        const char *m = parse_err("a: 1\nb: 2\na: 3\n");
        ASSERT_CONTAINS(m, "t.yaml:3:1");
        ASSERT_CONTAINS(m, "mapping key \"a\" already defined at line 1");
}

TEST(syntax_error_names_line_and_column)
{
        const char *m = parse_err("services:\n  web:\n    image: [a\n");
        ASSERT_CONTAINS(m, "t.yaml:");
        ASSERT_CONTAINS(m, "yaml:");
}

TEST(unknown_alias_is_an_error)
{
        ASSERT_CONTAINS(parse_err("a: *nope\n"), "unknown anchor 'nope'");
}

TEST(alias_bomb_is_refused)
{
        const char *y = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        ASSERT_CONTAINS(parse_err(y), "too large");
}

TEST(empty_document_is_null)
{
        struct cc_error err = {0};
        struct cc_node *n = (struct cc_node *) 1;
        ASSERT_INTEQ(cc_yaml_parse("# nothing\n", 10, "t.yaml", &n, &err), 0);
        ASSERT_NULL(n);
}

/* A stream of documents: empty ones are left out, anchors stay in their
 * document, and one document is what cc_yaml_parse takes. */
TEST(documents_of_a_stream)
{
        struct cc_error err = {0};
        const char *y = "a: &x 1\n---\n# empty\n---\nb: 2\n";
        _cleanup_node_ struct cc_node *docs = NULL;
        ASSERT_INTEQ(cc_yaml_parse_documents(y, strlen(y), "t.yaml", &docs, &err), 0);
        ASSERT_INTEQ(docs->n, 2);
        ASSERT_STREQ(cc_node_map_str(docs->items[1], "b"), "2");
        const char *alias = "a: &x 1\n---\nb: *x\n";
        _cleanup_node_ struct cc_node *bad = NULL;
        ASSERT(cc_yaml_parse_documents(alias, strlen(alias), "t.yaml", &bad, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "unknown anchor");
        cc_error_clear(&err);
        _cleanup_node_ struct cc_node *empty = NULL;
        ASSERT_INTEQ(cc_yaml_parse_documents("# only a comment\n", 17, "t.yaml", &empty, &err), 0);
        ASSERT_INTEQ(empty->n, 0);
        struct cc_node *one = NULL;
        ASSERT(cc_yaml_parse(y, strlen(y), "t.yaml", &one, &err) < 0);
        ASSERT_CONTAINS(cc_error_msg(&err), "multiple documents");
        cc_error_clear(&err);
}

TEST(yaml_emitter_quotes_ambiguous_strings)
{
        _cleanup_node_ struct cc_node *n = parse("a: '8080'\nb: 'true'\nc: plain text\nd: ''\ne: 'x: y'\nf: '- x'\ng: 'yes'\nh: [1, 'a']\ni: {}\n");
        struct cc_buf b __attribute__((cleanup(cc_buf_free))) = {0};
        cc_emit_yaml(&b, n);
        ASSERT_STREQ(b.s, "a: \"8080\"\nb: \"true\"\nc: plain text\nd: \"\"\ne: \"x: y\"\nf: \"- x\"\ng: \"yes\"\nh:\n  - 1\n  - a\ni: {}\n");
}

TEST(yaml_emitter_nests_maps_in_sequences)
{
        _cleanup_node_ struct cc_node *n = parse("ports:\n  - {target: 80, published: '8080'}\n  - target: 81\n");
        struct cc_buf b __attribute__((cleanup(cc_buf_free))) = {0};
        cc_emit_yaml(&b, n);
        ASSERT_STREQ(b.s, "ports:\n  - target: 80\n    published: \"8080\"\n  - target: 81\n");
}

TEST(yaml_output_parses_back_to_the_same_json)
{
        const char *y = "a:\n  b: [1, \"x\\ny\", {c: null}]\n  'k:ey': \"#v\"\n  e: -1\n";
        _cleanup_node_ struct cc_node *n = parse(y);
        struct cc_buf b __attribute__((cleanup(cc_buf_free))) = {0};
        cc_emit_yaml(&b, n);
        _cleanup_node_ struct cc_node *m = parse(b.s);
        ASSERT_STREQ(json(m), json(n));
}

TEST(json_is_html_escaped_like_go)
{
        _cleanup_node_ struct cc_node *n = parse("a: '<&>'\n");
        ASSERT_STREQ(json(n), "{\"a\":\"\\u003c\\u0026\\u003e\"}");
}

TEST(map_set_replaces_in_place_and_sort_orders_keys)
{
        _cleanup_node_ struct cc_node *m = cc_node_new_map(NULL);
        cc_node_map_set(m, "b", NULL, cc_node_new_int(1, NULL));
        cc_node_map_set(m, "a", NULL, cc_node_new_int(2, NULL));
        cc_node_map_set(m, "b", NULL, cc_node_new_int(3, NULL));
        ASSERT_STREQ(json(m), "{\"b\":3,\"a\":2}");
        cc_node_map_sort(m);
        ASSERT_STREQ(json(m), "{\"a\":2,\"b\":3}");
        cc_node_map_del(m, "a");
        ASSERT_STREQ(json(m), "{\"b\":3}");
}

/* 50,000 keys (far over CC_NODE_INDEX_MIN): every lookup finds its own
 * value, missing keys stay missing, a duplicate key is still reported with
 * both lines, and lookups stay right after the map is changed. Not timed:
 * bench/load-large.sh measures the speed. */
TEST(very_large_map_lookups_and_duplicates)
{
        enum { N = 50000 };
        struct cc_buf y = {0};
        for (int i = 0; i < N; i++)
                cc_buf_printf(&y, "key%d: %d\n", i, i);
        _cleanup_node_ struct cc_node *m = parse(y.s);
        ASSERT_INTEQ(m->n, N);
        for (int i = 0; i < N; i += 7) {
                char k[32];
                snprintf(k, sizeof(k), "key%d", i);
                ASSERT_INTEQ(cc_node_map_index(m, k), i);
                ASSERT_INTEQ(atoi(cc_node_map_str(m, k)), i);
        }
        ASSERT_NULL(cc_node_map_get(m, "key50000"));
        ASSERT_NULL(cc_node_map_get(m, "key"));

        /* changes: take, append, replace, sort */
        cc_node_map_del(m, "key0");
        ASSERT_NULL(cc_node_map_get(m, "key0"));
        ASSERT_INTEQ(cc_node_map_index(m, "key1"), 0);
        cc_node_map_set(m, "extra", NULL, cc_node_new_str("x", NULL));
        ASSERT_INTEQ(cc_node_map_index(m, "extra"), N - 1);
        cc_node_map_set(m, "key49999", NULL, cc_node_new_str("replaced", NULL));
        ASSERT_STREQ(cc_node_map_str(m, "key49999"), "replaced");
        ASSERT_INTEQ(m->n, N);
        cc_node_map_sort(m);
        ASSERT_STREQ(cc_node_key(m, 0), "extra");
        ASSERT_STREQ(cc_node_key(m, 1), "key1");
        ASSERT_STREQ(cc_node_key(m, 2), "key10");
        for (size_t i = 1; i < m->n; i++)
                ASSERT(strcmp(cc_node_key(m, i - 1), cc_node_key(m, i)) < 0);
        ASSERT_INTEQ(cc_node_map_index(m, "key10"), 2);
        ASSERT_STREQ(cc_node_map_str(m, "key12345"), "12345");

        /* the same key again at the end of the file */
        cc_buf_puts(&y, "key31337: again\n");
        const char *msg = parse_err(y.s);
        _cleanup_free_ char *want = cc_xasprintf("t.yaml:%d:1: yaml: mapping key \"key31337\" already defined at line 31338", N + 1);
        ASSERT_STREQ(msg, want);
        cc_buf_free(&y);
}

/* Small maps answer most lookups of a missing key from a filter of their
 * keys: it must hold through every way keys come and go. */
TEST(small_map_lookups_through_changes)
{
        _cleanup_node_ struct cc_node *m = parse("image: x\ncommand: y\ncpus: 1\ncpu_shares: 2\n\"\": empty\n");
        ASSERT_INTEQ(cc_node_map_index(m, "image"), 0);
        ASSERT_INTEQ(cc_node_map_index(m, "cpu_shares"), 3);
        ASSERT_INTEQ(cc_node_map_index(m, ""), 4);
        ASSERT_INTEQ(cc_node_map_index(m, "cpu"), -1);
        ASSERT_INTEQ(cc_node_map_index(m, "cpu_sharesx"), -1);
        ASSERT_INTEQ(cc_node_map_index(m, "labels"), -1);

        /* moved and dropped in place by other code, then reordered */
        cc_node_free(m->items[1]);
        cc_node_free(m->keys[1]);
        m->items[1] = m->items[4];
        m->keys[1] = m->keys[4];
        m->n = 4;
        cc_node_map_reordered(m);
        ASSERT_INTEQ(cc_node_map_index(m, ""), 1);
        ASSERT_INTEQ(cc_node_map_index(m, "command"), -1);

        /* past the index size and back */
        char key[16];
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                cc_node_map_append(m, key, NULL, cc_node_new_int(i, NULL));
        }
        ASSERT_INTEQ(cc_node_map_index(m, "k39"), 43);
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                cc_node_map_del(m, key);
        }
        ASSERT_INTEQ(m->n, 4);
        ASSERT_INTEQ(cc_node_map_index(m, "cpus"), 2);
        ASSERT_INTEQ(cc_node_map_index(m, "k3"), -1);

        /* a copy and a moved-out map look up the same; the shell is empty */
        _cleanup_node_ struct cc_node *c = cc_node_copy(m);
        _cleanup_node_ struct cc_node *mv = cc_node_move(c);
        ASSERT_INTEQ(c->n, 0);
        ASSERT_INTEQ(cc_node_map_index(c, "cpus"), -1);
        ASSERT_INTEQ(cc_node_map_index(mv, "cpus"), 2);
        ASSERT_STREQ(cc_node_map_str(mv, "image"), "x");
        cc_node_map_set(c, "image", NULL, cc_node_new_str("z", NULL));
        ASSERT_STREQ(cc_node_map_str(c, "image"), "z");
        cc_node_map_sort(mv);
        ASSERT_STREQ(cc_node_key(mv, 0), "");
        ASSERT_INTEQ(cc_node_map_index(mv, "image"), 3);
}

/* Texts made by the loader: short ones are shared, set ones are copies. */
TEST(scalar_texts_shared_and_set)
{
        _cleanup_node_ struct cc_node *a = cc_node_new_str("tcp", NULL);
        _cleanup_node_ struct cc_node *b = cc_node_copy(a);
        cc_node_set_scalar(b, "a longer text than the room of a short one", CC_STR);
        ASSERT_STREQ(a->str, "tcp");
        ASSERT_STREQ(b->str, "a longer text than the room of a short one");
        _cleanup_node_ struct cc_node *t = cc_node_new_bool(true, NULL);
        _cleanup_node_ struct cc_node *n = cc_node_new_null(NULL);
        ASSERT_STREQ(t->str, "true");
        ASSERT_STREQ(n->str, "null");
        ASSERT(cc_node_is_null(n));
        struct cc_buf long_text = {0};
        for (int i = 0; i < 100; i++)
                cc_buf_puts(&long_text, "0123456789");
        _cleanup_node_ struct cc_node *l = cc_node_new_str(long_text.s, NULL);
        ASSERT_STREQ(l->str, long_text.s);
        cc_buf_free(&long_text);
}

/* Positions are 8 bytes: lines and columns past 2^24 - 1 are cut. */
TEST(positions_saturate)
{
        struct cc_pos p = cc_pos_at("big.yaml", 20000000, 3);
        ASSERT_INTEQ(p.line, CC_POS_MAX);
        ASSERT_INTEQ(p.col, 3);
        ASSERT_STREQ(cc_pos_file(&p), "big.yaml");
        _cleanup_free_ char *s = cc_pos_str(&p);
        ASSERT_STREQ(s, "big.yaml:16777215:3");
        struct cc_pos none = {0};
        ASSERT_NULL(cc_pos_file(&none));
        _cleanup_free_ char *s2 = cc_pos_str(&none);
        ASSERT_STREQ(s2, "<input>");
}

/* printf into a buffer: texts shorter and longer than the room it has and
 * than the stack buffer it formats into first. */
TEST(buf_printf_any_length)
{
        for (size_t len = 250; len < 262; len++) {
                struct cc_buf b = {0};
                cc_buf_puts(&b, "ab");
                cc_buf_printf(&b, "%0*d", (int) len, 7);
                ASSERT_INTEQ(b.len, len + 2);
                ASSERT_INTEQ(strlen(b.s), len + 2);
                ASSERT(b.s[len + 1] == '7' && b.s[2] == '0');
                cc_buf_printf(&b, "%s", "!");
                ASSERT_INTEQ(strlen(b.s), len + 3);
                cc_buf_free(&b);
                _cleanup_free_ char *s = cc_xasprintf("%0*d", (int) len, 5);
                ASSERT_INTEQ(strlen(s), len);
        }
}

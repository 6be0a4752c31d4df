/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The document parser (lib/node.c and friends): YAML and JSON into the
 * node tree, positions, diagnostics, limits and hostile input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "node_load.h"

/* One parse with its own context, arena and diagnostics. */
typedef struct parsed {
    gwr_ctx *ctx;
    gwr_arena arena;
    gwr_diag_list diags;
    gwr_docs docs;
    int rc;
} parsed;

static parsed P;

static int
setup(void **state)
{
    (void)state;
    memset(&P, 0, sizeof(P));
    if (gwr_ctx_new(&P.ctx, NULL, NULL, NULL) != GWR_OK)
        return -1;
    gwr_arena__init(&P.arena, P.ctx);
    gwr_diag__list_init(&P.diags, P.ctx);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    gwr_diag__list_free(&P.diags);
    gwr_arena__free(&P.arena);
    gwr_ctx_free(P.ctx);
    return 0;
}

/* Start over between parses inside one test. */
static void
reset(void)
{
    teardown(NULL);
    assert_int_equal(setup(NULL), 0);
}

static int
parse_n(const char *text, size_t len, uint32_t format)
{
    gwr_str src = GWR_STR_LIT("test.yaml");
    gwr_str t = { text, len };
    P.docs.n = 12345;    /* must be reset by the parser */
    P.rc = gwr_node__parse(&P.arena, &P.diags, src, t, format, &P.docs);
    if (P.rc != GWR_OK) {
        assert_int_equal(P.docs.n, 0);
        assert_null(P.docs.docs);
    }
    return P.rc;
}

static int
parse(const char *text, uint32_t format)
{
    return parse_n(text, strlen(text), format);
}

static char *
data_file(const char *name, size_t *len)
{
    const char *dir = getenv("GWR_TEST_DATA");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof(path), "%s/node/%s", dir, name);
    return test_read_file(path, len);
}

static int
parse_file(const char *name, uint32_t format)
{
    size_t len = 0;
    char *text = data_file(name, &len);
    int rc = parse_n(text, len, format);
    free(text);
    return rc;
}

/* Diagnostic i is sev at line:col on field with exactly message msg. */
static void
expect_diag(size_t i, uint32_t sev, uint32_t line, uint32_t col,
            const char *field, const char *msg)
{
    if (i >= P.diags.n)
        fail_msg("no diagnostic %zu (have %zu)", i, P.diags.n);
    const struct gwr_diag *d = P.diags.items[i];
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    gwr_diag__format(d, &b);
    printf("# %s\n", b.ptr);
    gwr_buf__free(&b);
    assert_int_equal(d->severity, sev);
    assert_int_equal(d->line, line);
    assert_int_equal(d->col, col);
    assert_string_equal(d->source.ptr, "test.yaml");
    assert_int_equal(d->kind.len + d->ns.len + d->name.len, 0);
    assert_string_equal(d->field.ptr, field);
    assert_string_equal(d->message.ptr, msg);
}

/* The only diagnostic is this error. */
static void
expect_error(int rc, uint32_t line, uint32_t col, const char *field,
             const char *msg)
{
    assert_int_equal(P.rc, rc);
    expect_diag(0, GWR_DIAG_ERROR, line, col, field, msg);
    assert_int_equal(P.diags.n, 1);
}

static const gwr_node *
doc(size_t i)
{
    assert_true(i < P.docs.n);
    assert_non_null(P.docs.docs[i]);
    return P.docs.docs[i];
}

static const gwr_node *
get(const gwr_node *map, const char *key)
{
    const gwr_node *n = gwr_node__get(map, key);
    if (n == NULL)
        fail_msg("no key %s", key);
    return n;
}

static void
expect_scalar(const gwr_node *n, uint32_t type, const char *text)
{
    assert_non_null(n);
    if (n->type != type)
        fail_msg("\"%s\": type %s, expected %s", n->text.ptr,
                 gwr_node__type_name(n->type), gwr_node__type_name(type));
    assert_string_equal(n->text.ptr, text);
    assert_int_equal(n->text.len, strlen(text));
}

static void
expect_at(const gwr_node *n, uint32_t line, uint32_t col)
{
    assert_non_null(n);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

/* ---- YAML values ------------------------------------------------------- */

static const char scalars_yaml[] =
    "n1: null\nn2: Null\nn3: NULL\nn4: ~\nn5:\n"
    "b1: true\nb2: True\nb3: FALSE\n"
    "i1: 42\ni2: -17\ni3: +5\ni4: 0x1F\ni5: 0o17\ni6: 007\n"
    "f1: 1.5\nf2: .5\nf3: 1e3\nf4: -.inf\nf5: .NaN\nf6: 1.\nf7: +2.5E-3\n"
    "s1: yes\ns2: on\ns3: \"12\"\ns4: '0x1F'\ns5: !!str 12\ns6: ! true\n"
    "s7: 0x\ns8: 1.2.3\ns9: |\n  line1\n  line2\ns10: >\n  folded\n  text\n"
    "s11: \"true\"\ns12: \"\"\ns13: 'it''s'\ns14: \"tab\\there\\u00e9\"\n"
    "s15: .inf.\ns16: 1e\ns17: NaN\n"
    "t1: !!int \"12\"\nt2: !!float 3\nt3: !!bool \"false\"\nt4: !!null \"\"\n";

static void
test_node_yaml_scalars(void **state)
{
    (void)state;
    assert_int_equal(parse(scalars_yaml, GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(P.diags.n, 0);
    assert_int_equal(P.docs.n, 1);
    const gwr_node *m = doc(0);
    assert_int_equal(m->type, GWR_NODE_MAP);
    expect_scalar(get(m, "n1"), GWR_NODE_NULL, "null");
    expect_scalar(get(m, "n2"), GWR_NODE_NULL, "Null");
    expect_scalar(get(m, "n3"), GWR_NODE_NULL, "NULL");
    expect_scalar(get(m, "n4"), GWR_NODE_NULL, "~");
    expect_scalar(get(m, "n5"), GWR_NODE_NULL, "");
    expect_scalar(get(m, "b1"), GWR_NODE_BOOL, "true");
    assert_int_equal(get(m, "b1")->bval, 1);
    expect_scalar(get(m, "b2"), GWR_NODE_BOOL, "True");
    expect_scalar(get(m, "b3"), GWR_NODE_BOOL, "FALSE");
    assert_int_equal(get(m, "b3")->bval, 0);
    static const struct { const char *k; int64_t v; } ints[] = {
        { "i1", 42 }, { "i2", -17 }, { "i3", 5 }, { "i4", 31 },
        { "i5", 15 }, { "i6", 7 }, { "t1", 12 },
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(ints); i++) {
        assert_int_equal(get(m, ints[i].k)->type, GWR_NODE_INT);
        assert_int_equal(get(m, ints[i].k)->ival, ints[i].v);
    }
    expect_scalar(get(m, "i4"), GWR_NODE_INT, "0x1F");
    const char *floats[] = { "f1", "f2", "f3", "f4", "f5", "f6", "f7", "t2" };
    for (size_t i = 0; i < GWR_ARRAY_LEN(floats); i++)
        assert_int_equal(get(m, floats[i])->type, GWR_NODE_FLOAT);
    expect_scalar(get(m, "f4"), GWR_NODE_FLOAT, "-.inf");
    expect_scalar(get(m, "s1"), GWR_NODE_STRING, "yes");
    expect_scalar(get(m, "s2"), GWR_NODE_STRING, "on");
    expect_scalar(get(m, "s3"), GWR_NODE_STRING, "12");
    expect_scalar(get(m, "s4"), GWR_NODE_STRING, "0x1F");
    expect_scalar(get(m, "s5"), GWR_NODE_STRING, "12");
    expect_scalar(get(m, "s6"), GWR_NODE_STRING, "true");
    expect_scalar(get(m, "s7"), GWR_NODE_STRING, "0x");
    expect_scalar(get(m, "s8"), GWR_NODE_STRING, "1.2.3");
    expect_scalar(get(m, "s9"), GWR_NODE_STRING, "line1\nline2\n");
    expect_scalar(get(m, "s10"), GWR_NODE_STRING, "folded text\n");
    expect_scalar(get(m, "s11"), GWR_NODE_STRING, "true");
    expect_scalar(get(m, "s12"), GWR_NODE_STRING, "");
    expect_scalar(get(m, "s13"), GWR_NODE_STRING, "it's");
    expect_scalar(get(m, "s14"), GWR_NODE_STRING, "tab\there\xc3\xa9");
    expect_scalar(get(m, "s15"), GWR_NODE_STRING, ".inf.");
    expect_scalar(get(m, "s16"), GWR_NODE_STRING, "1e");
    expect_scalar(get(m, "s17"), GWR_NODE_STRING, "NaN");
    expect_scalar(get(m, "t3"), GWR_NODE_BOOL, "false");
    expect_scalar(get(m, "t4"), GWR_NODE_NULL, "");
    /* Containers have empty text. */
    assert_string_equal(m->text.ptr, "");
}

static void
test_node_yaml_tags(void **state)
{
    (void)state;
    /* Unknown tags: a warning, and the value read by its content. */
    assert_int_equal(parse("a: !foo 12\nb: !!binary aGk=\nc: !bar [1]\n",
                           GWR_TEXT_YAML), GWR_OK);
    expect_diag(0, GWR_DIAG_WARNING, 1, 4, "a", "unknown tag \"!foo\" ignored");
    expect_diag(1, GWR_DIAG_WARNING, 2, 4, "b",
                "unknown tag \"!!binary\" ignored");
    expect_diag(2, GWR_DIAG_WARNING, 3, 4, "c", "unknown tag \"!bar\" ignored");
    assert_int_equal(get(doc(0), "a")->type, GWR_NODE_INT);
    assert_int_equal(get(doc(0), "c")->type, GWR_NODE_SEQ);

    reset();
    assert_int_equal(parse("a: !!int x\nb: !!map 1\nc: !!str [1]\n"
                           "d: !!bool yes\ne: !!int 0x8000000000000000\n",
                           GWR_TEXT_YAML), GWR_E_PARSE);
    expect_diag(0, GWR_DIAG_ERROR, 1, 4, "a", "\"x\" is not a valid !!int");
    expect_diag(1, GWR_DIAG_ERROR, 2, 4, "b",
                "tag !!map does not apply to a scalar");
    expect_diag(2, GWR_DIAG_ERROR, 3, 4, "c",
                "tag !!str does not apply to a list");
    expect_diag(3, GWR_DIAG_ERROR, 4, 4, "d", "\"yes\" is not a valid !!bool");
    expect_diag(4, GWR_DIAG_ERROR, 5, 4, "e", "integer out of range");
}

static void
test_node_yaml_multi_doc(void **state)
{
    (void)state;
    assert_int_equal(parse("a: 1\n---\n---\n- x\n---\n# nothing\n...\n"
                           "--- 7\n", GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(P.docs.n, 5);
    assert_int_equal(doc(0)->type, GWR_NODE_MAP);
    assert_int_equal(doc(1)->type, GWR_NODE_NULL);    /* empty document */
    assert_int_equal(doc(2)->type, GWR_NODE_SEQ);
    assert_int_equal(doc(3)->type, GWR_NODE_NULL);
    assert_int_equal(doc(4)->type, GWR_NODE_INT);
    expect_at(doc(4), 8, 5);

    /* No document at all: an empty stream. */
    reset();
    assert_int_equal(parse("", GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(P.docs.n, 0);
    assert_int_equal(parse("# only a comment\n\n", GWR_TEXT_AUTO), GWR_OK);
    assert_int_equal(P.docs.n, 0);
    assert_int_equal(parse_n(NULL, 0, GWR_TEXT_AUTO), GWR_OK);
    assert_int_equal(P.docs.n, 0);
    assert_int_equal(parse("---\n", GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(P.docs.n, 1);
    assert_int_equal(doc(0)->type, GWR_NODE_NULL);
}

static void
test_node_yaml_positions(void **state)
{
    (void)state;
    const char *text =
        "# comment\n"                    /* 1 */
        "spec:\n"                        /* 2 */
        "  rules:\n"                     /* 3 */
        "    - matches: [ {path: /a},\n" /* 4 */
        "                 \"q\" ]\n"     /* 5 */
        "      name:   \"x\"\n"          /* 6 */
        "  \xc3\xa9t\xc3\xa9: caf\xc3\xa9\n"; /* 7: columns count chars */
    assert_int_equal(parse(text, GWR_TEXT_AUTO), GWR_OK);
    const gwr_node *m = doc(0);
    expect_at(m, 2, 1);
    const gwr_node_pair *spec = gwr_node__get_pair(m, "spec");
    assert_non_null(spec);
    assert_int_equal(spec->key_line, 2);
    assert_int_equal(spec->key_col, 1);
    expect_at(spec->value, 3, 3);
    const gwr_node *rules = get(spec->value, "rules");
    expect_at(rules, 4, 5);
    assert_int_equal(rules->type, GWR_NODE_SEQ);
    const gwr_node *r0 = rules->items[0];
    expect_at(r0, 4, 7);
    const gwr_node_pair *matches = gwr_node__get_pair(r0, "matches");
    assert_int_equal(matches->key_line, 4);
    assert_int_equal(matches->key_col, 7);
    expect_at(matches->value, 4, 16);
    expect_at(matches->value->items[0], 4, 18);
    assert_int_equal(matches->value->items[0]->pairs[0].key_col, 19);
    expect_at(get(matches->value->items[0], "path"), 4, 25);
    expect_at(matches->value->items[1], 5, 18);
    const gwr_node_pair *name = gwr_node__get_pair(r0, "name");
    assert_int_equal(name->key_line, 6);
    assert_int_equal(name->key_col, 7);
    expect_at(name->value, 6, 15);
    const gwr_node_pair *ete = gwr_node__get_pair(spec->value,
                                                  "\xc3\xa9t\xc3\xa9");
    assert_non_null(ete);
    assert_int_equal(ete->key_col, 3);
    expect_at(ete->value, 7, 8);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_node_json_values(void **state)
{
    (void)state;
    const char *text =
        "{\n"
        "  \"s\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\n"
        "  \"u\": \"\\u00e9\\u20AC\\ud83d\\ude00\",\n"
        "  \"i\": -123, \"f\": 1.5e-3, \"z\": -0, \"g\": 2E+2,\n"
        "  \"t\": true, \"fa\": false, \"n\": null,\n"
        "  \"arr\": [1, [2, {\"k\": \"v\"}], []],\n"
        "  \"e\": {}, \"\": \"empty key\"\n"
        "}\n";
    assert_int_equal(parse(text, GWR_TEXT_JSON), GWR_OK);
    assert_int_equal(P.diags.n, 0);
    assert_int_equal(P.docs.n, 1);
    const gwr_node *m = doc(0);
    expect_at(m, 1, 1);
    assert_int_equal(m->n, 12);
    expect_scalar(get(m, "s"), GWR_NODE_STRING, "a\"b\\c/d\b\f\n\r\t");
    expect_scalar(get(m, "u"), GWR_NODE_STRING,
                  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    expect_scalar(get(m, "i"), GWR_NODE_INT, "-123");
    assert_int_equal(get(m, "i")->ival, -123);
    expect_scalar(get(m, "f"), GWR_NODE_FLOAT, "1.5e-3");
    expect_scalar(get(m, "z"), GWR_NODE_INT, "-0");
    expect_scalar(get(m, "g"), GWR_NODE_FLOAT, "2E+2");
    expect_scalar(get(m, "t"), GWR_NODE_BOOL, "true");
    assert_int_equal(get(m, "t")->bval, 1);
    expect_scalar(get(m, "fa"), GWR_NODE_BOOL, "false");
    expect_scalar(get(m, "n"), GWR_NODE_NULL, "null");
    expect_scalar(get(m, ""), GWR_NODE_STRING, "empty key");
    const gwr_node *arr = get(m, "arr");
    assert_int_equal(arr->type, GWR_NODE_SEQ);
    assert_int_equal(arr->n, 3);
    expect_at(arr, 6, 10);
    expect_at(arr->items[1], 6, 14);
    const gwr_node *inner = arr->items[1]->items[1];
    expect_at(inner, 6, 18);
    assert_int_equal(inner->pairs[0].key_line, 6);
    assert_int_equal(inner->pairs[0].key_col, 19);
    expect_at(get(inner, "k"), 6, 24);
    assert_int_equal(arr->items[2]->n, 0);
    assert_null(arr->items[2]->items);
    assert_int_equal(get(m, "e")->type, GWR_NODE_MAP);
    assert_int_equal(get(m, "e")->n, 0);
    const gwr_node_pair *u = gwr_node__get_pair(m, "u");
    assert_int_equal(u->key_line, 3);
    assert_int_equal(u->key_col, 3);
    expect_at(u->value, 3, 8);
    /* Columns count characters, as in YAML. */
    reset();
    assert_int_equal(parse("[\"\xc3\xa9\xc3\xa9\", 1]", GWR_TEXT_JSON),
                     GWR_OK);
    expect_at(doc(0)->items[1], 1, 8);
}

static void
test_node_json_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"a\": 1}\n{\"a\": 2}\r\n[3]{\"b\":4}\n"
                           "\"s\" 5 true null\n", GWR_TEXT_JSON), GWR_OK);
    assert_int_equal(P.docs.n, 8);
    assert_int_equal(get(doc(0), "a")->ival, 1);
    assert_int_equal(get(doc(1), "a")->ival, 2);
    expect_at(doc(1), 2, 1);
    expect_at(doc(2), 3, 1);
    expect_at(doc(3), 3, 4);
    expect_scalar(doc(4), GWR_NODE_STRING, "s");
    expect_scalar(doc(5), GWR_NODE_INT, "5");
    expect_scalar(doc(6), GWR_NODE_BOOL, "true");
    expect_scalar(doc(7), GWR_NODE_NULL, "null");
    expect_at(doc(7), 4, 12);
}

static void
test_node_auto_detect(void **state)
{
    (void)state;
    /* Looks like JSON: read as JSON, so YAML-only flow syntax fails. */
    assert_int_equal(parse(" \n  [a, b]", GWR_TEXT_AUTO), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 4, "[0]", "unexpected 'a', expected a value");
    reset();
    assert_int_equal(parse(" \n  [a, b]", GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(doc(0)->n, 2);
    /* A BOM is skipped before detection. */
    reset();
    assert_int_equal(parse("\xef\xbb\xbf{\"a\": [1]}", GWR_TEXT_AUTO),
                     GWR_OK);
    expect_at(get(doc(0), "a"), 1, 7);
    reset();
    assert_int_equal(parse("\xef\xbb\xbf" "a: 1\n", GWR_TEXT_AUTO), GWR_OK);
    assert_int_equal(get(doc(0), "a")->ival, 1);
    expect_at(doc(0), 1, 1);
    /* YAML otherwise, even for a JSON scalar. */
    reset();
    assert_int_equal(parse("\"x\": 1\n", GWR_TEXT_AUTO), GWR_OK);
    assert_int_equal(get(doc(0), "x")->ival, 1);
    /* An explicit JSON format needs at least one value. */
    reset();
    assert_int_equal(parse("  ", GWR_TEXT_JSON), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 3, "",
                 "unexpected end of input, expected a value");
}

/* ---- keys -------------------------------------------------------------- */

static void
test_node_duplicate_keys(void **state)
{
    (void)state;
    assert_int_equal(parse("metadata:\n  name: a\n  x: 1\n  name: b\n",
                           GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 4, 3, "metadata.name",
                 "duplicate key \"name\" (first at line 2)");
    reset();
    assert_int_equal(parse("[{\"name\": 1,\n  \"name\": 2,\n \"name\": 3}]",
                           GWR_TEXT_JSON), GWR_E_PARSE);
    expect_diag(0, GWR_DIAG_ERROR, 2, 3, "[0].name",
                "duplicate key \"name\" (first at line 1)");
    expect_diag(1, GWR_DIAG_ERROR, 3, 2, "[0].name",
                "duplicate key \"name\" (first at line 1)");
    assert_int_equal(P.diags.n, 2);

    /* Large maps take the sorting path; reports stay in document order. */
    reset();
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    for (int i = 0; i < 40; i++)
        gwr_buf__printf(&b, "k%d: %d\n", i % 30, i);
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_PARSE);
    gwr_buf__free(&b);
    assert_int_equal(P.diags.n, 10);
    for (int i = 0; i < 10; i++) {
        char msg[64], field[16];
        snprintf(msg, sizeof(msg), "duplicate key \"k%d\" (first at line %d)",
                 i, i + 1);
        snprintf(field, sizeof(field), "k%d", i);
        expect_diag((size_t)i, GWR_DIAG_ERROR, (uint32_t)(31 + i), 1, field,
                    msg);
    }
    /* Keys that need quoting in a path, and quoted vs plain are equal. */
    reset();
    assert_int_equal(parse("a:\n  x.y/z: 1\n  \"x.y/z\": 2\n",
                           GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 3, 3, "a[\"x.y/z\"]",
                 "duplicate key \"x.y/z\" (first at line 2)");
}

static void
test_node_non_string_keys(void **state)
{
    (void)state;
    /* Scalar keys of other types are taken as their text. */
    assert_int_equal(parse("1: a\ntrue: b\n~: c\n0x10: d\n", GWR_TEXT_YAML),
                     GWR_OK);
    expect_scalar(get(doc(0), "1"), GWR_NODE_STRING, "a");
    expect_scalar(get(doc(0), "true"), GWR_NODE_STRING, "b");
    expect_scalar(get(doc(0), "~"), GWR_NODE_STRING, "c");
    expect_scalar(get(doc(0), "0x10"), GWR_NODE_STRING, "d");
    reset();
    assert_int_equal(parse("? [a, b]\n: 1\nok: 2\n", GWR_TEXT_YAML),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 3, "",
                 "mapping keys must be strings (found a list)");
    reset();
    assert_int_equal(parse("x: {{a: 1}: 2}\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 5, "x",
                 "mapping keys must be strings (found a map)");
    reset();
    assert_int_equal(parse("a: &m {k: v}\n*m : 1\n", GWR_TEXT_YAML),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 1, "",
                 "mapping keys must be strings (found a map)");
    reset();
    assert_int_equal(parse("{1: 2}", GWR_TEXT_JSON), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 2, "",
                 "unexpected '1', expected a string key");
}

/* ---- numbers ----------------------------------------------------------- */

static void
test_node_huge_integers(void **state)
{
    (void)state;
    assert_int_equal(parse("a: 9223372036854775807\nb: -9223372036854775808\n"
                           "c: 0x7fffffffffffffff\nd: 0o777777777777777777777\n"
                           "e: 000000000000000000000000000001\n",
                           GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(get(doc(0), "a")->ival, INT64_MAX);
    assert_int_equal(get(doc(0), "b")->ival, INT64_MIN);
    assert_int_equal(get(doc(0), "c")->ival, INT64_MAX);
    assert_int_equal(get(doc(0), "d")->ival, INT64_MAX);
    assert_int_equal(get(doc(0), "e")->ival, 1);
    reset();
    assert_int_equal(parse("a: 9223372036854775808\nb: -9223372036854775809\n"
                           "c: 0x8000000000000000\n"
                           "d: 99999999999999999999999999999999\n"
                           "e: 9223372036854775808x\n", GWR_TEXT_YAML),
                     GWR_E_PARSE);
    expect_diag(0, GWR_DIAG_ERROR, 1, 4, "a", "integer out of range");
    expect_diag(1, GWR_DIAG_ERROR, 2, 4, "b", "integer out of range");
    expect_diag(2, GWR_DIAG_ERROR, 3, 4, "c", "integer out of range");
    expect_diag(3, GWR_DIAG_ERROR, 4, 4, "d", "integer out of range");
    assert_int_equal(P.diags.n, 4);    /* e is a string */
    reset();
    assert_int_equal(parse("[9223372036854775807, -9223372036854775808, "
                           "1e400]", GWR_TEXT_JSON), GWR_OK);
    assert_int_equal(doc(0)->items[0]->ival, INT64_MAX);
    assert_int_equal(doc(0)->items[1]->ival, INT64_MIN);
    assert_int_equal(doc(0)->items[2]->type, GWR_NODE_FLOAT);
    reset();
    assert_int_equal(parse("{\"port\":\n  -9223372036854775809}",
                           GWR_TEXT_JSON), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 3, "port", "integer out of range");
}

/* ---- hostile text ------------------------------------------------------ */

static void
test_node_invalid_utf8(void **state)
{
    (void)state;
    assert_int_equal(parse_file("invalid-utf8.yaml", GWR_TEXT_AUTO),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 4, 12, "", "invalid UTF-8 (byte 0xe9)");
    reset();
    assert_int_equal(parse_file("overlong-utf8.json", GWR_TEXT_AUTO),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 12, "", "invalid UTF-8 (byte 0xc0)");
    /* Encoded surrogate, past U+10FFFF, truncated sequence, stray byte. */
    static const char *const bad[] = {
        "a: \xed\xa0\x80", "a: \xf4\x90\x80\x80", "a: \xe2\x82",
        "a: \x80", "a: \xff", "a: \xe0\x80\x80",
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(bad); i++) {
        reset();
        assert_int_equal(parse(bad[i], GWR_TEXT_YAML), GWR_E_PARSE);
        assert_int_equal(P.diags.items[0]->line, 1);
        assert_int_equal(P.diags.items[0]->col, 4);
    }
    /* The largest code point is fine. */
    reset();
    assert_int_equal(parse("a: \xf4\x8f\xbf\xbf", GWR_TEXT_YAML), GWR_OK);
    /* Control characters: libyaml's reader refuses them. */
    reset();
    assert_int_equal(parse("a: 1\nb: x\x07y\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 5, "",
                 "control characters are not allowed (0x07)");
}

static void
test_node_nul_bytes(void **state)
{
    (void)state;
    assert_int_equal(parse_file("nul-byte.yaml", GWR_TEXT_AUTO), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 5, "", "NUL byte in text");
    reset();
    assert_int_equal(parse_file("nul-byte.json", GWR_TEXT_AUTO), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 5, "", "NUL byte in text");
    /* Escapes that decode to NUL are refused too. */
    reset();
    assert_int_equal(parse("x: \"a\\0b\"\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 4, "x", "NUL character in a string");
    reset();
    assert_int_equal(parse("{\"x\": \"a\\u0000\"}", GWR_TEXT_JSON),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 7, "x", "NUL character in a string");
}

static void
make_nested_json(gwr_buf *b, size_t depth)
{
    gwr_buf__truncate(b, 0);
    for (size_t i = 0; i < depth; i++)
        gwr_buf__puts(b, i % 2 ? "{\"k\":" : "[");
    gwr_buf__puts(b, "1");
    for (size_t i = depth; i-- > 0;)
        gwr_buf__puts(b, i % 2 ? "}" : "]");
}

static void
make_nested_yaml(gwr_buf *b, size_t depth)
{
    gwr_buf__truncate(b, 0);
    for (size_t i = 0; i < depth; i++) {
        for (size_t k = 0; k < i; k++)
            gwr_buf__puts(b, "  ");
        gwr_buf__puts(b, "k:\n");
    }
    for (size_t k = 0; k < depth; k++)
        gwr_buf__puts(b, "  ");
    gwr_buf__puts(b, "leaf\n");
}

static void
test_node_depth_limit(void **state)
{
    (void)state;
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    make_nested_json(&b, GWR_MAX_DEPTH);
    assert_int_equal(parse(b.ptr, GWR_TEXT_JSON), GWR_OK);
    const gwr_node *n = doc(0);
    for (size_t i = 0; i < GWR_MAX_DEPTH; i++)
        n = n->type == GWR_NODE_SEQ ? n->items[0] : n->pairs[0].value;
    expect_scalar(n, GWR_NODE_INT, "1");

    make_nested_json(&b, GWR_MAX_DEPTH + 1);
    assert_int_equal(parse(b.ptr, GWR_TEXT_JSON), GWR_E_LIMIT);
    assert_int_equal(P.diags.n, 1);
    assert_int_equal(P.diags.items[0]->line, 1);
    assert_int_equal(P.diags.items[0]->col, 32 * 6 + 1);
    assert_string_equal(P.diags.items[0]->message.ptr,
                        "nesting too deep: limit GWR_MAX_DEPTH (64) exceeded");

    gwr_buf__free(&b);
    reset();
    gwr_buf__init(&b, P.ctx);
    make_nested_yaml(&b, GWR_MAX_DEPTH);
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_OK);
    make_nested_yaml(&b, GWR_MAX_DEPTH + 1);
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_LIMIT);
    assert_int_equal(P.diags.items[0]->line, 65);
    assert_int_equal(P.diags.items[0]->col, 129);

    /* Deep nesting hidden in a key that is being skipped. */
    gwr_buf__free(&b);
    reset();
    gwr_buf__init(&b, P.ctx);
    for (int i = 0; i < 200; i++)
        gwr_buf__puts(&b, "? ");
    gwr_buf__puts(&b, "x\n");
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_LIMIT);
    /* A flood of openers stops at the limit, not at the end. */
    gwr_buf__free(&b);
    reset();
    gwr_buf__init(&b, P.ctx);
    for (int i = 0; i < 100000; i++)
        gwr_buf__putc(&b, '[');
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_LIMIT);
    assert_int_equal(parse(b.ptr, GWR_TEXT_JSON), GWR_E_LIMIT);
    gwr_buf__free(&b);
}

static void
test_node_scalar_limit(void **state)
{
    (void)state;
    size_t max = GWR_MAX_SCALAR_BYTES;
    char *text = malloc(max + 64);
    assert_non_null(text);
    /* YAML plain value of exactly the limit, then one byte more. */
    memcpy(text, "v: ", 3);
    memset(text + 3, 'x', max);
    text[3 + max] = '\0';
    assert_int_equal(parse(text, GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(get(doc(0), "v")->text.len, max);
    text[3 + max] = 'x';
    text[4 + max] = '\0';
    reset();
    assert_int_equal(parse(text, GWR_TEXT_YAML), GWR_E_LIMIT);
    expect_error(GWR_E_LIMIT, 1, 4, "v",
                 "scalar too long: limit GWR_MAX_SCALAR_BYTES (1048576) "
                 "exceeded");
    /* JSON string with escapes: the decoded length counts. */
    reset();
    text[0] = '"';
    memset(text + 1, 'x', max - 1);
    memcpy(text + max, "\\n\"", 4);     /* max - 1 + 1 decoded bytes */
    assert_int_equal(parse(text, GWR_TEXT_JSON), GWR_OK);
    assert_int_equal(doc(0)->text.len, max);
    memcpy(text + max, "\\nx\"", 5);
    reset();
    assert_int_equal(parse(text, GWR_TEXT_JSON), GWR_E_LIMIT);
    expect_error(GWR_E_LIMIT, 1, 1, "",
                 "scalar too long: limit GWR_MAX_SCALAR_BYTES (1048576) "
                 "exceeded");
    /* Keys have the same limit. */
    reset();
    text[0] = '{';
    text[1] = '"';
    memset(text + 2, 'k', max + 1);
    memcpy(text + 3 + max, "\":1}", 5);
    assert_int_equal(parse(text, GWR_TEXT_JSON), GWR_E_LIMIT);
    assert_int_equal(P.diags.items[0]->col, 2);
    free(text);
}

static void
test_node_billion_laughs(void **state)
{
    (void)state;
    assert_int_equal(parse_file("billion-laughs.yaml", GWR_TEXT_AUTO),
                     GWR_E_LIMIT);
    /* Refused at the first alias that passes the budget: lol4[0]. */
    expect_error(GWR_E_LIMIT, 6, 14, "lol4[0]",
                 "alias expansion too large: limit GWR_MAX_ALIAS_EXPANSION "
                 "(10000) exceeded");
    /* Nothing was copied: a few dozen nodes in a few KiB. */
    assert_true(P.arena.used < 8192);
}

static void
test_node_alias_budget_edge(void **state)
{
    (void)state;
    /* An anchored list of 99 scalars is 100 nodes; 100 aliases of it are
     * exactly GWR_MAX_ALIAS_EXPANSION, one more is past it. */
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    gwr_buf__puts(&b, "a: &a [");
    for (int i = 0; i < 99; i++)
        gwr_buf__puts(&b, i ? ", x" : "x");
    gwr_buf__puts(&b, "]\nb:\n");
    for (int i = 0; i < 100; i++)
        gwr_buf__puts(&b, "  - *a\n");
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_OK);
    const gwr_node *list = get(doc(0), "b");
    assert_int_equal(list->n, 100);
    assert_ptr_equal(list->items[99], get(doc(0), "a"));    /* shared */
    gwr_buf__puts(&b, "  - *a\n");
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_LIMIT);
    gwr_buf__free(&b);
}

static void
test_node_aliases(void **state)
{
    (void)state;
    static const char text[] =
        "base: &b {port: 80}\nx: *b\n&k ak: v\ny: *k\ns: &v sv\n"
        "*v : again\nre: &b 1\nz: *b\n&n 99999999999999999999: big\n"
        "w: *n\n";
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    gwr_buf__printf(&b, "%s---\nq: *b\n", text);
    assert_int_equal(parse(b.ptr, GWR_TEXT_YAML), GWR_E_PARSE);
    gwr_buf__free(&b);
    /* Anchors do not cross documents. */
    expect_error(GWR_E_PARSE, 12, 4, "q",
                 "alias *b refers to no anchor defined before it");
    reset();
    assert_int_equal(parse(text, GWR_TEXT_YAML), GWR_OK);
    const gwr_node *m = doc(0);
    assert_ptr_equal(get(m, "x"), get(m, "base"));
    assert_int_equal(get(get(m, "x"), "port")->ival, 80);
    expect_scalar(get(m, "y"), GWR_NODE_STRING, "ak");
    expect_scalar(get(m, "sv"), GWR_NODE_STRING, "again");
    expect_scalar(get(m, "z"), GWR_NODE_INT, "1");    /* redefined */
    expect_scalar(get(m, "w"), GWR_NODE_STRING, "99999999999999999999");
    /* A container cannot refer to itself. */
    reset();
    assert_int_equal(parse("a: &x [1, *x]\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 1, 11, "a[1]",
                 "alias *x refers to no anchor defined before it");
}

static void
test_node_merge_keys(void **state)
{
    (void)state;
    assert_int_equal(parse_file("merge-keys.yaml", GWR_TEXT_AUTO),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 4, 3, "svc",
                 "YAML merge keys are not supported");
    /* A quoted "<<" is an ordinary key. */
    reset();
    assert_int_equal(parse("\"<<\": 1\n", GWR_TEXT_YAML), GWR_OK);
    assert_int_equal(get(doc(0), "<<")->ival, 1);
}

static void
test_node_malformed_yaml(void **state)
{
    (void)state;
    assert_int_equal(parse("a: [1, 2\nb: 3\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 2, "a[2]",
                 "did not find expected ',' or ']' (while parsing a flow "
                 "sequence at line 1 column 4)");
    reset();
    assert_int_equal(parse("a:\n  b: 1\n c: 2\n", GWR_TEXT_YAML),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 3, 2, "",
                 "did not find expected key (while parsing a block mapping "
                 "at line 1 column 1)");
    reset();
    assert_int_equal(parse("a: 1\n  b: 2\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 4, "",
                 "mapping values are not allowed in this context");
    reset();
    assert_int_equal(parse("k: \"open\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 1, "k",
                 "found unexpected end of stream (while scanning a quoted "
                 "scalar at line 1 column 4)");
    reset();
    assert_int_equal(parse("a: 1\n---\nb: {x: 1\n", GWR_TEXT_YAML),
                     GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 4, 1, "b",
                 "did not find expected ',' or '}' (while parsing a flow "
                 "mapping at line 3 column 4)");
    reset();
    assert_int_equal(parse("a:\n\t- b\n", GWR_TEXT_YAML), GWR_E_PARSE);
    expect_error(GWR_E_PARSE, 2, 1, "a",
                 "found character that cannot start any token (while "
                 "scanning for the next token at line 2 column 1)");
}

static void
test_node_malformed_json(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t line, col;
        const char *field, *msg;
    } cases[] = {
        { "{\"a\": [1, 2", 1, 12, "a[2]",
          "unexpected end of input, expected ',' or ']'" },
        { "{\"a\":\n  {\"b\": 1", 2, 10, "a",
          "unexpected end of input, expected ',' or '}'" },
        { "[1, 2,]", 1, 6, "[2]", "trailing comma" },
        { "{\"a\": 1,\n \"b\": 2,\n}", 2, 8, "", "trailing comma" },
        { "{'a': 1}", 1, 2, "", "unexpected ''', expected a string key" },
        { "[NaN]", 1, 2, "[0]", "unexpected 'N', expected a value" },
        { "[1] // c", 1, 5, "", "unexpected '/', expected a value" },
        { "[01]", 1, 2, "[0]", "invalid number (leading zero)" },
        { "[1.]", 1, 2, "[0]", "invalid number" },
        { "[-]", 1, 2, "[0]", "invalid number" },
        { "[1e+]", 1, 2, "[0]", "invalid number" },
        { "[+1]", 1, 2, "[0]", "unexpected '+', expected a value" },
        { "[12a]", 1, 2, "[0]", "invalid number" },
        { "[tru]", 1, 2, "[0]", "unexpected 't', expected a value" },
        { "[truex]", 1, 2, "[0]", "unexpected 't', expected a value" },
        { "[\"\\ud800\"]", 1, 3, "[0]", "lone high surrogate in \\u escape" },
        { "[\"\\ud800\\u0041\"]", 1, 3, "[0]",
          "lone high surrogate in \\u escape" },
        { "[\"x\\udc00\"]", 1, 4, "[0]", "lone low surrogate in \\u escape" },
        { "[\"\\u12G4\"]", 1, 3, "[0]", "invalid \\u escape" },
        { "[\"\\x\"]", 1, 3, "[0]", "invalid escape in string" },
        { "[\"a\tb\"]", 1, 4, "[0]", "control character in string" },
        { "[\"abc", 1, 2, "[0]", "unterminated string" },
        { "{\"a\" 1}", 1, 6, "a", "unexpected '1', expected ':'" },
        { "{\"a\": 1 \"b\": 2}", 1, 9, "",
          "unexpected '\"', expected ',' or '}'" },
        { "[1 2]", 1, 4, "[1]", "unexpected '2', expected ',' or ']'" },
        { "]", 1, 1, "", "unexpected ']', expected a value" },
        { "{\"a\": 1}}", 1, 9, "", "unexpected '}', expected a value" },
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(cases); i++) {
        reset();
        printf("# case %zu: %s\n", i, cases[i].text);
        parse(cases[i].text, GWR_TEXT_JSON);
        expect_error(GWR_E_PARSE, cases[i].line, cases[i].col,
                     cases[i].field, cases[i].msg);
    }
}

/* ---- limits ------------------------------------------------------------ */

static int
parse_lim(const char *text, uint32_t format, const gwr_node_limits *lim)
{
    gwr_str src = GWR_STR_LIT("test.yaml");
    gwr_str t = { text, strlen(text) };
    P.rc = gwr_node__parse_limits(&P.arena, &P.diags, src, t, format, lim,
                                  &P.docs);
    return P.rc;
}

static void
test_node_documents_limit(void **state)
{
    (void)state;
    gwr_buf b;
    gwr_buf__init(&b, P.ctx);
    for (unsigned i = 0; i < GWR_MAX_DOCUMENTS; i++)
        gwr_buf__puts(&b, "0\n");
    assert_int_equal(parse(b.ptr, GWR_TEXT_JSON), GWR_OK);
    assert_int_equal(P.docs.n, GWR_MAX_DOCUMENTS);
    gwr_buf__puts(&b, "0\n");
    assert_int_equal(parse(b.ptr, GWR_TEXT_JSON), GWR_E_LIMIT);
    expect_error(GWR_E_LIMIT, GWR_MAX_DOCUMENTS + 1, 1, "",
                 "too many documents: limit GWR_MAX_DOCUMENTS (100000) "
                 "exceeded");
    gwr_buf__free(&b);
}

static void
test_node_lowered_limits(void **state)
{
    (void)state;
    gwr_node_limits lim = gwr_node__default_limits;
    lim.nodes = 4;
    assert_int_equal(parse_lim("[1, 2, 3]", GWR_TEXT_JSON, &lim), GWR_OK);
    assert_int_equal(parse_lim("[1, 2, 3, 4]", GWR_TEXT_JSON, &lim),
                     GWR_E_LIMIT);
    expect_error(GWR_E_LIMIT, 1, 11, "[3]",
                 "too many nodes: limit GWR_MAX_NODES (4) exceeded");
    reset();
    assert_int_equal(parse_lim("- a\n- b\n- c\n- d\n", GWR_TEXT_YAML, &lim),
                     GWR_E_LIMIT);

    reset();
    lim = gwr_node__default_limits;
    lim.text_bytes = 8;
    assert_int_equal(parse_lim("a: 12345", GWR_TEXT_YAML, &lim), GWR_OK);
    assert_int_equal(parse_lim("a:\n123456", GWR_TEXT_YAML, &lim),
                     GWR_E_LIMIT);
    expect_error(GWR_E_LIMIT, 2, 6, "",
                 "text too large (9 bytes): limit GWR_MAX_TEXT_BYTES (8) "
                 "exceeded");

    /* Semantic errors are all reported, up to a budget. */
    reset();
    lim = gwr_node__default_limits;
    lim.errors = 3;
    assert_int_equal(parse_lim("a: 1\na: 2\na: 3\na: 4\na: 5\n",
                               GWR_TEXT_YAML, &lim), GWR_E_PARSE);
    assert_int_equal(P.diags.n, 4);
    assert_int_equal(P.diags.errors, 3);
    expect_diag(3, GWR_DIAG_NOTE, 4, 1, "",
                "too many errors (3); stopped reading");

    /* Lowered depth (and anything above GWR_MAX_DEPTH is capped). */
    reset();
    lim = gwr_node__default_limits;
    lim.depth = 2;
    assert_int_equal(parse_lim("[[1]]", GWR_TEXT_JSON, &lim), GWR_OK);
    assert_int_equal(parse_lim("[[[1]]]", GWR_TEXT_JSON, &lim), GWR_E_LIMIT);
}

static void
test_node_bad_arguments(void **state)
{
    (void)state;
    gwr_docs docs = { NULL, 7 };
    gwr_str src = GWR_STR_LIT("x");
    gwr_str text = GWR_STR_LIT("a: 1");
    gwr_str null_text = { NULL, 3 };
    assert_int_equal(gwr_node__parse(NULL, &P.diags, src, text, 0, &docs),
                     GWR_E_INVAL);
    assert_int_equal(docs.n, 0);
    assert_int_equal(gwr_node__parse(&P.arena, NULL, src, text, 0, &docs),
                     GWR_E_INVAL);
    assert_int_equal(gwr_node__parse(&P.arena, &P.diags, src, text, 0, NULL),
                     GWR_E_INVAL);
    assert_int_equal(gwr_node__parse(&P.arena, &P.diags, src, text, 3, &docs),
                     GWR_E_INVAL);
    assert_int_equal(gwr_node__parse(&P.arena, &P.diags, src, null_text, 0,
                                     &docs), GWR_E_INVAL);
}

/* ---- lookups and a realistic fixture ----------------------------------- */

static void
test_node_lookups(void **state)
{
    (void)state;
    assert_int_equal(parse("a: 1\nb: [x]\n", GWR_TEXT_YAML), GWR_OK);
    const gwr_node *m = doc(0);
    assert_null(gwr_node__get(NULL, "a"));
    assert_null(gwr_node__get(m, "zz"));
    assert_null(gwr_node__get(m, NULL));
    assert_null(gwr_node__get(get(m, "b"), "a"));    /* not a map */
    assert_null(gwr_node__get_pair(get(m, "a"), "a"));
    assert_non_null(gwr_node__get_pair(m, "b"));
    assert_true(gwr_node__is_scalar(get(m, "a")));
    assert_false(gwr_node__is_scalar(get(m, "b")));
    assert_false(gwr_node__is_scalar(NULL));
    static const char *const names[] = {
        "null", "bool", "integer", "number", "string", "map", "list"
    };
    for (uint32_t i = 0; i < GWR_ARRAY_LEN(names); i++)
        assert_string_equal(gwr_node__type_name(i), names[i]);
    assert_string_equal(gwr_node__type_name(99), "unknown");
}

static void
test_node_conformance_fixture(void **state)
{
    (void)state;
    assert_int_equal(parse_file("conformance-base.yaml", GWR_TEXT_AUTO),
                     GWR_OK);
    assert_int_equal(P.diags.n, 0);
    assert_int_equal(P.docs.n, 37);
    const gwr_node *ns = doc(0);
    expect_at(ns, 9, 1);
    expect_scalar(get(ns, "kind"), GWR_NODE_STRING, "Namespace");
    expect_scalar(get(get(ns, "metadata"), "name"), GWR_NODE_STRING,
                  "gateway-conformance-infra");
    const gwr_node *gw = doc(1);
    expect_scalar(get(gw, "kind"), GWR_NODE_STRING, "Gateway");
    const gwr_node *l0 = get(get(gw, "spec"), "listeners")->items[0];
    expect_scalar(get(l0, "port"), GWR_NODE_INT, "80");
    expect_at(get(l0, "port"), 25, 13);
    expect_scalar(get(get(gw, "spec"), "gatewayClassName"), GWR_NODE_STRING,
                  "{GATEWAY_CLASS_NAME}");
}

/* ---- allocation failures ----------------------------------------------- */

typedef struct sweep_case {
    const char *text;
    uint32_t format;
    int expect;          /* status without allocation failures */
    size_t docs;
} sweep_case;

static int
scenario_parse(gwr_ctx *ctx, void *ud)
{
    const sweep_case *c = ud;
    gwr_arena ar;
    gwr_diag_list dl;
    gwr_arena__init(&ar, ctx);
    gwr_diag__list_init(&dl, ctx);
    gwr_docs docs;
    gwr_str src = GWR_STR_LIT("sweep.yaml");
    gwr_str text = { c->text, strlen(c->text) };
    int rc = gwr_node__parse(&ar, &dl, src, text, c->format, &docs);
    if (rc == GWR_E_NOMEM) {
        assert_int_equal(docs.n, 0);
        assert_null(docs.docs);
    } else {
        assert_int_equal(rc, c->expect);
        assert_int_equal(docs.n, c->docs);
        if (rc != GWR_OK)
            assert_true(dl.errors > 0);
        rc = GWR_OK;
    }
    gwr_diag__list_free(&dl);
    gwr_arena__free(&ar);
    return rc;
}

static void
test_node_alloc_sweep(void **state)
{
    (void)state;
    size_t len = 0;
    char *fixture = data_file("conformance-base.yaml", &len);
    gwr_buf big;
    gwr_buf__init(&big, P.ctx);
    gwr_buf__puts(&big, "kind: ConfigMap\ndata:\n");
    for (int i = 0; i < 40; i++)
        gwr_buf__printf(&big, "  key%d: &a%d \"value %d\"\n", i, i, i);
    gwr_buf__puts(&big, "refs: [*a1, *a2, *a3]\n---\n---\n- [1, 2.5, ~]\n");
    gwr_buf dup;
    gwr_buf__init(&dup, P.ctx);
    for (int i = 0; i < 30; i++)
        gwr_buf__printf(&dup, "{\"k%d\": %d, \"k%d\": 1}\n", i, i, i);
    assert_int_equal(big.err + dup.err, 0);
    const sweep_case cases[] = {
        { fixture, GWR_TEXT_AUTO, GWR_OK, 37 },
        { big.ptr, GWR_TEXT_YAML, GWR_OK, 3 },
        { "{\"apiVersion\": \"v1\", \"items\": [{\"s\": \"\\u00e9\\n\"}, "
          "1.5, -3, true, null, {}, []]}\n[\"\\ud83d\\ude00\"]",
          GWR_TEXT_AUTO, GWR_OK, 2 },
        { dup.ptr, GWR_TEXT_JSON, GWR_E_PARSE, 0 },
        { "a: [1, 2\n", GWR_TEXT_YAML, GWR_E_PARSE, 0 },
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(cases); i++) {
        size_t n = test_alloc_sweep(scenario_parse, (void *)&cases[i]);
        assert_true(n > 2);
    }
    gwr_buf__free(&dup);
    gwr_buf__free(&big);
    free(fixture);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_node_yaml_scalars),
        T(test_node_yaml_tags),
        T(test_node_yaml_multi_doc),
        T(test_node_yaml_positions),
        T(test_node_json_values),
        T(test_node_json_lines),
        T(test_node_auto_detect),
        T(test_node_duplicate_keys),
        T(test_node_non_string_keys),
        T(test_node_huge_integers),
        T(test_node_invalid_utf8),
        T(test_node_nul_bytes),
        T(test_node_depth_limit),
        T(test_node_scalar_limit),
        T(test_node_billion_laughs),
        T(test_node_alias_budget_edge),
        T(test_node_aliases),
        T(test_node_merge_keys),
        T(test_node_malformed_yaml),
        T(test_node_malformed_json),
        T(test_node_documents_limit),
        T(test_node_lowered_limits),
        T(test_node_bad_arguments),
        T(test_node_lookups),
        T(test_node_conformance_fixture),
        T(test_node_alloc_sweep),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Strict RFC 8259 JSON reader (no comments, trailing commas, single
 * quotes or NaN). Iterative: the tree builder's stack is the only nesting
 * state, so depth is bounded by GWR_MAX_DEPTH. Values one after another
 * (JSON Lines, concatenated JSON) are one document each.
 */
#include <string.h>

#include "node_load.h"

typedef struct jreader {
    gwr_tree *t;
    const char *s;
    size_t len, i;
    gwr_textpos pos;
    gwr_buf str;         /* decoded string (temp) */
} jreader;

static void
where(jreader *r, size_t off, uint32_t *line, uint32_t *col)
{
    gwr_node__pos_seek(&r->pos, off);
    *line = r->pos.line;
    *col = r->pos.col;
}

static int
syntax_at(jreader *r, size_t off, const char *msg)
{
    uint32_t line, col;
    where(r, off, &line, &col);
    return gwr_tree__syntax(r->t, line, col, "%s", msg);
}

/* "unexpected ..." for whatever is at the current position. */
static int
unexpected(jreader *r, const char *expected)
{
    uint32_t line, col;
    where(r, r->i, &line, &col);
    if (r->i >= r->len)
        return gwr_tree__syntax(r->t, line, col,
                                "unexpected end of input, expected %s",
                                expected);
    unsigned char c = (unsigned char)r->s[r->i];
    if (c > 0x20 && c < 0x7F)
        return gwr_tree__syntax(r->t, line, col,
                                "unexpected '%c', expected %s", c, expected);
    return gwr_tree__syntax(r->t, line, col,
                            "unexpected byte 0x%02x, expected %s", c,
                            expected);
}

static void
skip_ws(jreader *r)
{
    while (r->i < r->len) {
        char c = r->s[r->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        r->i++;
    }
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static void
put_utf8(gwr_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    gwr_buf__append(b, u, n);
}

/* A \u escape with four hex digits at r->i (the backslash), possibly a
 * surrogate pair. */
static int
unicode_escape(jreader *r)
{
    size_t at = r->i;
    unsigned cp, lo;
    if (r->len - r->i < 6 || !hex4(r->s + r->i + 2, &cp))
        return syntax_at(r, at, "invalid \\u escape");
    r->i += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax_at(r, at, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->len - r->i < 6 || r->s[r->i] != '\\' ||
            r->s[r->i + 1] != 'u' || !hex4(r->s + r->i + 2, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return syntax_at(r, at, "lone high surrogate in \\u escape");
        r->i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(&r->str, cp);
    return GWR_OK;
}

/* A string at r->i (the opening quote), decoded into r->str. */
static int
read_string(jreader *r)
{
    gwr_buf__truncate(&r->str, 0);
    size_t open = r->i++;
    for (;;) {
        size_t run = r->i;
        while (r->i < r->len) {
            unsigned char c = (unsigned char)r->s[r->i];
            if (c == '"' || c == '\\' || c < 0x20)
                break;
            r->i++;
        }
        gwr_buf__append(&r->str, r->s + run, r->i - run);
        if (r->str.len > r->t->lim->scalar_bytes)
            break;    /* the builder reports it; stop copying */
        if (r->i >= r->len)
            return syntax_at(r, open, "unterminated string");
        char c = r->s[r->i];
        if (c == '"') {
            r->i++;
            break;
        }
        if (c != '\\')
            return syntax_at(r, r->i, "control character in string");
        if (r->i + 1 >= r->len)
            return syntax_at(r, open, "unterminated string");
        char e = r->s[r->i + 1];
        static const char from[] = "\"\\/bfnrt";
        static const char to[] = "\"\\/\b\f\n\r\t";
        const char *k = e != '\0' ? strchr(from, e) : NULL;
        if (k != NULL) {
            gwr_buf__putc(&r->str, to[k - from]);
            r->i += 2;
        } else if (e == 'u') {
            int rc = unicode_escape(r);
            if (rc != GWR_OK)
                return rc;
        } else {
            return syntax_at(r, r->i, "invalid escape in string");
        }
    }
    if (r->str.err != GWR_OK) {
        r->t->nomem = 1;
        return GWR_E_NOMEM;
    }
    return GWR_OK;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* After a number or literal only a delimiter may follow. */
static int
delimited(const jreader *r)
{
    if (r->i >= r->len)
        return 1;
    return strchr(" \t\r\n,]}:[{\"", r->s[r->i]) != NULL;
}

static size_t
digits(jreader *r)
{
    size_t start = r->i;
    while (r->i < r->len && is_digit(r->s[r->i]))
        r->i++;
    return r->i - start;
}

static int
read_number(jreader *r)
{
    size_t start = r->i;
    uint32_t line, col;
    where(r, start, &line, &col);
    int is_int = 1;
    if (r->s[r->i] == '-')
        r->i++;
    size_t int_at = r->i;
    size_t nd = digits(r);
    if (nd == 0)
        return syntax_at(r, start, "invalid number");
    if (nd > 1 && r->s[int_at] == '0')
        return syntax_at(r, start, "invalid number (leading zero)");
    if (r->i < r->len && r->s[r->i] == '.') {
        r->i++;
        is_int = 0;
        if (digits(r) == 0)
            return syntax_at(r, start, "invalid number");
    }
    if (r->i < r->len && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        r->i++;
        is_int = 0;
        if (r->i < r->len && (r->s[r->i] == '+' || r->s[r->i] == '-'))
            r->i++;
        if (digits(r) == 0)
            return syntax_at(r, start, "invalid number");
    }
    if (!delimited(r))
        return syntax_at(r, start, "invalid number");
    gwr_str text = { r->s + start, r->i - start };
    int64_t v = 0;
    int rc = GWR_OK;
    uint32_t type = GWR_NODE_FLOAT;
    if (is_int) {
        type = GWR_NODE_INT;
        if (gwr_scalar__is_int(text, &v) != GWR_SCALAR_YES)
            rc = gwr_tree__error(r->t, line, col, "integer out of range");
    }
    gwr_node *n = NULL;
    if (rc == GWR_OK)
        rc = gwr_tree__new_scalar(r->t, type, text, line, col, &n);
    if (rc != GWR_OK)
        return rc;
    n->ival = v;
    return gwr_tree__attach(r->t, n, 1);
}

static int
read_literal(jreader *r)
{
    static const struct { const char *word; uint32_t type; int b; } lits[] = {
        { "true", GWR_NODE_BOOL, 1 },
        { "false", GWR_NODE_BOOL, 0 },
        { "null", GWR_NODE_NULL, 0 },
    };
    size_t start = r->i;
    for (size_t k = 0; k < GWR_ARRAY_LEN(lits); k++) {
        size_t n = strlen(lits[k].word);
        if (r->len - start < n || memcmp(r->s + start, lits[k].word, n) != 0)
            continue;
        r->i = start + n;
        if (!delimited(r))
            break;
        uint32_t line, col;
        where(r, start, &line, &col);
        gwr_str text = { lits[k].word, n };
        gwr_node *node = NULL;
        int rc = gwr_tree__new_scalar(r->t, lits[k].type, text, line, col,
                                      &node);
        if (rc != GWR_OK)
            return rc;
        node->bval = lits[k].b;
        return gwr_tree__attach(r->t, node, 1);
    }
    r->i = start;
    return unexpected(r, "a value");
}

/* A key string and its colon, for the open object. */
static int
read_key(jreader *r)
{
    if (r->i >= r->len || r->s[r->i] != '"')
        return unexpected(r, "a string key");
    uint32_t line, col;
    where(r, r->i, &line, &col);
    int rc = read_string(r);
    if (rc == GWR_OK) {
        gwr_str k = { r->str.ptr != NULL ? r->str.ptr : "", r->str.len };
        rc = gwr_tree__key(r->t, k, line, col);
    }
    if (rc != GWR_OK)
        return rc;
    skip_ws(r);
    if (r->i >= r->len || r->s[r->i] != ':')
        return unexpected(r, "':'");
    r->i++;
    return GWR_OK;
}

/* One value at r->i; containers are only opened here. */
static int
read_value(jreader *r, int *opened)
{
    *opened = 0;
    skip_ws(r);
    if (r->i >= r->len)
        return unexpected(r, "a value");
    char c = r->s[r->i];
    uint32_t line, col;
    if (c == '{' || c == '[') {
        where(r, r->i, &line, &col);
        r->i++;
        *opened = 1;
        return gwr_tree__begin(r->t, c == '{' ? GWR_NODE_MAP : GWR_NODE_SEQ,
                               line, col);
    }
    if (c == '"') {
        where(r, r->i, &line, &col);
        int rc = read_string(r);
        gwr_node *n = NULL;
        if (rc == GWR_OK) {
            gwr_str s = { r->str.ptr != NULL ? r->str.ptr : "", r->str.len };
            rc = gwr_tree__new_scalar(r->t, GWR_NODE_STRING, s, line, col, &n);
        }
        return rc != GWR_OK ? rc : gwr_tree__attach(r->t, n, 1);
    }
    if (c == '-' || is_digit(c))
        return read_number(r);
    return read_literal(r);
}

/* One top-level value, iteratively. */
static int
read_document(jreader *r)
{
    int opened;
    int rc = read_value(r, &opened);
    while (rc == GWR_OK && r->t->depth > 0) {
        int is_map = gwr_tree__open_type(r->t) == GWR_NODE_MAP;
        char close = is_map ? '}' : ']';
        skip_ws(r);
        if (opened) {
            /* First member, or an empty container. */
            if (r->i < r->len && r->s[r->i] == close) {
                r->i++;
                rc = gwr_tree__end(r->t, NULL, NULL);
                opened = 0;
                continue;
            }
        } else if (r->i < r->len && r->s[r->i] == close) {
            r->i++;
            rc = gwr_tree__end(r->t, NULL, NULL);
            continue;
        } else if (r->i < r->len && r->s[r->i] == ',') {
            size_t comma = r->i++;
            skip_ws(r);
            if (r->i < r->len && (r->s[r->i] == '}' || r->s[r->i] == ']'))
                return syntax_at(r, comma, "trailing comma");
        } else {
            return unexpected(r, is_map ? "',' or '}'" : "',' or ']'");
        }
        if (is_map) {
            skip_ws(r);
            rc = read_key(r);
        }
        if (rc == GWR_OK)
            rc = read_value(r, &opened);
    }
    return rc;
}

void
gwr_json__load(gwr_tree *t, const char *text, size_t len)
{
    jreader r;
    memset(&r, 0, sizeof(r));
    r.t = t;
    r.s = text;
    r.len = len;
    gwr_node__pos_init(&r.pos, text, len);
    gwr_buf__init(&r.str, t->ctx);
    int rc = GWR_OK;
    int any = 0;
    for (;;) {
        skip_ws(&r);
        if (r.i >= r.len && any)
            break;
        uint32_t line, col;
        where(&r, r.i, &line, &col);
        rc = gwr_tree__doc_begin(t, line, col);
        if (rc == GWR_OK)
            rc = read_document(&r);
        if (rc == GWR_OK)
            rc = gwr_tree__doc_end(t, line, col);
        if (rc != GWR_OK)
            break;
        any = 1;
    }
    gwr_buf__free(&r.str);
}

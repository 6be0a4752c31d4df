/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Document parsing entry point: checks the text as a whole (size, NUL
 * bytes, UTF-8), picks the reader, and hands the tree over. Also the
 * lookups the model builder uses.
 */
#include <string.h>

#include "node_load.h"

const gwr_node_limits gwr_node__default_limits = {
    GWR_MAX_TEXT_BYTES, GWR_MAX_DEPTH, GWR_MAX_NODES, GWR_MAX_SCALAR_BYTES,
    GWR_MAX_DOCUMENTS, GWR_MAX_ALIAS_EXPANSION, GWR_NODE_MAX_ERRORS
};

/* ---- positions --------------------------------------------------------- */

void
gwr_node__pos_init(gwr_textpos *p, const char *text, size_t len)
{
    p->text = text;
    p->len = len;
    p->off = 0;
    p->line = 1;
    p->col = 1;
}

void
gwr_node__pos_seek(gwr_textpos *p, size_t off)
{
    if (off > p->len)
        off = p->len;
    if (off < p->off)
        gwr_node__pos_init(p, p->text, p->len);    /* rare: rescan */
    const unsigned char *s = (const unsigned char *)p->text;
    for (size_t i = p->off; i < off; i++) {
        if (s[i] == '\n') {
            /* The LF of CR LF was counted with the CR. */
            if (i == 0 || s[i - 1] != '\r')
                p->line++;
            p->col = 1;
        } else if (s[i] == '\r') {
            p->line++;
            p->col = 1;
        } else if ((s[i] & 0xC0) != 0x80) {
            p->col++;
        }
    }
    p->off = off;
}

/* ---- whole-text checks ------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    return len;
}

static int
check_text(gwr_tree *t, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (s[i] >= 0x01 && s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = s[i] == 0 ? 0 : utf8_seq(s + i, len - i);
        if (k > 0) {
            i += k;
            continue;
        }
        gwr_textpos pos;
        gwr_node__pos_init(&pos, text, len);
        gwr_node__pos_seek(&pos, i);
        if (s[i] == 0)
            return gwr_tree__syntax(t, pos.line, pos.col, "NUL byte in text");
        return gwr_tree__syntax(t, pos.line, pos.col,
                                "invalid UTF-8 (byte 0x%02x)", s[i]);
    }
    return GWR_OK;
}

static int
is_json(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '{' || c == '[')
            return 1;
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return 0;
    }
    return 0;
}

int
gwr_node__parse_limits(gwr_arena *arena, gwr_diag_list *diags,
                       gwr_str source, gwr_str text, uint32_t format,
                       const gwr_node_limits *lim, gwr_docs *out)
{
    if (out != NULL) {
        out->docs = NULL;
        out->n = 0;
    }
    if (arena == NULL || diags == NULL || out == NULL || lim == NULL ||
        (text.ptr == NULL && text.len > 0) || format > GWR_TEXT_JSON)
        return GWR_E_INVAL;
    const char *p = text.ptr != NULL ? text.ptr : "";
    size_t len = text.len;

    gwr_tree t;
    gwr_tree__init(&t, arena, diags, source, lim);
    int rc = GWR_OK;
    if (len > lim->text_bytes) {
        gwr_textpos pos;
        gwr_node__pos_init(&pos, p, len);
        gwr_node__pos_seek(&pos, lim->text_bytes);
        t.limit = 1;
        t.errors++;
        gwr_diag_loc loc;
        memset(&loc, 0, sizeof(loc));
        loc.source = source;
        loc.line = pos.line;
        loc.col = pos.col;
        if (gwr_diag__add(diags, GWR_DIAG_ERROR, &loc,
                          "text too large (%zu bytes): limit "
                          "GWR_MAX_TEXT_BYTES (%zu) exceeded",
                          len, lim->text_bytes) != GWR_OK)
            t.nomem = 1;
        rc = GWR_E_LIMIT;
    }
    if (rc == GWR_OK && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;    /* a UTF-8 byte order mark is not content */
        len -= 3;
    }
    if (rc == GWR_OK)
        rc = check_text(&t, p, len);
    if (rc == GWR_OK) {
        if (format == GWR_TEXT_JSON ||
            (format == GWR_TEXT_AUTO && is_json(p, len)))
            gwr_json__load(&t, p, len);
        else
            gwr_yaml__load(&t, p, len);
    }
    rc = gwr_tree__finish(&t, out);
    gwr_tree__free(&t);
    return rc;
}

int
gwr_node__parse(gwr_arena *arena, gwr_diag_list *diags, gwr_str source,
                gwr_str text, uint32_t format, gwr_docs *out)
{
    return gwr_node__parse_limits(arena, diags, source, text, format,
                                  &gwr_node__default_limits, out);
}

/* ---- lookups ----------------------------------------------------------- */

const gwr_node_pair *
gwr_node__get_pair(const gwr_node *map, const char *key)
{
    if (map == NULL || key == NULL || map->type != GWR_NODE_MAP)
        return NULL;
    gwr_str k = gwr_str__from_cstr(key);
    for (size_t i = 0; i < map->n; i++) {
        if (gwr_str__eq(map->pairs[i].key, k))
            return &map->pairs[i];
    }
    return NULL;
}

const gwr_node *
gwr_node__get(const gwr_node *map, const char *key)
{
    const gwr_node_pair *p = gwr_node__get_pair(map, key);
    return p != NULL ? p->value : NULL;
}

int
gwr_node__is_scalar(const gwr_node *n)
{
    return n != NULL && n->type <= GWR_NODE_STRING;
}

const char *
gwr_node__type_name(uint32_t type)
{
    static const char *const names[] = {
        "null", "bool", "integer", "number", "string", "map", "list"
    };
    return type < GWR_ARRAY_LEN(names) ? names[type] : "unknown";
}

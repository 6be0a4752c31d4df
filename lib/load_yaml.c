/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * YAML reader on libyaml's event API. Scalars follow the YAML 1.2 core
 * schema (lib/node_scalar.c); anchors are per document and an alias
 * shares the anchored node (the tree is read-only) after its expanded
 * size has been charged to the alias budget. Merge keys are refused.
 *
 * libyaml allocates its own state and events with malloc (it has no
 * allocator hooks); every path below deletes the event and the parser.
 */
#include <string.h>

#include <yaml.h>

#include "node_load.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef struct anchor {
    const char *name;    /* arena copy */
    size_t len;
    uint64_t gen;        /* document it belongs to; other gens are free */
    gwr_node *node;
    size_t logical;
} anchor;

typedef struct yreader {
    gwr_tree *t;
    const char *text;
    size_t len;
    anchor *tab;         /* open addressing, power-of-two capacity */
    size_t cap, count;
    uint64_t gen;
    gwr_str open_anchor[GWR_MAX_DEPTH]; /* anchors of open containers */
    size_t skip;         /* nesting of a map/seq key being skipped */
    uint32_t skip_line, skip_col;
} yreader;

enum tag_kind {
    TAG_NONE, TAG_BANG, TAG_STR, TAG_INT, TAG_FLOAT, TAG_BOOL, TAG_NULL,
    TAG_MAP, TAG_SEQ, TAG_OTHER
};

static enum tag_kind
classify_tag(const char *tag)
{
    static const struct { const char *name; enum tag_kind kind; } known[] = {
        { "str", TAG_STR }, { "int", TAG_INT }, { "float", TAG_FLOAT },
        { "bool", TAG_BOOL }, { "null", TAG_NULL }, { "map", TAG_MAP },
        { "seq", TAG_SEQ },
    };
    if (tag == NULL)
        return TAG_NONE;
    if (strcmp(tag, "!") == 0)
        return TAG_BANG;
    size_t pl = strlen(TAG_PREFIX);
    if (strncmp(tag, TAG_PREFIX, pl) != 0)
        return TAG_OTHER;
    for (size_t i = 0; i < GWR_ARRAY_LEN(known); i++) {
        if (strcmp(tag + pl, known[i].name) == 0)
            return known[i].kind;
    }
    return TAG_OTHER;
}

/* "!!int" rather than "tag:yaml.org,2002:int" in messages. */
static const char *
short_tag(const char *tag, const char **bang)
{
    size_t pl = strlen(TAG_PREFIX);
    if (strncmp(tag, TAG_PREFIX, pl) == 0) {
        *bang = "!!";
        return tag + pl;
    }
    *bang = "";
    return tag;
}

/* At most 64 bytes of s in a message, not splitting UTF-8. */
static int
clip(gwr_str s)
{
    size_t n = s.len;
    if (n > 64) {
        n = 64;
        while (n > 0 && ((unsigned char)s.ptr[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

static int
unknown_tag(yreader *y, const char *tag, uint32_t line, uint32_t col)
{
    const char *bang;
    const char *name = short_tag(tag, &bang);
    return gwr_tree__warning(y->t, line, col,
                             "unknown tag \"%s%.64s\" ignored", bang, name);
}

static int
bad_tag(yreader *y, const char *tag, const char *what, uint32_t line,
        uint32_t col)
{
    const char *bang;
    const char *name = short_tag(tag, &bang);
    return gwr_tree__error(y->t, line, col, "tag %s%s does not apply to %s",
                           bang, name, what);
}

/* ---- anchors ----------------------------------------------------------- */

static uint64_t
hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;    /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* The slot holding name in this document, else the free slot where it
 * would go. Entries of older documents count as free: an insert takes
 * the first free slot of its probe sequence, so no current entry ever
 * sits behind one. */
static anchor *
find_slot(anchor *tab, size_t cap, uint64_t gen, const char *name,
          size_t len)
{
    size_t mask = cap - 1;
    for (size_t i = (size_t)hash_name(name, len) & mask;; i = (i + 1) & mask) {
        anchor *a = &tab[i];
        if (a->gen != gen)
            return a;
        if (a->len == len && memcmp(a->name, name, len) == 0)
            return a;
    }
}

static int
grow_anchors(yreader *y)
{
    size_t cap = y->cap ? y->cap * 2 : 16;
    anchor *tab = gwr__calloc(y->t->ctx, cap, sizeof(*tab));
    if (tab == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < y->cap; i++) {
        const anchor *a = &y->tab[i];
        if (a->gen == y->gen)
            *find_slot(tab, cap, y->gen, a->name, a->len) = *a;
    }
    gwr__free(y->t->ctx, y->tab);
    y->tab = tab;
    y->cap = cap;
    return GWR_OK;
}

static int
define_anchor(yreader *y, gwr_str name, gwr_node *node, size_t logical)
{
    if ((y->count + 1) * 2 > y->cap && grow_anchors(y) != GWR_OK) {
        y->t->nomem = 1;
        return GWR_E_NOMEM;
    }
    anchor *a = find_slot(y->tab, y->cap, y->gen, name.ptr, name.len);
    if (a->gen != y->gen) {
        /* A redefinition reuses its slot; only new names need a copy. */
        char *copy = gwr_arena__strndup(y->t->arena, name.ptr, name.len);
        if (copy == NULL) {
            y->t->nomem = 1;
            return GWR_E_NOMEM;
        }
        a->name = copy;
        a->len = name.len;
        a->gen = y->gen;
        y->count++;
    }
    a->node = node;
    a->logical = logical;
    return GWR_OK;
}

static const anchor *
lookup_anchor(const yreader *y, const char *name)
{
    if (y->cap == 0)
        return NULL;
    const anchor *a = find_slot(y->tab, y->cap, y->gen, name, strlen(name));
    return a->gen == y->gen ? a : NULL;
}

/* ---- scalars ----------------------------------------------------------- */

static uint32_t
mark_line(yaml_mark_t m)
{
    return (uint32_t)m.line + 1;
}

static uint32_t
mark_col(yaml_mark_t m)
{
    return (uint32_t)m.column + 1;
}

/* Type of a scalar from its tag, style and text. Problems are reported;
 * the scalar then reads as a string (the text is refused anyway). */
static int
scalar_type(yreader *y, const yaml_event_t *ev, uint32_t line, uint32_t col,
            gwr_node *n)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    gwr_str s = n->text;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    enum tag_kind kind = classify_tag(tag);
    int range = 0, ok = 1, rc = GWR_OK;
    n->type = GWR_NODE_STRING;
    switch (kind) {
    case TAG_OTHER:
        rc = unknown_tag(y, tag, line, col);
        GWR_FALLTHROUGH;
    case TAG_NONE:
        if (plain)
            n->type = gwr_scalar__resolve(s, &n->ival, &n->bval, &range);
        break;
    case TAG_BANG:
    case TAG_STR:
        break;
    case TAG_INT: {
        int r = gwr_scalar__is_int(s, &n->ival);
        ok = r != GWR_SCALAR_NO;
        range = r == GWR_SCALAR_RANGE;
        if (ok)
            n->type = GWR_NODE_INT;
        break;
    }
    case TAG_FLOAT: {
        int64_t ignored;
        ok = gwr_scalar__is_float(s) ||
             gwr_scalar__is_int(s, &ignored) != GWR_SCALAR_NO;
        if (ok)
            n->type = GWR_NODE_FLOAT;
        break;
    }
    case TAG_BOOL:
        ok = gwr_scalar__is_bool(s, &n->bval);
        if (ok)
            n->type = GWR_NODE_BOOL;
        break;
    case TAG_NULL:
        ok = gwr_scalar__is_null(s);
        if (ok)
            n->type = GWR_NODE_NULL;
        break;
    case TAG_MAP:
    case TAG_SEQ:
        return bad_tag(y, tag, "a scalar", line, col);
    }
    if (rc != GWR_OK)
        return rc;
    if (!ok) {
        const char *bang;
        const char *name = short_tag(tag, &bang);
        n->type = GWR_NODE_STRING;
        return gwr_tree__error(y->t, line, col, "\"%.*s\" is not a valid %s%s",
                               clip(s), s.ptr, bang, name);
    }
    if (range) {
        n->type = GWR_NODE_STRING;
        return gwr_tree__error(y->t, line, col, "integer out of range");
    }
    return GWR_OK;
}

static int
make_scalar(yreader *y, const yaml_event_t *ev, gwr_node **out)
{
    uint32_t line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    gwr_str text = { (const char *)ev->data.scalar.value,
                     ev->data.scalar.length };
    int rc = gwr_tree__new_scalar(y->t, GWR_NODE_STRING, text, line, col,
                                  out);
    return rc != GWR_OK ? rc : scalar_type(y, ev, line, col, *out);
}

static int
on_key_scalar(yreader *y, const yaml_event_t *ev)
{
    uint32_t line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    gwr_str text = { (const char *)ev->data.scalar.value,
                     ev->data.scalar.length };
    const char *tag = (const char *)ev->data.scalar.tag;
    int rc = GWR_OK;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL &&
        gwr_str__eq_cstr(text, "<<"))
        rc = gwr_tree__error(y->t, line, col,
                             "YAML merge keys are not supported");
    else if (ev->data.scalar.anchor != NULL) {
        /* An anchored key can be aliased as a value later; as a key it
         * is text, so the node is a string whatever it looks like. */
        gwr_node *n = NULL;
        rc = gwr_tree__new_scalar(y->t, GWR_NODE_STRING, text, line, col, &n);
        if (rc == GWR_OK)
            rc = define_anchor(y, gwr_str__from_cstr(
                                   (const char *)ev->data.scalar.anchor),
                               n, 1);
    } else if (classify_tag(tag) == TAG_OTHER) {
        rc = unknown_tag(y, tag, line, col);
    } else if (classify_tag(tag) == TAG_MAP || classify_tag(tag) == TAG_SEQ) {
        rc = bad_tag(y, tag, "a scalar", line, col);
    }
    return rc != GWR_OK ? rc : gwr_tree__key(y->t, text, line, col);
}

static int
on_scalar(yreader *y, const yaml_event_t *ev)
{
    if (y->skip > 0)
        return GWR_OK;
    if (gwr_tree__wants_key(y->t))
        return on_key_scalar(y, ev);
    gwr_node *n = NULL;
    int rc = make_scalar(y, ev, &n);
    if (rc == GWR_OK)
        rc = gwr_tree__attach(y->t, n, 1);
    if (rc == GWR_OK && ev->data.scalar.anchor != NULL)
        rc = define_anchor(y, gwr_str__from_cstr(
                               (const char *)ev->data.scalar.anchor), n, 1);
    return rc;
}

/* ---- aliases and containers -------------------------------------------- */

static int
not_string_key(yreader *y, uint32_t type, uint32_t line, uint32_t col)
{
    return gwr_tree__error(y->t, line, col,
                           "mapping keys must be strings (found a %s)",
                           gwr_node__type_name(type));
}

static int
on_alias(yreader *y, const yaml_event_t *ev)
{
    if (y->skip > 0)
        return GWR_OK;
    uint32_t line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    const char *name = (const char *)ev->data.alias.anchor;
    const anchor *a = lookup_anchor(y, name);
    int key = gwr_tree__wants_key(y->t);
    int rc;
    gwr_str none = { NULL, 0 };
    if (a == NULL) {
        rc = gwr_tree__error(y->t, line, col,
                             "alias *%.64s refers to no anchor defined "
                             "before it", name);
        if (rc != GWR_OK)
            return rc;
        if (key)
            return gwr_tree__key(y->t, none, line, col);
        gwr_node *n = NULL;
        rc = gwr_tree__new_scalar(y->t, GWR_NODE_NULL, none, line, col, &n);
        return rc != GWR_OK ? rc : gwr_tree__attach(y->t, n, 1);
    }
    if (!key)
        return gwr_tree__alias(y->t, a->node, a->logical, line, col);
    if (!gwr_node__is_scalar(a->node)) {
        rc = not_string_key(y, a->node->type, line, col);
        return rc != GWR_OK ? rc : gwr_tree__key(y->t, none, line, col);
    }
    rc = gwr_tree__alias_key(y->t, line, col);
    return rc != GWR_OK ? rc : gwr_tree__key(y->t, a->node->text, line, col);
}

static int
on_start(yreader *y, const yaml_event_t *ev, uint32_t type)
{
    uint32_t line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    if (y->skip > 0) {
        y->skip++;
        return gwr_tree__check_depth(y->t, y->skip, line, col);
    }
    if (gwr_tree__wants_key(y->t)) {
        /* Report, then skip the key's events; its value still gets read
         * into a placeholder pair so parsing can go on. */
        y->skip = 1;
        y->skip_line = line;
        y->skip_col = col;
        int rc = not_string_key(y, type, line, col);
        return rc != GWR_OK ? rc : gwr_tree__check_depth(y->t, 1, line, col);
    }
    const char *tag;
    const char *anchor_name;
    if (type == GWR_NODE_MAP) {
        tag = (const char *)ev->data.mapping_start.tag;
        anchor_name = (const char *)ev->data.mapping_start.anchor;
    } else {
        tag = (const char *)ev->data.sequence_start.tag;
        anchor_name = (const char *)ev->data.sequence_start.anchor;
    }
    enum tag_kind kind = classify_tag(tag);
    int rc = GWR_OK;
    if (kind == TAG_OTHER)
        rc = unknown_tag(y, tag, line, col);
    else if (kind != TAG_NONE && kind != TAG_BANG &&
             kind != (type == GWR_NODE_MAP ? TAG_MAP : TAG_SEQ))
        rc = bad_tag(y, tag, type == GWR_NODE_MAP ? "a map" : "a list",
                     line, col);
    if (rc == GWR_OK)
        rc = gwr_tree__begin(y->t, type, line, col);
    if (rc != GWR_OK)
        return rc;
    gwr_str *slot = &y->open_anchor[y->t->depth - 1];
    slot->ptr = NULL;
    slot->len = 0;
    if (anchor_name != NULL) {
        gwr_str name = gwr_str__from_cstr(anchor_name);
        /* Kept until the end event; libyaml frees the event before. */
        if (gwr_arena__str(y->t->arena, name, slot) != GWR_OK) {
            y->t->nomem = 1;
            return GWR_E_NOMEM;
        }
    }
    return GWR_OK;
}

static int
on_end(yreader *y)
{
    if (y->skip > 0) {
        if (--y->skip > 0)
            return GWR_OK;
        gwr_str none = { NULL, 0 };
        return gwr_tree__key(y->t, none, y->skip_line, y->skip_col);
    }
    gwr_str name = y->open_anchor[y->t->depth - 1];
    gwr_node *n = NULL;
    size_t logical = 0;
    int rc = gwr_tree__end(y->t, &n, &logical);
    if (rc == GWR_OK && name.ptr != NULL)
        rc = define_anchor(y, name, n, logical);
    return rc;
}

/* ---- libyaml errors ---------------------------------------------------- */

static int
parser_error(yreader *y, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR) {
        y->t->nomem = 1;
        return GWR_E_NOMEM;
    }
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        gwr_textpos pos;
        gwr_node__pos_init(&pos, y->text, y->len);
        gwr_node__pos_seek(&pos, p->problem_offset);
        if (p->problem_value != -1)
            return gwr_tree__syntax(y->t, pos.line, pos.col, "%s (0x%02x)",
                                    problem, (unsigned)p->problem_value);
        return gwr_tree__syntax(y->t, pos.line, pos.col, "%s", problem);
    }
    uint32_t line = mark_line(p->problem_mark);
    uint32_t col = mark_col(p->problem_mark);
    if (p->context != NULL)
        return gwr_tree__syntax(y->t, line, col,
                                "%s (%s at line %u column %u)", problem,
                                p->context, mark_line(p->context_mark),
                                mark_col(p->context_mark));
    return gwr_tree__syntax(y->t, line, col, "%s", problem);
}

static int
on_event(yreader *y, const yaml_event_t *ev, int *done)
{
    uint32_t line = mark_line(ev->start_mark), col = mark_col(ev->start_mark);
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *done = 1;
        return GWR_OK;
    case YAML_DOCUMENT_START_EVENT:
        y->gen++;           /* anchors do not cross documents */
        y->count = 0;
        return gwr_tree__doc_begin(y->t, line, col);
    case YAML_DOCUMENT_END_EVENT:
        return gwr_tree__doc_end(y->t, line, col);
    case YAML_SCALAR_EVENT:
        return on_scalar(y, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(y, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(y, ev, GWR_NODE_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_start(y, ev, GWR_NODE_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(y);
    default:
        return GWR_OK;
    }
}

void
gwr_yaml__load(gwr_tree *t, const char *text, size_t len)
{
    yreader y;
    memset(&y, 0, sizeof(y));
    y.t = t;
    y.text = text;
    y.len = len;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        t->nomem = 1;
        return;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int done = 0, rc = GWR_OK;
    while (!done && rc == GWR_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(&y, &parser);
            break;
        }
        rc = on_event(&y, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    gwr__free(t->ctx, y.tab);
}

/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The tree builder shared by the YAML and JSON readers: a stack of open
 * containers whose children wait in one scratch array until the container
 * closes and gets an exact-size copy in the arena. Enforces the limits,
 * rejects duplicate keys and writes the diagnostics (with field paths).
 */
#include <stdio.h>
#include <string.h>

#include "node_load.h"

void
gwr_tree__init(gwr_tree *t, gwr_arena *arena, gwr_diag_list *diags,
               gwr_str source, const gwr_node_limits *lim)
{
    memset(t, 0, sizeof(*t));
    t->arena = arena;
    t->ctx = arena->ctx;
    t->diags = diags;
    t->source = source;
    t->lim = lim;
    gwr_buf__init(&t->tmp, t->ctx);
}

void
gwr_tree__free(gwr_tree *t)
{
    gwr__free(t->ctx, t->scratch);
    gwr__free(t->ctx, t->docs);
    gwr_buf__free(&t->tmp);
    t->scratch = NULL;
    t->docs = NULL;
}

int
gwr_tree__status(const gwr_tree *t)
{
    if (t->nomem)
        return GWR_E_NOMEM;
    if (t->limit)
        return GWR_E_LIMIT;
    return t->errors ? GWR_E_PARSE : GWR_OK;
}

static int
nomem(gwr_tree *t)
{
    t->nomem = 1;
    return GWR_E_NOMEM;
}

/* ---- field paths ------------------------------------------------------- */

static int
plain_key(gwr_str k)
{
    if (k.len == 0)
        return 0;
    for (size_t i = 0; i < k.len; i++) {
        unsigned char c = (unsigned char)k.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* At most this many bytes of a key go into a path or message. */
#define KEY_SHOWN 64u

/* Length of a prefix of k of at most KEY_SHOWN bytes that does not split
 * a UTF-8 sequence. */
static size_t
shown_len(gwr_str k)
{
    if (k.len <= KEY_SHOWN)
        return k.len;
    size_t n = KEY_SHOWN;
    while (n > 0 && ((unsigned char)k.ptr[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void
path_key(gwr_buf *b, gwr_str k)
{
    size_t n = shown_len(k);
    if (plain_key(k)) {
        if (b->len > 0)
            gwr_buf__putc(b, '.');
        gwr_buf__append(b, k.ptr, n);
    } else {
        gwr_buf__puts(b, "[\"");
        gwr_buf__append(b, k.ptr != NULL ? k.ptr : "", n);
        gwr_buf__puts(b, n < k.len ? "...\"]" : "\"]");
    }
}

/* The path of the value about to be attached (the open container's
 * pending key or next index); extra, if not NULL, is a key inside it. */
static void
build_path(gwr_tree *t, const gwr_str *extra)
{
    gwr_buf *b = &t->tmp;
    gwr_buf__truncate(b, 0);
    for (size_t i = 0; i < t->depth; i++) {
        const gwr_tree_frame *f = &t->frames[i];
        size_t end = i + 1 < t->depth ? t->frames[i + 1].start : t->nscratch;
        if (f->node->type == GWR_NODE_MAP) {
            if (f->have_key && end > f->start)
                path_key(b, t->scratch[end - 1].key);
        } else {
            gwr_buf__printf(b, "[%zu]", end - f->start);
        }
    }
    if (extra != NULL)
        path_key(b, *extra);
}

static int
vdiag(gwr_tree *t, uint32_t sev, uint32_t line, uint32_t col,
      const gwr_str *extra, const char *fmt, va_list ap) GWR_PRINTF(6, 0);

static int
vdiag(gwr_tree *t, uint32_t sev, uint32_t line, uint32_t col,
      const gwr_str *extra, const char *fmt, va_list ap)
{
    build_path(t, extra);
    if (t->tmp.err != GWR_OK)
        return nomem(t);
    gwr_diag_loc loc;
    memset(&loc, 0, sizeof(loc));
    loc.source = t->source;
    loc.line = line;
    loc.col = col;
    loc.field.ptr = t->tmp.ptr;
    loc.field.len = t->tmp.len;
    if (gwr_diag__vadd(t->diags, sev, &loc, fmt, ap) != GWR_OK)
        return nomem(t);
    return GWR_OK;
}

static int
diag(gwr_tree *t, uint32_t sev, uint32_t line, uint32_t col,
     const gwr_str *extra, const char *fmt, ...) GWR_PRINTF(6, 7);

static int
diag(gwr_tree *t, uint32_t sev, uint32_t line, uint32_t col,
     const gwr_str *extra, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdiag(t, sev, line, col, extra, fmt, ap);
    va_end(ap);
    return rc;
}

/* Count an error; past the budget, say so once and stop. */
static int
count_error(gwr_tree *t, uint32_t line, uint32_t col)
{
    t->errors++;
    if (t->errors < t->lim->errors)
        return GWR_OK;
    if (diag(t, GWR_DIAG_NOTE, line, col, NULL,
             "too many errors (%zu); stopped reading", t->errors) != GWR_OK)
        return GWR_E_NOMEM;
    return GWR_E_PARSE;
}

int
gwr_tree__error(gwr_tree *t, uint32_t line, uint32_t col, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdiag(t, GWR_DIAG_ERROR, line, col, NULL, fmt, ap);
    va_end(ap);
    return rc != GWR_OK ? rc : count_error(t, line, col);
}

int
gwr_tree__warning(gwr_tree *t, uint32_t line, uint32_t col, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdiag(t, GWR_DIAG_WARNING, line, col, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int
gwr_tree__syntax(gwr_tree *t, uint32_t line, uint32_t col, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdiag(t, GWR_DIAG_ERROR, line, col, NULL, fmt, ap);
    va_end(ap);
    t->errors++;
    return rc != GWR_OK ? rc : GWR_E_PARSE;
}

static int
limit(gwr_tree *t, uint32_t line, uint32_t col, const char *what,
      const char *name, size_t value)
{
    t->limit = 1;
    t->errors++;
    int rc = diag(t, GWR_DIAG_ERROR, line, col, NULL,
                  "%s: limit %s (%zu) exceeded", what, name, value);
    return rc != GWR_OK ? rc : GWR_E_LIMIT;
}

/* ---- documents --------------------------------------------------------- */

int
gwr_tree__doc_begin(gwr_tree *t, uint32_t line, uint32_t col)
{
    if (t->ndocs >= t->lim->documents)
        return limit(t, line, col, "too many documents", "GWR_MAX_DOCUMENTS",
                     t->lim->documents);
    t->in_doc = 1;
    t->root = NULL;
    return GWR_OK;
}

static gwr_node *
new_node(gwr_tree *t, uint32_t type, uint32_t line, uint32_t col)
{
    gwr_node *n = gwr_arena__calloc(t->arena, 1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->type = type;
    n->line = line;
    n->col = col;
    n->text.ptr = "";
    return n;
}

static int
count_nodes(gwr_tree *t, size_t k, uint32_t line, uint32_t col)
{
    if (k > t->lim->nodes || t->nodes > t->lim->nodes - k)
        return limit(t, line, col, "too many nodes", "GWR_MAX_NODES",
                     t->lim->nodes);
    t->nodes += k;
    return GWR_OK;
}

int
gwr_tree__doc_end(gwr_tree *t, uint32_t line, uint32_t col)
{
    if (t->root == NULL) {
        int rc = count_nodes(t, 1, line, col);
        if (rc != GWR_OK)
            return rc;
        t->root = new_node(t, GWR_NODE_NULL, line, col);
        if (t->root == NULL)
            return nomem(t);
    }
    if (gwr__grow(t->ctx, (void **)&t->docs, &t->capdocs, t->ndocs + 1,
                  sizeof(*t->docs)) != GWR_OK)
        return nomem(t);
    t->docs[t->ndocs++] = t->root;
    t->root = NULL;
    t->in_doc = 0;
    return GWR_OK;
}

int
gwr_tree__finish(gwr_tree *t, gwr_docs *out)
{
    out->docs = NULL;
    out->n = 0;
    int rc = gwr_tree__status(t);
    if (rc != GWR_OK || t->ndocs == 0)
        return rc;
    gwr_node **docs = gwr_arena__alloc(t->arena, t->ndocs * sizeof(*docs));
    if (docs == NULL)
        return nomem(t);
    memcpy(docs, t->docs, t->ndocs * sizeof(*docs));
    out->docs = docs;
    out->n = t->ndocs;
    return GWR_OK;
}

/* ---- containers -------------------------------------------------------- */

uint32_t
gwr_tree__open_type(const gwr_tree *t)
{
    return t->depth ? t->frames[t->depth - 1].node->type : GWR_NODE_NULL;
}

int
gwr_tree__wants_key(const gwr_tree *t)
{
    if (t->depth == 0)
        return 0;
    const gwr_tree_frame *f = &t->frames[t->depth - 1];
    return f->node->type == GWR_NODE_MAP && !f->have_key;
}

static size_t
max_depth(const gwr_tree *t)
{
    return t->lim->depth < GWR_MAX_DEPTH ? t->lim->depth : GWR_MAX_DEPTH;
}

int
gwr_tree__check_depth(gwr_tree *t, size_t extra, uint32_t line, uint32_t col)
{
    size_t max = max_depth(t);
    if (t->depth > max || extra > max - t->depth)
        return limit(t, line, col, "nesting too deep", "GWR_MAX_DEPTH", max);
    return GWR_OK;
}

int
gwr_tree__begin(gwr_tree *t, uint32_t type, uint32_t line, uint32_t col)
{
    int rc = gwr_tree__check_depth(t, 1, line, col);
    if (rc == GWR_OK)
        rc = count_nodes(t, 1, line, col);
    if (rc != GWR_OK)
        return rc;
    gwr_node *n = new_node(t, type, line, col);
    if (n == NULL)
        return nomem(t);
    gwr_tree_frame *f = &t->frames[t->depth++];
    f->node = n;
    f->start = t->nscratch;
    f->logical = 0;
    f->have_key = 0;
    return GWR_OK;
}

static int
push_slot(gwr_tree *t, gwr_node_pair **slot)
{
    if (gwr__grow(t->ctx, (void **)&t->scratch, &t->capscratch,
                  t->nscratch + 1, sizeof(*t->scratch)) != GWR_OK)
        return nomem(t);
    *slot = &t->scratch[t->nscratch++];
    memset(*slot, 0, sizeof(**slot));
    return GWR_OK;
}

static int
check_text(gwr_tree *t, gwr_str text, uint32_t line, uint32_t col)
{
    if (text.len > t->lim->scalar_bytes)
        return limit(t, line, col, "scalar too long", "GWR_MAX_SCALAR_BYTES",
                     t->lim->scalar_bytes);
    /* Escapes (\0, \u0000) can produce NUL; later stages use C strings. */
    if (text.len > 0 && memchr(text.ptr, '\0', text.len) != NULL)
        return gwr_tree__error(t, line, col, "NUL character in a string");
    return GWR_OK;
}

int
gwr_tree__key(gwr_tree *t, gwr_str text, uint32_t line, uint32_t col)
{
    int rc = GWR_OK;
    if (text.ptr != NULL)
        rc = check_text(t, text, line, col);
    if (rc != GWR_OK)
        return rc;
    gwr_str key = { NULL, 0 };
    if (text.ptr != NULL && gwr_arena__str(t->arena, text, &key) != GWR_OK)
        return nomem(t);
    gwr_node_pair *p;
    if (push_slot(t, &p) != GWR_OK)
        return GWR_E_NOMEM;
    p->key = key;
    p->key_line = line;
    p->key_col = col;
    t->frames[t->depth - 1].have_key = 1;
    return GWR_OK;
}

int
gwr_tree__new_scalar(gwr_tree *t, uint32_t type, gwr_str text, uint32_t line,
                     uint32_t col, gwr_node **out)
{
    int rc = check_text(t, text, line, col);
    if (rc == GWR_OK)
        rc = count_nodes(t, 1, line, col);
    if (rc != GWR_OK)
        return rc;
    gwr_node *n = new_node(t, type, line, col);
    if (n == NULL || gwr_arena__str(t->arena, text, &n->text) != GWR_OK)
        return nomem(t);
    *out = n;
    return GWR_OK;
}

int
gwr_tree__attach(gwr_tree *t, gwr_node *node, size_t logical)
{
    if (t->depth == 0) {
        t->root = node;
        return GWR_OK;
    }
    gwr_tree_frame *f = &t->frames[t->depth - 1];
    f->logical += logical;
    if (f->node->type == GWR_NODE_MAP) {
        t->scratch[t->nscratch - 1].value = node;
        f->have_key = 0;
        return GWR_OK;
    }
    gwr_node_pair *p;
    if (push_slot(t, &p) != GWR_OK)
        return GWR_E_NOMEM;
    p->value = node;
    return GWR_OK;
}

static int
charge_alias(gwr_tree *t, size_t logical, uint32_t line, uint32_t col)
{
    size_t max = t->lim->alias_expansion;
    /* Checked before anything is shared: a "billion laughs" text stops
     * as soon as the expansion it asks for passes the budget. */
    if (logical > max || t->aliased > max - logical)
        return limit(t, line, col, "alias expansion too large",
                     "GWR_MAX_ALIAS_EXPANSION", max);
    t->aliased += logical;
    return count_nodes(t, logical, line, col);
}

int
gwr_tree__alias(gwr_tree *t, gwr_node *node, size_t logical, uint32_t line,
                uint32_t col)
{
    int rc = charge_alias(t, logical, line, col);
    return rc != GWR_OK ? rc : gwr_tree__attach(t, node, logical);
}

int
gwr_tree__alias_key(gwr_tree *t, uint32_t line, uint32_t col)
{
    return charge_alias(t, 1, line, col);
}

/* ---- duplicate keys ---------------------------------------------------- */

/* Stable bottom-up merge sort of indexes by key (qsort has no user
 * pointer, and a static one would not be thread-safe). */
static void
sort_by_key(const gwr_node_pair *p, size_t *idx, size_t *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = mid + w < n ? mid + w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                if (gwr_str__cmp(p[idx[b]].key, p[idx[a]].key) < 0)
                    tmp[k++] = idx[b++];
                else
                    tmp[k++] = idx[a++];
            }
            while (a < mid)
                tmp[k++] = idx[a++];
            while (b < hi)
                tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof(*idx));
    }
}

static int
report_dup(gwr_tree *t, const gwr_node_pair *first, const gwr_node_pair *dup)
{
    int rc = diag(t, GWR_DIAG_ERROR, dup->key_line, dup->key_col, &dup->key,
                  "duplicate key \"%.*s%s\" (first at line %u)",
                  (int)shown_len(dup->key), dup->key.ptr,
                  shown_len(dup->key) < dup->key.len ? "..." : "",
                  (unsigned)first->key_line);
    return rc != GWR_OK ? rc : count_error(t, dup->key_line, dup->key_col);
}

/* Small maps: pairwise. Large ones: sort indexes by key, mark each later
 * equal key with the first, then report in document order. */
static int
check_dups(gwr_tree *t, const gwr_node_pair *p, size_t n)
{
    int rc = GWR_OK;
    if (n <= 16) {
        for (size_t j = 1; j < n && rc == GWR_OK; j++) {
            if (p[j].key.ptr == NULL)
                continue;
            for (size_t i = 0; i < j; i++) {
                if (p[i].key.ptr != NULL && gwr_str__eq(p[i].key, p[j].key)) {
                    rc = report_dup(t, &p[i], &p[j]);
                    break;
                }
            }
        }
        return rc;
    }
    size_t *idx = gwr__calloc(t->ctx, n, 3 * sizeof(*idx));
    if (idx == NULL)
        return nomem(t);
    size_t *first = idx + n;
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        first[i] = SIZE_MAX;
    }
    sort_by_key(p, idx, idx + 2 * n, n);
    for (size_t k = 1; k < n; k++) {
        size_t a = idx[k - 1], b = idx[k];
        if (p[a].key.ptr == NULL || p[b].key.ptr == NULL)
            continue;
        if (gwr_str__eq(p[a].key, p[b].key))
            first[b] = first[a] != SIZE_MAX ? first[a] : a;
    }
    for (size_t j = 0; j < n && rc == GWR_OK; j++) {
        if (first[j] != SIZE_MAX)
            rc = report_dup(t, &p[first[j]], &p[j]);
    }
    gwr__free(t->ctx, idx);
    return rc;
}

int
gwr_tree__end(gwr_tree *t, gwr_node **node, size_t *logical)
{
    gwr_tree_frame *f = &t->frames[t->depth - 1];
    gwr_node *n = f->node;
    size_t count = t->nscratch - f->start;
    /* scratch is still NULL when no key/item was ever pushed. */
    const gwr_node_pair *kids = t->scratch != NULL ? t->scratch + f->start
                                                   : NULL;
    int rc = GWR_OK;
    if (n->type == GWR_NODE_MAP) {
        rc = check_dups(t, kids, count);
        if (rc != GWR_OK)
            return rc;
        if (count > 0) {
            n->pairs = gwr_arena__alloc(t->arena, count * sizeof(*n->pairs));
            if (n->pairs == NULL)
                return nomem(t);
            memcpy(n->pairs, kids, count * sizeof(*n->pairs));
        }
    } else if (count > 0) {
        n->items = gwr_arena__alloc(t->arena, count * sizeof(*n->items));
        if (n->items == NULL)
            return nomem(t);
        for (size_t i = 0; i < count; i++)
            n->items[i] = kids[i].value;
    }
    n->n = count;
    size_t size = 1 + f->logical;
    t->nscratch = f->start;
    t->depth--;
    if (node != NULL)
        *node = n;
    if (logical != NULL)
        *logical = size;
    return gwr_tree__attach(t, n, size);
}

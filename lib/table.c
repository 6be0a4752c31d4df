/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Table lifetime (atomic refcount, freed through the context allocator on
 * whichever thread drops the last reference), the build-once string hash
 * maps of the index, and the precedence comparator shared by the
 * compiler and the reference matcher.
 */
#include <string.h>

#include "select.h"
#include "swar.h"
#include "table_int.h"

uint64_t
gwr_table__hash(gwr_str s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.ptr[i]) * UINT64_C(0x100000001b3);
    return h ^ (h >> 29);
}

uint64_t
gwr_table__key_hash(gwr_str s)
{
    gwr_path_keys k;
    gwr_scan__hash_path(s, &k);
    return k.full;
}

uint64_t
gwr_table__key_hash_rev(gwr_str s)
{
    gwr_host_keys k;
    gwr_scan__hash_host(s, &k);
    return k.full;
}

_Static_assert(sizeof(tbl_match) <= 80, "tbl_match packs into 80 bytes on LP64");

int
gwr_smap__build(gwr_arena *a, gwr_smap *m, void *const *values, size_t n,
                int rev)
{
    m->slots = NULL;
    m->mask = 0;
    if (n == 0)
        return GWR_OK;
    /* Load factor at most 3/4: 16-byte slots, four per cache line, and
     * the 32-bit hash in the slot rejects nearly every foreign key without
     * touching it, so a few more probes cost less than the memory. */
    size_t cap = 4;
    while (cap * 3 < n * 4)
        cap *= 2;
    m->slots = gwr_arena__calloc(a, cap, sizeof(*m->slots));
    if (m->slots == NULL)
        return GWR_E_NOMEM;
    m->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        gwr_str key = gwr_smap__key(values[i]);
        uint64_t h = rev ? gwr_table__key_hash_rev(key)
                         : gwr_table__key_hash(key);
        size_t j = (size_t)h & m->mask;
        while (m->slots[j].value != NULL)
            j = (j + 1) & m->mask;
        m->slots[j].klen = (uint32_t)key.len;
        m->slots[j].khash = (uint32_t)(h >> 32);
        m->slots[j].value = values[i];
    }
    return GWR_OK;
}

static int
path_class(uint32_t type)
{
    /* Exact > RegularExpression > PathPrefix, as Contour, NGINX Gateway
     * Fabric and Envoy Gateway order them (gateway-api issue #2974). */
    switch (type) {
    case GWR_MATCH_EXACT: return 0;
    case GWR_MATCH_REGEX: return 1;
    default: return 2;
    }
}

static int
cmp_ns_name(const tbl_route *a, const tbl_route *b)
{
    /* "{namespace}/{name}" compared as one string. */
    size_t i = 0, na = a->ns.len + 1 + a->name.len, nb = b->ns.len + 1 + b->name.len;
    for (; i < na && i < nb; i++) {
        unsigned char ca = (unsigned char)(i < a->ns.len ? a->ns.ptr[i]
                            : i == a->ns.len ? '/' : a->name.ptr[i - a->ns.len - 1]);
        unsigned char cb = (unsigned char)(i < b->ns.len ? b->ns.ptr[i]
                            : i == b->ns.len ? '/' : b->name.ptr[i - b->ns.len - 1]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return (na > nb) - (na < nb);
}

/* The common tail of both orders: older route, "{namespace}/{name}",
 * kind (same namespace/name: HTTPRoute first), rule order, match order. */
static int
cmp_tail(const tbl_match *a, const tbl_match *b)
{
    const tbl_route *ra = a->rule->route, *rb = b->rule->route;
    if (ra != rb) {
        /* Older first; no creationTimestamp = newer than any. */
        if (ra->has_creation != rb->has_creation)
            return rb->has_creation - ra->has_creation;
        if (ra->has_creation && ra->creation_ms != rb->creation_ms)
            return ra->creation_ms < rb->creation_ms ? -1 : 1;
        int c = cmp_ns_name(ra, rb);
        if (c != 0)
            return c;
        if (ra->kind != rb->kind)
            return ra->kind < rb->kind ? -1 : 1;
    }
    if (a->rule->index != b->rule->index)
        return a->rule->index < b->rule->index ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

int
gwr_table__cmp_match(const tbl_match *a, const tbl_match *b)
{
    int ca = path_class(a->path_type), cb = path_class(b->path_type);
    if (ca != cb)
        return ca - cb;
    /* More characters first; regexes are not ranked by length. */
    if (ca != 1 && a->path.len != b->path.len)
        return a->path.len > b->path.len ? -1 : 1;
    int ma = a->method.len != 0, mb = b->method.len != 0;
    if (ma != mb)
        return mb - ma;
    if (a->n_headers != b->n_headers)
        return a->n_headers > b->n_headers ? -1 : 1;
    if (a->n_query != b->n_query)
        return a->n_query > b->n_query ? -1 : 1;
    return cmp_tail(a, b);
}

int
gwr_table__cmp_grpc(const tbl_match *a, const tbl_match *b)
{
    /* §3.9: characters in the matching service, then in the matching
     * method. An Exact side beats a RegularExpression side beats an
     * absent one; two sides of one rank compare their characters as
     * written (two matching Exact sides are equal; regex patterns: the
     * longer one first) (docs/DECISIONS.md). */
    if (a->svc_rank != b->svc_rank)
        return a->svc_rank > b->svc_rank ? -1 : 1;
    if (a->g->svc.len != b->g->svc.len)
        return a->g->svc.len > b->g->svc.len ? -1 : 1;
    if (a->meth_rank != b->meth_rank)
        return a->meth_rank > b->meth_rank ? -1 : 1;
    if (a->g->meth.len != b->g->meth.len)
        return a->g->meth.len > b->g->meth.len ? -1 : 1;
    if (a->n_headers != b->n_headers)
        return a->n_headers > b->n_headers ? -1 : 1;
    return cmp_tail(a, b);
}

gwr_table *
gwr_table_ref(gwr_table *table)
{
    if (table != NULL)
        atomic_fetch_add_explicit(&table->refs, 1, memory_order_relaxed);
    return table;
}

void
gwr_table_unref(gwr_table *table)
{
    if (table == NULL)
        return;
    if (atomic_fetch_sub_explicit(&table->refs, 1, memory_order_acq_rel) != 1)
        return;
    gwr_ctx *ctx = table->ctx;
    for (size_t i = 0; i < table->n_regexes; i++)
        gwr_regex__free(table->regexes[i]);
    gwr__free(ctx, table->regexes);
    gwr_arena__free(&table->arena);
    gwr__free(ctx, table);
    gwr_ctx__unref(ctx);
}

size_t
gwr_table_entry_count(const gwr_table *table)
{
    return table != NULL ? table->n_entries : 0;
}

int
gwr_sample_fraction(uint64_t seed, uint64_t salt, uint32_t num, uint32_t den)
{
    return gwr_select__sample(seed, salt, num, den);
}

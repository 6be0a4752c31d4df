/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The hot path: pick the listener, walk the host buckets in precedence
 * order and, inside a bucket, the exact-path list, the regex list and the
 * PathPrefix lists from the longest request prefix down to "/" (for a gRPC
 * call, the bucket's GRPCRoute classes first). Every list is pre-sorted,
 * so the first entry whose predicates hold wins and the walk stops there.
 * Nothing here allocates: the decision's buffers were sized by
 * gwr_table_match() before the walk.
 */
#include <string.h>

#include "hostname.h"
#include "path.h"
#include "swar.h"
#include "table_int.h"

int
gwr_match__header(gwr_decision *d, gwr_str name, gwr_str *value)
{
    /* RFC 9110 §5.3: repeated fields are one comma-separated list; a
     * configured value is matched against that joined value ("a,b"), as
     * Envoy-based gateways do (docs/MATCHING.md). */
    const gwr_header *h = d->rh;
    size_t n = d->n_rh, found = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        /* The length test first, inline: most fields differ in length. */
        if (h[i].name.len == name.len &&
            gwr_swar__eq_ci(h[i].name.ptr, name.ptr, name.len)) {
            if (found++ == 0)
                first = i;
        }
    }
    if (found == 0)
        return 0;
    if (found == 1) {
        *value = h[first].value;
        return 1;
    }
    /* joinbuf was reserved for the sum of every value plus separators. */
    gwr_buf *b = &d->joinbuf;
    b->len = 0;
    for (size_t i = first, joined = 0; i < n; i++) {
        if (h[i].name.len != name.len ||
            !gwr_swar__eq_ci(h[i].name.ptr, name.ptr, name.len))
            continue;
        /* Count fields, not bytes: an empty first value still gets its
         * separator (",b"). An empty view may have a NULL ptr. */
        if (joined++ > 0)
            b->ptr[b->len++] = ',';
        if (h[i].value.len > 0)
            memcpy(b->ptr + b->len, h[i].value.ptr, h[i].value.len);
        b->len += h[i].value.len;
    }
    value->ptr = b->ptr;
    value->len = b->len;
    return 1;
}

/* The first value of query parameter `name` (exact, case-sensitive,
 * compared after percent-decoding both sides of the request). */
static int
query_param(gwr_decision *d, gwr_str name, gwr_str *value)
{
    if (!d->has_query)
        return 0;
    gwr_str q = d->query;
    char *nbuf = d->qbuf.ptr, *vbuf = d->qbuf.ptr + q.len + 1;
    size_t i = 0;
    while (i <= q.len) {
        size_t j = i;
        while (j < q.len && q.ptr[j] != '&')
            j++;
        gwr_str pair = { q.ptr + i, j - i };
        size_t eq = 0;
        while (eq < pair.len && pair.ptr[eq] != '=')
            eq++;
        gwr_str rn = { pair.ptr, eq };
        if (pair.len > 0) {
            gwr_str dn = gwr_path__pct_decode(rn, nbuf);
            if (gwr_str__eq(dn, name)) {
                gwr_str rv = { pair.ptr + (eq < pair.len ? eq + 1 : eq),
                               eq < pair.len ? pair.len - eq - 1 : 0 };
                *value = gwr_path__pct_decode(rv, vbuf);
                return 1;
            }
        }
        i = j + 1;
    }
    return 0;
}

static int
value_ok(gwr_decision *d, const tbl_vmatch *v, gwr_str got, int *ok)
{
    if (v->type == GWR_MATCH_REGEX) {
        int r = gwr_regex__match(v->u.re, got, d->scratch);
        /* A pattern hitting its match limit does not match. */
        *ok = r == 1;
        return GWR_OK;
    }
    *ok = got.len == v->value_len && gwr_swar__memeq(got.ptr, v->u.value, got.len);
    return GWR_OK;
}

static int
grpc_side_ok(gwr_decision *d, uint32_t rank, gwr_str want,
             const gwr_regex *re, gwr_str got)
{
    if (rank == TBL_GSIDE_NONE)
        return 1;                 /* a missing side matches any (".+") */
    if (rank == TBL_GSIDE_REGEX)
        return gwr_regex__match(re, got, d->scratch) == 1;
    return gwr_str__eq(want, got);
}

int
gwr_match__predicates(gwr_decision *d, const tbl_match *m, int *ok)
{
    *ok = 0;
    if (m->grpc) {
        /* §3.9: gRPC requests only; each given side of the method match
         * tests its own component of "/service/method". */
        const tbl_gmatch *g = m->g;
        if (!d->grpc || !grpc_side_ok(d, m->svc_rank, g->svc, g->svc_re,
                                      d->grpc_svc) ||
            !grpc_side_ok(d, m->meth_rank, g->meth, g->meth_re, d->grpc_meth))
            return GWR_OK;
    }
    if (m->method.len && !gwr_str__eq(m->method, d->method))
        return GWR_OK;
    for (size_t i = 0; i < m->n_headers; i++) {
        gwr_str v;
        if (gwr_match__header(d, tbl_vmatch__name(&m->headers[i]), &v) != 1)
            return GWR_OK;
        int good = 0;
        value_ok(d, &m->headers[i], v, &good);
        if (!good)
            return GWR_OK;
    }
    for (size_t i = 0; i < m->n_query; i++) {
        gwr_str v;
        if (!query_param(d, tbl_vmatch__name(&m->query[i]), &v))
            return GWR_OK;
        int good = 0;
        value_ok(d, &m->query[i], v, &good);
        if (!good)
            return GWR_OK;
    }
    *ok = 1;
    return GWR_OK;
}

/* A winner: the match and its rule, or for a simple forward its backend
 * (m == NULL: none). Path-map entries carry either next to the match, so
 * a plain entry is taken without reading the tbl_match, and a simple
 * forward without reading the rule either (lib/table_int.h tbl_entry). */
typedef struct hit {
    const tbl_match *m;
    const tbl_rule *rule;     /* NULL for a simple forward */
    const gwr_backend *be;    /* a simple forward's backend */
} hit;

static const hit no_hit = { NULL, NULL, NULL };

/* The first of n entries (in precedence order) whose predicates hold. */
static hit
first_of(gwr_decision *d, const tbl_match *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        gwr_match__predicates(d, items[i], &ok);
        if (ok)
            return (hit){ items[i], items[i]->rule, NULL };
    }
    return no_hit;
}

/* The same over path-map entries. */
static hit
first_entry(gwr_decision *d, const tbl_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ok = tbl_entry__plain(&e[i]);
        if (!ok)
            gwr_match__predicates(d, tbl_entry__match(&e[i]), &ok);
        if (!ok)
            continue;
        if (tbl_entry__simple(&e[i]))
            return (hit){ tbl_entry__match(&e[i]), NULL, e[i].u.be };
        return (hit){ tbl_entry__match(&e[i]), e[i].u.rule, NULL };
    }
    return no_hit;
}

static hit
first_ok(gwr_decision *d, const tbl_list *l)
{
    return l == NULL ? no_hit : first_of(d, l->items, l->n);
}

/* The PathPrefix entries of a path-map value (NULL: no such key). */
static hit
prefix_of(gwr_decision *d, const tbl_paths *p)
{
    return p == NULL ? no_hit
                     : first_entry(d, p->items + p->n_exact, p->n_prefix);
}

/* The entries of a gRPC map value (NULL: no such key). */
static hit
glist_of(gwr_decision *d, const tbl_glist *g)
{
    return g == NULL ? no_hit : first_ok(d, &g->l);
}

/* The GRPCRoute entries of a bucket for a gRPC request (§3.9): the
 * classes in precedence order (lib/table_int.h), each list in precedence
 * order, so the first entry whose predicates hold wins. Hash lookups for
 * the Exact shapes; only the RegularExpression and match-all lists are
 * walked. */
static hit
search_grpc(gwr_decision *d, const tbl_gbucket *b, const gwr_path_keys *ph)
{
    hit m = no_hit;
    if (b->g_full.slots != NULL)
        m = glist_of(d, gwr_smap__get_h(&b->g_full, d->path, ph->full));
    if (m.m == NULL && b->g_svc.slots != NULL)
        m = glist_of(d, gwr_smap__get(&b->g_svc, d->grpc_svc));
    if (m.m == NULL)
        m = first_ok(d, &b->g_re_svc);
    if (m.m == NULL && b->g_meth.slots != NULL)
        m = glist_of(d, gwr_smap__get(&b->g_meth, d->grpc_meth));
    if (m.m == NULL)
        m = first_ok(d, &b->g_re_meth);
    if (m.m == NULL)
        m = first_ok(d, &b->g_any);
    return m;
}

static hit
search_bucket(gwr_decision *d, const tbl_bucket *b, const gwr_path_keys *ph)
{
    if (b == NULL)
        return no_hit;
    /* At equal hostname specificity a GRPCRoute candidate beats an
     * HTTPRoute one (only possible where the §2.3 conflict rule does not
     * apply: the implicit listener; docs/MATCHING.md). */
    if (d->grpc && b->grpc != NULL) {
        hit g = search_grpc(d, b->grpc, ph);
        if (g.m != NULL)
            return g;
    }
    gwr_str path = d->path;
    hit m;
    /* Every slot this bucket may probe is known now: fetch them together
     * instead of one cache miss after the other (large tables). */
    if (b->paths.slots != NULL) {
        const gwr_smap_slot *sl = b->paths.slots;
        size_t mask = b->paths.mask;
        gwr_swar__prefetch(&sl[ph->full & mask]);
        for (size_t i = ph->n; i-- > 0;)
            gwr_swar__prefetch(&sl[ph->h[i] & mask]);
    }
    /* One probe of the whole path: its Exact entries, and its PathPrefix
     * entries when it does not end with '/' (a prefix key never does). */
    const tbl_paths *whole = gwr_smap__get_h(&b->paths, path, ph->full);
    if (whole != NULL && whole->n_exact > 0) {
        m = first_entry(d, whole->items, whole->n_exact);
        if (m.m != NULL)
            return m;
    }
    for (size_t i = 0; i < b->regex.n; i++) {
        const tbl_match *r = b->regex.items[i];
        if (gwr_regex__match(r->re, path, d->scratch) != 1)
            continue;
        int ok = 0;
        gwr_match__predicates(d, r, &ok);
        if (ok)
            return (hit){ r, r->rule, NULL };
    }
    if (b->paths.slots == NULL)
        return no_hit;
    /* Longest element-wise prefix first: the whole path, then every
     * prefix ending before a '/', then the root "/" (key ""). */
    if (whole != NULL && path.len > 0 && path.ptr[path.len - 1] != '/') {
        m = prefix_of(d, whole);
        if (m.m != NULL)
            return m;
    }
    if (ph->deep) {
        /* Prefixes longer than the recorded ones, hashed one by one. */
        size_t stop = ph->at[PATH_HASHES - 1];
        for (size_t i = path.len; i-- > stop + 1;) {
            if (path.ptr[i] != '/')
                continue;
            gwr_str k = { path.ptr, i };
            m = prefix_of(d, gwr_smap__get(&b->paths, k));
            if (m.m != NULL)
                return m;
        }
    }
    for (size_t i = ph->n; i-- > 0;) {
        gwr_str k = { path.ptr, ph->at[i] };
        m = prefix_of(d, gwr_smap__get_h(&b->paths, k, ph->h[i]));
        if (m.m != NULL)
            return m;
    }
    gwr_str root = { "", 0 };
    return prefix_of(d, gwr_smap__get_h(&b->paths, root, gwr_keyhash__root()));
}

/* §3.1 steps 1-2: the listener on the request's port and protocol whose
 * hostname takes `name` most specifically (NULL: none). Inlined into the
 * walk even though misdirected() calls it too. */
static GWR_ALWAYS_INLINE const tbl_listener *
pick_listener(const gwr_table *t, const gwr_decision *d, gwr_str name)
{
    const tbl_listener *best = NULL;
    long best_spec = -1;
    int https = gwr_dec__is_https(d->scheme);
    for (size_t i = 0; i < t->n_listeners; i++) {
        const tbl_listener *l = &t->listeners[i];
        if (l->port != 0 && l->port != d->port)
            continue;
        if ((l->proto == TBL_PROTO_HTTP && https) ||
            (l->proto == TBL_PROTO_HTTPS && !https))
            continue;
        long spec = 0;
        if (l->hostname.len != 0) {
            if (!gwr_hostname__wildcard_match(l->hostname, name))
                continue;
            spec = (long)gwr_hostname__specificity(l->hostname);
        }
        if (spec > best_spec) {
            best = l;
            best_spec = spec;
        }
    }
    return best;
}

/* §3.1 step 5: over TLS the server name chose the listener, and the
 * Host must land on that same one (l, the Host's). A Host another listener
 * takes more specifically, or one the server name's listener does not
 * take at all, is misdirected: 421, so that the client retries on a
 * connection of its own (RFC 9110 §15.5.20). Cold: only requests that
 * carry a server name over TLS come here. */
static GWR_COLD int
misdirected(const gwr_table *t, const gwr_decision *d, const tbl_listener *l)
{
    const tbl_listener *by_sni = d->sni_state == DEC_SNI_NAME
                                     ? pick_listener(t, d, d->sni) : NULL;
    return by_sni != l;
}

int
gwr_match__find(const gwr_table *t, gwr_decision *d)
{
    d->match = NULL;
    d->rule = NULL;
    const tbl_listener *l = pick_listener(t, d, d->host);
    if (l == NULL)
        return GWR_OK;        /* §3.1 step 4: no listener for this host */
    if (GWR_UNLIKELY(d->sni_state != DEC_SNI_NONE) && misdirected(t, d, l)) {
        d->status = 421;
        return GWR_OK;
    }
    d->listener = l;
    /* Listener isolation (§3.1 step 3): only this listener's routes.
     * The intake hashed the host and the path (lib/scan.h). */
    const gwr_path_keys *ph = &d->pkeys;
    const gwr_host_keys *hk = &d->hkeys;
    gwr_str host = d->host;
    hit m = no_hit;
    if (host.len > 0 && (l->hosts.slots != NULL || l->wild.slots != NULL)) {
        /* Both host maps are keyed by hashes read from the right, which
         * gives the hash of the whole host and of every label suffix (the
         * wildcard keys) in one pass. The exact bucket first, then the
         * wildcard buckets, longest suffix first. */
        size_t n = hk->n;
        /* The wildcard slots are probed only if the exact bucket yields
         * nothing; fetching them now overlaps those cache misses. */
        for (size_t k = 0; l->wild.slots != NULL && k < n; k++)
            gwr_swar__prefetch(&l->wild.slots[hk->h[k] & l->wild.mask]);
        if (l->hosts.slots != NULL)
            m = search_bucket(d, gwr_smap__get_h(&l->hosts, host, hk->full), ph);
        if (l->wild.slots == NULL)
            n = 0;
        /* A host with more labels than recorded: the longer suffixes
         * first, hashed one by one. */
        size_t stop = n == WILD_SUFFIXES ? hk->at[n - 1] : 0;
        for (size_t i = 0; m.m == NULL && i < stop; i++) {
            if (host.ptr[i] != '.')
                continue;
            gwr_str suffix = { host.ptr + i + 1, host.len - i - 1 };
            m = search_bucket(d, gwr_smap__get_h(&l->wild, suffix,
                                                 gwr_table__key_hash_rev(suffix)),
                              ph);
        }
        for (size_t k = n; m.m == NULL && k-- > 0;) {
            gwr_str suffix = { host.ptr + hk->at[k] + 1, host.len - hk->at[k] - 1 };
            m = search_bucket(d, gwr_smap__get_h(&l->wild, suffix, hk->h[k]), ph);
        }
    }
    if (m.m == NULL)
        m = search_bucket(d, l->all, ph);
    d->match = m.m;
    d->rule = m.rule;
    d->backend = m.be;
    return GWR_OK;
}

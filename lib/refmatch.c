/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The reference matcher (lib/refmatch.h). Readability first: every step
 * of spec §3 is a small function named after its section, evaluated for
 * every candidate, with no index and no early exit.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "hostname.h"
#include "path.h"
#include "refmatch.h"
#include "regex.h"
#include "resolve.h"
#include "table_int.h"

/* How a match's path (HTTPRoute) or gRPC method (GRPCRoute) is tested. */
enum {
    REF_PATH_EXACT = 0,       /* §3.3 Exact */
    REF_PATH_PREFIX,          /* §3.3 PathPrefix */
    REF_PATH_REGEX,           /* §3.3 RegularExpression */
    REF_GRPC_ANY,             /* §3.9: no method object: every gRPC call */
    REF_GRPC_PARTS            /* a method match: each given side tested on
                                 its own component of "/svc/method" */
};

/* §3.9 side ranks: Exact > RegularExpression > absent (DECISIONS.md). */
enum { REF_SIDE_NONE = 0, REF_SIDE_REGEX, REF_SIDE_EXACT };

typedef struct ref_match {
    const gwr_route *route;
    int rule_index, match_index;
    const gwr_route_match *rm;    /* NULL: GRPCRoute rule without matches */
    int grpc;                     /* a GRPCRoute match: gRPC requests only */
    uint32_t test;                /* REF_PATH_* / REF_GRPC_* */
    gwr_str value;                /* path value; gRPC: "/svc/method",
                                     "/svc/" */
    const gwr_regex *re;          /* REF_PATH_REGEX */
    uint32_t svc_type;            /* REF_GRPC_PARTS: EXACT or REGEX */
    gwr_str svc, method;          /* REF_GRPC_PARTS; empty = any */
    const gwr_regex *svc_re, *method_re;
    int svc_rank, method_rank;    /* REF_SIDE_*: §3.9 precedence */
    const gwr_regex **hdr_re;     /* per header; NULL entry for Exact */
    const gwr_regex **query_re;
    /* Precedence inputs (§3.8 rules 2-6). */
    uint32_t rank_type;           /* gwr_match_type */
    gwr_str rank_path;
    int has_method;
    size_t n_headers, n_query;
    /* The compiled twin: what the decision is built from. */
    const tbl_match *tm;
} ref_match;

typedef struct ref_route {
    const gwr_route *route;
    ref_match *matches;           /* every match of every valid rule */
    size_t n_matches;
} ref_route;

typedef struct ref_att {
    const gwr_attachment *at;
    const ref_route *rr;
} ref_att;

typedef struct ref_listener {
    const gwr_listener *gl;       /* NULL: the implicit listener */
    const tbl_listener *tl;
    ref_att *atts;
    size_t n_atts;
} ref_listener;

/* A candidate: a match whose every predicate held, with its hostname. */
typedef struct ref_cand {
    const ref_match *m;
    gwr_str hostname;             /* effective hostname that matched best */
    size_t exact_len;             /* §3.8 rule 1: characters of a matching
                                     non-wildcard hostname (0: none) */
    size_t host_len;              /* characters of the matching hostname
                                     (0: the match-all) */
} ref_cand;

struct gwr_refmatch {
    gwr_ctx *ctx;
    gwr_arena arena;
    const gwr_config *cfg;
    gwr_table *table;             /* own compile: decision material only */
    ref_listener *listeners;
    size_t n_listeners;
    gwr_regex **regexes;          /* owned */
    size_t n_regexes, cap_regexes;
    ref_cand *cands;              /* explain */
    size_t n_cands, cap_cands;
    gwr_refcand *out;
    size_t cap_out;
};

#define TRY(x) do { int rc_ = (x); if (rc_ != GWR_OK) return rc_; } while (0)

/* ---- preparation --------------------------------------------------------- */

static int
add_regex(gwr_refmatch *rm, gwr_str pattern, const gwr_regex **out)
{
    char err[128];
    TRY(gwr__grow(rm->ctx, (void **)&rm->regexes, &rm->cap_regexes,
                  rm->n_regexes + 1, sizeof(gwr_regex *)));
    gwr_regex *re = NULL;
    int rc = gwr_regex__compile(rm->ctx, pattern, &re, err, sizeof(err));
    if (rc != GWR_OK)
        return rc == GWR_E_NOMEM ? rc : GWR_E_CONFIG;
    rm->regexes[rm->n_regexes++] = re;
    *out = re;
    return GWR_OK;
}

static int
value_regexes(gwr_refmatch *rm, const gwr_value_match *v, size_t n,
              const gwr_regex ***out)
{
    *out = NULL;
    if (n == 0)
        return GWR_OK;
    const gwr_regex **res = gwr_arena__calloc(&rm->arena, n, sizeof(*res));
    if (res == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (v[i].type == GWR_MATCH_REGEX)
            TRY(add_regex(rm, v[i].value, &res[i]));
    *out = res;
    return GWR_OK;
}

static int
concat(gwr_refmatch *rm, const char *a, gwr_str b, const char *c, gwr_str d,
       const char *e, gwr_str *out)
{
    size_t la = strlen(a), lc = strlen(c), le = strlen(e);
    size_t n = la + b.len + lc + d.len + le;
    char *p = gwr_arena__alloc(&rm->arena, n + 1);
    if (p == NULL)
        return GWR_E_NOMEM;
    memcpy(p, a, la);
    if (b.len)
        memcpy(p + la, b.ptr, b.len);
    memcpy(p + la + b.len, c, lc);
    if (d.len)
        memcpy(p + la + b.len + lc, d.ptr, d.len);
    memcpy(p + la + b.len + lc + d.len, e, le);
    p[n] = '\0';
    out->ptr = p;
    out->len = n;
    return GWR_OK;
}

/* §3.9: what a gRPC method match tests and how it ranks; the path
 * equivalent (GEP-1016) is only shown by explain. */
static int
prep_grpc(gwr_refmatch *rm, const gwr_route_match *g, ref_match *m)
{
    gwr_str none = { "", 0 };
    if (g == NULL || !g->has_grpc_method ||
        (g->grpc_service.len == 0 && g->grpc_method.len == 0)) {
        m->test = REF_GRPC_ANY;
        m->rank_type = GWR_MATCH_PREFIX;
        m->rank_path = gwr_str__from_cstr("/");
        return GWR_OK;
    }
    m->test = REF_GRPC_PARTS;
    m->svc_type = g->grpc_type;
    m->svc = g->grpc_service;
    m->method = g->grpc_method;
    int given = g->grpc_type == GWR_MATCH_REGEX ? REF_SIDE_REGEX : REF_SIDE_EXACT;
    m->svc_rank = m->svc.len ? given : REF_SIDE_NONE;
    m->method_rank = m->method.len ? given : REF_SIDE_NONE;
    if (g->grpc_type == GWR_MATCH_REGEX && g->grpc_service.len)
        TRY(add_regex(rm, g->grpc_service, &m->svc_re));
    if (g->grpc_type == GWR_MATCH_REGEX && g->grpc_method.len)
        TRY(add_regex(rm, g->grpc_method, &m->method_re));
    if (given == REF_SIDE_EXACT && m->svc.len && m->method.len) {
        m->rank_type = GWR_MATCH_EXACT;
        return concat(rm, "/", m->svc, "/", m->method, "", &m->rank_path);
    }
    if (given == REF_SIDE_EXACT && m->svc.len) {
        m->rank_type = GWR_MATCH_PREFIX;
        return concat(rm, "/", m->svc, "/", none, "", &m->rank_path);
    }
    m->rank_type = GWR_MATCH_REGEX;
    gwr_str any = GWR_STR_LIT("*");
    return concat(rm, "/", m->svc.len ? m->svc : any, "/",
                  m->method.len ? m->method : any, "", &m->rank_path);
}

static int
prep_match(gwr_refmatch *rm, const gwr_route *r, int ri, int mi,
           const gwr_route_match *g, ref_match *m)
{
    memset(m, 0, sizeof(*m));
    m->route = r;
    m->rule_index = ri;
    m->match_index = mi;
    m->rm = g;
    if (r->meta.kind == GWR_KIND_GRPC_ROUTE) {
        m->grpc = 1;
        TRY(prep_grpc(rm, g, m));
    } else {
        /* §3.7: no path means PathPrefix "/" (the loader defaults it). */
        m->value = g->path.len ? g->path : gwr_str__from_cstr("/");
        m->test = g->path_type == GWR_MATCH_EXACT ? REF_PATH_EXACT
                  : g->path_type == GWR_MATCH_REGEX ? REF_PATH_REGEX
                  : REF_PATH_PREFIX;
        if (m->test == REF_PATH_REGEX)
            TRY(add_regex(rm, m->value, &m->re));
        m->rank_type = g->path_type;
        m->rank_path = m->value;
        m->has_method = g->method.len != 0;
        m->n_query = g->n_query;
        TRY(value_regexes(rm, g->query, g->n_query, &m->query_re));
    }
    if (g != NULL) {
        m->n_headers = g->n_headers;
        TRY(value_regexes(rm, g->headers, g->n_headers, &m->hdr_re));
    }
    return GWR_OK;
}

/* The compiled (route, rule, match) entries, by identity. */
typedef struct tm_index {
    const tbl_match **slots;
    size_t mask;
} tm_index;

static uint64_t
tm_hash(gwr_str ns, gwr_str name, uint32_t kind, int rule, uint32_t match)
{
    uint64_t h = gwr_table__hash(ns) * UINT64_C(31) + gwr_table__hash(name);
    h = h * UINT64_C(0x9e3779b97f4a7c15) + kind;
    h = h * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)(unsigned)rule;
    h = h * UINT64_C(0x9e3779b97f4a7c15) + match;
    return h ^ (h >> 31);
}

static const tbl_match **
tm_slot(const tm_index *ix, gwr_str ns, gwr_str name, uint32_t kind, int rule,
        uint32_t match)
{
    size_t j = (size_t)tm_hash(ns, name, kind, rule, match) & ix->mask;
    for (;; j = (j + 1) & ix->mask) {
        const tbl_match *m = ix->slots[j];
        if (m == NULL)
            return &ix->slots[j];
        const tbl_route *tr = m->rule->route;
        if (tr->kind == kind && m->rule->index == rule && m->index == match &&
            gwr_str__eq(tr->ns, ns) && gwr_str__eq(tr->name, name))
            return &ix->slots[j];
    }
}

static void
tm_add(tm_index *ix, const tbl_match *m, size_t *n)
{
    const tbl_route *tr = m->rule->route;
    const tbl_match **s = tm_slot(ix, tr->ns, tr->name, tr->kind,
                                  m->rule->index, m->index);
    if (*s == NULL) {
        *s = m;
        (*n)++;
    }
}

static void
tm_add_list(tm_index *ix, const tbl_list *l, size_t *n)
{
    for (size_t i = 0; l != NULL && i < l->n; i++)
        tm_add(ix, l->items[i], n);
}

static void
tm_add_bucket(tm_index *ix, const tbl_bucket *b, size_t *n)
{
    if (b == NULL)
        return;
    for (size_t i = 0; b->paths.slots && i <= b->paths.mask; i++) {
        const tbl_paths *p = b->paths.slots[i].value;
        if (p == NULL)
            continue;
        for (size_t k = 0; k < (size_t)p->n_exact + p->n_prefix; k++)
            tm_add(ix, tbl_entry__match(&p->items[k]), n);
    }
    tm_add_list(ix, &b->regex, n);
    const tbl_gbucket *gb = b->grpc;
    if (gb == NULL)
        return;
    const gwr_smap *maps[] = { &gb->g_full, &gb->g_svc, &gb->g_meth };
    for (size_t k = 0; k < GWR_ARRAY_LEN(maps); k++)
        for (size_t i = 0; maps[k]->slots && i <= maps[k]->mask; i++) {
            const tbl_glist *g = maps[k]->slots[i].value;
            if (g != NULL)
                tm_add_list(ix, &g->l, n);
        }
    tm_add_list(ix, &gb->g_re_svc, n);
    tm_add_list(ix, &gb->g_re_meth, n);
    tm_add_list(ix, &gb->g_any, n);
}

static int
tm_build(gwr_refmatch *rm, tm_index *ix)
{
    const gwr_table *t = rm->table;
    size_t cap = 4;
    while (cap < 2 * t->n_entries + 2)
        cap *= 2;
    ix->slots = gwr__calloc(rm->ctx, cap, sizeof(*ix->slots));
    if (ix->slots == NULL)
        return GWR_E_NOMEM;
    ix->mask = cap - 1;
    size_t n = 0;
    for (size_t li = 0; li < t->n_listeners; li++) {
        const tbl_listener *l = &t->listeners[li];
        for (size_t i = 0; l->hosts.slots && i <= l->hosts.mask; i++)
            tm_add_bucket(ix, l->hosts.slots[i].value, &n);
        for (size_t i = 0; l->wild.slots && i <= l->wild.mask; i++)
            tm_add_bucket(ix, l->wild.slots[i].value, &n);
        tm_add_bucket(ix, l->all, &n);
    }
    return GWR_OK;
}

/* Route -> its prepared matches (one per route, shared by listeners). */
typedef struct rr_index {
    ref_route **slots;
    size_t mask;
} rr_index;

static int
prep_route(gwr_refmatch *rm, const tm_index *tix, rr_index *rix,
           const gwr_route *r, const ref_route **out)
{
    size_t j = ((size_t)(uintptr_t)r >> 4) * 0x9e3779b1u & rix->mask;
    while (rix->slots[j] != NULL && rix->slots[j]->route != r)
        j = (j + 1) & rix->mask;
    if (rix->slots[j] != NULL) {
        *out = rix->slots[j];
        return GWR_OK;
    }
    ref_route *rr = gwr_arena__calloc(&rm->arena, 1, sizeof(*rr));
    if (rr == NULL)
        return GWR_E_NOMEM;
    rr->route = r;
    size_t n = 0;
    for (size_t i = 0; i < r->n_rules; i++)
        if (!r->rules[i].invalid)
            n += r->rules[i].n_matches ? r->rules[i].n_matches : 1;
    if (n > 0) {
        rr->matches = gwr_arena__calloc(&rm->arena, n, sizeof(ref_match));
        if (rr->matches == NULL)
            return GWR_E_NOMEM;
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        const gwr_rule *ru = &r->rules[i];
        if (ru->invalid)
            continue;             /* dropped by validation (§7.6) */
        size_t nm = ru->n_matches ? ru->n_matches : 1;
        for (size_t k = 0; k < nm; k++) {
            ref_match *m = &rr->matches[rr->n_matches++];
            TRY(prep_match(rm, r, (int)i, (int)k,
                           ru->n_matches ? &ru->matches[k] : NULL, m));
            m->tm = *tm_slot(tix, r->meta.ns, r->meta.name, r->meta.kind,
                             (int)i, (uint32_t)k);
            if (m->tm == NULL)
                return GWR_E_CONFIG;
        }
    }
    rix->slots[j] = rr;
    *out = rr;
    return GWR_OK;
}

static const gwr_gateway *
chosen_gateway(const gwr_refmatch *rm, const gwr_compile_opts *o)
{
    /* gwr_table_compile() succeeded with these options, so this finds
     * what it found. */
    const gwr_model *model = &rm->cfg->model;
    if (o->gateway_name.len == 0)
        return model->n_gateways == 1 ? model->gateways[0] : NULL;
    for (size_t i = 0; i < model->n_gateways; i++) {
        const gwr_gateway *g = model->gateways[i];
        if (gwr_str__eq(g->meta.ns, o->gateway_ns) &&
            gwr_str__eq(g->meta.name, o->gateway_name))
            return g;
    }
    return NULL;
}

static int
is_http_listener(const gwr_listener *l)
{
    return gwr_str__eq_cstr(l->protocol, "HTTP") ||
           gwr_str__eq_cstr(l->protocol, "HTTPS");
}

static int
prepare(gwr_refmatch *rm, const gwr_compile_opts *o)
{
    const gwr_view *view = NULL;
    TRY(gwr_config__view(rm->cfg, &view));
    const gwr_gateway *gw = chosen_gateway(rm, o);
    const gwr_attachment *atts = NULL;
    size_t n_atts = gwr_resolve__attachments(view, gw, &atts);
    size_t nl = 1;
    if (gw != NULL) {
        nl = 0;
        for (size_t i = 0; i < gw->n_listeners; i++)
            nl += is_http_listener(&gw->listeners[i]);
    }
    if (nl != rm->table->n_listeners)
        return GWR_E_CONFIG;
    rm->listeners = gwr_arena__calloc(&rm->arena, nl ? nl : 1,
                                      sizeof(ref_listener));
    if (rm->listeners == NULL)
        return GWR_E_NOMEM;
    tm_index tix = { NULL, 0 };
    rr_index rix = { NULL, 0 };
    int rc = tm_build(rm, &tix);
    size_t cap = 4;
    while (cap < 2 * n_atts + 2)
        cap *= 2;
    if (rc == GWR_OK) {
        rix.slots = gwr__calloc(rm->ctx, cap, sizeof(*rix.slots));
        rix.mask = cap - 1;
        if (rix.slots == NULL)
            rc = GWR_E_NOMEM;
    }
    /* Listeners in Gateway order (HTTP and HTTPS only, like the table);
     * each with the attachments resolved onto it. */
    size_t gi = 0;
    for (size_t li = 0; rc == GWR_OK && li < nl; li++) {
        ref_listener *l = &rm->listeners[rm->n_listeners++];
        if (gw != NULL) {
            while (!is_http_listener(&gw->listeners[gi]))
                gi++;
            l->gl = &gw->listeners[gi];
        }
        l->tl = &rm->table->listeners[li];
        if (gw != NULL && !gwr_str__eq(l->gl->name, l->tl->name)) {
            rc = GWR_E_CONFIG;
            break;
        }
        size_t n = 0;
        for (size_t a = 0; a < n_atts; a++)
            n += gw == NULL || atts[a].listener_index == gi;
        l->atts = n ? gwr_arena__calloc(&rm->arena, n, sizeof(ref_att)) : NULL;
        if (n && l->atts == NULL) {
            rc = GWR_E_NOMEM;
            break;
        }
        for (size_t a = 0; rc == GWR_OK && a < n_atts; a++) {
            if (gw != NULL && atts[a].listener_index != gi)
                continue;
            ref_att *ra = &l->atts[l->n_atts++];
            ra->at = &atts[a];
            rc = prep_route(rm, &tix, &rix, atts[a].route, &ra->rr);
        }
        gi++;
    }
    gwr__free(rm->ctx, tix.slots);
    gwr__free(rm->ctx, rix.slots);
    return rc;
}

void
gwr_refmatch__free(gwr_refmatch *rm)
{
    if (rm == NULL)
        return;
    gwr_ctx *ctx = rm->ctx;
    for (size_t i = 0; i < rm->n_regexes; i++)
        gwr_regex__free(rm->regexes[i]);
    gwr__free(ctx, rm->regexes);
    gwr__free(ctx, rm->cands);
    gwr__free(ctx, rm->out);
    gwr_table_unref(rm->table);
    gwr_arena__free(&rm->arena);
    gwr__free(ctx, rm);
    gwr_ctx__unref(ctx);
}

int
gwr_refmatch__new(gwr_refmatch **out, const gwr_config *cfg,
                  const gwr_compile_opts *opts)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || cfg == NULL)
        return GWR_E_INVAL;
    gwr_compile_opts o = GWR_COMPILE_OPTS_INIT;
    if (opts != NULL) {
        int rc = gwr_abi__check(opts, sizeof(gwr_compile_opts), sizeof(o));
        if (rc != GWR_OK)
            return rc;
        gwr_abi__copy(&o, sizeof(o), opts);
    }
    gwr_table *t = NULL;
    int rc = gwr_table_compile(&t, cfg, &o);
    if (rc != GWR_OK)
        return rc;
    gwr_ctx *ctx = cfg->ctx;
    gwr_refmatch *rm = gwr__calloc(ctx, 1, sizeof(*rm));
    if (rm == NULL) {
        gwr_table_unref(t);
        return GWR_E_NOMEM;
    }
    rm->ctx = gwr_ctx__ref(ctx);
    gwr_arena__init(&rm->arena, ctx);
    rm->cfg = cfg;
    rm->table = t;
    rc = prepare(rm, &o);
    if (rc != GWR_OK) {
        gwr_refmatch__free(rm);
        return rc;
    }
    *out = rm;
    return GWR_OK;
}

/* ---- §3.1 listener selection ---------------------------------------------- */

static size_t
labels(gwr_str s)
{
    size_t n = 1;
    for (size_t i = 0; i < s.len; i++)
        n += s.ptr[i] == '.';
    return n;
}

/* 0 when l cannot take the request for host name `name` (its Host, or
 * its TLS server name); else larger = more specific: exact hostname >
 * wildcard with more labels right of '*' > no hostname. */
static size_t
listener_rank(const ref_listener *l, const gwr_decision *d, gwr_str name)
{
    if (l->gl == NULL)
        return 1;                 /* implicit: every port, scheme, host */
    const gwr_listener *gl = l->gl;
    if (gl->port != d->port)
        return 0;
    int https = gwr_str__eq_cstr(d->scheme, "https");
    if (gwr_str__eq_cstr(gl->protocol, "HTTPS") != https)
        return 0;
    gwr_str h = gl->hostname;
    if (h.len == 0)
        return 1;
    if (h.len > 2 && h.ptr[0] == '*' && h.ptr[1] == '.') {
        gwr_str suffix = { h.ptr + 1, h.len - 1 };    /* ".s" */
        if (name.len > suffix.len && gwr_str__ends_with(name, suffix))
            return 2 + labels(suffix);
        return 0;
    }
    return gwr_str__eq(h, name) ? SIZE_MAX : 0;
}

static const ref_listener *
select_listener(const gwr_refmatch *rm, const gwr_decision *d, gwr_str name)
{
    const ref_listener *best = NULL;
    size_t best_rank = 0;
    for (size_t i = 0; i < rm->n_listeners; i++) {
        size_t r = listener_rank(&rm->listeners[i], d, name);
        if (r > best_rank) {      /* ties: the first listener */
            best = &rm->listeners[i];
            best_rank = r;
        }
    }
    return best;
}

/* ---- §3.2 host ----------------------------------------------------------- */

/* Does the route (attachment) take this host, and how specifically
 * (§3.8 rule 1, on the intersected hostnames)? */
static int
host_match(const ref_listener *l, const gwr_attachment *at, gwr_str host,
           ref_cand *c)
{
    /* §2.2: no route hostnames = the listener's (unset = every host). */
    gwr_str inherited = l->gl ? l->gl->hostname : (gwr_str){ "", 0 };
    size_t n = at->n_hostnames ? at->n_hostnames : 1;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        gwr_str e = at->n_hostnames ? at->hostnames[i] : inherited;
        size_t exact_len = 0, host_len = 0;
        if (e.len == 0 || (e.len == 1 && e.ptr[0] == '*')) {
            /* match-all: no characters */
        } else if (e.ptr[0] == '*') {
            if (!gwr_hostname__wildcard_match(e, host))
                continue;
            host_len = e.len;
        } else {
            if (!gwr_str__eq(e, host))
                continue;
            exact_len = host_len = e.len;
        }
        if (!found || exact_len > c->exact_len ||
            (exact_len == c->exact_len && host_len > c->host_len)) {
            c->exact_len = exact_len;
            c->host_len = host_len;
            c->hostname = e.len == 1 && e.ptr[0] == '*' ? (gwr_str){ "", 0 } : e;
        }
        found = 1;
    }
    return found;
}

/* ---- §3.3 - §3.6, §3.9 predicates ------------------------------------- */

static int
regex_ok(const gwr_regex *re, gwr_str s, gwr_decision *d)
{
    /* A subject hitting a match limit does not match. */
    return gwr_regex__match(re, s, d->scratch) == 1;
}

static int
grpc_side_ok(uint32_t type, gwr_str want, const gwr_regex *re, gwr_str got,
             gwr_decision *d)
{
    if (want.len == 0)
        return 1;                 /* a missing side matches any */
    if (type == GWR_MATCH_REGEX)
        return regex_ok(re, got, d);
    return gwr_str__eq(want, got);
}

static int
path_ok(const ref_match *m, gwr_decision *d)
{
    gwr_str p = d->path, svc, method;
    switch (m->test) {
    case REF_PATH_EXACT:
        return gwr_path__exact_match(m->value, p);
    case REF_PATH_PREFIX:
        return gwr_path__prefix_match(m->value, p);
    case REF_PATH_REGEX:
        return regex_ok(m->re, p, d);
    case REF_GRPC_ANY:
        return 1;
    default:
        return gwr_dec__grpc_split(p, &svc, &method) &&
               grpc_side_ok(m->svc_type, m->svc, m->svc_re, svc, d) &&
               grpc_side_ok(m->svc_type, m->method, m->method_re, method, d);
    }
}

/* §3.5: the FIRST occurrence of parameter `name` (names compared exactly,
 * both sides of '=' percent-decoded; no '=' = empty value). */
static int
query_value(gwr_decision *d, gwr_str name, gwr_str *value)
{
    if (!d->has_query)
        return 0;
    gwr_str q = d->query;
    /* qbuf holds 2 * target + 2 bytes (gwr_dec__intake). */
    char *nbuf = d->qbuf.ptr, *vbuf = d->qbuf.ptr + q.len + 1;
    size_t start = 0;
    while (start <= q.len) {
        size_t end = start;
        while (end < q.len && q.ptr[end] != '&')
            end++;
        if (end > start) {
            gwr_str pair = { q.ptr + start, end - start };
            size_t eq = 0;
            while (eq < pair.len && pair.ptr[eq] != '=')
                eq++;
            gwr_str raw_name = { pair.ptr, eq };
            if (gwr_str__eq(gwr_path__pct_decode(raw_name, nbuf), name)) {
                gwr_str raw_value = { "", 0 };
                if (eq < pair.len)
                    raw_value = (gwr_str){ pair.ptr + eq + 1, pair.len - eq - 1 };
                *value = gwr_path__pct_decode(raw_value, vbuf);
                return 1;
            }
        }
        start = end + 1;
    }
    return 0;
}

static int
value_ok(const gwr_value_match *v, const gwr_regex *re, gwr_str got,
         gwr_decision *d)
{
    if (v->type == GWR_MATCH_REGEX)
        return regex_ok(re, got, d);
    return gwr_str__eq(v->value, got);
}

/* §3.7: path AND method AND headers AND query (host is checked apart). */
static int
predicates_ok(const ref_match *m, gwr_decision *d)
{
    if (m->grpc && !d->grpc)
        return 0;                 /* GRPCRoutes route gRPC requests only */
    if (!path_ok(m, d))
        return 0;
    const gwr_route_match *g = m->rm;
    if (g == NULL)
        return 1;
    if (m->has_method && !gwr_str__eq(g->method, d->method))
        return 0;                 /* §3.6: exact, GET is not HEAD */
    for (size_t i = 0; i < g->n_headers; i++) {
        gwr_str v;
        if (gwr_match__header(d, g->headers[i].name, &v) != 1)
            return 0;             /* §3.4: a missing header never matches */
        if (!value_ok(&g->headers[i], m->hdr_re[i], v, d))
            return 0;
    }
    for (size_t i = 0; i < m->n_query; i++) {
        gwr_str v;
        if (!query_value(d, g->query[i].name, &v))
            return 0;
        if (!value_ok(&g->query[i], m->query_re[i], v, d))
            return 0;
    }
    return 1;
}

/* ---- §3.8 precedence ------------------------------------------------------- */

static int
path_rank(uint32_t type)
{
    /* Exact > RegularExpression > PathPrefix (gateway-api issue #2974). */
    return type == GWR_MATCH_EXACT ? 0 : type == GWR_MATCH_REGEX ? 1 : 2;
}

static char
ns_name_at(const gwr_route *r, size_t i)
{
    gwr_str ns = r->meta.ns, name = r->meta.name;
    if (i < ns.len)
        return ns.ptr[i];
    if (i == ns.len)
        return '/';
    return name.ptr[i - ns.len - 1];
}

/* "{namespace}/{name}" alphabetically (byte order). */
static int
cmp_ns_name(const gwr_route *a, const gwr_route *b)
{
    size_t na = a->meta.ns.len + 1 + a->meta.name.len;
    size_t nb = b->meta.ns.len + 1 + b->meta.name.len;
    for (size_t i = 0; i < na && i < nb; i++) {
        unsigned char ca = (unsigned char)ns_name_at(a, i);
        unsigned char cb = (unsigned char)ns_name_at(b, i);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

#define WINS(k, a_wins) do { *key = (k); return (a_wins) ? -1 : 1; } while (0)

static int tail(const ref_match *ma, const ref_match *mb, int *key);

/* < 0 when a wins, > 0 when b wins; *key = the rule that decided. */
static int
precedence(const ref_cand *a, const ref_cand *b, int *key)
{
    const ref_match *ma = a->m, *mb = b->m;
    /* 1. hostname: a matching non-wildcard name with more characters,
     *    then a matching hostname with more characters. */
    if (a->exact_len != b->exact_len)
        WINS(GWR_REFKEY_HOSTNAME, a->exact_len > b->exact_len);
    if (a->host_len != b->host_len)
        WINS(GWR_REFKEY_HOSTNAME, a->host_len > b->host_len);
    /* The kinds are never merged (§2.3); where they meet anyway (the
     * implicit listener has no conflict rule), a GRPCRoute candidate,
     * which only takes gRPC calls, goes first (docs/MATCHING.md). */
    if (ma->grpc != mb->grpc)
        WINS(GWR_REFKEY_KIND, ma->grpc);
    if (ma->grpc) {
        /* §3.9: characters in the matching service, then method; per
         * side Exact > RegularExpression > absent, then characters as
         * written (docs/DECISIONS.md). */
        if (ma->svc_rank != mb->svc_rank)
            WINS(GWR_REFKEY_GRPC_SERVICE, ma->svc_rank > mb->svc_rank);
        if (ma->svc.len != mb->svc.len)
            WINS(GWR_REFKEY_GRPC_SERVICE, ma->svc.len > mb->svc.len);
        if (ma->method_rank != mb->method_rank)
            WINS(GWR_REFKEY_GRPC_METHOD, ma->method_rank > mb->method_rank);
        if (ma->method.len != mb->method.len)
            WINS(GWR_REFKEY_GRPC_METHOD, ma->method.len > mb->method.len);
        if (ma->n_headers != mb->n_headers)
            WINS(GWR_REFKEY_HEADERS, ma->n_headers > mb->n_headers);
        return tail(ma, mb, key);
    }
    /* 2. Exact beats any other path type. */
    if (path_rank(ma->rank_type) != path_rank(mb->rank_type))
        WINS(GWR_REFKEY_PATH_TYPE,
             path_rank(ma->rank_type) < path_rank(mb->rank_type));
    /* 3. more characters (as written); regexes are not ranked by length. */
    if (ma->rank_type != GWR_MATCH_REGEX &&
        ma->rank_path.len != mb->rank_path.len)
        WINS(GWR_REFKEY_PATH_LENGTH, ma->rank_path.len > mb->rank_path.len);
    /* 4. a method. */
    if (ma->has_method != mb->has_method)
        WINS(GWR_REFKEY_METHOD, ma->has_method);
    /* 5. more header matches. */
    if (ma->n_headers != mb->n_headers)
        WINS(GWR_REFKEY_HEADERS, ma->n_headers > mb->n_headers);
    /* 6. more query param matches. */
    if (ma->n_query != mb->n_query)
        WINS(GWR_REFKEY_QUERY, ma->n_query > mb->n_query);
    return tail(ma, mb, key);
}

/* §3.8 rules 7-9 (the last four keys of §3.9 too), for two candidates of
 * one kind. */
static int
tail(const ref_match *ma, const ref_match *mb, int *key)
{
    const gwr_route *ra = ma->route, *rb = mb->route;
    if (ra != rb) {
        /* 7. older creationTimestamp; none = newer than any. */
        if (ra->meta.has_creation != rb->meta.has_creation)
            WINS(GWR_REFKEY_CREATION, ra->meta.has_creation);
        if (ra->meta.has_creation &&
            ra->meta.creation_ms != rb->meta.creation_ms)
            WINS(GWR_REFKEY_CREATION,
                 ra->meta.creation_ms < rb->meta.creation_ms);
        /* 8. "{namespace}/{name}". */
        int c = cmp_ns_name(ra, rb);
        if (c != 0)
            WINS(GWR_REFKEY_NAME, c < 0);
    }
    /* 9. the first rule in list order, then the first match. */
    if (ma->rule_index != mb->rule_index)
        WINS(GWR_REFKEY_RULE, ma->rule_index < mb->rule_index);
    if (ma->match_index != mb->match_index)
        WINS(GWR_REFKEY_MATCH, ma->match_index < mb->match_index);
    *key = GWR_REFKEY_NONE;
    return 0;
}

const char *
gwr_refkey__name(int key)
{
    switch (key) {
    case GWR_REFKEY_HOSTNAME: return "more specific hostname";
    case GWR_REFKEY_PATH_TYPE: return "Exact > RegularExpression > PathPrefix";
    case GWR_REFKEY_PATH_LENGTH: return "longer PathPrefix";
    case GWR_REFKEY_METHOD: return "method match";
    case GWR_REFKEY_HEADERS: return "more header matches";
    case GWR_REFKEY_QUERY: return "more query param matches";
    case GWR_REFKEY_CREATION: return "older creationTimestamp";
    case GWR_REFKEY_NAME: return "namespace/name order";
    case GWR_REFKEY_KIND: return "GRPCRoute before HTTPRoute";
    case GWR_REFKEY_GRPC_SERVICE: return "gRPC service match";
    case GWR_REFKEY_GRPC_METHOD: return "gRPC method match";
    case GWR_REFKEY_RULE: return "rule order";
    case GWR_REFKEY_MATCH: return "match order";
    default: return "";
    }
}

/* ---- the walk -------------------------------------------------------------- */

/* Every (attachment, rule, match) of the listener: the candidates are
 * those whose hostname and predicates hold; keep the best, and with
 * collect != 0 also every candidate in rm->cands. */
static int
walk(gwr_refmatch *collect, const ref_listener *l, gwr_decision *d,
     ref_cand *best, int *found)
{
    *found = 0;
    for (size_t a = 0; a < l->n_atts; a++) {
        const ref_att *ra = &l->atts[a];
        ref_cand c;
        memset(&c, 0, sizeof(c));
        if (!host_match(l, ra->at, d->host, &c))
            continue;
        for (size_t k = 0; k < ra->rr->n_matches; k++) {
            c.m = &ra->rr->matches[k];
            if (!predicates_ok(c.m, d))
                continue;
            if (collect != NULL) {
                TRY(gwr__grow(collect->ctx, (void **)&collect->cands,
                              &collect->cap_cands, collect->n_cands + 1,
                              sizeof(ref_cand)));
                collect->cands[collect->n_cands++] = c;
            }
            int key;
            if (!*found || precedence(&c, best, &key) < 0)
                *best = c;
            *found = 1;
        }
    }
    return GWR_OK;
}

static int
run(const gwr_refmatch *rm, gwr_refmatch *collect, const gwr_request *req,
    gwr_decision *d, const ref_listener **lout)
{
    if (lout != NULL)
        *lout = NULL;
    if (rm == NULL || req == NULL || d == NULL)
        return GWR_E_INVAL;
    int rc = gwr_abi__check(req, sizeof(gwr_request), sizeof(gwr_request));
    if (rc != GWR_OK)
        return rc;
    gwr_request r;
    gwr_abi__copy(&r, sizeof(r), req);
    /* The same prologue as gwr_table_match(), on the reference's table. */
    gwr_table *t = gwr_table_ref(rm->table);
    gwr_dec__reset(d);
    d->table = t;
    if (r.flags & GWR_REQ_SEEDED)
        d->seed = r.seed;
    else
        gwr_io__random(d->ctx, &d->seed, sizeof(d->seed));
    rc = gwr_dec__intake(t, &r, d);
    if (rc == GWR_E_INVAL) {
        d->result = GWR_RESULT_RESPOND;
        d->status = 400;
        return GWR_OK;
    }
    if (rc == GWR_OK) {
        const ref_listener *l = select_listener(rm, d, d->host);
        /* §3.1 step 5: with a TLS server name, the Host's listener must be
         * the one the server name selects (none for a malformed one). */
        if (l != NULL && d->sni_state != DEC_SNI_NONE &&
            (d->sni_state == DEC_SNI_BAD || select_listener(rm, d, d->sni) != l)) {
            d->result = GWR_RESULT_RESPOND;
            d->status = 421;
            return GWR_OK;
        }
        if (lout != NULL)
            *lout = l;
        ref_cand best;
        int found = 0;
        if (l != NULL) {
            d->listener = l->tl;
            rc = walk(collect, l, d, &best, &found);
        }
        if (rc == GWR_OK && !found) {
            d->result = GWR_RESULT_NO_ROUTE;      /* §3.1 step 4, §3.8 */
            d->status = 404;
            return GWR_OK;
        }
        if (rc == GWR_OK) {
            d->match = best.m->tm;
            d->rule = best.m->tm->rule;
            rc = gwr_filters__apply(d);
        }
    }
    if (rc != GWR_OK) {
        uint64_t seed = d->seed;
        gwr_dec__reset(d);
        d->seed = seed;
    }
    return rc;
}

int
gwr_refmatch__match(const gwr_refmatch *rm, const gwr_request *req,
                    gwr_decision *d)
{
    return run(rm, NULL, req, d, NULL);
}

static int
cmp_cands(const void *pa, const void *pb)
{
    int key;
    return precedence(pa, pb, &key);
}

int
gwr_refmatch__explain(gwr_refmatch *rm, const gwr_request *req,
                      gwr_decision *d, gwr_refexplain *out)
{
    if (out == NULL)
        return GWR_E_INVAL;
    memset(out, 0, sizeof(*out));
    if (rm == NULL)
        return GWR_E_INVAL;
    rm->n_cands = 0;
    const ref_listener *l = NULL;
    int rc = run(rm, rm, req, d, &l);
    if (rc != GWR_OK)
        return rc;
    if (l != NULL) {
        out->has_listener = 1;
        out->listener = l->gl ? l->gl->name : (gwr_str){ "", 0 };
    }
    if (rm->n_cands == 0)
        return GWR_OK;
    qsort(rm->cands, rm->n_cands, sizeof(ref_cand), cmp_cands);
    TRY(gwr__grow(rm->ctx, (void **)&rm->out, &rm->cap_out, rm->n_cands,
                  sizeof(gwr_refcand)));
    for (size_t i = 0; i < rm->n_cands; i++) {
        const ref_cand *c = &rm->cands[i];
        gwr_refcand *o = &rm->out[i];
        o->kind = gwr_str__from_cstr(gwr_kind__name(c->m->route->meta.kind));
        o->ns = c->m->route->meta.ns;
        o->name = c->m->route->meta.name;
        o->rule = c->m->rule_index;
        o->match = c->m->match_index;
        o->hostname = c->hostname;
        o->path_type = c->m->rank_type;
        o->path = c->m->rank_path;
        o->lost_on = GWR_REFKEY_NONE;
        if (i > 0)
            precedence(&rm->cands[0], c, &o->lost_on);
    }
    out->cands = rm->out;
    out->n_cands = rm->n_cands;
    return GWR_OK;
}

/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwr_table_compile: copy the accepted routes of one Gateway out of the
 * config's resolved view into a self-contained table and build the index
 * described in lib/table_int.h. The config may be freed right after.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "cors.h"
#include "path.h"
#include "select.h"
#include "table_int.h"

_Static_assert(GWR_PATH_DECODE_UNRESERVED == GWR_PATH__DECODE_UNRESERVED &&
               GWR_PATH_UPPERCASE_ESCAPES == GWR_PATH__UPPERCASE_ESCAPES &&
               GWR_PATH_REMOVE_DOT_SEGMENTS == GWR_PATH__REMOVE_DOT_SEGMENTS &&
               GWR_PATH_MERGE_SLASHES == GWR_PATH__MERGE_SLASHES &&
               GWR_PATH_REJECT_ENCODED_SLASH == GWR_PATH__REJECT_ENCODED_SLASH &&
               GWR_PATH_DECODE_ENCODED_SLASH == GWR_PATH__DECODE_ENCODED_SLASH &&
               GWR_PATH_REJECT_INVALID_ENCODING ==
                   GWR_PATH__REJECT_INVALID_ENCODING &&
               GWR_PATH_DEFAULT == GWR_PATH__DEFAULT,
               "public and internal path flags must agree");

#define PATH_FLAGS_ALL UINT32_C(0x7f)
#define COMPILE_FLAGS_ALL (GWR_COMPILE_PATH_FLAGS | GWR_COMPILE_NO_NORMALIZATION)

typedef struct route_slot {
    const gwr_route *route;
    const tbl_match **matches;    /* every match of every valid rule */
    size_t n_matches;
} route_slot;

/* An interned table string: every string of the table is stored once
 * (namespaces, Service names, "Service", header names, ... repeat across
 * thousands of rules), packed without alignment padding. */
typedef struct istr {
    const char *ptr;          /* NULL = empty slot */
    size_t len;
    uint64_t h;
} istr;

/* A backend record shared by every backendRef that names the same
 * (resolution, group, kind, namespace, name, port): the record only
 * depends on those. `rule` is the last rule that took it: two backendRefs
 * of one rule keep distinct records, because callers tell a rule's
 * backendRefs apart by record address (gwr_decision_rule_backend()
 * "chosen", the engine's retry candidates). */
typedef struct shared_be {
    const gwr_backend_res *res;       /* NULL when unresolved */
    const gwr_backend_ref *ref;
    gwr_backend *be;          /* NULL = empty slot */
    const void *rule;
    uint64_t h;
} shared_be;

typedef struct entry {
    gwr_str host;                 /* effective hostname, "" = catch-all */
    const tbl_match *m;
} entry;

typedef struct cstate {
    gwr_table *t;
    const gwr_view *view;
    gwr_ctx *ctx;
    route_slot *routes;
    size_t n_routes, cap_routes;
    size_t cap_regexes;
    entry *entries;
    size_t n_entries, cap_entries;
    /* Compile-time scratch, freed when compile returns (never in the
     * table): the interned strings, the shared backends, key/value arrays
     * for the hash maps, the route lookup. */
    istr *strs;               /* open addressing, load <= 1/2 */
    size_t strs_mask, n_strs;
    char *pool;               /* packed string storage in the arena */
    size_t pool_left;
    shared_be *bes;           /* open addressing, load <= 1/2 */
    size_t bes_mask, n_bes;
    void **vals;              /* map values being built (scratch) */
    size_t cap_vals;
    route_slot **rslots;      /* route -> slot (open addressing) */
    size_t rslots_mask;
    char *errbuf;
    size_t errbuf_size;
} cstate;

static int fail(cstate *c, int rc, const char *fmt, ...) GWR_PRINTF(3, 4);

static int
fail(cstate *c, int rc, const char *fmt, ...)
{
    if (c->errbuf != NULL && c->errbuf_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->errbuf, c->errbuf_size, fmt, ap);
        va_end(ap);
    }
    return rc;
}

#define TRY(x) do { int rc_ = (x); if (rc_ != GWR_OK) return rc_; } while (0)

#define POOL_CHUNK 4096u

/* Copy in (NUL-terminated) into the table, once per distinct string. */
static int
cp(cstate *c, gwr_str in, gwr_str *out)
{
    if (in.len == 0) {
        *out = (gwr_str){ "", 0 };
        return GWR_OK;
    }
    if (2 * (c->n_strs + 1) > c->strs_mask + 1) {
        size_t cap = c->strs_mask ? 2 * (c->strs_mask + 1) : 1024;
        istr *ns = gwr__calloc(c->ctx, cap, sizeof(*ns));
        if (ns == NULL)
            return GWR_E_NOMEM;
        for (size_t i = 0; c->strs != NULL && i <= c->strs_mask; i++) {
            if (c->strs[i].ptr == NULL)
                continue;
            size_t j = (size_t)c->strs[i].h & (cap - 1);
            while (ns[j].ptr != NULL)
                j = (j + 1) & (cap - 1);
            ns[j] = c->strs[i];
        }
        gwr__free(c->ctx, c->strs);
        c->strs = ns;
        c->strs_mask = cap - 1;
    }
    uint64_t h = gwr_table__hash(in);
    size_t j = (size_t)h & c->strs_mask;
    for (; c->strs[j].ptr != NULL; j = (j + 1) & c->strs_mask) {
        if (c->strs[j].h == h && c->strs[j].len == in.len &&
            memcmp(c->strs[j].ptr, in.ptr, in.len) == 0) {
            *out = (gwr_str){ c->strs[j].ptr, in.len };
            return GWR_OK;
        }
    }
    if (in.len >= SIZE_MAX / 2)
        return GWR_E_NOMEM;
    if (c->pool_left < in.len + 1) {
        /* Strings longer than a chunk get their own block; the current
         * chunk's tail stays available for the next short ones. */
        if (in.len + 1 > POOL_CHUNK / 4) {
            char *p = gwr_arena__strndup(&c->t->arena, in.ptr, in.len);
            if (p == NULL)
                return GWR_E_NOMEM;
            c->strs[j] = (istr){ p, in.len, h };
            c->n_strs++;
            *out = (gwr_str){ p, in.len };
            return GWR_OK;
        }
        c->pool = gwr_arena__alloc(&c->t->arena, POOL_CHUNK);
        if (c->pool == NULL)
            return GWR_E_NOMEM;
        c->pool_left = POOL_CHUNK;
    }
    char *p = c->pool;
    memcpy(p, in.ptr, in.len);
    p[in.len] = '\0';
    c->pool += in.len + 1;
    c->pool_left -= in.len + 1;
    c->strs[j] = (istr){ p, in.len, h };
    c->n_strs++;
    *out = (gwr_str){ p, in.len };
    return GWR_OK;
}

static int
add_regex(cstate *c, gwr_str pattern, const gwr_regex **out)
{
    char err[256];
    if (c->t->n_regexes == c->cap_regexes)
        TRY(gwr__grow(c->ctx, (void **)&c->t->regexes, &c->cap_regexes,
                      c->t->n_regexes + 1, sizeof(gwr_regex *)));
    gwr_regex *re = NULL;
    int rc = gwr_regex__compile(c->ctx, pattern, &re, err, sizeof(err));
    if (rc == GWR_E_NOMEM)
        return rc;
    if (rc != GWR_OK)
        return fail(c, GWR_E_CONFIG, "regular expression %.*s does not compile: %s",
                    (int)pattern.len, pattern.ptr, err);
    c->t->regexes[c->t->n_regexes++] = re;
    *out = re;
    return GWR_OK;
}

/* ---- backends ------------------------------------------------------------ */

static uint32_t
endpoint_port(const gwr_endpoint_slice *s, const gwr_service_port *sp)
{
    /* The slice port carries the Service port's name; an unnamed single
     * port applies to the only Service port. */
    for (size_t i = 0; i < s->n_ports; i++) {
        if (sp != NULL && gwr_str__eq(s->ports[i].name, sp->name) &&
            s->ports[i].port != 0)
            return s->ports[i].port;
    }
    if (s->n_ports == 1 && s->ports[0].port != 0)
        return s->ports[0].port;
    if (sp != NULL) {
        gwr_str tp = sp->target_port;
        uint32_t v = 0;
        size_t i = 0;
        for (; i < tp.len && tp.ptr[i] >= '0' && tp.ptr[i] <= '9' && v < 65536; i++)
            v = v * 10 + (uint32_t)(tp.ptr[i] - '0');
        if (tp.len > 0 && i == tp.len && v > 0 && v < 65536)
            return v;
        return sp->port;
    }
    return 0;
}

static int
conv_backend(cstate *c, const gwr_backend_ref *ref, gwr_backend *be)
{
    memset(be, 0, sizeof(*be));
    TRY(cp(c, ref->group, &be->group));
    TRY(cp(c, ref->kind, &be->kind));
    TRY(cp(c, ref->ns, &be->ns));
    TRY(cp(c, ref->name, &be->name));
    be->port = ref->port;
    const gwr_backend_res *res = gwr_resolve__backend(c->view, ref);
    if (res == NULL)
        return GWR_OK;            /* unknown reference: invalid */
    be->valid = res->valid;
    be->proto = res->proto;
    gwr_arena *a = &c->t->arena;
    size_t n = 0;
    for (size_t i = 0; i < res->n_slices; i++)
        for (size_t j = 0; j < res->slices[i]->n_endpoints; j++)
            if (res->slices[i]->endpoints[j].ready)
                n += res->slices[i]->endpoints[j].addresses.n;
    if (n > 0) {
        be->ep_addr = gwr_arena__calloc(a, n, sizeof(gwr_str));
        be->ep_port = gwr_arena__calloc(a, n, sizeof(uint32_t));
        if (be->ep_addr == NULL || be->ep_port == NULL)
            return GWR_E_NOMEM;
        for (size_t i = 0; i < res->n_slices; i++) {
            const gwr_endpoint_slice *s = res->slices[i];
            uint32_t port = endpoint_port(s, res->port);
            for (size_t j = 0; j < s->n_endpoints; j++) {
                if (!s->endpoints[j].ready)
                    continue;
                for (size_t k = 0; k < s->endpoints[j].addresses.n; k++) {
                    TRY(cp(c, s->endpoints[j].addresses.items[k],
                           &be->ep_addr[be->n_ep]));
                    be->ep_port[be->n_ep++] = port;
                }
            }
        }
    }
    const gwr_backend_tls_policy *p = res->tls;
    if (p != NULL) {
        be->tls = 1;
        TRY(cp(c, p->hostname, &be->tls_host));
        TRY(cp(c, p->well_known, &be->tls_well_known));
        if (p->n_sans > 0) {
            be->san_type = gwr_arena__calloc(a, p->n_sans, sizeof(gwr_str));
            be->san_value = gwr_arena__calloc(a, p->n_sans, sizeof(gwr_str));
            if (be->san_type == NULL || be->san_value == NULL)
                return GWR_E_NOMEM;
            for (size_t i = 0; i < p->n_sans; i++) {
                TRY(cp(c, p->sans[i].type, &be->san_type[i]));
                TRY(cp(c, p->sans[i].value, &be->san_value[i]));
            }
            be->n_san = p->n_sans;
        }
        if (p->n_ca_refs > 0) {
            be->ca_group = gwr_arena__calloc(a, p->n_ca_refs, sizeof(gwr_str));
            be->ca_kind = gwr_arena__calloc(a, p->n_ca_refs, sizeof(gwr_str));
            be->ca_name = gwr_arena__calloc(a, p->n_ca_refs, sizeof(gwr_str));
            if (be->ca_group == NULL || be->ca_kind == NULL || be->ca_name == NULL)
                return GWR_E_NOMEM;
            for (size_t i = 0; i < p->n_ca_refs; i++) {
                TRY(cp(c, p->ca_refs[i].group, &be->ca_group[i]));
                TRY(cp(c, p->ca_refs[i].kind, &be->ca_kind[i]));
                TRY(cp(c, p->ca_refs[i].name, &be->ca_name[i]));
            }
            be->n_ca = p->n_ca_refs;
        }
    }
    return GWR_OK;
}

/* What conv_backend() reads of a resolution: resolutions are per
 * backendRef, so records are shared by content, not by address. */
static int
res_same(const gwr_backend_res *a, const gwr_backend_res *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return a->valid == b->valid && a->proto == b->proto &&
           a->port == b->port && a->tls == b->tls &&
           a->slices == b->slices && a->n_slices == b->n_slices;
}

static uint64_t
be_hash(const gwr_backend_res *res, const gwr_backend_ref *ref)
{
    uint64_t h = gwr_select__hash(
        res ? (uint64_t)(uintptr_t)res->slices ^ ((uint64_t)res->valid << 1)
            : 1, ref->port);
    h = gwr_select__hash(h, gwr_table__hash(ref->group));
    h = gwr_select__hash(h, gwr_table__hash(ref->kind));
    h = gwr_select__hash(h, gwr_table__hash(ref->ns));
    return gwr_select__hash(h, gwr_table__hash(ref->name));
}

static int
be_same(const shared_be *e, const gwr_backend_res *res,
        const gwr_backend_ref *ref, uint64_t h)
{
    return e->h == h && res_same(e->res, res) && e->ref->port == ref->port &&
           gwr_str__eq(e->ref->group, ref->group) &&
           gwr_str__eq(e->ref->kind, ref->kind) &&
           gwr_str__eq(e->ref->ns, ref->ns) &&
           gwr_str__eq(e->ref->name, ref->name);
}

/* The backend record of a backendRef of `rule`: shared with earlier
 * rules that named the same backend, a fresh one when this rule already
 * took the shared record (see shared_be). */
static int
shared_backend(cstate *c, const gwr_backend_ref *ref, const void *rule,
               const gwr_backend **out)
{
    if (2 * (c->n_bes + 1) > c->bes_mask + 1) {
        size_t cap = c->bes_mask ? 2 * (c->bes_mask + 1) : 256;
        shared_be *nb = gwr__calloc(c->ctx, cap, sizeof(*nb));
        if (nb == NULL)
            return GWR_E_NOMEM;
        for (size_t i = 0; c->bes != NULL && i <= c->bes_mask; i++) {
            if (c->bes[i].be == NULL)
                continue;
            size_t j = (size_t)c->bes[i].h & (cap - 1);
            while (nb[j].be != NULL)
                j = (j + 1) & (cap - 1);
            nb[j] = c->bes[i];
        }
        gwr__free(c->ctx, c->bes);
        c->bes = nb;
        c->bes_mask = cap - 1;
    }
    const gwr_backend_res *res = gwr_resolve__backend(c->view, ref);
    uint64_t h = be_hash(res, ref);
    size_t j = (size_t)h & c->bes_mask;
    for (; c->bes[j].be != NULL; j = (j + 1) & c->bes_mask) {
        if (!be_same(&c->bes[j], res, ref, h))
            continue;
        if (c->bes[j].rule != rule) {
            c->bes[j].rule = rule;
            *out = c->bes[j].be;
            return GWR_OK;
        }
        /* Second backendRef to it in one rule: a record of its own. */
        gwr_backend *be = gwr_arena__calloc(&c->t->arena, 1, sizeof(*be));
        if (be == NULL)
            return GWR_E_NOMEM;
        TRY(conv_backend(c, ref, be));
        *out = be;
        return GWR_OK;
    }
    gwr_backend *be = gwr_arena__calloc(&c->t->arena, 1, sizeof(*be));
    if (be == NULL)
        return GWR_E_NOMEM;
    TRY(conv_backend(c, ref, be));
    c->bes[j] = (shared_be){ res, ref, be, rule, h };
    c->n_bes++;
    *out = be;
    return GWR_OK;
}

/* ---- filters ------------------------------------------------------------- */

static int
conv_kvs(cstate *c, const gwr_kvs *in, gwr_header **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (in->n == 0)
        return GWR_OK;
    *out = gwr_arena__calloc(&c->t->arena, in->n, sizeof(gwr_header));
    if (*out == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < in->n; i++) {
        TRY(cp(c, in->items[i].key, &(*out)[i].name));
        TRY(cp(c, in->items[i].value, &(*out)[i].value));
    }
    *n = in->n;
    return GWR_OK;
}

static int
conv_filters(cstate *c, const gwr_filter *in, size_t n, uint64_t salt,
             tbl_filter **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return GWR_OK;
    gwr_arena *a = &c->t->arena;
    tbl_filter *fs = gwr_arena__calloc(a, n, sizeof(*fs));
    if (fs == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const gwr_filter *f = &in[i];
        tbl_filter *o = &fs[i];
        o->type = f->type;
        switch (f->type) {
        case GWR_FILTER_REQUEST_HEADER:
        case GWR_FILTER_RESPONSE_HEADER: {
            TRY(conv_kvs(c, &f->headers.set, &o->hm.set, &o->hm.n_set));
            TRY(conv_kvs(c, &f->headers.add, &o->hm.add, &o->hm.n_add));
            size_t nr = f->headers.remove.n;
            if (nr > 0) {
                o->hm.remove = gwr_arena__calloc(a, nr, sizeof(gwr_header));
                if (o->hm.remove == NULL)
                    return GWR_E_NOMEM;
                for (size_t k = 0; k < nr; k++) {
                    TRY(cp(c, f->headers.remove.items[k], &o->hm.remove[k].name));
                    o->hm.remove[k].value.ptr = "";
                }
                o->hm.n_remove = nr;
            }
            break;
        }
        case GWR_FILTER_REDIRECT:
            TRY(cp(c, f->redirect.scheme, &o->scheme));
            TRY(cp(c, f->redirect.hostname, &o->hostname));
            o->port = f->redirect.port;
            o->status = f->redirect.status ? f->redirect.status : 302;
            o->path_type = f->redirect.path.type;
            TRY(cp(c, f->redirect.path.value, &o->path_value));
            break;
        case GWR_FILTER_URL_REWRITE:
            TRY(cp(c, f->rewrite.hostname, &o->hostname));
            o->path_type = f->rewrite.path.type;
            TRY(cp(c, f->rewrite.path.value, &o->path_value));
            break;
        case GWR_FILTER_MIRROR: {
            gwr_backend *be = gwr_arena__calloc(a, 1, sizeof(*be));
            if (be == NULL)
                return GWR_E_NOMEM;
            TRY(conv_backend(c, &f->mirror.backend, be));
            /* An invalid mirror is dropped; the primary is unaffected. */
            o->mirror = be->valid ? be : NULL;
            o->num = f->mirror.num;
            o->den = f->mirror.den;
            o->salt = gwr_select__hash(salt, UINT64_C(0x4d49) + i);
            break;
        }
        case GWR_FILTER_EXTENSION_REF:
            TRY(cp(c, f->ext.group, &o->ext_group));
            TRY(cp(c, f->ext.kind, &o->ext_kind));
            TRY(cp(c, f->ext.name, &o->ext_name));
            break;
        case GWR_FILTER_CORS: {
            gwr_cors__policy *p = NULL;
            int rc = gwr_cors__compile(a, &f->cors, &p);
            if (rc == GWR_E_INVAL)
                return fail(c, GWR_E_CONFIG, "a CORS allowOrigins entry the "
                                             "loader accepted does not parse");
            TRY(rc);
            o->cors = p;
            c->t->header_lookups = 1;   /* Origin and the request fields */
            break;
        }
        default:
            break;
        }
    }
    *out = fs;
    *nout = n;
    return GWR_OK;
}

/* ---- routes, rules, matches --------------------------------------------- */

static int
conv_vmatches(cstate *c, const gwr_value_match *in, size_t n,
              tbl_vmatch **out)
{
    *out = NULL;
    if (n == 0)
        return GWR_OK;
    tbl_vmatch *v = gwr_arena__calloc(&c->t->arena, n, sizeof(*v));
    if (v == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (in[i].name.len > UINT16_MAX || (uint64_t)in[i].value.len > UINT32_MAX)
            return fail(c, GWR_E_LIMIT,   /* the loader caps them at 256 / 4096 */
                        "a header or query match name or value is too long "
                        "for the table (docs/LIMITS.md)");
        v[i].type = (uint8_t)in[i].type;
        gwr_str name;
        TRY(cp(c, in[i].name, &name));
        v[i].name = name.ptr;
        v[i].name_len = (uint16_t)name.len;
        if (in[i].type == GWR_MATCH_REGEX) {
            const gwr_regex *re = NULL;
            TRY(add_regex(c, in[i].value, &re));
            v[i].u.re = re;
        } else {
            gwr_str value;
            TRY(cp(c, in[i].value, &value));
            v[i].u.value = value.ptr;
            v[i].value_len = (uint32_t)value.len;
        }
    }
    *out = v;
    return GWR_OK;
}

static void
set_class(tbl_match *m)
{
    m->cls = m->path_type == GWR_MATCH_EXACT ? TBL_C_EXACT
             : m->path_type == GWR_MATCH_REGEX ? TBL_C_REGEX : TBL_C_PREFIX;
}

/* The hash key of an entry in its class's map (compile time only, so the
 * table does not store it): the Exact path; the PathPrefix value without
 * a trailing '/' ("/" gives ""); for gRPC "/s/m", "s" or "m"; empty for
 * the unkeyed classes. */
static gwr_str
match_key(const tbl_match *m)
{
    gwr_str k = m->path, none = { "", 0 };
    switch (m->cls) {
    case TBL_C_EXACT:
    case TBL_C_G_FULL:
        return k;
    case TBL_C_PREFIX:
        if (k.len > 0 && k.ptr[k.len - 1] == '/')
            k.len--;
        return k;
    case TBL_C_G_SVC:
        return m->g->svc;
    case TBL_C_G_METH:
        return m->g->meth;
    default:
        return none;
    }
}

/* A GRPCRoute match (§3.9): which sides are given and how decides its
 * index class and its precedence ranks; each RegularExpression side is
 * compiled on its own and full-matches its component of
 * "/service/method" (a missing side takes any component, ".+"). The path
 * equivalent (GEP-1016) is kept for display and for the filters. */
static int
grpc_match(cstate *c, const gwr_route_match *rm, tbl_match *m)
{
    static const tbl_gmatch none = { { "", 0 }, { "", 0 }, NULL, NULL };
    gwr_str slash = GWR_STR_LIT("/");
    m->grpc = 1;
    m->g = &none;
    if (!rm->has_grpc_method ||
        (rm->grpc_service.len == 0 && rm->grpc_method.len == 0)) {
        m->cls = TBL_C_G_ANY;
        m->path_type = GWR_MATCH_PREFIX;
        m->path = slash;
        return GWR_OK;
    }
    tbl_gmatch *g = gwr_arena__calloc(&c->t->arena, 1, sizeof(*g));
    if (g == NULL)
        return GWR_E_NOMEM;
    m->g = g;
    int exact = rm->grpc_type == GWR_MATCH_EXACT;
    uint32_t given = exact ? TBL_GSIDE_EXACT : TBL_GSIDE_REGEX;
    TRY(cp(c, rm->grpc_service, &g->svc));
    TRY(cp(c, rm->grpc_method, &g->meth));
    m->svc_rank = g->svc.len ? given : TBL_GSIDE_NONE;
    m->meth_rank = g->meth.len ? given : TBL_GSIDE_NONE;
    if (!exact && g->svc.len)
        TRY(add_regex(c, g->svc, &g->svc_re));
    if (!exact && g->meth.len)
        TRY(add_regex(c, g->meth, &g->meth_re));
    gwr_buf b;
    gwr_buf__init(&b, c->ctx);
    if (exact && g->svc.len && g->meth.len) {
        m->cls = TBL_C_G_FULL;
        m->path_type = GWR_MATCH_EXACT;
        gwr_buf__printf(&b, "/%.*s/%.*s", (int)g->svc.len, g->svc.ptr,
                        (int)g->meth.len, g->meth.ptr);
    } else if (exact && g->svc.len) {
        m->cls = TBL_C_G_SVC;
        m->path_type = GWR_MATCH_PREFIX;
        gwr_buf__printf(&b, "/%.*s/", (int)g->svc.len, g->svc.ptr);
    } else {
        m->cls = exact ? TBL_C_G_METH
                 : g->svc.len ? TBL_C_G_RE_SVC : TBL_C_G_RE_METH;
        m->path_type = GWR_MATCH_REGEX;
        gwr_buf__printf(&b, "/%.*s/%.*s",
                        (int)(g->svc.len ? g->svc.len : 1),
                        g->svc.len ? g->svc.ptr : "*",
                        (int)(g->meth.len ? g->meth.len : 1),
                        g->meth.len ? g->meth.ptr : "*");
    }
    int rc = b.err;
    gwr_str s = { b.ptr, b.len };
    if (rc == GWR_OK)
        rc = cp(c, s, &m->path);
    gwr_buf__free(&b);
    return rc;
}

static uint64_t
rule_salt(const gwr_route *r, size_t index)
{
    /* Stable across compiles and processes: the same id keeps choosing the
     * same backend after a reload that did not change the rule. */
    uint64_t h = gwr_table__hash(r->meta.ns);
    h = gwr_select__hash(h, gwr_table__hash(r->meta.name));
    return gwr_select__hash(h, ((uint64_t)r->meta.kind << 32) | index);
}

static int
conv_route(cstate *c, const gwr_route *r, route_slot *slot)
{
    gwr_arena *a = &c->t->arena;
    tbl_route *tr = gwr_arena__calloc(a, 1, sizeof(*tr));
    if (tr == NULL)
        return GWR_E_NOMEM;
    tr->kind = r->meta.kind;
    tr->kind_name = gwr_str__from_cstr(
        r->meta.kind == GWR_KIND_GRPC_ROUTE ? "GRPCRoute" : "HTTPRoute");
    TRY(cp(c, r->meta.ns, &tr->ns));
    TRY(cp(c, r->meta.name, &tr->name));
    tr->has_creation = r->meta.has_creation;
    tr->creation_ms = r->meta.creation_ms;
    size_t nm = 0;
    for (size_t i = 0; i < r->n_rules; i++)
        if (!r->rules[i].invalid)
            nm += r->rules[i].n_matches ? r->rules[i].n_matches : 1;
    slot->route = r;
    slot->n_matches = 0;
    /* Only the compile needs this list: it lives outside the table. */
    slot->matches = nm ? gwr__calloc(c->ctx, nm, sizeof(tbl_match *)) : NULL;
    if (nm && slot->matches == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < r->n_rules; i++) {
        const gwr_rule *ru = &r->rules[i];
        if (ru->invalid)
            continue;
        tbl_rule *tu = gwr_arena__calloc(a, 1, sizeof(*tu));
        if (tu == NULL)
            return GWR_E_NOMEM;
        tu->route = tr;
        tu->index = (int)i;
        TRY(cp(c, ru->name, &tu->name));
        tu->salt = rule_salt(r, i);
        size_t nrf = 0;
        TRY(conv_filters(c, ru->filters, ru->n_filters, tu->salt,
                         &tu->filters, &nrf));
        tu->n_filters = (uint32_t)nrf;
        if (ru->n_backends > 0) {
            /* One backendRef (most rules) lives in the rule, and its
             * weight is the one running sum; several get arrays. */
            uint32_t *cum = &tu->bref0.weight;
            tu->brefs = &tu->bref0;
            if (ru->n_backends > 1) {
                tu->brefs = gwr_arena__calloc(a, ru->n_backends, sizeof(tbl_bref));
                cum = gwr_arena__calloc(a, ru->n_backends, sizeof(uint32_t));
                if (tu->brefs == NULL || cum == NULL)
                    return GWR_E_NOMEM;
            }
            tu->cum = cum;
            uint64_t sum = 0;
            for (size_t k = 0; k < ru->n_backends; k++) {
                const gwr_backend_ref *br = &ru->backends[k];
                TRY(shared_backend(c, br, tu, &tu->brefs[k].be));
                tu->brefs[k].weight = br->weight;
                size_t nf = 0;
                TRY(conv_filters(c, br->filters, br->n_filters,
                                 gwr_select__hash(tu->salt, k + 1),
                                 &tu->brefs[k].filters, &nf));
                tu->brefs[k].n_filters = (uint32_t)nf;
                /* 16 weights of at most 1e6 each fit in 32 bits. */
                sum += br->weight;
                cum[k] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
            }
            tu->n_brefs = (uint32_t)ru->n_backends;
        }
        tu->timeout_request_ms = ru->timeout_request_ms;
        tu->timeout_backend_ms = ru->timeout_backend_ms;
        if (ru->retry.set) {
            tbl_retry *rt = gwr_arena__calloc(a, 1, sizeof(*rt));
            if (rt == NULL)
                return GWR_E_NOMEM;
            rt->attempts = ru->retry.attempts;
            rt->backoff_ms = ru->retry.backoff_ms;
            if (ru->retry.n_codes > 0) {
                rt->codes = gwr_arena__calloc(a, ru->retry.n_codes,
                                              sizeof(uint16_t));
                if (rt->codes == NULL)
                    return GWR_E_NOMEM;
                memcpy(rt->codes, ru->retry.codes,
                       ru->retry.n_codes * sizeof(uint16_t));
                rt->n_codes = ru->retry.n_codes;
            }
            tu->retry = rt;
        }
        /* A GRPCRoute rule without matches matches every gRPC request. */
        size_t n = ru->n_matches ? ru->n_matches : 1;
        for (size_t k = 0; k < n; k++) {
            static const gwr_route_match match_all = { 0 };
            const gwr_route_match *rm = ru->n_matches ? &ru->matches[k] : &match_all;
            tbl_match *m = gwr_arena__calloc(a, 1, sizeof(*m));
            if (m == NULL)
                return GWR_E_NOMEM;
            m->rule = tu;
            m->index = (uint16_t)k;   /* k < 64: the loader's cap */
            if (r->meta.kind == GWR_KIND_GRPC_ROUTE) {
                TRY(grpc_match(c, rm, m));
            } else {
                m->path_type = rm->path_type;
                TRY(cp(c, rm->path.len ? rm->path : gwr_str__from_cstr("/"),
                       &m->path));
                if (m->path_type == GWR_MATCH_REGEX)
                    TRY(add_regex(c, m->path, &m->re));
                TRY(cp(c, rm->method, &m->method));
                TRY(conv_vmatches(c, rm->query, rm->n_query, &m->query));
                m->n_query = (uint16_t)rm->n_query;
                set_class(m);
            }
            TRY(conv_vmatches(c, rm->headers, rm->n_headers, &m->headers));
            m->n_headers = (uint16_t)rm->n_headers;
            if (rm->n_headers > 0)
                c->t->header_lookups = 1;
            slot->matches[slot->n_matches++] = m;
        }
    }
    return GWR_OK;
}

static size_t
route_hash(const gwr_route *r, size_t mask)
{
    return (size_t)gwr_select__hash((uint64_t)(uintptr_t)r, 0x52) & mask;
}

/* The slot of route r, converted on first use. A hash from the route
 * pointer to its slot keeps this O(1): a linear search over the routes
 * made compile quadratic (16k routes at 100k rules). */
static int
route_slot_of(cstate *c, const gwr_route *r, route_slot **out)
{
    if (c->rslots != NULL) {
        for (size_t j = route_hash(r, c->rslots_mask); c->rslots[j] != NULL;
             j = (j + 1) & c->rslots_mask) {
            if (c->rslots[j]->route == r) {
                *out = c->rslots[j];
                return GWR_OK;
            }
        }
    }
    if (c->n_routes == c->cap_routes) {
        /* Slots move when the array grows: rebuild the lookup after. */
        TRY(gwr__grow(c->ctx, (void **)&c->routes, &c->cap_routes,
                      c->n_routes + 1, sizeof(route_slot)));
        size_t cap = 4;
        while (cap < 2 * c->cap_routes)
            cap *= 2;
        route_slot **ns = gwr__calloc(c->ctx, cap, sizeof(*ns));
        if (ns == NULL)
            return GWR_E_NOMEM;
        gwr__free(c->ctx, c->rslots);
        c->rslots = ns;
        c->rslots_mask = cap - 1;
        for (size_t i = 0; i < c->n_routes; i++) {
            size_t j = route_hash(c->routes[i].route, cap - 1);
            while (ns[j] != NULL)
                j = (j + 1) & (cap - 1);
            ns[j] = &c->routes[i];
        }
    }
    route_slot *s = &c->routes[c->n_routes];
    memset(s, 0, sizeof(*s));
    int rc = conv_route(c, r, s);
    if (rc != GWR_OK) {
        gwr__free(c->ctx, s->matches);
        return rc;
    }
    c->n_routes++;
    size_t j = route_hash(r, c->rslots_mask);
    while (c->rslots[j] != NULL)
        j = (j + 1) & c->rslots_mask;
    c->rslots[j] = s;
    *out = s;
    return GWR_OK;
}

/* ---- index --------------------------------------------------------------- */

static int
keyed_class(uint32_t cls)
{
    return cls == TBL_C_G_FULL ||
           cls == TBL_C_G_SVC || cls == TBL_C_G_METH;
}

static uint32_t
path_group(uint32_t cls)
{
    return cls == TBL_C_PREFIX ? TBL_C_EXACT : cls;
}

static int
cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = gwr_str__cmp(a->host, b->host);
    if (c != 0)
        return c;
    /* Exact and PathPrefix share the bucket's path map: one run per key,
     * its Exact entries before its PathPrefix ones (tbl_paths). */
    uint32_t ga = path_group(a->m->cls), gb = path_group(b->m->cls);
    if (ga != gb)
        return ga < gb ? -1 : 1;
    c = gwr_str__cmp(match_key(a->m), match_key(b->m));
    if (c != 0)
        return c;
    if (a->m->cls != b->m->cls)
        return a->m->cls < b->m->cls ? -1 : 1;
    return a->m->grpc ? gwr_table__cmp_grpc(a->m, b->m)
                      : gwr_table__cmp_match(a->m, b->m);
}

/* A value array for building n map entries: compile scratch, the maps
 * copy what they keep. */
static int
scratch_kv(cstate *c, size_t n)
{
    if (n > c->cap_vals)
        TRY(gwr__grow(c->ctx, (void **)&c->vals, &c->cap_vals, n,
                      sizeof(void *)));
    return GWR_OK;
}

/* One tbl_paths for the path-map run items[0, n) sharing one key: the
 * struct, the entries, then the key bytes, in one allocation. */
static int
build_paths(gwr_arena *a, const tbl_match *const *items, size_t n,
            tbl_paths **out)
{
    gwr_str key = match_key(items[0]);
    tbl_paths *p = gwr_arena__calloc(
        a, 1, sizeof(*p) + n * sizeof(p->items[0]) + key.len + 1);
    if (p == NULL)
        return GWR_E_NOMEM;
    char *kb = (char *)&p->items[n];
    if (key.len > 0)
        memcpy(kb, key.ptr, key.len);
    p->key = (gwr_str){ kb, key.len };
    for (size_t i = 0; i < n; i++) {
        const tbl_match *m = items[i];
        int plain = m->method.len == 0 && m->n_headers == 0 &&
                    m->n_query == 0 && !m->grpc;
        int simple = tbl_rule__simple(m->rule);
        p->items[i].mtag = (uintptr_t)m | (plain ? TBL_ENTRY_PLAIN : 0) |
                           (simple ? TBL_ENTRY_SIMPLE : 0);
        if (simple)
            p->items[i].u.be = m->rule->bref0.be;
        else
            p->items[i].u.rule = m->rule;
        if (items[i]->cls == TBL_C_EXACT)
            p->n_exact++;
        else
            p->n_prefix++;
    }
    *out = p;
    return GWR_OK;
}

/* Turn entries[lo, hi) (one host, sorted by class group, key, precedence)
 * into a bucket: the Exact and PathPrefix entries into the path map (one
 * tbl_paths per key), per other keyed class a hash map of lists, per
 * unkeyed class one list. */
static int
build_bucket(cstate *c, size_t lo, size_t hi, tbl_bucket **out)
{
    gwr_arena *a = &c->t->arena;
    size_t n = hi - lo;
    gwr_str host = c->entries[lo].host;
    /* The bucket, then its host bytes: the listener maps' key is the
     * host, or for a wildcard the part after "*.". */
    tbl_bucket *b = gwr_arena__calloc(a, 1, sizeof(*b) + host.len + 1);
    if (b == NULL)
        return GWR_E_NOMEM;
    char *hb = (char *)(b + 1);
    if (host.len > 0)
        memcpy(hb, host.ptr, host.len);
    int wild = host.len > 2 && host.ptr[0] == '*' && host.ptr[1] == '.';
    b->key = wild ? (gwr_str){ hb + 2, host.len - 2 } : (gwr_str){ hb, host.len };
    b->host = host;
    TRY(scratch_kv(c, n));
    void **vals = c->vals;
    /* Path entries sort first (path_group). */
    size_t np = 0;
    while (np < n && path_group(c->entries[lo + np].m->cls) == TBL_C_EXACT)
        np++;
    if (np > 0) {
        const tbl_match **run = gwr__calloc(c->ctx, np, sizeof(*run));
        if (run == NULL)
            return GWR_E_NOMEM;
        size_t nk = 0;
        int rc = GWR_OK;
        for (size_t i = 0; i < np;) {
            size_t j = i;
            while (j < np && gwr_str__eq(match_key(c->entries[lo + j].m),
                                         match_key(c->entries[lo + i].m))) {
                run[j - i] = c->entries[lo + j].m;
                j++;
            }
            tbl_paths *p = NULL;
            rc = build_paths(a, run, j - i, &p);
            if (rc != GWR_OK)
                break;
            vals[nk++] = p;
            i = j;
        }
        gwr__free(c->ctx, run);
        TRY(rc);
        TRY(gwr_smap__build(a, &b->paths, vals, nk, 0));
    }
    size_t nr = n - np;
    if (nr == 0) {
        *out = b;
        return GWR_OK;
    }
    const tbl_match **items = gwr_arena__calloc(a, nr, sizeof(*items));
    if (items == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < nr; i++)
        items[i] = c->entries[lo + np + i].m;
    gwr_smap *maps[TBL_C_COUNT] = { 0 };
    tbl_list *lists[TBL_C_COUNT] = { 0 };
    lists[TBL_C_REGEX] = &b->regex;
    int grpc = 0;
    for (size_t i = 0; i < nr; i++)
        grpc |= items[i]->grpc;
    if (grpc) {
        tbl_gbucket *g = gwr_arena__calloc(a, 1, sizeof(*g));
        if (g == NULL)
            return GWR_E_NOMEM;
        b->grpc = g;
        maps[TBL_C_G_FULL] = &g->g_full;
        maps[TBL_C_G_SVC] = &g->g_svc;
        maps[TBL_C_G_METH] = &g->g_meth;
        lists[TBL_C_G_RE_SVC] = &g->g_re_svc;
        lists[TBL_C_G_RE_METH] = &g->g_re_meth;
        lists[TBL_C_G_ANY] = &g->g_any;
    }
    for (size_t i = 0; i < nr;) {
        uint32_t cls = items[i]->cls;
        if (!keyed_class(cls)) {
            /* One run per unkeyed class, already in precedence order. */
            size_t j = i + 1;
            while (j < nr && items[j]->cls == cls)
                j++;
            lists[cls]->items = &items[i];
            lists[cls]->n = j - i;
            i = j;
            continue;
        }
        /* Keyed gRPC class: runs of one key become one list. */
        size_t nk = 0, j = i;
        while (j < nr && items[j]->cls == cls) {
            size_t k = j + 1;
            while (k < nr && items[k]->cls == cls &&
                   gwr_str__eq(match_key(items[k]), match_key(items[j])))
                k++;
            tbl_glist *g = gwr_arena__calloc(a, 1, sizeof(*g));
            if (g == NULL)
                return GWR_E_NOMEM;
            g->key = match_key(items[j]);
            g->l.items = &items[j];
            g->l.n = k - j;
            vals[nk++] = g;
            j = k;
        }
        TRY(gwr_smap__build(a, maps[cls], vals, nk, 0));
        i = j;
    }
    *out = b;
    return GWR_OK;
}

static int
push_entry(cstate *c, gwr_str host, const tbl_match *m)
{
    TRY(gwr__grow(c->ctx, (void **)&c->entries, &c->cap_entries,
                  c->n_entries + 1, sizeof(entry)));
    c->entries[c->n_entries].host = host;
    c->entries[c->n_entries].m = m;
    c->n_entries++;
    return GWR_OK;
}

static int hosts_index(cstate *c, tbl_listener *l, void **hv, size_t nb);

static int
build_listener(cstate *c, tbl_listener *l, const gwr_attachment *atts,
               size_t n_atts, size_t li, int implicit)
{
    c->n_entries = 0;
    for (size_t i = 0; i < n_atts; i++) {
        const gwr_attachment *at = &atts[i];
        if (!implicit && at->listener_index != li)
            continue;
        route_slot *s = NULL;
        TRY(route_slot_of(c, at->route, &s));
        size_t nh = at->n_hostnames;
        for (size_t h = 0; h < (nh ? nh : 1); h++) {
            gwr_str host = { "", 0 };
            if (nh)
                TRY(cp(c, at->hostnames[h], &host));
            else
                host = l->hostname;   /* inherits the listener's */
            if (host.len == 1 && host.ptr[0] == '*')
                host.len = 0;
            for (size_t k = 0; k < s->n_matches; k++)
                TRY(push_entry(c, host, s->matches[k]));
        }
    }
    if (c->n_entries == 0)
        return GWR_OK;
    qsort(c->entries, c->n_entries, sizeof(entry), cmp_entry);
    size_t nb = 0;
    for (size_t i = 0; i < c->n_entries; i++)
        if (i == 0 || !gwr_str__eq(c->entries[i].host, c->entries[i - 1].host))
            nb++;
    /* Host and wildcard buckets: compile scratch (build_bucket reuses
     * c->vals, so this is separate). */
    void **hv = gwr__calloc(c->ctx, 2 * nb, sizeof(*hv));
    if (hv == NULL)
        return GWR_E_NOMEM;
    int rc = hosts_index(c, l, hv, nb);
    gwr__free(c->ctx, hv);
    return rc;
}

static int
hosts_index(cstate *c, tbl_listener *l, void **hv, size_t nb)
{
    gwr_arena *a = &c->t->arena;
    void **wv = hv + nb;
    size_t nhk = 0, nwk = 0;
    for (size_t i = 0; i < c->n_entries;) {
        size_t j = i + 1;
        while (j < c->n_entries && gwr_str__eq(c->entries[j].host, c->entries[i].host))
            j++;
        tbl_bucket *b = NULL;
        TRY(build_bucket(c, i, j, &b));
        gwr_str h = b->host;
        if (h.len == 0)
            l->all = b;
        else if (h.len > 2 && h.ptr[0] == '*' && h.ptr[1] == '.')
            wv[nwk++] = b;            /* keyed by the part after "*." */
        else
            hv[nhk++] = b;
        c->t->n_entries += j - i;
        i = j;
    }
    TRY(gwr_smap__build(a, &l->hosts, hv, nhk, 1));
    TRY(gwr_smap__build(a, &l->wild, wv, nwk, 1));
    return GWR_OK;
}

/* ---- entry point --------------------------------------------------------- */

static int
find_gateway(cstate *c, const gwr_model *model, const gwr_compile_opts *o,
             const gwr_gateway **out)
{
    *out = NULL;
    if (o->gateway_name.len == 0) {
        if (model->n_gateways > 1)
            return fail(c, GWR_E_CONFIG,
                        "several Gateways are loaded; name one");
        if (model->n_gateways == 1)
            *out = model->gateways[0];
        return GWR_OK;
    }
    for (size_t i = 0; i < model->n_gateways; i++) {
        const gwr_gateway *g = model->gateways[i];
        if (gwr_str__eq(g->meta.ns, o->gateway_ns) &&
            gwr_str__eq(g->meta.name, o->gateway_name)) {
            *out = g;
            return GWR_OK;
        }
    }
    return fail(c, GWR_E_NOT_FOUND, "no Gateway %.*s/%.*s is loaded",
                (int)o->gateway_ns.len, o->gateway_ns.ptr,
                (int)o->gateway_name.len, o->gateway_name.ptr);
}

static int
compile(cstate *c, const gwr_config *cfg, const gwr_compile_opts *o)
{
    const gwr_view *view = NULL;
    TRY(gwr_config__view(cfg, &view));
    c->view = view;
    const gwr_gateway *gw = NULL;
    TRY(find_gateway(c, &cfg->model, o, &gw));
    const gwr_attachment *atts = NULL;
    size_t n_atts = gwr_resolve__attachments(view, gw, &atts);
    gwr_table *t = c->t;
    size_t nl = gw ? gw->n_listeners : 1;
    t->listeners = gwr_arena__calloc(&t->arena, nl, sizeof(tbl_listener));
    if (t->listeners == NULL)
        return GWR_E_NOMEM;
    if (gw == NULL) {
        tbl_listener *l = &t->listeners[t->n_listeners++];
        l->name = gwr_str__from_cstr("");
        l->hostname = gwr_str__from_cstr("");
        return build_listener(c, l, atts, n_atts, 0, 1);
    }
    for (size_t i = 0; i < gw->n_listeners; i++) {
        const gwr_listener *gl = &gw->listeners[i];
        uint32_t proto;
        if (gwr_str__eq_cstr(gl->protocol, "HTTP"))
            proto = TBL_PROTO_HTTP;
        else if (gwr_str__eq_cstr(gl->protocol, "HTTPS"))
            proto = TBL_PROTO_HTTPS;
        else
            continue;             /* TLS, TCP, UDP: not HTTP routing */
        tbl_listener *l = &t->listeners[t->n_listeners++];
        l->port = gl->port;
        l->proto = proto;
        TRY(cp(c, gl->name, &l->name));
        TRY(cp(c, gl->hostname, &l->hostname));
        TRY(build_listener(c, l, atts, n_atts, i, 0));
    }
    return GWR_OK;
}

int
gwr_table_compile(gwr_table **out, const gwr_config *cfg,
                  const gwr_compile_opts *opts)
{
    if (out != NULL)
        *out = NULL;
    gwr_compile_opts o = GWR_COMPILE_OPTS_INIT;
    if (opts != NULL) {
        int rc = gwr_abi__check(opts, sizeof(gwr_compile_opts), sizeof(o));
        if (rc != GWR_OK)
            return rc;
        gwr_abi__copy(&o, sizeof(o), opts);
    }
    cstate c;
    memset(&c, 0, sizeof(c));
    c.errbuf = o.errbuf;
    c.errbuf_size = o.errbuf_size;
    if (out == NULL || cfg == NULL)
        return fail(&c, GWR_E_INVAL, "NULL argument");
    if ((o.gateway_ns.len == 0) != (o.gateway_name.len == 0))
        return fail(&c, GWR_E_INVAL,
                    "gateway_ns and gateway_name go together");
    if ((o.flags & ~COMPILE_FLAGS_ALL) != 0 ||
        (o.path_flags & ~PATH_FLAGS_ALL) != 0)
        return fail(&c, GWR_E_INVAL, "unknown flag bits");
    gwr_ctx *ctx = cfg->ctx;
    gwr_table *t = gwr__calloc(ctx, 1, sizeof(*t));
    if (t == NULL)
        return fail(&c, GWR_E_NOMEM, "out of memory");
    atomic_init(&t->refs, 1);
    t->ctx = gwr_ctx__ref(ctx);
    gwr_arena__init(&t->arena, ctx);
    t->flags = o.flags;
    t->path_flags = (o.flags & GWR_COMPILE_PATH_FLAGS) ? o.path_flags
                                                      : GWR_PATH__DEFAULT;
    c.t = t;
    c.ctx = ctx;
    int rc = compile(&c, cfg, &o);
    for (size_t i = 0; i < c.n_routes; i++)
        gwr__free(ctx, c.routes[i].matches);
    gwr__free(ctx, c.routes);
    gwr__free(ctx, c.entries);
    gwr__free(ctx, c.strs);
    gwr__free(ctx, c.bes);
    gwr__free(ctx, c.vals);
    gwr__free(ctx, c.rslots);
    if (rc != GWR_OK) {
        if (rc == GWR_E_NOMEM)
            fail(&c, rc, "out of memory");
        gwr_table_unref(t);
        return rc;
    }
    *out = t;
    return GWR_OK;
}

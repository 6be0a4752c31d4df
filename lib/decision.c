/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The decision object: its reusable buffers, gwr_table_match() (request
 * intake, normalization, then lib/match.c and lib/filters.c) and the
 * accessors. Buffers only ever grow, so a decision that has seen a
 * request of a given shape matches the next one without allocating.
 */
#include <string.h>

#include "hostname.h"
#include "path.h"
#include "table_int.h"

int
gwr_dec__grow(gwr_decision *d, dec_vec *v, size_t need, size_t elem)
{
    return gwr__grow(d->ctx, &v->items, &v->cap, need, elem);
}

int
gwr_dec__buf_grow(gwr_buf *b, size_t need)
{
    return gwr__grow(b->ctx, (void **)&b->ptr, &b->cap, need ? need : 1, 1);
}

static void dec_clear(gwr_decision *d);

#define DEC_BUFS(d) { &(d)->reqbuf, &(d)->pathbuf, &(d)->hostbuf, \
                      &(d)->joinbuf, &(d)->qbuf, &(d)->hdrbuf, &(d)->upbuf, \
                      &(d)->locbuf, &(d)->corsbuf }

void
gwr_dec__reset(gwr_decision *d)
{
    const gwr_table *t = d->table;
    d->table = NULL;
    gwr_table_unref((gwr_table *)t);
    dec_clear(d);
}

/* Forget the last match's content, keep the table reference. */
static void
dec_clear(gwr_decision *d)
{
    d->result = GWR_RESULT_NO_ROUTE;
    d->status = 0;
    d->seed = 0;
    d->rule = NULL;
    d->match = NULL;
    d->backend = NULL;
    d->listener = NULL;
    d->grpc = 0;
    d->no_copy = 0;
    d->grpc_svc = d->grpc_meth = (gwr_str){ "", 0 };
    d->req_headers.n = 0;
    d->rh = NULL;
    d->n_rh = 0;
    d->rh_values = 0;
    d->rh_names = 0;
    d->up_headers.n = 0;
    d->up_headers_view = 0;
    for (int i = 0; i < 3; i++)
        d->resp[i].n = 0;
    d->mirrors.n = 0;
    d->exts.n = 0;
    gwr_str empty = { "", 0 };
    d->up_method = d->up_scheme = d->up_host = d->up_path = empty;
    d->location = empty;
    gwr_buf *bufs[] = DEC_BUFS(d);
    for (size_t i = 0; i < GWR_ARRAY_LEN(bufs); i++) {
        bufs[i]->len = 0;
        bufs[i]->err = GWR_OK;
    }
}

int
gwr_decision_new(gwr_decision **out, gwr_ctx *ctx)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || ctx == NULL)
        return GWR_E_INVAL;
    gwr_decision *d = gwr__calloc(ctx, 1, sizeof(*d));
    if (d == NULL)
        return GWR_E_NOMEM;
    d->ctx = gwr_ctx__ref(ctx);
    gwr_buf *bufs[] = DEC_BUFS(d);
    for (size_t i = 0; i < GWR_ARRAY_LEN(bufs); i++)
        gwr_buf__init(bufs[i], ctx);
    int rc = gwr_regex__scratch_new(ctx, &d->scratch);
    if (rc != GWR_OK) {
        gwr_decision_free(d);
        return rc;
    }
    gwr_dec__reset(d);
    *out = d;
    return GWR_OK;
}

void
gwr_decision_free(gwr_decision *d)
{
    if (d == NULL)
        return;
    gwr_dec__reset(d);
    gwr_ctx *ctx = d->ctx;
    gwr_regex__scratch_free(d->scratch);
    gwr_buf *bufs[] = DEC_BUFS(d);
    for (size_t i = 0; i < GWR_ARRAY_LEN(bufs); i++)
        gwr_buf__free(bufs[i]);
    dec_vec *vecs[] = { &d->req_headers, &d->up_headers, &d->resp[0],
                        &d->resp[1], &d->resp[2], &d->mirrors, &d->exts };
    for (size_t i = 0; i < GWR_ARRAY_LEN(vecs); i++)
        gwr__free(ctx, vecs[i]->items);
    gwr__free(ctx, d);
    gwr_ctx__unref(ctx);
}

/* ---- intake ------------------------------------------------------------- */

static int
collect_headers(gwr_decision *d, const gwr_request *r)
{
    /* d->rh / n_rh were cleared with the decision (dec_clear). */
    if (r->headers != NULL) {
        /* The caller's array stays valid for the whole call: view it. */
        d->rh = r->headers;
        d->n_rh = r->n_headers;
        return GWR_OK;
    }
    if (r->header_fn == NULL)
        return GWR_OK;
    for (size_t i = 0;; i++) {
        gwr_header h = { { "", 0 }, { "", 0 } };
        int got = r->header_fn(i, &h, r->header_ud);
        if (got < 0)
            return GWR_E_CALLBACK;
        if (got == 0)
            return GWR_OK;
        int rc = gwr_dec__reserve(d, &d->req_headers, i + 1, sizeof(gwr_header));
        if (rc != GWR_OK)
            return rc;
        ((gwr_header *)d->req_headers.items)[i] = h;
        d->req_headers.n = i + 1;
        d->rh = d->req_headers.items;
        d->n_rh = i + 1;
    }
}

/* RFC 9110 token characters (the media subtype after "+"). */
static int
tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "application/grpc" or "application/grpc+<subtype>" (type and subtype
 * case-insensitive, RFC 9110 §8.3.1), optionally followed by
 * parameters after ';'. "application/grpc-web" and the like are not
 * gRPC (gRPC-Web needs a translating proxy). */
static int
grpc_content_type(gwr_str v)
{
    gwr_str g = GWR_STR_LIT("application/grpc");
    size_t i = 0;
    while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
        i++;
    if (v.len - i < g.len)
        return 0;
    gwr_str pre = { v.ptr + i, g.len };
    if (!gwr_str__eq_ci(pre, g))
        return 0;
    i += g.len;
    if (i < v.len && v.ptr[i] == '+') {
        size_t start = ++i;
        while (i < v.len && tchar(v.ptr[i]))
            i++;
        if (i == start)
            return 0;
    }
    while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
        i++;
    return i == v.len || v.ptr[i] == ';';
}

int
gwr_dec__grpc_split(gwr_str path, gwr_str *svc, gwr_str *meth)
{
    if (path.len < 4 || path.ptr[0] != '/')
        return 0;
    size_t slash = 0;
    for (size_t i = 1; i < path.len; i++) {
        if (path.ptr[i] != '/')
            continue;
        if (slash != 0)
            return 0;
        slash = i;
    }
    if (slash <= 1 || slash + 1 >= path.len)
        return 0;
    *svc = (gwr_str){ path.ptr + 1, slash - 1 };
    *meth = (gwr_str){ path.ptr + slash + 1, path.len - slash - 1 };
    return 1;
}

int
gwr_dec__grpc_request(gwr_str method, const gwr_header *h, size_t nh,
                      gwr_str path, gwr_str *svc, gwr_str *meth)
{
    /* §3.9: a gRPC call is a POST of "/{service}/{method}" with a gRPC
     * content-type (docs/MATCHING.md "GRPCRoute"). The HTTP version is the
     * host's business: the library sees no transport. */
    gwr_str ct = GWR_STR_LIT("content-type");
    if (!gwr_dec__is_post(method))
        return 0;
    size_t found = 0, at = 0;
    for (size_t i = 0; i < nh; i++) {
        if (gwr_str__eq_ci(h[i].name, ct)) {
            found++;
            at = i;
        }
    }
    /* Content-Type is a singleton field: a repeated one is malformed. */
    if (found != 1 || !grpc_content_type(h[at].value))
        return 0;
    return gwr_dec__grpc_split(path, svc, meth);
}

/* The TLS server name, normalized like a Host into buf (its room:
 * sni.len + 1 bytes). A server name is a DNS name without a port
 * (RFC 6066 §3): one with ':' or '[', or one the Host normalizer
 * rejects, selects no listener (DEC_SNI_BAD). */
static void
intake_sni(gwr_decision *d, gwr_str sni, char *buf, size_t room)
{
    gwr_str name;
    if (memchr(sni.ptr, ':', sni.len) == NULL && sni.ptr[0] != '[' &&
        gwr_hostname__normalize_request_view(sni, buf, room, &name) == GWR_OK) {
        d->sni = name;
        d->sni_state = DEC_SNI_NAME;
    } else {
        d->sni_state = DEC_SNI_BAD;
    }
}

int
gwr_dec__intake(const gwr_table *t, const gwr_request *r, gwr_decision *d)
{
    int rc = collect_headers(d, r);
    if (rc != GWR_OK)
        return rc;
    const gwr_header *h = d->rh;
    size_t nh = d->n_rh, values = 0, names = 0;
    /* The sums size the joined-value buffer of header lookups (values:
     * predicates, the CORS filter) and the upstream copy (both, with a
     * NUL each); neither may be needed. One pass over the fields for both. */
    int copy = !(r->flags & GWR_REQ_NO_COPY);
    if (copy || t->header_lookups)
        for (size_t i = 0; i < nh; i++) {
            values += h[i].value.len + 1;
            if (copy)
                names += h[i].name.len + 1;
        }
    d->rh_values = values;
    d->rh_names = names;
    /* Scratch the match may need, reserved up front so the walk itself
     * cannot fail: joined header values, decoded query names / values,
     * the normalized host and TLS server name (each at most its length +
     * 1, one after the other) and path (at most 3 bytes per input byte). */
    if ((rc = gwr_dec__buf_reserve(&d->joinbuf, values + 1)) != GWR_OK ||
        (rc = gwr_dec__buf_reserve(&d->qbuf, 2 * r->path.len + 2)) != GWR_OK ||
        (rc = gwr_dec__buf_reserve(&d->hostbuf, r->host.len + r->sni.len + 2)) != GWR_OK ||
        (rc = gwr_dec__buf_reserve(&d->pathbuf, 3 * r->path.len + 2)) != GWR_OK)
        return rc;
    /* An empty method / scheme reads as "GET" / "http". */
    d->method = r->method.len ? r->method : (gwr_str)GWR_STR_LIT("GET");
    d->scheme = r->scheme.len ? r->scheme : (gwr_str)GWR_STR_LIT("http");
    d->host_raw = r->host.len ? r->host : (gwr_str){ "", 0 };
    gwr_str target = r->path.len ? r->path : (gwr_str){ "", 0 };
    d->port = r->port;
    d->no_copy = (r->flags & GWR_REQ_NO_COPY) != 0;
    /* d->grpc and its parts were cleared with the decision (dec_clear). */
    /* Host: port ignored, lowercased, one trailing dot dropped (§3.2).
     * No Host at all only matches hostname-less listeners and routes.
     * A host already in that form, or followed only by a port, is
     * checked and hashed in one pass and viewed without the port
     * (lib/scan.h); any other is normalized, then hashed. */
    gwr_str host = { "", 0 };
    if (d->host_raw.len > 0) {
        if (!gwr_scan__host(d->host_raw, &host, &d->hkeys)) {
            rc = gwr_hostname__normalize_request_view(d->host_raw, d->hostbuf.ptr,
                                                      d->hostbuf.cap, &host);
            if (rc != GWR_OK)
                return GWR_E_INVAL;
            gwr_scan__hash_host(host, &d->hkeys);
        }
    } else {
        d->hkeys.n = 0;
    }
    d->host = host;
    d->sni_state = DEC_SNI_NONE;
    if (GWR_UNLIKELY(r->sni.len > 0) && gwr_dec__is_https(d->scheme))
        intake_sni(d, r->sni, d->hostbuf.ptr + r->host.len + 1, r->sni.len + 1);
    /* The path likewise: nearly every request path is plain and normal,
     * checked, split from its query and hashed in one pass. */
    gwr_str path, query;
    int raw = (t->flags & GWR_COMPILE_NO_NORMALIZATION) != 0;
    int keyed = !raw && gwr_scan__path(target, &path, &query, &d->pkeys);
    int normal = keyed || (!raw && gwr_path__split_normal(target, t->path_flags,
                                                          &path, &query));
    if (!normal)
        gwr_path__split(target, &path, &query);
    d->has_query = query.ptr != NULL;
    d->query = d->has_query ? query : (gwr_str){ "", 0 };
    if (raw) {
        d->path = path.len ? path : (gwr_str){ "/", 1 };
    } else if (normal) {
        d->path = path;           /* nearly every request: no copy */
    } else {
        rc = gwr_path__normalize(path, t->path_flags, d->pathbuf.ptr,
                                 d->pathbuf.cap, &d->path);
        if (rc != GWR_OK)
            return GWR_E_INVAL;
    }
    if (!keyed)
        gwr_scan__hash_path(d->path, &d->pkeys);
    /* Only a POST can be a gRPC call (the test, inline, skips the call
     * for nearly every request). */
    if (gwr_dec__is_post(d->method))
        d->grpc = gwr_dec__grpc_request(d->method, h, nh, d->path,
                                        &d->grpc_svc, &d->grpc_meth);
    return GWR_OK;
}

void
gwr_decision_reset(gwr_decision *d)
{
    if (d != NULL)
        gwr_dec__reset(d);
}

int
gwr_table_match(const gwr_table *table, const gwr_request *req,
                gwr_decision *d)
{
    if (d == NULL)
        return GWR_E_INVAL;
    /* The v1 layout ends with seed; later fields are appended after it. */
    const size_t v1_size = offsetof(gwr_request, seed) + sizeof(uint64_t);
    /* A caller built against this header (the size matches exactly) has
     * nothing to check: no call on the hot path. */
    int rc = (table == NULL || req == NULL)      ? GWR_E_INVAL
             : req->size == sizeof(gwr_request) ? GWR_OK
             : gwr_abi__check(req, v1_size, sizeof(gwr_request));
    if (rc != GWR_OK) {
        /* As documented: on error the decision reads as never matched. */
        gwr_dec__reset(d);
        return rc;
    }
    /* A caller built against this header is read in place; an older or
     * newer one through a copy of the common part (docs/ABI.md). */
    gwr_request r;
    const gwr_request *rq = req;
    if (req->size != sizeof(gwr_request)) {
        gwr_abi__copy(&r, sizeof(r), req);
        rq = &r;
    }
    gwr_table *t = (gwr_table *)table;
    if (d->table == t) {
        /* The decision already holds this table: no atomic operation in
         * the steady state of a host matching against one table. */
        dec_clear(d);
    } else {
        /* Take the new reference before dropping the old one: the host
         * may be matching against the very table it just unref'd. */
        gwr_table_ref(t);
        gwr_dec__reset(d);
        d->table = t;
    }
    if (rq->flags & GWR_REQ_SEEDED)
        d->seed = rq->seed;
    else
        gwr_io__random(d->ctx, &d->seed, sizeof(d->seed));
    rc = gwr_dec__intake(t, rq, d);
    if (rc == GWR_E_INVAL) {
        /* A Host or path the normalizer rejects: answer 400. */
        d->result = GWR_RESULT_RESPOND;
        d->status = 400;
        return GWR_OK;
    }
    if (rc == GWR_OK)
        rc = gwr_match__find(t, d);
    if (rc == GWR_OK) {
        if (d->match == NULL) {
            if (d->status == 421) {
                d->result = GWR_RESULT_RESPOND;   /* misdirected (the walk) */
                return GWR_OK;
            }
            d->result = GWR_RESULT_NO_ROUTE;
            d->status = 404;
            return GWR_OK;
        }
        rc = gwr_filters__apply(d);
    }
    if (rc != GWR_OK) {
        uint64_t seed = d->seed;
        gwr_dec__reset(d);
        d->seed = seed;
    }
    return rc;
}

/* ---- accessors ------------------------------------------------------------ */

static const gwr_str empty_str = { "", 0 };

uint32_t
gwr_decision_result(const gwr_decision *d)
{
    return d ? d->result : (uint32_t)GWR_RESULT_NO_ROUTE;
}

int
gwr_decision_status(const gwr_decision *d)
{
    return d ? d->status : 0;
}

uint64_t
gwr_decision_seed(const gwr_decision *d)
{
    return d ? d->seed : 0;
}

int
gwr_decision_grpc(const gwr_decision *d)
{
    return d ? d->grpc : 0;
}

int
gwr_decision_grpc_status(const gwr_decision *d)
{
    /* §3.8 / §3.9: no route is UNIMPLEMENTED; §5.1 / §5.2: a missing or
     * invalid backend (the 500 of an HTTP request) is UNAVAILABLE. */
    if (d == NULL || !d->grpc)
        return 0;
    if (d->result == GWR_RESULT_NO_ROUTE && d->status == 404)
        return GWR_GRPC_UNIMPLEMENTED;
    if (d->result == GWR_RESULT_RESPOND && d->status == 500)
        return GWR_GRPC_UNAVAILABLE;
    return 0;
}

gwr_str
gwr_decision_route_kind(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->route->kind_name : empty_str;
}

gwr_str
gwr_decision_route_namespace(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->route->ns : empty_str;
}

gwr_str
gwr_decision_route_name(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->route->name : empty_str;
}

int
gwr_decision_rule_index(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->index : -1;
}

gwr_str
gwr_decision_rule_name(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->name : empty_str;
}

const gwr_backend *
gwr_decision_backend(const gwr_decision *d)
{
    return d && d->result == GWR_RESULT_FORWARD ? d->backend : NULL;
}

gwr_str gwr_backend_kind(const gwr_backend *b) { return b ? b->kind : empty_str; }
gwr_str gwr_backend_group(const gwr_backend *b) { return b ? b->group : empty_str; }
gwr_str gwr_backend_namespace(const gwr_backend *b) { return b ? b->ns : empty_str; }
gwr_str gwr_backend_name(const gwr_backend *b) { return b ? b->name : empty_str; }
uint32_t gwr_backend_port(const gwr_backend *b) { return b ? b->port : 0; }
uint32_t gwr_backend_protocol(const gwr_backend *b) { return b ? b->proto : 0; }
size_t gwr_backend_endpoint_count(const gwr_backend *b) { return b ? b->n_ep : 0; }

int
gwr_backend_endpoint(const gwr_backend *b, size_t i, gwr_str *address,
                     uint32_t *port)
{
    if (b == NULL || i >= b->n_ep)
        return GWR_E_RANGE;
    if (address)
        *address = b->ep_addr[i];
    if (port)
        *port = b->ep_port[i];
    return GWR_OK;
}

int gwr_backend_tls(const gwr_backend *b) { return b ? b->tls : 0; }
gwr_str gwr_backend_tls_hostname(const gwr_backend *b) { return b ? b->tls_host : empty_str; }
gwr_str gwr_backend_tls_well_known(const gwr_backend *b) { return b ? b->tls_well_known : empty_str; }
size_t gwr_backend_tls_san_count(const gwr_backend *b) { return b ? b->n_san : 0; }

int
gwr_backend_tls_san(const gwr_backend *b, size_t i, gwr_str *type,
                    gwr_str *value)
{
    if (b == NULL || i >= b->n_san)
        return GWR_E_RANGE;
    if (type)
        *type = b->san_type[i];
    if (value)
        *value = b->san_value[i];
    return GWR_OK;
}

size_t gwr_backend_tls_ca_ref_count(const gwr_backend *b) { return b ? b->n_ca : 0; }

int
gwr_backend_tls_ca_ref(const gwr_backend *b, size_t i, gwr_str *group,
                       gwr_str *kind, gwr_str *name)
{
    if (b == NULL || i >= b->n_ca)
        return GWR_E_RANGE;
    if (group)
        *group = b->ca_group[i];
    if (kind)
        *kind = b->ca_kind[i];
    if (name)
        *name = b->ca_name[i];
    return GWR_OK;
}

#define FWD(d) ((d) != NULL && (d)->result == GWR_RESULT_FORWARD)

gwr_str gwr_decision_upstream_method(const gwr_decision *d) { return FWD(d) ? d->up_method : empty_str; }
gwr_str gwr_decision_upstream_scheme(const gwr_decision *d) { return FWD(d) ? d->up_scheme : empty_str; }
gwr_str gwr_decision_upstream_host(const gwr_decision *d) { return FWD(d) ? d->up_host : empty_str; }
gwr_str gwr_decision_upstream_path(const gwr_decision *d) { return FWD(d) ? d->up_path : empty_str; }

size_t
gwr_decision_upstream_header_count(const gwr_decision *d)
{
    if (!FWD(d))
        return 0;
    return d->up_headers_view ? d->n_rh : d->up_headers.n;
}

const gwr_header *
gwr_decision_upstream_header(const gwr_decision *d, size_t i)
{
    if (!FWD(d) || i >= gwr_decision_upstream_header_count(d))
        return NULL;
    if (d->up_headers_view)
        return &d->rh[i];
    return &((const dec_hdr *)d->up_headers.items)[i].h;
}

gwr_str
gwr_decision_location(const gwr_decision *d)
{
    return d && d->result == GWR_RESULT_REDIRECT ? d->location : empty_str;
}

size_t
gwr_decision_response_header_count(const gwr_decision *d, uint32_t list)
{
    return d && list < 3 ? d->resp[list].n : 0;
}

const gwr_header *
gwr_decision_response_header(const gwr_decision *d, uint32_t list, size_t i)
{
    if (d == NULL || list >= 3 || i >= d->resp[list].n)
        return NULL;
    return ((const gwr_header *const *)d->resp[list].items)[i];
}

size_t
gwr_decision_mirror_count(const gwr_decision *d)
{
    return d ? d->mirrors.n : 0;
}

const gwr_backend *
gwr_decision_mirror(const gwr_decision *d, size_t i, int *sampled)
{
    if (d == NULL || i >= d->mirrors.n)
        return NULL;
    const dec_mirror *m = &((const dec_mirror *)d->mirrors.items)[i];
    if (sampled)
        *sampled = m->sampled;
    return m->be;
}

int64_t
gwr_decision_timeout_ms(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->timeout_request_ms : -1;
}

int64_t
gwr_decision_backend_timeout_ms(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->timeout_backend_ms : -1;
}

int
gwr_decision_has_retry(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r ? r->retry != NULL : 0;
}

int64_t
gwr_decision_retry_attempts(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r && r->retry ? r->retry->attempts : -1;
}

int64_t
gwr_decision_retry_backoff_ms(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r && r->retry ? r->retry->backoff_ms : -1;
}

size_t
gwr_decision_retry_codes(const gwr_decision *d, const uint16_t **codes)
{
    const tbl_rule *r = gwr_dec__rule(d);
    if (r == NULL || r->retry == NULL) {
        if (codes)
            *codes = NULL;
        return 0;
    }
    if (codes)
        *codes = r->retry->codes;
    return r->retry->n_codes;
}

size_t
gwr_decision_extension_count(const gwr_decision *d)
{
    return d ? d->exts.n : 0;
}

int
gwr_decision_extension(const gwr_decision *d, size_t i, gwr_str *group,
                       gwr_str *kind, gwr_str *name)
{
    if (d == NULL || i >= d->exts.n)
        return GWR_E_RANGE;
    const dec_ext *e = &((const dec_ext *)d->exts.items)[i];
    if (group)
        *group = e->group;
    if (kind)
        *kind = e->kind;
    if (name)
        *name = e->name;
    return GWR_OK;
}

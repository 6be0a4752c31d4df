/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * From the winning rule to the decision (spec §3.10 steps 3-7): the
 * rule's filters in list order, the weighted backend choice, then the
 * chosen backendRef's filters. Strings built here (joined header values,
 * rewritten paths) go to the decision's hdrbuf by offset, because the
 * buffer may still grow while filters run; views are fixed up at the end.
 */
#include <string.h>

#include "path.h"
#include "redirect.h"
#include "select.h"
#include "swar.h"
#include "table_int.h"

typedef struct fstate {
    gwr_decision *d;
    int redirect;             /* a RequestRedirect answered */
    int preflight;            /* a CORS filter answered a preflight */
    int cors_done;            /* a CORS filter ran: the first one decides */
    int error;                /* 500: a filter could not be applied */
    /* Current upstream path part (no query). */
    gwr_str path;
    int path_in_buf;
    size_t path_off;
} fstate;

static dec_hdr *
hdrs(gwr_decision *d)
{
    return d->up_headers.items;
}

static gwr_str
hdr_value(gwr_decision *d, const dec_hdr *h)
{
    if (!h->in_buf)
        return h->h.value;
    gwr_str v = { d->hdrbuf.ptr + h->voff, h->h.value.len };
    return v;
}

static int
push_hdr(gwr_decision *d, gwr_str name, gwr_str value)
{
    int rc = gwr_dec__reserve(d, &d->up_headers, d->up_headers.n + 1,
                              sizeof(dec_hdr));
    if (rc != GWR_OK)
        return rc;
    dec_hdr *h = &hdrs(d)[d->up_headers.n++];
    h->h.name = name;
    h->h.value = value;
    h->in_buf = 0;
    h->voff = 0;
    return GWR_OK;
}

static void
remove_all(gwr_decision *d, gwr_str name, size_t keep_index)
{
    dec_hdr *h = hdrs(d);
    size_t o = 0;
    for (size_t i = 0; i < d->up_headers.n; i++) {
        if (i != keep_index && gwr_str__eq_ci(h[i].h.name, name))
            continue;
        h[o++] = h[i];
    }
    d->up_headers.n = o;
}

/* A header edit needs the upstream fields as a list of their own: build
 * it from the request's fields (views, GWR_REQ_NO_COPY) the first time. */
static void
view_to_list(gwr_decision *d)
{
    if (!d->up_headers_view)
        return;
    for (size_t i = 0; i < d->n_rh; i++) {
        dec_hdr *h = &hdrs(d)[i];
        h->h = d->rh[i];
        h->in_buf = 0;
        h->voff = 0;
    }
    d->up_headers.n = d->n_rh;
    d->up_headers_view = 0;
}

static int
apply_request_headers(gwr_decision *d, const tbl_hdrmod *hm)
{
    view_to_list(d);   /* reserved for n_rh entries by gwr_filters__apply() */
    /* Names are case-insensitive for all three operations (§4.1). */
    for (size_t k = 0; k < hm->n_set; k++) {
        const gwr_header *s = &hm->set[k];
        size_t first = SIZE_MAX;
        for (size_t i = 0; i < d->up_headers.n && first == SIZE_MAX; i++)
            if (gwr_str__eq_ci(hdrs(d)[i].h.name, s->name))
                first = i;
        if (first == SIZE_MAX) {
            int rc = push_hdr(d, s->name, s->value);
            if (rc != GWR_OK)
                return rc;
            continue;
        }
        /* Replace in place (keeps the field's position), drop the rest. */
        dec_hdr *h = &hdrs(d)[first];
        h->h.name = s->name;
        h->h.value = s->value;
        h->in_buf = 0;
        remove_all(d, s->name, first);
    }
    for (size_t k = 0; k < hm->n_add; k++) {
        const gwr_header *a = &hm->add[k];
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < d->up_headers.n; i++)
            if (gwr_str__eq_ci(hdrs(d)[i].h.name, a->name))
                last = i;
        if (last == SIZE_MAX) {
            int rc = push_hdr(d, a->name, a->value);
            if (rc != GWR_OK)
                return rc;
            continue;
        }
        /* "foo" + add "bar" = "foo,bar" on the last field: the same list
         * as a second field line, in one field. */
        gwr_buf *b = &d->hdrbuf;
        size_t old_len = hdrs(d)[last].h.value.len;
        int rc = gwr_dec__buf_reserve(b, b->len + old_len + a->value.len + 2);
        if (rc != GWR_OK)
            return rc;
        gwr_str old = hdr_value(d, &hdrs(d)[last]);
        size_t off = b->len;
        if (old.len > 0)   /* an empty request value may be NULL */
            memmove(b->ptr + off, old.ptr, old.len);
        b->ptr[off + old.len] = ',';
        memcpy(b->ptr + off + old.len + 1, a->value.ptr, a->value.len);
        b->len += old.len + 1 + a->value.len;
        /* Count the NUL in len: the next string kept in this buffer must
         * start after it, or the value loses its terminator. */
        b->ptr[b->len++] = '\0';
        dec_hdr *h = &hdrs(d)[last];
        h->in_buf = 1;
        h->voff = off;
        h->h.value.len = old.len + 1 + a->value.len;
    }
    for (size_t k = 0; k < hm->n_remove; k++)
        remove_all(d, hm->remove[k].name, SIZE_MAX);
    return GWR_OK;
}

static int
push_ptrs(gwr_decision *d, dec_vec *v, const gwr_header *items, size_t n)
{
    int rc = gwr_dec__reserve(d, v, v->n + n, sizeof(const gwr_header *));
    if (rc != GWR_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        ((const gwr_header **)v->items)[v->n++] = &items[i];
    return GWR_OK;
}

static gwr_str
cur_path(fstate *s)
{
    if (!s->path_in_buf)
        return s->path;
    gwr_str p = { s->d->hdrbuf.ptr + s->path_off, s->path.len };
    return p;
}

static int
set_path(fstate *s, gwr_str p)
{
    gwr_buf *b = &s->d->hdrbuf;
    int rc = gwr_dec__buf_reserve(b, b->len + p.len + 1);
    if (rc != GWR_OK)
        return rc;
    s->path_off = b->len;
    if (p.len > 0)
        memcpy(b->ptr + b->len, p.ptr, p.len);
    b->len += p.len;
    b->ptr[b->len++] = '\0';
    s->path_in_buf = 1;
    s->path.len = p.len;
    return GWR_OK;
}

/* The rule's single PathPrefix value, needed by ReplacePrefixMatch. */
static int
matched_prefix(const gwr_decision *d, gwr_str *out)
{
    if (d->match == NULL || d->match->path_type != GWR_MATCH_PREFIX)
        return 0;
    *out = d->match->path;
    return 1;
}

static int
apply_rewrite(fstate *s, const tbl_filter *f)
{
    gwr_decision *d = s->d;
    if (f->hostname.len)
        d->up_host = f->hostname;
    if (f->path_type == GWR_PATH_MOD_FULL)
        return set_path(s, f->path_value);
    if (f->path_type != GWR_PATH_MOD_PREFIX)
        return GWR_OK;
    gwr_str prefix;
    if (!matched_prefix(d, &prefix)) {
        s->error = 1;
        return GWR_OK;
    }
    gwr_buf *u = &d->upbuf;
    gwr_str cur = cur_path(s);
    int rc = gwr_dec__buf_reserve(u, f->path_value.len + cur.len + 2);
    if (rc != GWR_OK)
        return rc;
    gwr_str out;
    rc = gwr_path__replace_prefix(prefix, cur, f->path_value, u->ptr, u->cap,
                                  &out);
    if (rc != GWR_OK) {
        s->error = 1;         /* an earlier rewrite moved the prefix away */
        return GWR_OK;
    }
    return set_path(s, out);
}

static int
apply_redirect(fstate *s, const tbl_filter *f)
{
    gwr_decision *d = s->d;
    gwr_redirect__request rq;
    memset(&rq, 0, sizeof(rq));
    /* The scheme the request arrived with is the listener's protocol. */
    const tbl_listener *l = d->listener;
    if (l != NULL && l->proto == TBL_PROTO_HTTPS)
        rq.scheme = (gwr_str)GWR_STR_LIT("https");
    else if (l != NULL && l->proto == TBL_PROTO_HTTP)
        rq.scheme = (gwr_str)GWR_STR_LIT("http");
    else
        rq.scheme = d->scheme;
    rq.host = d->host;
    rq.listener_port = d->port;
    rq.path = cur_path(s);
    if (d->has_query)
        rq.query = d->query;
    gwr_redirect__filter rf;
    memset(&rf, 0, sizeof(rf));
    rf.scheme = f->scheme;
    rf.hostname = f->hostname;
    rf.port = f->port;
    rf.path_type = (int)f->path_type;
    rf.path = f->path_value;
    if (f->path_type == GWR_PATH_MOD_PREFIX && !matched_prefix(d, &rf.matched_prefix)) {
        s->error = 1;
        return GWR_OK;
    }
    gwr_buf *b = &d->locbuf;
    for (;;) {
        size_t want = b->cap < 256 ? 256 : b->cap;
        int rc = gwr_dec__buf_reserve(b, want);
        if (rc != GWR_OK)
            return rc;
        rc = gwr_redirect__location(&rq, &rf, b->ptr, b->cap, &d->location);
        if (rc == GWR_OK)
            break;
        if (rc != GWR_E_RANGE) {
            s->error = 1;     /* e.g. no Host to redirect to */
            return GWR_OK;
        }
        rc = gwr_dec__buf_reserve(b, b->cap * 2);
        if (rc != GWR_OK)
            return rc;
    }
    s->redirect = 1;
    d->status = (int)f->status;
    return GWR_OK;
}

/* Copy v into corsbuf (reserved by apply_cors for every value of the
 * request): the answer must outlive the request, and the next header
 * lookup may reuse the joined-value buffer v points into. */
static gwr_str
keep_cors(gwr_decision *d, gwr_str v)
{
    gwr_buf *b = &d->corsbuf;
    gwr_str r = { b->ptr + b->len, v.len };
    if (v.len > 0)
        memcpy(b->ptr + b->len, v.ptr, v.len);
    b->len += v.len;
    b->ptr[b->len++] = '\0';
    return r;
}

/* The CORS filter (spec §4.7): a request with an Origin is cross-origin;
 * OPTIONS with Access-Control-Request-Method too is a preflight, which the
 * gateway answers itself (finish(): 204), with the policy's fields when
 * the Origin is allowed and without them when not. An allowed request of
 * any other kind goes on, with the fields in the response edits. */
static int
apply_cors(fstate *s, const gwr_cors__policy *p)
{
    gwr_decision *d = s->d;
    if (p == NULL || s->cors_done)
        return GWR_OK;
    s->cors_done = 1;
    gwr_str origin, method = { "", 0 }, headers = { "", 0 };
    if (gwr_match__header(d, (gwr_str)GWR_STR_LIT("origin"), &origin) != 1)
        return GWR_OK;        /* same-origin, or not a browser */
    int rc = gwr_dec__buf_reserve(&d->corsbuf, d->rh_values + 1);
    if (rc != GWR_OK)
        return rc;
    d->corsbuf.len = 0;
    int ok = gwr_cors__origin_ok(p, origin);
    if (ok)
        origin = keep_cors(d, origin);
    gwr_str v;
    if (gwr_str__eq_cstr(d->method, "OPTIONS") &&
        gwr_match__header(d, (gwr_str)GWR_STR_LIT("access-control-request-method"),
                          &v) == 1) {
        s->preflight = 1;
        if (ok)
            method = keep_cors(d, v);
        if (ok && gwr_match__header(d, (gwr_str)GWR_STR_LIT(
                                           "access-control-request-headers"), &v) == 1)
            headers = keep_cors(d, v);
    }
    if (!ok)
        return GWR_OK;
    size_t n = gwr_cors__fields(p, s->preflight, origin, method, headers,
                                d->cors_fields);
    return push_ptrs(d, &d->resp[GWR_HEADERS_SET], d->cors_fields, n);
}

static int
run(fstate *s, const tbl_filter *fs, size_t n)
{
    gwr_decision *d = s->d;
    for (size_t i = 0; i < n; i++) {
        const tbl_filter *f = &fs[i];
        int rc = GWR_OK;
        switch (f->type) {
        case GWR_FILTER_REQUEST_HEADER:
            rc = apply_request_headers(d, &f->hm);
            break;
        case GWR_FILTER_RESPONSE_HEADER:
            rc = push_ptrs(d, &d->resp[GWR_HEADERS_SET], f->hm.set, f->hm.n_set);
            if (rc == GWR_OK)
                rc = push_ptrs(d, &d->resp[GWR_HEADERS_ADD], f->hm.add, f->hm.n_add);
            if (rc == GWR_OK)
                rc = push_ptrs(d, &d->resp[GWR_HEADERS_REMOVE], f->hm.remove,
                               f->hm.n_remove);
            break;
        case GWR_FILTER_URL_REWRITE:
            rc = apply_rewrite(s, f);
            break;
        case GWR_FILTER_REDIRECT:
            rc = apply_redirect(s, f);
            break;
        case GWR_FILTER_MIRROR:
            if (f->mirror == NULL)
                break;        /* invalid mirror backend: dropped (§4.5) */
            rc = gwr_dec__reserve(d, &d->mirrors, d->mirrors.n + 1,
                                  sizeof(dec_mirror));
            if (rc == GWR_OK) {
                dec_mirror *m = &((dec_mirror *)d->mirrors.items)[d->mirrors.n++];
                m->be = f->mirror;
                m->sampled = gwr_select__sample(d->seed, f->salt, f->num, f->den);
            }
            break;
        case GWR_FILTER_CORS:
            rc = apply_cors(s, f->cors);
            break;
        case GWR_FILTER_EXTENSION_REF:
            rc = gwr_dec__reserve(d, &d->exts, d->exts.n + 1, sizeof(dec_ext));
            if (rc == GWR_OK) {
                dec_ext *e = &((dec_ext *)d->exts.items)[d->exts.n++];
                e->group = f->ext_group;
                e->kind = f->ext_kind;
                e->name = f->ext_name;
            }
            break;
        default:
            break;
        }
        if (rc != GWR_OK)
            return rc;
        if (s->preflight)
            break;            /* answered: later filters do not run */
    }
    return GWR_OK;
}

/* hdrbuf no longer moves: point the values built there at it. */
static void
fix_header_views(gwr_decision *d)
{
    dec_hdr *h = hdrs(d);
    for (size_t i = 0; i < d->up_headers.n; i++)
        if (h[i].in_buf)
            h[i].h.value.ptr = d->hdrbuf.ptr + h[i].voff;
}

/* Upstream path = path part + the original query, kept as received: a
 * view of the request target when it is unrewritten and the caller keeps
 * it (GWR_REQ_NO_COPY), else a copy in hdrbuf. */
static int
upstream_path(fstate *s)
{
    gwr_decision *d = s->d;
    gwr_str p = cur_path(s);
    if (d->no_copy && !s->path_in_buf &&
        (!d->has_query || d->query.ptr == p.ptr + p.len + 1)) {
        /* The '?' between them is the request's own byte. */
        d->up_path.ptr = p.ptr;
        d->up_path.len = p.len + (d->has_query ? d->query.len + 1 : 0);
        return GWR_OK;
    }
    gwr_buf *b = &d->hdrbuf;
    size_t need = p.len + (d->has_query ? d->query.len + 1 : 0) + 1;
    int rc = gwr_dec__buf_reserve(b, b->len + need);
    if (rc != GWR_OK)
        return rc;
    p = cur_path(s);
    size_t off = b->len;
    /* A rewritten path lives in hdrbuf too, but before off: no overlap. */
    gwr_swar__copy(b->ptr + off, p.ptr, p.len);
    b->len += p.len;
    if (d->has_query) {
        b->ptr[b->len++] = '?';
        gwr_swar__copy(b->ptr + b->len, d->query.ptr, d->query.len);
        b->len += d->query.len;
    }
    d->up_path.ptr = b->ptr + off;
    d->up_path.len = b->len - off;
    b->ptr[b->len++] = '\0';   /* kept: nothing may overwrite it */
    return GWR_OK;
}

static int
finish(fstate *s)
{
    gwr_decision *d = s->d;
    if (s->error) {
        d->result = GWR_RESULT_RESPOND;
        d->status = 500;
        d->backend = NULL;
        return GWR_OK;
    }
    if (s->redirect) {
        d->result = GWR_RESULT_REDIRECT;
        d->backend = NULL;
        return GWR_OK;
    }
    if (s->preflight) {
        d->result = GWR_RESULT_RESPOND;
        d->status = 204;
        d->backend = NULL;
        return GWR_OK;
    }
    /* Only a header value built by a filter lives in hdrbuf; the
     * upstream path written next does not count. */
    int built = d->hdrbuf.len > 0;
    int rc = upstream_path(s);
    if (rc != GWR_OK)
        return rc;
    if (built)
        fix_header_views(d);
    d->result = GWR_RESULT_FORWARD;
    d->status = 0;
    return GWR_OK;
}

/* Copy s into b (reserved by the caller) with a NUL after it: what the
 * decision keeps must outlive the caller's request. */
static inline gwr_str
keep(char *buf, size_t *len, gwr_str s)
{
    gwr_str r = { buf + *len, s.len };
    gwr_swar__copy(buf + *len, s.ptr, s.len);
    *len += s.len;
    buf[(*len)++] = '\0';
    return r;
}

int
gwr_filters__apply(gwr_decision *d)
{
    const tbl_rule *rule = d->rule;
    fstate s;
    memset(&s, 0, sizeof(s));
    s.d = d;
    s.path = d->path;
    /* Only the winner's upstream request keeps request strings, so the
     * copies are made here, once, instead of at intake (none at all with
     * GWR_REQ_NO_COPY). The path and query go to hdrbuf in finish(). */
    size_t nh = d->n_rh;
    const gwr_header *rh = d->rh;
    int rc = gwr_dec__reserve(d, &d->up_headers, nh, sizeof(dec_hdr));
    if (rc != GWR_OK)
        return rc;
    if (d->no_copy) {
        d->up_method = d->method;
        d->up_scheme = d->scheme;
        d->up_host = d->host_raw;
        /* The upstream fields are the request's own until a
         * RequestHeaderModifier edits them (view_to_list()). */
        d->up_headers_view = 1;
    } else {
        /* The intake summed the fields' sizes (copying mode). */
        size_t total = d->method.len + d->scheme.len + d->host_raw.len + 3 +
                       d->rh_names + d->rh_values;
        rc = gwr_dec__buf_reserve(&d->reqbuf, total);
        if (rc != GWR_OK)
            return rc;
        /* The buffer and its length in locals: nothing here aliases
         * them, and the copies are inline (gwr_swar__copy). */
        char *buf = d->reqbuf.ptr;
        size_t len = d->reqbuf.len;
        d->up_method = keep(buf, &len, d->method);
        d->up_scheme = keep(buf, &len, d->scheme);
        d->up_host = keep(buf, &len, d->host_raw);
        dec_hdr *up = hdrs(d);
        for (size_t i = 0; i < nh; i++) {
            up[i].h.name = keep(buf, &len, rh[i].name);
            up[i].h.value = keep(buf, &len, rh[i].value);
            up[i].in_buf = 0;
            up[i].voff = 0;
        }
        d->reqbuf.len = len;
    }
    if (!d->up_headers_view)
        d->up_headers.n = nh;
    if (rule == NULL) {
        /* A simple forward (TBL_ENTRY_SIMPLE): the walk chose the one
         * backend, valid, without reading the rule, which has no
         * filters (nor the backend: a miss on a large table). */
        return finish(&s);
    }
    if (rule->n_filters > 0) {
        rc = run(&s, rule->filters, rule->n_filters);
        if (rc != GWR_OK)
            return rc;
        if (s.redirect || s.error || s.preflight)
            return finish(&s);
    }
    /* §5: no backendRefs, or only weight-0 ones, answer 500; so does a
     * pick that lands on an invalid backend (its weight share). */
    size_t idx = rule->n_brefs
        ? gwr_select__weighted(d->seed, rule->salt, rule->cum, rule->n_brefs)
        : SIZE_MAX;
    const tbl_bref *br = idx == SIZE_MAX ? NULL : &rule->brefs[idx];
    if (br == NULL || !br->be->valid) {
        s.error = 1;
        return finish(&s);
    }
    d->backend = br->be;
    if (br->n_filters > 0) {
        rc = run(&s, br->filters, br->n_filters);
        if (rc != GWR_OK)
            return rc;
    }
    return finish(&s);
}

/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Exchange snapshots: everything an exchange needs from a decision is
 * copied into one allocation at submit, so the host may reuse the
 * decision at once and no later event ever allocates. Also the
 * gwr_upstream view accessors and the rule backend-set accessors of
 * gwroute/decision.h.
 */
#include <string.h>

#include "engine_int.h"
#include "table_int.h"

/* ---- decision: the matched rule's backend set ------------------------- */

size_t
gwr_decision_rule_backend_count(const gwr_decision *d)
{
    const tbl_rule *r = gwr_dec__rule(d);
    return r != NULL ? r->n_brefs : 0;
}

const gwr_backend *
gwr_decision_rule_backend(const gwr_decision *d, size_t i, uint32_t *weight,
                          uint32_t *flags)
{
    if (weight != NULL)
        *weight = 0;
    if (flags != NULL)
        *flags = 0;
    const tbl_rule *r = gwr_dec__rule(d);
    if (r == NULL || i >= r->n_brefs)
        return NULL;
    const tbl_bref *br = &r->brefs[i];
    if (weight != NULL)
        *weight = br->weight;
    if (flags != NULL) {
        uint32_t f = 0;
        if (!br->be->valid)
            f |= GWR_RULE_BACKEND_INVALID;
        if (br->n_filters > 0)
            f |= GWR_RULE_BACKEND_FILTERED;
        if (br->be == d->backend)
            f |= GWR_RULE_BACKEND_CHOSEN;
        *flags = f;
    }
    return br->be;
}

/* ---- snapshot ---------------------------------------------------------- */

/* Sizes of one snapshot, added up with overflow checks: a decision's
 * content is bounded by memory already allocated, but a wrapped size
 * would be a heap overflow, so it is checked anyway. */
typedef struct layout {
    size_t bytes;
    int overflow;
} layout;

static size_t
lay_add(layout *l, size_t n, size_t align)
{
    size_t off = l->bytes;
    if (off % align != 0) {
        size_t pad = align - off % align;
        if (off > SIZE_MAX - pad)
            l->overflow = 1;
        else
            off += pad;
    }
    if (off > SIZE_MAX - n)
        l->overflow = 1;
    l->bytes = l->overflow ? 0 : off + n;
    return off;
}

static size_t
lay_array(layout *l, size_t count, size_t elem, size_t align)
{
    if (elem != 0 && count > SIZE_MAX / elem) {
        l->overflow = 1;
        return 0;
    }
    return lay_add(l, count * elem, align);
}

static size_t
str_bytes(gwr_str s)
{
    return s.len + 1;
}

/* Copy s into the string area at *pos; the copy is NUL-terminated like
 * every view the library hands out. */
static gwr_str
put_str(char *base, size_t *pos, gwr_str s)
{
    char *p = base + *pos;
    if (s.len > 0)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    *pos += s.len + 1;
    gwr_str out = { p, s.len };
    return out;
}

static int
ci_contains(gwr_str hay, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= hay.len; i++) {
        size_t j = 0;
        while (j < n && gwr__tolower(hay.ptr[i + j]) == needle[j])
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

int
gwr_eng__has_header(const gwr_header *hs, size_t n, const char *name)
{
    gwr_str want = gwr_str__from_cstr(name);
    for (size_t i = 0; i < n; i++)
        if (gwr_str__eq_ci(hs[i].name, want))
            return 1;
    return 0;
}

/* x->upgrade: 0 none, 1 some Upgrade (h2c...), 2 WebSocket. */
static int
upgrade_kind(const gwr_decision *d)
{
    size_t n = gwr_decision_upstream_header_count(d);
    int kind = 0;
    for (size_t i = 0; i < n; i++) {
        const gwr_header *h = gwr_decision_upstream_header(d, i);
        if (!gwr_str__eq_ci(h->name, gwr_str__from_cstr("upgrade")))
            continue;
        kind = ci_contains(h->value, "websocket") ? 2 : (kind ? kind : 1);
    }
    return kind;
}

uint32_t
gwr_eng__proto(const eng_x *x, const gwr_backend *be)
{
    uint32_t p = gwr_backend_protocol(be);
    /* GEP-1911: a missing appProtocol must not disable WebSocket, so an
     * upgrade to a plain HTTP port is spoken as ws (wss under TLS). */
    if (x->upgrade == 2 && p == GWR_BACKEND_HTTP)
        return gwr_backend_tls(be) ? GWR_BACKEND_WSS : GWR_BACKEND_WS;
    return p;
}

/* The backends an attempt may go to: the chosen one first, then its
 * siblings that would receive the very same upstream request (valid,
 * weight > 0, no backendRef-level filters on either side). */
static size_t
fill_cands(const gwr_decision *d, eng_cand *out, int other_backend)
{
    const gwr_backend *chosen = gwr_decision_backend(d);
    size_t n = 0;
    if (chosen == NULL)
        return 0;
    out[n].be = chosen;
    out[n].weight = 1;
    n++;
    size_t nb = gwr_decision_rule_backend_count(d);
    int chosen_filtered = 0;
    for (size_t i = 0; i < nb; i++) {
        uint32_t w, f;
        if (gwr_decision_rule_backend(d, i, &w, &f) == chosen) {
            out[0].weight = w ? w : 1;
            chosen_filtered = (f & GWR_RULE_BACKEND_FILTERED) != 0;
        }
    }
    if (!other_backend || chosen_filtered)
        return n;
    for (size_t i = 0; i < nb; i++) {
        uint32_t w, f;
        const gwr_backend *be = gwr_decision_rule_backend(d, i, &w, &f);
        if (be == chosen || w == 0
            || (f & (GWR_RULE_BACKEND_INVALID | GWR_RULE_BACKEND_FILTERED)))
            continue;
        out[n].be = be;
        out[n].weight = w;
        n++;
    }
    return n;
}

static uint64_t
deadline_after(uint64_t now, int64_t ms)
{
    if (ms <= 0)
        return ENG_NO_DEADLINE;
    if ((uint64_t)ms >= ENG_NO_DEADLINE - now)
        return ENG_NO_DEADLINE - 1;
    return now + (uint64_t)ms;
}

eng_x *
gwr_eng__x_new(gwr_engine *e, const gwr_decision *d)
{
    size_t n_up = gwr_decision_upstream_header_count(d);
    size_t n_resp[3], n_resp_all = 0;
    for (uint32_t l = 0; l < 3; l++) {
        n_resp[l] = gwr_decision_response_header_count(d, l);
        n_resp_all += n_resp[l];
    }
    const uint16_t *codes = NULL;
    size_t n_codes = gwr_decision_retry_codes(d, &codes);
    size_t n_cand_max = gwr_decision_rule_backend_count(d) + 1;

    size_t nstr = 0;
    nstr += str_bytes(gwr_decision_upstream_method(d));
    nstr += str_bytes(gwr_decision_upstream_scheme(d));
    nstr += str_bytes(gwr_decision_upstream_host(d));
    nstr += str_bytes(gwr_decision_upstream_path(d));
    for (size_t i = 0; i < n_up; i++) {
        const gwr_header *h = gwr_decision_upstream_header(d, i);
        nstr += str_bytes(h->name) + str_bytes(h->value);
    }
    for (uint32_t l = 0; l < 3; l++)
        for (size_t i = 0; i < n_resp[l]; i++) {
            const gwr_header *h = gwr_decision_response_header(d, l, i);
            nstr += str_bytes(h->name) + str_bytes(h->value);
        }

    layout lay = { 0, 0 };
    lay_add(&lay, sizeof(eng_x), _Alignof(eng_x));
    size_t o_cand = lay_array(&lay, n_cand_max, sizeof(eng_cand),
                              _Alignof(eng_cand));
    size_t o_hdr = lay_array(&lay, n_up + n_resp_all, sizeof(gwr_header),
                             _Alignof(gwr_header));
    size_t o_codes = lay_array(&lay, n_codes, sizeof(uint16_t),
                               _Alignof(uint16_t));
    size_t o_str = lay_add(&lay, nstr, 1);
    if (lay.overflow)
        return NULL;
    char *mem = gwr__alloc(e->ctx, lay.bytes);
    if (mem == NULL)
        return NULL;
    eng_x *x = (eng_x *)(void *)mem;
    memset(x, 0, sizeof(*x));
    x->heap_idx = SIZE_MAX;

    char *sbase = mem + o_str;
    size_t spos = 0;
    x->method = put_str(sbase, &spos, gwr_decision_upstream_method(d));
    x->scheme = put_str(sbase, &spos, gwr_decision_upstream_scheme(d));
    x->host = put_str(sbase, &spos, gwr_decision_upstream_host(d));
    x->path = put_str(sbase, &spos, gwr_decision_upstream_path(d));
    gwr_header *hdr = (gwr_header *)(void *)(mem + o_hdr);
    x->up_headers = hdr;
    x->n_up = n_up;
    for (size_t i = 0; i < n_up; i++) {
        const gwr_header *h = gwr_decision_upstream_header(d, i);
        hdr->name = put_str(sbase, &spos, h->name);
        hdr->value = put_str(sbase, &spos, h->value);
        hdr++;
    }
    for (uint32_t l = 0; l < 3; l++) {
        x->resp[l] = hdr;
        x->n_resp[l] = n_resp[l];
        for (size_t i = 0; i < n_resp[l]; i++) {
            const gwr_header *h = gwr_decision_response_header(d, l, i);
            hdr->name = put_str(sbase, &spos, h->name);
            hdr->value = put_str(sbase, &spos, h->value);
            hdr++;
        }
    }
    if (n_codes > 0)
        memcpy(mem + o_codes, codes, n_codes * sizeof(uint16_t));
    x->codes = (const uint16_t *)(void *)(mem + o_codes);
    x->n_codes = n_codes;

    eng_cand *cands = (eng_cand *)(void *)(mem + o_cand);
    x->other_backend = e->opt[GWR_ENGINE_OPT_RETRY_OTHER_BACKEND] != 0;
    x->n_cands = fill_cands(d, cands, x->other_backend);
    x->cands = cands;
    x->be = x->n_cands ? cands[0].be : NULL;

    uint64_t now = gwr_io__now_ms(e->ctx);
    int64_t t = gwr_decision_timeout_ms(d);
    if (t < 0)
        t = e->opt[GWR_ENGINE_OPT_DEFAULT_REQUEST_TIMEOUT_MS];
    x->req_deadline = deadline_after(now, t);
    int64_t bt = gwr_decision_backend_timeout_ms(d);
    x->backend_timeout_ms = bt > 0 ? (uint64_t)bt : 0;
    x->try_deadline = ENG_NO_DEADLINE;
    x->backoff_until = ENG_NO_DEADLINE;
    x->deadline = ENG_NO_DEADLINE;

    x->has_retry = gwr_decision_has_retry(d) != 0;
    int64_t a = gwr_decision_retry_attempts(d);
    if (a < 0)
        a = e->opt[GWR_ENGINE_OPT_DEFAULT_ATTEMPTS];
    x->max_retries = x->has_retry ? (uint32_t)(a > 1000 ? 1000 : a) : 0;
    int64_t b = gwr_decision_retry_backoff_ms(d);
    if (b < 0)
        b = e->opt[GWR_ENGINE_OPT_DEFAULT_BACKOFF_MS];
    x->backoff_ms = (uint64_t)b;
    x->cap_factor = (uint32_t)e->opt[GWR_ENGINE_OPT_BACKOFF_CAP_FACTOR];
    x->jitter = e->opt[GWR_ENGINE_OPT_JITTER] != 0;
    x->upgrade = upgrade_kind(d);
    x->grpc = gwr_decision_grpc(d) != 0;
    x->seed = gwr_decision_seed(d);
    /* Backends point into the table: keep it alive however the host
     * swaps tables meanwhile. */
    x->table = gwr_table_ref((gwr_table *)d->table);
    return x;
}

void
gwr_eng__x_free(gwr_engine *e, eng_x *x)
{
    if (x == NULL)
        return;
    gwr_table_unref(x->table);
    gwr__free(e->ctx, x);
}

/* ---- gwr_upstream accessors -------------------------------------------- */

static const gwr_str empty_str = { "", 0 };

uint64_t
gwr_upstream_exchange_id(const gwr_upstream *u)
{
    return u ? u->exchange_id : 0;
}

uint32_t
gwr_upstream_attempt(const gwr_upstream *u)
{
    return u ? u->attempt : 0;
}

int
gwr_upstream_is_mirror(const gwr_upstream *u)
{
    return u ? u->mirror : 0;
}

const gwr_backend *
gwr_upstream_backend(const gwr_upstream *u)
{
    return u ? u->be : NULL;
}

uint32_t
gwr_upstream_protocol(const gwr_upstream *u)
{
    return u ? u->proto : (uint32_t)GWR_BACKEND_HTTP;
}

gwr_str
gwr_upstream_method(const gwr_upstream *u)
{
    return u ? u->method : empty_str;
}

gwr_str
gwr_upstream_scheme(const gwr_upstream *u)
{
    return u ? u->scheme : empty_str;
}

gwr_str
gwr_upstream_host(const gwr_upstream *u)
{
    return u ? u->host : empty_str;
}

gwr_str
gwr_upstream_path(const gwr_upstream *u)
{
    return u ? u->path : empty_str;
}

size_t
gwr_upstream_header_count(const gwr_upstream *u)
{
    return u ? u->n_headers : 0;
}

const gwr_header *
gwr_upstream_header(const gwr_upstream *u, size_t i)
{
    return u && i < u->n_headers ? &u->headers[i] : NULL;
}

uint64_t
gwr_upstream_deadline(const gwr_upstream *u)
{
    return u ? u->deadline : ENG_NO_DEADLINE;
}

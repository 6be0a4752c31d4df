/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Policy helpers of the exchange engine, free of state-machine concerns:
 * the backoff schedule (spec 6.3), the weighted backend re-pick for a
 * retry (spec 5.1) and the ResponseHeaderModifier edits (spec 4.1).
 */
#include <string.h>

#include "engine_int.h"

uint64_t
gwr_eng__backoff(gwr_engine *e, const eng_x *x, uint32_t retry)
{
    uint64_t base = x->backoff_ms;
    if (base == 0)
        return 0;
    /* Spec 6.3: backoff is the minimum; growth and a cap above it are
     * allowed. Doubling in a loop cannot overflow: it stops at the cap,
     * and the cap itself is computed with a saturating multiply. */
    uint64_t cap = base <= UINT64_MAX / x->cap_factor
        ? base * x->cap_factor : UINT64_MAX;
    uint64_t d = base;
    for (uint32_t i = 1; i < retry && d < cap; i++)
        d = d > cap / 2 ? cap : d * 2;
    if (d > cap)
        d = cap;
    if (x->jitter && d >= 2) {
        uint8_t b[8];
        gwr_io__random(e->ctx, b, sizeof(b));
        uint64_t r = 0;
        for (size_t i = 0; i < sizeof(b); i++)
            r = (r << 8) | b[i];
        /* Added, never subtracted: retrying earlier than the configured
         * backoff is not allowed. */
        d += r % (d / 2 + 1);
    }
    return d;
}

static uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

const gwr_backend *
gwr_eng__pick(const eng_x *x, uint32_t tries, const gwr_backend *failed)
{
    if (x->n_cands == 0)
        return NULL;
    if (tries <= 1 || x->n_cands == 1)
        return x->cands[0].be;
    /* Weighted over the eligible siblings, leaving out the backend that
     * just failed (a retry should not hit it again when another can
     * serve). Deterministic in the decision's seed and the try number,
     * so seeded requests replay exactly. */
    uint64_t total = 0;
    for (size_t i = 0; i < x->n_cands; i++)
        if (x->cands[i].be != failed)
            total += x->cands[i].weight;
    if (total == 0)
        return failed != NULL ? failed : x->cands[0].be;
    uint64_t r = mix64(x->seed ^ (0x9e3779b97f4a7c15ULL * tries)) % total;
    for (size_t i = 0; i < x->n_cands; i++) {
        if (x->cands[i].be == failed)
            continue;
        if (r < x->cands[i].weight)
            return x->cands[i].be;
        r -= x->cands[i].weight;
    }
    return x->cands[0].be;
}

int
gwr_eng__is_retry_code(const eng_x *x, int status)
{
    for (size_t i = 0; i < x->n_codes; i++)
        if (x->codes[i] == status)
            return 1;
    return 0;
}

static int
named(const gwr_header *list, size_t n, gwr_str name)
{
    for (size_t i = 0; i < n; i++)
        if (gwr_str__eq_ci(list[i].name, name))
            return 1;
    return 0;
}

int
gwr_eng__edit_head(gwr_engine *e, const gwr_header *const resp[3],
                   const size_t n_resp[3], const gwr_header *extra,
                   size_t n_extra, const gwr_header *in, size_t n,
                   const gwr_header **out, size_t *n_out)
{
    static const size_t none[3] = { 0, 0, 0 };
    if (resp == NULL)
        n_resp = none;
    if (extra == NULL)
        n_extra = 0;
    size_t need = n + n_extra;
    need += n_resp[GWR_HEADERS_SET] + n_resp[GWR_HEADERS_ADD];
    if (need > SIZE_MAX / sizeof(gwr_header) / 2)
        return GWR_E_NOMEM;
    int rc = gwr__grow(e->ctx, (void **)&e->scratch, &e->scratch_cap, need,
                       sizeof(gwr_header));
    if (rc != GWR_OK)
        return rc;
    gwr_header *o = e->scratch;
    size_t k = 0;
    const gwr_header *set = n_resp[GWR_HEADERS_SET] ? resp[GWR_HEADERS_SET]
                                                    : NULL;
    const gwr_header *add = n_resp[GWR_HEADERS_ADD] ? resp[GWR_HEADERS_ADD]
                                                    : NULL;
    const gwr_header *rm = n_resp[GWR_HEADERS_REMOVE]
        ? resp[GWR_HEADERS_REMOVE] : NULL;
    /* The engine's own fields: kept whatever remove says, or the answer
     * would be broken (a redirect without Location, a gRPC answer without
     * grpc-status). */
    for (size_t i = 0; i < n_extra; i++)
        o[k++] = extra[i];
    /* Spec 4.1, names case-insensitive: remove deletes every instance;
     * set replaces every instance with one field; add appends a line
     * (equivalent to comma-joining). */
    for (size_t i = 0; i < n; i++) {
        if (named(rm, n_resp[GWR_HEADERS_REMOVE], in[i].name)
            || named(set, n_resp[GWR_HEADERS_SET], in[i].name))
            continue;
        o[k++] = in[i];
    }
    for (size_t i = 0; i < n_resp[GWR_HEADERS_SET]; i++) {
        /* The first of entries differing only in case wins (spec 4.1). */
        if (named(set, i, set[i].name))
            continue;
        size_t j = 0;
        while (j < n_extra && !gwr_str__eq_ci(extra[j].name, set[i].name))
            j++;
        if (j < n_extra) {
            o[j] = set[i];
            continue;
        }
        o[k++] = set[i];
    }
    for (size_t i = 0; i < n_resp[GWR_HEADERS_ADD]; i++)
        o[k++] = add[i];
    *out = o;
    *n_out = k;
    return GWR_OK;
}

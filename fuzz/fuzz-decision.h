/*
 * libgwroute fuzz targets - SPDX-License-Identifier: MIT
 *
 * Reading a whole decision (every accessor, every byte of every view)
 * and checking what gwroute/decision.h promises for each result; shared
 * by fuzz-match and fuzz-diff. Header-only, everything static.
 */
#ifndef GWR_FUZZ_DECISION_H
#define GWR_FUZZ_DECISION_H

#include "fuzz-common.h"
#include "gwroute.h"

/* A view returned by the library: inside valid memory and, when it has a
 * pointer, followed by a NUL (gwroute/common.h). */
static void
view_nul(gwr_str s, int want_nul)
{
    if (s.ptr == NULL) {
        FUZZ_CHECK(s.len == 0);
        return;
    }
    fuzz_touch(s.ptr, s.len);
    if (!want_nul)
        return;
    if (s.ptr[s.len] != '\0')
        fprintf(stderr, "view \"%.*s\" is not NUL-terminated\n",
                (int)s.len, s.ptr);
    FUZZ_CHECK(s.ptr[s.len] == '\0');
}

static void
view(gwr_str s)
{
    view_nul(s, 1);
}

static void
read_backend(const gwr_backend *b)
{
    view(gwr_backend_kind(b));
    view(gwr_backend_group(b));
    view(gwr_backend_namespace(b));
    view(gwr_backend_name(b));
    FUZZ_CHECK(gwr_backend_name(b).len > 0);
    FUZZ_CHECK(gwr_backend_port(b) <= 65535);
    FUZZ_CHECK(gwr_backend_protocol(b) <= GWR_BACKEND_WSS);
    size_t n = gwr_backend_endpoint_count(b);
    for (size_t i = 0; i <= n; i++) {
        gwr_str addr = { NULL, 0 };
        uint32_t port = 0;
        int rc = gwr_backend_endpoint(b, i, &addr, &port);
        FUZZ_CHECK(rc == (i < n ? GWR_OK : GWR_E_RANGE));
        if (rc == GWR_OK) {
            view(addr);
            FUZZ_CHECK(port <= 65535);
        }
    }
    (void)gwr_backend_tls(b);
    view(gwr_backend_tls_hostname(b));
    view(gwr_backend_tls_well_known(b));
    n = gwr_backend_tls_san_count(b);
    for (size_t i = 0; i <= n; i++) {
        gwr_str type = { NULL, 0 }, value = { NULL, 0 };
        int rc = gwr_backend_tls_san(b, i, &type, &value);
        FUZZ_CHECK(rc == (i < n ? GWR_OK : GWR_E_RANGE));
        if (rc == GWR_OK) {
            view(type);
            view(value);
        }
    }
    n = gwr_backend_tls_ca_ref_count(b);
    for (size_t i = 0; i <= n; i++) {
        gwr_str g = { NULL, 0 }, k = { NULL, 0 }, nm = { NULL, 0 };
        int rc = gwr_backend_tls_ca_ref(b, i, &g, &k, &nm);
        FUZZ_CHECK(rc == (i < n ? GWR_OK : GWR_E_RANGE));
        if (rc == GWR_OK) {
            view(g);
            view(k);
            view(nm);
        }
    }
}

/* A digest of the decision, to compare two matches of one request. */
typedef struct fz_digest {
    uint32_t result;
    int status;
    uint64_t seed;
    uint64_t hash;
} fz_digest;

static void
mix(uint64_t *h, gwr_str s)
{
    for (size_t i = 0; i < s.len; i++)
        *h = (*h ^ (uint8_t)s.ptr[i]) * 1099511628211u;
    *h = (*h ^ 0xff) * 1099511628211u;
}

static void
mix_u(uint64_t *h, uint64_t v)
{
    *h = (*h ^ v) * 1099511628211u;
}

static fz_digest
read_decision(const gwr_decision *d, int normalized)
{
    fz_digest dg = { gwr_decision_result(d), gwr_decision_status(d),
                     gwr_decision_seed(d), 14695981039346656037u };
    uint64_t *h = &dg.hash;
    gwr_str s;

    s = gwr_decision_route_kind(d); view(s); mix(h, s);
    s = gwr_decision_route_namespace(d); view(s); mix(h, s);
    s = gwr_decision_route_name(d); view(s); mix(h, s);
    int rule = gwr_decision_rule_index(d);
    FUZZ_CHECK(rule >= -1);
    mix_u(h, (uint64_t)(int64_t)rule);
    s = gwr_decision_rule_name(d); view(s); mix(h, s);

    const gwr_backend *b = gwr_decision_backend(d);
    if (b != NULL) {
        read_backend(b);
        mix(h, gwr_backend_name(b));
        mix_u(h, gwr_backend_port(b));
    }
    gwr_str method = gwr_decision_upstream_method(d);
    view(method); mix(h, method);
    s = gwr_decision_upstream_scheme(d); view(s); mix(h, s);
    s = gwr_decision_upstream_host(d); view(s); mix(h, s);
    gwr_str upath = gwr_decision_upstream_path(d);
    view(upath); mix(h, upath);
    size_t n = gwr_decision_upstream_header_count(d);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *hd = gwr_decision_upstream_header(d, i);
        FUZZ_CHECK(hd != NULL);
        view(hd->name); mix(h, hd->name);
        view(hd->value); mix(h, hd->value);
    }
    FUZZ_CHECK(gwr_decision_upstream_header(d, n) == NULL);
    gwr_str loc = gwr_decision_location(d);
    view(loc); mix(h, loc);
    for (uint32_t list = 0; list <= GWR_HEADERS_REMOVE + 1; list++) {
        n = gwr_decision_response_header_count(d, list);
        if (list > GWR_HEADERS_REMOVE)
            FUZZ_CHECK(n == 0);
        for (size_t i = 0; i < n; i++) {
            const gwr_header *hd = gwr_decision_response_header(d, list, i);
            FUZZ_CHECK(hd != NULL);
            view(hd->name); mix(h, hd->name);
            view(hd->value); mix(h, hd->value);
            if (list == GWR_HEADERS_REMOVE)
                FUZZ_CHECK(hd->value.len == 0);
        }
        FUZZ_CHECK(gwr_decision_response_header(d, list, n) == NULL);
    }
    n = gwr_decision_mirror_count(d);
    for (size_t i = 0; i < n; i++) {
        int sampled = -1;
        const gwr_backend *m = gwr_decision_mirror(d, i, &sampled);
        FUZZ_CHECK(m != NULL && (sampled == 0 || sampled == 1));
        read_backend(m);
        mix(h, gwr_backend_name(m));
        mix_u(h, (uint64_t)sampled);
    }
    FUZZ_CHECK(gwr_decision_mirror(d, n, NULL) == NULL);
    int64_t t1 = gwr_decision_timeout_ms(d);
    int64_t t2 = gwr_decision_backend_timeout_ms(d);
    FUZZ_CHECK(t1 >= -1 && t2 >= -1);
    mix_u(h, (uint64_t)t1);
    mix_u(h, (uint64_t)t2);
    int retry = gwr_decision_has_retry(d);
    int64_t attempts = gwr_decision_retry_attempts(d);
    int64_t backoff = gwr_decision_retry_backoff_ms(d);
    const uint16_t *codes = NULL;
    size_t ncodes = gwr_decision_retry_codes(d, &codes);
    FUZZ_CHECK(ncodes == 0 || codes != NULL);
    for (size_t i = 0; i < ncodes; i++) {
        FUZZ_CHECK(codes[i] >= 400 && codes[i] <= 599);
        mix_u(h, codes[i]);
    }
    if (!retry)
        FUZZ_CHECK(attempts == -1 && ncodes == 0);
    mix_u(h, (uint64_t)attempts);
    mix_u(h, (uint64_t)backoff);
    n = gwr_decision_extension_count(d);
    for (size_t i = 0; i <= n; i++) {
        gwr_str g = { NULL, 0 }, k = { NULL, 0 }, nm = { NULL, 0 };
        int rc = gwr_decision_extension(d, i, &g, &k, &nm);
        FUZZ_CHECK(rc == (i < n ? GWR_OK : GWR_E_RANGE));
        if (rc == GWR_OK) {
            view(g); view(k); view(nm);
            mix(h, nm);
        }
    }

    /* what each result promises (gwroute/decision.h) */
    switch (dg.result) {
    case GWR_RESULT_NO_ROUTE:
        FUZZ_CHECK(dg.status == 404 || dg.status == 0);
        FUZZ_CHECK(b == NULL && loc.len == 0);
        break;
    case GWR_RESULT_FORWARD:
        FUZZ_CHECK(dg.status == 0);
        FUZZ_CHECK(b != NULL);
        FUZZ_CHECK(method.len > 0 && loc.len == 0);
        FUZZ_CHECK(upath.len > 0);
        if (normalized)
            FUZZ_CHECK(upath.ptr[0] == '/');
        break;
    case GWR_RESULT_REDIRECT:
        FUZZ_CHECK(dg.status == 301 || dg.status == 302 ||
                   dg.status == 303 || dg.status == 307 ||
                   dg.status == 308);
        FUZZ_CHECK(b == NULL && loc.len > 0);
        FUZZ_CHECK(memchr(loc.ptr, ':', loc.len) != NULL);
        break;
    case GWR_RESULT_RESPOND:
        FUZZ_CHECK(dg.status == 204 || dg.status == 400 || dg.status == 421 ||
                   dg.status == 500);
        FUZZ_CHECK(b == NULL);
        break;
    default:
        FUZZ_CHECK(!"known result");
    }
    return dg;
}

#endif /* GWR_FUZZ_DECISION_H */

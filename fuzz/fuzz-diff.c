/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * Differential: the compiled matcher (gwr_table_match, lib/match.c)
 * against the reference matcher (gwr_refmatch__match, lib/refmatch.c) on
 * fuzzed route sets and requests; any difference in any field of the
 * decision aborts. The input is read as a program that writes a small
 * config (a Gateway or the implicit listener, up to 4 HTTPRoutes or
 * GRPCRoutes with hostnames, rules, matches on path / method / headers /
 * query, creation times) from value pools chosen to collide, then up to
 * 16 requests drawn from pools of hosts, paths, methods, headers and
 * queries. Both matchers see the same config and the same seeded
 * requests.
 */
#include "fuzz-common.h"
#include "fuzz-decision.h"
#include "refmatch.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void
put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static unsigned
pick(fuzz_in *in, unsigned n)
{
    return fuzz_u8(in) % n;
}

#define POOL(a) (a)[pick(in, (unsigned)(sizeof(a) / sizeof((a)[0])))]

static const char *const route_hosts[] = {
    "a.ex.com", "*.ex.com", "b.a.ex.com", "*.a.ex.com", "ex.com", "other.org"
};
static const char *const listener_hosts[] = {
    NULL, "*.ex.com", "a.ex.com", "*.a.ex.com"
};
static const char *const path_values[] = {
    "/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b", "/a/b/", "/%61"
};
static const char *const regex_values[] = {
    "/a.*", "/[ab]+", "/a/(b|c)", "/.*", "/a/b/c", "(/a)+/?", "/a/b/"
};
static const char *const path_types[] = {
    "Exact", "PathPrefix", "RegularExpression"
};
static const char *const methods[] = { "GET", "POST", "DELETE" };
static const char *const hdr_names[] = { "x-a", "X-B", "x-c" };
static const char *const hdr_values[] = { "1", "2", "1,2" };
static const char *const hdr_regexes[] = { "[12]", "1.*", ".*", "2" };
static const char *const q_names[] = { "q", "Q" };
static const char *const q_values[] = { "1", "2", "a b" };
static const char *const times[] = {
    NULL, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
};
static const char *const grpc_services[] = { "s.A", "s.B", "s" };
static const char *const grpc_methods[] = { "M", "N", "MN" };
static const char *const grpc_regexes[] = { "s\\..*", ".*", "M.*", "N" };

static void
gen_http_match(fuzz_in *in, sbuf *y)
{
    uint8_t what = fuzz_u8(in);
    put(y, "    - {");
    int comma = 0;
    if (what & 0x01) {
        unsigned t = pick(in, 3);
        put(y, "path: {type: ");
        put(y, path_types[t]);
        put(y, ", value: '");
        put(y, t == 2 ? POOL(regex_values) : POOL(path_values));
        put(y, "'}");
        comma = 1;
    }
    if (what & 0x02) {
        put(y, comma ? ", method: " : "method: ");
        put(y, POOL(methods));
        comma = 1;
    }
    unsigned nh = (what >> 2) & 3;
    if (nh == 3)
        nh = 0;
    if (nh > 0) {
        put(y, comma ? ", headers: [" : "headers: [");
        for (unsigned i = 0; i < nh; i++) {
            int re = fuzz_u8(in) & 1;
            put(y, i ? ", {name: " : "{name: ");
            put(y, POOL(hdr_names));
            put(y, re ? ", type: RegularExpression, value: '"
                      : ", value: '");
            put(y, re ? POOL(hdr_regexes) : POOL(hdr_values));
            put(y, "'}");
        }
        put(y, "]");
        comma = 1;
    }
    if (what & 0x10) {
        put(y, comma ? ", queryParams: [{name: " : "queryParams: [{name: ");
        put(y, POOL(q_names));
        put(y, ", value: '");
        put(y, POOL(q_values));
        put(y, "'}]");
    }
    put(y, "}\n");
}

static void
gen_grpc_match(fuzz_in *in, sbuf *y)
{
    uint8_t what = fuzz_u8(in);
    put(y, "    - {");
    if (what & 0x01) {
        int re = (what & 0x02) != 0;
        put(y, re ? "method: {type: RegularExpression"
                  : "method: {type: Exact");
        if (what & 0x04) {
            put(y, ", service: '");
            put(y, re ? POOL(grpc_regexes) : POOL(grpc_services));
            put(y, "'");
        }
        if ((what & 0x08) || !(what & 0x04)) {
            put(y, ", method: '");
            put(y, re ? POOL(grpc_regexes) : POOL(grpc_methods));
            put(y, "'");
        }
        put(y, "}");
        if (what & 0x10)
            put(y, ", ");
    }
    if (what & 0x10) {
        put(y, "headers: [{name: ");
        put(y, POOL(hdr_names));
        put(y, ", value: '");
        put(y, POOL(hdr_values));
        put(y, "'}]");
    }
    put(y, "}\n");
}

/* The config text. */
static void
gen_config(fuzz_in *in, sbuf *y)
{
    char line[160];
    static const char *const nss[] = { "default", "other" };
    for (size_t i = 0; i < 2; i++) {
        for (int s = 1; s <= 2; s++) {
            snprintf(line, sizeof(line),
                     "apiVersion: v1\nkind: Service\nmetadata: {name: s%d, "
                     "namespace: %s}\nspec: {ports: [{port: 80}]}\n---\n",
                     s, nss[i]);
            put(y, line);
        }
    }
    unsigned nl = pick(in, 4);
    if (nl > 0) {
        put(y, "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
               "metadata: {name: gw, namespace: default}\nspec:\n"
               "  gatewayClassName: c\n  listeners:\n");
        for (unsigned l = 0; l < nl; l++) {
            const char *h = POOL(listener_hosts);
            snprintf(line, sizeof(line),
                     "  - {name: l%u, port: %d, protocol: HTTP%s%s%s, "
                     "allowedRoutes: {namespaces: {from: All}}}\n", l,
                     (fuzz_u8(in) & 1) ? 8080 : 80, h ? ", hostname: '" : "",
                     h ? h : "", h ? "'" : "");
            put(y, line);
        }
        put(y, "---\n");
    }
    unsigned nr = 1 + pick(in, 4);
    for (unsigned r = 0; r < nr; r++) {
        uint8_t rb = fuzz_u8(in);
        int grpc = (rb & 0x07) == 0x07;
        const char *t = POOL(times);
        snprintf(line, sizeof(line),
                 "apiVersion: gateway.networking.k8s.io/v1\nkind: %s\n"
                 "metadata: {name: r%u, namespace: %s%s%s%s}\nspec:\n",
                 grpc ? "GRPCRoute" : "HTTPRoute", (rb >> 3) % 3,
                 nss[(rb >> 5) & 1], t ? ", creationTimestamp: '" : "",
                 t ? t : "", t ? "'" : "");
        put(y, line);
        if (nl > 0) {
            uint8_t pb = fuzz_u8(in);
            if (pb & 1)
                snprintf(line, sizeof(line), "  parentRefs: [{name: gw, "
                         "namespace: default, sectionName: l%u}]\n",
                         (pb >> 1) % nl);
            else
                snprintf(line, sizeof(line),
                         "  parentRefs: [{name: gw, namespace: default}]\n");
            put(y, line);
        }
        unsigned nh = pick(in, 3);
        if (nh > 0) {
            put(y, "  hostnames: [");
            for (unsigned i = 0; i < nh; i++) {
                put(y, i ? ", '" : "'");
                put(y, POOL(route_hosts));
                put(y, "'");
            }
            put(y, "]\n");
        }
        put(y, "  rules:\n");
        unsigned nrules = 1 + pick(in, 3);
        for (unsigned k = 0; k < nrules; k++) {
            snprintf(line, sizeof(line),
                     "  - backendRefs: [{name: s%d, port: 80}]\n",
                     1 + (fuzz_u8(in) & 1));
            put(y, line);
            unsigned nm = pick(in, 4);
            if (nm > 0)
                put(y, "    matches:\n");
            for (unsigned m = 0; m < nm; m++) {
                if (grpc)
                    gen_grpc_match(in, y);
                else
                    gen_http_match(in, y);
            }
        }
        put(y, "---\n");
    }
}

static const char *const req_hosts[] = {
    "a.ex.com", "b.a.ex.com", "c.ex.com", "ex.com", "", "A.EX.COM.",
    "c.b.a.ex.com", "other.org", "a.ex.com:8080"
};
static const char *const req_paths[] = {
    "/", "/a", "/a/", "/a/b", "/ab", "/a/b/c", "/b", "/a/b/c/d", "/a//b",
    "/a/%62", "/x", "/a/./b/../b", "/s.A/M", "/s.B/N", "/s/MN", "/s.A/x",
    "/a?q=1", "/a/b?Q=2&q=a%20b", "/%61", "/a/b/"
};

static void
describe(const char *who, const gwr_decision *d)
{
    gwr_str n = gwr_decision_route_name(d);
    gwr_str ns = gwr_decision_route_namespace(d);
    gwr_str k = gwr_decision_route_kind(d), p = gwr_decision_upstream_path(d);
    fprintf(stderr, "%s: result %u status %d route %.*s %.*s/%.*s rule %d "
            "path %.*s\n", who, (unsigned)gwr_decision_result(d),
            gwr_decision_status(d), (int)k.len, k.ptr ? k.ptr : "",
            (int)ns.len, ns.ptr ? ns.ptr : "", (int)n.len, n.ptr ? n.ptr : "",
            gwr_decision_rule_index(d), (int)p.len, p.ptr ? p.ptr : "");
}

static gwr_ctx *fz_ctx;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    if (fz_ctx == NULL && gwr_ctx_new(&fz_ctx, NULL, NULL, NULL) != GWR_OK)
        abort();
    fuzz_in ib = { data, size }, *in = &ib;
    uint8_t opts_b = fuzz_u8(in);
    sbuf y = { NULL, 0, 0 };
    gen_config(in, &y);

    gwr_config *cfg = NULL;
    if (gwr_config_new(&cfg, fz_ctx) != GWR_OK)
        abort();
    int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML,
                                 (gwr_str){ y.p, y.len },
                                 (gwr_str)GWR_STR_LIT("fuzz-diff"));
    if (rc != GWR_OK && rc != GWR_E_CONFIG) {
        fprintf(stderr, "%s\n%s\n", gwr_strerror(rc), y.p);
        FUZZ_CHECK(!"generated config parses");
    }
    gwr_compile_opts opts = GWR_COMPILE_OPTS_INIT;
    if (opts_b & 1)
        opts.flags |= GWR_COMPILE_NO_NORMALIZATION;
    gwr_table *t = NULL;
    gwr_refmatch *rm = NULL;
    int rc_t = gwr_table_compile(&t, cfg, &opts);
    int rc_r = gwr_refmatch__new(&rm, cfg, &opts);
    if (rc_t != rc_r) {
        fprintf(stderr, "compile %d, reference %d\n%s\n", rc_t, rc_r, y.p);
        FUZZ_CHECK(rc_t == rc_r);
    }
    gwr_decision *dt = NULL, *dr = NULL;
    if (rc_t == GWR_OK && (gwr_decision_new(&dt, fz_ctx) != GWR_OK ||
                           gwr_decision_new(&dr, fz_ctx) != GWR_OK))
        abort();
    for (int n = 0; rc_t == GWR_OK && n < 16 && in->n > 0; n++) {
        gwr_request rq = GWR_REQUEST_INIT;
        uint8_t hb = fuzz_u8(in);
        const char *host = POOL(req_hosts);
        const char *target = POOL(req_paths);
        const char *method = POOL(methods);
        rq.host = (gwr_str){ host, strlen(host) };
        rq.path = (gwr_str){ target, strlen(target) };
        rq.method = (gwr_str){ method, strlen(method) };
        rq.port = (hb & 0x80) ? 8080 : 80;
        rq.flags = GWR_REQ_SEEDED;
        rq.seed = fuzz_u8(in);
        gwr_header h[5];
        size_t nh = 0;
        for (int i = 0; i < 3; i++) {
            if (hb & (1u << i)) {
                h[nh].name = gwr_str__from_cstr(hdr_names[i]);
                h[nh].value = gwr_str__from_cstr(
                    hdr_values[(hb >> (3 + i)) % 3]);
                nh++;
            }
        }
        if (hb & 0x40) {
            h[nh].name = (gwr_str)GWR_STR_LIT("content-type");
            h[nh].value = (gwr_str)GWR_STR_LIT("application/grpc");
            nh++;
        }
        rq.headers = h;
        rq.n_headers = nh;
        int r1 = gwr_table_match(t, &rq, dt);
        int r2 = gwr_refmatch__match(rm, &rq, dr);
        FUZZ_CHECK(r1 == r2);
        if (r1 != GWR_OK)
            continue;
        int norm = !(opts.flags & GWR_COMPILE_NO_NORMALIZATION);
        fz_digest a = read_decision(dt, norm);
        fz_digest b = read_decision(dr, norm);
        if (a.result != b.result || a.status != b.status ||
            a.hash != b.hash) {
            fprintf(stderr, "%s\nrequest: %s %s host \"%s\" port %u "
                    "headers 0x%02x\n", y.p, method, target, host,
                    (unsigned)rq.port, hb);
            describe("compiled ", dt);
            describe("reference", dr);
            FUZZ_CHECK(!"compiled and reference matchers agree");
        }
    }
    gwr_decision_free(dt);
    gwr_decision_free(dr);
    gwr_refmatch__free(rm);
    gwr_table_unref(t);
    gwr_config_free(cfg);
    free(y.p);
    return 0;
}

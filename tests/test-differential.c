/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Differential test: the compiled table (gwr_table_match) against the
 * spec-literal reference matcher (lib/refmatch.c) on random route sets
 * and random requests biased towards the configured values. Every
 * decision must agree on route kind/namespace/name, rule index, result,
 * status, backend namespace/name/port, upstream path and Location.
 *
 * Configs are generated as YAML text from fixed seeds and loaded through
 * gwr_config_add_text, so a failure prints everything needed to replay it
 * by hand (`gwroute match --explain` on the printed YAML and request).
 *
 * Size: GWR_DIFF_CONFIGS configs (default 3000, 400 under ASan) of
 * GWR_DIFF_REQUESTS requests each (default 64); GWR_DIFF_SEED changes the
 * first seed (default 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "refmatch.h"

#if defined(__SANITIZE_ADDRESS__)
#define DIFF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIFF_SANITIZED 1
#endif
#endif
#ifndef DIFF_SANITIZED
#define DIFF_SANITIZED 0
#endif

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- deterministic random numbers --------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t
next(rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static size_t
below(rng *r, size_t n)
{
    return (size_t)(next(r) % n);
}

/* 1 with probability pct %. */
static int
chance(rng *r, unsigned pct)
{
    return below(r, 100) < pct;
}

#define PICK(r, arr) ((arr)[below((r), N_ELEMS(arr))])

/* ---- string builder ------------------------------------------------------ */

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sbf(sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sbf(sb *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL,
                          b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (b->p != NULL && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
}

/* ---- the value pools ------------------------------------------------------- */

static const char *const route_hosts[] = {
    "a.example.com", "b.example.com", "x.a.example.com", "example.com",
    "foo.test", "*.example.com", "*.a.example.com", "*.com", "*.test",
};
static const char *const listener_hosts[] = {
    "a.example.com", "*.example.com", "*.a.example.com", "foo.test", "*.com",
};
static const char *const extra_hosts[] = {
    "c.example.com", "y.x.a.example.com", "other.org", "A.Example.COM",
    "a.example.com:8080", "a.example.com.", "bar.test", "z.com",
};
static const char *const segs[] = { "a", "b", "c", "api", "v1" };
static const char *const regexes[] = {
    "/a/.*", "/[ab]/c", "/api/v[0-9]+", "/.*/b", "/(a|b)(/c)?",
};
static const char *const methods[] = { "GET", "POST", "PUT", "HEAD" };
static const char *const hnames[] = { "x-env", "X-Env", "x-team", "x-id" };
static const char *const hvalues[] = { "prod", "dev", "a,b", "a" };
static const char *const hregex[] = { "pr.*", "a(,b)?", "[a-z]+" };
static const char *const qnames[] = { "q", "Q", "page" };
static const char *const qvalues[] = { "1", "2", "x", "a%20b" };
static const char *const services[] = { "pkg.Svc", "pkg.Other", "pkg.v1.Svc" };
static const char *const gmethods[] = { "Get", "List", "Lst" };
static const char *const namespaces[] = { "ns-a", "ns-b", "ns-c" };
static const char *const times[] = {
    "2020-01-01T00:00:00Z", "2021-06-01T12:00:00Z", "2020-01-01T00:00:00Z",
};

/* What the request generator aims at: the configured values. */
typedef struct targets {
    const char *hosts[64];
    size_t n_hosts;
    char paths[96][64];
    size_t n_paths;
    uint32_t ports[8];
    size_t n_ports;
} targets;

static void
add_host(targets *t, const char *h)
{
    if (t->n_hosts < N_ELEMS(t->hosts))
        t->hosts[t->n_hosts++] = h;
}

static void
rand_path(rng *r, char *out, size_t cap, int allow_trailing)
{
    size_t n = 1 + below(r, 4), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "/%s", PICK(r, segs));
    if (allow_trailing && chance(r, 20))
        snprintf(out + len, cap - len, "/");
}

static void
add_path(targets *t, const char *p)
{
    if (t->n_paths < N_ELEMS(t->paths))
        snprintf(t->paths[t->n_paths++], sizeof(t->paths[0]), "%s", p);
}

/* ---- config generation ----------------------------------------------------- */

static void
gen_headers(rng *r, sb *y, int max)
{
    size_t n = below(r, (size_t)max + 1);
    if (n == 0)
        return;
    sbf(y, ", headers: [");
    /* Distinct names (exact duplicates are a schema error); "x-env" and
     * "X-Env" may meet: only the first counts (§3.4). */
    size_t first = below(r, N_ELEMS(hnames));
    for (size_t i = 0; i < n; i++) {
        const char *name = hnames[(first + i) % N_ELEMS(hnames)];
        if (chance(r, 15))
            sbf(y, "%s{name: %s, type: RegularExpression, value: '%s'}",
                i ? ", " : "", name, PICK(r, hregex));
        else
            sbf(y, "%s{name: %s, value: '%s'}", i ? ", " : "", name,
                PICK(r, hvalues));
    }
    sbf(y, "]");
}

/* One HTTPRouteMatch; counts the explicit PathPrefix matches
 * (ReplacePrefixMatch needs exactly one). */
static void
gen_http_match(rng *r, sb *y, targets *t, int *n_prefix)
{
    sbf(y, "    - {");
    const char *sep = "";
    if (chance(r, 85)) {
        char p[64];
        unsigned k = (unsigned)below(r, 100);
        if (k < 8) {
            const char *re = PICK(r, regexes);
            sbf(y, "path: {type: RegularExpression, value: '%s'}", re);
        } else if (k < 40) {
            rand_path(r, p, sizeof(p), 0);
            sbf(y, "path: {type: Exact, value: '%s'}", p);
            add_path(t, p);
        } else {
            rand_path(r, p, sizeof(p), 1);
            if (chance(r, 5))
                snprintf(p, sizeof(p), "/");
            sbf(y, "path: {type: PathPrefix, value: '%s'}", p);
            add_path(t, p);
            (*n_prefix)++;
        }
        sep = ", ";
    }
    if (chance(r, 20)) {
        sbf(y, "%smethod: %s", sep, PICK(r, methods));
        sep = ", ";
    }
    if (*sep == '\0')
        sbf(y, "path: {type: PathPrefix, value: /}");
    gen_headers(r, y, 2);
    size_t nq = chance(r, 25) ? 1 + below(r, 2) : 0;
    if (nq > 0) {
        sbf(y, ", queryParams: [");
        size_t first = below(r, N_ELEMS(qnames));
        for (size_t i = 0; i < nq; i++) {
            const char *name = qnames[(first + i) % N_ELEMS(qnames)];
            if (chance(r, 10))
                sbf(y, "%s{name: %s, type: RegularExpression, value: '[0-9]'}",
                    i ? ", " : "", name);
            else
                sbf(y, "%s{name: %s, value: '%s'}", i ? ", " : "", name,
                    PICK(r, qvalues));
        }
        sbf(y, "]");
    }
    sbf(y, "}\n");
}

static const char *const svc_regexes[] = {
    "pkg[.][A-Z][a-z]+", "pkg[.]Svc", ".*", "pkg\\..+", "[a-z]+[.]Other",
};
static const char *const meth_regexes[] = {
    "(Get|Li)[a-z]*", "Get", "L.*", ".+", "[A-Z][a-z]{2}",
};

/* One GRPCRouteMatch (§3.9): every shape of the method match (Exact
 * service + method, service only, method only; RegularExpression with
 * either or both sides, sides of different lengths, an explicitly empty
 * side), headers only, with or without header matches. */
static void
gen_grpc_match(rng *r, sb *y, targets *t)
{
    sbf(y, "    - {");
    unsigned k = (unsigned)below(r, 100);
    const char *svc = PICK(r, services), *m = PICK(r, gmethods);
    char p[64];
    if (k < 25) {
        sbf(y, "method: {service: %s, method: %s}", svc, m);
        snprintf(p, sizeof(p), "/%s/%s", svc, m);
        add_path(t, p);
    } else if (k < 40) {
        sbf(y, "method: {%sservice: %s}", chance(r, 30) ? "type: Exact, " : "",
            svc);
        snprintf(p, sizeof(p), "/%s", svc);
        add_path(t, p);
    } else if (k < 52) {
        sbf(y, "method: {method: %s}", m);
    } else if (k < 60) {
        sbf(y, "method: {type: RegularExpression, service: '%s'}",
            PICK(r, svc_regexes));
    } else if (k < 68) {
        sbf(y, "method: {type: RegularExpression, method: '%s'}",
            PICK(r, meth_regexes));
    } else if (k < 78) {
        sbf(y, "method: {type: RegularExpression, service: '%s', method: '%s'}",
            chance(r, 50) ? svc : PICK(r, svc_regexes), PICK(r, meth_regexes));
    } else if (k < 81) {
        /* An explicitly empty side matches like an absent one. */
        sbf(y, "method: {type: RegularExpression, service: '%s', method: ''}",
            PICK(r, svc_regexes));
    } else if (k < 86) {
        sbf(y, "headers: [{name: %s, value: '%s'}]", PICK(r, hnames),
            PICK(r, hvalues));
        sbf(y, "}\n");
        return;
    } else {
        /* Two header matches (or none at all): every gRPC call. */
        if (chance(r, 50))
            sbf(y, "headers: [{name: x-env, value: '%s'}, {name: x-team,"
                " value: '%s'}]", PICK(r, hvalues), PICK(r, hvalues));
        sbf(y, "}\n");
        return;
    }
    gen_headers(r, y, 2);
    sbf(y, "}\n");
}

static void
gen_backends(rng *r, sb *y, const char *ns)
{
    unsigned k = (unsigned)below(r, 100);
    if (k < 5) {
        sbf(y, "backendRefs: [{name: missing, port: 80}]\n");
    } else if (k < 20) {
        sbf(y, "backendRefs: [{name: svc-1, port: 80, weight: %u},"
            " {name: svc-2, port: 8080, weight: %u}]\n",
            (unsigned)below(r, 3), 1 + (unsigned)below(r, 3));
    } else if (k < 25) {
        sbf(y, "backendRefs: [{name: svc-1, namespace: %s, port: 80}]\n",
            strcmp(ns, "ns-a") ? "ns-a" : "ns-b");
    } else {
        sbf(y, "backendRefs: [{name: svc-%u, port: 80}]\n",
            1 + (unsigned)below(r, 2));
    }
}

static void
gen_route(rng *r, sb *y, targets *t, size_t idx, int have_gw,
          const char *sections[], size_t n_sections)
{
    int grpc = chance(r, 30);
    const char *ns = PICK(r, namespaces);
    sbf(y, "---\napiVersion: gateway.networking.k8s.io/v1\nkind: %s\n",
        grpc ? "GRPCRoute" : "HTTPRoute");
    /* Names repeat across namespaces and kinds on purpose. */
    sbf(y, "metadata: {name: r%zu, namespace: %s", idx % 5, ns);
    if (chance(r, 50))
        sbf(y, ", creationTimestamp: '%s'", PICK(r, times));
    sbf(y, "}\nspec:\n");
    if (have_gw) {
        sbf(y, "  parentRefs: [{name: gw, namespace: gw");
        if (n_sections > 0 && chance(r, 25))
            sbf(y, ", sectionName: %s", sections[below(r, n_sections)]);
        sbf(y, "}]\n");
    }
    size_t nh = chance(r, 40) ? 0 : 1 + below(r, 2);
    if (nh > 0) {
        sbf(y, "  hostnames: [");
        for (size_t i = 0; i < nh; i++) {
            const char *h = PICK(r, route_hosts);
            sbf(y, "%s'%s'", i ? ", " : "", h);
            add_host(t, h);
        }
        sbf(y, "]\n");
    }
    sbf(y, "  rules:\n");
    size_t nr = 1 + below(r, 4);
    sb mt = { NULL, 0, 0 };
    for (size_t i = 0; i < nr; i++) {
        size_t nm = below(r, 4);
        int n_prefix = 0;
        mt.len = 0;
        sbf(&mt, "%s", "");
        for (size_t k = 0; k < nm; k++) {
            if (grpc)
                gen_grpc_match(r, &mt, t);
            else
                gen_http_match(r, &mt, t, &n_prefix);
        }
        /* 1 RequestRedirect (no backendRefs then), 2 ReplaceFullPath,
         * 3 ReplacePrefixMatch (exactly one PathPrefix match). */
        unsigned f = !grpc && chance(r, 20) ? 1 + (unsigned)below(r, 3) : 0;
        if (f == 3 && !(nm == 1 && n_prefix == 1))
            f = 0;
        if (f == 1) {
            sbf(y, "  - filters: [{type: RequestRedirect, requestRedirect:"
                " {hostname: redir.example.com, statusCode: 301}}]\n");
        } else {
            sbf(y, "  - ");
            gen_backends(r, y, ns);
        }
        if (f == 2)
            sbf(y, "    filters: [{type: URLRewrite, urlRewrite: {path:"
                " {type: ReplaceFullPath, replaceFullPath: /full}}}]\n");
        if (f == 3)
            sbf(y, "    filters: [{type: URLRewrite, urlRewrite: {path:"
                " {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]\n");
        if (nm > 0)
            sbf(y, "    matches:\n%s", mt.p);
    }
    free(mt.p);
}

typedef struct gcase {
    sb yaml;
    targets t;
    int have_gw;
} gcase;

static void
gen_config(rng *r, gcase *c)
{
    sb *y = &c->yaml;
    targets *t = &c->t;
    memset(t, 0, sizeof(*t));
    y->len = 0;
    sbf(y, "# generated\n");
    for (size_t i = 0; i < N_ELEMS(namespaces); i++) {
        for (unsigned s = 1; s <= 2; s++)
            sbf(y, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%u,"
                " namespace: %s}\nspec: {ports: [{port: 80}, {port: 8080}]}\n",
                s, namespaces[i]);
    }
    sbf(y, "---\napiVersion: gateway.networking.k8s.io/v1beta1\n"
        "kind: ReferenceGrant\nmetadata: {name: g, namespace: ns-a}\n"
        "spec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute,"
        " namespace: ns-b}]\n  to: [{group: '', kind: Service}]\n");
    c->have_gw = chance(r, 85);
    const char *sections[4];
    size_t n_sections = 0;
    if (c->have_gw) {
        sbf(y, "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
            "metadata: {name: gw, namespace: gw}\nspec:\n  gatewayClassName: c\n"
            "  listeners:\n");
        static const char *const names[] = { "l0", "l1", "l2", "l3" };
        size_t nl = 1 + below(r, 4);
        uint32_t used_port[4];
        const char *used_host[4];
        size_t n_used = 0;
        for (size_t i = 0; i < nl; i++) {
            unsigned kind = (unsigned)below(r, 10);
            uint32_t port = kind < 6 ? 80 : kind < 8 ? 8080 : 443;
            /* port + hostname must be unique: retry, then leave the
             * listener out. */
            const char *h = NULL;
            int ok = 0;
            for (int attempt = 0; attempt < 4 && !ok; attempt++) {
                h = chance(r, 55) ? PICK(r, listener_hosts) : NULL;
                ok = 1;
                for (size_t k = 0; k < n_used; k++)
                    if (used_port[k] == port &&
                        (used_host[k] == NULL) == (h == NULL) &&
                        (h == NULL || strcmp(used_host[k], h) == 0))
                        ok = 0;
            }
            if (!ok)
                continue;
            used_port[n_used] = port;
            used_host[n_used++] = h;
            sbf(y, "  - {name: %s, port: %u, protocol: %s", names[i],
                (unsigned)port, port == 443 ? "HTTPS" : "HTTP");
            if (port == 443)
                sbf(y, ", tls: {certificateRefs: [{name: cert}]}");
            if (h != NULL) {
                sbf(y, ", hostname: '%s'", h);
                add_host(t, h);
            }
            sbf(y, ", allowedRoutes: {namespaces: {from: All}}}\n");
            sections[n_sections++] = names[i];
            int dup = 0;
            for (size_t k = 0; k < t->n_ports; k++)
                dup |= t->ports[k] == port;
            if (!dup)
                t->ports[t->n_ports++] = port;
        }
    } else {
        t->ports[t->n_ports++] = 80;
    }
    size_t nroutes = 2 + below(r, 7);
    for (size_t i = 0; i < nroutes; i++)
        gen_route(r, y, t, i, c->have_gw, sections, n_sections);
}

/* ---- request generation ---------------------------------------------------- */

typedef struct greq {
    char method[8], scheme[8], host[96], target[192], sni[96];
    gwr_header h[6];
    char hbuf[6][2][32];
    size_t nh;
    uint32_t port;
    uint64_t seed;
} greq;

static const char *
expand_host(rng *r, const char *h, char *buf, size_t cap)
{
    if (h[0] == '*') {
        snprintf(buf, cap, "%s%s", chance(r, 70) ? "z" : "q.z", h + 1);
        return buf;
    }
    return h;
}

static void
set_header(greq *q, const char *name, const char *value)
{
    if (q->nh == N_ELEMS(q->h))
        return;
    size_t i = q->nh++;
    snprintf(q->hbuf[i][0], sizeof(q->hbuf[i][0]), "%s", name);
    snprintf(q->hbuf[i][1], sizeof(q->hbuf[i][1]), "%s", value);
    q->h[i].name.ptr = q->hbuf[i][0];
    q->h[i].name.len = strlen(q->hbuf[i][0]);
    q->h[i].value.ptr = q->hbuf[i][1];
    q->h[i].value.len = strlen(q->hbuf[i][1]);
}

static void
gen_request(rng *r, const targets *t, greq *q)
{
    memset(q, 0, sizeof(*q));
    int grpc = chance(r, 30);
    snprintf(q->method, sizeof(q->method), "%s", grpc ? "POST" : PICK(r, methods));
    char hb[96];
    unsigned hk = (unsigned)below(r, 100);
    if (hk < 75 && t->n_hosts > 0)
        snprintf(q->host, sizeof(q->host), "%s",
                 expand_host(r, t->hosts[below(r, t->n_hosts)], hb, sizeof(hb)));
    else if (hk < 95)
        snprintf(q->host, sizeof(q->host), "%s", PICK(r, extra_hosts));
    /* else: no Host at all */
    q->port = t->ports[below(r, t->n_ports)];
    if (chance(r, 5))
        q->port = 9090;
    snprintf(q->scheme, sizeof(q->scheme), "%s",
             (q->port == 443) != chance(r, 5) ? "https" : "http");
    /* Empty method / scheme: the defaults GET / http. */
    if (chance(r, 3))
        q->method[0] = '\0';
    if (q->port != 443 && chance(r, 3))
        q->scheme[0] = '\0';
    char path[128];
    unsigned pk = (unsigned)below(r, 100);
    if (grpc && pk < 70) {
        snprintf(path, sizeof(path), "/%s/%s", PICK(r, services), PICK(r, gmethods));
        if (chance(r, 10))
            snprintf(path, sizeof(path), "/%s", PICK(r, services));
        if (chance(r, 5))
            snprintf(path, sizeof(path), "/%s/", PICK(r, services));
        if (chance(r, 5))
            snprintf(path, sizeof(path), "/%s/%s/x", PICK(r, services),
                     PICK(r, gmethods));
    } else if (pk < 75 && t->n_paths > 0) {
        snprintf(path, sizeof(path), "%s", t->paths[below(r, t->n_paths)]);
        size_t len = strlen(path);
        if (chance(r, 30))
            snprintf(path + len, sizeof(path) - len, "%s%s",
                     len && path[len - 1] == '/' ? "" : "/", PICK(r, segs));
        else if (chance(r, 10))
            snprintf(path + len, sizeof(path) - len, "x");
    } else {
        rand_path(r, path, sizeof(path), 1);
        if (chance(r, 10)) {
            static const char *const odd[] = { "/a/../b", "//a//b", "/%61/b",
                                               "/a/./c", "/a%2Fb", "/api/v12",
                                               "" };
            snprintf(path, sizeof(path), "%s", PICK(r, odd));
        }
    }
    size_t nq = chance(r, 40) ? 1 + below(r, 3) : 0;
    size_t len = (size_t)snprintf(q->target, sizeof(q->target), "%s", path);
    for (size_t i = 0; i < nq; i++)
        len += (size_t)snprintf(q->target + len, sizeof(q->target) - len, "%c%s=%s",
                                i ? '&' : '?', PICK(r, qnames), PICK(r, qvalues));
    if (grpc) {
        static const char *const cts[] = {
            "application/grpc", "application/grpc", "application/grpc+proto",
            "application/grpc;charset=utf-8", "application/grpc-web",
            "Application/GRPC", "application/json",
        };
        set_header(q, chance(r, 80) ? "content-type" : "Content-Type",
                   PICK(r, cts));
        if (chance(r, 5))
            snprintf(q->method, sizeof(q->method), "GET");
    }
    size_t nh = below(r, 4);
    for (size_t i = 0; i < nh; i++) {
        const char *name = PICK(r, hnames);
        set_header(q, name, PICK(r, hvalues));
        if (chance(r, 15))
            set_header(q, name, PICK(r, hvalues));   /* repeated field */
    }
    q->seed = next(r);
    /* A TLS server name (§3.1 step 5), most often on https requests: the
     * Host itself, another configured or unknown name, or a malformed one;
     * drawn last so that the draws above stay those of earlier versions. */
    if (chance(r, 40)) {
        static const char *const odd_sni[] = { "[::1]", "a.example.com:443",
                                               "a..b", "A.Example.COM." };
        unsigned sk = (unsigned)below(r, 100);
        if (sk < 40)
            snprintf(q->sni, sizeof(q->sni), "%s", q->host);
        else if (sk < 70 && t->n_hosts > 0)
            snprintf(q->sni, sizeof(q->sni), "%s",
                     expand_host(r, t->hosts[below(r, t->n_hosts)], hb, sizeof(hb)));
        else if (sk < 90)
            snprintf(q->sni, sizeof(q->sni), "%s", PICK(r, extra_hosts));
        else
            snprintf(q->sni, sizeof(q->sni), "%s", PICK(r, odd_sni));
    }
}

static void
print_request(const greq *q)
{
    fprintf(stderr, "# request: {\"method\":\"%s\",\"host\":\"%s\",\"path\":\"%s\","
            "\"port\":%u,\"scheme\":\"%s\",\"sni\":\"%s\",\"headers\":[", q->method,
            q->host, q->target, (unsigned)q->port, q->scheme, q->sni);
    for (size_t i = 0; i < q->nh; i++)
        fprintf(stderr, "%s[\"%s\",\"%s\"]", i ? "," : "", q->hbuf[i][0],
                q->hbuf[i][1]);
    fprintf(stderr, "]}  (seed 0x%016llx)\n", (unsigned long long)q->seed);
}

/* ---- comparison -------------------------------------------------------------- */

static int
str_eq(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void
describe(const char *who, const gwr_decision *d)
{
    gwr_str k = gwr_decision_route_kind(d), ns = gwr_decision_route_namespace(d),
            n = gwr_decision_route_name(d), up = gwr_decision_upstream_path(d),
            loc = gwr_decision_location(d);
    const gwr_backend *b = gwr_decision_backend(d);
    gwr_str bns = gwr_backend_namespace(b), bn = gwr_backend_name(b);
    fprintf(stderr, "# %s: result %u status %d route %.*s %.*s/%.*s rule %d "
            "backend %.*s/%.*s:%u upstream '%.*s' location '%.*s'\n", who,
            (unsigned)gwr_decision_result(d), gwr_decision_status(d),
            (int)k.len, k.ptr, (int)ns.len, ns.ptr, (int)n.len, n.ptr,
            gwr_decision_rule_index(d), (int)bns.len, bns.ptr, (int)bn.len,
            bn.ptr, (unsigned)gwr_backend_port(b), (int)up.len, up.ptr,
            (int)loc.len, loc.ptr);
}

static int
same_upstream_headers(const gwr_decision *a, const gwr_decision *b)
{
    size_t n = gwr_decision_upstream_header_count(a);
    if (n != gwr_decision_upstream_header_count(b))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const gwr_header *x = gwr_decision_upstream_header(a, i);
        const gwr_header *y = gwr_decision_upstream_header(b, i);
        if (!str_eq(x->name, y->name) || !str_eq(x->value, y->value))
            return 0;
    }
    return 1;
}

static int
same(const gwr_decision *a, const gwr_decision *b)
{
    const gwr_backend *ba = gwr_decision_backend(a), *bb = gwr_decision_backend(b);
    return gwr_decision_result(a) == gwr_decision_result(b) &&
           gwr_decision_status(a) == gwr_decision_status(b) &&
           gwr_decision_grpc(a) == gwr_decision_grpc(b) &&
           gwr_decision_grpc_status(a) == gwr_decision_grpc_status(b) &&
           str_eq(gwr_decision_route_kind(a), gwr_decision_route_kind(b)) &&
           str_eq(gwr_decision_route_namespace(a), gwr_decision_route_namespace(b)) &&
           str_eq(gwr_decision_route_name(a), gwr_decision_route_name(b)) &&
           gwr_decision_rule_index(a) == gwr_decision_rule_index(b) &&
           (ba == NULL) == (bb == NULL) &&
           str_eq(gwr_backend_namespace(ba), gwr_backend_namespace(bb)) &&
           str_eq(gwr_backend_name(ba), gwr_backend_name(bb)) &&
           gwr_backend_port(ba) == gwr_backend_port(bb) &&
           str_eq(gwr_decision_upstream_path(a), gwr_decision_upstream_path(b)) &&
           str_eq(gwr_decision_upstream_host(a), gwr_decision_upstream_host(b)) &&
           str_eq(gwr_decision_upstream_method(a), gwr_decision_upstream_method(b)) &&
           str_eq(gwr_decision_upstream_scheme(a), gwr_decision_upstream_scheme(b)) &&
           same_upstream_headers(a, b) &&
           str_eq(gwr_decision_location(a), gwr_decision_location(b));
}

static size_t
env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    return (size_t)strtoull(v, NULL, 0);
}

typedef struct stats {
    size_t configs, rejected, requests, forward, no_route, redirect, respond;
    size_t grpc_routes, misdirected;
} stats;

/* One seed: generate, load, compile both ways, compare n_req requests.
 * Returns 0 when everything agreed. */
static int
run_seed(gwr_ctx *ctx, uint64_t seed, size_t n_req, gcase *c, stats *st,
         gwr_decision *dc, gwr_decision *dr)
{
    rng r = { seed * UINT64_C(0x2545f4914f6cdd1d) + 1 };
    gen_config(&r, c);
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_str text = { c->yaml.p, c->yaml.len }, src = { "diff.yaml", 9 };
    int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, text, src);
    assert_int_not_equal(rc, GWR_E_NOMEM);
    st->configs++;
    if (rc != GWR_OK) {
        st->rejected++;
        if (getenv("GWR_DIFF_VERBOSE") != NULL) {
            char line[512];
            fprintf(stderr, "# seed %llu: rejected objects\n%s",
                    (unsigned long long)seed, c->yaml.p);
            for (size_t i = 0; i < gwr_config_diag_count(cfg); i++) {
                gwr_diag_format(gwr_config_diag(cfg, i), line, sizeof(line));
                fprintf(stderr, "#   %s\n", line);
            }
        }
    }
    gwr_table *t = NULL;
    char err[256] = "";
    gwr_compile_opts o = GWR_COMPILE_OPTS_INIT;
    o.errbuf = err;
    o.errbuf_size = sizeof(err);
    rc = gwr_table_compile(&t, cfg, &o);
    gwr_refmatch *rm = NULL;
    int rc2 = gwr_refmatch__new(&rm, cfg, &o);
    if (rc != GWR_OK || rc2 != rc) {
        fprintf(stderr, "# seed %llu: compile %d (%s), reference %d\n%s\n",
                (unsigned long long)seed, rc, err, rc2, c->yaml.p);
        gwr_table_unref(t);
        gwr_refmatch__free(rm);
        gwr_config_free(cfg);
        return 1;
    }
    int bad = 0;
    for (size_t i = 0; i < n_req && !bad; i++) {
        greq q;
        gen_request(&r, &c->t, &q);
        gwr_request req = GWR_REQUEST_INIT;
        req.method = (gwr_str){ q.method, strlen(q.method) };
        req.scheme = (gwr_str){ q.scheme, strlen(q.scheme) };
        req.host = (gwr_str){ q.host, strlen(q.host) };
        req.path = (gwr_str){ q.target, strlen(q.target) };
        req.headers = q.h;
        req.n_headers = q.nh;
        req.port = q.port;
        req.flags = GWR_REQ_SEEDED;
        req.seed = q.seed;
        req.sni = (gwr_str){ q.sni, strlen(q.sni) };
        assert_int_equal(gwr_refmatch__match(rm, &req, dr), GWR_OK);
        /* Every other request views the caller's request instead of
         * copying it (q outlives both decisions' use of it here). */
        if (i & 1)
            req.flags |= GWR_REQ_NO_COPY;
        assert_int_equal(gwr_table_match(t, &req, dc), GWR_OK);
        st->requests++;
        switch (gwr_decision_result(dc)) {
        case GWR_RESULT_FORWARD: st->forward++; break;
        case GWR_RESULT_REDIRECT: st->redirect++; break;
        case GWR_RESULT_RESPOND:
            st->respond++;
            st->misdirected += gwr_decision_status(dc) == 421;
            break;
        default: st->no_route++; break;
        }
        if (gwr_decision_rule_index(dc) >= 0 &&
            gwr_decision_route_kind(dc).ptr[0] == 'G')
            st->grpc_routes++;
        if (!same(dc, dr)) {
            fprintf(stderr, "# MISMATCH at seed %llu, request %zu\n",
                    (unsigned long long)seed, i);
            fprintf(stderr, "# ---- config ----\n%s# ---- end ----\n", c->yaml.p);
            print_request(&q);
            describe("core     ", dc);
            describe("reference", dr);
            gwr_refexplain ex;
            if (gwr_refmatch__explain(rm, &req, dr, &ex) == GWR_OK) {
                for (size_t k = 0; k < ex.n_cands; k++) {
                    const gwr_refcand *cd = &ex.cands[k];
                    fprintf(stderr, "#   candidate %.*s %.*s/%.*s rule %d match %d "
                            "host '%.*s' path '%.*s' lost_on '%s'\n",
                            (int)cd->kind.len, cd->kind.ptr, (int)cd->ns.len,
                            cd->ns.ptr, (int)cd->name.len, cd->name.ptr, cd->rule,
                            cd->match, (int)cd->hostname.len, cd->hostname.ptr,
                            (int)cd->path.len, cd->path.ptr,
                            gwr_refkey__name(cd->lost_on));
                }
            }
            bad = 1;
        }
    }
    gwr_refmatch__free(rm);
    gwr_table_unref(t);
    gwr_config_free(cfg);
    return bad;
}

static void
test_differential_random(void **state)
{
    (void)state;
    size_t n_cfg = env_size("GWR_DIFF_CONFIGS", DIFF_SANITIZED ? 400 : 3000);
    size_t n_req = env_size("GWR_DIFF_REQUESTS", 64);
    uint64_t first = env_size("GWR_DIFF_SEED", 1);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_decision *dc = NULL, *dr = NULL;
    assert_int_equal(gwr_decision_new(&dc, ctx), GWR_OK);
    assert_int_equal(gwr_decision_new(&dr, ctx), GWR_OK);
    gcase c;
    memset(&c, 0, sizeof(c));
    stats st;
    memset(&st, 0, sizeof(st));
    size_t failures = 0;
    for (uint64_t s = first; s < first + n_cfg && failures < 3; s++)
        failures += (size_t)run_seed(ctx, s, n_req, &c, &st, dc, dr);
    fprintf(stderr, "# %zu configs (%zu with a rejected object), %zu requests: "
            "%zu forward, %zu redirect, %zu respond (%zu of them 421), %zu "
            "no_route; %zu on GRPCRoutes\n", st.configs, st.rejected,
            st.requests, st.forward, st.redirect, st.respond, st.misdirected,
            st.no_route, st.grpc_routes);
    free(c.yaml.p);
    gwr_decision_free(dc);
    gwr_decision_free(dr);
    gwr_ctx_free(ctx);
    if (failures > 0)
        fail_msg("%zu seed(s) disagree (replay: GWR_DIFF_SEED=<seed> "
                 "GWR_DIFF_CONFIGS=1)", failures);
    /* The generator must keep producing mostly valid, routable configs,
     * or the comparison proves little. */
    assert_true(st.rejected * 4 < st.configs);
    assert_true(st.forward * 5 > st.requests);
    assert_true(st.no_route * 20 > st.requests);
}

/* Hand-written cases the random generator reaches only rarely. */
static void
test_differential_explain(void **state)
{
    (void)state;
    static const char yaml[] =
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
        "spec: {ports: [{port: 80}]}\n"
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: r, namespace: ns}\n"
        "spec:\n  rules:\n"
        "  - matches: [{path: {type: PathPrefix, value: /a}}]\n"
        "    backendRefs: [{name: s, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /a/b}},"
        " {path: {type: Exact, value: /a/b}}]\n"
        "    backendRefs: [{name: s, port: 80}]\n";
    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_str text = { yaml, sizeof(yaml) - 1 }, src = { "x", 1 };
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML, text, src), GWR_OK);
    gwr_refmatch *rm = NULL;
    assert_int_equal(gwr_refmatch__new(&rm, cfg, NULL), GWR_OK);
    gwr_decision *d = NULL;
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    gwr_request req = GWR_REQUEST_INIT;
    req.host = (gwr_str){ "h", 1 };
    req.path = (gwr_str){ "/a/b", 4 };
    gwr_refexplain ex;
    assert_int_equal(gwr_refmatch__explain(rm, &req, d, &ex), GWR_OK);
    assert_true(ex.has_listener);
    assert_int_equal(ex.n_cands, 3);
    assert_int_equal(ex.cands[0].rule, 1);
    assert_int_equal(ex.cands[0].match, 1);
    assert_int_equal(ex.cands[0].lost_on, GWR_REFKEY_NONE);
    assert_int_equal(ex.cands[1].rule, 1);
    assert_int_equal(ex.cands[1].match, 0);
    assert_int_equal(ex.cands[1].lost_on, GWR_REFKEY_PATH_TYPE);
    assert_int_equal(ex.cands[2].rule, 0);
    assert_int_equal(ex.cands[2].lost_on, GWR_REFKEY_PATH_TYPE);
    assert_string_equal(gwr_refkey__name(GWR_REFKEY_PATH_LENGTH),
                        "longer PathPrefix");
    assert_int_equal(gwr_decision_rule_index(d), 1);
    /* A malformed path answers 400 without candidates. */
    req.path = (gwr_str){ "/a%zz", 5 };
    assert_int_equal(gwr_refmatch__explain(rm, &req, d, &ex), GWR_OK);
    assert_int_equal(ex.n_cands, 0);
    assert_int_equal(gwr_decision_status(d), 400);
    gwr_decision_free(d);
    gwr_refmatch__free(rm);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_explain),
        cmocka_unit_test(test_differential_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

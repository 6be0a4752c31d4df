/*
 * libgwroute benchmark - SPDX-License-Identifier: MIT
 *
 * Workload generator (see workload.h and docs/PERFORMANCE.md "Workload").
 *
 * Shape, for N rules:
 *   - HTTPRoutes of 4..8 rules each (the last one takes the remainder),
 *     spread over max(4, routes/40) namespaces, each with 8 Services;
 *   - N/20 hostnames (at least 4) in zones of ~8: ~90% exact
 *     "<word>-<i>.z<k>.example.com", ~10% wildcard "*.z<k>.example.com"
 *     (drawn with p = 0.2, at most one per zone); a route names 1 hostname
 *     (85%) or 2 (15%);
 *   - every route has a base path of 1-2 segments; a rule's path has 1..6
 *     segments starting with that base; Exact 40% / PathPrefix 60%;
 *   - mixed profile: 15% of matches with 1 header, 5% with 2, 10% with a
 *     method, 5% with a query parameter, 0.4% with a regex path and 0.1%
 *     with a regex header (~0.5% regex in all); 15% of rules with two
 *     matches, 1% with none (implicit PathPrefix "/");
 *   - 15% of rules split traffic over 2-3 weighted backends, 2% mirror,
 *     5% add a request header.
 * The request stream picks a route with a Zipf(s) law over a random
 * permutation of the routes, then a rule and a match of it uniformly, and
 * builds a request meant to satisfy that match (10% of the predicate
 * values deliberately wrong); miss_rate of the requests go to unknown hosts
 * (half) or to unknown paths on known hosts (half).
 */
#include "workload.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small utilities ---------------------------------------------------- */

static uint64_t g_rng;

static uint32_t
rnd(uint32_t n)
{
    return n == 0 ? 0 : (uint32_t)(((wl_next(&g_rng) >> 32) * n) >> 32);
}

static double
rnd01(void)
{
    return (double)(wl_next(&g_rng) >> 11) * (1.0 / 9007199254740992.0);
}

static int
chance(double p)
{
    return rnd01() < p;
}

typedef struct sbuf {
    char *ptr;
    size_t len, cap;
    int err;
} sbuf;

static void
sb_reserve(sbuf *b, size_t extra)
{
    if (b->err || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->ptr, cap);
    if (p == NULL) {
        b->err = 1;
        return;
    }
    b->ptr = p;
    b->cap = cap;
}

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = 1;
        return;
    }
    sb_reserve(b, (size_t)n);
    if (b->err)
        return;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

struct wl_arena_blk {
    wl_arena_blk *next;
    size_t used, cap;
    char data[];
};

static void *
arena_alloc(wl_workload *w, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    wl_arena_blk *b = w->arena;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        wl_arena_blk *nb = malloc(sizeof(*nb) + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        w->arena = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static gwr_str
arena_str(wl_workload *w, const char *s, size_t n, int *err)
{
    gwr_str r = { "", 0 };
    char *p = arena_alloc(w, n + 1);
    if (p == NULL) {
        *err = 1;
        return r;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    r.ptr = p;
    r.len = n;
    return r;
}

/* ---- the model ----------------------------------------------------------- */

static const char *const vocab[] = {
    "api", "v1", "v2", "users", "orders", "items", "cart", "checkout",
    "search", "static", "assets", "img", "auth", "login", "account", "admin",
    "billing", "invoices", "reports", "metrics", "health", "docs", "blog",
    "media", "video", "feed", "profile", "settings", "catalog", "products",
    "reviews", "graphql",
};
#define N_VOCAB (sizeof(vocab) / sizeof(vocab[0]))

static const char *const host_words[] = {
    "shop", "app", "portal", "www", "edge", "mobile", "partner", "status",
    "console", "gw", "store", "pay",
};
#define N_HOST_WORDS (sizeof(host_words) / sizeof(host_words[0]))

typedef struct hdr_kind {
    const char *name, *cap_name;   /* lowercase in YAML, capitalized in some
                                      requests (names are case-insensitive) */
    const char *values[4];
} hdr_kind;

static const hdr_kind hdr_kinds[] = {
    { "x-tenant", "X-Tenant", { "acme", "globex", "initech", "umbrella" } },
    { "x-version", "X-Version", { "v1", "v2", "v3", "canary" } },
    { "x-canary", "X-Canary", { "true", "false", "always", "never" } },
    { "x-region", "X-Region", { "eu", "us", "ap", "sa" } },
    { "x-client", "X-Client", { "web", "ios", "android", "cli" } },
};
#define N_HDR_KINDS (sizeof(hdr_kinds) / sizeof(hdr_kinds[0]))

static const char *const q_names[] = { "version", "debug", "region" };
static const char *const q_values[] = { "v1", "v2", "1", "eu" };
static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };

enum { PT_EXACT = 0, PT_PREFIX, PT_REGEX };

typedef struct wkv {
    int kind;                  /* hdr_kinds index / q_names index */
    int vi;                    /* value index */
    int regex;                 /* header regex "(web|ios)-[0-9]+" */
} wkv;

typedef struct wmatch {
    int ptype;
    char path[112];            /* Exact/PathPrefix value, or regex base */
    int method;                /* -1 = none */
    wkv hdr[2];
    int n_hdr;
    wkv q;
    int n_q;
} wmatch;

typedef struct wrule {
    wmatch m[2];
    int n_m;                   /* 0: no matches (PathPrefix "/") */
    int n_be;
    int svc[3];
    int w[3];
    int mirror, mir_svc;
    uint32_t mnum, mden;
    int pct;                   /* mirror written as percent */
    int hdrmod;
} wrule;

typedef struct wroute {
    int id, ns;
    int host[2];
    int n_host;
    char base[48];
    int base_segs;
    wrule *rules;
    int n_rules;
} wroute;

typedef struct whost {
    char name[64];             /* "*.z3.example.com" for wildcards */
    int wild;
} whost;

#define SVC_PER_NS 8

const char *
wl_profile_name(int profile)
{
    switch (profile) {
    case WL_PATHS:
        return "paths (Exact/PathPrefix only)";
    case WL_HEADERS:
        return "headers (Exact/PathPrefix + 1-2 Exact headers per match)";
    default:
        return "mixed";
    }
}

static void
make_path(char *out, size_t size, const wroute *r, int segs)
{
    /* Start with the route's base (cut to segs), then random segments. */
    size_t n = 0;
    int have = 0;
    const char *p = r->base;
    while (*p && have < segs) {
        const char *q = strchr(p + 1, '/');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        memcpy(out + n, p, len);
        n += len;
        have++;
        p += len;
    }
    while (have < segs) {
        if (chance(0.25))
            n += (size_t)snprintf(out + n, size - n, "/id-%u", rnd(64));
        else
            n += (size_t)snprintf(out + n, size - n, "/%s",
                                  vocab[rnd(N_VOCAB)]);
        have++;
    }
    out[n] = '\0';
}

static void
gen_match(wmatch *m, const wroute *r, int profile, wl_stats *st)
{
    memset(m, 0, sizeof(*m));
    m->method = -1;
    int segs = 1 + (int)rnd(6);
    if (profile == WL_MIXED && chance(0.004)) {
        m->ptype = PT_REGEX;
        /* The base, then "/<word>/<digits>": a typical id route. */
        snprintf(m->path, sizeof(m->path), "%s", r->base);
        st->m_regex++;
    } else {
        m->ptype = chance(0.4) ? PT_EXACT : PT_PREFIX;
        make_path(m->path, sizeof(m->path), r, segs);
        if (m->ptype == PT_EXACT)
            st->m_exact++;
        else
            st->m_prefix++;
    }
    int nh = 0;
    if (profile == WL_MIXED) {
        double u = rnd01();
        nh = u < 0.05 ? 2 : u < 0.20 ? 1 : 0;
    } else if (profile == WL_HEADERS) {
        nh = chance(0.3) ? 2 : 1;
    }
    for (int i = 0; i < nh; i++) {
        int k;
        do
            k = (int)rnd(N_HDR_KINDS);
        while (i == 1 && k == m->hdr[0].kind);
        m->hdr[i].kind = k;
        m->hdr[i].vi = (int)rnd(4);
        m->hdr[i].regex = profile == WL_MIXED && k == 4 && chance(0.025);
    }
    m->n_hdr = nh;
    if (nh) {
        st->m_header++;
        st->n_header_preds += (size_t)nh;
    }
    if (profile == WL_MIXED && chance(0.10)) {
        m->method = (int)rnd(4);
        st->m_method++;
    }
    if (profile == WL_MIXED && chance(0.05)) {
        m->q.kind = (int)rnd(3);
        m->q.vi = (int)rnd(4);
        m->n_q = 1;
        st->m_query++;
    }
    st->matches++;
}

static void
gen_rule(wrule *ru, const wroute *r, int profile, wl_stats *st)
{
    memset(ru, 0, sizeof(*ru));
    double u = rnd01();
    ru->n_m = u < 0.01 ? 0 : u < 0.16 ? 2 : 1;
    if (ru->n_m == 0) {
        st->r_no_match++;
        st->matches++;
        st->m_prefix++;
    }
    if (ru->n_m == 2)
        st->r_multi_match++;
    for (int i = 0; i < ru->n_m; i++)
        gen_match(&ru->m[i], r, profile, st);
    static const int wsets[4][3] = {
        { 90, 10, 0 }, { 50, 50, 0 }, { 80, 20, 0 }, { 70, 20, 10 } };
    if (chance(0.15)) {
        int ws = (int)rnd(4);
        ru->n_be = ws == 3 ? 3 : 2;
        int first = (int)rnd(SVC_PER_NS);
        for (int i = 0; i < ru->n_be; i++) {
            ru->svc[i] = (first + i) % SVC_PER_NS;
            ru->w[i] = wsets[ws][i];
        }
        st->r_weighted++;
    } else {
        ru->n_be = 1;
        ru->svc[0] = (int)rnd(SVC_PER_NS);
        ru->w[0] = 1;
    }
    if (chance(0.02)) {
        ru->mirror = 1;
        ru->mir_svc = (int)rnd(SVC_PER_NS);
        ru->pct = chance(0.5);
        ru->mnum = ru->pct ? 10 : 1;
        ru->mden = ru->pct ? 100 : 8;
        st->r_mirror++;
    }
    if (chance(0.05)) {
        ru->hdrmod = 1;
        st->r_hdrmod++;
    }
    st->rules++;
}

/* ---- YAML ---------------------------------------------------------------- */

static void
emit_gateway(sbuf *b)
{
    sb_printf(b,
        "apiVersion: gateway.networking.k8s.io/v1\n"
        "kind: Gateway\n"
        "metadata:\n"
        "  name: gw\n"
        "  namespace: gateway-system\n"
        "  creationTimestamp: \"2025-12-01T00:00:00Z\"\n"
        "spec:\n"
        "  gatewayClassName: gwroute\n"
        "  listeners:\n"
        "  - name: http\n"
        "    port: 80\n"
        "    protocol: HTTP\n"
        "    allowedRoutes:\n"
        "      namespaces:\n"
        "        from: All\n");
}

static void
emit_service(sbuf *b, int ns, int svc)
{
    sb_printf(b,
        "---\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        "  name: svc-%d\n"
        "  namespace: team-%d\n"
        "  labels:\n"
        "    app: svc-%d\n"
        "spec:\n"
        "  type: ClusterIP\n"
        "  selector:\n"
        "    app: svc-%d\n"
        "  ports:\n"
        "  - name: http\n"
        "    port: 8080\n"
        "    protocol: TCP\n"
        "    targetPort: 8080\n",
        svc, ns, svc, svc);
}

static void
emit_timestamp(sbuf *b, int id)
{
    /* Groups of three routes share a timestamp, so the name tie-break
     * (§3.8 rule 8) is exercised too. */
    long t = (long)(id / 3) * 60;
    int day = 1 + (int)(t / 86400);
    t %= 86400;
    sb_printf(b, "  creationTimestamp: \"2026-01-%02dT%02ld:%02ld:%02ldZ\"\n",
              day, t / 3600, (t / 60) % 60, t % 60);
}

static void
emit_kv_list(sbuf *b, const char *key, const wkv *kv, int n, int is_query)
{
    sb_printf(b, "      %s:\n", key);
    for (int i = 0; i < n; i++) {
        if (is_query) {
            sb_printf(b,
                "      - name: %s\n"
                "        type: Exact\n"
                "        value: \"%s\"\n",
                q_names[kv[i].kind], q_values[kv[i].vi]);
        } else if (kv[i].regex) {
            sb_printf(b,
                "      - name: %s\n"
                "        type: RegularExpression\n"
                "        value: '(web|ios)-[0-9]+'\n",
                hdr_kinds[kv[i].kind].name);
        } else {
            sb_printf(b,
                "      - name: %s\n"
                "        type: Exact\n"
                "        value: \"%s\"\n",
                hdr_kinds[kv[i].kind].name,
                hdr_kinds[kv[i].kind].values[kv[i].vi]);
        }
    }
}

static const char *
route_name(char *buf, size_t size, const wroute *r)
{
    snprintf(buf, size, "%s-%d", vocab[(unsigned)r->id % N_VOCAB], r->id);
    return buf;
}

static void
emit_route(sbuf *b, const wroute *r, const whost *hosts)
{
    char name[48];
    route_name(name, sizeof(name), r);
    sb_printf(b,
        "---\n"
        "apiVersion: gateway.networking.k8s.io/v1\n"
        "kind: HTTPRoute\n"
        "metadata:\n"
        "  name: %s\n"
        "  namespace: team-%d\n",
        name, r->ns);
    emit_timestamp(b, r->id);
    sb_printf(b,
        "  labels:\n"
        "    app.kubernetes.io/name: %s\n"
        "spec:\n"
        "  parentRefs:\n"
        "  - group: gateway.networking.k8s.io\n"
        "    kind: Gateway\n"
        "    name: gw\n"
        "    namespace: gateway-system\n"
        "  hostnames:\n",
        name);
    for (int i = 0; i < r->n_host; i++)
        sb_printf(b, "  - \"%s\"\n", hosts[r->host[i]].name);
    sb_printf(b, "  rules:\n");
    for (int k = 0; k < r->n_rules; k++) {
        const wrule *ru = &r->rules[k];
        int first = 1;
        if (ru->n_m > 0) {
            sb_printf(b, "  - matches:\n");
            first = 0;
        }
        for (int i = 0; i < ru->n_m; i++) {
            const wmatch *m = &ru->m[i];
            if (m->ptype == PT_REGEX)
                sb_printf(b,
                    "    - path:\n"
                    "        type: RegularExpression\n"
                    "        value: '%s/[a-z]+/[0-9]+'\n",
                    m->path);
            else
                sb_printf(b,
                    "    - path:\n"
                    "        type: %s\n"
                    "        value: %s\n",
                    m->ptype == PT_EXACT ? "Exact" : "PathPrefix", m->path);
            if (m->method >= 0)
                sb_printf(b, "      method: %s\n", methods[m->method]);
            if (m->n_hdr)
                emit_kv_list(b, "headers", m->hdr, m->n_hdr, 0);
            if (m->n_q)
                emit_kv_list(b, "queryParams", &m->q, 1, 1);
        }
        if (ru->hdrmod || ru->mirror) {
            sb_printf(b, "  %s filters:\n", first ? "-" : " ");
            first = 0;
            if (ru->hdrmod)
                sb_printf(b,
                    "    - type: RequestHeaderModifier\n"
                    "      requestHeaderModifier:\n"
                    "        set:\n"
                    "        - name: x-route\n"
                    "          value: %s\n",
                    name);
            if (ru->mirror) {
                sb_printf(b,
                    "    - type: RequestMirror\n"
                    "      requestMirror:\n"
                    "        backendRef:\n"
                    "          name: svc-%d\n"
                    "          port: 8080\n",
                    ru->mir_svc);
                if (ru->pct)
                    sb_printf(b, "        percent: %u\n", ru->mnum);
                else
                    sb_printf(b,
                        "        fraction:\n"
                        "          numerator: %u\n"
                        "          denominator: %u\n",
                        ru->mnum, ru->mden);
            }
        }
        sb_printf(b, "  %s backendRefs:\n", first ? "-" : " ");
        for (int i = 0; i < ru->n_be; i++)
            sb_printf(b,
                "    - group: \"\"\n"
                "      kind: Service\n"
                "      name: svc-%d\n"
                "      port: 8080\n"
                "      weight: %d\n",
                ru->svc[i], ru->w[i]);
    }
}

/* ---- requests ------------------------------------------------------------ */

typedef struct reqb {
    char host[96];
    char path[256];
    const char *method;
    gwr_header h[12];
    char hval[12][80];         /* values that are built per request */
    int n_h;
} reqb;

static void
add_hdr(reqb *q, const char *name, const char *value)
{
    gwr_header *h = &q->h[q->n_h];
    h->name.ptr = name;
    h->name.len = strlen(name);
    snprintf(q->hval[q->n_h], sizeof(q->hval[0]), "%s", value);
    h->value.ptr = q->hval[q->n_h];
    h->value.len = strlen(q->hval[q->n_h]);
    q->n_h++;
}

static void
common_headers(reqb *q)
{
    char v[80];
    add_hdr(q, "user-agent", "Mozilla/5.0 (X11; Linux x86_64) gwbench/1.0");
    add_hdr(q, "accept", "text/html,application/json;q=0.9,*/*;q=0.8");
    add_hdr(q, "accept-encoding", "gzip, deflate, br");
    add_hdr(q, "accept-language", "en-US,en;q=0.5");
    snprintf(v, sizeof(v), "%016llx",
             (unsigned long long)wl_next(&g_rng));
    add_hdr(q, "x-request-id", v);
    snprintf(v, sizeof(v), "10.%u.%u.%u", rnd(256), rnd(256), rnd(256));
    add_hdr(q, "x-forwarded-for", v);
}

static void
request_host(reqb *q, const wroute *r, const whost *hosts)
{
    const whost *h = &hosts[r->host[rnd((uint32_t)r->n_host)]];
    if (h->wild)
        snprintf(q->host, sizeof(q->host), "client%u%s", rnd(1000),
                 h->name + 1);
    else
        snprintf(q->host, sizeof(q->host), "%s", h->name);
    if (chance(0.02))
        q->host[0] = (char)(q->host[0] - 'a' + 'A');
    if (chance(0.03))
        strcat(q->host, ":80");
}

static void
request_for_match(reqb *q, const wroute *r, const wrule *ru,
                  const whost *hosts)
{
    request_host(q, r, hosts);
    common_headers(q);
    q->method = chance(0.85) ? "GET" : "POST";
    if (ru->n_m == 0) {
        snprintf(q->path, sizeof(q->path), "%s/%s", r->base,
                 vocab[rnd(N_VOCAB)]);
        return;
    }
    const wmatch *m = &ru->m[rnd((uint32_t)ru->n_m)];
    size_t n;
    switch (m->ptype) {
    case PT_EXACT:
        n = (size_t)snprintf(q->path, sizeof(q->path), "%s", m->path);
        break;
    case PT_REGEX:
        n = (size_t)snprintf(q->path, sizeof(q->path), "%s/%s/%u", m->path,
                             chance(0.9) ? "items" : "X", rnd(100000));
        break;
    default: {
        n = (size_t)snprintf(q->path, sizeof(q->path), "%s", m->path);
        int extra = (int)rnd(3);
        for (int i = 0; i < extra; i++)
            n += (size_t)snprintf(q->path + n, sizeof(q->path) - n, "/%s",
                                  chance(0.5) ? vocab[rnd(N_VOCAB)] : "42");
        if (chance(0.1))
            n += (size_t)snprintf(q->path + n, sizeof(q->path) - n, "/");
        break;
    }
    }
    if (m->method >= 0)
        q->method = chance(0.9) ? methods[m->method] : methods[rnd(4)];
    for (int i = 0; i < m->n_hdr; i++) {
        const hdr_kind *k = &hdr_kinds[m->hdr[i].kind];
        const char *nm = chance(0.3) ? k->cap_name : k->name;
        char v[32];
        if (m->hdr[i].regex)
            snprintf(v, sizeof(v), "%s-%u", chance(0.9) ? "ios" : "tv",
                     rnd(1000));
        else
            snprintf(v, sizeof(v), "%s",
                     k->values[chance(0.9) ? m->hdr[i].vi : (int)rnd(4)]);
        add_hdr(q, nm, v);
    }
    if (m->n_q) {
        n += (size_t)snprintf(q->path + n, sizeof(q->path) - n, "?%s=%s",
                              q_names[m->q.kind],
                              q_values[chance(0.9) ? m->q.vi : (int)rnd(4)]);
        if (chance(0.3))
            snprintf(q->path + n, sizeof(q->path) - n, "&page=2");
    } else if (chance(0.2)) {
        snprintf(q->path + n, sizeof(q->path) - n, "?page=%u&sort=asc",
                 rnd(50));
    }
}

static int
store_request(wl_workload *w, const reqb *q, gwr_request *out, uint64_t seed)
{
    int err = 0;
    gwr_request r = GWR_REQUEST_INIT;
    r.method = arena_str(w, q->method, strlen(q->method), &err);
    r.host = arena_str(w, q->host, strlen(q->host), &err);
    r.path = arena_str(w, q->path, strlen(q->path), &err);
    gwr_header *h = arena_alloc(w, sizeof(gwr_header) * (size_t)q->n_h);
    if (h == NULL)
        return -1;
    for (int i = 0; i < q->n_h; i++) {
        h[i].name = q->h[i].name;  /* static strings */
        h[i].value = arena_str(w, q->h[i].value.ptr, q->h[i].value.len,
                               &err);
    }
    r.headers = h;
    r.n_headers = (size_t)q->n_h;
    r.port = 80;
    r.flags = GWR_REQ_SEEDED;
    r.seed = seed;
    *out = r;
    w->st.req_headers += (size_t)q->n_h;
    return err ? -1 : 0;
}

/* ---- build --------------------------------------------------------------- */

int
wl_build(const wl_opts *o, wl_workload *w)
{
    memset(w, 0, sizeof(*w));
    w->opts = *o;
    g_rng = o->seed ^ ((uint64_t)o->rules * 0x100000001b3ULL) ^
            ((uint64_t)o->profile << 56);
    wl_stats *st = &w->st;
    int rc = -1;
    size_t N = o->rules ? o->rules : 1;
    size_t per_text = o->routes_per_text ? o->routes_per_text : 2500;

    /* Routes and their rule counts. */
    size_t cap_routes = N / 4 + 1;
    wroute *routes = calloc(cap_routes, sizeof(*routes));
    size_t H = N / 20 < 4 ? 4 : N / 20;
    whost *hosts = calloc(H, sizeof(*hosts));
    double *cdf = NULL;
    size_t *perm = NULL;
    if (routes == NULL || hosts == NULL)
        goto out;
    size_t R = 0, left = N;
    while (left > 0) {
        size_t k = 4 + rnd(5);
        if (k > left)
            k = left;
        routes[R].n_rules = (int)k;
        routes[R].id = (int)R;
        R++;
        left -= k;
    }
    st->routes = R;
    size_t NS = R / 40 < 4 ? 4 : R / 40;
    st->namespaces = NS;
    st->services = NS * SVC_PER_NS;

    /* Hostnames: zones of ~8 names, one wildcard per zone at most. */
    size_t Z = H / 8 < 2 ? 2 : H / 8;
    unsigned char *zone_wild = calloc(Z, 1);
    if (zone_wild == NULL)
        goto out;
    for (size_t i = 0; i < H; i++) {
        size_t z = rnd((uint32_t)Z);
        if (chance(0.2) && !zone_wild[z]) {
            zone_wild[z] = 1;
            hosts[i].wild = 1;
            snprintf(hosts[i].name, sizeof(hosts[i].name),
                     "*.z%zu.example.com", z);
            st->wild_hostnames++;
        } else {
            snprintf(hosts[i].name, sizeof(hosts[i].name),
                     "%s-%zu.z%zu.example.com",
                     host_words[rnd(N_HOST_WORDS)], i, z);
        }
    }
    free(zone_wild);
    st->hostnames = H;

    /* Route content. */
    for (size_t i = 0; i < R; i++) {
        wroute *r = &routes[i];
        r->ns = (int)rnd((uint32_t)NS);
        r->n_host = chance(0.15) ? 2 : 1;
        r->host[0] = (int)rnd((uint32_t)H);
        do
            r->host[1] = (int)rnd((uint32_t)H);
        while (r->n_host == 2 && H > 1 && r->host[1] == r->host[0]);
        r->base_segs = chance(0.5) ? 2 : 1;
        if (r->base_segs == 2)
            snprintf(r->base, sizeof(r->base), "/%s/%s", vocab[rnd(N_VOCAB)],
                     vocab[rnd(N_VOCAB)]);
        else
            snprintf(r->base, sizeof(r->base), "/%s", vocab[rnd(N_VOCAB)]);
        r->rules = calloc((size_t)r->n_rules, sizeof(wrule));
        if (r->rules == NULL)
            goto out;
        for (int k = 0; k < r->n_rules; k++)
            gen_rule(&r->rules[k], r, o->profile, st);
    }

    /* YAML texts: infra (Gateway + Services), then routes in chunks. */
    size_t n_route_texts = (R + per_text - 1) / per_text;
    w->texts = calloc(1 + n_route_texts, sizeof(wl_text));
    if (w->texts == NULL)
        goto out;
    {
        sbuf b = { 0 };
        emit_gateway(&b);
        st->documents++;
        for (size_t ns = 0; ns < NS; ns++)
            for (int s = 0; s < SVC_PER_NS; s++) {
                emit_service(&b, (int)ns, s);
                st->documents++;
            }
        if (b.err)
            goto out;
        w->texts[0].ptr = b.ptr;
        w->texts[0].len = b.len;
        snprintf(w->texts[0].name, sizeof(w->texts[0].name), "infra.yaml");
        w->n_texts = 1;
    }
    for (size_t t = 0; t < n_route_texts; t++) {
        sbuf b = { 0 };
        for (size_t i = t * per_text; i < R && i < (t + 1) * per_text; i++) {
            emit_route(&b, &routes[i], hosts);
            st->documents++;
        }
        if (b.err) {
            free(b.ptr);
            goto out;
        }
        wl_text *tx = &w->texts[w->n_texts++];
        tx->ptr = b.ptr;
        tx->len = b.len;
        snprintf(tx->name, sizeof(tx->name), "routes-%03zu.yaml", t);
    }
    for (size_t t = 0; t < w->n_texts; t++)
        st->yaml_bytes += w->texts[t].len;

    /* Weighted-pick and mirror inputs. */
    w->cum = malloc(sizeof(uint32_t) * 3 * (st->r_weighted + 1));
    w->cum_off = malloc(sizeof(size_t) * (st->r_weighted + 1));
    w->cum_n = malloc(sizeof(size_t) * (st->r_weighted + 1));
    w->mir_num = malloc(sizeof(uint32_t) * (st->r_mirror + 1));
    w->mir_den = malloc(sizeof(uint32_t) * (st->r_mirror + 1));
    if (!w->cum || !w->cum_off || !w->cum_n || !w->mir_num || !w->mir_den)
        goto out;
    {
        size_t off = 0;
        for (size_t i = 0; i < R; i++)
            for (int k = 0; k < routes[i].n_rules; k++) {
                const wrule *ru = &routes[i].rules[k];
                if (ru->n_be > 1) {
                    w->cum_off[w->n_cum] = off;
                    w->cum_n[w->n_cum] = (size_t)ru->n_be;
                    uint32_t sum = 0;
                    for (int j = 0; j < ru->n_be; j++) {
                        sum += (uint32_t)ru->w[j];
                        w->cum[off++] = sum;
                    }
                    w->n_cum++;
                }
                if (ru->mirror) {
                    w->mir_num[w->n_mir] = ru->mnum;
                    w->mir_den[w->n_mir] = ru->mden;
                    w->n_mir++;
                }
            }
    }

    /* Request stream: Zipf over a random permutation of the routes. */
    cdf = malloc(sizeof(double) * R);
    perm = malloc(sizeof(size_t) * R);
    w->reqs = calloc(o->n_requests ? o->n_requests : 1, sizeof(gwr_request));
    if (cdf == NULL || perm == NULL || w->reqs == NULL)
        goto out;
    {
        double sum = 0;
        for (size_t i = 0; i < R; i++) {
            sum += 1.0 / pow((double)(i + 1), o->zipf_s);
            cdf[i] = sum;
            perm[i] = i;
        }
        for (size_t i = 0; i < R; i++)
            cdf[i] /= sum;
        for (size_t i = R; i > 1; i--) {
            size_t j = rnd((uint32_t)i);
            size_t t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
    }
    for (size_t i = 0; i < o->n_requests; i++) {
        reqb q;
        memset(&q, 0, sizeof(q));
        double u = rnd01();
        size_t lo = 0, hi = R - 1;
        double x = rnd01();
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < x)
                lo = mid + 1;
            else
                hi = mid;
        }
        const wroute *r = &routes[perm[lo]];
        if (u < o->miss_rate / 2) {
            snprintf(q.host, sizeof(q.host), "unknown%u.example.net",
                     rnd(100000));
            common_headers(&q);
            q.method = "GET";
            snprintf(q.path, sizeof(q.path), "%s/%s", r->base,
                     vocab[rnd(N_VOCAB)]);
            st->req_miss_host++;
        } else if (u < o->miss_rate) {
            request_host(&q, r, hosts);
            common_headers(&q);
            q.method = "GET";
            snprintf(q.path, sizeof(q.path), "/zz-nothing%u/%s", rnd(1000),
                     vocab[rnd(N_VOCAB)]);
            st->req_miss_path++;
        } else {
            const wrule *ru = &r->rules[rnd((uint32_t)r->n_rules)];
            request_for_match(&q, r, ru, hosts);
            st->req_hit++;
        }
        if (store_request(w, &q, &w->reqs[i], wl_next(&g_rng)) != 0)
            goto out;
    }
    w->n_reqs = o->n_requests;
    rc = 0;

out:
    if (routes != NULL)
        for (size_t i = 0; i < cap_routes; i++)
            free(routes[i].rules);
    free(routes);
    free(hosts);
    free(cdf);
    free(perm);
    if (rc != 0)
        wl_free(w);
    return rc;
}

void
wl_free(wl_workload *w)
{
    for (size_t i = 0; i < w->n_texts; i++)
        free(w->texts[i].ptr);
    free(w->texts);
    free(w->reqs);
    free(w->cum);
    free(w->cum_off);
    free(w->cum_n);
    free(w->mir_num);
    free(w->mir_den);
    while (w->arena != NULL) {
        wl_arena_blk *n = w->arena->next;
        free(w->arena);
        w->arena = n;
    }
    memset(w, 0, sizeof(*w));
}

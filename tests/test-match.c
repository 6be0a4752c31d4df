/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The routing core through the public API: precedence (§3.8), listener
 * selection and isolation, predicates, filters, weights and mirror
 * sampling statistics, the zero-allocation steady state, refcounts and a
 * multi-threaded hot swap, and allocation-failure sweeps over compile and
 * match.
 */
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define GWR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static gwr_str
S(const char *s)
{
    gwr_str r = { s, strlen(s) };
    return r;
}

static int
eq(gwr_str a, const char *b)
{
    return a.len == strlen(b) && memcmp(a.ptr, b, a.len) == 0;
}

static const char gw_yaml[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: Gateway\n"
    "metadata: {name: gw, namespace: ns}\n"
    "spec:\n"
    "  gatewayClassName: c\n"
    "  listeners:\n"
    "  - {name: any, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: wild, port: 80, protocol: HTTP, hostname: '*.example.com',"
    " allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: tls, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]},"
    " allowedRoutes: {namespaces: {from: All}}}\n"
    "---\n"
    "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: ns}\n"
    "spec: {ports: [{port: 80}]}\n"
    "---\n"
    "apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: ns}\n"
    "spec: {ports: [{port: 80}]}\n"
    "---\n"
    "apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: ns}\n"
    "spec: {ports: [{port: 80, appProtocol: kubernetes.io/h2c}]}\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
    "metadata: {name: a-1, namespace: ns, labels: {kubernetes.io/service-name: a}}\n"
    "addressType: IPv4\n"
    "ports: [{port: 8080}]\n"
    "endpoints:\n"
    "- addresses: [10.0.0.1]\n"
    "- addresses: [10.0.0.2]\n"
    "  conditions: {ready: false}\n";

typedef struct fixture {
    gwr_ctx *ctx;
    gwr_table *t;
    gwr_decision *d;
} fixture;

static int
build(gwr_ctx *ctx, const char *routes, const char *gw_ns, const char *gw_name,
      gwr_table **out)
{
    gwr_config *cfg = NULL;
    int rc = gwr_config_new(&cfg, ctx);
    if (rc != GWR_OK)
        return rc;
    rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, S(gw_yaml), S("gw.yaml"));
    if (rc == GWR_OK && routes != NULL)
        rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, S(routes), S("routes.yaml"));
    if (rc != GWR_OK && rc != GWR_E_NOMEM) {
        char line[512];
        for (size_t i = 0; i < gwr_config_diag_count(cfg); i++) {
            gwr_diag_format(gwr_config_diag(cfg, i), line, sizeof(line));
            fprintf(stderr, "# %s\n", line);
        }
    }
    if (rc == GWR_OK) {
        gwr_compile_opts o = GWR_COMPILE_OPTS_INIT;
        if (gw_ns != NULL) {
            o.gateway_ns = S(gw_ns);
            o.gateway_name = S(gw_name);
        }
        rc = gwr_table_compile(out, cfg, &o);
    }
    gwr_config_free(cfg);
    return rc;
}

static void
fx_init(fixture *f, const char *routes)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(gwr_ctx_new(&f->ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(build(f->ctx, routes, NULL, NULL, &f->t), GWR_OK);
    assert_int_equal(gwr_decision_new(&f->d, f->ctx), GWR_OK);
}

static void
fx_free(fixture *f)
{
    gwr_decision_free(f->d);
    gwr_table_unref(f->t);
    gwr_ctx_free(f->ctx);
}

/* Match "METHOD host path" with headers "n: v" separated by '|'. */
static const gwr_decision *
m(fixture *f, const char *method, const char *host, const char *path,
  const char *headers, uint32_t port, uint64_t seed)
{
    gwr_header hs[16];
    char buf[512];
    size_t nh = 0;
    if (headers != NULL) {
        snprintf(buf, sizeof(buf), "%s", headers);
        for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok;
             tok = strtok_r(NULL, "|", &save)) {
            char *c = strchr(tok, ':');
            assert_non_null(c);
            *c = '\0';
            hs[nh].name = S(tok);
            hs[nh].value = S(c + 2);
            nh++;
        }
    }
    gwr_request r = GWR_REQUEST_INIT;
    r.method = S(method);
    r.host = S(host);
    r.path = S(path);
    r.headers = hs;
    r.n_headers = nh;
    r.port = port;
    r.scheme = S(port == 443 ? "https" : "http");
    r.flags = GWR_REQ_SEEDED;
    r.seed = seed;
    assert_int_equal(gwr_table_match(f->t, &r, f->d), GWR_OK);
    return f->d;
}

static void
expect(const gwr_decision *d, const char *route, int rule)
{
    if (route == NULL) {
        assert_int_equal(gwr_decision_result(d), GWR_RESULT_NO_ROUTE);
        assert_int_equal(gwr_decision_status(d), 404);
        return;
    }
    gwr_str n = gwr_decision_route_name(d);
    if (!eq(n, route))
        fail_msg("route %.*s, want %s", (int)n.len, n.ptr, route);
    assert_int_equal(gwr_decision_rule_index(d), rule);
}

#define ROUTE_HDR(name, extra)                                                 \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"        \
    "metadata: {name: " name ", namespace: ns" extra "}\n"                     \
    "spec:\n  parentRefs: [{name: gw, sectionName: any}]\n"

/* ---- precedence --------------------------------------------------------- */

static void
test_match_precedence_rows(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("r1", "")
        "  rules:\n"
        "  - matches: [{path: {type: PathPrefix, value: /}}]\n"            /* 0 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /foo}}]\n"         /* 1 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /foo/}}]\n"        /* 2 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: Exact, value: /foo/bar}}]\n"          /* 3 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: RegularExpression, value: '/foo/b.*'}}]\n" /* 4 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, method: GET}]\n" /* 5 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, headers: [{name: h, value: v},"
        " {name: i, value: v}]}]\n"                                         /* 6 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, headers: [{name: h, value: v}],"
        " queryParams: [{name: q, value: v}]}]\n"                           /* 7 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, headers: [{name: h, value: v}]}]\n" /* 8 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, queryParams: [{name: q, value: v},"
        " {name: r, value: v}]}]\n"                                         /* 9 */
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /m}, queryParams: [{name: q, value: v}]}]\n" /* 10 */
        "    backendRefs: [{name: a, port: 80}]\n";
    fixture f;
    fx_init(&f, routes);
    expect(m(&f, "GET", "h", "/x", NULL, 80, 1), "r1", 0);
    /* Longer prefix, trailing '/' counted as written (rule 3). */
    expect(m(&f, "GET", "h", "/foo", NULL, 80, 1), "r1", 2);
    expect(m(&f, "GET", "h", "/foo/x", NULL, 80, 1), "r1", 2);
    expect(m(&f, "GET", "h", "/foox", NULL, 80, 1), "r1", 0);
    /* Exact > RegularExpression > PathPrefix. */
    expect(m(&f, "GET", "h", "/foo/bar", NULL, 80, 1), "r1", 3);
    expect(m(&f, "GET", "h", "/foo/baz", NULL, 80, 1), "r1", 4);
    /* Method beats header count; header count beats query count. */
    expect(m(&f, "GET", "h", "/m", "h: v|i: v", 80, 1), "r1", 5);
    expect(m(&f, "PUT", "h", "/m?q=v&r=v", "h: v|i: v", 80, 1), "r1", 6);
    expect(m(&f, "PUT", "h", "/m?q=v&r=v", "h: v", 80, 1), "r1", 7);
    expect(m(&f, "PUT", "h", "/m", "h: v", 80, 1), "r1", 8);
    expect(m(&f, "PUT", "h", "/m?q=v&r=v", NULL, 80, 1), "r1", 9);
    expect(m(&f, "PUT", "h", "/m?r=v&q=v", NULL, 80, 1), "r1", 9);
    expect(m(&f, "PUT", "h", "/m?q=v", NULL, 80, 1), "r1", 10);
    /* Header names are case-insensitive, values are not. */
    expect(m(&f, "PUT", "h", "/m", "H: v", 80, 1), "r1", 8);
    expect(m(&f, "PUT", "h", "/m", "h: V", 80, 1), "r1", 0);
    /* Query names are case-sensitive; first value of a repeated one. */
    expect(m(&f, "PUT", "h", "/m?Q=v", NULL, 80, 1), "r1", 0);
    expect(m(&f, "PUT", "h", "/m?q=x&q=v", NULL, 80, 1), "r1", 0);
    expect(m(&f, "PUT", "h", "/m?q=%76", NULL, 80, 1), "r1", 10);
    fx_free(&f);
}

static void
test_match_precedence_across_routes(void **state)
{
    (void)state;
    static const char routes[] =
        /* Same match everywhere: only the route-level keys differ. */
        ROUTE_HDR("zz-old", ", creationTimestamp: '2020-01-01T00:00:00Z'")
        "  rules: [{backendRefs: [{name: a, port: 80}]}]\n"
        ROUTE_HDR("aa-new", ", creationTimestamp: '2021-01-01T00:00:00Z'")
        "  rules: [{backendRefs: [{name: a, port: 80}]}]\n"
        ROUTE_HDR("aa-none", "")
        "  rules: [{backendRefs: [{name: a, port: 80}]}]\n"
        /* Hostname specificity beats everything else. */
        ROUTE_HDR("host-exact", "")
        "  hostnames: [foo.example.net]\n"
        "  rules: [{matches: [{path: {type: PathPrefix, value: /}}],"
        " backendRefs: [{name: a, port: 80}]}]\n"
        ROUTE_HDR("host-wild", "")
        "  hostnames: ['*.example.net']\n"
        "  rules: [{matches: [{path: {type: Exact, value: /x}}],"
        " backendRefs: [{name: a, port: 80}]}]\n";
    fixture f;
    fx_init(&f, routes);
    expect(m(&f, "GET", "bar.org", "/x", NULL, 80, 1), "zz-old", 0);
    expect(m(&f, "GET", "foo.example.net", "/x", NULL, 80, 1), "host-exact", 0);
    expect(m(&f, "GET", "FOO.example.net.:80", "/x", NULL, 80, 1), "host-exact", 0);
    expect(m(&f, "GET", "a.b.example.net", "/x", NULL, 80, 1), "host-wild", 0);
    expect(m(&f, "GET", "a.b.example.net", "/y", NULL, 80, 1), "zz-old", 0);
    fx_free(&f);

    static const char routes2[] =
        ROUTE_HDR("bb", "")
        "  rules: [{backendRefs: [{name: a, port: 80}]}]\n"
        ROUTE_HDR("aa", "")
        "  rules: [{backendRefs: [{name: a, port: 80}]}]\n";
    fx_init(&f, routes2);
    /* No timestamps: "{namespace}/{name}" decides. */
    expect(m(&f, "GET", "x", "/", NULL, 80, 1), "aa", 0);
    fx_free(&f);
}

static void
test_match_listener_isolation(void **state)
{
    (void)state;
    static const char routes[] =
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: on-wild, namespace: ns}\n"
        "spec:\n  parentRefs: [{name: gw, sectionName: wild}]\n"
        "  rules: [{matches: [{path: {type: PathPrefix, value: /w}}],"
        " backendRefs: [{name: a, port: 80}]}]\n"
        ROUTE_HDR("on-any", "")
        "  rules: [{backendRefs: [{name: b, port: 80}]}]\n";
    fixture f;
    fx_init(&f, routes);
    expect(m(&f, "GET", "x.example.com", "/w", NULL, 80, 1), "on-wild", 0);
    /* The wildcard listener took the host: no fallback to "any". */
    expect(m(&f, "GET", "x.example.com", "/other", NULL, 80, 1), NULL, 0);
    expect(m(&f, "GET", "x.example.org", "/other", NULL, 80, 1), "on-any", 0);
    /* Wrong port / scheme: no listener. */
    expect(m(&f, "GET", "x.example.org", "/", NULL, 8080, 1), NULL, 0);
    fx_free(&f);
}

/* §3.1 step 5: over TLS the server name picks the listener and the Host
 * must land on the same one (else 421); cleartext ignores the name; a
 * caller built before gwr_request.sni existed is read without it. */
static const char sni_routes[] =
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: tls, namespace: ns}\n"
    "spec:\n"
    "  gatewayClassName: c\n"
    "  listeners:\n"
    "  - {name: plain, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]},"
    " allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: exact, port: 443, protocol: HTTPS, hostname: exact.example.org,"
    " tls: {certificateRefs: [{name: c}]}, allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: wild, port: 443, protocol: HTTPS, hostname: '*.example.org',"
    " tls: {certificateRefs: [{name: c}]}, allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: rpc, port: 443, protocol: HTTPS, hostname: grpc.net,"
    " tls: {certificateRefs: [{name: c}]}, allowedRoutes: {namespaces: {from: All}}}\n"
    "  - {name: clear, port: 80, protocol: HTTP, hostname: exact.example.org,"
    " allowedRoutes: {namespaces: {from: All}}}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r-plain, namespace: ns}\n"
    "spec: {parentRefs: [{name: tls, sectionName: plain}], rules: [{backendRefs: [{name: a, port: 80}]}]}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r-exact, namespace: ns}\n"
    "spec: {parentRefs: [{name: tls, sectionName: exact}], rules: [{backendRefs: [{name: a, port: 80}]}]}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r-wild, namespace: ns}\n"
    "spec: {parentRefs: [{name: tls, sectionName: wild}], rules: [{backendRefs: [{name: a, port: 80}]}]}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r-clear, namespace: ns}\n"
    "spec: {parentRefs: [{name: tls, sectionName: clear}], rules: [{backendRefs: [{name: a, port: 80}]}]}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n"
    "metadata: {name: g-rpc, namespace: ns}\n"
    "spec: {parentRefs: [{name: tls, sectionName: rpc}],"
    " rules: [{backendRefs: [{name: c, port: 80}]}]}\n";

static const gwr_decision *
sni_match(fixture *f, const char *scheme, uint32_t port, const char *host,
          const char *sni)
{
    gwr_request r = GWR_REQUEST_INIT;
    r.scheme = S(scheme);
    r.host = S(host);
    r.path = S("/x");
    r.port = port;
    if (sni != NULL)
        r.sni = S(sni);
    r.flags = GWR_REQ_SEEDED;
    assert_int_equal(gwr_table_match(f->t, &r, f->d), GWR_OK);
    return f->d;
}

static void
expect_misdirected(const gwr_decision *d)
{
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(d), 421);
    assert_null(gwr_decision_backend(d));
    assert_int_equal(gwr_decision_route_name(d).len, 0);
    assert_int_equal(gwr_decision_rule_index(d), -1);
}

static void
test_match_tls_server_name(void **state)
{
    (void)state;
    fixture f;
    memset(&f, 0, sizeof(f));
    assert_int_equal(gwr_ctx_new(&f.ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(build(f.ctx, sni_routes, "ns", "tls", &f.t), GWR_OK);
    assert_int_equal(gwr_decision_new(&f.d, f.ctx), GWR_OK);
    /* Server name and Host agree: routed on that listener. */
    expect(sni_match(&f, "https", 443, "exact.example.org", "exact.example.org"), "r-exact", 0);
    expect(sni_match(&f, "https", 443, "a.example.org", "a.example.org"), "r-wild", 0);
    expect(sni_match(&f, "https", 443, "other.net", "other.net"), "r-plain", 0);
    /* Different names that select the same listener are fine. */
    expect(sni_match(&f, "https", 443, "b.example.org", "a.example.org"), "r-wild", 0);
    expect(sni_match(&f, "https", 443, "one.net", "two.net"), "r-plain", 0);
    /* Both normalized like a Host: case, one trailing dot, Host port. */
    expect(sni_match(&f, "https", 443, "Exact.Example.ORG:443", "EXACT.example.org."),
           "r-exact", 0);
    /* The Host has a more specific listener than the server name's. */
    expect_misdirected(sni_match(&f, "https", 443, "exact.example.org", "a.example.org"));
    expect_misdirected(sni_match(&f, "https", 443, "a.example.org", "other.net"));
    /* The server name's listener does not take the Host; another does. */
    expect_misdirected(sni_match(&f, "https", 443, "other.net", "exact.example.org"));
    expect_misdirected(sni_match(&f, "https", 443, "other.net", "a.example.org"));
    /* Not a host name (port, IPv6 literal, empty label, space): it selects
     * no listener, so any Host some listener takes is misdirected. */
    static const char *const bad[] = { "exact.example.org:443", "[::1]",
                                       "a..example.org", "a b.example.org",
                                       ".example.org" };
    for (size_t i = 0; i < GWR_ARRAY_LEN(bad); i++)
        expect_misdirected(sni_match(&f, "https", 443, "exact.example.org", bad[i]));
    /* No listener for the Host at all: 404, whatever the server name. */
    expect(sni_match(&f, "https", 8443, "exact.example.org", "exact.example.org"), NULL, 0);
    /* No server name: the Host alone chooses, as before. */
    expect(sni_match(&f, "https", 443, "exact.example.org", NULL), "r-exact", 0);
    expect(sni_match(&f, "https", 443, "exact.example.org", ""), "r-exact", 0);
    /* Cleartext ignores it (and so does an empty scheme, read as http). */
    expect(sni_match(&f, "http", 80, "exact.example.org", "other.net"), "r-clear", 0);
    expect(sni_match(&f, "", 80, "exact.example.org", "[::1]"), "r-clear", 0);

    /* A gRPC call that is misdirected answers 421 itself: no gRPC status
     * stands for it, so the host sends the HTTP status (the client retries
     * on a new connection, RFC 9110 §15.5.20). */
    gwr_header ct = { S("content-type"), S("application/grpc") };
    gwr_request g = GWR_REQUEST_INIT;
    g.method = S("POST");
    g.scheme = S("https");
    g.host = S("exact.example.org");
    g.path = S("/pkg.Svc/Get");
    g.headers = &ct;
    g.n_headers = 1;
    g.port = 443;
    g.sni = S("other.net");
    assert_int_equal(gwr_table_match(f.t, &g, f.d), GWR_OK);
    expect_misdirected(f.d);
    assert_int_equal(gwr_decision_grpc(f.d), 1);
    assert_int_equal(gwr_decision_grpc_status(f.d), GWR_GRPC_NONE);
    g.sni = S("grpc.net");
    g.host = S("grpc.net");
    assert_int_equal(gwr_table_match(f.t, &g, f.d), GWR_OK);
    expect(f.d, "g-rpc", 0);

    /* A caller built before the field existed: its struct ends at seed, and
     * whatever follows in its memory is not read (here a server name that
     * would misdirect the request). */
    gwr_request old = GWR_REQUEST_INIT;
    old.size = offsetof(gwr_request, seed) + sizeof(uint64_t);
    old.scheme = S("https");
    old.host = S("exact.example.org");
    old.path = S("/x");
    old.port = 443;
    old.sni = S("other.net");
    assert_int_equal(gwr_table_match(f.t, &old, f.d), GWR_OK);
    expect(f.d, "r-exact", 0);
    /* With GWR_REQ_NO_COPY the decision views the same request. */
    gwr_request nc = GWR_REQUEST_INIT;
    nc.scheme = S("https");
    nc.host = S("a.example.org");
    nc.path = S("/x");
    nc.port = 443;
    nc.sni = S("A.EXAMPLE.ORG");
    nc.flags = GWR_REQ_NO_COPY;
    assert_int_equal(gwr_table_match(f.t, &nc, f.d), GWR_OK);
    expect(f.d, "r-wild", 0);
    fx_free(&f);
}

/* ---- decision content ----------------------------------------------------- */

static void
test_match_decision_content(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("full", "")
        "  rules:\n"
        "  - name: main\n"
        "    matches: [{path: {type: PathPrefix, value: /api}}]\n"
        "    filters:\n"
        "    - type: RequestHeaderModifier\n"
        "      requestHeaderModifier: {set: [{name: X-Set, value: s}],"
        " add: [{name: X-Add, value: a2}], remove: [x-gone]}\n"
        "    - type: URLRewrite\n"
        "      urlRewrite: {hostname: up.example, path: {type: ReplacePrefixMatch,"
        " replacePrefixMatch: /v2}}\n"
        "    - type: ResponseHeaderModifier\n"
        "      responseHeaderModifier: {set: [{name: R, value: '1'}], remove: [Server]}\n"
        "    - type: RequestMirror\n"
        "      requestMirror: {backendRef: {name: b, port: 80}, fraction: {numerator: 1,"
        " denominator: 2}}\n"
        "    - type: RequestMirror\n"
        "      requestMirror: {backendRef: {name: missing, port: 80}}\n"
        "    - type: ExtensionRef\n"
        "      extensionRef: {group: ext.io, kind: Auth, name: x}\n"
        "    backendRefs:\n"
        "    - name: a\n      port: 80\n"
        "      filters:\n"
        "      - type: RequestHeaderModifier\n"
        "        requestHeaderModifier: {add: [{name: X-Backend, value: a}]}\n"
        "    timeouts: {request: 10s, backendRequest: 2s}\n"
        "  - matches: [{path: {type: Exact, value: /h2}}]\n"
        "    backendRefs: [{name: c, port: 80}]\n"
        "  - matches: [{path: {type: Exact, value: /none}}]\n"
        "  - matches: [{path: {type: Exact, value: /zero}}]\n"
        "    backendRefs: [{name: a, port: 80, weight: 0}]\n";
    fixture f;
    fx_init(&f, routes);
    const gwr_decision *d = m(&f, "POST", "Foo.Org:8080", "/api/x/../items?id=1",
                              "X-Set: old|x-set: old2|X-Add: a1|X-Gone: g|Other: o",
                              80, 7);
    expect(d, "full", 0);
    assert_true(eq(gwr_decision_rule_name(d), "main"));
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_FORWARD);
    assert_int_equal(gwr_decision_status(d), 0);
    assert_true(eq(gwr_decision_upstream_method(d), "POST"));
    assert_true(eq(gwr_decision_upstream_host(d), "up.example"));
    assert_true(eq(gwr_decision_upstream_path(d), "/v2/items?id=1"));
    assert_int_equal(gwr_decision_upstream_header_count(d), 4);
    const gwr_header *h = gwr_decision_upstream_header(d, 0);
    assert_true(eq(h->name, "X-Set") && eq(h->value, "s"));
    h = gwr_decision_upstream_header(d, 1);
    assert_true(eq(h->name, "X-Add") && eq(h->value, "a1,a2"));
    h = gwr_decision_upstream_header(d, 2);
    assert_true(eq(h->name, "Other") && eq(h->value, "o"));
    h = gwr_decision_upstream_header(d, 3);
    assert_true(eq(h->name, "X-Backend") && eq(h->value, "a"));
    assert_null(gwr_decision_upstream_header(d, 4));
    const gwr_backend *b = gwr_decision_backend(d);
    assert_non_null(b);
    assert_true(eq(gwr_backend_name(b), "a"));
    assert_true(eq(gwr_backend_namespace(b), "ns"));
    assert_true(eq(gwr_backend_kind(b), "Service"));
    assert_int_equal(gwr_backend_port(b), 80);
    assert_int_equal(gwr_backend_protocol(b), GWR_BACKEND_HTTP);
    assert_int_equal(gwr_backend_endpoint_count(b), 1);
    gwr_str addr;
    uint32_t port = 0;
    assert_int_equal(gwr_backend_endpoint(b, 0, &addr, &port), GWR_OK);
    assert_true(eq(addr, "10.0.0.1"));
    assert_int_equal(port, 8080);
    assert_int_equal(gwr_backend_endpoint(b, 1, &addr, &port), GWR_E_RANGE);
    assert_int_equal(gwr_decision_response_header_count(d, GWR_HEADERS_SET), 1);
    assert_int_equal(gwr_decision_response_header_count(d, GWR_HEADERS_ADD), 0);
    assert_int_equal(gwr_decision_response_header_count(d, GWR_HEADERS_REMOVE), 1);
    assert_true(eq(gwr_decision_response_header(d, GWR_HEADERS_REMOVE, 0)->name,
                   "Server"));
    /* The invalid mirror is dropped. */
    assert_int_equal(gwr_decision_mirror_count(d), 1);
    int sampled = -1;
    assert_true(eq(gwr_backend_name(gwr_decision_mirror(d, 0, &sampled)), "b"));
    assert_true(sampled == 0 || sampled == 1);
    assert_int_equal(gwr_decision_extension_count(d), 1);
    gwr_str g, k, n;
    assert_int_equal(gwr_decision_extension(d, 0, &g, &k, &n), GWR_OK);
    assert_true(eq(g, "ext.io") && eq(k, "Auth") && eq(n, "x"));
    assert_int_equal(gwr_decision_timeout_ms(d), 10000);
    assert_int_equal(gwr_decision_backend_timeout_ms(d), 2000);
    assert_int_equal(gwr_decision_has_retry(d), 0);

    d = m(&f, "GET", "x", "/h2", NULL, 80, 7);
    assert_int_equal(gwr_backend_protocol(gwr_decision_backend(d)), GWR_BACKEND_H2C);
    assert_int_equal(gwr_backend_endpoint_count(gwr_decision_backend(d)), 0);
    d = m(&f, "GET", "x", "/none", NULL, 80, 7);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(d), 500);
    assert_null(gwr_decision_backend(d));
    d = m(&f, "GET", "x", "/zero", NULL, 80, 7);
    assert_int_equal(gwr_decision_status(d), 500);
    d = m(&f, "GET", "x", "/a/%2F/b", NULL, 80, 7);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(d), 400);
    d = m(&f, "GET", "bad host!", "/", NULL, 80, 7);
    assert_int_equal(gwr_decision_status(d), 400);
    fx_free(&f);
}

static int
two_fields(size_t index, gwr_header *out, void *ud)
{
    const gwr_header *hs = ud;
    if (index >= 2)
        return 0;
    *out = hs[index];
    return 1;
}

/* GWR_REQ_NO_COPY: the decision views the caller's request (same
 * pointers) where nothing changed it, and still owns what filters built. */
/* The common rule (no filters, one backendRef of weight > 0) is taken by
 * the walk without reading the rule (lib/table_int.h TBL_ENTRY_SIMPLE):
 * every accessor must still see the rule through the match, and the
 * neighbours of that case (weight 0, an unresolved backend, a second
 * backendRef, a filter) must take the full path with the same answers. */
static void
test_match_simple_forward(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("simple", "")
        "  rules:\n"
        "  - name: plain\n"
        "    matches: [{path: {type: PathPrefix, value: /p}}]\n"
        "    backendRefs: [{name: a, port: 80}]\n"
        "    timeouts: {request: 7s, backendRequest: 3s}\n"
        "    retry: {codes: [503], attempts: 4, backoff: 250ms}\n"
        "  - name: zero\n"
        "    matches: [{path: {type: Exact, value: /zero}}]\n"
        "    backendRefs: [{name: a, port: 80, weight: 0}]\n"
        "  - name: unresolved\n"
        "    matches: [{path: {type: Exact, value: /missing}}]\n"
        "    backendRefs: [{name: nosuch, port: 80}]\n"
        "  - name: two\n"
        "    matches: [{path: {type: Exact, value: /two}}]\n"
        "    backendRefs: [{name: a, port: 80, weight: 0}, {name: b, port: 80}]\n"
        "  - name: filtered\n"
        "    matches: [{path: {type: Exact, value: /f}}]\n"
        "    filters: [{type: RequestHeaderModifier, requestHeaderModifier:"
        " {set: [{name: x-f, value: '1'}]}}]\n"
        "    backendRefs: [{name: b, port: 80}]\n";
    fixture f;
    fx_init(&f, routes);

    const gwr_decision *d = m(&f, "GET", "h.test", "/p/x", NULL, 80, 1);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_FORWARD);
    expect(d, "simple", 0);
    assert_true(eq(gwr_decision_rule_name(d), "plain"));
    assert_true(eq(gwr_decision_route_namespace(d), "ns"));
    assert_true(eq(gwr_decision_route_kind(d), "HTTPRoute"));
    assert_true(eq(gwr_backend_name(gwr_decision_backend(d)), "a"));
    assert_int_equal(gwr_decision_timeout_ms(d), 7000);
    assert_int_equal(gwr_decision_backend_timeout_ms(d), 3000);
    assert_true(gwr_decision_has_retry(d));
    assert_int_equal(gwr_decision_retry_attempts(d), 4);
    assert_int_equal(gwr_decision_retry_backoff_ms(d), 250);
    const uint16_t *codes = NULL;
    assert_int_equal(gwr_decision_retry_codes(d, &codes), 1);
    assert_int_equal(codes[0], 503);
    assert_int_equal(gwr_decision_rule_backend_count(d), 1);
    uint32_t w = 0, fl = 0;
    const gwr_backend *be = gwr_decision_rule_backend(d, 0, &w, &fl);
    assert_ptr_equal(be, gwr_decision_backend(d));
    assert_int_equal(w, 1);
    assert_int_equal(fl, GWR_RULE_BACKEND_CHOSEN);

    /* Only weight 0: 500, no backend, the rule still reported. */
    d = m(&f, "GET", "h.test", "/zero", NULL, 80, 1);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(d), 500);
    assert_null(gwr_decision_backend(d));
    expect(d, "simple", 1);

    /* One backendRef that does not resolve: 500 as well. */
    d = m(&f, "GET", "h.test", "/missing", NULL, 80, 1);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(d), 500);
    expect(d, "simple", 2);
    assert_int_equal(gwr_decision_rule_backend_count(d), 1);
    gwr_decision_rule_backend(d, 0, &w, &fl);
    assert_int_equal(fl, GWR_RULE_BACKEND_INVALID);

    /* Two backendRefs, the first of weight 0: always the second. */
    for (uint64_t seed = 1; seed < 50; seed++) {
        d = m(&f, "GET", "h.test", "/two", NULL, 80, seed);
        assert_true(eq(gwr_backend_name(gwr_decision_backend(d)), "b"));
    }
    expect(d, "simple", 3);
    assert_int_equal(gwr_decision_rule_backend_count(d), 2);

    /* A filter: the full path; its edit shows. */
    d = m(&f, "GET", "h.test", "/f", NULL, 80, 1);
    expect(d, "simple", 4);
    assert_true(eq(gwr_backend_name(gwr_decision_backend(d)), "b"));
    int seen = 0;
    for (size_t i = 0; i < gwr_decision_upstream_header_count(d); i++) {
        const gwr_header *h = gwr_decision_upstream_header(d, i);
        seen |= eq(h->name, "x-f") && eq(h->value, "1");
    }
    assert_true(seen);

    /* A miss after a simple forward reads as no route at all. */
    d = m(&f, "GET", "h.test", "/nothing", NULL, 80, 1);
    expect(d, NULL, 0);
    assert_int_equal(gwr_decision_rule_index(d), -1);
    assert_int_equal(gwr_decision_rule_backend_count(d), 0);
    assert_int_equal(gwr_decision_timeout_ms(d), -1);
    fx_free(&f);
}

static void
test_match_no_copy_views(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("nc", "")
        "  rules:\n"
        "  - matches: [{path: {type: PathPrefix, value: /keep}}]\n"
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /rw}}]\n"
        "    filters:\n"
        "    - type: RequestHeaderModifier\n"
        "      requestHeaderModifier: {add: [{name: X-A, value: '2'}]}\n"
        "    - type: URLRewrite\n"
        "      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}\n"
        "    backendRefs: [{name: a, port: 80}]\n";
    fixture f;
    fx_init(&f, routes);
    char target[] = "/keep/x?q=1";
    char host[] = "h.example";
    gwr_header hs[2] = { { S("X-A"), S("1") }, { S("Accept"), S("*/*") } };
    gwr_request r = GWR_REQUEST_INIT;
    r.method = S("PUT");
    r.host = S(host);
    r.path = S(target);
    r.headers = hs;
    r.n_headers = 2;
    r.flags = GWR_REQ_SEEDED | GWR_REQ_NO_COPY;
    assert_int_equal(gwr_table_match(f.t, &r, f.d), GWR_OK);
    expect(f.d, "nc", 0);
    gwr_str up = gwr_decision_upstream_path(f.d);
    assert_ptr_equal(up.ptr, target);
    assert_int_equal(up.len, strlen(target));
    assert_ptr_equal(gwr_decision_upstream_host(f.d).ptr, host);
    assert_ptr_equal(gwr_decision_upstream_method(f.d).ptr, r.method.ptr);
    assert_ptr_equal(gwr_decision_upstream_header(f.d, 1)->value.ptr, hs[1].value.ptr);
    /* The same request without the flag gets copies. */
    r.flags = GWR_REQ_SEEDED;
    assert_int_equal(gwr_table_match(f.t, &r, f.d), GWR_OK);
    up = gwr_decision_upstream_path(f.d);
    assert_true(up.ptr != target && eq(up, "/keep/x?q=1"));
    assert_true(gwr_decision_upstream_host(f.d).ptr != host);

    /* Rewritten path and an appended header value live in the decision;
     * untouched fields are still views. */
    char target2[] = "/rw/y?z";
    r.path = S(target2);
    r.flags = GWR_REQ_SEEDED | GWR_REQ_NO_COPY;
    assert_int_equal(gwr_table_match(f.t, &r, f.d), GWR_OK);
    expect(f.d, "nc", 1);
    assert_true(eq(gwr_decision_upstream_path(f.d), "/v2/y?z"));
    const gwr_header *h = gwr_decision_upstream_header(f.d, 0);
    assert_true(eq(h->name, "X-A") && eq(h->value, "1,2"));
    assert_ptr_equal(gwr_decision_upstream_header(f.d, 1)->name.ptr, hs[1].name.ptr);

    /* A normalized path is decision-owned; with its query it is copied. */
    char target3[] = "/keep/a/../b?k";
    r.path = S(target3);
    assert_int_equal(gwr_table_match(f.t, &r, f.d), GWR_OK);
    assert_true(eq(gwr_decision_upstream_path(f.d), "/keep/b?k"));

    /* Fields from a header_fn: the decision lists them and views their
     * bytes, which the caller keeps. */
    r.path = S(target);
    r.headers = NULL;
    r.n_headers = 0;
    r.header_fn = two_fields;
    r.header_ud = hs;
    assert_int_equal(gwr_table_match(f.t, &r, f.d), GWR_OK);
    assert_int_equal(gwr_decision_upstream_header_count(f.d), 2);
    assert_ptr_equal(gwr_decision_upstream_header(f.d, 0)->name.ptr, hs[0].name.ptr);
    assert_ptr_equal(gwr_decision_upstream_header(f.d, 1)->value.ptr, hs[1].value.ptr);
    assert_null(gwr_decision_upstream_header(f.d, 2));
    fx_free(&f);
}

/* PathPrefix keys ending at every offset of the 8-byte words the matcher
 * hashes the request path in (lib/swar.h), and hosts whose wildcard
 * suffixes start at every offset of the words read from the right. */
static void
test_match_prefix_and_suffix_offsets(void **state)
{
    (void)state;
    char routes[16384], *o = routes;
    size_t left = sizeof(routes);
    int w;
    /* PathPrefix "/s/" + k 'x' (k = 1..24): rule k - 1 of route o1 for
     * k <= 12, rule k - 13 of o2 above (16 rules at most per route). */
    for (int k = 1; k <= 24; k++) {
        if (k == 1 || k == 13) {
            w = snprintf(o, left, k == 1 ? ROUTE_HDR("o1", "") "  rules:\n"
                                         : ROUTE_HDR("o2", "") "  rules:\n");
            o += w, left -= (size_t)w;
        }
        w = snprintf(o, left, "  - matches: [{path: {type: PathPrefix, value: "
                     "'/s/%.*s'}}]\n    backendRefs: [{name: a, port: 80}]\n",
                     k, "xxxxxxxxxxxxxxxxxxxxxxxx");
        o += w, left -= (size_t)w;
    }
    /* wildcard routes: "*.<k labels>" */
    for (int k = 1; k <= 12; k++) {
        w = snprintf(o, left, "---\napiVersion: gateway.networking.k8s.io/v1\n"
                     "kind: HTTPRoute\nmetadata: {name: w%d, namespace: ns}\n"
                     "spec:\n  parentRefs: [{name: gw, sectionName: any}]\n"
                     "  hostnames: ['*.%.*sexample']\n"
                     "  rules: [{backendRefs: [{name: a, port: 80}]}]\n",
                     k, 2 * (k - 1), "q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q");
        o += w, left -= (size_t)w;
    }
    assert_true(left > 0);
    fixture f;
    fx_init(&f, routes);
    char path[64], host[64];
#define OFFSET_RULE(k) ((k) <= 12 ? "o1" : "o2"), ((k) <= 12 ? (k) - 1 : (k) - 13)
    for (int k = 1; k <= 24; k++) {
        snprintf(path, sizeof(path), "/s/%.*s/t", k, "xxxxxxxxxxxxxxxxxxxxxxxx");
        expect(m(&f, "GET", "h", path, NULL, 80, 1), OFFSET_RULE(k));
        snprintf(path, sizeof(path), "/s/%.*s", k, "xxxxxxxxxxxxxxxxxxxxxxxx");
        expect(m(&f, "GET", "h", path, NULL, 80, 1), OFFSET_RULE(k));
        /* "/s/xxx" + "y" is under no rule: element-wise prefixes only. */
        snprintf(path, sizeof(path), "/s/%.*sy", k, "xxxxxxxxxxxxxxxxxxxxxxxx");
        expect(m(&f, "GET", "h", path, NULL, 80, 1), NULL, 0);
    }
    /* "<label>." + (k-1) "q." + "example": the longest wildcard wins. */
    for (int k = 1; k <= 12; k++) {
        char name[8];
        snprintf(host, sizeof(host), "abcdefg.%.*sexample", 2 * (k - 1),
                 "q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q.q");
        snprintf(name, sizeof(name), "w%d", k);
        expect(m(&f, "GET", host, "/", NULL, 80, 1), name, 0);
    }
    fx_free(&f);
}

static void
test_match_implicit_listener(void **state)
{
    (void)state;
    static const char cfg_yaml[] =
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: r, namespace: default}\n"
        "spec:\n  parentRefs: [{name: nothing}]\n  hostnames: [a.com]\n"
        "  rules: [{backendRefs: [{name: s, port: 80}]}]\n";
    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    gwr_table *t = NULL;
    gwr_decision *d = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML, S(cfg_yaml), S("x")),
                     GWR_OK);
    gwr_compile_opts o = GWR_COMPILE_OPTS_INIT;
    char err[128] = "";
    o.errbuf = err;
    o.errbuf_size = sizeof(err);
    o.gateway_ns = S("x");
    o.gateway_name = S("y");
    assert_int_equal(gwr_table_compile(&t, cfg, &o), GWR_E_NOT_FOUND);
    assert_null(t);
    assert_string_equal(err, "no Gateway x/y is loaded");
    o.gateway_ns.len = 0;
    assert_int_equal(gwr_table_compile(&t, cfg, &o), GWR_E_INVAL);
    assert_int_equal(gwr_table_compile(&t, cfg, NULL), GWR_OK);
    gwr_config_free(cfg);
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    gwr_request r = GWR_REQUEST_INIT;
    r.host = S("a.com");
    r.path = S("/anything");
    r.port = 12345;
    assert_int_equal(gwr_table_match(t, &r, d), GWR_OK);
    assert_true(eq(gwr_decision_route_name(d), "r"));
    r.host = S("b.com");
    assert_int_equal(gwr_table_match(t, &r, d), GWR_OK);
    assert_int_equal(gwr_decision_status(d), 404);
    /* Size-versioned request: a bigger struct with a non-zero tail. */
    struct { gwr_request r; uint64_t extra; } big;
    memset(&big, 0, sizeof(big));
    big.r = r;
    big.r.size = sizeof(big);
    big.extra = 1;
    assert_int_equal(gwr_table_match(t, &big.r, d), GWR_E_ABI);
    big.extra = 0;
    assert_int_equal(gwr_table_match(t, &big.r, d), GWR_OK);
    assert_int_equal(gwr_table_match(NULL, &r, d), GWR_E_INVAL);
    gwr_decision_free(d);
    gwr_table_unref(t);
    gwr_ctx_free(ctx);
}

/* ---- statistics ------------------------------------------------------------ */

static void
test_match_weights_and_sampling(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("w", "")
        "  rules:\n"
        "  - filters:\n"
        "    - {type: RequestMirror, requestMirror: {backendRef: {name: b, port: 80},"
        " percent: 20}}\n"
        "    backendRefs: [{name: a, port: 80, weight: 70}, {name: b, port: 80,"
        " weight: 30}, {name: c, port: 80, weight: 0},"
        " {name: missing, port: 80, weight: 10}]\n";
    fixture f;
    fx_init(&f, routes);
    enum { N = 100000 };
    size_t counts[4] = { 0, 0, 0, 0 }, mirrored = 0;
    for (uint64_t s = 0; s < N; s++) {
        const gwr_decision *d = m(&f, "GET", "h", "/", NULL, 80, s * 0x9e3779b97f4a7c15u);
        const gwr_backend *b = gwr_decision_backend(d);
        if (b == NULL) {
            assert_int_equal(gwr_decision_status(d), 500);
            counts[3]++;
        } else {
            counts[gwr_backend_name(b).ptr[0] - 'a']++;
        }
        int sampled = 0;
        gwr_decision_mirror(d, 0, &sampled);
        mirrored += (size_t)sampled;
    }
    assert_int_equal(counts[2], 0);   /* weight 0 never */
    /* Binomial bounds at 5 sigma: p = 70/110, 30/110, 10/110, 0.2. */
    const double p[4] = { 70.0 / 110, 30.0 / 110, 0, 10.0 / 110 };
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0)
            continue;
        double sd = sqrt(N * p[i] * (1 - p[i]));
        if (fabs((double)counts[i] - N * p[i]) > 5 * sd)
            fail_msg("backend %d: %zu of %d, expected %.0f", i, counts[i], N, N * p[i]);
    }
    double sd = sqrt(N * 0.2 * 0.8);
    assert_true(fabs((double)mirrored - N * 0.2) < 5 * sd);
    /* The exported sampler agrees with exact fractions. */
    size_t hits = 0;
    for (uint64_t s = 0; s < N; s++)
        hits += (size_t)gwr_sample_fraction(s, 42, 25, 50);
    assert_true(fabs((double)hits - N * 0.5) < 5 * sqrt(N * 0.25));
    assert_int_equal(gwr_sample_fraction(1, 2, 0, 100), 0);
    assert_int_equal(gwr_sample_fraction(1, 2, 100, 100), 1);
    assert_int_equal(gwr_sample_fraction(1, 2, 1, 0), 0);
    /* Same seed, same decision. */
    const gwr_decision *d = m(&f, "GET", "h", "/", NULL, 80, 99);
    gwr_str first = gwr_backend_name(gwr_decision_backend(d));
    char keep[32];
    snprintf(keep, sizeof(keep), "%.*s", (int)first.len, first.ptr);
    for (int i = 0; i < 10; i++)
        assert_true(eq(gwr_backend_name(gwr_decision_backend(m(&f, "GET", "h", "/",
                                                                NULL, 80, 99))), keep));
    fx_free(&f);
}

/* ---- zero allocation --------------------------------------------------------- */

static void
test_match_steady_state_no_alloc(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("z", "")
        "  rules:\n"
        "  - matches: [{path: {type: RegularExpression, value: '/r/[a-z]+'},"
        " headers: [{name: h, type: RegularExpression, value: 'v.*'}]}]\n"
        "    filters:\n"
        "    - type: RequestHeaderModifier\n"
        "      requestHeaderModifier: {add: [{name: h, value: more}]}\n"
        "    - type: URLRewrite\n"
        "      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /x}}\n"
        "    backendRefs: [{name: a, port: 80}]\n"
        "  - matches: [{path: {type: PathPrefix, value: /redir}}]\n"
        "    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]\n";
    test_alloc ta;
    test_alloc_init(&ta);
    fixture f;
    memset(&f, 0, sizeof(f));
    assert_int_equal(gwr_ctx_new(&f.ctx, &ta.hooks, NULL, NULL), GWR_OK);
    assert_int_equal(build(f.ctx, routes, NULL, NULL, &f.t), GWR_OK);
    assert_int_equal(gwr_decision_new(&f.d, f.ctx), GWR_OK);
    const char *paths[] = { "/r/abc?q=1", "/redir/x?y", "/nothing", "/r/x" };
    for (int round = 0; round < 2; round++) {
        size_t before = ta.calls;
        for (size_t i = 0; i < GWR_ARRAY_LEN(paths); i++) {
            const gwr_decision *d = m(&f, "GET", "h.example", paths[i],
                                      "h: v1|h: v2|x: y", 80, 5);
            if (i == 0) {
                gwr_str v = gwr_decision_upstream_header(d, 1)->value;
                assert_true(eq(v, "v2,more"));
                /* Returned views are NUL-terminated (common.h), a joined
                 * value and the upstream path included (fuzz finding F2). */
                assert_int_equal(v.ptr[v.len], '\0');
                gwr_str up = gwr_decision_upstream_path(d);
                assert_true(eq(up, "/x?q=1"));
                assert_int_equal(up.ptr[up.len], '\0');
            }
            if (i == 1)
                assert_int_equal(gwr_decision_result(d), GWR_RESULT_REDIRECT);
        }
        if (round == 1 && ta.calls != before)
            fail_msg("steady-state matches allocated %zu times", ta.calls - before);
    }
    fx_free(&f);
    assert_int_equal(ta.live, 0);
}


/* ---- refcount and hot swap ---------------------------------------------------- */

typedef struct swap_state {
    gwr_table *current;
    pthread_mutex_t lock;      /* guards current, stop and the counters */
    int stop;
    gwr_ctx *ctx;
    size_t matched;
    size_t bad;                /* wrong results seen by workers */
} swap_state;

/* Workers never call cmocka asserts (cmocka is not thread-safe): they
 * count what they see and the main thread judges after joining. */
static void *
swap_worker(void *arg)
{
    swap_state *s = arg;
    gwr_ctx *ctx = NULL;
    gwr_decision *d = NULL;
    size_t bad = 0;
    if (gwr_ctx_new(&ctx, NULL, NULL, NULL) != GWR_OK ||
        gwr_decision_new(&d, ctx) != GWR_OK) {
        pthread_mutex_lock(&s->lock);
        s->bad++;
        pthread_mutex_unlock(&s->lock);
        gwr_ctx_free(ctx);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->lock);
        int stop = s->stop;
        gwr_table *t = gwr_table_ref(s->current);
        pthread_mutex_unlock(&s->lock);
        if (stop) {
            gwr_table_unref(t);
            break;
        }
        gwr_request r = GWR_REQUEST_INIT;
        r.host = S("h");
        r.path = S("/x");
        int rc = gwr_table_match(t, &r, d);
        /* The host drops its own reference right away: the decision's
         * keeps the table (and every view read from it) alive. */
        gwr_table_unref(t);
        if (rc != GWR_OK || gwr_decision_result(d) != GWR_RESULT_FORWARD ||
            gwr_decision_route_name(d).len != 2)
            bad++;
        pthread_mutex_lock(&s->lock);
        s->matched++;
        pthread_mutex_unlock(&s->lock);
    }
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
    pthread_mutex_lock(&s->lock);
    s->bad += bad;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static size_t
swap_matched(swap_state *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->matched;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void
test_match_hot_swap_threads(void **state)
{
    (void)state;
    static const char *const gens[2] = {
        ROUTE_HDR("g0", "") "  rules: [{backendRefs: [{name: a, port: 80}]}]\n",
        ROUTE_HDR("g1", "") "  rules: [{backendRefs: [{name: b, port: 80}]}]\n",
    };
    swap_state s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lock, NULL);
    assert_int_equal(gwr_ctx_new(&s.ctx, NULL, NULL, NULL), GWR_OK);
    gwr_table *t0 = NULL;
    assert_int_equal(build(s.ctx, gens[0], NULL, NULL, &t0), GWR_OK);
    s.current = t0;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, swap_worker, &s), 0);
    /* Swap at least 30 times, and keep swapping until the workers have
     * matched a fair amount, however the scheduler treats them. */
    for (int i = 1; i <= 30 || swap_matched(&s) < 400; i++) {
        gwr_table *nt = NULL;
        assert_int_equal(build(s.ctx, gens[i & 1], NULL, NULL, &nt), GWR_OK);
        pthread_mutex_lock(&s.lock);
        gwr_table *old = s.current;
        s.current = nt;
        pthread_mutex_unlock(&s.lock);
        gwr_table_unref(old);   /* workers may still hold it */
    }
    pthread_mutex_lock(&s.lock);
    s.stop = 1;
    pthread_mutex_unlock(&s.lock);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    gwr_table_unref(s.current);
    gwr_ctx_free(s.ctx);
    pthread_mutex_destroy(&s.lock);
    assert_int_equal(s.bad, 0);
    assert_true(s.matched >= 400);
}

static void
test_match_refcount(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL), GWR_OK);
    gwr_table *t = NULL;
    assert_int_equal(build(ctx, ROUTE_HDR("r", "") "  rules: [{}]\n", NULL, NULL, &t),
                     GWR_OK);
    assert_true(gwr_table_entry_count(t) >= 1);
    assert_ptr_equal(gwr_table_ref(t), t);
    gwr_table_unref(t);
    gwr_decision *d = NULL;
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    gwr_ctx_free(ctx);          /* objects keep the context alive */
    gwr_request r = GWR_REQUEST_INIT;
    r.path = S("/");
    assert_int_equal(gwr_table_match(t, &r, d), GWR_OK);
    gwr_table_unref(t);         /* the decision still pins it */
    assert_true(eq(gwr_decision_route_name(d), "r"));
    assert_int_equal(gwr_decision_status(d), 500);   /* no backendRefs */
    /* reset releases the table now, keeping only the decision's memory. */
    size_t live_with_table = ta.live;
    gwr_decision_reset(d);
    assert_true(ta.live < live_with_table);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_NO_ROUTE);
    assert_int_equal(gwr_decision_rule_index(d), -1);
    assert_int_equal(gwr_decision_route_name(d).len, 0);
    /* A failed match also leaves the decision reading as never matched. */
    assert_int_equal(gwr_table_match(NULL, &r, d), GWR_E_INVAL);
    assert_int_equal(gwr_decision_rule_index(d), -1);
    gwr_decision_free(d);
    assert_int_equal(ta.live, 0);
    gwr_table_unref(NULL);
    gwr_decision_reset(NULL);
    gwr_decision_free(NULL);
    assert_null(gwr_table_ref(NULL));
}

/* ---- allocation-failure sweeps ---------------------------------------------- */

static int
sweep_compile_match(gwr_ctx *ctx, void *ud)
{
    gwr_table *t = NULL;
    int rc = build(ctx, ud, NULL, NULL, &t);
    if (rc != GWR_OK)
        return rc;
    gwr_decision *d = NULL;
    rc = gwr_decision_new(&d, ctx);
    if (rc == GWR_OK) {
        gwr_header hs[2] = { { GWR_STR_LIT("h"), GWR_STR_LIT("v") },
                             { GWR_STR_LIT("h"), GWR_STR_LIT("w") } };
        gwr_request r = GWR_REQUEST_INIT;
        r.host = S("h.example.net");
        r.path = S("/api/a?x=1");
        r.headers = hs;
        r.n_headers = 2;
        r.flags = GWR_REQ_SEEDED;
        rc = gwr_table_match(t, &r, d);
        if (rc == GWR_OK && gwr_decision_result(d) != GWR_RESULT_FORWARD)
            rc = GWR_E_STATE;
    }
    gwr_decision_free(d);
    gwr_table_unref(t);
    return rc;
}

static void
test_match_alloc_failure_sweep(void **state)
{
    (void)state;
    static const char routes[] =
        ROUTE_HDR("s", "")
        "  hostnames: ['*.example.net']\n"
        "  rules:\n"
        "  - matches: [{path: {type: PathPrefix, value: /api}, headers:"
        " [{name: h, type: RegularExpression, value: 'v.*'}]}]\n"
        "    filters:\n"
        "    - type: RequestHeaderModifier\n"
        "      requestHeaderModifier: {add: [{name: h, value: x}], set: [{name: n, value: y}]}\n"
        "    - type: URLRewrite\n"
        "      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}\n"
        "    - type: RequestMirror\n"
        "      requestMirror: {backendRef: {name: b, port: 80}}\n"
        "    backendRefs: [{name: a, port: 80}]\n";
    size_t n = test_alloc_sweep(sweep_compile_match, (void *)routes);
    assert_true(n > 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_precedence_rows),
        cmocka_unit_test(test_match_precedence_across_routes),
        cmocka_unit_test(test_match_listener_isolation),
        cmocka_unit_test(test_match_tls_server_name),
        cmocka_unit_test(test_match_decision_content),
        cmocka_unit_test(test_match_no_copy_views),
        cmocka_unit_test(test_match_prefix_and_suffix_offsets),
        cmocka_unit_test(test_match_implicit_listener),
        cmocka_unit_test(test_match_simple_forward),
        cmocka_unit_test(test_match_weights_and_sampling),
        cmocka_unit_test(test_match_steady_state_no_alloc),
        cmocka_unit_test(test_match_refcount),
        cmocka_unit_test(test_match_hot_swap_threads),
        cmocka_unit_test(test_match_alloc_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

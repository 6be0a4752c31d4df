/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The CORS filter (lib/cors.h, spec §4.7): Origin parsing and matching,
 * the answer's fields, and through the public API the preflight (204,
 * answered), an allowed request going on with its fields, the fields
 * outliving the request, filter order, a policy at the backendRef, and
 * an allocation-failure sweep over a preflight.
 */
#include <string.h>

#include "cors.h"
#include "helpers.h"

static gwr_str
S(const char *s)
{
    return (gwr_str){ s, strlen(s) };
}

static int
eq(gwr_str a, const char *b)
{
    return a.len == strlen(b) && memcmp(a.ptr, b, a.len) == 0;
}

/* ---- origins -------------------------------------------------------------- */

static void
test_cors_parse_origin(void **state)
{
    (void)state;
    gwr_cors__origin o;
    assert_true(gwr_cors__parse_origin(S("https://www.foo.com"), &o));
    assert_true(o.https && o.port == 443 && eq(o.host, "www.foo.com"));
    assert_true(gwr_cors__parse_origin(S("http://a.b:8080"), &o));
    assert_true(!o.https && o.port == 8080 && eq(o.host, "a.b"));
    assert_true(gwr_cors__parse_origin(S("HTTP://A.B"), &o));
    assert_true(o.port == 80 && eq(o.host, "A.B"));
    assert_true(gwr_cors__parse_origin(S("https://[::1]:8443"), &o));
    assert_true(o.port == 8443 && eq(o.host, "[::1]"));
    static const char *const bad[] = {
        "null", "", "https://", "https:/a.com", "ftp://a.com", "https://a.com/",
        "https://a.com/x", "https://a.com:", "https://a.com:0", "https://a.com:65536",
        "https://a.com:123456", "https://a.com:8x", "https://a.com,https://b.com",
        "https://a com", "https://*.a.com", "*", "https://[::1", " https://a.com",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (gwr_cors__parse_origin(S(bad[i]), &o))
            fail_msg("\"%s\" parsed as an origin", bad[i]);
}

/* A policy from allowOrigins entries (arena-backed, freed by the caller). */
static gwr_cors__policy *
policy(gwr_arena *a, const char *const *origins, size_t n, int credentials)
{
    static gwr_str items[8];
    gwr_cors in;
    memset(&in, 0, sizeof(in));
    for (size_t i = 0; i < n; i++)
        items[i] = S(origins[i]);
    in.allow_origins.items = items;
    in.allow_origins.n = n;
    in.allow_credentials = credentials;
    in.max_age_s = 5;
    gwr_cors__policy *p = NULL;
    assert_int_equal(gwr_cors__compile(a, &in, &p), GWR_OK);
    return p;
}

static void
test_cors_origin_ok(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_arena a;
    gwr_arena__init(&a, ctx);
    static const char *const list[] = { "https://www.foo.com", "https://*.Bar.com",
                                        "http://*:8080", "http://x.org:81" };
    gwr_cors__policy *p = policy(&a, list, 4, 0);
    static const char *const yes[] = {
        "https://www.foo.com", "https://WWW.FOO.COM", "https://www.foo.com:443",
        "HTTPS://www.foo.com", "https://a.bar.com", "https://x.y.z.bar.com",
        "https://A.BAR.COM", "http://anything.example:8080", "http://x.org:81",
    };
    static const char *const no[] = {
        "http://www.foo.com", "https://www.foo.com:8443", "https://foo.com",
        "https://bar.com", "https://xbar.com", "http://a.bar.com",
        "http://anything.example", "https://anything.example:8080", "http://x.org",
        "null", "https://www.foo.com/", "https://www.foo.com, https://a.bar.com",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!gwr_cors__origin_ok(p, S(yes[i])))
            fail_msg("\"%s\" refused", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (gwr_cors__origin_ok(p, S(no[i])))
            fail_msg("\"%s\" allowed", no[i]);
    static const char *const any[] = { "*" };
    gwr_cors__policy *all = policy(&a, any, 1, 0);
    assert_true(gwr_cors__origin_ok(all, S("https://foobar.com:12345")));
    assert_true(gwr_cors__origin_ok(all, S("http://a")));
    assert_false(gwr_cors__origin_ok(all, S("null")));      /* opaque: never */
    assert_false(gwr_cors__origin_ok(all, S("not an origin")));
    static const char *const none[] = { "https://a.com" };
    gwr_cors__policy *one = policy(&a, none, 0, 0);          /* no entries */
    assert_false(gwr_cors__origin_ok(one, S("https://a.com")));
    gwr_arena__free(&a);
    gwr_ctx_free(ctx);
}

static void
test_cors_fields(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_arena a;
    gwr_arena__init(&a, ctx);
    gwr_str methods[] = { S("GET"), S("OPTIONS") }, star[] = { S("*") };
    gwr_str hdrs[] = { S("x-a"), S("x-b") }, expose[] = { S("x-c") };
    gwr_cors in;
    memset(&in, 0, sizeof(in));
    in.allow_origins.items = star;
    in.allow_origins.n = 1;
    in.allow_methods.items = methods;
    in.allow_methods.n = 2;
    in.allow_headers.items = hdrs;
    in.allow_headers.n = 2;
    in.expose_headers.items = expose;
    in.expose_headers.n = 1;
    in.allow_credentials = 1;
    in.max_age_s = 3600;
    gwr_cors__policy *p = NULL;
    assert_int_equal(gwr_cors__compile(&a, &in, &p), GWR_OK);
    gwr_header f[GWR_CORS__MAX_FIELDS];
    size_t n = gwr_cors__fields(p, 1, S("https://o.com"), S("PUT"), S("x-z"), f);
    static const char *const want[][2] = {
        { "access-control-allow-origin", "https://o.com" },
        { "access-control-allow-methods", "GET, OPTIONS" },
        { "access-control-allow-headers", "x-a, x-b" },
        { "access-control-max-age", "3600" },
        { "access-control-expose-headers", "x-c" },
        { "access-control-allow-credentials", "true" },
    };
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_true(eq(f[i].name, want[i][0]) && eq(f[i].value, want[i][1]));
    /* An allowed request that is not a preflight: origin, expose, creds. */
    n = gwr_cors__fields(p, 0, S("https://o.com"), S(""), S(""), f);
    assert_int_equal(n, 3);
    assert_true(eq(f[1].name, "access-control-expose-headers"));
    /* Under "*" the requested method and headers are echoed; without a
     * list and without credentials those fields are left out. */
    in.allow_methods.items = star;
    in.allow_methods.n = 1;
    in.allow_headers.items = star;
    in.allow_headers.n = 1;
    in.expose_headers.n = 0;
    in.allow_credentials = 0;
    in.max_age_s = 5;
    assert_int_equal(gwr_cors__compile(&a, &in, &p), GWR_OK);
    n = gwr_cors__fields(p, 1, S("https://o.com"), S("PATCH"), S("x-q"), f);
    assert_int_equal(n, 4);
    assert_true(eq(f[1].value, "PATCH") && eq(f[2].value, "x-q") && eq(f[3].value, "5"));
    n = gwr_cors__fields(p, 1, S("https://o.com"), S("PATCH"), S(""), f);
    assert_int_equal(n, 3);   /* no requested headers: no allow-headers */
    gwr_arena__free(&a);
    gwr_ctx_free(ctx);
}

/* ---- through the public API ------------------------------------------------ */

static const char cors_yaml[] =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
    "metadata: {name: gw, namespace: ns}\n"
    "spec:\n  gatewayClassName: c\n  listeners:\n"
    "  - {name: http, port: 80, protocol: HTTP}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
    "spec: {ports: [{port: 80}]}\n"
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
    "metadata: {name: r, namespace: ns}\n"
    "spec:\n  parentRefs: [{name: gw}]\n  rules:\n"
    "  - matches: [{path: {type: PathPrefix, value: /rule}}]\n"
    "    filters:\n"
    "    - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: x-before, value: '1'}]}}\n"
    "    - {type: CORS, cors: {allowOrigins: ['https://*.app.test'], allowMethods: [GET, PUT],"
    " allowCredentials: true, maxAge: 60}}\n"
    "    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-after, value: '1'}]}}\n"
    "    backendRefs: [{name: s, port: 80}]\n"
    "  - matches: [{path: {type: PathPrefix, value: /backend}}]\n"
    "    backendRefs:\n"
    "    - name: s\n      port: 80\n      filters:\n"
    "      - {type: CORS, cors: {allowOrigins: ['*'], allowHeaders: ['*']}}\n"
    "  - matches: [{path: {type: PathPrefix, value: /nobackend}}]\n"
    "    filters:\n"
    "    - {type: CORS, cors: {allowOrigins: ['*']}}\n";

typedef struct fx {
    gwr_ctx *ctx;
    gwr_table *t;
    gwr_decision *d;
} fx;

static int
fx_open(fx *f, gwr_ctx *ctx)
{
    memset(f, 0, sizeof(*f));
    f->ctx = ctx;
    gwr_config *cfg = NULL;
    int rc = gwr_config_new(&cfg, ctx);
    if (rc == GWR_OK)
        rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, S(cors_yaml), S("cors.yaml"));
    if (rc == GWR_OK)
        rc = gwr_table_compile(&f->t, cfg, NULL);
    gwr_config_free(cfg);
    if (rc == GWR_OK)
        rc = gwr_decision_new(&f->d, ctx);
    return rc;
}

static void
fx_close(fx *f)
{
    gwr_decision_free(f->d);
    gwr_table_unref(f->t);
}

/* Match method path with up to three header fields (NULL name: none). */
static int
m(fx *f, const char *method, const char *path, const gwr_header *h, size_t nh,
  uint32_t flags)
{
    gwr_request r = GWR_REQUEST_INIT;
    r.method = S(method);
    r.host = S("gw.test");
    r.path = S(path);
    r.headers = h;
    r.n_headers = nh;
    r.flags = flags | GWR_REQ_SEEDED;
    return gwr_table_match(f->t, &r, f->d);
}

/* The value of response "set" field `name`, or NULL. */
static const gwr_header *
resp(const gwr_decision *d, const char *name)
{
    size_t n = gwr_decision_response_header_count(d, GWR_HEADERS_SET);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *h = gwr_decision_response_header(d, GWR_HEADERS_SET, i);
        if (eq(h->name, name))
            return h;
    }
    return NULL;
}

static void
test_cors_decisions(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    fx f;
    assert_int_equal(fx_open(&f, ctx), GWR_OK);
    /* A preflight from an allowed origin, in a buffer the caller then
     * overwrites: the answer keeps its own copy (copying mode). */
    char origin[] = "https://a.b.app.test";
    gwr_header pre[] = { { S("Origin"), { origin, sizeof(origin) - 1 } },
                         { S("Access-Control-Request-Method"), S("PUT") } };
    assert_int_equal(m(&f, "OPTIONS", "/rule", pre, 2, 0), GWR_OK);
    assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_RESPOND);
    assert_int_equal(gwr_decision_status(f.d), 204);
    assert_null(gwr_decision_backend(f.d));
    memset(origin, 'x', sizeof(origin) - 1);
    assert_true(eq(resp(f.d, "access-control-allow-origin")->value, "https://a.b.app.test"));
    assert_true(eq(resp(f.d, "access-control-allow-methods")->value, "GET, PUT"));
    assert_true(eq(resp(f.d, "access-control-max-age")->value, "60"));
    assert_true(eq(resp(f.d, "access-control-allow-credentials")->value, "true"));
    assert_null(resp(f.d, "access-control-allow-headers"));
    /* The filter before it still edits the answer; the one after never ran. */
    assert_non_null(resp(f.d, "x-before"));
    assert_int_equal(gwr_decision_upstream_header_count(f.d), 0);
    /* Not allowed: answered all the same, without the fields. */
    gwr_header bad[] = { { S("origin"), S("https://app.test") },
                         { S("access-control-request-method"), S("GET") } };
    assert_int_equal(m(&f, "OPTIONS", "/rule", bad, 2, 0), GWR_OK);
    assert_int_equal(gwr_decision_status(f.d), 204);
    assert_null(resp(f.d, "access-control-allow-origin"));
    /* An allowed request that is not a preflight goes on with its fields,
     * viewed in no-copy mode; the later filter runs. */
    gwr_header get[] = { { S("origin"), S("https://x.app.test") } };
    assert_int_equal(m(&f, "GET", "/rule", get, 1, GWR_REQ_NO_COPY), GWR_OK);
    assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_FORWARD);
    assert_true(eq(resp(f.d, "access-control-allow-origin")->value, "https://x.app.test"));
    assert_null(resp(f.d, "access-control-allow-methods"));
    assert_int_equal(gwr_decision_upstream_header_count(f.d), 2);
    /* OPTIONS without Access-Control-Request-Method is not a preflight. */
    assert_int_equal(m(&f, "OPTIONS", "/rule", get, 1, 0), GWR_OK);
    assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_FORWARD);
    /* No Origin: not cross-origin, nothing added. */
    assert_int_equal(m(&f, "OPTIONS", "/rule", pre + 1, 1, 0), GWR_OK);
    assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_FORWARD);
    assert_null(resp(f.d, "access-control-allow-origin"));
    /* At the backendRef: runs once the backend is chosen; "*" headers
     * echo the requested ones, repeated fields joined. */
    gwr_header be[] = { { S("origin"), S("http://z.test:81") },
                        { S("access-control-request-method"), S("DELETE") },
                        { S("access-control-request-headers"), S("x-1") },
                        { S("access-control-request-headers"), S("x-2") } };
    assert_int_equal(m(&f, "OPTIONS", "/backend", be, 4, 0), GWR_OK);
    assert_int_equal(gwr_decision_status(f.d), 204);
    assert_true(eq(resp(f.d, "access-control-allow-headers")->value, "x-1,x-2"));
    assert_null(resp(f.d, "access-control-allow-methods"));     /* no list */
    assert_null(resp(f.d, "access-control-allow-credentials"));
    /* A rule without backendRefs answers the preflight, and 500 otherwise. */
    assert_int_equal(m(&f, "OPTIONS", "/nobackend", be, 2, 0), GWR_OK);
    assert_int_equal(gwr_decision_status(f.d), 204);
    assert_int_equal(m(&f, "GET", "/nobackend", be, 1, 0), GWR_OK);
    assert_int_equal(gwr_decision_status(f.d), 500);
    fx_close(&f);
    gwr_ctx_free(ctx);
}

/* Load, compile and answer a preflight under a failing allocator. */
static int
sweep_scenario(gwr_ctx *ctx, void *ud)
{
    (void)ud;
    fx f;
    int rc = fx_open(&f, ctx);
    gwr_header pre[] = { { S("origin"), S("https://a.app.test") },
                         { S("access-control-request-method"), S("PUT") },
                         { S("access-control-request-headers"), S("x-1") } };
    if (rc == GWR_OK)
        rc = m(&f, "OPTIONS", "/rule", pre, 3, 0);
    if (rc == GWR_OK)
        rc = m(&f, "OPTIONS", "/backend", pre, 3, 0);
    if (rc == GWR_OK && gwr_decision_status(f.d) != 204)
        rc = GWR_E_INVAL;
    fx_close(&f);
    return rc;
}

static void
test_cors_alloc_failure_sweep(void **state)
{
    (void)state;
    assert_true(test_alloc_sweep(sweep_scenario, NULL) > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cors_parse_origin),
        cmocka_unit_test(test_cors_origin_ok),
        cmocka_unit_test(test_cors_fields),
        cmocka_unit_test(test_cors_decisions),
        cmocka_unit_test(test_cors_alloc_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

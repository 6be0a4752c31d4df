/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Allocation-failure sweeps (R49) over the whole public path a host
 * takes: load a realistic config (two texts, the second replacing
 * objects of the first), compile the table, match requests of every
 * outcome into a reused decision, read everything, free everything.
 * Each allocation is failed in turn (tests/helpers.h test_alloc_sweep):
 * every step must fail cleanly (GWR_E_NOMEM, never another error),
 * leave nothing allocated, and when a run still reports success its
 * decisions must be exactly those of the clean run (no allocation
 * failure may be swallowed into a wrong answer).
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static const char *const config_text[] = {
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: Gateway\n"
    "metadata: {name: edge, namespace: infra}\n"
    "spec:\n"
    "  gatewayClassName: gwroute\n"
    "  listeners:\n"
    "  - name: http\n"
    "    port: 80\n"
    "    protocol: HTTP\n"
    "    hostname: '*.example.com'\n"
    "    allowedRoutes: {namespaces: {from: All}}\n"
    "  - name: other\n"
    "    port: 8080\n"
    "    protocol: HTTP\n"
    "    allowedRoutes: {namespaces: {from: All}}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: cart, namespace: shop}\n"
    "spec: {ports: [{port: 8080, appProtocol: kubernetes.io/h2c}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: api, namespace: shop}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata:\n"
    "  name: api-1\n"
    "  namespace: shop\n"
    "  labels: {kubernetes.io/service-name: api}\n"
    "addressType: IPv4\n"
    "ports: [{port: 18080}]\n"
    "endpoints:\n"
    "- addresses: ['10.0.0.1', '10.0.0.2']\n",
    /* the second text: routes, and a replacement of the api Service */
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: api, namespace: shop}\n"
    "spec: {ports: [{port: 8080}, {port: 9090, name: alt}]}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: shop, namespace: shop}\n"
    "spec:\n"
    "  parentRefs: [{name: edge, namespace: infra}]\n"
    "  hostnames: ['shop.example.com']\n"
    "  rules:\n"
    "  - name: cart\n"
    "    matches:\n"
    "    - path: {type: PathPrefix, value: /cart}\n"
    "    - headers:\n"
    "      - {name: x-cart, type: RegularExpression, value: '[0-9]+'}\n"
    "    filters:\n"
    "    - type: RequestHeaderModifier\n"
    "      requestHeaderModifier:\n"
    "        add: [{name: x-tier, value: gold}]\n"
    "        set: [{name: x-shop, value: cart}]\n"
    "        remove: [cookie]\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set: [{name: cache-control, value: no-store}]\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef: {name: api, port: 8080}\n"
    "        percent: 50\n"
    "    backendRefs:\n"
    "    - {name: cart, port: 8080, weight: 3}\n"
    "    - {name: api, port: 8080, weight: 1}\n"
    "    timeouts: {request: 10s, backendRequest: 2s}\n"
    "    retry: {attempts: 2, backoff: 100ms, codes: [502, 503]}\n"
    "  - name: old\n"
    "    matches:\n"
    "    - path: {type: PathPrefix, value: /old}\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        statusCode: 301\n"
    "        path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}\n"
    "  - name: api\n"
    "    matches:\n"
    "    - path: {type: RegularExpression, value: '/api/v[0-9]+/.*'}\n"
    "      queryParams: [{name: debug, value: '1'}]\n"
    "    - path: {type: PathPrefix, value: /api/}\n"
    "    filters:\n"
    "    - type: URLRewrite\n"
    "      urlRewrite:\n"
    "        hostname: api.internal\n"
    "        path: {type: ReplaceFullPath, replaceFullPath: /v2}\n"
    "    backendRefs: [{name: api, port: 8080}]\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: fallback, namespace: other}\n"
    "spec:\n"
    "  parentRefs: [{name: edge, namespace: infra, sectionName: other}]\n"
    "  rules:\n"
    "  - backendRefs: [{name: missing, port: 80}]\n",
};

typedef struct sweep_req {
    const char *method, *host, *path;
    uint32_t port;
    const gwr_header *headers;
    size_t n_headers;
} sweep_req;

static const gwr_header h_cookie[] = {
    { GWR_STR_LIT("Cookie"), GWR_STR_LIT("a=1") },
    { GWR_STR_LIT("x-tier"), GWR_STR_LIT("silver") },
};
static const gwr_header h_cart[] = {
    { GWR_STR_LIT("x-cart"), GWR_STR_LIT("42") },
};

static const sweep_req sweep_reqs[] = {
    { "GET", "shop.example.com", "/cart/items?x=1", 80, h_cookie, 2 },
    { "GET", "shop.example.com", "/anything", 80, h_cart, 1 },
    { "GET", "SHOP.example.com:80", "/old/a/../b?q", 80, NULL, 0 },
    { "POST", "shop.example.com", "/api/v1/users?debug=1", 80, NULL, 0 },
    { "GET", "shop.example.com", "/api/x", 80, NULL, 0 },
    { "GET", "nowhere.example.com", "/", 80, NULL, 0 },
    { "GET", "any", "/fallback", 8080, NULL, 0 },
    { "GET", "shop.example.com", "/bad%zz", 80, NULL, 0 },
};

static uint64_t
fnv(uint64_t h, gwr_str s)
{
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (uint8_t)s.ptr[i]) * 1099511628211u;
    return (h ^ 0xff) * 1099511628211u;
}

/* Everything a host reads from a decision, folded into one number. */
static uint64_t
digest(const gwr_decision *d)
{
    uint64_t h = 14695981039346656037u;
    h = (h ^ gwr_decision_result(d)) * 1099511628211u;
    h = (h ^ (uint64_t)gwr_decision_status(d)) * 1099511628211u;
    h = fnv(h, gwr_decision_route_name(d));
    h = (h ^ (uint64_t)(int64_t)gwr_decision_rule_index(d)) * 1099511628211u;
    const gwr_backend *b = gwr_decision_backend(d);
    if (b != NULL) {
        h = fnv(h, gwr_backend_name(b));
        for (size_t i = 0; i < gwr_backend_endpoint_count(b); i++) {
            gwr_str a;
            uint32_t port;
            if (gwr_backend_endpoint(b, i, &a, &port) == GWR_OK)
                h = fnv(h, a) ^ port;
        }
    }
    h = fnv(h, gwr_decision_upstream_host(d));
    h = fnv(h, gwr_decision_upstream_path(d));
    for (size_t i = 0; i < gwr_decision_upstream_header_count(d); i++) {
        const gwr_header *x = gwr_decision_upstream_header(d, i);
        h = fnv(fnv(h, x->name), x->value);
    }
    h = fnv(h, gwr_decision_location(d));
    for (uint32_t l = 0; l <= GWR_HEADERS_REMOVE; l++)
        for (size_t i = 0; i < gwr_decision_response_header_count(d, l); i++)
            h = fnv(h, gwr_decision_response_header(d, l, i)->name);
    for (size_t i = 0; i < gwr_decision_mirror_count(d); i++) {
        int sampled = 0;
        h = fnv(h, gwr_backend_name(gwr_decision_mirror(d, i, &sampled)));
        h ^= (uint64_t)sampled;
    }
    h = (h ^ (uint64_t)gwr_decision_timeout_ms(d)) * 1099511628211u;
    h = (h ^ (uint64_t)gwr_decision_retry_attempts(d)) * 1099511628211u;
    return h;
}

typedef struct sweep_state {
    int clean_done;
    uint64_t want;        /* digest of the clean run */
    int steps;            /* 1 load, 2 + compile, 3 + match */
} sweep_state;

/* A failing run may only fail with GWR_E_NOMEM. */
static int
nomem_only(int rc)
{
    if (rc != GWR_OK && rc != GWR_E_NOMEM)
        fail_msg("allocation failure reported as %d (%s)", rc,
                 gwr_strerror(rc));
    return rc;
}

static int
scenario(gwr_ctx *ctx, void *ud)
{
    sweep_state *st = ud;
    gwr_config *cfg = NULL;
    gwr_table *t = NULL;
    gwr_decision *d = NULL;
    uint64_t h = 0;
    int rc = nomem_only(gwr_config_new(&cfg, ctx));
    for (size_t i = 0; rc == GWR_OK && i < 2; i++) {
        gwr_str text = { config_text[i], strlen(config_text[i]) };
        rc = nomem_only(gwr_config_add_text(cfg, GWR_FORMAT_AUTO, text,
                                            (gwr_str)GWR_STR_LIT("sweep")));
    }
    if (rc == GWR_OK && st->steps >= 2)
        rc = nomem_only(gwr_table_compile(&t, cfg, NULL));
    /* the table outlives its config (a snapshot) */
    gwr_config_free(cfg);
    if (rc == GWR_OK && st->steps >= 3)
        rc = nomem_only(gwr_decision_new(&d, ctx));
    for (size_t i = 0; rc == GWR_OK && st->steps >= 3 &&
                       i < sizeof(sweep_reqs) / sizeof(sweep_reqs[0]); i++) {
        const sweep_req *q = &sweep_reqs[i];
        gwr_request r = GWR_REQUEST_INIT;
        r.method = (gwr_str){ q->method, strlen(q->method) };
        r.host = (gwr_str){ q->host, strlen(q->host) };
        r.path = (gwr_str){ q->path, strlen(q->path) };
        r.port = q->port;
        r.headers = q->headers;
        r.n_headers = q->n_headers;
        r.flags = GWR_REQ_SEEDED;
        r.seed = i * 7919u;
        rc = nomem_only(gwr_table_match(t, &r, d));
        if (rc == GWR_OK)
            h = h * 31u + digest(d);
    }
    /* the decision keeps the table alive: drop the table first */
    gwr_table_unref(t);
    gwr_decision_free(d);
    if (rc == GWR_OK) {
        if (!st->clean_done) {
            st->clean_done = 1;
            st->want = h;
        } else if (h != st->want) {
            fail_msg("a run that reported success decided differently");
        }
    }
    return rc;
}

static void
run_sweep(int steps, size_t min_allocs)
{
    sweep_state st = { 0, 0, steps };
    size_t n = test_alloc_sweep(scenario, &st);
    print_message("# steps %d: %zu allocator calls swept\n", steps, n);
    assert_true(n >= min_allocs);
}

static void
test_sweeps_load(void **state)
{
    (void)state;
    run_sweep(1, 10);
}

static void
test_sweeps_load_compile(void **state)
{
    (void)state;
    run_sweep(2, 20);
}

static void
test_sweeps_load_compile_match(void **state)
{
    (void)state;
    run_sweep(3, 30);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweeps_load),
        cmocka_unit_test(test_sweeps_load_compile),
        cmocka_unit_test(test_sweeps_load_compile_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

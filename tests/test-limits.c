/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Every limit on hostile input, AT the edge (accepted) and ONE PAST (a
 * clear error), through the public API wherever the limit is reachable
 * from it: document parsing (lib/node.h), regular expressions
 * (lib/regex.h), and the count and length limits of the config loader
 * (lib/build*.c). docs/LIMITS.md is the table of all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "engine_int.h"
#include "gwr_private.h"
#include "node.h"
#include "node_load.h"
#include "regex.h"

/* ---- text building ------------------------------------------------------ */

typedef struct tb {
    char *p;
    size_t len, cap;
} tb;

static void
tb_putn(tb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
tb_put(tb *b, const char *s)
{
    tb_putn(b, s, strlen(s));
}

/* s with every '@' replaced by i (and '#' by i + 1). */
static void
tb_item(tb *b, const char *s, size_t i)
{
    char num[32];
    for (; *s != '\0'; s++) {
        if (*s == '@' || *s == '#') {
            snprintf(num, sizeof(num), "%zu", *s == '@' ? i : i + 1);
            tb_put(b, num);
        } else {
            tb_putn(b, s, 1);
        }
    }
}

static void
tb_repeat(tb *b, char c, size_t n)
{
    char chunk[4096];
    memset(chunk, c, sizeof(chunk));
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        tb_putn(b, chunk, k);
        n -= k;
    }
}

/* ---- loading ------------------------------------------------------------ */

typedef struct loaded {
    int rc;
    gwr_ctx *ctx;
    gwr_config *cfg;
} loaded;

static loaded
load(const tb *b, uint32_t format)
{
    loaded l = { 0, NULL, NULL };
    assert_int_equal(gwr_ctx_new(&l.ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(gwr_config_new(&l.cfg, l.ctx), GWR_OK);
    gwr_str text = { b->p, b->len };
    l.rc = gwr_config_add_text(l.cfg, format, text,
                               (gwr_str)GWR_STR_LIT("limits"));
    return l;
}

static void
unload(loaded *l)
{
    gwr_config_free(l->cfg);
    gwr_ctx_free(l->ctx);
}

/* Does some diagnostic message contain needle? */
static int
has_diag(const loaded *l, const char *needle)
{
    for (size_t i = 0; i < gwr_config_diag_count(l->cfg); i++) {
        gwr_str m = gwr_diag_message(gwr_config_diag(l->cfg, i));
        size_t k = strlen(needle);
        for (size_t j = 0; m.len >= k && j + k <= m.len; j++)
            if (memcmp(m.ptr + j, needle, k) == 0)
                return 1;
    }
    return 0;
}

static void
print_diags(const loaded *l)
{
    char line[512];
    for (size_t i = 0; i < gwr_config_diag_count(l->cfg) && i < 10; i++) {
        gwr_diag_format(gwr_config_diag(l->cfg, i), line, sizeof(line));
        print_message("# %s\n", line);
    }
}

/* ---- document parsing (lib/node.h) --------------------------------------- */

static void
test_limits_depth(void **state)
{
    (void)state;
    for (size_t n = GWR_MAX_DEPTH; n <= GWR_MAX_DEPTH + 1; n++) {
        tb b = { 0 };
        tb_repeat(&b, '[', n);
        tb_repeat(&b, ']', n);
        loaded l = load(&b, GWR_FORMAT_JSON);
        if (n == GWR_MAX_DEPTH) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
            assert_false(has_diag(&l, "GWR_MAX_DEPTH"));
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_DEPTH (64)"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_scalar_bytes(void **state)
{
    (void)state;
    for (size_t n = GWR_MAX_SCALAR_BYTES; n <= GWR_MAX_SCALAR_BYTES + 1; n++) {
        tb b = { 0 };
        tb_put(&b, "v: ");
        tb_repeat(&b, 'x', n);
        tb_put(&b, "\n");
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (n == GWR_MAX_SCALAR_BYTES) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_SCALAR_BYTES"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_documents(void **state)
{
    (void)state;
    for (size_t n = GWR_MAX_DOCUMENTS; n <= GWR_MAX_DOCUMENTS + 1; n++) {
        tb b = { 0 };
        for (size_t i = 0; i < n; i++)
            tb_put(&b, "--- ~\n");
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (n == GWR_MAX_DOCUMENTS) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_DOCUMENTS"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_alias_expansion(void **state)
{
    (void)state;
    /* The anchored list is 100 nodes (the list + 99 items); each alias
     * costs 100, so 100 aliases spend exactly GWR_MAX_ALIAS_EXPANSION. */
    assert_int_equal(GWR_MAX_ALIAS_EXPANSION % 100, 0);
    size_t uses = GWR_MAX_ALIAS_EXPANSION / 100;
    for (size_t n = uses; n <= uses + 1; n++) {
        tb b = { 0 };
        tb_put(&b, "a: &x [");
        for (size_t i = 0; i < 99; i++)
            tb_put(&b, i ? ",0" : "0");
        tb_put(&b, "]\nb: [");
        for (size_t i = 0; i < n; i++)
            tb_put(&b, i ? ",*x" : "*x");
        tb_put(&b, "]\n");
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (n == uses) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_ALIAS_EXPANSION"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_text_bytes(void **state)
{
    (void)state;
    /* A comment of the whole size: cheap to scan, nothing to build. */
    for (size_t n = GWR_MAX_TEXT_BYTES; n <= GWR_MAX_TEXT_BYTES + 1; n++) {
        tb b = { 0 };
        tb_put(&b, "#");
        tb_repeat(&b, 'c', n - 2);
        tb_put(&b, "\n");
        assert_int_equal(b.len, n);
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (n == GWR_MAX_TEXT_BYTES) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_TEXT_BYTES"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_nodes(void **state)
{
    (void)state;
    /* One JSON list: the list itself + n - 1 numbers = n nodes. */
    for (size_t n = GWR_MAX_NODES; n <= GWR_MAX_NODES + 1; n++) {
        tb b = { 0 };
        tb_put(&b, "[");
        for (size_t i = 0; i + 1 < n; i++)
            tb_put(&b, i ? ",0" : "0");
        tb_put(&b, "]");
        loaded l = load(&b, GWR_FORMAT_JSON);
        if (n == GWR_MAX_NODES) {
            assert_int_not_equal(l.rc, GWR_E_LIMIT);
        } else {
            assert_int_equal(l.rc, GWR_E_LIMIT);
            assert_true(has_diag(&l, "GWR_MAX_NODES"));
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_parse_errors(void **state)
{
    (void)state;
    /* Non-fatal parse problems are all reported up to
     * GWR_NODE_MAX_ERRORS; at the limit a note says reading stopped. */
    for (size_t n = GWR_NODE_MAX_ERRORS - 1; n <= GWR_NODE_MAX_ERRORS; n++) {
        tb b = { 0 };
        tb_put(&b, "k: 1\n");
        for (size_t i = 0; i < n; i++)
            tb_put(&b, "k: 1\n"); /* one duplicate key each */
        loaded l = load(&b, GWR_FORMAT_YAML);
        assert_int_equal(l.rc, GWR_E_PARSE);
        if (n < GWR_NODE_MAX_ERRORS) {
            assert_int_equal(gwr_config_error_count(l.cfg), n);
            assert_false(has_diag(&l, "too many errors"));
        } else {
            assert_true(has_diag(&l, "too many errors (100)"));
        }
        unload(&l);
        free(b.p);
    }
}

/* ---- regular expressions (lib/regex.h) ----------------------------------- */

static void
test_limits_regex_pattern(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    tb b = { 0 };
    tb_repeat(&b, 'a', GWR_REGEX_MAX_PATTERN + 1);
    gwr_regex *re = NULL;
    char err[128];
    gwr_str at = { b.p, GWR_REGEX_MAX_PATTERN };
    gwr_str past = { b.p, GWR_REGEX_MAX_PATTERN + 1 };
    assert_int_equal(gwr_regex__compile(ctx, at, &re, err, sizeof(err)),
                     GWR_OK);
    gwr_regex__free(re);
    re = NULL;
    assert_int_equal(gwr_regex__compile(ctx, past, &re, err, sizeof(err)),
                     GWR_E_LIMIT);
    assert_null(re);
    free(b.p);
    gwr_ctx_free(ctx);
}

static void
test_limits_regex_match_bounded(void **state)
{
    (void)state;
    /* The match / depth / heap limits cannot be hit at an exact edge from
     * outside (PCRE2 counts internal steps, and JIT counts differently
     * from the interpreter), so: a cheap match well inside works, an
     * exponential one stops with GWR_E_LIMIT ("no match") instead of
     * running for ages, whatever the subject length. */
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_regex *re = NULL;
    gwr_regex_scratch *s = NULL;
    gwr_str pat = GWR_STR_LIT("(a|aa)*(b|c)");
    assert_int_equal(gwr_regex__compile(ctx, pat, &re, NULL, 0), GWR_OK);
    assert_int_equal(gwr_regex__scratch_new(ctx, &s), GWR_OK);
    assert_int_equal(gwr_regex__match(re, (gwr_str)GWR_STR_LIT("aaaab"), s),
                     1);
    tb b = { 0 };
    tb_repeat(&b, 'a', 64);
    assert_int_equal(gwr_regex__match(re, (gwr_str){ b.p, b.len }, s),
                     GWR_E_LIMIT);
    /* deep recursion: a heap/depth limit, also no match */
    gwr_regex__free(re);
    gwr_str deep = GWR_STR_LIT("(?:(a)|b)*+c");
    assert_int_equal(gwr_regex__compile(ctx, deep, &re, NULL, 0), GWR_OK);
    b.len = 0;
    tb_repeat(&b, 'a', 200000);
    int rc = gwr_regex__match(re, (gwr_str){ b.p, b.len }, s);
    assert_true(rc == 0 || rc == GWR_E_LIMIT);
    free(b.p);
    gwr_regex__scratch_free(s);
    gwr_regex__free(re);
    gwr_ctx_free(ctx);
}

/* ---- config count and length limits (lib/build*.c) ----------------------- */

static const char svc_yaml[] =
    "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\n"
    "spec: {ports: [{port: 80}]}\n---\n";

typedef struct list_limit {
    const char *what;     /* for messages */
    const char *head;     /* text before the items */
    const char *item;     /* one item; '@' = index, '#' = index + 1 */
    const char *sep;      /* between items */
    const char *tail;     /* after the items */
    size_t max;           /* accepted count; max + 1 is refused with
                             "... N items, got N + 1" */
} list_limit;

#define ROUTE_HEAD                                                        \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"        \
    "metadata: {name: r, namespace: d}\nspec:\n"
#define RULE_BACKEND "    backendRefs: [{name: s, port: 80}]\n"
#define GATEWAY_HEAD                                                      \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"          \
    "metadata: {name: g, namespace: d}\nspec:\n  gatewayClassName: c\n"
#define GATEWAY_LISTENER "  listeners: [{name: l, port: 80, protocol: HTTP}]\n"
#define BTLS_HEAD                                                         \
    "apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"  \
    "metadata: {name: p, namespace: d}\nspec:\n"
#define BTLS_TARGET "  targetRefs: [{group: \"\", kind: Service, name: s}]\n"

static const list_limit list_limits[] = {
    { "HTTPRoute rules", ROUTE_HEAD "  rules:\n",
      "  - matches: [{path: {type: PathPrefix, value: /p@}}]\n" RULE_BACKEND,
      "", "", 16 },
    { "matches per rule", ROUTE_HEAD "  rules:\n  - matches:\n",
      "    - path: {type: PathPrefix, value: /p@}\n", "",
      RULE_BACKEND, 64 },
    { "header matches", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - headers:\n", "      - {name: h@, value: v}\n", "",
      RULE_BACKEND, 16 },
    { "query parameter matches", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - queryParams:\n", "      - {name: q@, value: v}\n", "",
      RULE_BACKEND, 16 },
    { "filters per rule", ROUTE_HEAD "  rules:\n  - filters:\n",
      "    - {type: RequestMirror, requestMirror: {backendRef: "
      "{name: s, port: 80}}}\n", "", RULE_BACKEND, 16 },
    { "backendRefs per rule", ROUTE_HEAD "  rules:\n  - backendRefs:\n",
      "    - {name: s, port: 80}\n", "", "", 16 },
    { "hostnames", ROUTE_HEAD "  hostnames:\n", "  - h@.example.com\n", "",
      "  rules: [{backendRefs: [{name: s, port: 80}]}]\n", 16 },
    { "parentRefs", ROUTE_HEAD "  parentRefs:\n", "  - {name: g@}\n", "",
      "  rules: [{backendRefs: [{name: s, port: 80}]}]\n", 32 },
    { "RequestHeaderModifier set", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: RequestHeaderModifier\n      requestHeaderModifier:\n"
      "        set:\n", "        - {name: h@, value: v}\n", "",
      RULE_BACKEND, 16 },
    { "RequestHeaderModifier add", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: RequestHeaderModifier\n      requestHeaderModifier:\n"
      "        add:\n", "        - {name: h@, value: v}\n", "",
      RULE_BACKEND, 16 },
    { "RequestHeaderModifier remove", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: RequestHeaderModifier\n      requestHeaderModifier:\n"
      "        remove:\n", "        - h@\n", "", RULE_BACKEND, 16 },
    { "Gateway listeners",
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
      "metadata: {name: g, namespace: d}\nspec:\n  gatewayClassName: c\n"
      "  listeners:\n",
      "  - {name: l@, port: #, protocol: HTTP}\n", "", "", 64 },
    { "Gateway addresses",
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
      "metadata: {name: g, namespace: d}\nspec:\n  gatewayClassName: c\n"
      "  listeners: [{name: l, port: 80, protocol: HTTP}]\n  addresses:\n",
      "  - {type: Hostname, value: a@.example.com}\n", "", "", 16 },
    { "allowedRoutes kinds",
      "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
      "metadata: {name: g, namespace: d}\nspec:\n  gatewayClassName: c\n"
      "  listeners:\n  - name: l\n    port: 80\n    protocol: HTTP\n"
      "    allowedRoutes:\n      kinds:\n",
      "      - {kind: HTTPRoute}\n", "", "", 8 },
    { "ReferenceGrant from",
      "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
      "metadata: {name: rg, namespace: d}\nspec:\n  to: [{group: \"\", "
      "kind: Service}]\n  from:\n",
      "  - {group: gateway.networking.k8s.io, kind: HTTPRoute, "
      "namespace: n@}\n", "", "", 16 },
    { "ReferenceGrant to",
      "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
      "metadata: {name: rg, namespace: d}\nspec:\n  from: [{group: "
      "gateway.networking.k8s.io, kind: HTTPRoute, namespace: n}]\n  to:\n",
      "  - {group: \"\", kind: Service, name: s@}\n", "", "", 16 },
    { "BackendTLSPolicy subjectAltNames",
      "apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
      "metadata: {name: p, namespace: d}\nspec:\n  targetRefs: [{group: "
      "\"\", kind: Service, name: s}]\n  validation:\n    hostname: s.d\n"
      "    wellKnownCACertificates: System\n    subjectAltNames:\n",
      "    - {type: Hostname, hostname: h@.example.com}\n", "", "", 5 },
    { "EndpointSlice endpoints",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
      "metadata: {name: e, namespace: d, labels: "
      "{kubernetes.io/service-name: s}}\naddressType: IPv4\n"
      "ports: [{port: 80}]\nendpoints:\n",
      "- addresses: [\"10.0.0.1\"]\n", "", "", 1000 },
    { "EndpointSlice endpoints[].addresses",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
      "metadata: {name: e, namespace: d, labels: "
      "{kubernetes.io/service-name: s}}\naddressType: IPv4\n"
      "ports: [{port: 80}]\nendpoints:\n- addresses:\n",
      "  - 10.0.@.1\n", "", "", 100 },
    { "EndpointSlice ports",
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
      "metadata: {name: e, namespace: d, labels: "
      "{kubernetes.io/service-name: s}}\naddressType: IPv4\n"
      "endpoints: [{addresses: [10.0.0.1]}]\nports:\n",
      "- {name: p@, port: 80}\n", "", "", 20000 },
    { "CORS allowOrigins", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: CORS\n      cors:\n        allowOrigins:\n",
      "        - https://o@.example.com\n", "", RULE_BACKEND, 64 },
    { "CORS allowHeaders", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: CORS\n      cors:\n        allowHeaders:\n",
      "        - x-h@\n", "", RULE_BACKEND, 64 },
    { "CORS exposeHeaders", ROUTE_HEAD "  rules:\n  - filters:\n"
      "    - type: CORS\n      cors:\n        exposeHeaders:\n",
      "        - x-h@\n", "", RULE_BACKEND, 64 },
    { "listener tls certificateRefs", GATEWAY_HEAD
      "  listeners:\n  - name: l\n    port: 443\n    protocol: HTTPS\n"
      "    tls:\n      certificateRefs:\n", "      - {name: c@}\n", "", "",
      64 },
    { "BackendTLSPolicy targetRefs", BTLS_HEAD "  validation:\n"
      "    hostname: s.d\n    wellKnownCACertificates: System\n"
      "  targetRefs:\n", "  - {group: \"\", kind: Service, name: s@}\n",
      "", "", 16 },
    { "BackendTLSPolicy caCertificateRefs", BTLS_HEAD BTLS_TARGET
      "  validation:\n    hostname: s.d\n    caCertificateRefs:\n",
      "    - {group: \"\", kind: ConfigMap, name: ca@}\n", "", "", 8 },
};

/* String maps with an entry limit: one past is "... N entries, got N + 1". */
static const list_limit map_limits[] = {
    { "listener tls options", GATEWAY_HEAD
      "  listeners:\n  - name: l\n    port: 443\n    protocol: HTTPS\n"
      "    tls:\n      options:\n", "        example.com/o@: v\n", "", "",
      16 },
    { "Gateway infrastructure labels", GATEWAY_HEAD GATEWAY_LISTENER
      "  infrastructure:\n    labels:\n", "      example.com/l@: v\n", "",
      "", 8 },
    { "Gateway infrastructure annotations", GATEWAY_HEAD GATEWAY_LISTENER
      "  infrastructure:\n    annotations:\n", "      example.com/a@: v\n",
      "", "", 16 },
    { "BackendTLSPolicy options", BTLS_HEAD BTLS_TARGET "  validation:\n"
      "    hostname: s.d\n    wellKnownCACertificates: System\n"
      "  options:\n", "    example.com/o@: v\n", "", "", 16 },
};

/* A text of n items, max accepted: at max no error and no "at most",
 * past it GWR_E_CONFIG with msg. */
static void
check_count(const loaded *l, const char *what, size_t n, size_t max,
            const char *msg)
{
    if (n == max && (l->rc != GWR_OK || has_diag(l, "at most"))) {
        print_diags(l);
        fail_msg("%s: %zu items refused (rc %d)", what, n, l->rc);
    }
    if (n > max && (l->rc != GWR_E_CONFIG || !has_diag(l, msg))) {
        print_diags(l);
        fail_msg("%s: %zu items not refused with \"%s\" (rc %d)", what, n,
                 msg, l->rc);
    }
}

static void
check_list_limit(const list_limit *ll, const char *unit)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "%zu %s, got %zu", ll->max, unit,
             ll->max + 1);
    for (size_t n = ll->max; n <= ll->max + 1; n++) {
        tb b = { 0 };
        tb_put(&b, svc_yaml);
        tb_put(&b, ll->head);
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                tb_put(&b, ll->sep);
            tb_item(&b, ll->item, i);
        }
        tb_put(&b, ll->tail);
        loaded l = load(&b, GWR_FORMAT_YAML);
        check_count(&l, ll->what, n, ll->max, msg);
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_config_lists(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(list_limits) / sizeof(list_limits[0]); i++)
        check_list_limit(&list_limits[i], "items");
}

static void
test_limits_config_maps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(map_limits) / sizeof(map_limits[0]); i++)
        check_list_limit(&map_limits[i], "entries");
}

static void
test_limits_cors_methods(void **state)
{
    (void)state;
    /* allowMethods is a set of the 9 methods (or "*" alone): 9 distinct
     * pass; any 10th is a duplicate, and the count is refused too. */
    static const char *const m[] = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
        "TRACE", "PATCH", "GET"
    };
    for (size_t n = 9; n <= 10; n++) {
        tb b = { 0 };
        tb_put(&b, svc_yaml);
        tb_put(&b, ROUTE_HEAD "  rules:\n  - filters:\n    - type: CORS\n"
                   "      cors:\n        allowMethods:\n");
        for (size_t i = 0; i < n; i++) {
            tb_put(&b, "        - ");
            tb_put(&b, m[i]);
            tb_put(&b, "\n");
        }
        tb_put(&b, RULE_BACKEND);
        loaded l = load(&b, GWR_FORMAT_YAML);
        check_count(&l, "CORS allowMethods", n, 9,
                    "must have at most 9 items, got 10");
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_config_list_minimums(void **state)
{
    (void)state;
    /* Lists with a minimum of 1: empty is refused with the range. */
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
          "metadata: {name: e, namespace: d}\naddressType: IPv4\n"
          "endpoints: [{addresses: []}]\n",
          "must have 1 to 100 items, got 0" },
        { BTLS_HEAD "  targetRefs: []\n  validation:\n    hostname: s.d\n"
          "    wellKnownCACertificates: System\n",
          "must have 1 to 16 items, got 0" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb b = { 0 };
        tb_put(&b, cases[i].text);
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (l.rc != GWR_E_CONFIG || !has_diag(&l, cases[i].msg)) {
            print_diags(&l);
            fail_msg("case %zu: not refused with \"%s\" (rc %d)", i,
                     cases[i].msg, l.rc);
        }
        unload(&l);
        free(b.p);
    }
}

static void
test_limits_total_matches(void **state)
{
    (void)state;
    /* At most 128 matches over all rules of a route (CEL), counted after
     * defaulting: 2 rules x 64 = 128 pass, one more match is refused. */
    for (size_t extra = 0; extra <= 1; extra++) {
        tb b = { 0 };
        tb_put(&b, svc_yaml);
        tb_put(&b, ROUTE_HEAD "  rules:\n");
        for (size_t r = 0; r < 2 + extra; r++) {
            tb_put(&b, "  - matches:\n");
            size_t n = r < 2 ? 64 : 1;
            for (size_t i = 0; i < n; i++) {
                char line[96];
                snprintf(line, sizeof(line),
                         "    - path: {type: Exact, value: /r%zu/m%zu}\n", r,
                         i);
                tb_put(&b, line);
            }
            tb_put(&b, RULE_BACKEND);
        }
        loaded l = load(&b, GWR_FORMAT_YAML);
        if (extra == 0) {
            if (l.rc != GWR_OK)
                print_diags(&l);
            assert_int_equal(l.rc, GWR_OK);
        } else {
            assert_int_equal(l.rc, GWR_E_CONFIG);
            assert_true(has_diag(&l, "must be at most 128, got 129"));
        }
        unload(&l);
        free(b.p);
    }
}

typedef struct len_limit {
    const char *what;
    const char *head;     /* text up to the value */
    char fill;            /* the value is this byte repeated */
    const char *prefix;   /* written before the fill, counted in the length */
    const char *tail;
    size_t max;
    const char *msg;
} len_limit;

static const len_limit len_limits[] = {
    { "path match value", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - path: {type: PathPrefix, value: '", 'p', "/",
      "'}\n" RULE_BACKEND, 1024, "at most 1024 characters" },
    { "path regex value", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - path: {type: RegularExpression, value: '", 'p', "/",
      "'}\n" RULE_BACKEND, 1024, "at most 1024 characters" },
    { "header match value", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - headers: [{name: h, value: '", 'v', "",
      "'}]\n" RULE_BACKEND, 4096, "1 to 4096 characters" },
    { "header regex value (= GWR_REGEX_MAX_PATTERN)",
      ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - headers: [{name: h, type: RegularExpression, value: '", 'v', "",
      "'}]\n" RULE_BACKEND, GWR_REGEX_MAX_PATTERN, "1 to 4096 characters" },
    { "query match value", ROUTE_HEAD "  rules:\n  - matches:\n"
      "    - queryParams: [{name: q, value: '", 'v', "",
      "'}]\n" RULE_BACKEND, 1024, "1 to 1024 characters" },
    { "route hostname", ROUTE_HEAD "  hostnames: ['", 'a', "",
      "']\n  rules: [{backendRefs: [{name: s, port: 80}]}]\n", 253,
      "1 to 253 characters" },
    { "listener tls option value", GATEWAY_HEAD
      "  listeners:\n  - name: l\n    port: 443\n    protocol: HTTPS\n"
      "    tls:\n      options: {example.com/o: '", 'v', "", "'}\n", 4096,
      "must be at most 4096 characters, got 4097" },
    { "infrastructure label value (LabelValue)",
      GATEWAY_HEAD GATEWAY_LISTENER
      "  infrastructure:\n    labels: {example.com/l: '", 'v', "", "'}\n",
      63, "must be at most 63 characters" },
    { "infrastructure annotation value", GATEWAY_HEAD GATEWAY_LISTENER
      "  infrastructure:\n    annotations: {example.com/a: '", 'v', "",
      "'}\n", 4096, "must be at most 4096 characters" },
    { "matchExpressions value", GATEWAY_HEAD
      "  listeners:\n  - name: l\n    port: 80\n    protocol: HTTP\n"
      "    allowedRoutes:\n      namespaces:\n        from: Selector\n"
      "        selector:\n          matchExpressions:\n"
      "          - {key: k, operator: In, values: ['", 'v', "", "']}\n", 63,
      "must be at most 63 characters, got 64" },
};

/* A hostname of n bytes made of 63-byte labels. */
static void
put_hostname(tb *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tb_put(b, (i % 64 == 63) ? "." : "a");
}

static void
test_limits_config_lengths(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(len_limits) / sizeof(len_limits[0]); k++) {
        const len_limit *ll = &len_limits[k];
        for (size_t n = ll->max; n <= ll->max + 1; n++) {
            tb b = { 0 };
            tb_put(&b, svc_yaml);
            tb_put(&b, ll->head);
            tb_put(&b, ll->prefix);
            if (ll->fill == 'a')
                put_hostname(&b, n);
            else
                tb_repeat(&b, ll->fill, n - strlen(ll->prefix));
            tb_put(&b, ll->tail);
            loaded l = load(&b, GWR_FORMAT_YAML);
            if (n == ll->max && l.rc != GWR_OK) {
                print_diags(&l);
                fail_msg("%s: %zu bytes refused (rc %d)", ll->what, n, l.rc);
            }
            if (n > ll->max && !has_diag(&l, ll->msg)) {
                print_diags(&l);
                fail_msg("%s: %zu bytes not refused with \"%s\" (rc %d)",
                         ll->what, n, ll->msg, l.rc);
            }
            unload(&l);
            free(b.p);
        }
    }
}

static void
test_limits_field_path(void **state)
{
    (void)state;
    /* Diagnostic field paths are cut at GWR_BUILD_PATH_MAX - 1 bytes,
     * never overflowed: a very long unknown key deep in a route. */
    tb b = { 0 };
    tb_put(&b, svc_yaml);
    tb_put(&b, ROUTE_HEAD "  rules:\n  - backendRefs: [{name: s, port: 80}]"
                          "\n    matches:\n    - path: {type: PathPrefix, "
                          "value: /}\n      ");
    tb_repeat(&b, 'k', 2000);
    tb_put(&b, ": 1\n");
    loaded l = load(&b, GWR_FORMAT_YAML);
    size_t longest = 0;
    for (size_t i = 0; i < gwr_config_diag_count(l.cfg); i++) {
        gwr_str f = gwr_diag_field(gwr_config_diag(l.cfg, i));
        if (f.len > longest)
            longest = f.len;
    }
    assert_true(longest > 0);
    assert_true(longest <= 511);
    unload(&l);
    free(b.p);
}

/* ---- exchange engine (lib/engine*.c) -------------------------------------- */

/* A minimal synchronous host: connections are usable at once, the clock
 * stands still, every upstream attempt is remembered for the test to
 * answer. */
typedef struct rhost {
    uint64_t xid;         /* last upstream attempt sent */
    size_t sends;
    size_t responds;
    int status;
} rhost;

static uint64_t
rh_now(void *ud)
{
    (void)ud;
    return 1000;
}

static int
rh_timer(uint64_t deadline, void *ud)
{
    (void)deadline;
    (void)ud;
    return 0;
}

static int
rh_connect(const gwr_backend *be, uint32_t proto, uint64_t conn, void *ud)
{
    (void)be;
    (void)proto;
    (void)conn;
    (void)ud;
    return 1;
}

static int
rh_send(uint64_t conn, uint64_t xid, const gwr_upstream *u, void *ud)
{
    rhost *h = ud;
    (void)conn;
    (void)u;
    h->xid = xid;
    h->sends++;
    return 0;
}

static int
rh_respond(uint64_t exchange, int status, const gwr_header *hs, size_t n,
           const char *body, size_t body_len, void *ud)
{
    rhost *h = ud;
    (void)exchange;
    (void)hs;
    (void)n;
    (void)body;
    (void)body_len;
    h->status = status;
    h->responds++;
    return 0;
}

static gwr_table *
retry_table(void)
{
    tb b = { 0 };
    tb_put(&b, svc_yaml);
    tb_put(&b, ROUTE_HEAD "  hostnames: [svc.test]\n  rules:\n");
    static const char *const rules[] = {
        "  - matches: [{path: {type: Exact, value: /at}}]\n"
        "    retry: {codes: [503], attempts: 1000, backoff: 0s}\n",
        "  - matches: [{path: {type: Exact, value: /past}}]\n"
        "    retry: {codes: [503], attempts: 1001, backoff: 0s}\n",
        "  - matches: [{path: {type: Exact, value: /int32}}]\n"
        "    retry: {codes: [503], attempts: 2147483647, backoff: 0s}\n",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        tb_put(&b, rules[i]);
        tb_put(&b, RULE_BACKEND);
    }
    loaded l = load(&b, GWR_FORMAT_YAML);
    if (l.rc != GWR_OK || gwr_config_diag_count(l.cfg) != 2)
        print_diags(&l);
    /* attempts is an int32 in the API: every value loads; past the
     * engine's cap of 1000 retries the loader says so (a warning). */
    assert_int_equal(l.rc, GWR_OK);
    assert_int_equal(gwr_config_diag_count(l.cfg), 2);
    for (size_t i = 0; i < 2; i++) {
        const gwr_diag *dg = gwr_config_diag(l.cfg, i);
        assert_int_equal(gwr_diag_severity(dg), GWR_SEVERITY_WARNING);
        char line[256];
        gwr_diag_format(dg, line, sizeof(line));
        assert_non_null(strstr(line, i == 0 ? "spec.rules[1].retry: attempts "
                                              "1001: the exchange engine "
                                              "retries at most 1000 times"
                                            : "attempts 2147483647"));
    }
    gwr_table *t = NULL;
    assert_int_equal(gwr_table_compile(&t, l.cfg, NULL), GWR_OK);
    unload(&l);
    free(b.p);
    return t;
}

/* Tries (first + retries) the engine makes for path when every attempt
 * answers 503. */
static size_t
retry_tries(const gwr_table *t, const char *path, int64_t *attempts)
{
    rhost h = { 0, 0, 0, 0 };
    gwr_io io = GWR_IO_INIT;
    io.now_ms = rh_now;
    io.set_timer = rh_timer;
    io.connect = rh_connect;
    io.send_request = rh_send;
    io.respond = rh_respond;
    gwr_ctx *ctx = NULL;
    gwr_decision *d = NULL;
    gwr_engine *e = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &io, &h), GWR_OK);
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    assert_int_equal(gwr_engine_new(&e, ctx), GWR_OK);
    gwr_request r = GWR_REQUEST_INIT;
    r.host = (gwr_str)GWR_STR_LIT("svc.test");
    r.path.ptr = path;
    r.path.len = strlen(path);
    r.port = 80;
    r.flags = GWR_REQ_SEEDED;
    r.seed = 1;
    assert_int_equal(gwr_table_match(t, &r, d), GWR_OK);
    assert_int_equal(gwr_decision_result(d), GWR_RESULT_FORWARD);
    *attempts = gwr_decision_retry_attempts(d);
    uint64_t id = 0;
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_OK);
    gwr_header hd[] = { { GWR_STR_LIT("server"), GWR_STR_LIT("up") } };
    int rc = 0;
    while (rc == 0 && h.sends < 5000) {
        assert_int_equal(h.responds, 0);
        rc = gwr_engine_on_response_head(e, h.xid, 503, hd, 1);
    }
    assert_int_equal(rc, 1); /* the last 503 went to the client */
    assert_int_equal(h.responds, 1);
    assert_int_equal(h.status, 503);
    assert_int_equal(gwr_engine_on_body_done(e, h.xid), GWR_OK);
    assert_int_equal(gwr_engine_exchange_count(e), 0);
    gwr_engine_free(e);
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
    return h.sends;
}

static void
test_limits_engine_retry_attempts(void **state)
{
    (void)state;
    /* The engine caps retries of one exchange at 1000 (engine_exchange.c,
     * the same bound as GWR_ENGINE_OPT_DEFAULT_ATTEMPTS). A route's
     * retry.attempts (int32, no maximum in the API) reaches it: 1000 is
     * honoured (1 + 1000 tries); past it the config is NOT refused and
     * nothing is reported: the engine silently stops at 1000 retries. */
    gwr_table *t = retry_table();
    int64_t a = 0;
    assert_int_equal(retry_tries(t, "/at", &a), 1001);
    assert_int_equal(a, 1000);
    assert_int_equal(retry_tries(t, "/past", &a), 1001);
    assert_int_equal(a, 1001);
    assert_int_equal(retry_tries(t, "/int32", &a), 1001);
    assert_int_equal(a, INT32_MAX);
    gwr_table_unref(t);
}

/* Refuses every allocation bigger than 64 MiB. */
static void *
small_alloc(size_t n, void *ud)
{
    (void)ud;
    return n > ((size_t)64 << 20) ? NULL : malloc(n);
}

static void *
small_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return n > ((size_t)64 << 20) ? NULL : realloc(p, n);
}

static void
small_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void
test_limits_engine_exchanges(void **state)
{
    (void)state;
    /* MAX_EXCHANGES (2^24 in flight) cannot be reached honestly in a
     * unit test: 2^24 live exchanges plus the id map reserved at 3 x n
     * slots with load <= 1/2 is several GiB. White-box instead: set the
     * engine's in-flight count (engine_int.h) next to the limit. At
     * 2^24 - 1 the limit lets the submit through (it then fails to
     * reserve the ~1 GiB map under an allocator capped at 64 MiB:
     * GWR_E_NOMEM, not GWR_E_LIMIT); at 2^24 it is GWR_E_LIMIT before
     * anything is allocated. */
    const size_t max = (size_t)1 << 24;
    rhost h = { 0, 0, 0, 0 };
    gwr_io io = GWR_IO_INIT;
    io.now_ms = rh_now;
    io.set_timer = rh_timer;
    io.connect = rh_connect;
    io.send_request = rh_send;
    io.respond = rh_respond;
    gwr_allocator mem = GWR_ALLOCATOR_INIT(small_alloc, small_realloc,
                                           small_free, NULL);
    gwr_ctx *ctx = NULL;
    gwr_decision *d = NULL;
    gwr_engine *e = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &mem, &io, &h), GWR_OK);
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    assert_int_equal(gwr_engine_new(&e, ctx), GWR_OK);
    gwr_table *t = retry_table();
    gwr_request r = GWR_REQUEST_INIT;
    r.host = (gwr_str)GWR_STR_LIT("svc.test");
    r.path = (gwr_str)GWR_STR_LIT("/at");
    r.port = 80;
    assert_int_equal(gwr_table_match(t, &r, d), GWR_OK);
    uint64_t id = 0;
    /* A real one first: the engine works under this allocator. */
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_OK);
    assert_int_equal(gwr_engine_exchange_count(e), 1);
    assert_int_equal(gwr_engine_cancel(e, id), GWR_OK);
    assert_int_equal(gwr_engine_exchange_count(e), 0);
    size_t sends = h.sends;

    e->n_x = max - 1;
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_E_NOMEM);
    e->n_x = max;
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_E_LIMIT);
    assert_int_equal(id, 0);
    e->n_x = 0;
    assert_int_equal(h.sends, sends); /* neither reached the host */
    assert_int_equal(gwr_engine_exchange_count(e), 0);

    gwr_table_unref(t);
    gwr_engine_free(e);
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_depth),
        cmocka_unit_test(test_limits_scalar_bytes),
        cmocka_unit_test(test_limits_documents),
        cmocka_unit_test(test_limits_alias_expansion),
        cmocka_unit_test(test_limits_text_bytes),
        cmocka_unit_test(test_limits_nodes),
        cmocka_unit_test(test_limits_parse_errors),
        cmocka_unit_test(test_limits_regex_pattern),
        cmocka_unit_test(test_limits_regex_match_bounded),
        cmocka_unit_test(test_limits_config_lists),
        cmocka_unit_test(test_limits_config_maps),
        cmocka_unit_test(test_limits_cors_methods),
        cmocka_unit_test(test_limits_config_list_minimums),
        cmocka_unit_test(test_limits_total_matches),
        cmocka_unit_test(test_limits_config_lengths),
        cmocka_unit_test(test_limits_field_path),
        cmocka_unit_test(test_limits_engine_retry_attempts),
        cmocka_unit_test(test_limits_engine_exchanges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

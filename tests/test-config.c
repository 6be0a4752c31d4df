/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The config loader's API (gwroute/config.h, lib/config.c): transactional
 * loading, replacement, kind List, unknown kinds and versions,
 * creationTimestamp, defaults as the model carries them, diagnostics and
 * their formatting, the Gateway accessors and an allocation-failure sweep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include "build.h"
#include "config_int.h"

static gwr_str
S(const char *s)
{
    gwr_str r = { s, strlen(s) };
    return r;
}

static gwr_config *
new_config(void)
{
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_ctx_free(ctx);
    return cfg;
}

static int
add(gwr_config *cfg, const char *text, const char *source)
{
    return gwr_config_add_text(cfg, GWR_FORMAT_AUTO, S(text), S(source));
}

static const char *
diag_line(const gwr_config *cfg, size_t i, char *buf, size_t len)
{
    const gwr_diag *d = gwr_config_diag(cfg, i);
    assert_non_null(d);
    int n = gwr_diag_format(d, buf, len);
    assert_true(n >= 0);
    return buf;
}

static const char route_r1[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: r1\n"
    "spec:\n"
    "  hostnames: [first.example.com]\n";

static const char route_r1_b[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: r1\n"
    "spec:\n"
    "  hostnames: [second.example.com]\n";

/* ---- lifecycle and arguments ------------------------------------------- */

static void
test_config_args(void **state)
{
    (void)state;
    gwr_config *cfg = (gwr_config *)1;
    assert_int_equal(gwr_config_new(NULL, NULL), GWR_E_INVAL);
    assert_int_equal(gwr_config_new(&cfg, NULL), GWR_E_INVAL);
    assert_null(cfg);
    gwr_config_free(NULL);
    assert_int_equal(gwr_config_add_text(NULL, 0, S(""), S("")), GWR_E_INVAL);
    cfg = new_config();
    assert_int_equal(gwr_config_add_text(cfg, 3, S(""), S("x")), GWR_E_INVAL);
    gwr_str bad = { NULL, 3 };
    assert_int_equal(gwr_config_add_text(cfg, 0, bad, S("x")), GWR_E_INVAL);
    /* An empty text is fine and loads nothing. */
    assert_int_equal(add(cfg, "", "empty"), GWR_OK);
    assert_int_equal(gwr_config_diag_count(cfg), 0);
    assert_null(gwr_config_diag(cfg, 0));
    assert_int_equal(gwr_config_diag_count(NULL), 0);
    assert_int_equal(gwr_config_error_count(NULL), 0);
    assert_null(gwr_config_diag(NULL, 0));
    gwr_config_free(cfg);
}

/* ---- transactions --------------------------------------------------------- */

static void
test_config_parse_error_is_transactional(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    assert_int_equal(add(cfg, route_r1, "a.yaml"), GWR_OK);
    uint64_t gen = cfg->generation;
    assert_int_equal(cfg->model.n_routes, 1);
    /* A valid replacement of r1 followed by a syntax error: nothing of
     * this text may be loaded, r1 stays the first one. */
    char text[1024];
    snprintf(text, sizeof(text), "%s---\nkind: [unclosed\n", route_r1_b);
    int rc = add(cfg, text, "b.yaml");
    assert_int_equal(rc, GWR_E_PARSE);
    assert_int_equal(cfg->model.n_routes, 1);
    assert_int_equal(cfg->generation, gen);
    const gwr_route *r = cfg->model.routes[0];
    assert_string_equal(r->hostnames.items[0].ptr, "first.example.com");
    assert_string_equal(r->meta.pos.source.ptr, "a.yaml");
    /* The parser's diagnostic is kept and names b.yaml. */
    assert_true(gwr_config_error_count(cfg) >= 1);
    gwr_str src = gwr_diag_source(gwr_config_diag(cfg, 0));
    assert_int_equal(src.len, 6);
    assert_memory_equal(src.ptr, "b.yaml", 6);
    gwr_config_free(cfg);
}

static void
test_config_replacement(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    assert_int_equal(add(cfg, route_r1, "a.yaml"), GWR_OK);
    assert_int_equal(cfg->model.routes[0]->meta.load_seq, 0);
    assert_int_equal(add(cfg, route_r1_b, "b.yaml"), GWR_OK);
    assert_int_equal(cfg->model.n_routes, 1);
    const gwr_route *r = cfg->model.routes[0];
    assert_string_equal(r->hostnames.items[0].ptr, "second.example.com");
    assert_int_equal(r->meta.load_seq, 1);
    assert_int_equal(cfg->model.next_seq, 2);
    assert_int_equal(gwr_config_diag_count(cfg), 1);
    char buf[512];
    assert_string_equal(diag_line(cfg, 0, buf, sizeof(buf)),
                        "b.yaml:1:1: HTTPRoute default/r1: metadata.name: "
                        "replaces the HTTPRoute of the same name loaded "
                        "earlier from a.yaml:1:1");
    assert_int_equal(gwr_diag_severity(gwr_config_diag(cfg, 0)),
                     GWR_SEVERITY_WARNING);
    /* A rejected object never replaces: r1 stays the b.yaml one. */
    const char *bad = "apiVersion: gateway.networking.k8s.io/v1\n"
                      "kind: HTTPRoute\n"
                      "metadata: {name: r1}\n"
                      "spec: {hostnames: [BAD]}\n";
    assert_int_equal(add(cfg, bad, "c.yaml"), GWR_E_CONFIG);
    assert_int_equal(cfg->model.n_routes, 1);
    assert_string_equal(cfg->model.routes[0]->hostnames.items[0].ptr,
                        "second.example.com");
    /* Replacing keeps load order: the replacement moves to the end. */
    const char *two = "apiVersion: gateway.networking.k8s.io/v1\n"
                      "kind: HTTPRoute\n"
                      "metadata: {name: r2}\n"
                      "---\n"
                      "apiVersion: gateway.networking.k8s.io/v1\n"
                      "kind: HTTPRoute\n"
                      "metadata: {name: r3}\n";
    assert_int_equal(add(cfg, two, "d.yaml"), GWR_E_CONFIG);  /* no spec */
    const char *two_ok = "apiVersion: gateway.networking.k8s.io/v1\n"
                         "kind: HTTPRoute\n"
                         "metadata: {name: r2}\n"
                         "spec: {}\n"
                         "---\n"
                         "apiVersion: gateway.networking.k8s.io/v1\n"
                         "kind: HTTPRoute\n"
                         "metadata: {name: r1}\n"
                         "spec: {}\n";
    assert_int_equal(add(cfg, two_ok, "e.yaml"), GWR_OK);
    assert_int_equal(cfg->model.n_routes, 2);
    assert_string_equal(cfg->model.routes[0]->meta.name.ptr, "r2");
    assert_string_equal(cfg->model.routes[1]->meta.name.ptr, "r1");
    assert_true(cfg->model.routes[0]->meta.load_seq <
                cfg->model.routes[1]->meta.load_seq);
    gwr_config_free(cfg);
}

static void
test_config_list_and_unknown_kinds(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    const char *json =
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": ["
        " {\"apiVersion\": \"v1\", \"kind\": \"Namespace\","
        "  \"metadata\": {\"name\": \"apps\"}},"
        " {\"apiVersion\": \"v1\", \"kind\": \"Secret\","
        "  \"metadata\": {\"name\": \"s\", \"namespace\": \"apps\"}},"
        " {\"apiVersion\": \"v1\", \"kind\": \"Service\","
        "  \"metadata\": {\"name\": \"svc\", \"namespace\": \"apps\"},"
        "  \"spec\": {\"ports\": [{\"port\": 80}]}}]}";
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_JSON, S(json),
                                         S("list.json")),
                     GWR_OK);
    assert_int_equal(cfg->model.n_namespaces, 1);
    assert_int_equal(cfg->model.n_services, 1);
    assert_int_equal(gwr_config_diag_count(cfg), 1);
    const gwr_diag *d = gwr_config_diag(cfg, 0);
    assert_int_equal(gwr_diag_severity(d), GWR_SEVERITY_NOTE);
    gwr_str m = gwr_diag_message(d);
    assert_string_equal(m.ptr, "kind Secret (apiVersion v1) is not read by "
                               "libgwroute; skipped");
    /* The Namespace got its immutable name label. */
    const gwr_namespace *ns = cfg->model.namespaces[0];
    assert_int_equal(ns->meta.labels.n, 1);
    assert_string_equal(ns->meta.labels.items[0].key.ptr,
                        "kubernetes.io/metadata.name");
    assert_string_equal(ns->meta.labels.items[0].value.ptr, "apps");
    gwr_config_free(cfg);
}

static void
test_config_versions(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    const char *t = "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
                    "kind: GRPCRoute\n"
                    "metadata: {name: g}\n"
                    "spec: {}\n"
                    "---\n"
                    "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
                    "kind: ReferenceGrant\n"
                    "metadata: {name: rg}\n"
                    "spec: {}\n"
                    "---\n"
                    "apiVersion: gateway.networking.k8s.io/v1beta1\n"
                    "kind: Gateway\n"
                    "metadata: {name: gw}\n"
                    "spec:\n"
                    "  gatewayClassName: c\n"
                    "  listeners: [{name: a, port: 80, protocol: HTTP}]\n";
    assert_int_equal(add(cfg, t, "v.yaml"), GWR_E_CONFIG);
    assert_int_equal(gwr_config_error_count(cfg), 2);
    char buf[512];
    assert_string_equal(diag_line(cfg, 0, buf, sizeof(buf)),
                        "v.yaml:1:13: GRPCRoute default/g: apiVersion: "
                        "GRPCRoute gateway.networking.k8s.io/v1alpha2 was "
                        "removed in Gateway API v1.2; use apiVersion "
                        "gateway.networking.k8s.io/v1");
    assert_string_equal(diag_line(cfg, 1, buf, sizeof(buf)),
                        "v.yaml:6:13: ReferenceGrant default/rg: apiVersion: "
                        "ReferenceGrant gateway.networking.k8s.io/v1alpha2 "
                        "was removed in Gateway API v1.2; use apiVersion "
                        "gateway.networking.k8s.io/v1beta1");
    assert_int_equal(cfg->model.n_gateways, 1);
    assert_string_equal(cfg->model.gateways[0]->meta.api_version.ptr,
                        "gateway.networking.k8s.io/v1beta1");
    gwr_config_free(cfg);
}

/* ---- creationTimestamp ------------------------------------------------------ */

static void
test_config_rfc3339(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2024-01-02T03:04:05Z", INT64_C(1704164645000) },
        { "2024-01-02T03:04:05.5Z", INT64_C(1704164645500) },
        { "2024-01-02T03:04:05.123456789Z", INT64_C(1704164645123) },
        { "2024-01-02T04:04:05+01:00", INT64_C(1704164645000) },
        { "2024-01-02t02:04:05-01:00", INT64_C(1704164645000) },
        { "2000-02-29T00:00:00Z", INT64_C(951782400000) },
        { "1969-12-31T23:59:59Z", -1000 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ms = 42;
        assert_int_equal(gwr_build__rfc3339(S(ok[i].s), &ms), GWR_OK);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *const bad[] = {
        "", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z",
        "2023-02-29T00:00:00Z", "2024-01-02T24:00:00Z", "2024-01-02T03:04Z",
        "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05+0100",
        "2024-01-02T03:04:05Zjunk", "2024-01-02 03:04:05Z",
        "x024-01-02T03:04:05Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 42;
        assert_int_equal(gwr_build__rfc3339(S(bad[i]), &ms), GWR_E_INVAL);
        assert_int_equal(ms, 42);
    }
    gwr_config *cfg = new_config();
    const char *t = "apiVersion: v1\nkind: Namespace\n"
                    "metadata: {name: a, creationTimestamp: "
                    "\"2024-01-02T03:04:05Z\"}\n"
                    "---\n"
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n";
    assert_int_equal(add(cfg, t, "ts.yaml"), GWR_OK);
    assert_int_equal(cfg->model.namespaces[0]->meta.has_creation, 1);
    assert_int_equal(cfg->model.namespaces[0]->meta.creation_ms,
                     INT64_C(1704164645000));
    assert_int_equal(cfg->model.namespaces[1]->meta.has_creation, 0);
    gwr_config_free(cfg);
}

/* ---- defaults in the model ------------------------------------------------ */

static const char defaults_text[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: d, namespace: apps}\n"
    "spec:\n"
    "  parentRefs: [{name: gw}]\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: e, namespace: apps}\n"
    "spec:\n"
    "  rules:\n"
    "  - matches:\n"
    "    - headers: [{name: x, value: y}]\n"
    "    filters:\n"
    "    - type: RequestMirror\n"
    "      requestMirror: {backendRef: {name: m, port: 80}, percent: 20}\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef: {name: m, port: 80}\n"
    "        fraction: {numerator: 3}\n"
    "    - type: RequestMirror\n"
    "      requestMirror: {backendRef: {name: m, port: 80}}\n"
    "    backendRefs:\n"
    "    - {name: svc, port: 80}\n"
    "    - {name: svc2, port: 80, namespace: other, weight: 0}\n"
    "  - filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect: {scheme: https}\n"
    "  - matches:\n"
    "    - path: {type: RegularExpression, value: \"(\"}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: GRPCRoute\n"
    "metadata: {name: g, namespace: apps}\n"
    "spec:\n"
    "  rules:\n"
    "  - backendRefs: [{name: svc, port: 80}]\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: Gateway\n"
    "metadata: {name: gw, namespace: apps}\n"
    "spec:\n"
    "  gatewayClassName: cls\n"
    "  listeners:\n"
    "  - name: https\n"
    "    port: 443\n"
    "    protocol: HTTPS\n"
    "    tls: {certificateRefs: [{name: cert}]}\n"
    "  infrastructure:\n"
    "    labels: {a: b, example.com/c: d}\n"
    "    annotations: {x: \"y z\"}\n"
    "    parametersRef: {group: example.com, kind: P, name: p}\n"
    "  backendTLS:\n"
    "    clientCertificateRef: {name: client}\n";

static void
test_config_defaults(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    assert_int_equal(add(cfg, defaults_text, "defaults.yaml"), GWR_OK);
    /* Only the rule-invalid warning of route e. */
    assert_int_equal(gwr_config_diag_count(cfg), 1);
    assert_int_equal(cfg->model.n_routes, 3);
    const gwr_route *d = cfg->model.routes[0];
    assert_int_equal(d->n_parents, 1);
    assert_string_equal(d->parents[0].group.ptr, GWR_GROUP_GATEWAY);
    assert_string_equal(d->parents[0].kind.ptr, "Gateway");
    assert_string_equal(d->parents[0].ns.ptr, "apps");
    assert_int_equal(d->parents[0].ns_set, 0);
    assert_int_equal(d->n_rules, 1);
    assert_int_equal(d->rules[0].n_matches, 1);
    assert_int_equal(d->rules[0].matches[0].path_type, GWR_MATCH_PREFIX);
    assert_string_equal(d->rules[0].matches[0].path.ptr, "/");
    assert_int_equal(d->rules[0].n_backends, 0);
    assert_int_equal(d->rules[0].timeout_request_ms, -1);
    assert_int_equal(d->rules[0].retry.set, 0);

    const gwr_route *e = cfg->model.routes[1];
    assert_int_equal(e->n_rules, 3);
    const gwr_rule *r0 = &e->rules[0];
    assert_int_equal(r0->matches[0].path_type, GWR_MATCH_PREFIX);
    assert_string_equal(r0->matches[0].path.ptr, "/");
    assert_int_equal(r0->matches[0].n_headers, 1);
    assert_int_equal(r0->matches[0].headers[0].type, GWR_MATCH_EXACT);
    assert_int_equal(r0->n_filters, 3);
    assert_int_equal(r0->filters[0].mirror.num, 20);
    assert_int_equal(r0->filters[0].mirror.den, 100);
    assert_int_equal(r0->filters[1].mirror.num, 3);
    assert_int_equal(r0->filters[1].mirror.den, 100);
    assert_int_equal(r0->filters[2].mirror.num, 100);
    assert_int_equal(r0->filters[2].mirror.den, 100);
    assert_string_equal(r0->filters[2].mirror.backend.kind.ptr, "Service");
    assert_int_equal(r0->n_backends, 2);
    assert_string_equal(r0->backends[0].group.ptr, "");
    assert_string_equal(r0->backends[0].kind.ptr, "Service");
    assert_string_equal(r0->backends[0].ns.ptr, "apps");
    assert_int_equal(r0->backends[0].ns_set, 0);
    assert_int_equal(r0->backends[0].weight, 1);
    assert_string_equal(r0->backends[1].ns.ptr, "other");
    assert_int_equal(r0->backends[1].ns_set, 1);
    assert_int_equal(r0->backends[1].weight, 0);
    assert_int_equal(e->rules[1].filters[0].redirect.status, 302);
    assert_string_equal(e->rules[1].filters[0].redirect.scheme.ptr, "https");
    assert_int_equal(e->rules[0].invalid, 0);
    assert_int_equal(e->rules[2].invalid, 1);
    assert_string_equal(e->rules[2].invalid_reason, "UnsupportedValue");
    assert_true(strncmp(e->rules[2].invalid_message.ptr,
                        "spec.rules[2].matches[0].path.value: regular "
                        "expression does not compile: ", 73) == 0);

    const gwr_route *g = cfg->model.routes[2];
    assert_int_equal(g->meta.kind, GWR_KIND_GRPC_ROUTE);
    assert_int_equal(g->rules[0].n_matches, 0);   /* no default for gRPC */

    /* Gateway: model and public accessors. */
    const gwr_gateway *gw = cfg->model.gateways[0];
    assert_int_equal(gw->listeners[0].from, GWR_FROM_SAME);
    assert_string_equal(gw->listeners[0].tls_mode.ptr, "Terminate");
    assert_string_equal(gw->listeners[0].cert_refs[0].kind.ptr, "Secret");
    assert_string_equal(gw->listeners[0].cert_refs[0].ns.ptr, "apps");
    assert_int_equal(gwr_config_gateway_count(cfg), 1);
    assert_null(gwr_config_gateway(cfg, 1));
    assert_ptr_equal(gwr_config_gateway(cfg, 0), gw);
    assert_string_equal(gwr_gateway_namespace(gw).ptr, "apps");
    assert_string_equal(gwr_gateway_name(gw).ptr, "gw");
    assert_string_equal(gwr_gateway_class_name(gw).ptr, "cls");
    assert_int_equal(gwr_gateway_infra_label_count(gw), 2);
    gwr_str k = { NULL, 0 }, v = { NULL, 0 };
    assert_int_equal(gwr_gateway_infra_label(gw, 1, &k, &v), GWR_OK);
    assert_string_equal(k.ptr, "example.com/c");
    assert_string_equal(v.ptr, "d");
    assert_int_equal(gwr_gateway_infra_label(gw, 2, &k, &v), GWR_E_RANGE);
    assert_int_equal(gwr_gateway_infra_label(NULL, 0, &k, &v), GWR_E_INVAL);
    assert_int_equal(gwr_gateway_infra_annotation_count(gw), 1);
    assert_int_equal(gwr_gateway_infra_annotation(gw, 0, &k, &v), GWR_OK);
    assert_string_equal(k.ptr, "x");
    assert_string_equal(v.ptr, "y z");
    gwr_str grp, kind, name, ns;
    assert_int_equal(gwr_gateway_infra_params(gw, &grp, &kind, &name), 1);
    assert_string_equal(grp.ptr, "example.com");
    assert_string_equal(kind.ptr, "P");
    assert_string_equal(name.ptr, "p");
    assert_int_equal(gwr_gateway_backend_client_cert(gw, &grp, &kind, &ns,
                                                     &name),
                     1);
    assert_string_equal(grp.ptr, "");
    assert_string_equal(kind.ptr, "Secret");
    assert_string_equal(ns.ptr, "apps");
    assert_string_equal(name.ptr, "client");
    assert_int_equal(gwr_gateway_infra_params(NULL, NULL, NULL, NULL), 0);
    assert_int_equal(gwr_gateway_backend_client_cert(NULL, NULL, NULL, NULL,
                                                     NULL),
                     0);
    assert_int_equal(gwr_gateway_infra_label_count(NULL), 0);
    assert_int_equal(gwr_gateway_name(NULL).len, 0);
    /* Listeners, for hosts that open the Gateway's sockets. */
    assert_int_equal(gwr_gateway_listener_count(gw), 1);
    gwr_str lname, lproto, lhost = { "x", 1 };
    uint32_t lport = 0;
    assert_int_equal(gwr_gateway_listener(gw, 0, &lname, &lproto, &lport,
                                          &lhost), GWR_OK);
    assert_string_equal(lname.ptr, "https");
    assert_string_equal(lproto.ptr, "HTTPS");
    assert_int_equal(lport, 443);
    assert_int_equal(lhost.len, 0);    /* unset: every host */
    assert_int_equal(gwr_gateway_listener(gw, 0, NULL, NULL, NULL, NULL),
                     GWR_OK);
    assert_int_equal(gwr_gateway_listener(gw, 1, &lname, NULL, NULL, NULL),
                     GWR_E_RANGE);
    assert_int_equal(gwr_gateway_listener(NULL, 0, NULL, NULL, NULL, NULL),
                     GWR_E_INVAL);
    assert_int_equal(gwr_gateway_listener_count(NULL), 0);
    gwr_config_free(cfg);
}

/* sessionPersistence is stored in the model, both shapes (nothing acts on
 * it yet; docs/CONFIG.md). */
static const char session_text[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: sp}\n"
    "spec:\n"
    "  rules:\n"
    "  - sessionPersistence:\n"
    "      sessionName: s1\n"
    "      idleTimeout: 30s\n"
    "      absoluteTimeout: 1h\n"
    "      cookieConfig: {lifetimeType: Permanent}\n"
    "  - sessionPersistence:\n"
    "      cookie: {name: SID}\n"
    "  - sessionPersistence:\n"
    "      type: Header\n"
    "      header: {name: x-session}\n"
    "  - sessionPersistence: {}\n"
    "  - {}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: GRPCRoute\n"
    "metadata: {name: gsp}\n"
    "spec:\n"
    "  rules:\n"
    "  - sessionPersistence:\n"
    "      absoluteTimeout: 10m\n"
    "      cookie: {name: g, path: /svc, lifetimeType: Permanent}\n";

static void
test_config_session_persistence(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    assert_int_equal(add(cfg, session_text, "sp.yaml"), GWR_OK);
    assert_int_equal(gwr_config_diag_count(cfg), 0);
    assert_int_equal(cfg->model.n_routes, 2);
    const gwr_route *r = cfg->model.routes[0];
    assert_int_equal(r->n_rules, 5);
    const gwr_session_persistence *s = &r->rules[0].session;
    assert_int_equal(s->set, 1);
    assert_int_equal(s->shape, GWR_SESSION_SHAPE_V1_2);
    assert_int_equal(s->type, GWR_SESSION_COOKIE);
    assert_string_equal(s->name.ptr, "s1");
    assert_int_equal(s->cookie_path.len, 0);
    assert_int_equal(s->lifetime, GWR_COOKIE_LIFETIME_PERMANENT);
    assert_int_equal(s->absolute_timeout_ms, 3600000);
    assert_int_equal(s->idle_timeout_ms, 30000);
    s = &r->rules[1].session;
    assert_int_equal(s->set, 1);
    assert_int_equal(s->shape, GWR_SESSION_SHAPE_HEAD);
    assert_int_equal(s->type, GWR_SESSION_COOKIE);
    assert_string_equal(s->name.ptr, "SID");
    assert_string_equal(s->cookie_path.ptr, "/");
    assert_int_equal(s->lifetime, GWR_COOKIE_LIFETIME_SESSION);
    assert_int_equal(s->absolute_timeout_ms, -1);
    assert_int_equal(s->idle_timeout_ms, -1);
    s = &r->rules[2].session;
    assert_int_equal(s->shape, GWR_SESSION_SHAPE_HEAD);
    assert_int_equal(s->type, GWR_SESSION_HEADER);
    assert_string_equal(s->name.ptr, "x-session");
    assert_int_equal(s->cookie_path.len, 0);
    s = &r->rules[3].session;
    assert_int_equal(s->set, 1);
    assert_int_equal(s->shape, GWR_SESSION_SHAPE_V1_2);
    assert_int_equal(s->type, GWR_SESSION_COOKIE);
    assert_int_equal(s->name.len, 0);
    s = &r->rules[4].session;
    assert_int_equal(s->set, 0);
    assert_int_equal(s->absolute_timeout_ms, -1);
    const gwr_route *g = cfg->model.routes[1];
    s = &g->rules[0].session;
    assert_int_equal(s->set, 1);
    assert_int_equal(s->shape, GWR_SESSION_SHAPE_HEAD);
    assert_string_equal(s->name.ptr, "g");
    assert_string_equal(s->cookie_path.ptr, "/svc");
    assert_int_equal(s->lifetime, GWR_COOKIE_LIFETIME_PERMANENT);
    assert_int_equal(s->absolute_timeout_ms, 600000);
    gwr_config_free(cfg);
}

/* ---- diagnostics ------------------------------------------------------------ */

static void
test_config_diag_format(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    const char *t = "apiVersion: gateway.networking.k8s.io/v1\n"
                    "kind: HTTPRoute\n"
                    "metadata: {name: r1}\n"
                    "spec:\n"
                    "  rules:\n"
                    "  - matches:\n"
                    "    - path: {value: \"/a//b\"}\n";
    assert_int_equal(add(cfg, t, "f.yaml"), GWR_E_CONFIG);
    assert_int_equal(gwr_config_diag_count(cfg), 1);
    assert_int_equal(gwr_config_error_count(cfg), 1);
    const gwr_diag *d = gwr_config_diag(cfg, 0);
    assert_int_equal(gwr_diag_severity(d), GWR_SEVERITY_ERROR);
    assert_string_equal(gwr_diag_source(d).ptr, "f.yaml");
    assert_int_equal(gwr_diag_line(d), 7);
    assert_int_equal(gwr_diag_column(d), 21);
    assert_string_equal(gwr_diag_kind(d).ptr, "HTTPRoute");
    assert_string_equal(gwr_diag_namespace(d).ptr, "default");
    assert_string_equal(gwr_diag_name(d).ptr, "r1");
    assert_string_equal(gwr_diag_field(d).ptr,
                        "spec.rules[0].matches[0].path.value");
    assert_string_equal(gwr_diag_message(d).ptr, "must not contain '//'");
    static const char full[] = "f.yaml:7:21: HTTPRoute default/r1: "
                               "spec.rules[0].matches[0].path.value: must "
                               "not contain '//'";
    char buf[256];
    assert_int_equal(gwr_diag_format(d, buf, sizeof(buf)),
                     (int)sizeof(full) - 1);
    assert_string_equal(buf, full);
    /* snprintf-style: cut, NUL-terminated, full length returned. */
    char small[11];
    assert_int_equal(gwr_diag_format(d, small, sizeof(small)),
                     (int)sizeof(full) - 1);
    assert_string_equal(small, "f.yaml:7:2");
    assert_int_equal(gwr_diag_format(d, NULL, 0), (int)sizeof(full) - 1);
    assert_int_equal(gwr_diag_format(NULL, buf, sizeof(buf)), GWR_E_INVAL);
    assert_int_equal(gwr_diag_format(d, NULL, 5), GWR_E_INVAL);
    /* Unknown parts print as "-". */
    assert_int_equal(add(cfg, "[1, 2]\n", "g.yaml"), GWR_E_CONFIG);
    assert_string_equal(diag_line(cfg, 1, buf, sizeof(buf)),
                        "g.yaml:1:1: - -/-: -: a document must be a map (an "
                        "object), got list");
    /* NULL accessors are safe. */
    assert_int_equal(gwr_diag_line(NULL), 0);
    assert_int_equal(gwr_diag_column(NULL), 0);
    assert_int_equal(gwr_diag_message(NULL).len, 0);
    assert_int_equal(gwr_diag_kind(NULL).len, 0);
    assert_int_equal(gwr_diag_namespace(NULL).len, 0);
    assert_int_equal(gwr_diag_name(NULL).len, 0);
    assert_int_equal(gwr_diag_field(NULL).len, 0);
    assert_int_equal(gwr_diag_source(NULL).len, 0);
    gwr_config_free(cfg);
}

/* Every successful change drops the cached resolution. */
static void
test_config_view_invalidation(void **state)
{
    (void)state;
    gwr_config *cfg = new_config();
    assert_int_equal(add(cfg, route_r1, "a.yaml"), GWR_OK);
    const gwr_view *v = NULL;
    assert_int_equal(gwr_config__view(cfg, &v), GWR_OK);
    assert_non_null(cfg->view);
    assert_int_equal(add(cfg, "[oops", "bad.yaml"), GWR_E_PARSE);
    assert_non_null(cfg->view);          /* nothing changed */
    assert_int_equal(add(cfg, route_r1_b, "b.yaml"), GWR_OK);
    assert_null(cfg->view);
    assert_int_equal(gwr_config__view(cfg, &v), GWR_OK);
    gwr_config_free(cfg);                /* frees the view too */
}

/* ---- allocation failures ---------------------------------------------------- */

static int
sweep_scenario(gwr_ctx *ctx, void *ud)
{
    (void)ud;
    gwr_config *cfg = NULL;
    int rc = gwr_config_new(&cfg, ctx);
    if (rc != GWR_OK)
        return rc;
    rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, S(defaults_text),
                             S("defaults.yaml"));
    if (rc == GWR_OK) {
        size_t routes = cfg->model.n_routes;
        uint64_t seq = cfg->model.next_seq;
        /* A replacing text: on failure the model must be untouched. */
        rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, S(route_r1),
                                 S("a.yaml"));
        if (rc == GWR_OK)
            rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, S(route_r1_b),
                                     S("b.yaml"));
        if (rc != GWR_OK && cfg->model.next_seq == seq &&
            cfg->model.n_routes != routes)
            rc = 1;   /* makes the sweep fail */
    }
    gwr_config_free(cfg);
    return rc;
}

static void
test_config_alloc_sweep(void **state)
{
    (void)state;
    size_t n = test_alloc_sweep(sweep_scenario, NULL);
    printf("# %zu allocator calls swept\n", n);
    assert_true(n > 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_args),
        cmocka_unit_test(test_config_parse_error_is_transactional),
        cmocka_unit_test(test_config_replacement),
        cmocka_unit_test(test_config_list_and_unknown_kinds),
        cmocka_unit_test(test_config_versions),
        cmocka_unit_test(test_config_rfc3339),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_session_persistence),
        cmocka_unit_test(test_config_diag_format),
        cmocka_unit_test(test_config_view_invalidation),
        cmocka_unit_test(test_config_alloc_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
